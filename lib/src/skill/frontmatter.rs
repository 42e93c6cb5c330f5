//! `SKILL.md` frontmatter: parsed leniently, reported strictly.
//!
//! The frontmatter is YAML between `---` lines. When the YAML is broken, the error (with line
//! and column in `SKILL.md`) becomes a diagnostic and a line-based fallback reads the simple
//! `key: value` lines, as OpenClaw's own loader does, so a Skill with a broken header can still
//! be packed and scanned.

use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

use crate::diagnostic::{Diagnostic, Level, line_column};

/// Keys OpenClaw and its earlier names use for their block inside `metadata`.
pub const OPENCLAW_KEYS: [&str; 4] = ["openclaw", "clawdbot", "clawdis", "moltbot"];

/// What skillsig reads from the frontmatter. Every field is optional: absence is a diagnostic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontmatter {
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `license`.
    pub license: Option<String>,
    /// `compatibility`.
    pub compatibility: Option<String>,
    /// `allowed-tools`, as a list (a space-separated string is split).
    pub allowed_tools: Vec<String>,
    /// `metadata.version`, or a top-level `version` key.
    pub version: Option<String>,
    /// The JSON object under `metadata.openclaw` (or an earlier name), as found.
    pub openclaw: Option<Json>,
    /// `homepage` (top level, or inside the OpenClaw block), as written.
    pub homepage: Option<String>,
}

/// Parses the frontmatter of `text` (the content of the file at `file`), adding diagnostics.
pub fn parse(text: &str, file: &str, diagnostics: &mut Vec<Diagnostic>) -> Frontmatter {
    let mut report = Reporter {
        text,
        file,
        diagnostics,
    };
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (3, rest),
        None => (0, text),
    };
    if bom > 0 {
        report.warn(
            "skill-md-bom",
            Some(0),
            "starts with a byte-order mark: OpenClaw then sees no frontmatter and loads the Skill without its requirements and gating; save the file without a BOM",
        );
    }
    let Some((yaml, yaml_offset)) = frontmatter_block(body) else {
        let message = if first_line(body) == "---" {
            "the frontmatter starts with `---` but never ends; close it with a `---` line"
        } else {
            "has no YAML frontmatter (a `---` block with name and description)"
        };
        report.warn("frontmatter-missing", Some(bom), message);
        return Frontmatter::default();
    };
    let offset = bom + yaml_offset;
    let mapping = match serde_yaml_ng::from_str::<Yaml>(yaml) {
        Ok(Yaml::Mapping(mapping)) => mapping,
        Ok(Yaml::Null) => serde_yaml_ng::Mapping::new(),
        Ok(_) => {
            report.error(
                "frontmatter-yaml",
                Some(offset),
                "the frontmatter is not a mapping of keys to values",
            );
            serde_yaml_ng::Mapping::new()
        }
        Err(err) => {
            let at = err.location().map(|l| offset + l.index());
            let message = format!(
                "the frontmatter is not valid YAML ({}); read with the line-based fallback",
                strip_location(&err.to_string())
            );
            report.error("frontmatter-yaml", at.or(Some(offset)), &message);
            fallback_mapping(yaml)
        }
    };
    let mut fm = Frontmatter::default();
    let key_offset = |key: &str| key_line_offset(yaml, key).map(|o| offset + o);
    let get = |key: &str| mapping.get(Yaml::String(key.to_owned()));

    fm.name = scalar_field(&mut report, get("name"), "name", key_offset("name"));
    fm.description = scalar_field(
        &mut report,
        get("description"),
        "description",
        key_offset("description"),
    );
    fm.license = scalar_field(
        &mut report,
        get("license"),
        "license",
        key_offset("license"),
    );
    fm.compatibility = scalar_field(
        &mut report,
        get("compatibility"),
        "compatibility",
        key_offset("compatibility"),
    );
    fm.allowed_tools = match get("allowed-tools") {
        Some(Yaml::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Yaml::Sequence(items)) => items.iter().filter_map(scalar_text).collect(),
        Some(Yaml::Null) | None => Vec::new(),
        Some(_) => {
            report.warn(
                "frontmatter-type",
                key_offset("allowed-tools"),
                "`allowed-tools` should be a space-separated string",
            );
            Vec::new()
        }
    };
    check_spec_rules(&mut report, &fm, &key_offset);

    let metadata = get("metadata");
    let metadata = match metadata {
        Some(Yaml::String(s)) => parse_json5(&mut report, s, "metadata", key_offset("metadata"))
            .and_then(|j| serde_yaml_ng::to_value(j).ok()),
        other => other.cloned(),
    };
    if let Some(Yaml::Mapping(meta)) = &metadata {
        fm.version = meta
            .get(Yaml::String("version".into()))
            .and_then(scalar_text);
        fm.openclaw = openclaw_block(&mut report, meta, key_offset("metadata"));
    }
    if fm.version.is_none() {
        fm.version = get("version").and_then(scalar_text);
    }
    fm.homepage = get("homepage")
        .and_then(scalar_text)
        .or_else(|| {
            fm.openclaw
                .as_ref()
                .and_then(|block| block.get("homepage"))
                .and_then(Json::as_str)
                .map(str::to_owned)
        })
        .filter(|h| !h.trim().is_empty());
    fm
}

