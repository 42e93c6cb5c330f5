//! Declared permissions compiled into OpenClaw's own run-time controls.
//!
//! OpenClaw cannot restrict one Skill: exec approvals, the tool policy and the sandbox apply
//! per agent, and a tool call carries no Skill identity. So what the Skills declare is compiled
//! into settings for one agent: the exec-approvals allowlist (absolute paths, since OpenClaw
//! ignores basename patterns) with `security: "allowlist"`, the sandbox (no network unless a
//! Skill declares some, read-only or read-write binds for declared paths, workspace access),
//! and the names of the environment variables each Skill's `skills.entries.<key>.env` may
//! hold — names only: values are the user's secrets and never pass through here. Giving a
//! risky Skill an agent of its own keeps these settings from loosening the others.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use crate::permissions::Permissions;

/// What one Skill declares, and where it is.
#[derive(Debug, Clone)]
pub struct DeclaredSkill {
    /// Its key in `skills.entries`.
    pub key: String,
    /// Its folder (for `$SKILL_DIR`).
    pub dir: PathBuf,
    /// What it declares.
    pub permissions: Permissions,
}

/// Where placeholders in declared paths point (`$WORKSPACE` becomes the sandbox's
/// `workspaceAccess`, `$SKILL_DIR` needs nothing: OpenClaw gives the agent its Skills).
#[derive(Debug, Clone)]
pub struct Places {
    /// `~`.
    pub home: PathBuf,
    /// `$TMPDIR`.
    pub tmp: PathBuf,
}

/// The controls for one agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compiled {
    /// The agent the controls are for.
    pub agent: String,
    /// `agents.<agent>` of the exec-approvals file: `security: "allowlist"` and one entry per
    /// declared program, resolved to its absolute path.
    pub exec_approvals: serde_json::Value,
    /// `agents.entries.<agent>.sandbox` for the config.
    pub sandbox: serde_json::Value,
    /// Per Skill key: the environment variable names it declares (no values).
    pub env: Vec<(String, Vec<String>)>,
    /// What could not be compiled, and what that means.
    pub notes: Vec<String>,
}

/// The note every output carries: the controls are not per Skill.
pub const PER_AGENT_NOTE: &str = "OpenClaw's exec approvals and sandbox apply per agent, not per Skill: every Skill this agent loads gets these settings. Give a risky Skill an agent of its own (agents.entries.<id> with its own workspace and sandbox, and agents.entries.<id>.skills listing only that Skill).";

/// Compiles what `skills` declare into the controls of `agent`. `resolve` finds a program on
/// the PATH OpenClaw runs with (an absolute path, or `None`).
pub fn compile(
    skills: &[DeclaredSkill],
    agent: &str,
    places: &Places,
    resolve: impl Fn(&str) -> Option<PathBuf>,
) -> Compiled {
    let mut notes = vec![PER_AGENT_NOTE.to_owned()];
    let mut allow: BTreeSet<PathBuf> = BTreeSet::new();
    let mut network = false;
    let mut binds: BTreeSet<(PathBuf, bool)> = BTreeSet::new();
    let mut workspace_access = "none";
    let mut env = Vec::new();
    for skill in skills {
        let declared = &skill.permissions;
        for program in &declared.exec {
            if program == "*" {
                notes.push(format!("{}: declares exec:* (any program), which no allowlist can express; nothing was added for it, so OpenClaw asks or denies", skill.key));
            } else if let Some(rest) = program.strip_prefix("$SKILL_DIR/") {
                allow.insert(skill.dir.join(rest));
            } else {
                match resolve(program) {
                    Some(path) => {
                        allow.insert(path);
                    }
                    None => notes.push(format!("{}: exec:{program} is not on PATH, so it has no absolute path to allow; install it and compile again", skill.key)),
                }
            }
        }
        if !declared.network.is_empty() {
            network = true;
        }
        for (paths, write) in [(&declared.read, false), (&declared.write, true)] {
            for path in paths {
                match place(path, places) {
                    Place::Workspace => {
                        workspace_access = if write || workspace_access == "rw" {
                            "rw"
                        } else {
                            "ro"
                        };
                    }
                    Place::Host(host) => {
                        binds.insert((host, write));
                    }
                    Place::Glob => notes.push(format!(
                        "{}: {} {path} is a pattern; a bind needs a folder, so none was added",
                        skill.key,
                        if write { "write" } else { "read" }
                    )),
                    Place::SkillDir => {}
                }
            }
        }
        let names: Vec<String> = declared.env.iter().cloned().collect();
        if !names.is_empty() {
            env.push((skill.key.clone(), names));
        }
    }
    if network {
        notes.push("a Skill declares network access: the sandbox gets docker.network \"bridge\"; OpenClaw has no per-host network filter, so the declared hosts are not enforced".into());
    }
    // A path bound read-write is not also bound read-only.
    let writable: BTreeSet<PathBuf> = binds.iter().filter(|b| b.1).map(|b| b.0.clone()).collect();
    let binds: Vec<String> = binds
        .iter()
        .filter(|(path, write)| *write || !writable.contains(path))
        .map(|(path, write)| {
            let path = path.display();
            format!("{path}:{path}:{}", if *write { "rw" } else { "ro" })
        })
        .collect();
    let allowlist: Vec<serde_json::Value> = allow
        .iter()
        .map(|p| json!({"pattern": p.display().to_string()}))
        .collect();
    Compiled {
        agent: agent.to_owned(),
        exec_approvals: json!({"security": "allowlist", "allowlist": allowlist}),
        sandbox: json!({
            "mode": "all",
            "workspaceAccess": workspace_access,
            "docker": {"network": if network { "bridge" } else { "none" }, "binds": binds},
        }),
        env,
        notes,
    }
}

