//! Scan reports for machines: the JSON document (`registry-schema/scan-report.schema.json`)
//! and SARIF 2.1.0 for code-scanning views.

use serde::Serialize;
use serde_json::{Value, json};

use super::finding::Severity;
use super::rules::RULES;
use super::{SkillReport, Verdict};

/// Version of the rule set; raised whenever a rule is added or changes meaning.
pub const RULES_VERSION: &str = "1";

/// A report over one or more Skills.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// The scanner that wrote it.
    pub tool: Tool,
    /// The rule-set version.
    pub rules_version: &'static str,
    /// The severity at which findings block.
    pub fail_on: Severity,
    /// Block if any Skill blocks.
    pub verdict: Verdict,
    /// Each Skill scanned.
    pub skills: Vec<ScannedSkill>,
}

/// The tool that wrote a report.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `skillsig`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// One Skill of a report, with where it was found.
#[derive(Debug, Clone, Serialize)]
pub struct ScannedSkill {
    /// The path given to the scanner (folder or bundle), `/`-separated.
    pub path: String,
    /// The Skill's scan.
    #[serde(flatten)]
    pub report: SkillReport,
}

impl ScanReport {
    /// A report over `skills`, blocked if any of them is.
    pub fn new(skills: Vec<ScannedSkill>, fail_on: Severity) -> ScanReport {
        let verdict = if skills.iter().any(|s| s.report.verdict == Verdict::Block) {
            Verdict::Block
        } else {
            Verdict::Pass
        };
        ScanReport {
            tool: Tool {
                name: "skillsig",
                version: crate::VERSION,
            },
            rules_version: RULES_VERSION,
            fail_on,
            verdict,
            skills,
        }
    }

    /// SARIF 2.1.0: one run, every rule's metadata, one result per finding with a stable
    /// partial fingerprint and repository-relative paths.
    pub fn to_sarif(&self) -> Value {
        let rules_json: Vec<Value> = RULES
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.title.replace(|c: char| !c.is_alphanumeric(), ""),
                    "shortDescription": {"text": r.title},
                    "fullDescription": {"text": r.finds},
                    "help": {"text": format!("{}\n\nExample: {}", r.why, r.example), "markdown": format!("{}\n\n*Example:* `{}`", r.why, r.example)},
                    "defaultConfiguration": {"level": level(r.severity)},
                    "properties": {"tags": ["security"], "security-severity": security_severity(r.severity), "severity": r.severity.as_str()},
                })
            })
            .collect();
        let mut results = Vec::new();
        for skill in &self.skills {
            let in_bundle = skill.path.ends_with(".skill");
            for finding in &skill.report.findings {
                let uri = if in_bundle {
                    skill.path.clone()
                } else {
                    join(&skill.path, &finding.file)
                };
                let mut result = json!({
                    "ruleId": finding.rule.as_str(),
                    "level": level(finding.severity),
                    "message": {"text": if in_bundle { format!("{}: {}", finding.file, finding.message) } else { finding.message.clone() }},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": finding.line.max(1), "startColumn": finding.column.max(1), "snippet": {"text": finding.snippet}},
                        }
                    }],
                    "partialFingerprints": {"skillsig/v1": fingerprint(&uri, finding)},
                    "properties": {"severity": finding.severity.as_str()},
                    // `rules` below lists RULES in order, so a rule's index is its position there.
                    "ruleIndex": finding.rule as usize,
                });
                if let Some(source) = &finding.source {
                    // GitHub code scanning draws a code flow as a path from step to step.
                    let step = |line: usize, column: usize, snippet: &str, text: String| {
                        json!({"location": {
                            "physicalLocation": {
                                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                "region": {"startLine": line.max(1), "startColumn": column.max(1), "snippet": {"text": snippet}},
                            },
                            "message": {"text": text},
                        }})
                    };
                    result["codeFlows"] = json!([{"threadFlows": [{"locations": [
                        step(source.line, source.column, &source.snippet, format!("reads {}", source.what)),
                        step(finding.line, finding.column, &finding.snippet, finding.message.clone()),
                    ]}]}]);
                }
                if let Some(reason) = &finding.suppressed {
                    result["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
                }
                results.push(result);
            }
        }
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "skillsig",
                    "version": crate::VERSION,
                    "informationUri": "https://github.com/skillsig/skillsig",
                    "rules": rules_json,
                }},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///"}},
                "results": results,
            }]
        })
    }
}

fn join(base: &str, file: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.is_empty() || base == "." {
        file.to_owned()
    } else {
        format!("{base}/{file}")
    }
}

/// SARIF levels: error for what blocks by default, warning for medium, note below.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's numeric severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// Stable across line moves: rule, file and the whitespace-normalized snippet.
fn fingerprint(uri: &str, finding: &super::Finding) -> String {
    let snippet: String = finding
        .snippet
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let digest = crate::tree::sha256(format!("{}\n{uri}\n{snippet}", finding.rule).as_bytes());
    hex::encode(&digest[..16])
}
