//! Files that are not source code: shipped binaries and archives, and the manifests that make
//! package managers run or fetch things (package.json, requirements.txt, pyproject.toml, and
//! OpenClaw's install specs).

use serde_json::Value;

use super::finding::Severity;
use super::knowledge::{self, Source};
use super::rules;
use super::shell;
use super::sink::Sink;
use super::text;
use crate::skill::OpenClawRequirements;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binary {
    Executable(&'static str),
    Archive(&'static str),
    EncryptedZip,
    Other,
}

/// Recognizes executables and archives by magic number. Office documents and other formats
/// built on zip are not archives for this purpose.
pub(crate) fn classify_binary(path: &str, data: &[u8]) -> Option<Binary> {
    let lower = path.to_ascii_lowercase();
    let starts = |magic: &[u8]| data.starts_with(magic);
    if starts(b"\x7fELF") {
        return Some(Binary::Executable("ELF"));
    }
    if starts(&[0xfe, 0xed, 0xfa, 0xce])
        || starts(&[0xfe, 0xed, 0xfa, 0xcf])
        || starts(&[0xce, 0xfa, 0xed, 0xfe])
        || starts(&[0xcf, 0xfa, 0xed, 0xfe])
    {
        return Some(Binary::Executable("Mach-O"));
    }
    if starts(&[0xca, 0xfe, 0xba, 0xbe])
        && data.len() >= 8
        && u32::from_be_bytes([data[4], data[5], data[6], data[7]]) < 30
    {
        return Some(Binary::Executable("Mach-O universal"));
    }
    if starts(b"MZ") && data.len() >= 0x40 {
        let pe = u32::from_le_bytes([data[0x3c], data[0x3d], data[0x3e], data[0x3f]]) as usize;
        if data.get(pe..pe + 4) == Some(b"PE\0\0") {
            return Some(Binary::Executable("PE"));
        }
    }
    if starts(b"PK\x03\x04") {
        let container = [
            ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub", ".jar", ".whl", ".vsix",
            ".xpi", ".apk", ".ipa", ".key", ".pages", ".numbers", ".sketch", ".fig", ".kmz",
            ".3mf",
        ];
        if zip_is_encrypted(data) {
            return Some(Binary::EncryptedZip);
        }
        if container.iter().any(|ext| lower.ends_with(ext)) {
            return Some(Binary::Other);
        }
        return Some(Binary::Archive("zip"));
    }
    if starts(b"7z\xbc\xaf\x27\x1c") {
        return Some(Binary::Archive("7z"));
    }
    if starts(b"Rar!\x1a\x07") {
        return Some(Binary::Archive("rar"));
    }
    if starts(&[0x1f, 0x8b]) {
        return Some(Binary::Archive("gzip"));
    }
    if data.len() > 262 && &data[257..262] == b"ustar" {
        return Some(Binary::Archive("tar"));
    }
    if memchr::memchr(0, &data[..data.len().min(8192)]).is_some() {
        return Some(Binary::Other);
    }
    None
}

/// Whether any local file header of a zip has the "encrypted" flag (bit 0).
fn zip_is_encrypted(data: &[u8]) -> bool {
    let mut pos = 0;
    let mut headers = 0;
    while pos + 30 <= data.len() && &data[pos..pos + 4] == b"PK\x03\x04" && headers < 10_000 {
        headers += 1;
        let flags = u16::from_le_bytes([data[pos + 6], data[pos + 7]]);
        if flags & 1 == 1 {
            return true;
        }
        let compressed = u32::from_le_bytes([
            data[pos + 18],
            data[pos + 19],
            data[pos + 20],
            data[pos + 21],
        ]) as usize;
        let name_len = u16::from_le_bytes([data[pos + 26], data[pos + 27]]) as usize;
        let extra_len = u16::from_le_bytes([data[pos + 28], data[pos + 29]]) as usize;
        if flags & 0x08 != 0 {
            // Sizes follow the data; stop walking rather than guess.
            return false;
        }
        pos = pos
            .saturating_add(30 + name_len + extra_len)
            .saturating_add(compressed);
    }
    false
}

/// A compiled Python file (its strings read by [`pyc`](super::pyc)) and the source shipped
/// beside it, if any: bytecode without its source, or beside a source that does not hold its
/// constants, is reported, and its strings are then scanned like decoded text.
pub(crate) fn scan_compiled_python(
    strings: &super::pyc::Strings,
    source: Option<&super::ScanFile>,
    sink: &mut Sink,
) {
    let problem = match source {
        None => Some("without its .py source beside it".to_owned()),
        Some(source) => {
            let text = String::from_utf8_lossy(&source.data);
            let missing: Vec<&str> = strings
                .texts
                .iter()
                .map(String::as_str)
                .filter(|s| is_checkable_constant(s) && !holds_constant(&text, s))
                .take(3)
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "beside {} that does not hold its strings {missing:?}: what runs is not what a review reads",
                    source.path
                )
            })
        }
    };
    let Some(problem) = problem else {
        // The source is scanned on its own; the same strings again add nothing.
        return;
    };
    sink.emit(
        rules::OBF_COMPILED_PYTHON,
        0,
        format!(
            "compiled Python ({} code objects{}) {problem}",
            strings.code_objects,
            if strings.complete {
                ""
            } else {
                ", partly read"
            }
        ),
        None,
    );
    text::scan_decoded_strings(&strings.texts, "pyc", 0, sink);
}

