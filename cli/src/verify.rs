//! `skillsig verify`: check a signed bundle against the trust root and show what it asks for.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Value, json};
use skillsig::Limits;
use skillsig::policy::{self, Policy};
use skillsig::scan::{self, ScanInput, ScanOptions, SkillReport};
use skillsig::signing::envelope::{self, MAX_SIGNATURE_FILE_BYTES};
use skillsig::verify::{self, SignedBy, VerifiedSkill, VerifyError};

use crate::failure::{Failure, print_json};
use crate::files;
use crate::keyless::{CertificateArgs, Signers};
use crate::sign::beside;

const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  verified
  1  refused: no signature, not a bundle, or a check failed (the message names it)
  2  usage, configuration or I/O error (a missing trust root, an unreadable file)";

/// Verify a signed bundle against the trust root, then show the publisher, the key or
/// certificate identity, and the permissions the Skill asks for.
///
/// Checks, in order, stopping at the first failure: the trust root (signatures, expiry, no
/// rollback); the signature file parses; the signing key is in the trust root; the signature
/// verifies; the key is not revoked and is within its validity window; its publisher may sign
/// the namespace. A keyless signature (made with `sign --keyless`) is checked offline against
/// the Sigstore trusted root instead (certificate chain, SCT, signature, Rekor inclusion proof
/// and signed checkpoint, log time inside the certificate's validity), and its certificate
/// identity must be a publisher's identity in the trust root, which may sign the namespace —
/// or, for ad-hoc checks without a trust root, the identity given with
/// --certificate-identity[-regexp] and --certificate-oidc-issuer.
///
/// A Skill *folder* with an OpenSSF model-signing signature (`skill.oms.sig`, as NVIDIA ships)
/// is verified by the OMS rules instead: every file's digest, nothing extra or missing, the
/// subject digest, the signature; the signer must chain to a CA a publisher pins (`trust
/// add-ca`), be a publisher key, or a Sigstore identity. Such a signature declares no
/// permissions: the scan's capabilities are reported as undeclared, and the policy's
/// `require_declared_permissions` decides. Then: every file matches the manifest (no extra, missing or changed file, no
/// exec-bit change) and the tree digest recomputes; the bundle's own name, version and
/// permissions equal the manifest's. Then the install policy: the publisher and trust root
/// version, the permissions the Skill declares (deny and allow lists), and a scan of the
/// verified files (findings at the policy's `block_at` or above, or in its `rules.deny`, refuse).
/// Nothing is extracted or written, except that the trust root's version is remembered for
/// rollback protection.
#[derive(Args)]
#[command(after_help = VERIFY_EXIT_CODES)]
pub struct VerifyArgs {
    /// The `.skill` file, or a Skill folder signed with OpenSSF model-signing (`skill.oms.sig`).
    pub bundle: PathBuf,
    /// The signature file [default: BUNDLE.sigstore.json; for a folder, DIR/skill.oms.sig].
    #[arg(long)]
    pub signature: Option<PathBuf>,
    /// The trust root [default: $SKILLSIG_TRUST_ROOT, else trust.json in the config folder].
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    /// The install policy [default: $SKILLSIG_POLICY, else policy.toml in the config folder,
    /// else the built-in default: signature required, findings at high or above block].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub certificate: CertificateArgs,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Reads the policy: the given file, else the default file if it exists, else the default.
pub fn load_policy(given: Option<&std::path::Path>) -> Result<(Policy, Option<PathBuf>), Failure> {
    let path = match given {
        Some(path) => Some(path.to_owned()),
        None => policy::default_path().filter(|p| p.exists()),
    };
    let Some(path) = path else {
        return Ok((Policy::default(), None));
    };
    let bytes = files::read_limited(&path, 1024 * 1024)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::error("policy", format!("{}: not UTF-8 text", path.display())))?;
    let policy = Policy::from_toml(&text)
        .map_err(|e| Failure::error("policy", format!("{}: {e}", path.display())))?;
    Ok((policy, Some(path)))
}

pub fn run(args: &VerifyArgs) -> Result<(), Failure> {
    if args.bundle.is_dir() {
        return crate::oms::verify_folder(args);
    }
    let failed = |f: Failure| f.with_json("verified", Value::Bool(false));
    let limits = Limits::DEFAULT;
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| beside(&args.bundle, envelope::FILE_SUFFIX));
    let bundle = files::read_limited(&args.bundle, limits.max_bundle_bytes).map_err(failed)?;
    if args.signature.is_none() && !signature_path.exists() {
        return Err(failed(unsigned(
            &args.bundle,
            &signature_path,
            &bundle,
            &limits,
        )));
    }
    let signature =
        files::read_limited(&signature_path, MAX_SIGNATURE_FILE_BYTES).map_err(failed)?;
    let now = jiff::Timestamp::now();
    let (policy, _policy_path) = load_policy(args.policy.as_deref()).map_err(failed)?;
    let signers =
        Signers::load(args.trust_root.as_deref(), &args.certificate, now).map_err(failed)?;
    let authority = signers.authority();
    let verified =
        verify::verify(&bundle, &signature, &authority, now, &limits).map_err(|err| {
            let hint = match err {
                VerifyError::Content(_) => stale_signature_hint(args, &signature_path),
                _ => String::new(),
            };
            failed(Failure::refused(
                err.code(),
                format!(
                    "{}: verification failed: {err}{hint}",
                    args.bundle.display()
                ),
            ))
        })?;
    let report = scan::scan(
        &ScanInput::from_tree(verified.tree()),
        &ScanOptions {
            fail_on: policy.block_at,
            manifest_permissions: Some(verified.manifest().permissions().clone()),
        },
    );
    let mut violations = policy.check_signer(
        verified.publisher(),
        verified.trust_root().map_or(0, |(_, version)| version),
    );
    violations.extend(policy.check_declared(verified.manifest().permissions()));
    violations.extend(policy.check_scan(&report));
    if !violations.is_empty() {
        let what = format!(
            "{}: the signature verifies, but the install policy refuses {}",
            args.bundle.display(),
            verified.manifest().id()
        );
        return Err(failed(policy_refusal(&what, &violations)));
    }
    if args.json {
        print_json(&result_json(&verified, &report));
    } else {
        print_human(&verified, &report);
    }
    Ok(())
}

