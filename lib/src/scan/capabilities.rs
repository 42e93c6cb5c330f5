//! Capabilities the code uses, against the permissions the Skill declares.
//!
//! Every finding that maps to a capability (a host, a program, a variable, a path, or the
//! dynamic-code and native flags) is a *use*. With a declaration (`skillsig.toml` or a manifest),
//! each use not covered by it becomes one `SK-UNDECLARED-*` finding at its first place, and each
//! declared value nothing uses becomes `SK-DECLARED-UNUSED`.

use std::collections::BTreeMap;

use super::finding::{Capability, CapabilityKind, Finding, Severity};
use super::rules;
use crate::permissions::{Kind, Permissions};

/// The capabilities used, sorted and unique, with the first finding that used each.
pub(crate) fn used(findings: &[Finding]) -> BTreeMap<Capability, &Finding> {
    let mut out: BTreeMap<Capability, &Finding> = BTreeMap::new();
    for finding in findings.iter().filter(|f| f.is_active()) {
        let Some(capability) = &finding.capability else {
            continue;
        };
        let flag = matches!(
            capability.kind,
            CapabilityKind::DynamicCode | CapabilityKind::Native
        );
        if capability.value.is_none() && !flag {
            continue;
        }
        let key = if flag {
            Capability {
                kind: capability.kind,
                value: None,
            }
        } else {
            capability.clone()
        };
        out.entry(key).or_insert(finding);
    }
    out
}

/// Whether `declared` covers `capability`.
pub(crate) fn covered(capability: &Capability, declared: &Permissions) -> bool {
    let value = capability.value.as_deref().unwrap_or("");
    match capability.kind {
        CapabilityKind::DynamicCode => declared.dynamic_code,
        CapabilityKind::Native => declared.native,
        CapabilityKind::Network => declared.network.iter().any(|d| host_matches(d, value)),
        CapabilityKind::Exec => declared
            .exec
            .iter()
            .any(|d| d == "*" || d == value || d.rsplit('/').next() == Some(value)),
        CapabilityKind::Env => declared.env.iter().any(|d| {
            d == "*"
                || d == value
                || d.strip_suffix('*')
                    .is_some_and(|prefix| value.starts_with(prefix))
        }),
        CapabilityKind::Read => declared
            .read
            .iter()
            .chain(&declared.write)
            .any(|d| path_matches(d, value)),
        CapabilityKind::Write => declared.write.iter().any(|d| path_matches(d, value)),
    }
}

fn host_matches(declared: &str, used: &str) -> bool {
    if declared == "*" {
        return true;
    }
    if used == "*" {
        return false;
    }
    let declared_host = if declared.starts_with('[') {
        declared
            .split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        declared.split(':').next().unwrap_or("").to_owned()
    };
    match declared_host.strip_prefix("*.") {
        Some(suffix) => used.ends_with(&format!(".{suffix}")),
        None => declared_host == used,
    }
}

fn path_matches(declared: &str, used: &str) -> bool {
    if declared == used
        || used.starts_with(&format!("{}/", declared.trim_end_matches('/')))
        || declared == "/"
    {
        return true;
    }
    if declared.contains('*') {
        return glob_matches(declared, used);
    }
    false
}

