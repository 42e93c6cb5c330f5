//! `skillsig verify`: check a signed bundle against the trust root and show what it asks for.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};
use skillsig::Limits;
use skillsig::signing::envelope::{self, MAX_SIGNATURE_FILE_BYTES};
use skillsig::verify::{self, VerifiedSkill};

use crate::failure::{Failure, print_json};
use crate::files;
use crate::sign::beside;
use crate::trust::load_trust_root;

const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  verified
  1  verification failed (the message names the check)
  2  usage error, or a file could not be read";

/// Verify a signed bundle against the trust root, then show the publisher, the key and the
/// permissions the Skill asks for.
///
/// Checks, in order, stopping at the first failure: the trust root (signatures, expiry, no
/// rollback); the signature file parses; the signing key is in the trust root; the signature
/// verifies; the key is not revoked and is within its validity window; its publisher may sign
/// the namespace; every file matches the manifest (no extra, missing or changed file, no
/// exec-bit change) and the tree digest recomputes; the bundle's own name, version and
/// permissions equal the manifest's. Nothing is extracted or written, except that the trust
/// root's version is remembered for rollback protection.
#[derive(Args)]
#[command(after_help = VERIFY_EXIT_CODES)]
pub struct VerifyArgs {
    /// The `.skill` file.
    pub bundle: PathBuf,
    /// The signature file [default: BUNDLE.sigstore.json].
    #[arg(long)]
    pub signature: Option<PathBuf>,
    /// The trust root [default: $SKILLSIG_TRUST_ROOT, else trust.json in the config folder].
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &VerifyArgs) -> Result<(), Failure> {
    let failed = |f: Failure| f.with_json("verified", Value::Bool(false));
    let limits = Limits::DEFAULT;
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| beside(&args.bundle, envelope::FILE_SUFFIX));
    let bundle = files::read_limited(&args.bundle, limits.max_bundle_bytes).map_err(failed)?;
    let signature =
        files::read_limited(&signature_path, MAX_SIGNATURE_FILE_BYTES).map_err(failed)?;
    let now = jiff::Timestamp::now();
    let root = load_trust_root(args.trust_root.as_deref(), now).map_err(failed)?;
    let verified = verify::verify(&bundle, &signature, &root, now, &limits).map_err(|err| {
        failed(Failure::refused(
            err.code(),
            format!("{}: verification failed: {err}", args.bundle.display()),
        ))
    })?;
    if args.json {
        print_json(&result_json(&verified));
    } else {
        print_human(&verified);
    }
    Ok(())
}

fn result_json(verified: &VerifiedSkill) -> Value {
    let manifest = verified.manifest();
    let id = manifest.id();
    let (root_name, root_version) = verified.trust_root();
    json!({
        "verified": true,
        "skill": {
            "id": id.to_string(),
            "namespace": id.namespace,
            "name": id.name,
            "version": id.version.to_string(),
            "description": manifest.statement().predicate.skill.description,
        },
        "publisher": verified.publisher(),
        "key_id": verified.key_id().to_string(),
        "trust_root": {"name": root_name, "version": root_version},
        "tree_digest": format!("sha256:{}", hex::encode(manifest.tree_digest())),
        "files": manifest.records().len(),
        "permissions": manifest.permissions(),
        "permissions_described": manifest.permissions().describe(),
    })
}

fn print_human(verified: &VerifiedSkill) {
    let manifest = verified.manifest();
    let (root_name, root_version) = verified.trust_root();
    println!("Verified {}", manifest.id());
    println!("  publisher   {}", verified.publisher());
    println!("  key         {}", verified.key_id());
    println!("  trust root  {root_name} version {root_version}");
    println!(
        "  files       {} (tree sha256:{})",
        manifest.records().len(),
        hex::encode(manifest.tree_digest())
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
