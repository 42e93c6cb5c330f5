//! `skillsig.toml`: the publisher's own file, beside `SKILL.md`.
//!
//! It names the namespace and version the bundle is published under and the permissions the
//! Skill asks for. Unlike the frontmatter it is written for skillsig, so malformed TOML or an
//! invalid permission is an error (with line and column); an unknown key is a warning, since a
//! typo there can only ever *remove* a permission.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Level, line_column};
use crate::permissions::{InvalidPermission, Kind, Permissions};

/// The file name.
pub const CONFIG_FILE: &str = "skillsig.toml";

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `[skill] namespace`.
    pub namespace: Option<String>,
    /// `[skill] name`, overriding `SKILL.md`.
    pub name: Option<String>,
    /// `[skill] version`, overriding `SKILL.md`.
    pub version: Option<String>,
    /// `[permissions]`.
    pub permissions: Permissions,
}

/// Why `skillsig.toml` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not valid TOML of the expected shape.
    #[error("{CONFIG_FILE}{}: {message}", place(*line, *column))]
    Syntax {
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A declared permission is malformed.
    #[error("{CONFIG_FILE}{}: {source}", place(*line, None))]
    Permission {
        /// 1-based line, when known.
        line: Option<usize>,
        /// What is wrong with it.
        source: InvalidPermission,
    },
}

impl ConfigError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Syntax { .. } => "config-syntax",
            ConfigError::Permission { .. } => "config-permission",
        }
    }
}

fn place(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    skill: RawSkill,
    #[serde(default)]
    permissions: RawPermissions,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default)]
