//! Files a publisher is likely shipping by accident: credentials and private keys.
//!
//! `pack` refuses them unless the publisher names each one with `--allow-secret`, because a
//! signed bundle is forever: a key that goes out in one cannot be called back.

use std::fmt;

use crate::tree::SkillPath;

/// Why a file looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretKind {
    /// A dotenv file (`.env`, `.env.local`, …), not a template such as `.env.example`.
    EnvFile,
    /// A name that private keys and certificates use (`*.pem`, `*.key`, `id_rsa*`, …).
    KeyFileName,
    /// Content with a private-key block (`-----BEGIN … PRIVATE KEY-----`, PuTTY key files).
    PrivateKeyContent,
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretKind::EnvFile => "looks like an environment file with secrets (.env)",
            SecretKind::KeyFileName => "has the name of a key file",
            SecretKind::PrivateKeyContent => "contains a private key",
        })
    }
}

/// Suffixes that mark a dotenv file as a template rather than real values.
const ENV_TEMPLATE_SUFFIXES: &[&str] = &["example", "sample", "template", "dist", "defaults"];
/// Prefixes of the file names OpenSSH gives private (and public) keys.
const SSH_KEY_PREFIXES: &[&str] = &["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"];

/// Returns why `path` with `data` looks like a secret, if it does.
pub fn detect(path: &SkillPath, data: &[u8]) -> Option<SecretKind> {
    let name = path.components().last().unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    if lower == ".env" {
        return Some(SecretKind::EnvFile);
    }
    if let Some(variant) = lower.strip_prefix(".env.")
        && !ENV_TEMPLATE_SUFFIXES.iter().any(|s| variant.ends_with(s))
    {
        return Some(SecretKind::EnvFile);
    }
    if lower.ends_with(".pem")
        || lower.ends_with(".key")
        || SSH_KEY_PREFIXES.iter().any(|p| lower.starts_with(p))
    {
        return Some(SecretKind::KeyFileName);
    }
    has_private_key_block(data).then_some(SecretKind::PrivateKeyContent)
}

/// A PEM private-key header at the start of a line followed by a line of base64 (so prose that
/// merely quotes the header does not count), or a PuTTY private key.
fn has_private_key_block(data: &[u8]) -> bool {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut lines = data.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"PuTTY-User-Key-File-") {
            return true;
        }
        if line.starts_with(BEGIN) && line.ends_with(b"PRIVATE KEY-----") {
            let body_follows = lines.peek().is_some_and(|next| {
                let next = next.strip_suffix(b"\r").unwrap_or(next);
                looks_like_pem_body(next)
            });
            if body_follows {
                return true;
            }
        }
    }
    false
}

fn looks_like_pem_body(line: &[u8]) -> bool {
    // Encrypted legacy keys put `Proc-Type:` headers before the base64.
    line.starts_with(b"Proc-Type:")
        || (line.len() >= 16
            && line
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn detect_at(path: &str, data: &str) -> Option<SecretKind> {
        detect(
            &SkillPath::parse(path, &Limits::DEFAULT).unwrap(),
            data.as_bytes(),
        )
    }

    #[test]
    fn env_files_but_not_templates() {
        assert_eq!(detect_at(".env", ""), Some(SecretKind::EnvFile));
        assert_eq!(
            detect_at("config/.env.production", ""),
            Some(SecretKind::EnvFile)
        );
        assert_eq!(detect_at(".env.example", "KEY=\n"), None);
        assert_eq!(detect_at(".env.local.sample", ""), None);
        assert_eq!(detect_at("env.md", ""), None);
    }

    #[test]
    fn key_file_names() {
        for name in [
            "cert.pem",
            "tls/server.KEY",
            "id_rsa",
            "keys/id_ed25519.pub",
            "id_rsa.bak",
        ] {
            assert_eq!(detect_at(name, ""), Some(SecretKind::KeyFileName), "{name}");
        }
        assert_eq!(detect_at("keyboard.md", ""), None);
        assert_eq!(detect_at("monkey.py", ""), None);
    }

    #[test]
    fn private_key_content_but_not_prose_about_it() {
        let key = "x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n";
        assert_eq!(
            detect_at("notes.txt", key),
            Some(SecretKind::PrivateKeyContent)
        );
        let crlf = "-----BEGIN RSA PRIVATE KEY-----\r\nMIIEowIBAAKCAQEAx4UbaDzY5x\r\n";
        assert_eq!(
            detect_at("a.txt", crlf),
            Some(SecretKind::PrivateKeyContent)
        );
        let putty = "PuTTY-User-Key-File-3: ssh-ed25519\n";
        assert_eq!(
            detect_at("a.ppk.txt", putty),
            Some(SecretKind::PrivateKeyContent)
        );
        let prose =
            "Keys start with `-----BEGIN PRIVATE KEY-----`.\n-----BEGIN PRIVATE KEY-----\n...\n";
        assert_eq!(detect_at("SKILL.md", prose), None);
        let public = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n";
        assert_eq!(detect_at("pub.txt", public), None);
    }
}
