//! Where OpenClaw loads Skills from, and which Skill wins when two share a name.
//!
//! OpenClaw has no hook before it loads a Skill, so the load gate must see every folder it
//! loads from, in its order: `<workspace>/skills`, `<workspace>/.agents/skills`,
//! `~/.agents/skills` (only with the default state folder), `<state>/skills`,
//! `<agent dir>/workshop-skills` for each agent (`agents.entries.<id>.agentDir`, else
//! `<state>/agents/<id>/agent`), the bundled Skills, then
//! `skills.load.extraDirs`. A `SKILL.md` up to six levels below a root makes a Skill; its name
//! is the frontmatter `name` (else the folder's), its config key `metadata.openclaw.skillKey`
//! (else the name), and of two Skills with one name the one in the higher root is loaded.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value as Json;

/// How deep below a root OpenClaw looks for `SKILL.md`.
pub const MAX_DEPTH: usize = 6;
/// The largest `SKILL.md` read for a name (OpenClaw reads only the frontmatter).
const MAX_SKILL_MD_BYTES: u64 = 256 * 1024;

/// What a root is, in OpenClaw's words (its `source` in `openclaw skills list --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootKind {
    /// `<workspace>/skills`.
    Workspace,
    /// `<workspace>/.agents/skills`.
    WorkspaceAgents,
    /// `~/.agents/skills`.
    PersonalAgents,
    /// `<state>/skills`, where `openclaw skills install` puts Skills.
    Managed,
    /// `<agent dir>/workshop-skills`.
    Workshop,
    /// The Skills shipped inside OpenClaw.
    Bundled,
    /// `skills.load.extraDirs`.
    Extra,
}

/// One folder OpenClaw loads Skills from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Root {
    /// What it is.
    pub kind: RootKind,
    /// Where.
    pub dir: PathBuf,
}

/// What OpenClaw's Skill locations depend on: its environment and its config.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The user's home.
    pub home: PathBuf,
    /// `OPENCLAW_STATE_DIR`, when set.
    pub state_dir: Option<PathBuf>,
    /// `OPENCLAW_WORKSPACE_DIR`, when set.
    pub workspace_dir: Option<PathBuf>,
    /// `OPENCLAW_PROFILE`, when set.
    pub profile: Option<String>,
    /// The bundled Skills folder (`OPENCLAW_BUNDLED_SKILLS_DIR`, or `skills/` in OpenClaw's
    /// package), when known.
    pub bundled_dir: Option<PathBuf>,
}

impl Environment {
    /// The state folder: `OPENCLAW_STATE_DIR`, else `~/.openclaw`.
    pub fn state(&self) -> PathBuf {
        self.state_dir
            .as_deref()
            .map(|d| self.user_path(&d.to_string_lossy()))
            .unwrap_or_else(|| self.home.join(".openclaw"))
    }

    /// The config file: `OPENCLAW_CONFIG_PATH` is the caller's to check first; this is the
    /// default, `<state>/openclaw.json`.
    pub fn config_path(&self) -> PathBuf {
        self.state().join("openclaw.json")
    }

    /// `~` and `~/…` expanded against the home, other paths as given.
    pub fn user_path(&self, text: &str) -> PathBuf {
        let text = text.trim();
        if text == "~" {
            self.home.clone()
        } else if let Some(rest) = text.strip_prefix("~/") {
            self.home.join(rest)
        } else {
            PathBuf::from(text)
        }
    }

    /// The default agent's workspace: `agents.defaults.workspace`, else
    /// `OPENCLAW_WORKSPACE_DIR`, else `<state>/workspace` when the state folder is set, else
    /// `~/.openclaw/workspace` (`workspace-<profile>` with a profile).
    pub fn workspace(&self, config: &Json) -> PathBuf {
        if let Some(dir) = string_at(config, &["agents", "defaults", "workspace"]) {
            return self.user_path(dir);
        }
        if let Some(dir) = &self.workspace_dir {
            return dir.clone();
        }
        if self.state_dir.is_some() {
            return self.state().join("workspace");
        }
        match self
            .profile
            .as_deref()
            .filter(|p| !p.is_empty() && *p != "default")
        {
            Some(profile) => self
                .home
                .join(".openclaw")
                .join(format!("workspace-{profile}")),
            None => self.home.join(".openclaw").join("workspace"),
        }
    }