struct RawSkill {
    namespace: Option<String>,
    name: Option<String>,
    version: Option<String>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct RawPermissions {
    #[serde(default)]
    network: Vec<String>,
    #[serde(default)]
    exec: Vec<String>,
    #[serde(default)]
    env: Vec<String>,
    #[serde(default)]
    read: Vec<String>,
    #[serde(default)]
    write: Vec<String>,
    #[serde(default)]
    dynamic_code: bool,
    #[serde(default)]
    native: bool,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

/// Parses `text`, adding a warning for every unknown key.
pub fn parse(text: &str, diagnostics: &mut Vec<Diagnostic>) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|err| {
        let (line, column) = err
            .span()
            .map(|span| line_column(text, span.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        ConfigError::Syntax {
            line,
            column,
            message: err.message().to_owned(),
        }
    })?;
    let unknown = [
        ("", &raw.unknown),
        ("skill.", &raw.skill.unknown),
        ("permissions.", &raw.permissions.unknown),
    ];
    for (prefix, keys) in unknown {
        for key in keys.keys() {
            let line = find_line(text, key);
            diagnostics.push(Diagnostic {
                level: Level::Warning,
                code: "config-unknown-key",
                file: CONFIG_FILE.to_owned(),
                line,
                column: line.map(|_| 1),
                message: format!("unknown key `{prefix}{key}` is ignored (check its spelling)"),
            });
        }
    }
    let mut permissions = Permissions {
        dynamic_code: raw.permissions.dynamic_code,
        native: raw.permissions.native,
        ..Permissions::default()
    };
    let lists = [
        (Kind::Network, &raw.permissions.network),
        (Kind::Exec, &raw.permissions.exec),
        (Kind::Env, &raw.permissions.env),
        (Kind::Read, &raw.permissions.read),
        (Kind::Write, &raw.permissions.write),
    ];
    for (kind, values) in lists {
        for value in values {
            permissions
                .add(kind, value)
                .map_err(|source| ConfigError::Permission {
                    line: find_line(text, &format!("{value:?}"))
                        .or_else(|| find_line(text, kind.as_str())),
                    source,
                })?;
        }
    }
    Ok(Config {
        namespace: raw.skill.namespace,
        name: raw.skill.name,
        version: raw.skill.version,
        permissions,
    })
}

/// What [`add`] puts into a `skillsig.toml`: it only ever adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Additions {
    /// A namespace, set only when the file names none.
    pub namespace: Option<String>,
    /// Permission values and flags to declare besides those the file declares already.
    pub permissions: Permissions,
}

/// A `skillsig.toml` after [`add`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The new text: everything the author wrote (comments, order, values), plus the additions.
    pub text: String,
    /// Every key that changed, as its whole new line, with the table it is in:
    /// `("permissions", "env = [\"A\", \"B\"]")`.
    pub changed: Vec<(&'static str, String)>,
}

/// Adds `additions` to the `skillsig.toml` text `text`, keeping the author's comments, order
/// and values: a value is appended to its list, a missing key or table is added at the end.
/// Nothing is ever removed or replaced; a namespace is set only when there is none. `text`
/// must parse (the error is [`parse`]'s).
pub fn add(text: &str, additions: &Additions) -> Result<Edited, ConfigError> {
    let current = parse(text, &mut Vec::new())?;
    let shape_error = |message: String| ConfigError::Syntax {
        line: None,
        column: None,
        message,
    };
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| shape_error(e.to_string()))?;
    let mut changed = Vec::new();
    if let (Some(namespace), None) = (&additions.namespace, &current.namespace) {
        let skill = table_in(&mut doc, "skill")
            .ok_or_else(|| shape_error("`skill` is not a table".into()))?;
        skill.insert("namespace", toml_edit::value(namespace.as_str()));
        changed.push((
            "skill",
            format!("namespace = {}", toml_edit::Value::from(namespace.as_str())),
        ));
    }
    let not_a_table = || shape_error("`permissions` is not a table".into());
    for kind in Kind::ALL {
        let declared = current.permissions.values(kind);
        let new: Vec<&String> = additions
            .permissions
            .values(kind)
            .iter()
            .filter(|value| !declared.contains(*value))
            .collect();
        if new.is_empty() {
            continue;
        }
        let permissions = table_in(&mut doc, "permissions").ok_or_else(not_a_table)?;
        let list = permissions
            .entry(kind.as_str())
            .or_insert(toml_edit::value(toml_edit::Array::new()))
            .as_array_mut()
            .ok_or_else(|| shape_error(format!("`permissions.{kind}` is not a list")))?;
        for value in new {
            list.push(value.as_str());
        }
        let whole: toml_edit::Array = list.iter().filter_map(|v| v.as_str()).collect();
        changed.push(("permissions", format!("{kind} = {whole}")));
    }
    let flags = [
        (
            "dynamic-code",
            additions.permissions.dynamic_code,
            current.permissions.dynamic_code,
        ),
        (
            "native",
            additions.permissions.native,
            current.permissions.native,
        ),
    ];
    for (key, wanted, declared) in flags {
        if wanted && !declared {
            let permissions = table_in(&mut doc, "permissions").ok_or_else(not_a_table)?;
            permissions.insert(key, toml_edit::value(true));
            changed.push(("permissions", format!("{key} = true")));
        }
    }
    Ok(Edited {
        text: doc.to_string(),
        changed,
    })
}

/// The table `name` of `doc`, added at the end when missing.
fn table_in<'d>(
    doc: &'d mut toml_edit::DocumentMut,
    name: &str,
) -> Option<&'d mut dyn toml_edit::TableLike> {
    doc.entry(name)
        .or_insert(toml_edit::table())
        .as_table_like_mut()
}