/// `*` matches within one path component, `**` across components.
fn glob_matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => (0..=t.len()).any(|i| go(&p[2..], &t[i..])),
            Some(b'*') => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| go(&p[1..], &t[i..])),
            Some(&c) => t.first() == Some(&c) && go(&p[1..], &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// The `SK-UNDECLARED-*` and `SK-DECLARED-UNUSED` findings.
pub(crate) fn compare(
    findings: &[Finding],
    declared: &Permissions,
    declaration_file: &str,
    declaration_text: &str,
) -> Vec<Finding> {
    let uses = used(findings);
    let mut out = Vec::new();
    for (capability, first) in &uses {
        if covered(capability, declared) {
            continue;
        }
        let rule = match capability.kind {
            CapabilityKind::Network => rules::UNDECLARED_NETWORK,
            CapabilityKind::Exec => rules::UNDECLARED_EXEC,
            CapabilityKind::Env => rules::UNDECLARED_ENV,
            CapabilityKind::Read => rules::UNDECLARED_READ,
            CapabilityKind::Write => rules::UNDECLARED_WRITE,
            CapabilityKind::DynamicCode => rules::UNDECLARED_DYNAMIC_CODE,
            CapabilityKind::Native => rules::UNDECLARED_NATIVE,
        };
        out.push(Finding {
            rule,
            severity: Severity::High,
            capability: Some(capability.clone()),
            file: first.file.clone(),
            line: first.line,
            column: first.column,
            snippet: first.snippet.clone(),
            message: format!("uses {capability}, which {declaration_file} does not declare"),
            suppressed: None,
            source: None,
        });
    }
    let used_caps: Vec<&Capability> = uses.keys().collect();
    let kinds = [
        (CapabilityKind::Network, Kind::Network),
        (CapabilityKind::Exec, Kind::Exec),
        (CapabilityKind::Env, Kind::Env),
        (CapabilityKind::Read, Kind::Read),
        (CapabilityKind::Write, Kind::Write),
    ];
    for (kind, permission) in kinds {
        for value in declared.values(permission) {
            let mut only = Permissions::default();
            let _ = only.add(permission, value);
            let is_used = used_caps
                .iter()
                .any(|c| c.kind == kind && covered(c, &only));
            if !is_used {
                let line = declaration_text
                    .lines()
                    .position(|l| l.contains(&format!("\"{value}\"")))
                    .map_or(1, |i| i + 1);
                out.push(Finding {
                    rule: rules::DECLARED_UNUSED,
                    severity: Severity::Info,
                    capability: None,
                    file: declaration_file.to_owned(),
                    line,
                    column: 1,
                    snippet: declaration_text
                        .lines()
                        .nth(line - 1)
                        .unwrap_or("")
                        .trim()
                        .to_owned(),
                    message: format!(
                        "declares {}:{value}, which nothing in the Skill appears to use",
                        kind.as_str()
                    ),
                    suppressed: None,
                    source: None,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(kind: CapabilityKind, value: &str) -> Capability {
        Capability {
            kind,
            value: Some(value.into()),
        }
    }

    #[test]
    fn coverage_rules() {
        let mut p = Permissions::default();
        p.add(Kind::Network, "*.githubusercontent.com").unwrap();
        p.add(Kind::Network, "api.github.com:443").unwrap();
        p.add(Kind::Env, "OPENAI_*").unwrap();
        p.add(Kind::Exec, "git").unwrap();
        p.add(Kind::Read, "~/.config/gh").unwrap();
        p.add(Kind::Write, "$WORKSPACE/**").unwrap();
        assert!(covered(
            &cap(CapabilityKind::Network, "raw.githubusercontent.com"),
            &p
        ));
        assert!(!covered(
            &cap(CapabilityKind::Network, "githubusercontent.com.evil.net"),
            &p
        ));
        assert!(covered(&cap(CapabilityKind::Network, "api.github.com"), &p));
        assert!(!covered(&cap(CapabilityKind::Network, "*"), &p));
        assert!(covered(&cap(CapabilityKind::Env, "OPENAI_API_KEY"), &p));
        assert!(!covered(&cap(CapabilityKind::Env, "AWS_SECRET"), &p));
        assert!(covered(&cap(CapabilityKind::Exec, "git"), &p));
        assert!(!covered(&cap(CapabilityKind::Exec, "curl"), &p));
        assert!(covered(
            &cap(CapabilityKind::Read, "~/.config/gh/hosts.yml"),
            &p
        ));
        assert!(!covered(&cap(CapabilityKind::Read, "~/.config/ghost"), &p));
        assert!(glob_matches("$WORKSPACE/**", "$WORKSPACE/a/b"));
        assert!(
            glob_matches("~/x/*.json", "~/x/a.json") && !glob_matches("~/x/*.json", "~/x/a/b.json")
        );
        assert!(!covered(
            &Capability {
                kind: CapabilityKind::DynamicCode,
                value: None
            },
            &p
        ));
    }
}