struct Reporter<'a> {
    text: &'a str,
    file: &'a str,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Reporter<'_> {
    fn push(&mut self, level: Level, code: &'static str, offset: Option<usize>, message: &str) {
        let (line, column) = match offset {
            Some(o) => {
                let (l, c) = line_column(self.text, o);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        self.diagnostics.push(Diagnostic {
            level,
            code,
            file: self.file.to_owned(),
            line,
            column,
            message: message.to_owned(),
        });
    }

    fn warn(&mut self, code: &'static str, offset: Option<usize>, message: &str) {
        self.push(Level::Warning, code, offset, message);
    }

    fn error(&mut self, code: &'static str, offset: Option<usize>, message: &str) {
        self.push(Level::Error, code, offset, message);
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim_end()
}

/// The YAML between the opening `---` line and the closing `---` (or `...`) line, and the byte
/// offset where it starts.
fn frontmatter_block(text: &str) -> Option<(&str, usize)> {
    if first_line(text) != "---" {
        return None;
    }
    let start = text.find('\n')? + 1;
    let mut pos = start;
    for line in text[start..].split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Some((&text[start..pos], start));
        }
        pos += line.len();
    }
    None
}

/// serde_yaml_ng appends " at line L column C"; the diagnostic carries the place itself.
fn strip_location(message: &str) -> &str {
    message.find(" at line ").map_or(message, |i| &message[..i])
}

/// Byte offset, within the YAML, of the top-level line that starts with `key:`.
fn key_line_offset(yaml: &str, key: &str) -> Option<usize> {
    let mut pos = 0;
    for line in yaml.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key)
            && rest.trim_start().starts_with(':')
        {
            return Some(pos);
        }
        pos += line.len();
    }
    None
}

/// The line-based reading OpenClaw falls back to: top-level `key: value` lines, with quotes
/// removed; a `metadata:` line's value is kept as text for the JSON5 reader.
fn fallback_mapping(yaml: &str) -> serde_yaml_ng::Mapping {
    let mut mapping = serde_yaml_ng::Mapping::new();
    for line in yaml.lines() {
        if line.starts_with([' ', '\t', '#', '-']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            continue;
        }
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        if !unquoted.is_empty() {
            mapping.insert(
                Yaml::String(key.to_owned()),
                Yaml::String(unquoted.to_owned()),
            );
        }
    }
    mapping
}

fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn scalar_field(
    report: &mut Reporter,
    value: Option<&Yaml>,
    key: &str,
    offset: Option<usize>,
) -> Option<String> {
    match value {
        None | Some(Yaml::Null) => None,
        Some(Yaml::String(s)) => Some(s.clone()),
        Some(other) => match scalar_text(other) {
            Some(text) => {
                report.warn(
                    "frontmatter-type",
                    offset,
                    &format!("`{key}` should be a string; read as {text:?}"),
                );
                Some(text)
            }
            None => {
                report.warn(
                    "frontmatter-type",
                    offset,
                    &format!("`{key}` should be a string; ignored"),
                );
                None
            }
        },
    }
}

/// The Agent Skills spec's rules for the fields skillsig reads.
fn check_spec_rules(
    report: &mut Reporter,
    fm: &Frontmatter,
    key_offset: &dyn Fn(&str) -> Option<usize>,
) {
    match &fm.name {
        None => report.warn("frontmatter-name", None, "has no `name`"),
        Some(name) if !is_spec_name(name) => report.warn(
            "frontmatter-name",
            key_offset("name"),
            &format!("`name` {name:?} breaks the spec: lowercase letters, digits and single hyphens, at most 64 characters"),
        ),
        Some(_) => {}
    }
    match &fm.description {
        None => report.warn(
            "frontmatter-description",
            None,
            "has no `description`; agents use it to decide when to load the Skill",
        ),
        Some(d) if d.chars().count() > 1024 => report.warn(
            "frontmatter-description",
            key_offset("description"),
            &format!(
                "`description` is {} characters; the spec allows 1024",
                d.chars().count()
            ),
        ),
        Some(_) => {}
    }
    if let Some(c) = &fm.compatibility
        && c.chars().count() > 500
    {
        report.warn(
            "frontmatter-compatibility",
            key_offset("compatibility"),
            "`compatibility` is longer than the 500 characters the spec allows",
        );
    }
}

/// The spec's rule for a Skill name: 1–64 of `a-z0-9-`, no leading, trailing or double hyphen.
pub fn is_spec_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

fn parse_json5(
    report: &mut Reporter,
    text: &str,
    key: &str,
    offset: Option<usize>,
) -> Option<Json> {
    match json5::from_str::<Json>(text) {
        Ok(value) => Some(value),
        Err(err) => {
            report.error(
                "frontmatter-json5",
                offset,
                &format!("`{key}` is not valid JSON5 ({err}); ignored"),
            );
            None
        }
    }
}

