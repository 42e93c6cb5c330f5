//! The permission vocabulary: what a Skill may ask for, and how each value is spelled.
//!
//! Deny by default: a Skill may do only what its manifest lists. Kinds follow Deno's flags
//! (`network`, `exec`, `env`, `read`, `write`) plus two flags for capabilities with no useful
//! value (`dynamic-code`, `native`). `docs/permissions.md` is the user-facing description; the
//! scanner maps what code does onto the same values, and policies allow or deny them.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The permissions a Skill declares. Values are normalized (hosts lowercased, trailing `/`
/// removed from paths) and kept sorted, so equal declarations serialize identically.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Permissions {
    /// Hosts it connects to: `api.github.com`, `*.example.com`, `localhost:8000`, or `*`.
    #[serde(deserialize_with = "sorted_unique")]
    pub network: BTreeSet<String>,
    /// Programs it runs, by name (`git`), or `$SKILL_DIR/…` for its own scripts, or `*`.
    #[serde(deserialize_with = "sorted_unique")]
    pub exec: BTreeSet<String>,
    /// Environment variables it reads: `GITHUB_TOKEN`, a prefix `OPENAI_*`, or `*`.
    #[serde(deserialize_with = "sorted_unique")]
    pub env: BTreeSet<String>,
    /// Paths it reads (`$WORKSPACE`, `$SKILL_DIR`, `$TMPDIR`, `~`, absolute; `*`/`**` globs).
    #[serde(deserialize_with = "sorted_unique")]
    pub read: BTreeSet<String>,
    /// Paths it writes, spelled as `read`.
    #[serde(deserialize_with = "sorted_unique")]
    pub write: BTreeSet<String>,
    /// It evaluates code built at run time (eval, exec, pickle, …).
    pub dynamic_code: bool,
    /// It ships or loads native code (executables, shared libraries, FFI).
    pub native: bool,
}

/// Reads a list that must already be sorted and free of duplicates, as canonical output is:
/// silently merging `["git", "git"]` would let two readers disagree about what was signed.
fn sorted_unique<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeSet<String>, D::Error> {
    let values = Vec::<String>::deserialize(deserializer)?;
    if values.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err(serde::de::Error::custom(
            "permission values must be sorted and unique",
        ));
    }
    Ok(values.into_iter().collect())
}

/// A kind of permission that takes values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Network hosts.
    Network,
    /// Binaries run.
    Exec,
    /// Environment variables read.
    Env,
    /// Paths read.
    Read,
    /// Paths written.
    Write,
}

impl Kind {
    /// Every kind, in display order.
    pub const ALL: [Kind; 5] = [
        Kind::Network,
        Kind::Exec,
        Kind::Env,
        Kind::Read,
        Kind::Write,
    ];

    /// The key used in `skillsig.toml` and the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Network => "network",
            Kind::Exec => "exec",
            Kind::Env => "env",
            Kind::Read => "read",
            Kind::Write => "write",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A declared value that is not valid for its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} permission {value:?}: {reason}")]
pub struct InvalidPermission {
    /// The kind.
    pub kind: Kind,
    /// The value as declared.
    pub value: String,
    /// Why it is not valid.
    pub reason: &'static str,
}

impl Permissions {
    /// The values of one kind.
    pub fn values(&self, kind: Kind) -> &BTreeSet<String> {
        match kind {
            Kind::Network => &self.network,
            Kind::Exec => &self.exec,
            Kind::Env => &self.env,
            Kind::Read => &self.read,
            Kind::Write => &self.write,
        }
    }

    fn values_mut(&mut self, kind: Kind) -> &mut BTreeSet<String> {
        match kind {
            Kind::Network => &mut self.network,
            Kind::Exec => &mut self.exec,
            Kind::Env => &mut self.env,
            Kind::Read => &mut self.read,
            Kind::Write => &mut self.write,
        }
    }

    /// Validates, normalizes and adds one value.
    ///
    /// ```
    /// use skillsig::permissions::{Kind, Permissions};
    ///
    /// let mut permissions = Permissions::default();
    /// permissions.add(Kind::Network, "API.Open-Meteo.com")?;
    /// assert!(permissions.values(Kind::Network).contains("api.open-meteo.com"));
    /// assert!(permissions.add(Kind::Network, "https://evil.example/path").is_err());
    /// # Ok::<(), skillsig::permissions::InvalidPermission>(())
    /// ```
    pub fn add(&mut self, kind: Kind, value: &str) -> Result<(), InvalidPermission> {
        let normalized = normalize(kind, value).map_err(|reason| InvalidPermission {
            kind,
            value: value.to_owned(),
            reason,
        })?;
        self.values_mut(kind).insert(normalized);
        Ok(())
    }

