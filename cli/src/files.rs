//! Writing files safely: staged in the target folder, then renamed into place, so a reader
//! never sees half a file and a failure leaves nothing behind.

use std::path::Path;

use crate::failure::Failure;

fn staged(path: &Path, bytes: &[u8], mode: u32) -> Result<tempfile::NamedTempFile, Failure> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    skillsig::fsutil::stage(dir, bytes, mode)
        .map_err(|err| Failure::error("io", format!("{}: {err}", path.display())))
}

/// Creates `path`, refusing if it exists.
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Failure> {
    if path.exists() {
        return Err(Failure::error(
            "exists",
            format!(
                "{} already exists; refusing to overwrite it",
                path.display()
            ),
        ));
    }
    staged(path, bytes, mode)?
        .persist_noclobber(path)
        .map_err(|e| Failure::error("io", format!("{}: {}", path.display(), e.error)))?;
    Ok(())
}

/// Creates or replaces `path`.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    staged(path, bytes, 0o644)?
        .persist(path)
        .map_err(|e| Failure::error("io", format!("{}: {}", path.display(), e.error)))?;
    Ok(())
}

/// Reads a whole file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, Failure> {
    skillsig::fsutil::read_limited(path, limit).map_err(|err| match err {
        skillsig::fsutil::ReadLimitedError::TooLarge(_) => {
            Failure::refused("too-large", format!("{}: {err}", path.display()))
        }
        _ => Failure::error(err.code(), format!("{}: {err}", path.display())),
    })
}

/// Environment variable holding the passphrase of private keys.
pub const PASSWORD_ENV: &str = "SKILLSIG_PASSWORD";

/// The passphrase from `SKILLSIG_PASSWORD`, else from a prompt when stdin is a terminal
/// (asked twice when `confirm`), else `None`.
pub fn passphrase(
    prompt: &str,
    confirm: bool,
) -> Result<Option<zeroize::Zeroizing<String>>, Failure> {
    if let Some(value) = std::env::var_os(PASSWORD_ENV) {
        let value = value
            .into_string()
            .map_err(|_| Failure::error("usage", format!("{PASSWORD_ENV} is not valid UTF-8")))?;
        return Ok(Some(zeroize::Zeroizing::new(value)));
    }
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let io =
        |err: std::io::Error| Failure::error("io", format!("cannot read the passphrase: {err}"));
    let first = zeroize::Zeroizing::new(rpassword::prompt_password(prompt).map_err(io)?);
    if confirm {
        let second = zeroize::Zeroizing::new(
            rpassword::prompt_password("Repeat the passphrase: ").map_err(io)?,
        );
        if *first != *second {
            return Err(Failure::error(
                "usage",
                "the passphrases differ; nothing was written",
            ));
        }
    }
    Ok(Some(first))
}

/// Reads a private key file, asking for its passphrase when it is encrypted.
pub fn read_secret_key(path: &Path) -> Result<skillsig::signing::keys::SecretKey, Failure> {
    use skillsig::signing::keys::{KeyError, SecretKey};
    let bytes = read_limited(path, 64 * 1024)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::error("key", format!("{}: not a PEM text file", path.display())))?;
    let text = zeroize::Zeroizing::new(text);
    let passphrase = if SecretKey::pem_is_encrypted(&text) {
        passphrase(&format!("Passphrase for {}: ", path.display()), false)?
    } else {
        None
    };
    SecretKey::from_pem(&text, passphrase.as_ref().map(|p| p.as_bytes())).map_err(|err| {
        let hint = if err == KeyError::PassphraseNeeded {
            format!(" ({PASSWORD_ENV} is not set and stdin is not a terminal)")
        } else {
            String::new()
        };
        Failure::error("key", format!("{}: {err}{hint}", path.display()))
    })
}