fn openclaw_block(
    report: &mut Reporter,
    meta: &serde_yaml_ng::Mapping,
    offset: Option<usize>,
) -> Option<Json> {
    let present: Vec<&str> = OPENCLAW_KEYS
        .into_iter()
        .filter(|k| meta.contains_key(Yaml::String((*k).to_owned())))
        .collect();
    let key = *present.first()?;
    if present.len() > 1 {
        report.warn(
            "openclaw-metadata",
            offset,
            &format!(
                "`metadata` has {}; skillsig reads `{key}`",
                present
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        );
    }
    let value = meta.get(Yaml::String(key.to_owned()))?;
    let json = match value {
        Yaml::String(text) => parse_json5(report, text, &format!("metadata.{key}"), offset)?,
        other => match serde_json::to_value(other) {
            Ok(json) => json,
            Err(err) => {
                report.error(
                    "openclaw-metadata",
                    offset,
                    &format!("`metadata.{key}` cannot be read as JSON ({err}); ignored"),
                );
                return None;
            }
        },
    };
    if json.is_object() {
        Some(json)
    } else {
        report.error(
            "openclaw-metadata",
            offset,
            &format!("`metadata.{key}` should be an object; ignored"),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> (Frontmatter, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let fm = parse(text, "SKILL.md", &mut diagnostics);
        (fm, diagnostics)
    }

    fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
        diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn reads_a_well_formed_openclaw_skill_without_diagnostics() {
        let text = "---\nname: github\ndescription: Use gh.\nmetadata: {\"openclaw\": {\"requires\": {\"bins\": [\"gh\"]}, \"primaryEnv\": \"GH_TOKEN\"}}\n---\n# Body\n";
        let (fm, diags) = parse_text(text);
        assert_eq!(diags, vec![]);
        assert_eq!(fm.name.as_deref(), Some("github"));
        assert_eq!(fm.openclaw.unwrap()["requires"]["bins"][0], "gh");
    }

    #[test]
    fn reads_multiline_metadata_json5_string_and_old_names() {
        let text = "---\nname: x\ndescription: d\nmetadata:\n  version: 1.2.0\n  clawdbot: \"{requires: {env: ['TOKEN',],}}\"\n---\n";
        let (fm, diags) = parse_text(text);
        assert_eq!(diags, vec![]);
        assert_eq!(fm.version.as_deref(), Some("1.2.0"));
        assert_eq!(fm.openclaw.unwrap()["requires"]["env"][0], "TOKEN");
    }

    #[test]
    fn broken_yaml_reports_line_and_column_and_falls_back() {
        let text = "---\nname: weather\ndescription: Forecasts: rain: and more\n  bad: [\nversion: 2.0.0\n---\nbody\n";
        let (fm, diags) = parse_text(text);
        let yaml_error = diags
            .iter()
            .find(|d| d.code == "frontmatter-yaml")
            .expect("a YAML error");
        assert_eq!(yaml_error.level, Level::Error);
        assert!(yaml_error.line.unwrap() >= 3, "{yaml_error}");
        assert!(yaml_error.column.is_some());
        assert_eq!(fm.name.as_deref(), Some("weather"));
        assert_eq!(fm.version.as_deref(), Some("2.0.0"));
    }

    #[test]
    fn missing_unclosed_and_bom_frontmatter_are_warnings() {
        let (fm, diags) = parse_text("# Just markdown\n");
        assert_eq!(fm, Frontmatter::default());
        assert_eq!(codes(&diags), ["frontmatter-missing"]);

        let (_, diags) = parse_text("---\nname: x\n");
        assert!(diags[0].message.contains("never ends"));

        let (fm, diags) = parse_text("\u{feff}---\nname: x\ndescription: d\n---\n");
        assert_eq!(codes(&diags), ["skill-md-bom"]);
        assert_eq!(fm.name.as_deref(), Some("x"));
    }

    #[test]
    fn spec_violations_are_reported_with_lines() {
        let text = format!(
            "---\ndescription: {}\nname: My Skill\nversion: 3\n---\n",
            "x".repeat(1100)
        );
        let (fm, diags) = parse_text(&text);
        assert_eq!(fm.version.as_deref(), Some("3"));
        let name = diags.iter().find(|d| d.code == "frontmatter-name").unwrap();
        assert_eq!((name.line, name.column), (Some(3), Some(1)));
        assert!(codes(&diags).contains(&"frontmatter-description"));
    }

    #[test]
    fn bad_openclaw_blocks_are_errors_not_failures() {
        let (fm, diags) =
            parse_text("---\nname: x\ndescription: d\nmetadata:\n  openclaw: \"{not json\"\n---\n");
        assert!(fm.openclaw.is_none());
        assert_eq!(codes(&diags), ["frontmatter-json5"]);
        let (fm, diags) = parse_text(
            "---\nname: x\ndescription: d\nmetadata:\n  openclaw: [1]\n  moltbot: {}\n---\n",
        );
        assert!(fm.openclaw.is_none());
        assert_eq!(codes(&diags), ["openclaw-metadata", "openclaw-metadata"]);
    }

    #[test]
    fn spec_names() {
        assert!(is_spec_name("pdf-tools2"));
        for bad in ["", "-x", "x-", "a--b", "Upper", "a_b", &"a".repeat(65)] {
            assert!(!is_spec_name(bad), "{bad}");
        }
    }
}