    /// Whether nothing at all is asked for.
    pub fn is_empty(&self) -> bool {
        Kind::ALL.iter().all(|&k| self.values(k).is_empty()) && !self.dynamic_code && !self.native
    }

    /// One line per kind asked for, in plain words, for people deciding whether to trust a
    /// Skill. An empty list means the Skill asks for nothing.
    pub fn describe(&self) -> Vec<String> {
        let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
        let mut lines = Vec::new();
        for kind in Kind::ALL {
            let values = self.values(kind);
            if values.is_empty() {
                continue;
            }
            let any = values.contains("*");
            lines.push(match (kind, any) {
                (Kind::Network, true) => "connect to ANY host on the network".to_owned(),
                (Kind::Network, false) => format!("connect to {}", list(values)),
                (Kind::Exec, true) => "run ANY program".to_owned(),
                (Kind::Exec, false) => format!("run {}", list(values)),
                (Kind::Env, true) => {
                    "read ALL environment variables (including secrets)".to_owned()
                }
                (Kind::Env, false) => format!("read the environment variables {}", list(values)),
                (Kind::Read, _) => format!("read files in {}", list(values)),
                (Kind::Write, _) => format!("write files in {}", list(values)),
            });
        }
        if self.dynamic_code {
            lines.push("run code it builds at run time (eval, exec, …)".to_owned());
        }
        if self.native {
            lines.push("run native code (executables or libraries it ships or loads)".to_owned());
        }
        lines
    }

    /// Checks every value (for permissions that were deserialized rather than built by `add`).
    pub fn validate(&self) -> Result<(), InvalidPermission> {
        for kind in Kind::ALL {
            for value in self.values(kind) {
                match normalize(kind, value) {
                    Ok(normalized) if &normalized == value => {}
                    Ok(_) => {
                        return Err(InvalidPermission {
                            kind,
                            value: value.clone(),
                            reason: "is not in normalized form",
                        });
                    }
                    Err(reason) => {
                        return Err(InvalidPermission {
                            kind,
                            value: value.clone(),
                            reason,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// Validates one value and returns its normalized spelling.
pub fn normalize(kind: Kind, value: &str) -> Result<String, &'static str> {
    if value.is_empty() {
        return Err("is empty");
    }
    if value
        .chars()
        .any(|c| c.is_control() || crate::tree::is_invisible(c))
    {
        return Err("contains control or invisible characters");
    }
    match kind {
        Kind::Network => normalize_host(value),
        Kind::Exec => check_program(value).map(|()| value.to_owned()),
        Kind::Env => check_env(value).map(|()| value.to_owned()),
        Kind::Read | Kind::Write => normalize_path(value),
    }
}

fn normalize_host(value: &str) -> Result<String, &'static str> {
    if value == "*" {
        return Ok("*".into());
    }
    if value.contains("://") || value.contains('/') {
        return Err(
            "must be a host name, not a URL (write `api.example.com`, not `https://api.example.com/x`)",
        );
    }
    let lower = value.to_ascii_lowercase();
    let (host, port) = split_port(&lower)?;
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 && port.len() <= 5 && !port.starts_with('0') => {}
            _ => return Err("has a port that is not a number from 1 to 65535"),
        }
    }
    let bare = host.strip_prefix("*.").unwrap_or(host);
    let is_ipv6 = bare.starts_with('[') && bare.ends_with(']');
    if is_ipv6 {
        if host.starts_with("*.") {
            return Err("a wildcard cannot apply to an IP address");
        }
        let inner = &bare[1..bare.len() - 1];
        inner
            .parse::<std::net::Ipv6Addr>()
            .map_err(|_| "is not a valid IPv6 address")?;
        return Ok(lower);
    }
    if bare.len() > 253 {
        return Err("is longer than 253 characters");
    }
    let labels_ok = bare.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if !labels_ok {
        return Err(
            "is not a valid host name (letters, digits and hyphens, with an optional leading `*.` and `:port`)",
        );
    }
    Ok(lower)
}

fn split_port(value: &str) -> Result<(&str, Option<&str>), &'static str> {
    if value.starts_with('[') {
        return match value.find(']') {
            Some(end) if end + 1 == value.len() => Ok((value, None)),
            Some(end) if value.as_bytes()[end + 1] == b':' => {
                Ok((&value[..=end], Some(&value[end + 2..])))
            }
            _ => Err("is not a valid bracketed IPv6 address"),
        };
    }
    match value.split_once(':') {
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((value, None)),
    }
}

fn check_program(value: &str) -> Result<(), &'static str> {
    if value == "*" {
        return Ok(());
    }
    if let Some(rest) = value.strip_prefix("$SKILL_DIR/") {
        return check_relative_tail(rest);
    }
    let ok = value.len() <= 64
        && value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(
            "must be a program name such as `git` (no path, no arguments), or `$SKILL_DIR/…` for a script the Skill ships",
        )
    }
}

fn check_env(value: &str) -> Result<(), &'static str> {
    if value == "*" {
        return Ok(());
    }
    let name = value.strip_suffix('*').unwrap_or(value);
    let ok = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err("must be a variable name such as `GITHUB_TOKEN`, or a prefix such as `OPENAI_*`")
    }
}

