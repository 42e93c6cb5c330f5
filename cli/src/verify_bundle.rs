//! `skillsig verify-bundle`: the Sigstore conformance suite's client protocol.

use std::path::{Path, PathBuf};

use clap::Args;
use skillsig::sigstore::{self, SignedArtifact, Signer};

use crate::failure::Failure;
use crate::files;

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

fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes = files::read_limited(path, 16 * 1024 * 1024)?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::error("io", format!("{}: not UTF-8 text", path.display())))
}

pub fn run(args: &VerifyBundleArgs) -> Result<(), Failure> {
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
            public_key_pem: read_text(key)?,
        },
        _ => {
            return Err(Failure::error(
                "usage",
                "give --certificate-identity with --certificate-oidc-issuer, or --key",
            ));
        }
    };
    let bundle = read_text(&args.bundle)?;
    let root_json = args.trusted_root.as_deref().map(read_text).transpose()?;
    let root = sigstore::trusted_root(root_json.as_deref())
        .map_err(|e| Failure::error("trusted-root", e.to_string()))?;
    let artifact = artifact(&args.file_or_digest)?;
    sigstore::verify_bundle(&bundle, &artifact, &signer, &root)
        .map_err(|e| Failure::refused("sigstore", format!("{}: {e}", args.bundle.display())))?;
    println!("Verified {}", args.bundle.display());
    Ok(())
}
