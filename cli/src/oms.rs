//! `skillsig verify DIR` and `skillsig sign DIR --format oms`: OpenSSF model-signing
//! signatures (`skill.oms.sig`) on Skill folders.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use skillsig::Limits;
use skillsig::decision::{Judge, Judged, Refusal, Signer, Subject, decide};
use skillsig::oms::{self, OmsSigner, OmsTrust, VerifiedOms};
use skillsig::scan;
use skillsig::signing::keyless::TokenSources;

use crate::args::{SignArgs, VerifyArgs, load_policy, policy_refusal};
use crate::failure::{Failure, print_json};
use crate::files;
use crate::keyless::{Signers, SigningFiles, interactive};

pub fn verify_folder(args: &VerifyArgs) -> Result<(), Failure> {
    let failed = |f: Failure| f.with_json("verified", Value::Bool(false));
    let dir = &args.bundle;
    let limits = Limits::DEFAULT;
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| dir.join(oms::SIGNATURE_FILE));
    if !signature_path.is_file() {
        return Err(failed(Failure::error(
            "io",
            format!(
                "{}: no {} in this folder (verify a .skill bundle, or give --signature)",
                dir.display(),
                oms::SIGNATURE_FILE
            ),
        )));
    }
    let signature =
        files::read_limited(&signature_path, oms::MAX_SIGNATURE_BYTES).map_err(failed)?;
    let now = jiff::Timestamp::now();
    let (policy, _) = load_policy(args.policy.as_deref()).map_err(failed)?;
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
    let subject = Subject::OmsFolder {
        dir,
        signature: &signature,
        signature_path: &signature_path,
    };
    let decision = decide(&subject, &judge)
        .map_err(|err| failed(Failure::error(err.code(), err.to_string())))?;
    let refused = match decision.into_result() {
        Ok(accepted) => {
            let judged = accepted.judged();
            if let Signer::Oms(verified) = judged.signer() {
                if args.json {
                    print_json(&result_json(verified, judged));
                } else {
                    print_human(dir, verified, judged);
                }
                return Ok(());
            }
            return Err(failed(Failure::refused(
                "unsigned",
                format!("{}: not verified by its signature", dir.display()),
            )));
        }
        Err(refused) => refused,
    };
    Err(failed(match refused.reason() {
        Refusal::Policy | Refusal::Unsigned => {
            let what = format!(
                "{}: the OMS signature verifies, but the install policy refuses it",
                dir.display()
            );
            policy_refusal(&what, refused.violations())
        }
        reason => Failure::refused(
            refused.code(),
            format!("{}: verification failed: {reason}", dir.display()),
        ),
    }))
}

fn trust_json(trust: &OmsTrust) -> Value {
    match trust {
        OmsTrust::Certificate {
            subject,
            root_sha256,
        } => json!({"kind": "ca", "subject": subject, "root_sha256": root_sha256}),
        OmsTrust::Key(id) => json!({"kind": "key", "key_id": id.to_string()}),
        OmsTrust::Sigstore(c) => {
            json!({"kind": "certificate", "identity": c.identity, "issuer": c.issuer})
        }
    }
}

fn result_json(verified: &VerifiedOms, judged: &Judged) -> Value {
    let report = judged.report();
    json!({
        "verified": true,
        "format": "oms",
        "skill": verified.statement().subject[0].name,
        "publisher": verified.publisher(),
        "signer": trust_json(verified.trust()),
        "transparency_log": verified.transparency_log(),
        "files": verified.files().len(),
        "subject_digest": format!("sha256:{}", verified.statement().subject[0].digest.sha256),
        "permissions_declared": report.declaration != scan::DeclarationSource::None,
        "undeclared": judged.undeclared(),
        "scan": {"verdict": report.verdict, "counts": report.counts},
    })
}

