//! `skillsig sign`: sign a bundle's manifest with an ed25519 key, or keyless with Sigstore.

use serde_json::json;
use skillsig::Limits;
use skillsig::manifest::{self, MAX_MANIFEST_BYTES, Manifest};
use skillsig::signing::keyless::{self, KeylessSignature, TokenSources};
use skillsig::signing::{self, SignError, envelope};

use crate::failure::{Failure, print_json};
use crate::files;
use crate::keyless::{SigningFiles, interactive};

pub use crate::args::SignArgs;
use crate::args::{SignatureFormat, beside};

pub fn run(args: &SignArgs) -> Result<(), Failure> {
    if args.format == SignatureFormat::Oms {
        return crate::oms::sign_folder(args);
    }
    let limits = Limits::DEFAULT;
    let manifest_path = args
        .manifest
        .clone()
        .or_else(|| Some(beside(&args.bundle, manifest::FILE_SUFFIX)).filter(|path| path.exists()));
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| beside(&args.bundle, envelope::FILE_SUFFIX));
    let bundle = files::read_limited(&args.bundle, limits.max_bundle_bytes)?;
    let refused = |err: SignError| {
        let (code, subject) = match (&err, &manifest_path) {
            (SignError::Manifest(_), Some(path)) => ("sign-refused", path.display()),
            (SignError::Keyless(_), _) => ("sigstore", args.bundle.display()),
            _ => ("sign-refused", args.bundle.display()),
        };
        Failure::refused(code, format!("{subject}: {err}\nNothing was signed."))
    };
    let manifest = match &manifest_path {
        Some(path) => files::read_limited(path, MAX_MANIFEST_BYTES)?,
        None => signing::manifest_for_bundle(&bundle, &limits).map_err(refused)?,
    };
    check_declared(&bundle, &manifest, args.strict, &limits)?;
    let Some(key_path) = &args.key else {
        let inputs = SigningFiles::load(
            args.signing_config.as_deref(),
            args.sigstore_trusted_root.as_deref(),
        )?;
        let signed = sign_keyless(args, &bundle, &manifest, &inputs, &limits).map_err(refused)?;
        files::replace(&output, signed.bundle_json.as_bytes())?;
        let (identity, issuer) = (&signed.signer.identity, &signed.signer.issuer);
        if args.json {
            print_json(&json!({
                "signature": output,
                "bundle": args.bundle,
                "identity": identity,
                "issuer": issuer,
            }));
        } else {
            println!("Signed {} keyless as {identity}", args.bundle.display());
            println!("  issuer     {issuer}");
            println!("  signature  {}", output.display());
            println!("Consumers trust this signer with:");
            println!(
                "  skillsig trust add-publisher <id> --namespace <namespace> --identity '{identity}' --issuer '{issuer}'"
            );
        }
        return Ok(());
    };
    let key = files::read_secret_key(key_path)?;
    let signature = signing::sign_bundle(&bundle, &manifest, &key, &limits).map_err(refused)?;
    files::replace(&output, signature.as_bytes())?;
    let key_id = key.public().id().to_string();
    if args.json {
        print_json(&json!({"signature": output, "key_id": key_id, "bundle": args.bundle}));
    } else {
        println!("Signed {} with key {key_id}", args.bundle.display());
        println!("  signature  {}", output.display());
    }
    Ok(())
}

/// Warns (or with `strict`, refuses) when the bundle's code uses what its manifest does not
/// declare. A bundle or manifest that cannot be read is left for signing to refuse.
fn check_declared(
    bundle: &[u8],
    manifest: &[u8],
    strict: bool,
    limits: &Limits,
) -> Result<(), Failure> {
    let (Ok(bundle), Ok(manifest)) = (
        skillsig::bundle::read_bytes(bundle, limits),
        Manifest::from_json(manifest),
    ) else {
        return Ok(());
    };
    crate::pack::check_undeclared(
        &skillsig::pack::undeclared(&bundle.tree, manifest.permissions()),
        "the Skill's skillsig.toml",
        None,
        strict,
        "Declare it, pack again and sign the new bundle; nothing was signed.",
    )
}

fn sign_keyless(
    args: &SignArgs,
    bundle: &[u8],
    manifest: &[u8],
    inputs: &SigningFiles,
    limits: &Limits,
) -> Result<KeylessSignature, SignError> {
    let services = inputs.services()?;
    let sources = TokenSources::from_environment(args.identity_token.clone(), interactive());
    keyless::sign_bundle(bundle, manifest, &sources, &services, inputs.root(), limits)
}