enum Place {
    Workspace,
    SkillDir,
    Host(PathBuf),
    Glob,
}

fn place(path: &str, places: &Places) -> Place {
    if path.contains('*') {
        return Place::Glob;
    }
    let expand = |base: &Path, rest: &str| {
        let rest = rest.trim_start_matches('/');
        if rest.is_empty() {
            base.to_owned()
        } else {
            base.join(rest)
        }
    };
    if path == "$WORKSPACE" || path.starts_with("$WORKSPACE/") {
        return Place::Workspace;
    }
    if path == "$SKILL_DIR" || path.starts_with("$SKILL_DIR/") {
        return Place::SkillDir;
    }
    if let Some(rest) = path.strip_prefix("$TMPDIR") {
        return Place::Host(expand(&places.tmp, rest));
    }
    if let Some(rest) = path.strip_prefix('~') {
        return Place::Host(expand(&places.home, rest));
    }
    Place::Host(PathBuf::from(path))
}

/// Merges the agent's controls into an exec-approvals file as `openclaw approvals get --json`
/// returns it (its `file`), keeping every other agent and the defaults as they are.
pub fn merge_exec_approvals(file: &serde_json::Value, compiled: &Compiled) -> serde_json::Value {
    let mut file = if file.is_object() {
        file.clone()
    } else {
        json!({})
    };
    if file.get("version").is_none() {
        file["version"] = json!(1);
    }
    if !file.get("agents").is_some_and(serde_json::Value::is_object) {
        file["agents"] = json!({});
    }
    file["agents"][&compiled.agent] = compiled.exec_approvals.clone();
    file
}

