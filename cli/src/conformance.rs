//! `skillsig verify-bundle` and `skillsig sign-bundle`: the Sigstore conformance suite's
//! client protocol, so that the public suite can drive the binary unmodified.

use std::path::{Path, PathBuf};

use clap::Args;
use skillsig::signing::keyless::{self, TokenSources};
use skillsig::sigstore::{self, SignedArtifact, Signer};

use crate::failure::Failure;
use crate::files;
use crate::keyless::{SigningFiles, interactive, read_json_text};

/// Verify a Sigstore bundle over a file or a `sha256:` digest, offline, as the Sigstore
/// conformance suite drives clients: with a certificate identity and OIDC issuer, or with a
/// managed public key. The trusted root is the Sigstore public-good one built into skillsig
/// unless --trusted-root names another (staging, a private deployment).
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct VerifyBundleArgs {
    /// The Sigstore bundle (JSON).
    #[arg(long)]
    pub bundle: PathBuf,
    /// The certificate's expected identity (SAN), exactly.
    #[arg(long, requires = "certificate_oidc_issuer", conflicts_with = "key")]
    pub certificate_identity: Option<String>,
    /// The OIDC issuer that must have vouched for the identity.
    #[arg(long, requires = "certificate_identity")]
    pub certificate_oidc_issuer: Option<String>,
    /// Verify with this public key (PEM) instead of a certificate identity.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// A Sigstore trusted root [default: the public-good root built in].
    #[arg(long)]
    pub trusted_root: Option<PathBuf>,
    /// The signed file, or its digest as `sha256:<64 hex digits>`.
    pub file_or_digest: String,
}

/// A digest when it reads `sha256:<64 hex>` and is not a path on disk; otherwise the file.
fn artifact(arg: &str) -> Result<SignedArtifact, Failure> {
    if let Some(hex_digest) = arg.strip_prefix("sha256:")
        && hex_digest.len() == 64
        && hex_digest.bytes().all(|b| b.is_ascii_hexdigit())
        && !Path::new(arg).exists()
    {
        let mut digest = [0u8; 32];
        hex::decode_to_slice(hex_digest, &mut digest)
            .map_err(|e| Failure::error("usage", e.to_string()))?;
        return Ok(SignedArtifact::Sha256(digest));
    }
    let bytes = std::fs::read(arg).map_err(|e| Failure::error("io", format!("{arg}: {e}")))?;
    Ok(SignedArtifact::Bytes(bytes))
}

pub fn verify(args: &VerifyBundleArgs) -> Result<(), Failure> {
    let signer = match (
        &args.certificate_identity,
        &args.certificate_oidc_issuer,
        &args.key,
    ) {
        (Some(identity), Some(issuer), None) => Signer::Identity {
            identity: identity.clone(),
            issuer: issuer.clone(),
        },
        (None, None, Some(key)) => Signer::Key {
            public_key_pem: read_json_text(key)?,
        },
        _ => {
            return Err(Failure::error(
                "usage",
                "give --certificate-identity with --certificate-oidc-issuer, or --key",
            ));
        }
    };
    let bundle = read_json_text(&args.bundle)?;
    let root_json = args
        .trusted_root
        .as_deref()
        .map(read_json_text)
        .transpose()?;
    let root = sigstore::trusted_root(root_json.as_deref())
        .map_err(|e| Failure::error("trusted-root", e.to_string()))?;
    let artifact = artifact(&args.file_or_digest)?;
    sigstore::verify_bundle(&bundle, &artifact, &signer, &root)
        .map_err(|e| Failure::refused("sigstore", format!("{}: {e}", args.bundle.display())))?;
    println!("Verified {}", args.bundle.display());
    Ok(())
}

/// Sign a file keyless and write a Sigstore bundle, as the Sigstore conformance suite drives
/// clients (and as skillsig's release workflow signs its SHA256SUMS): Fulcio certifies an ephemeral key for the identity token's subject, the signature
/// (a `hashedrekord` over the file) is logged in Rekor, and the bundle is verified against the
/// trusted root before it is written. Services come from --signing-config, else the public-good
/// ones; the trusted root from --trusted-root, else the public-good one.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct SignBundleArgs {
    /// The OIDC identity token (a JWT) to sign with [default: from the environment, as
    /// `skillsig sign --keyless` finds it].
    #[arg(long, value_name = "TOKEN")]
    pub identity_token: Option<String>,
    /// Where to write the Sigstore bundle (JSON).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// A Sigstore trusted root [default: the public-good root built in].
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// A Sigstore signing config [default: the public-good services].
    #[arg(long, value_name = "FILE")]
    pub signing_config: Option<PathBuf>,
    /// The file to sign.
    pub file: PathBuf,
}

pub fn sign(args: &SignBundleArgs) -> Result<(), Failure> {
    let artifact = files::read_limited(&args.file, 1024 * 1024 * 1024)?;
    let inputs = SigningFiles::load(args.signing_config.as_deref(), args.trusted_root.as_deref())?;
    let refused = |e: keyless::KeylessError| {
        Failure::refused(
            "sigstore",
            format!("{}: {e}\nNothing was signed.", args.file.display()),
        )
    };
    let services = inputs.services().map_err(refused)?;
    let sources = TokenSources::from_environment(args.identity_token.clone(), interactive());
    let token = keyless::identity_token(&sources, &services).map_err(refused)?;
    let signed =
        keyless::sign_artifact(&artifact, &token, &services, inputs.root()).map_err(refused)?;
    files::replace(&args.bundle, signed.bundle_json.as_bytes())?;
    println!(
        "Signed {} as {} (issuer {})",
        args.file.display(),
        signed.signer.identity,
        signed.signer.issuer
    );
    Ok(())
}
