//! OpenClaw's requirements block (`metadata.openclaw` in `SKILL.md`), as found.
//!
//! OpenClaw gates a Skill on binaries and environment variables it `requires`; skillsig counts
//! those as declared `exec` and `env` permissions, and records the whole block in the manifest
//! so a reviewer sees what the agent will be told to install.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Level};

/// The fields of the OpenClaw block that matter for permissions and review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OpenClawRequirements {
    /// `requires.bins`: every one must be on PATH.
    pub bins: Vec<String>,
    /// `requires.anyBins`: at least one must be on PATH.
    pub any_bins: Vec<String>,
    /// `requires.env`: environment variables (or config-provided secrets).
    pub env: Vec<String>,
    /// `requires.config`: config keys that must be truthy.
    pub config: Vec<String>,
    /// `primaryEnv`: the variable an API key is injected into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_env: Option<String>,
    /// `os`: platforms the Skill supports.
    pub os: Vec<String>,
    /// `install`: installer specs the OpenClaw UI offers, as found (objects only).
    pub install: Vec<Json>,
}

impl OpenClawRequirements {
    /// Reads the block leniently: a field of the wrong type is a diagnostic and is skipped.
    pub fn from_json(
        block: &Json,
        file: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> OpenClawRequirements {
        let mut warn = |what: &str| {
            diagnostics.push(Diagnostic {
                level: Level::Warning,
                code: "openclaw-metadata",
                file: file.to_owned(),
                line: None,
                column: None,
                message: format!("OpenClaw metadata: {what}; ignored"),
            });
        };
        let requires = block.get("requires");
        let mut strings = |value: Option<&Json>, name: &str| -> Vec<String> {
            match value {
                None | Some(Json::Null) => Vec::new(),
                Some(Json::Array(items)) => items
                    .iter()
                    .filter_map(|item| match item {
                        Json::String(s) => Some(s.clone()),
                        other => {
                            warn(&format!("`{name}` holds {other}, not a string"));
                            None
                        }
                    })
                    .collect(),
                Some(Json::String(s)) => vec![s.clone()],
                Some(other) => {
                    warn(&format!(
                        "`{name}` should be a list of strings, not {other}"
                    ));
                    Vec::new()
                }
            }
        };
        let bins = strings(requires.and_then(|r| r.get("bins")), "requires.bins");
        let any_bins = strings(requires.and_then(|r| r.get("anyBins")), "requires.anyBins");
        let env = strings(requires.and_then(|r| r.get("env")), "requires.env");
        let config = strings(requires.and_then(|r| r.get("config")), "requires.config");
        let os = strings(block.get("os"), "os");
        let primary_env = match block.get("primaryEnv") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => {
                warn(&format!("`primaryEnv` should be a string, not {other}"));
                None
            }
        };
        let install = match block.get("install") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(specs)) => specs
                .iter()
                .filter(|spec| {
                    let ok = spec.is_object();
                    if !ok {
                        warn(&format!(
                            "an `install` entry should be an object, not {spec}"
                        ));
                    }
                    ok
                })
                .cloned()
                .collect(),
            Some(other) => {
                warn(&format!("`install` should be a list, not {other}"));
                Vec::new()
            }
        };
        OpenClawRequirements {
            bins,
            any_bins,
            env,
            config,
            primary_env,
            os,
            install,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field_and_skips_wrong_types() {
        let block = serde_json::json!({
            "emoji": "🐙",
            "requires": {"bins": ["gh", 3], "anyBins": "rg", "env": ["GITHUB_TOKEN"], "config": {"x": 1}},
            "primaryEnv": "GITHUB_TOKEN",
            "os": ["darwin", "linux"],
            "install": [{"kind": "brew", "formula": "gh"}, "curl | sh"]
        });
        let mut diags = Vec::new();
        let req = OpenClawRequirements::from_json(&block, "SKILL.md", &mut diags);
        assert_eq!(req.bins, ["gh"]);
        assert_eq!(req.any_bins, ["rg"]);
        assert_eq!(req.env, ["GITHUB_TOKEN"]);
        assert!(req.config.is_empty());
        assert_eq!(req.primary_env.as_deref(), Some("GITHUB_TOKEN"));
        assert_eq!(req.os, ["darwin", "linux"]);
        assert_eq!(req.install.len(), 1);
        assert_eq!(diags.len(), 3, "{diags:?}");
    }
}