    /// Every root, highest precedence first (see the module docs).
    pub fn roots(&self, config: &Json) -> Vec<Root> {
        let mut roots = Vec::new();
        let mut push = |kind, dir: PathBuf| {
            if !roots.iter().any(|r: &Root| r.dir == dir) {
                roots.push(Root { kind, dir });
            }
        };
        let mut workspaces = vec![self.workspace(config)];
        for agent in agents(config) {
            if let Some(dir) = agent.get("workspace").and_then(Json::as_str) {
                workspaces.push(self.user_path(dir));
            }
        }
        for workspace in &workspaces {
            push(RootKind::Workspace, workspace.join("skills"));
            push(
                RootKind::WorkspaceAgents,
                workspace.join(".agents").join("skills"),
            );
        }
        if self.state_dir.is_none() && self.profile.is_none() {
            push(
                RootKind::PersonalAgents,
                self.home.join(".agents").join("skills"),
            );
        }
        let state = self.state();
        push(RootKind::Managed, state.join("skills"));
        let mut agent_dirs: Vec<PathBuf> = fs::read_dir(state.join("agents"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path().join("agent"))
            .collect();
        agent_dirs.extend(
            agents(config)
                .filter_map(|a| a.get("agentDir").and_then(Json::as_str))
                .map(|d| self.user_path(d)),
        );
        agent_dirs.sort();
        for dir in agent_dirs {
            push(RootKind::Workshop, dir.join("workshop-skills"));
        }
        if let Some(bundled) = &self.bundled_dir {
            push(RootKind::Bundled, bundled.clone());
        }
        if let Some(Json::Array(dirs)) = value_at(config, &["skills", "load", "extraDirs"]) {
            for dir in dirs.iter().filter_map(Json::as_str) {
                if !dir.trim().is_empty() {
                    push(RootKind::Extra, self.user_path(dir));
                }
            }
        }
        roots
    }
}

/// The configured agents: `agents.entries.<id>`, and the older `agents.list[]`.
fn agents(config: &Json) -> impl Iterator<Item = &Json> {
    let entries = value_at(config, &["agents", "entries"])
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|m| m.values());
    let list = value_at(config, &["agents", "list"])
        .and_then(Json::as_array)
        .into_iter()
        .flatten();
    entries.chain(list)
}

/// The value at a path of object keys.
pub fn value_at<'a>(config: &'a Json, path: &[&str]) -> Option<&'a Json> {
    path.iter().try_fold(config, |value, key| value.get(key))
}

