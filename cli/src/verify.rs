//! `skillsig verify`: check a signed bundle against the trust root and show what it asks for.

use std::path::Path;

use serde_json::{Value, json};
use skillsig::Limits;
use skillsig::decision::{Judge, Refusal, Signer, decide_bundle};
use skillsig::scan::SkillReport;
use skillsig::signing::envelope::{self, MAX_SIGNATURE_FILE_BYTES};
use skillsig::verify::{SignedBy, VerifiedSkill, VerifyError};

use crate::failure::{Failure, print_json};
use crate::files;
use crate::keyless::Signers;

pub use crate::args::VerifyArgs;
use crate::args::{beside, load_policy, policy_refusal};

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
    let judge = Judge {
        authority: Some(&authority),
        policy: &policy,
        allow_unsigned: false,
        now,
        limits: &limits,
    };
    let refused = match decide_bundle(&bundle, Some(&signature), &judge).into_result() {
        Ok(accepted) => {
            let judged = accepted.judged();
            if let Signer::Skill(verified) = judged.signer() {
                if args.json {
                    print_json(&result_json(verified, judged.report()));
                } else {
                    print_human(verified, judged.report());
                }
                return Ok(());
            }
            return Err(failed(Failure::refused(
                "unsigned",
                format!("{}: not verified by its signature", args.bundle.display()),
            )));
        }
        Err(refused) => refused,
    };
    Err(failed(match refused.reason() {
        Refusal::Verify(err) => {
            let hint = match err {
                VerifyError::Content(_) => stale_signature_hint(args, &signature_path),
                _ => String::new(),
            };
            Failure::refused(
                err.code(),
                format!(
                    "{}: verification failed: {err}{hint}",
                    args.bundle.display()
                ),
            )
        }
        _ => {
            let skill = refused
                .judged()
                .and_then(|j| j.manifest())
                .map(|m| m.id().to_string())
                .unwrap_or_default();
            let what = format!(
                "{}: the signature verifies, but the install policy refuses {skill}",
                args.bundle.display(),
            );
            policy_refusal(&what, refused.violations())
        }
    }))
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
