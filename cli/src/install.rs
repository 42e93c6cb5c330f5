//! `skillsig install` and `skillsig audit`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use skillsig::Limits;
use skillsig::install::lock::{LockError, LockFile, LockedSkill};
use skillsig::install::{self, InstallError, audit, fetch};
use skillsig::scan::Severity;

use crate::args::load_policy;
use crate::failure::{Failure, print_json};
use crate::keyless::{CertificateArgs, Signers, load_sigstore_root};
use crate::trust::load_trust_root;
use skillsig::verify::Authority;

const INSTALL_EXIT_CODES: &str = "\
Exit codes:
  0  installed
  1  refused: verification, policy, a blocking finding, the download was refused, or you declined
  2  usage error, or a file or the network could not be read or written";

/// Install a Skill: fetch, verify against the trust root, scan, apply the install policy, show
/// what it asks for, ask (unless --yes, or stdin is not a terminal: then the policy alone
/// decides), then write it atomically with a receipt in `<skill>/.skillsig/`.
///
/// SOURCE is a `.skill` file (its signature beside it as `<file>.sigstore.json`, or
/// --signature) or an https:// URL (the signature from `<url>.sigstore.json`; plain http only to
/// loopback addresses). The destination defaults to OpenClaw's: `<workspace>/skills` inside an
/// OpenClaw workspace (OPENCLAW_WORKSPACE, or a folder above holding AGENTS.md or SOUL.md), else
/// ~/.openclaw/skills. If anything fails nothing is written, and an installed older version
/// stays until the new one is in place. Installs into one folder take turns; a file or a
/// symbolic link where the Skill's folder would go is refused and left alone. Every redirect
/// must be https, or plain http to loopback. SKILLSIG_HTTP_TIMEOUT_SECS sets the network timeout.
#[derive(Args)]
#[command(after_help = INSTALL_EXIT_CODES)]
pub struct InstallArgs {
    /// A `.skill` file or an https:// URL.
    pub source: String,
    /// Where to install [default: OpenClaw's skills folder].
    #[arg(long)]
    pub dest: Option<PathBuf>,
    /// The signature file or URL [default: SOURCE.sigstore.json].
    #[arg(long)]
    pub signature: Option<String>,
    /// Install from this registry (a folder, or an https:// URL): SOURCE is then
    /// `namespace/name[@REQUIREMENT]`, e.g. `acme/weather@^1.2`; the highest matching version
    /// that is not yanked, after every check of the registry's signed metadata.
    #[arg(long, value_name = "FOLDER_OR_URL", conflicts_with = "signature")]
    pub registry: Option<String>,
    /// With --registry: allow pre-release versions.
    #[arg(long, requires = "registry")]
    pub pre: bool,
    /// With --registry: install exactly what DEST/skillsig.lock records (version, tree digest,
    /// signer), or refuse. Without it, a registry install records itself in the lock.
    #[arg(long, requires = "registry")]
    pub locked: bool,
    /// The trust root [default: $SKILLSIG_TRUST_ROOT, else trust.json in the config folder].
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    /// The install policy [default: $SKILLSIG_POLICY, else policy.toml in the config folder, else built in].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Install without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub certificate: CertificateArgs,
    /// Install an unsigned Skill; the policy must also say `allow_unsigned = true`.
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A skillsig.lock that cannot be read or written is an error; one that refuses the install is
/// a refusal.
fn lock_failure(e: LockError) -> Failure {
    match e {
        LockError::File { .. } => Failure::error("lock", e.to_string()),
        _ => Failure::refused("lock-drift", format!("{e}\nNothing was installed.")),
    }
}

/// Resolves `args.source` (`namespace/name[@REQ]`) in a registry; with --locked, exactly the
/// version `lock` records. Returns the bytes and what the lock should record.
fn from_registry(
    args: &InstallArgs,
    address: &str,
    root: Option<&skillsig::trust::TrustRoot>,
    lock: &LockFile,
    now: jiff::Timestamp,
) -> Result<(fetch::Fetched, String, LockedSkill), Failure> {
    let root = root.ok_or_else(|| {
        Failure::error(
            "usage",
            "installing from a registry needs a trust root, not only identities",
        )
    })?;
    let (id, requirement) = match args.source.split_once('@') {
        Some((id, req)) => (id, req.to_owned()),
        None => (args.source.as_str(), "*".to_owned()),
    };
    let (namespace, name) = crate::registry::parse_id(id)?;
    let id = format!("{namespace}/{name}");
    let requirement = if args.locked {
        format!("={}", lock.locked(&id).map_err(lock_failure)?.version)
    } else {
        requirement
    };
    let requirement = semver::VersionReq::parse(&requirement)
        .map_err(|e| Failure::error("usage", format!("{requirement:?}: {e}")))?;
    let store = crate::registry::open_store(address)?;
    let resolved = crate::registry::client(store.as_ref(), root)
        .resolve(&namespace, &name, &requirement, args.pre, now)
        .map_err(|e| {
            Failure::refused(e.code(), format!("{address}: {e}\nNothing was installed."))
        })?;
    if let Some(warning) = &resolved.warning {
        eprintln!("warning: {warning}");
    }
    let signer = &resolved.entry.signer;
    let found = LockedSkill {
        version: resolved.entry.version.clone(),
        tree_digest: resolved.entry.tree_digest.clone(),
        publisher: signer.publisher.clone(),
        signer: signer
            .key_id
            .clone()
            .or(signer.identity.clone())
            .unwrap_or_default(),
        registry: address.to_owned(),
    };
    if args.locked {
        lock.check(&id, &found).map_err(lock_failure)?;
    }
    let origin = format!("{address} {id}@{}", resolved.entry.version);
    Ok((resolved.into_fetched(origin), id, found))
}

pub fn run(args: &InstallArgs) -> Result<(), Failure> {
    let limits = Limits::DEFAULT;
    let now = jiff::Timestamp::now();
    let (policy, _) = load_policy(args.policy.as_deref())?;
    let dest = args
        .dest
        .clone()
        .or_else(install::default_destination)
        .ok_or_else(|| Failure::error("usage", "no destination: pass --dest"))?;
    let signers = Signers::load(args.trust_root.as_deref(), &args.certificate, now)?;
    let authority = signers.authority();
    let lock = match &args.registry {
        Some(_) => Some(LockFile::load(&dest).map_err(|e| Failure::error("lock", e.to_string()))?),
        None => None,
    };
    let (fetched, locked) = match (&args.registry, &lock) {
        (Some(address), Some(lock)) => {
            let (fetched, id, found) =
                from_registry(args, address, signers.authority().root(), lock, now)?;
            (fetched, Some((id, found)))
        }
        _ => (
            fetch::fetch(
                &args.source,
                args.signature.as_deref(),
                limits.max_bundle_bytes,
            )
            .map_err(|err| match err {
                fetch::FetchError::Http { .. } | fetch::FetchError::File { .. } => {
                    Failure::error("fetch", err.to_string())
                }
                _ => Failure::refused("fetch-refused", format!("{err}\nNothing was installed.")),
            })?,
            None,
        ),
    };
    let approved = install::approve(
        &fetched,
        &authority,
        &policy,
        args.allow_unsigned,
        now,
        &limits,
    )
    .map_err(|err| match err {
        InstallError::Io { .. } => Failure::error("io", err.to_string()),
        InstallError::Verify(ref e) => Failure::refused(
            e.code(),
            format!("{}: {err}\nNothing was installed.", args.source),
        ),
        InstallError::Registry(ref e) => Failure::refused(
            e.code(),
            format!("{}: {err}\nNothing was installed.", args.source),
        ),
        _ => Failure::refused(
            err.code(),
            format!("{}: {err}\nNothing was installed.", args.source),
        ),
    })?;
    let manifest = approved.manifest();
    let receipt = approved.receipt();
    if !receipt.signed {
        eprintln!(
            "WARNING: installing an UNSIGNED Skill: nobody vouches for these files (policy allow_unsigned + --allow-unsigned)"
        );
    }
    let target = dest.join(&manifest.id().name);
    if !args.json {
        println!("{}", manifest.id());
        match (
            &receipt.publisher,
            &receipt.key_id,
            &receipt.certificate_identity,
        ) {
            (Some(publisher), Some(key), _) => println!("  signed by   {publisher} (key {key})"),
            (Some(publisher), None, Some(cert)) => println!(
                "  signed by   {publisher} ({}, issuer {})",
                cert.identity, cert.issuer
            ),
            _ => println!("  signed by   nobody (unsigned)"),
        }
        println!(
            "  install to  {}{}",
            target.display(),
            if target.exists() {
                " (replaces the installed version)"
            } else {
                ""
            }
        );
        let described = manifest.permissions().describe();
        if described.is_empty() {
            println!("  asks for    nothing: no network, programs, environment variables or files");
        } else {
            println!("  asks permission to:");
            for line in described {
                println!("    - {line}");
            }
        }
        for finding in approved
            .report()
            .findings
            .iter()
            .filter(|f| f.severity > Severity::Info && f.is_active())
        {
            println!(
                "  {} {} {}:{} {}",
                finding.severity, finding.rule, finding.file, finding.line, finding.message
            );
        }
    }
    if !args.yes && std::io::stdin().is_terminal() {
        eprint!("Install {}? [y/N] ", manifest.id());
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Failure::error("io", e.to_string()))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(Failure::refused("declined", "not installed: you declined"));
        }
    }
    let write_failure = |e: InstallError| match e {
        InstallError::TargetNotAFolder(_) => Failure::error("target-not-a-folder", e.to_string()),
        InstallError::TargetIsSymlink(_) => Failure::error("target-is-symlink", e.to_string()),
        _ => Failure::error("io", format!("{e}\nNothing was installed.")),
    };
    // Other installs into `dest` wait from here until the Skill and skillsig.lock are written.
    let destination = install::LockedDestination::acquire(&dest).map_err(write_failure)?;
    // Read the lock file again under the lock, so that what another install recorded in the
    // meantime is kept, and --locked is checked against what the lock says now.
    let lock = match &locked {
        Some((id, found)) => {
            let lock = LockFile::load(&dest).map_err(|e| Failure::error("lock", e.to_string()))?;
            if args.locked {
                lock.check(id, found).map_err(lock_failure)?;
            }
            Some(lock)
        }
        None => None,
    };
    let installed = install::write(&approved, &destination).map_err(write_failure)?;
    if let (Some((id, found)), Some(mut lock)) = (locked, lock) {
        lock.skills.insert(id, found);
        lock.save(&dest)
            .map_err(|e| Failure::error("lock", format!("installed, but {e}")))?;
    }
    drop(destination);
    if args.json {
        print_json(
            &json!({"installed": installed, "skill": manifest.id().to_string(), "receipt": receipt}),
        );
    } else {
        println!("Installed {} in {}", manifest.id(), installed.display());
    }
    Ok(())
}

