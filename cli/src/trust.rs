//! `skillsig trust …`: create, edit, sign and show a trust root without writing JSON by hand.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use skillsig::signing::keys::{KeyId, PublicKey};
use skillsig::trust::state::{LoadError, TrustState};
use skillsig::trust::{self, Identity, MAX_TRUST_ROOT_BYTES, TrustRoot, TrustRootFile};

use crate::failure::{Failure, print_json};
use crate::files;

/// Manage a trust root: which publishers may sign which namespaces, with which keys.
///
/// Every edit raises the version. If the trust root lists root keys, an edit removes the old
/// signatures and it must be signed again (`skillsig trust sign`) by the threshold of the
/// root keys, and, for machines that saw the previous version, by the previous root keys.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct TrustArgs {
    /// The trust root file [default: $SKILLSIG_TRUST_ROOT, else trust.json in the config folder].
    #[arg(long, global = true, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: TrustCommand,
}

#[derive(Subcommand)]
pub enum TrustCommand {
    /// Create a new, empty trust root.
    Init {
        /// Name of the trust root (for people: rollback protection is kept per place and per
        /// root keys, and only a rotation the root keys sign may change the name).
        #[arg(long, default_value = "local")]
        name: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 365)]
        expires_in_days: u32,
    },
    /// Add a publisher allowed to sign the given namespaces.
    AddPublisher {
        /// Publisher id (lowercase letters, digits, hyphens).
        id: String,
        /// A namespace it may sign: `acme`, or a prefix such as `acme-*` (repeatable).
        #[arg(long = "namespace", required = true)]
        namespaces: Vec<String>,
        /// A public key of the publisher (PEM; repeatable).
        #[arg(long = "key")]
        keys: Vec<PathBuf>,
        #[command(flatten)]
        identity: IdentityArgs,
        /// A CA root certificate (PEM) whose certificates may sign for the publisher: OpenSSF
        /// model-signing certificate mode, e.g. NVIDIA's `nv-agent-root-cert.pem`.
        #[arg(long = "ca", value_name = "CERT.pem")]
        ca: Option<PathBuf>,
        /// With --ca: a regular expression the whole leaf subject (`C=…,O=…,CN=…`) must match.
        #[arg(long = "cert-subject", value_name = "REGEX", requires = "ca")]
        cert_subject: Option<String>,
        /// Accept this publisher's Skills when they declare no permissions (OpenSSF
        /// model-signing signatures, such as NVIDIA's, cannot carry one). They are still
        /// scanned, and what their code uses is listed.
        #[arg(long)]
        accept_undeclared: bool,
    },
    /// Change a publisher's settings.
    SetPublisher {
        /// Publisher id.
        id: String,
        /// Accept (true) or refuse (false, the default) this publisher's Skills when they
        /// declare no permissions; they are still scanned, and what their code uses is listed.
        #[arg(long, value_name = "true|false", required = true)]
        accept_undeclared: Option<bool>,
    },
    /// Pin a CA root certificate for a publisher (OpenSSF model-signing certificate mode).
    AddCa {
        /// Publisher id.
        id: String,
        /// The CA root certificate (PEM).
        certificate: PathBuf,
        /// A regular expression the whole leaf subject (`C=…,O=…,CN=…`) must match.
        #[arg(long = "cert-subject", value_name = "REGEX")]
        cert_subject: Option<String>,
    },
    /// Allow a keyless signing identity (a Sigstore certificate from CI or an email login) for
    /// a publisher, e.g. `--identity https://github.com/acme/skills/.github/workflows/release.yml@refs/tags/v1.0.0`
    /// or `--identity-regex '^https://github\.com/acme/skills/\.github/workflows/release\.yml@refs/tags/v.*$'`,
    /// with `--issuer https://token.actions.githubusercontent.com`.
    AddIdentity {
        /// Publisher id.
        id: String,
        #[command(flatten)]
        identity: IdentityArgs,
    },
    /// Add a public key to a publisher.
    AddKey {
        /// Publisher id.
        id: String,
        /// The public key (PEM from `skillsig keygen`).
        public_key: PathBuf,
        /// First instant the key is valid (RFC 3339).
        #[arg(long)]
        not_before: Option<Timestamp>,
        /// Instant the key stops being valid (RFC 3339).
        #[arg(long)]
        not_after: Option<Timestamp>,
    },
    /// Revoke a key: signatures by it fail from now on.
    Revoke {
        /// The key id (64 hex digits).
        keyid: String,
        /// Why, shown to everyone whose verification fails.
        #[arg(long, required = true)]
        reason: String,
    },
    /// Add a key that signs the trust root itself, and set how many signatures it needs.
    AddRootKey {
        /// The public key (PEM).
        public_key: PathBuf,
        /// Signatures required [default: unchanged, 1 for the first key].
        #[arg(long)]
        threshold: Option<u32>,
    },
    /// Add a key that signs a registry's snapshot and timestamp (the `registry` role), and set
    /// how many signatures registry metadata needs.
    AddRegistryKey {
        /// The public key (PEM).
        public_key: PathBuf,
        /// Signatures required [default: unchanged, 1 for the first key].
        #[arg(long)]
        threshold: Option<u32>,
    },
    /// Sign the trust root with a root key.
    Sign {
        /// The root key's private key.
        #[arg(long)]
        key: PathBuf,
    },
    /// Move the expiry date.
    SetExpiry {
        /// Days from now.
        #[arg(long)]
        days: u32,
    },
    /// Show the trust root and whether it is valid now.
    Show {
        /// Print as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// The trust root path: the given one, else the default.
pub fn trust_root_path(given: Option<&Path>) -> Result<PathBuf, Failure> {
    given
        .map(Path::to_owned)
        .or_else(trust::default_path)
        .ok_or_else(|| {
            Failure::error(
                "usage",
                "no trust root: pass --trust-root or set SKILLSIG_TRUST_ROOT",
            )
        })
}

/// Reads and checks the trust root, refusing rollbacks against this machine's state, and
/// remembers it.
pub fn load_trust_root(given: Option<&Path>, now: Timestamp) -> Result<TrustRoot, Failure> {
    let path = trust_root_path(given)?;
    if !path.exists() {
        return Err(Failure::error(
            "no-trust-root",
            format!(
                "{}: no trust root here; create one with `skillsig trust init`, or pass --trust-root",
                path.display()
            ),
        ));
    }
    let bytes = files::read_limited(&path, MAX_TRUST_ROOT_BYTES)?;
    let state =
        TrustState::default_location().map_err(|e| Failure::error("state", e.to_string()))?;
    state
        .load_root(&path, &bytes, now)
        .map_err(|err| match err {
            LoadError::Trust(err) => {
                Failure::refused(err.code(), format!("{}: {err}", path.display()))
            }
            _ => Failure::error("state", err.to_string()),
        })
}

pub fn run(args: &TrustArgs) -> Result<(), Failure> {
    let path = trust_root_path(args.file.as_deref())?;
    // Whole seconds: the file is read by people.
    let now = Timestamp::from_second(Timestamp::now().as_second()).expect("now is in range");
    match &args.command {
        TrustCommand::Init {
            name,
            expires_in_days,
        } => {
            let file = TrustRootFile::new(name, now + days(*expires_in_days));
            file.check()
                .map_err(|e| Failure::error("usage", e.to_string()))?;
            if let Err(err) = TrustRoot::load(file.to_json().as_bytes(), now, None) {
                return Err(Failure::error("usage", err.to_string()));
            }
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Failure::error("io", format!("{}: {e}", parent.display())))?;
            }
            files::write_new(&path, file.to_json().as_bytes(), 0o644)?;
            println!("Created trust root {name:?} at {}", path.display());
            println!("Next: skillsig trust add-publisher ID --namespace NS --key PUB.pem");
            Ok(())
        }
        TrustCommand::AddPublisher {
            id,
            namespaces,
            keys,
            identity,
            ca,
            cert_subject,
            accept_undeclared,
        } => {
            let keys = keys
                .iter()
                .map(|k| read_public_key(k))
                .collect::<Result<Vec<_>, _>>()?;
            let identity = identity.to_identity()?;
            let ca = ca
                .as_deref()
                .map(|path| read_ca(path, cert_subject.clone()))
                .transpose()?;
            edit(&path, |file| {
                file.add_publisher(id, namespaces)?;
                for key in &keys {
                    file.add_key(id, key, None, None)?;
                }
                if let Some(identity) = identity.clone() {
                    file.add_identity(id, identity)?;
                }
                if let Some(ca) = ca.clone() {
                    file.add_ca(id, ca)?;
                }
                if *accept_undeclared {
                    file.set_accept_undeclared(id, true)?;
                }
                Ok(format!(
                    "added publisher {id:?} for {}",
                    namespaces.join(", ")
                ))
            })
        }
        TrustCommand::SetPublisher {
            id,
            accept_undeclared,
        } => {
            let accept = accept_undeclared.unwrap_or(false);
            edit(&path, |file| {
                file.set_accept_undeclared(id, accept)?;
                Ok(if accept {
                    format!(
                        "publisher {id:?}: Skills without a permission declaration are accepted (still scanned)"
                    )
                } else {
                    format!("publisher {id:?}: Skills without a permission declaration are refused")
                })
            })
        }
        TrustCommand::AddCa {
            id,
            certificate,
            cert_subject,
        } => {
            let ca = read_ca(certificate, cert_subject.clone())?;
            edit(&path, |file| {
                file.add_ca(id, ca.clone())?;
                Ok(format!("pinned a CA for publisher {id:?}"))
            })
        }
        TrustCommand::AddIdentity { id, identity } => {
            let identity = identity.to_identity()?.ok_or_else(|| {
                Failure::error(
                    "usage",
                    "give --identity or --identity-regex, with --issuer",
                )
            })?;
            edit(&path, |file| {
                file.add_identity(id, identity.clone())?;
                Ok(format!("added a keyless identity to publisher {id:?}"))
            })
        }
        TrustCommand::AddKey {
            id,
            public_key,
            not_before,
            not_after,
        } => {
            let key = read_public_key(public_key)?;
            edit(&path, |file| {
                file.add_key(id, &key, *not_before, *not_after)?;
                Ok(format!("added key {} to publisher {id:?}", key.id()))
            })
        }
        TrustCommand::Revoke { keyid, reason } => {
            let keyid = KeyId::parse(keyid).map_err(|e| Failure::error("usage", e.to_string()))?;
            edit(&path, |file| {
                file.revoke(&keyid, reason, now)?;
                Ok(format!("revoked key {keyid}"))
            })
        }
        TrustCommand::AddRootKey {
            public_key,
            threshold,
        } => {
            let key = read_public_key(public_key)?;
            edit(&path, |file| {
                file.add_root_key(&key, *threshold)?;
                Ok(format!("added root key {}", key.id()))
            })
        }
        TrustCommand::AddRegistryKey {
            public_key,
            threshold,
        } => {
            let key = read_public_key(public_key)?;
            edit(&path, |file| {
                file.add_registry_key(&key, *threshold)?;
                Ok(format!("added registry key {}", key.id()))
            })
        }
        TrustCommand::SetExpiry { days: d } => edit(&path, |file| {
            file.signed.expires = now + days(*d);
            Ok(format!("expiry set to {}", file.signed.expires))
        }),
        TrustCommand::Sign { key } => sign(&path, key),
        TrustCommand::Show { json } => show(&path, now, *json),
    }
}