const PATH_ROOTS: [&str; 4] = ["$WORKSPACE", "$SKILL_DIR", "$TMPDIR", "~"];

fn normalize_path(value: &str) -> Result<String, &'static str> {
    let trimmed = if value.len() > 1 {
        value.trim_end_matches('/')
    } else {
        value
    };
    let rest = PATH_ROOTS
        .iter()
        .find_map(|root| {
            let rest = trimmed.strip_prefix(root)?;
            (rest.is_empty() || rest.starts_with('/')).then_some(rest)
        })
        .or_else(|| trimmed.starts_with('/').then_some(trimmed));
    let Some(rest) = rest else {
        return Err("must start with $WORKSPACE, $SKILL_DIR, $TMPDIR, ~ or /");
    };
    let tail = rest.trim_start_matches('/');
    if !tail.is_empty() {
        check_relative_tail(tail)?;
    }
    Ok(trimmed.to_owned())
}

fn check_relative_tail(tail: &str) -> Result<(), &'static str> {
    if tail
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err("has an empty, `.` or `..` component");
    }
    if tail.contains('\\') {
        return Err("uses `\\`; write paths with `/`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            normalize(Kind::Network, "API.GitHub.com"),
            Ok("api.github.com".into())
        );
        for ok in [
            "*.githubusercontent.com",
            "localhost:8000",
            "127.0.0.1",
            "[::1]:443",
            "*",
        ] {
            assert!(normalize(Kind::Network, ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://x.com",
            "x.com/path",
            "-x.com",
            "x..com",
            "x.com:0",
            "x.com:99999",
            "x.com:",
            "a b",
            "*.[::1]",
        ] {
            assert!(normalize(Kind::Network, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn programs() {
        for ok in [
            "git",
            "python3",
            "g++",
            "yt-dlp",
            "$SKILL_DIR/scripts/run.sh",
            "*",
        ] {
            assert!(normalize(Kind::Exec, ok).is_ok(), "{ok}");
        }
        for bad in ["/usr/bin/git", "sh -c", "../x", "$SKILL_DIR/../x", ""] {
            assert!(normalize(Kind::Exec, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_names() {
        for ok in ["GITHUB_TOKEN", "OPENAI_*", "_X", "*"] {
            assert!(normalize(Kind::Env, ok).is_ok(), "{ok}");
        }
        for bad in ["1X", "A-B", "A B", "$HOME"] {
            assert!(normalize(Kind::Env, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(
            normalize(Kind::Read, "$WORKSPACE/"),
            Ok("$WORKSPACE".into())
        );
        assert_eq!(
            normalize(Kind::Write, "~/.config/gh/"),
            Ok("~/.config/gh".into())
        );
        for ok in ["$SKILL_DIR", "$TMPDIR/x/**", "/etc/hosts", "~", "/"] {
            assert!(normalize(Kind::Read, ok).is_ok(), "{ok}");
        }
        for bad in [
            "relative/x",
            "$HOME/x",
            "~user/x",
            "$WORKSPACE/../x",
            "$WORKSPACEX",
            "C:\\x",
        ] {
            assert!(normalize(Kind::Read, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn describes_permissions_in_plain_words() {
        assert!(Permissions::default().describe().is_empty());
        let mut p = Permissions::default();
        p.add(Kind::Network, "api.github.com").unwrap();
        p.add(Kind::Exec, "gh").unwrap();
        p.add(Kind::Exec, "git").unwrap();
        p.add(Kind::Env, "*").unwrap();
        p.native = true;
        assert_eq!(
            p.describe(),
            [
                "connect to api.github.com",
                "run gh, git",
                "read ALL environment variables (including secrets)",
                "run native code (executables or libraries it ships or loads)",
            ]
        );
    }

    #[test]
    fn add_normalizes_sorts_and_dedupes() {
        let mut p = Permissions::default();
        p.add(Kind::Network, "B.com").unwrap();
        p.add(Kind::Network, "a.com").unwrap();
        p.add(Kind::Network, "b.com").unwrap();
        assert_eq!(p.network.iter().collect::<Vec<_>>(), ["a.com", "b.com"]);
        assert!(p.validate().is_ok());
        p.network.insert("UPPER.com".into());
        assert!(p.validate().is_err());
    }
}