fn print_human(dir: &Path, verified: &VerifiedOms, judged: &Judged) {
    let report = judged.report();
    println!(
        "Verified {} (OpenSSF model-signing signature)",
        dir.display()
    );
    println!("  publisher   {}", verified.publisher());
    match verified.trust() {
        OmsTrust::Certificate {
            subject,
            root_sha256,
        } => {
            println!("  signed by   {subject}");
            println!("  CA root     sha256:{root_sha256} (pinned in the trust root)");
        }
        OmsTrust::Key(id) => println!("  signed by   key {id}"),
        OmsTrust::Sigstore(c) => println!("  signed by   {} (issuer {})", c.identity, c.issuer),
    }
    println!(
        "  log         {}",
        if verified.transparency_log() {
            "Sigstore transparency log entry verified"
        } else {
            "no transparency log: nobody can audit when or how often this signer signed"
        }
    );
    println!(
        "  files       {} match the signature (subject sha256:{})",
        verified.files().len(),
        verified.statement().subject[0].digest.sha256
    );
    let undeclared = judged.undeclared();
    if report.declaration == scan::DeclarationSource::None {
        println!("  permissions none declared (an OMS signature carries none)");
    }
    if undeclared.is_empty() {
        println!("  uses        no undeclared capability");
    } else {
        println!("  undeclared  the code uses {}", undeclared.join(", "));
    }
}

/// The key for `sign --format oms --key`: a skillsig ed25519 key, or an ECDSA P-256 PKCS#8 key
/// (what `model_signing` signs and verifies with).
fn read_oms_key(path: &Path) -> Result<OmsSignerKey, Failure> {
    let bytes = files::read_limited(path, 64 * 1024)?;
    let text =
        zeroize::Zeroizing::new(String::from_utf8(bytes).map_err(|_| {
            Failure::error("key", format!("{}: not a PEM text file", path.display()))
        })?);
    if let Some(pair) = oms::ecdsa_p256_from_pem(&text) {
        return Ok(OmsSignerKey::Ecdsa(pair));
    }
    Ok(OmsSignerKey::Ed25519(Box::new(files::read_secret_key(
        path,
    )?)))
}

enum OmsSignerKey {
    Ed25519(Box<skillsig::signing::keys::SecretKey>),
    Ecdsa(skillsig::oms::EcdsaKeyPair),
}

pub fn sign_folder(args: &SignArgs) -> Result<(), Failure> {
    let dir = &args.bundle;
    if !dir.is_dir() {
        return Err(Failure::error(
            "usage",
            format!(
                "{}: --format oms signs a Skill folder, not a file",
                dir.display()
            ),
        ));
    }
    if !dir.join("SKILL.md").is_file() {
        return Err(Failure::error(
            "usage",
            format!("{}: no SKILL.md: not a Skill folder", dir.display()),
        ));
    }
    let output: PathBuf = args
        .output
        .clone()
        .unwrap_or_else(|| dir.join(oms::SIGNATURE_FILE));
    let limits = Limits::DEFAULT;
    let refused = |e: oms::OmsError| {
        Failure::refused(
            e.code(),
            format!("{}: {e}\nNothing was signed.", dir.display()),
        )
    };
    let text = match &args.key {
        Some(key_path) => match read_oms_key(key_path)? {
            OmsSignerKey::Ed25519(key) => {
                oms::sign_folder(dir, &OmsSigner::Ed25519(&key), &limits).map_err(refused)?
            }
            OmsSignerKey::Ecdsa(pair) => {
                oms::sign_folder(dir, &OmsSigner::EcdsaP256(pair), &limits).map_err(refused)?
            }
        },
        None => {
            let inputs = SigningFiles::load(
                args.signing_config.as_deref(),
                args.sigstore_trusted_root.as_deref(),
            )?;
            let services = inputs
                .services()
                .map_err(|e| refused(oms::OmsError::Sigstore(e.to_string())))?;
            let tokens = TokenSources::from_environment(args.identity_token.clone(), interactive());
            let signer = OmsSigner::Keyless {
                tokens: &tokens,
                services: &services,
                root: inputs.root(),
            };
            oms::sign_folder(dir, &signer, &limits).map_err(refused)?
        }
    };
    files::replace(&output, text.as_bytes())?;
    if args.json {
        print_json(&json!({"signature": output, "format": "oms", "folder": dir}));
    } else {
        println!("Signed {} (OpenSSF model-signing format)", dir.display());
        println!("  signature  {}", output.display());
    }
    Ok(())
}