fn days(n: u32) -> SignedDuration {
    SignedDuration::from_hours(i64::from(n) * 24)
}

fn read_public_key(path: &Path) -> Result<PublicKey, Failure> {
    let bytes = files::read_limited(path, 64 * 1024)?;
    let text = String::from_utf8_lossy(&bytes);
    PublicKey::from_pem(&text)
        .map_err(|e| Failure::error("key", format!("{}: {e}", path.display())))
}

fn read_file(path: &Path) -> Result<TrustRootFile, Failure> {
    let bytes = files::read_limited(path, MAX_TRUST_ROOT_BYTES)?;
    TrustRootFile::from_json(&bytes)
        .map_err(|e| Failure::refused(e.code(), format!("{}: {e}", path.display())))
}

/// Applies one change as a new version and writes the file atomically.
fn edit(
    path: &Path,
    change: impl FnOnce(&mut TrustRootFile) -> Result<String, trust::TrustError>,
) -> Result<(), Failure> {
    let mut file = read_file(path)?;
    let dropped = file.begin_edit();
    let what = change(&mut file).map_err(|e| {
        Failure::error(
            "usage",
            format!("{}: {e}; nothing was changed", path.display()),
        )
    })?;
    file.check().map_err(|e| {
        Failure::error(
            "usage",
            format!("{}: {e}; nothing was changed", path.display()),
        )
    })?;
    files::replace(path, file.to_json().as_bytes())?;
    println!(
        "{}: {what}; now version {}",
        path.display(),
        file.signed.version
    );
    if let Some(role) = &file.signed.root {
        let note = if dropped {
            "its signatures no longer apply; "
        } else {
            ""
        };
        println!(
            "{note}sign it with `skillsig trust sign --key ROOT.key` ({} signature(s) needed)",
            role.threshold
        );
    }
    Ok(())
}