/// Strings a compiler keeps as the source spells them: not the names it makes up itself
/// (`<module>`, `__qualname__`), not text with escapes or line breaks (spelt differently in
/// source).
fn is_checkable_constant(constant: &str) -> bool {
    constant.len() >= 6
        && !constant.starts_with('<')
        && !constant.starts_with("__")
        && !constant.contains(['\\', '\n', '\r', '\t', '"', '\''])
}

/// Whether the source holds a constant, also when the compiler folded it from pieces
/// (`"ab" "cd"`, `"ab" + "cd"`): its first and last 16 characters are then in the source.
fn holds_constant(source: &str, constant: &str) -> bool {
    if source.contains(constant) {
        return true;
    }
    let chars: Vec<char> = constant.chars().collect();
    let end = 16.min(chars.len() / 2).max(6).min(chars.len());
    let head: String = chars[..end].iter().collect();
    let tail: String = chars[chars.len() - end..].iter().collect();
    source.contains(&head) && source.contains(&tail)
}

pub(crate) fn report_binary(kind: Binary, sink: &mut Sink) {
    match kind {
        Binary::Executable(format) => sink.emit(
            rules::BIN_NATIVE_EXECUTABLE,
            0,
            format!("{format} executable"),
            None,
        ),
        Binary::Archive(format) => {
            sink.emit(rules::BIN_ARCHIVE, 0, format!("{format} archive"), None)
        }
        Binary::EncryptedZip => sink.emit(
            rules::BIN_ENCRYPTED_ARCHIVE,
            0,
            "zip archive with encrypted entries",
            None,
        ),
        Binary::Other => {}
    }
}

/// package.json: install-time scripts and dependencies from URLs.
pub(crate) fn scan_package_json(text: &str, sink: &mut Sink) {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    if let Some(scripts) = value.get("scripts").and_then(Value::as_object) {
        for hook in ["preinstall", "install", "postinstall"] {
            if let Some(script) = scripts.get(hook).and_then(Value::as_str) {
                let at = find_json_value(text, hook, script);
                let only_prints = script
                    .split(['&', ';', '|'])
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .all(|c| c.starts_with("echo ") || c.starts_with("printf "));
                let severity = if only_prints {
                    Severity::Info
                } else {
                    Severity::High
                };
                sink.emit_with(
                    rules::NPM_LIFECYCLE,
                    severity,
                    at,
                    format!("`{hook}` runs `{script}` on npm install"),
                    Some(hook.into()),
                );
                sink.with_origin(at, |sink| {
                    shell::scan(script, 0, sink, 1);
                });
            }
        }
    }
    for section in ["dependencies", "devDependencies", "optionalDependencies"] {
        let Some(deps) = value.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, spec) in deps {
            let Some(spec) = spec.as_str() else { continue };
            let at = find_json_value(text, name, spec);
            if spec.starts_with("http://") || spec.starts_with("git+http://") {
                sink.emit(
                    rules::DEP_PLAIN_HTTP,
                    at,
                    format!("{name} comes from {spec}"),
                    knowledge::host_of(spec.trim_start_matches("git+")),
                );
            } else if [
                "git+",
                "git:",
                "github:",
                "gitlab:",
                "bitbucket:",
                "https://",
                "file:",
            ]
            .iter()
            .any(|p| spec.starts_with(p))
                || spec.contains(".git#")
            {
                sink.emit(
                    rules::DEP_URL,
                    at,
                    format!("{name} comes from {spec} instead of the registry"),
                    knowledge::host_of(spec.trim_start_matches("git+")),
                );
            }
        }
    }
}