/// First line that mentions `needle`, for pointing at a key or value.
fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_keeps_what_the_author_wrote_and_only_adds() {
        let text = "# mine\n[skill]\nversion = \"1.0.0\" # note\n\n[permissions]\nexec = [\"git\"] # why\nnetwork = [\"API.example.com\"]\n\n[extra]\nkept = 1\n";
        let mut permissions = Permissions::default();
        permissions.add(Kind::Exec, "git").unwrap();
        permissions.add(Kind::Exec, "curl").unwrap();
        permissions.add(Kind::Network, "api.example.com").unwrap();
        permissions.add(Kind::Env, "TOKEN").unwrap();
        permissions.native = true;
        let edited = add(
            text,
            &Additions {
                namespace: Some("acme".into()),
                permissions,
            },
        )
        .unwrap();
        let new = &edited.text;
        for kept in [
            "# mine",
            "version = \"1.0.0\" # note",
            "# why",
            "\"API.example.com\"",
            "[extra]\nkept = 1",
        ] {
            assert!(new.contains(kept), "{kept:?} lost:\n{new}");
        }
        assert!(
            !new.contains("\"api.example.com\""),
            "already declared:\n{new}"
        );
        assert!(new.find("[skill]") < new.find("[permissions]"));
        assert!(new.find("[permissions]") < new.find("[extra]"));
        let config = parse(new, &mut Vec::new()).unwrap();
        assert_eq!(config.namespace.as_deref(), Some("acme"));
        assert!(
            config.permissions.exec.contains("curl") && config.permissions.exec.contains("git")
        );
        assert!(config.permissions.env.contains("TOKEN") && config.permissions.native);
        assert_eq!(
            edited.changed,
            vec![
                ("skill", "namespace = \"acme\"".to_owned()),
                ("permissions", "exec = [\"git\", \"curl\"]".to_owned()),
                ("permissions", "env = [\"TOKEN\"]".to_owned()),
                ("permissions", "native = true".to_owned()),
            ]
        );
        // A namespace already set is never replaced; nothing to add changes nothing.
        let again = add(
            new,
            &Additions {
                namespace: Some("other".into()),
                permissions: config.permissions.clone(),
            },
        )
        .unwrap();
        assert_eq!(&again.text, new);
        assert!(again.changed.is_empty());
    }

    #[test]
    fn add_to_an_empty_file_and_refuse_a_broken_one() {
        let mut permissions = Permissions::default();
        permissions.add(Kind::Network, "api.example.com").unwrap();
        let edited = add(
            "",
            &Additions {
                namespace: None,
                permissions: permissions.clone(),
            },
        )
        .unwrap();
        assert_eq!(
            parse(&edited.text, &mut Vec::new()).unwrap().permissions,
            permissions
        );
        assert!(matches!(
            add("[skill\n", &Additions::default()),
            Err(ConfigError::Syntax { line: Some(1), .. })
        ));
    }

    #[test]
    fn reads_the_documented_example() {
        let text = r#"
[skill]
namespace = "acme"
version = "1.4.2"

[permissions]
network = ["api.github.com", "*.githubusercontent.com"]
exec = ["git", "gh"]
env = ["GITHUB_TOKEN"]
read = ["$WORKSPACE", "~/.config/gh"]
write = ["$WORKSPACE/out"]
"#;
        let mut diags = Vec::new();
        let config = parse(text, &mut diags).unwrap();
        assert!(diags.is_empty());
        assert_eq!(config.namespace.as_deref(), Some("acme"));
        assert_eq!(config.version.as_deref(), Some("1.4.2"));
        assert_eq!(config.permissions.exec.len(), 2);
        assert!(config.permissions.write.contains("$WORKSPACE/out"));
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse(
            "[skill]\nnamespace = \"acme\nversion = 1\n",
            &mut Vec::new(),
        )
        .unwrap_err();
        let ConfigError::Syntax { line, column, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(*line, Some(2));
        assert!(column.is_some());
        assert!(err.to_string().starts_with("skillsig.toml:2:"), "{err}");
    }

    #[test]
    fn wrong_types_are_errors() {
        let err = parse("[skill]\nversion = 1\n", &mut Vec::new()).unwrap_err();
        assert!(
            matches!(err, ConfigError::Syntax { line: Some(2), .. }),
            "{err}"
        );
    }

    #[test]
    fn invalid_permissions_name_the_line() {
        let err = parse(
            "[permissions]\nexec = [\"git\",\n  \"sh -c\"]\n",
            &mut Vec::new(),
        )
        .unwrap_err();
        let ConfigError::Permission { line, source } = &err else {
            panic!("{err}")
        };
        assert_eq!(*line, Some(3));
        assert_eq!(source.kind, Kind::Exec);
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let mut diags = Vec::new();
        let config = parse(
            "[permissions]\nnetwrok = [\"x.com\"]\n[extra]\n",
            &mut diags,
        )
        .unwrap();
        assert!(config.permissions.is_empty());
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 2);
        assert!(messages.iter().any(|m| m.contains("`permissions.netwrok`")));
        assert_eq!(
            diags
                .iter()
                .find(|d| d.message.contains("netwrok"))
                .unwrap()
                .line,
            Some(2)
        );
    }
}