fn sign(path: &Path, key_path: &Path) -> Result<(), Failure> {
    let mut file = read_file(path)?;
    let key = files::read_secret_key(key_path)?;
    let Some(role) = &file.signed.root else {
        return Err(Failure::error(
            "usage",
            format!(
                "{}: the trust root lists no root keys; add one first with `skillsig trust add-root-key`",
                path.display()
            ),
        ));
    };
    if !role.keys.iter().any(|k| &k.keyid == key.public().id()) {
        // Rotation: the previous version's root keys sign the new version.
        eprintln!(
            "note: key {} is not a root key of this version; its signature counts only for machines that trust the previous version (root key rotation)",
            key.public().id()
        );
    }
    file.sign(&key);
    files::replace(path, file.to_json().as_bytes())?;
    let threshold = file.signed.root.as_ref().map_or(0, |r| r.threshold);
    println!(
        "{}: signed version {} with root key {} ({} of {threshold} needed signatures present)",
        path.display(),
        file.signed.version,
        key.public().id(),
        file.signatures.len()
    );
    Ok(())
}

fn show(path: &Path, now: Timestamp, as_json: bool) -> Result<(), Failure> {
    let bytes = files::read_limited(path, MAX_TRUST_ROOT_BYTES)?;
    let file = TrustRootFile::from_json(&bytes)
        .map_err(|e| Failure::refused(e.code(), format!("{}: {e}", path.display())))?;
    let status = TrustRoot::load(&bytes, now, None)
        .err()
        .map(|e| e.to_string());
    if as_json {
        print_json(
            &json!({"path": path, "valid": status.is_none(), "problem": status, "trust_root": file}),
        );
        return Ok(());
    }
    let body = &file.signed;
    let validity = match &status {
        None => "valid".to_owned(),
        Some(problem) => format!("NOT VALID: {problem}"),
    };
    println!(
        "trust root {:?} version {}, expires {} ({validity})",
        body.name, body.version, body.expires
    );
    match &body.root {
        None => println!("root keys: none (the file is unsigned; protect it as you would a key)"),
        Some(role) => {
            println!(
                "root keys ({} signature(s) needed, {} present):",
                role.threshold,
                file.signatures.len()
            );
            for key in &role.keys {
                println!("  {}", key.keyid);
            }
        }
    }
    if body.publishers.is_empty() {
        println!("publishers: none");
    }
    for publisher in &body.publishers {
        println!(
            "publisher {} may sign {}",
            publisher.id,
            publisher.namespaces.join(", ")
        );
        for key in &publisher.keys {
            let mut line = format!("  key {}", key.keyid);
            if let Some(t) = key.not_before {
                line.push_str(&format!(" from {t}"));
            }
            if let Some(t) = key.not_after {
                line.push_str(&format!(" until {t}"));
            }
            if let Some(r) = body.revoked.iter().find(|r| r.keyid == key.keyid) {
                line.push_str(&format!(" REVOKED at {}: {}", r.time, r.reason));
            }
            println!("{line}");
        }
        for identity in &publisher.identities {
            let subject = identity
                .subject
                .as_deref()
                .or(identity.subject_regex.as_deref())
                .unwrap_or("");
            println!("  identity {subject} (issuer {})", identity.issuer);
        }
        if publisher.accept_undeclared {
            println!("  accepts Skills without a permission declaration (still scanned)");
        }
    }
    Ok(())
}

