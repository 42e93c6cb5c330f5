//! Command-line pieces shared by the keyless (Sigstore) paths: the trusted root, the
//! cosign-style identity flags, and the identity-token sources.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use skillsig::sigstore::identity::CertificateIdentity;
use skillsig::sigstore::{self, TrustedRoot};
use skillsig::trust::TrustRoot;
use skillsig::verify::Authority;

use crate::failure::Failure;
use crate::files;
use crate::trust::load_trust_root;

/// Largest trusted root or signing config read.
const MAX_SIGSTORE_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a UTF-8 Sigstore JSON file (trusted root, signing config, bundle).
pub fn read_json_text(path: &Path) -> Result<String, Failure> {
    let bytes = files::read_limited(path, MAX_SIGSTORE_CONFIG_BYTES)?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::error("io", format!("{}: not UTF-8 text", path.display())))
}

/// The Sigstore trusted root in `path`, or `None` for the public-good one built in.
pub fn load_sigstore_root(path: Option<&Path>) -> Result<Option<TrustedRoot>, Failure> {
    let Some(path) = path else { return Ok(None) };
    let json = read_json_text(path)?;
    sigstore::trusted_root(Some(&json))
        .map(Some)
        .map_err(|e| Failure::error("trusted-root", format!("{}: {e}", path.display())))
}

/// The trusted root to use: the loaded one, else the public-good one.
pub fn root_or_public_good(loaded: &Option<TrustedRoot>) -> &TrustedRoot {
    loaded
        .as_ref()
        .unwrap_or_else(|| sigstore::public_good_root())
}

/// What keyless signing reads from files: the signing config (services) and the Sigstore
/// trusted root the new signature is checked against; the public-good ones when not given.
pub struct SigningFiles {
    config: Option<String>,
    root: Option<TrustedRoot>,
}

impl SigningFiles {
    pub fn load(config: Option<&Path>, root: Option<&Path>) -> Result<Self, Failure> {
        Ok(SigningFiles {
            config: config.map(read_json_text).transpose()?,
            root: load_sigstore_root(root)?,
        })
    }

    pub fn services(
        &self,
    ) -> Result<skillsig::signing::keyless::SigningServices, skillsig::signing::keyless::KeylessError>
    {
        skillsig::signing::keyless::services(self.config.as_deref())
    }

    pub fn root(&self) -> &TrustedRoot {
        root_or_public_good(&self.root)
    }
}

/// Keyless signatures: which Sigstore root certificates chain to, and (ad hoc, instead of the
/// trust root) which identity must have signed. Spelled as cosign spells them.
#[derive(Args, Debug, Default)]
pub struct CertificateArgs {
    /// Accept only a keyless signature whose certificate names exactly this identity (an email,
    /// or for CI a workflow URI), from --certificate-oidc-issuer. Replaces the trust root: no
    /// key signature and no namespace rule applies.
    #[arg(long, value_name = "IDENTITY", conflicts_with = "trust_root")]
    pub certificate_identity: Option<String>,
    /// Like --certificate-identity, with a regular expression that must match the whole identity
    /// (skillsig anchors it; cosign does not).
    #[arg(
        long,
        value_name = "REGEX",
        conflicts_with_all = ["trust_root", "certificate_identity"]
    )]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer that must have vouched for the identity, e.g.
    /// https://token.actions.githubusercontent.com.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,
    /// The Sigstore trusted root that certificates and log entries must chain to
    /// [default: the public-good root built into skillsig].
    #[arg(long, value_name = "FILE")]
    pub sigstore_trusted_root: Option<PathBuf>,
}

impl CertificateArgs {
    /// The ad-hoc identity, when one was given.
    pub fn identity(&self) -> Result<Option<CertificateIdentity>, Failure> {
        let usage = |m: &str| Failure::error("usage", m.to_owned());
        match (
            &self.certificate_identity,
            &self.certificate_identity_regexp,
            &self.certificate_oidc_issuer,
        ) {
            (None, None, None) => Ok(None),
            (Some(identity), None, Some(issuer)) => {
                Ok(Some(CertificateIdentity::exact(issuer, identity)))
            }
            (None, Some(pattern), Some(issuer)) => CertificateIdentity::regex(issuer, pattern)
                .map(Some)
                .map_err(|e| usage(&format!("--certificate-identity-regexp: {e}"))),
            (_, _, None) => Err(usage(
                "--certificate-identity and --certificate-identity-regexp need --certificate-oidc-issuer",
            )),
            (None, None, Some(_)) => Err(usage(
                "--certificate-oidc-issuer needs --certificate-identity or --certificate-identity-regexp",
            )),
            (Some(_), Some(_), _) => Err(usage(
                "give --certificate-identity or --certificate-identity-regexp, not both",
            )),
        }
    }
}

/// Who may sign, as the flags say: the trust root, or an ad-hoc certificate identity; and the
/// Sigstore root. Owns what [`Authority`] borrows.
pub struct Signers {
    trust_root: Option<TrustRoot>,
    identity: Option<CertificateIdentity>,
    sigstore_root: Option<TrustedRoot>,
}

impl Signers {
    /// Loads the trust root unless an ad-hoc identity was given.
    pub fn load(
        trust_root: Option<&Path>,
        certificate: &CertificateArgs,
        now: jiff::Timestamp,
    ) -> Result<Self, Failure> {
        let sigstore_root = load_sigstore_root(certificate.sigstore_trusted_root.as_deref())?;
        let identity = certificate.identity()?;
        let trust_root = match identity {
            Some(_) => None,
            None => Some(load_trust_root(trust_root, now)?),
        };
        Ok(Signers {
            trust_root,
            identity,
            sigstore_root,
        })
    }

    pub fn authority(&self) -> Authority<'_> {
        let authority = match (&self.trust_root, &self.identity) {
            (Some(root), _) => Authority::trust_root(root),
            (None, identity) => Authority::identities(identity.iter().cloned().collect()),
        };
        match &self.sigstore_root {
            Some(root) => authority.with_sigstore_root(root),
            None => authority,
        }
    }
}

/// Whether a browser login may be offered: only with a person at a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}