fn find_json_value(text: &str, key: &str, value: &str) -> usize {
    let quoted_key = format!("\"{key}\"");
    let key_at = text.find(&quoted_key).unwrap_or(0);
    text[key_at..]
        .find(&format!("\"{}", value.chars().take(20).collect::<String>()))
        .map_or(key_at, |v| key_at + v)
}

/// requirements*.txt: URLs, VCS dependencies and plain-http indexes.
pub(crate) fn scan_requirements(text: &str, sink: &mut Sink) {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let at = pos;
        pos += line.len();
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        check_dependency(entry, at, sink);
    }
}

/// pyproject.toml: dependency strings with URLs or VCS references.
pub(crate) fn scan_pyproject(text: &str, sink: &mut Sink) {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let at = pos;
        pos += line.len();
        if line.contains("git+")
            || line.contains(" @ http")
            || line.contains("@http")
            || line.contains("url = \"http://")
        {
            check_dependency(line.trim().trim_matches([',', '"', '\'']), at, sink);
        }
    }
}

fn check_dependency(entry: &str, at: usize, sink: &mut Sink) {
    let lower = entry.to_ascii_lowercase();
    let url = knowledge::urls(entry).first().map(|(_, u)| u.to_string());
    if lower.contains("http://") {
        sink.emit(
            rules::DEP_PLAIN_HTTP,
            at,
            format!("`{entry}` is fetched over plain http"),
            url.as_deref().and_then(knowledge::host_of),
        );
    } else if lower.contains("git+")
        || (url.is_some()
            && !lower.starts_with("--index-url")
            && !lower.starts_with("--extra-index-url")
            && !lower.starts_with("-i "))
    {
        sink.emit(
            rules::DEP_URL,
            at,
            format!("`{entry}` is installed from a URL, not the registry"),
            url.as_deref().and_then(knowledge::host_of),
        );
    }
}

/// OpenClaw's install specs, from SKILL.md's frontmatter.
pub(crate) fn scan_install_specs(
    requirements: &OpenClawRequirements,
    sink: &mut Sink,
    anchor: usize,
) {
    const KINDS: &[&str] = &["brew", "node", "go", "uv", "download"];
    for spec in &requirements.install {
        let kind = spec.get("kind").and_then(Value::as_str).unwrap_or("");
        if !KINDS.contains(&kind) {
            sink.emit(
                rules::INSTALL_UNKNOWN_KIND,
                anchor,
                format!("install spec of kind {kind:?} is ignored by OpenClaw"),
                None,
            );
            if let Some(command) = spec.get("command").and_then(Value::as_str) {
                sink.with_origin(anchor, |sink| {
                    shell::scan(command, 0, sink, 1);
                });
            }
            continue;
        }
        if kind != "download" {
            continue;
        }
        let url = spec.get("url").and_then(Value::as_str).unwrap_or("");
        let host = knowledge::host_of(url);
        if knowledge::classify_source(url) == Source::Throwaway {
            sink.emit(
                rules::INSTALL_INSECURE_DOWNLOAD,
                anchor,
                format!("downloads {url}"),
                host.clone(),
            );
        }
        if spec
            .get("sha256")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            sink.emit(
                rules::INSTALL_NO_CHECKSUM,
                anchor,
                format!("downloads {url} without a sha256"),
                host.clone(),
            );
        }
        if let Some(host) = host {
            sink.emit_with(
                rules::USES_NETWORK,
                Severity::Info,
                anchor,
                format!("the install spec downloads from {host}"),
                Some(host),
            );
        }
    }
}