/// A keyless identity on the command line: issuer plus an exact subject or an anchored regex.
#[derive(Args, Clone, Debug)]
pub struct IdentityArgs {
    /// A certificate identity (SAN) allowed to sign keyless, exactly: an email, or a CI
    /// workflow URI.
    #[arg(
        long,
        value_name = "IDENTITY",
        requires = "issuer",
        conflicts_with = "identity_regex"
    )]
    identity: Option<String>,
    /// A regular expression the whole certificate identity must match; write it with ^ and $.
    #[arg(long, value_name = "REGEX", requires = "issuer")]
    identity_regex: Option<String>,
    /// The OIDC issuer that must vouch for the identity, e.g.
    /// https://token.actions.githubusercontent.com.
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
}

impl IdentityArgs {
    fn to_identity(&self) -> Result<Option<Identity>, Failure> {
        match (&self.identity, &self.identity_regex, &self.issuer) {
            (None, None, None) => Ok(None),
            (subject, subject_regex, Some(issuer))
                if subject.is_some() || subject_regex.is_some() =>
            {
                Ok(Some(Identity {
                    issuer: issuer.clone(),
                    subject: subject.clone(),
                    subject_regex: subject_regex.clone(),
                }))
            }
            _ => Err(Failure::error(
                "usage",
                "--issuer goes with --identity or --identity-regex",
            )),
        }
    }
}

fn read_ca(path: &Path, subject_regex: Option<String>) -> Result<trust::PinnedCa, Failure> {
    let bytes = files::read_limited(path, 1024 * 1024)?;
    let certificate = String::from_utf8(bytes)
        .map_err(|_| Failure::error("usage", format!("{}: not a PEM file", path.display())))?;
    skillsig::oms::pem_certificate(&certificate)
        .map_err(|e| Failure::error("usage", format!("{}: {e}", path.display())))?;
    Ok(trust::PinnedCa {
        certificate,
        subject_regex,
    })
}