fn string_at<'a>(config: &'a Json, path: &[&str]) -> Option<&'a str> {
    value_at(config, path)
        .and_then(Json::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A Skill OpenClaw would load (or would, but for one of the same name in a higher root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundSkill {
    /// The Skill's folder.
    pub dir: PathBuf,
    /// Its name.
    pub name: String,
    /// Its key in `skills.entries`.
    pub key: String,
    /// The root it is in.
    pub root: Root,
    /// The folder of the Skill of the same name that OpenClaw loads instead, if any.
    pub shadowed_by: Option<PathBuf>,
}

/// Every Skill in `roots` (highest precedence first), each marked with the Skill that shadows
/// it, if any. Links are not followed: a linked folder is listed when it holds a `SKILL.md`,
/// and judged by whoever audits it.
pub fn find_skills(roots: &[Root]) -> Vec<FoundSkill> {
    let mut found: Vec<FoundSkill> = Vec::new();
    let mut first_by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    for root in roots {
        let mut dirs = Vec::new();
        collect(&root.dir, 0, &mut dirs);
        dirs.sort();
        for dir in dirs {
            let (name, key) = name_and_key(&dir);
            let shadowed_by = first_by_name.get(&name).cloned();
            if shadowed_by.is_none() {
                first_by_name.insert(name.clone(), dir.clone());
            }
            found.push(FoundSkill {
                dir,
                name,
                key,
                root: root.clone(),
                shadowed_by,
            });
        }
    }
    found
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if fs::symlink_metadata(dir.join("SKILL.md")).is_ok() {
        out.push(dir.to_owned());
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "node_modules" {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect(&entry.path(), depth + 1, out),
            // A linked folder holding a SKILL.md is loaded by OpenClaw: list it, never enter it.
            Ok(t) if t.is_symlink() && entry.path().join("SKILL.md").is_file() => {
                out.push(entry.path())
            }
            _ => {}
        }
    }
}

/// The name (frontmatter `name`, else the folder's) and config key (`skillKey` in the
/// OpenClaw metadata, else the name) of the Skill in `dir`.
pub fn name_and_key(dir: &Path) -> (String, String) {
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = fs::symlink_metadata(dir.join("SKILL.md"))
        .ok()
        .filter(|m| m.is_file() && m.len() <= MAX_SKILL_MD_BYTES)
        .and_then(|_| fs::read_to_string(dir.join("SKILL.md")).ok());
    let Some(text) = text else {
        return (folder.clone(), folder);
    };
    let front = crate::skill::frontmatter::parse(&text, "SKILL.md", &mut Vec::new());
    let name = front
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(folder);
    let key = front
        .openclaw
        .as_ref()
        .and_then(|block| block.get("skillKey"))
        .and_then(Json::as_str)
        .filter(|k| !k.trim().is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| name.clone());
    (name, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn skill(dir: &Path, front: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(
            dir.join("SKILL.md"),
            format!("---\n{front}\ndescription: d\n---\nbody\n"),
        )
        .unwrap();
    }

    #[test]
    fn roots_follow_openclaws_order_and_config() {
        let env = Environment {
            home: "/home/u".into(),
            state_dir: Some("/state".into()),
            bundled_dir: Some("/opt/openclaw/skills".into()),
            ..Environment::default()
        };
        let config = json!({"skills": {"load": {"extraDirs": ["~/extra", "/shared/skills", " "]}},
                            "agents": {"entries": {"work": {"workspace": "~/work", "agentDir": "/agents/work"}}}});
        let roots: Vec<(RootKind, PathBuf)> = env
            .roots(&config)
            .into_iter()
            .map(|r| (r.kind, r.dir))
            .collect();
        use RootKind::*;
        assert_eq!(
            roots,
            vec![
                (Workspace, "/state/workspace/skills".into()),
                (WorkspaceAgents, "/state/workspace/.agents/skills".into()),
                (Workspace, "/home/u/work/skills".into()),
                (WorkspaceAgents, "/home/u/work/.agents/skills".into()),
                (Managed, "/state/skills".into()),
                (Workshop, "/agents/work/workshop-skills".into()),
                (Bundled, "/opt/openclaw/skills".into()),
                (Extra, "/home/u/extra".into()),
                (Extra, "/shared/skills".into()),
            ]
        );
        // With the default state folder, ~/.agents/skills is loaded too.
        let env = Environment {
            home: "/home/u".into(),
            ..Environment::default()
        };
        let roots = env.roots(&json!({"agents": {"defaults": {"workspace": "~/ws"}}}));
        assert_eq!(roots[0].dir, PathBuf::from("/home/u/ws/skills"));
        assert!(
            roots
                .iter()
                .any(|r| r.kind == PersonalAgents && r.dir == Path::new("/home/u/.agents/skills"))
        );
        assert_eq!(
            roots.iter().find(|r| r.kind == Managed).unwrap().dir,
            PathBuf::from("/home/u/.openclaw/skills")
        );
    }

    #[test]
    fn skills_are_found_deep_named_by_frontmatter_and_shadowed_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let high = tmp.path().join("high");
        let low = tmp.path().join("low");
        skill(&high.join("weather"), "name: weather");
        skill(
            &high.join("a/b/c/d/e/deep"),
            "name: deep\nmetadata: {\"openclaw\": {\"skillKey\": \"deep-key\"}}",
        );
        skill(&high.join("a/b/c/d/e/f/too-deep"), "name: too-deep");
        skill(&high.join(".hidden/x"), "name: hidden");
        skill(&low.join("other-folder"), "name: weather");
        skill(&low.join("plain"), "description-only: x");
        let roots = [
            Root {
                kind: RootKind::Workspace,
                dir: high.clone(),
            },
            Root {
                kind: RootKind::Managed,
                dir: low.clone(),
            },
            Root {
                kind: RootKind::Extra,
                dir: tmp.path().join("missing"),
            },
        ];
        let found = find_skills(&roots);
        let summary: Vec<(&str, &str, bool)> = found
            .iter()
            .map(|s| (s.name.as_str(), s.key.as_str(), s.shadowed_by.is_some()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("deep", "deep-key", false),
                ("weather", "weather", false),
                ("weather", "weather", true),
                ("plain", "plain", false),
            ]
        );
        assert_eq!(
            found[2].shadowed_by.as_deref(),
            Some(&*high.join("weather"))
        );
    }
}
