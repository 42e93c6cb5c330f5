//! `skillsig sign`: sign a bundle's manifest with an ed25519 key.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;
use skillsig::Limits;
use skillsig::manifest::{self, MAX_MANIFEST_BYTES};
use skillsig::signing::{self, SignError, envelope};

use crate::failure::{Failure, print_json};
use crate::files;

/// Sign a bundle: checks that the bundle matches its manifest, then writes
/// `<bundle>.sigstore.json`, a Sigstore bundle v0.3 holding a DSSE envelope over the manifest.
///
/// The key's passphrase comes from SKILLSIG_PASSWORD, or is asked for when stdin is a terminal.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct SignArgs {
    /// The `.skill` file.
    pub bundle: PathBuf,
    /// The private key (PKCS#8 PEM from `skillsig keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// The manifest [default: BUNDLE.manifest.json].
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Where to write the signature [default: BUNDLE.sigstore.json].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn beside(bundle: &Path, suffix: &str) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

pub fn run(args: &SignArgs) -> Result<(), Failure> {
    let limits = Limits::DEFAULT;
    let manifest_path = args
        .manifest
        .clone()
        .unwrap_or_else(|| beside(&args.bundle, manifest::FILE_SUFFIX));
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| beside(&args.bundle, envelope::FILE_SUFFIX));
    let bundle = files::read_limited(&args.bundle, limits.max_bundle_bytes)?;
    let manifest = files::read_limited(&manifest_path, MAX_MANIFEST_BYTES)?;
    let key = files::read_secret_key(&args.key)?;
    let signature = signing::sign_bundle(&bundle, &manifest, &key, &limits).map_err(|err| {
        let subject = match err {
            SignError::Manifest(_) => manifest_path.display(),
            _ => args.bundle.display(),
        };
        Failure::refused(
            "sign-refused",
            format!("{subject}: {err}\nNothing was signed."),
        )
    })?;
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