/// The config patch (for `openclaw config patch`) that sets the agent's sandbox in
/// `agents.entries.<agent>.sandbox`: the compiled keys replace the agent's, and its other
/// sandbox settings and every other agent stay as they are.
pub fn agent_sandbox_patch(compiled: &Compiled) -> serde_json::Value {
    json!({"agents": {"entries": {&compiled.agent: {"sandbox": compiled.sandbox}}}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::Kind;

    fn places() -> Places {
        Places {
            home: "/home/u".into(),
            tmp: "/tmp".into(),
        }
    }

    fn declared(key: &str, items: &[(Kind, &str)]) -> DeclaredSkill {
        let mut permissions = Permissions::default();
        for (kind, value) in items {
            permissions.add(*kind, value).unwrap();
        }
        DeclaredSkill {
            key: key.into(),
            dir: PathBuf::from(format!("/skills/{key}")),
            permissions,
        }
    }

    fn on_path(name: &str) -> Option<PathBuf> {
        ["git", "python3"]
            .contains(&name)
            .then(|| PathBuf::from(format!("/usr/bin/{name}")))
    }

    #[test]
    fn declared_programs_become_absolute_allowlist_entries() {
        let skill = declared(
            "gh-helper",
            &[
                (Kind::Exec, "git"),
                (Kind::Exec, "python3"),
                (Kind::Exec, "$SKILL_DIR/scripts/run.sh"),
                (Kind::Exec, "not-installed"),
            ],
        );
        let compiled = compile(&[skill], "helper", &places(), on_path);
        assert_eq!(compiled.exec_approvals["security"], "allowlist");
        let patterns: Vec<&str> = compiled.exec_approvals["allowlist"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pattern"].as_str().unwrap())
            .collect();
        assert_eq!(
            patterns,
            [
                "/skills/gh-helper/scripts/run.sh",
                "/usr/bin/git",
                "/usr/bin/python3"
            ]
        );
        assert!(patterns.iter().all(|p| p.starts_with('/')));
        assert!(
            compiled
                .notes
                .iter()
                .any(|n| n.contains("exec:not-installed"))
        );
        assert_eq!(compiled.notes[0], PER_AGENT_NOTE);
    }

    #[test]
    fn the_sandbox_has_no_network_unless_declared_and_binds_for_declared_paths() {
        let quiet = declared(
            "notes",
            &[
                (Kind::Read, "$WORKSPACE"),
                (Kind::Read, "~/.config/gh"),
                (Kind::Write, "~/.config/gh"),
                (Kind::Read, "/etc/ssl"),
                (Kind::Read, "$TMPDIR/**"),
                (Kind::Env, "GITHUB_TOKEN"),
            ],
        );
        let compiled = compile(std::slice::from_ref(&quiet), "main", &places(), on_path);
        assert_eq!(compiled.sandbox["docker"]["network"], "none");
        assert_eq!(compiled.sandbox["workspaceAccess"], "ro");
        assert_eq!(
            compiled.sandbox["docker"]["binds"],
            json!([
                "/etc/ssl:/etc/ssl:ro",
                "/home/u/.config/gh:/home/u/.config/gh:rw"
            ])
        );
        assert!(compiled.notes.iter().any(|n| n.contains("$TMPDIR/**")));
        assert_eq!(
            compiled.env,
            vec![("notes".to_owned(), vec!["GITHUB_TOKEN".to_owned()])]
        );
        let chatty = declared(
            "web",
            &[
                (Kind::Network, "api.github.com"),
                (Kind::Write, "$WORKSPACE/out"),
            ],
        );
        let compiled = compile(&[quiet, chatty], "main", &places(), on_path);
        assert_eq!(compiled.sandbox["docker"]["network"], "bridge");
        assert_eq!(compiled.sandbox["workspaceAccess"], "rw");
    }

    #[test]
    fn exec_approvals_merge_keeps_other_agents_and_defaults() {
        let compiled = compile(
            &[declared("a", &[(Kind::Exec, "git")])],
            "helper",
            &places(),
            on_path,
        );
        let file = json!({"version": 1, "defaults": {"security": "deny"}, "agents": {"main": {"security": "full"}}});
        let merged = merge_exec_approvals(&file, &compiled);
        assert_eq!(merged["defaults"]["security"], "deny");
        assert_eq!(merged["agents"]["main"]["security"], "full");
        assert_eq!(merged["agents"]["helper"]["security"], "allowlist");
        let fresh = merge_exec_approvals(&json!(null), &compiled);
        assert_eq!(fresh["version"], 1);
    }

    #[test]
    fn the_agent_sandbox_patch_touches_only_that_agent() {
        let compiled = compile(&[declared("a", &[])], "helper", &places(), on_path);
        let mut config = json!({"agents": {"entries": {
            "main": {"sandbox": {"mode": "off"}},
            "helper": {"workspace": "~/h", "sandbox": {"scope": "agent", "docker": {"image": "img", "network": "bridge", "binds": ["/x:/x:rw"]}}},
        }}});
        crate::openclaw::gate::merge_patch(&mut config, &agent_sandbox_patch(&compiled));
        let entries = &config["agents"]["entries"];
        assert_eq!(entries["main"], json!({"sandbox": {"mode": "off"}}));
        let helper = &entries["helper"];
        assert_eq!(helper["workspace"], "~/h");
        assert_eq!(helper["sandbox"]["scope"], "agent");
        assert_eq!(helper["sandbox"]["mode"], "all");
        assert_eq!(helper["sandbox"]["workspaceAccess"], "none");
        assert_eq!(helper["sandbox"]["docker"]["image"], "img");
        assert_eq!(helper["sandbox"]["docker"]["network"], "none");
        assert_eq!(helper["sandbox"]["docker"]["binds"], json!([]));
    }
}
