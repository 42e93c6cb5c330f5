//! `skillsig sign`: sign a bundle's manifest with an ed25519 key, or keyless with Sigstore.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;
use skillsig::Limits;
use skillsig::manifest::{self, MAX_MANIFEST_BYTES, Manifest};
use skillsig::signing::keyless::{self, KeylessSignature, TokenSources};
use skillsig::signing::{self, SignError, envelope};

use crate::failure::{Failure, print_json};
use crate::files;
use crate::keyless::{SigningFiles, interactive};

/// Sign a bundle: checks that the bundle matches its manifest, then writes
/// `<bundle>.sigstore.json`, a Sigstore bundle v0.3 holding a DSSE envelope over the manifest.
/// Without `<bundle>.manifest.json` beside it (or --manifest), the manifest is recomputed from
/// the bundle's own files, so the `.skill` file alone can be signed. What the code uses but
/// skillsig.toml does not declare is printed as a warning (--strict refuses).
///
/// With --key, an ed25519 key signs; its passphrase comes from SKILLSIG_PASSWORD, or is asked
/// for when stdin is a terminal.
///
/// With --keyless, Sigstore signs with your OIDC identity: the identity token comes from
/// --identity-token, else GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, which a job
/// gets with `permissions: id-token: write`), else SIGSTORE_ID_TOKEN, else a browser login when
/// stdin is a terminal. Fulcio certifies an ephemeral key for that identity, the signature is
/// logged in Rekor, and the resulting bundle is verified against the Sigstore trusted root
/// before it is written. The services come from a Sigstore signing config: the public-good one
/// built in, or --signing-config. Consumers then trust the identity the command prints, with
/// `skillsig trust add-publisher … --identity … --issuer …`.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct SignArgs {
    /// The `.skill` file; with --format oms, the Skill folder.
    pub bundle: PathBuf,
    /// What to write: a skillsig signature over the manifest (with permissions), or an OpenSSF
    /// model-signing signature over a Skill folder (`DIR/skill.oms.sig`, which the
    /// `model_signing` tools verify; it carries no permissions).
    #[arg(long, value_enum, default_value_t = SignatureFormat::Skillsig)]
    pub format: SignatureFormat,
    /// The private key (PKCS#8 PEM from `skillsig keygen`; for --format oms also an ECDSA
    /// P-256 PKCS#8 key, the kind `model_signing` verifies).
    #[arg(long, required_unless_present = "keyless", conflicts_with = "keyless")]
    pub key: Option<PathBuf>,
    /// Sign with a Sigstore certificate for your OIDC identity instead of a key.
    #[arg(long)]
    pub keyless: bool,
    /// The OIDC identity token for --keyless [default: from the environment; see above].
    #[arg(long, value_name = "TOKEN", requires = "keyless")]
    pub identity_token: Option<String>,
    /// A Sigstore signing config naming Fulcio, Rekor and the OIDC provider
    /// [default: the public-good services].
    #[arg(long, value_name = "FILE", requires = "keyless")]
    pub signing_config: Option<PathBuf>,
    /// The Sigstore trusted root the new signature is checked against
    /// [default: the public-good root].
    #[arg(long, value_name = "FILE", requires = "keyless")]
    pub sigstore_trusted_root: Option<PathBuf>,
    /// The manifest [default: BUNDLE.manifest.json if it exists, else recomputed from the
    /// bundle].
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Refuse to sign when the code uses what skillsig.toml does not declare.
    #[arg(long)]
    pub strict: bool,
    /// Where to write the signature [default: BUNDLE.sigstore.json].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The signature formats `sign` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SignatureFormat {
    Skillsig,
    Oms,
}

pub fn beside(bundle: &Path, suffix: &str) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

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