/// Audit installed Skills, reading only: the stored signature verified again against today's
/// trust root and policy (the receipt is not taken on its word: no signature is a problem unless
/// the policy allows unsigned Skills), the files against the manifest that signature covers
/// (changed, added, removed, exec bit), anything in the folder that is not a plain file (links,
/// special files, .git) or that the scanner skipped, a Skill folder that is itself a link,
/// findings that block under today's rules and policy, Skills of the same name in several
/// locations (the first one OpenClaw loads shadows the others), and folders an interrupted
/// install left behind (the next install removes them). Every problem has a code; see
/// docs/install.md.
///
/// DIR defaults to OpenClaw's Skill locations: <workspace>/skills, <workspace>/.agents/skills,
/// ~/.agents/skills, ~/.openclaw/skills. Exit 1 if any Skill is not clean.
#[derive(Args)]
pub struct AuditArgs {
    /// Skill folders, or folders of Skills [default: OpenClaw's Skill locations].
    pub dirs: Vec<PathBuf>,
    /// The trust root [default: $SKILLSIG_TRUST_ROOT, else trust.json in the config folder].
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    /// The install policy [default: $SKILLSIG_POLICY, else policy.toml in the config folder, else built in].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The Sigstore trusted root for keyless signatures [default: the public-good root].
    #[arg(long, value_name = "FILE")]
    pub sigstore_trusted_root: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn audit(args: &AuditArgs) -> Result<(), Failure> {
    let limits = Limits::DEFAULT;
    let now = jiff::Timestamp::now();
    let (policy, _) = load_policy(args.policy.as_deref())?;
    let locations: Vec<PathBuf> = if args.dirs.is_empty() {
        audit::default_locations()
            .into_iter()
            .filter(|d| d.is_dir())
            .collect()
    } else {
        for dir in &args.dirs {
            if !dir.is_dir() {
                return Err(Failure::error(
                    "io",
                    format!("{}: not a folder", dir.display()),
                ));
            }
        }
        args.dirs.clone()
    };
    // Without a trust root, signed Skills cannot be checked: that is reported per Skill.
    let root = load_trust_root(args.trust_root.as_deref(), now).ok();
    let sigstore_root = load_sigstore_root(args.sigstore_trusted_root.as_deref())?;
    let authority = root.as_ref().map(|root| {
        let authority = Authority::trust_root(root);
        match &sigstore_root {
            Some(sigstore_root) => authority.with_sigstore_root(sigstore_root),
            None => authority,
        }
    });
    let mut skills: Vec<audit::AuditedSkill> = locations
        .iter()
        .flat_map(|l| audit::skill_folders(l))
        .map(|dir| audit::audit_skill(&dir, authority.as_ref(), &policy, now, &limits))
        .collect();
    skills.extend(locations.iter().flat_map(|l| audit::stale_staging(l)));
    for (name, dirs) in audit::shadowing(&locations) {
        for shadowed in dirs.iter().skip(1) {
            if let Some(skill) = skills.iter_mut().find(|s| &s.path == shadowed) {
                skill.clean = false;
                skill.problems.push(audit::Problem {
                    code: "shadowed",
                    message: format!(
                        "{name} in {} is loaded first and shadows this one",
                        dirs[0].display()
                    ),
                });
            }
        }
    }
    let dirty = skills.iter().filter(|s| !s.clean).count();
    if args.json {
        print_json(&json!({"clean": dirty == 0, "locations": locations, "skills": skills}));
    } else {
        if skills.is_empty() {
            println!(
                "no installed Skills found in {}",
                locations
                    .iter()
                    .map(|l| l.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for skill in &skills {
            println!(
                "{}  {}  {}",
                if skill.clean { "CLEAN" } else { "PROBLEM" },
                skill.skill,
                skill.path.display()
            );
            for problem in &skill.problems {
                println!("  [{}] {}", problem.code, problem.message);
            }
        }
    }
    if dirty > 0 {
        let failure = Failure::refused(
            "audit",
            format!(
                "{dirty} of {} installed Skill(s) are not clean",
                skills.len()
            ),
        );
        return Err(if args.json {
            failure.json_already_printed()
        } else {
            failure
        });
    }
    Ok(())
}
