//! `skillsig keygen`: make an ed25519 key pair for signing Skills or trust roots.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use skillsig::signing::keys::SecretKey;

use crate::failure::{Failure, print_json};
use crate::files::{self, PASSWORD_ENV};

/// Make an ed25519 key pair: PREFIX.key (private, PKCS#8 PEM, mode 0600, encrypted with a
/// passphrase) and PREFIX.pub (public, PEM). Prints the key id (SHA-256 of the public key's
/// SubjectPublicKeyInfo), which trust roots use.
///
/// The passphrase comes from SKILLSIG_PASSWORD, or is asked for twice when stdin is a terminal.
/// Existing files are never overwritten.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct KeygenArgs {
    /// Path prefix of the two files (PREFIX.key and PREFIX.pub).
    #[arg(long = "out", value_name = "PREFIX")]
    pub out: PathBuf,
    /// Write the private key without encryption (for throw-away keys and tests).
    #[arg(long)]
    pub unencrypted: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &KeygenArgs) -> Result<(), Failure> {
    let private_path = with_suffix(&args.out, ".key");
    let public_path = with_suffix(&args.out, ".pub");
    for path in [&private_path, &public_path] {
        if path.exists() {
            return Err(Failure::error(
                "exists",
                format!("{} already exists; choose another --out", path.display()),
            ));
        }
    }
    let passphrase = if args.unencrypted {
        None
    } else {
        let passphrase = files::passphrase("Passphrase for the new key: ", true)?.ok_or_else(|| {
            Failure::error(
                "usage",
                format!("no passphrase: set {PASSWORD_ENV}, run in a terminal, or pass --unencrypted"),
            )
        })?;
        if passphrase.is_empty() {
            return Err(Failure::error(
                "usage",
                "the passphrase is empty; pass --unencrypted to write an unencrypted key",
            ));
        }
        Some(passphrase)
    };
    let key = SecretKey::generate().map_err(|e| Failure::error("key", e.to_string()))?;
    let private_pem = key
        .to_pem(passphrase.as_ref().map(|p| p.as_bytes()))
        .map_err(|e| Failure::error("key", e.to_string()))?;
    files::write_new(&private_path, private_pem.as_bytes(), 0o600)?;
    if let Err(failure) = files::write_new(&public_path, key.public().to_pem().as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&private_path);
        return Err(failure);
    }
    let id = key.public().id().to_string();
    if args.json {
        print_json(
            &json!({"key_id": id, "private_key": private_path, "public_key": public_path, "encrypted": passphrase.is_some()}),
        );
    } else {
        println!(
            "Wrote {} and {}",
            private_path.display(),
            public_path.display()
        );
        println!("key id {id}");
        if passphrase.is_none() {
            eprintln!("warning: the private key is not encrypted; keep it only for tests");
        }
    }
    Ok(())
}

fn with_suffix(prefix: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