/// The refusal for a bundle with no signature beside it; a file that is no bundle at all is
/// said to be that first.
pub(crate) fn unsigned(
    bundle_path: &Path,
    signature_path: &Path,
    bundle: &[u8],
    limits: &Limits,
) -> Failure {
    let path = bundle_path.display();
    if let Err(err) = skillsig::bundle::read_bytes(bundle, limits) {
        return Failure::refused(
            "bundle-invalid",
            format!("{path} is not a skillsig bundle: {err}"),
        );
    }
    Failure::refused(
        "unsigned",
        format!(
            "no signature for {path} (looked for {}); the policy requires one\n\
             If you got the bundle from someone, get the .sigstore.json published with it and put it beside the bundle (or name it with --signature).\n\
             If it is yours, sign it: skillsig sign {path} --key KEY (or --keyless)",
            signature_path.display()
        ),
    )
}

/// When a bundle's files do not match the signed manifest and the signature is older than the
/// bundle, the likely cause: a signature left from an earlier pack.
fn stale_signature_hint(args: &VerifyArgs, signature_path: &Path) -> String {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match (modified(signature_path), modified(&args.bundle)) {
        (Some(signed), Some(packed)) if signed < packed => format!(
            "\nThe signature {} is older than the bundle: it was likely made for an earlier pack. re-sign the new bundle: skillsig sign {} --key KEY (or --keyless)",
            signature_path.display(),
            args.bundle.display()
        ),
        _ => String::new(),
    }
}

/// A verified Skill the install policy refuses: every violation, in text and in JSON.
pub fn policy_refusal(what: &str, violations: &[policy::Violation]) -> Failure {
    let list: Vec<String> = violations
        .iter()
        .map(|v| format!("[{}] {}", v.code, v.message))
        .collect();
    Failure::refused("policy", format!("{what}:\n{}", list.join("\n"))).with_json(
        "violations",
        serde_json::to_value(violations).expect("violations serialize"),
    )
}

fn result_json(verified: &VerifiedSkill, report: &SkillReport) -> Value {
    let manifest = verified.manifest();
    let id = manifest.id();
    let mut result = json!({
        "verified": true,
        "skill": {
            "id": id.to_string(),
            "namespace": id.namespace,
            "name": id.name,
            "version": id.version.to_string(),
            "description": manifest.statement().predicate.skill.description,
        },
        "publisher": verified.publisher(),
        "signer": signer_json(verified.signed_by()),
        "tree_digest": format!("sha256:{}", hex::encode(manifest.tree_digest())),
        "files": manifest.records().len(),
        "permissions": manifest.permissions(),
        "permissions_described": manifest.permissions().describe(),
        "scan": {"verdict": report.verdict, "counts": report.counts, "undeclared": report.undeclared},
    });
    if let SignedBy::Key(key_id) = verified.signed_by() {
        result["key_id"] = json!(key_id.to_string());
    }
    if let Some((name, version)) = verified.trust_root() {
        result["trust_root"] = json!({"name": name, "version": version});
    }
    result
}

fn signer_json(signed_by: &SignedBy) -> Value {
    match signed_by {
        SignedBy::Key(key_id) => json!({"kind": "key", "key_id": key_id.to_string()}),
        SignedBy::Certificate(c) => {
            json!({"kind": "certificate", "identity": c.identity, "issuer": c.issuer})
        }
    }
}

fn print_human(verified: &VerifiedSkill, report: &SkillReport) {
    let manifest = verified.manifest();
    println!("Verified {}", manifest.id());
    println!("  publisher   {}", verified.publisher());
    println!("  signed by   {}", verified.signed_by());
    match verified.trust_root() {
        Some((name, version)) => println!("  trust root  {name} version {version}"),
        None => println!("  trust root  none (identity given on the command line)"),
    }
    println!(
        "  files       {} (tree sha256:{})",
        manifest.records().len(),
        hex::encode(manifest.tree_digest())
    );
    let counts: Vec<String> = report
        .counts
        .iter()
        .rev()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    println!(
        "  scan        passes the install policy ({})",
        if counts.is_empty() {
            "no findings".to_owned()
        } else {
            counts.join(", ")
        }
    );
    let described = manifest.permissions().describe();
    if described.is_empty() {
        println!(
            "This Skill asks for no permissions: no network, programs, environment variables or files."
        );
    } else {
        println!("This Skill asks permission to:");
        for line in described {
            println!("  - {line}");
        }
    }
}
