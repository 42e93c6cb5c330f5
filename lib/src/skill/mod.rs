//! The Skill format: `SKILL.md` and its frontmatter, OpenClaw's metadata, and `skillsig.toml`.
//!
//! [`SkillInfo::from_tree`] reads everything skillsig needs to know about a Skill from its
//! files alone (so a bundle describes itself and a manifest can be recomputed from it):
//! identity (`namespace/name@version`), description, declared permissions and OpenClaw's
//! requirements, plus diagnostics for whatever is odd.

pub mod config;
pub mod frontmatter;
mod openclaw;

use std::fmt;

pub use config::{CONFIG_FILE, Config, ConfigError};
pub use frontmatter::Frontmatter;
pub use openclaw::OpenClawRequirements;

use crate::diagnostic::{Diagnostic, Level};
use crate::limits::Limits;
use crate::permissions::{Kind, Permissions};
use crate::tree::{FileEntry, FileTree, SkillPath};

/// The file every Skill has at its root.
pub const SKILL_MD: &str = "SKILL.md";

/// Files an agent writes into a Skill's folder when it installs one (OpenClaw's record of
/// where it came from, ClawHub's origin): not the publisher's, so a signature cannot cover
/// them. Only these exact paths are left out when a folder is compared with its signature;
/// they are still scanned.
pub const AGENT_INSTALL_METADATA: &[&str] =
    &[".openclaw/source-origin.json", ".clawhub/origin.json"];

/// Whether `path` (relative, `/`-separated) is one of [`AGENT_INSTALL_METADATA`].
pub fn is_agent_install_metadata(path: &str) -> bool {
    AGENT_INSTALL_METADATA.contains(&path)
}

/// Why a tree has no usable `SKILL.md`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SkillMdError {
    /// No `SKILL.md` in the Skill.
    #[error("there is no SKILL.md at the root of the Skill")]
    Missing,
    /// `SKILL.md` only in a subfolder.
    #[error("SKILL.md is not at the root of the Skill (found {found})")]
    NotAtRoot {
        /// Where it was found.
        found: String,
    },
    /// `SKILL.md` is larger than the limit.
    #[error("SKILL.md is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
}

impl SkillMdError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            SkillMdError::Missing => "skill-md-missing",
            SkillMdError::NotAtRoot { .. } => "skill-md-not-at-root",
            SkillMdError::TooLarge { .. } => "skill-md-too-large",
        }
    }
}

/// Finds the root `SKILL.md` (any letter case: some tools write `skill.md`). The tree's
/// collision rule already guarantees there is at most one.
pub fn find_skill_md<'t>(
    tree: &'t FileTree,
    limits: &Limits,
) -> Result<(&'t SkillPath, &'t FileEntry), SkillMdError> {
    let root = tree
        .iter()
        .find(|(path, _)| path.as_str().eq_ignore_ascii_case(SKILL_MD));
    match root {
        Some((_, entry)) if entry.data.len() as u64 > limits.max_skill_md_bytes => {
            Err(SkillMdError::TooLarge {
                size: entry.data.len() as u64,
                limit: limits.max_skill_md_bytes,
            })
        }
        Some(found) => Ok(found),
        None => match tree.iter().find(|(path, _)| {
            path.components()
                .last()
                .is_some_and(|name| name.eq_ignore_ascii_case(SKILL_MD))
        }) {
            Some((path, _)) => Err(SkillMdError::NotAtRoot {
                found: path.to_string(),
            }),
            None => Err(SkillMdError::Missing),
        },
    }
}

/// `namespace/name@version`: who publishes the Skill, what it is called, which release.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillId {
    /// Who publishes the Skill; decides who may sign it.
    pub namespace: String,
    /// The Skill's name within its namespace.
    pub name: String,
    /// The release.
    pub version: semver::Version,
}

impl SkillId {
    /// Parses `namespace/name@version`.
    pub fn parse(text: &str) -> Result<SkillId, String> {
        let bad = || format!("{text:?}: expected namespace/name@version");
        let (id, version) = text.split_once('@').ok_or_else(bad)?;
        let (namespace, name) = id.split_once('/').ok_or_else(bad)?;
        if namespace.is_empty() || name.is_empty() || name.contains('/') {
            return Err(bad());
        }
        let version = semver::Version::parse(version).map_err(|e| format!("{text:?}: {e}"))?;
        Ok(SkillId {
            namespace: namespace.into(),
            name: name.into(),
            version,
        })
    }
}

impl fmt::Display for SkillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}", self.namespace, self.name, self.version)
    }
}

/// Everything skillsig reads from a Skill's own files.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillInfo {
    /// Namespace, name and version.
    pub id: SkillId,
    /// The frontmatter `description` (empty when there is none; a diagnostic says so).
    pub description: String,
    /// Declared permissions: `skillsig.toml` plus OpenClaw's `requires.bins`, `anyBins`, `env`
    /// and `primaryEnv`.
    pub permissions: Permissions,
    /// OpenClaw's requirements block, when the frontmatter has one.
    pub openclaw: Option<OpenClawRequirements>,
    /// Whatever is odd about the Skill's files; none of it stopped the read.
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a Skill's identity or declarations cannot be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SkillError {
    /// `SKILL.md` cannot be read.
    #[error(transparent)]
    SkillMd(#[from] SkillMdError),
    /// `skillsig.toml` cannot be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No namespace declared anywhere.
    #[error(
        "no namespace: add `namespace = \"…\"` under [skill] in {CONFIG_FILE} (`skillsig init` writes one)"
    )]
    NoNamespace,
    /// The namespace is not a valid slug.
    #[error(
        "namespace {0:?} is not valid: use lowercase letters, digits and single hyphens (at most 64)"
    )]
    BadNamespace(String),
    /// No usable name.
    #[error("no name: SKILL.md has no usable `name`; set `name` under [skill] in {CONFIG_FILE}")]
    NoName,
    /// The name is not a valid slug.
    #[error(
        "name {0:?} is not valid: use lowercase letters, digits and single hyphens (at most 64); set `name` under [skill] in {CONFIG_FILE} to override SKILL.md"
    )]
    BadName(String),
    /// No version declared anywhere.
    #[error(
        "no version: set `version` under [skill] in {CONFIG_FILE} (or `metadata.version` in SKILL.md)"
    )]
    NoVersion,
    /// The version is not semver 2.0.
    #[error(
        "version {value:?} (from {source_file}) is not a semver 2.0 version such as 1.2.0: {reason}"
    )]
    BadVersion {
        /// The version as written.
        value: String,
        /// The file it came from.
        source_file: &'static str,
        /// Why it is not semver.
        reason: String,
    },
}

impl SkillError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            SkillError::SkillMd(e) => e.code(),
            SkillError::Config(e) => e.code(),
            SkillError::NoNamespace => "skill-no-namespace",
            SkillError::BadNamespace(..) => "skill-bad-namespace",
            SkillError::NoName => "skill-no-name",
            SkillError::BadName(..) => "skill-bad-name",
            SkillError::NoVersion => "skill-no-version",
            SkillError::BadVersion { .. } => "skill-bad-version",
        }
    }
}

impl SkillInfo {
    /// Reads identity, description and permissions from the files of `tree`.
    pub fn from_tree(tree: &FileTree, limits: &Limits) -> Result<SkillInfo, SkillError> {
        let mut diagnostics = Vec::new();
        let (md_path, md) = find_skill_md(tree, limits)?;
        let md_file = md_path.to_string();
        if md_file != SKILL_MD {
            diagnostics.push(warning(
                "skill-md-name",
                &md_file,
                format!("is named {md_file}; the spec says {SKILL_MD}"),
            ));
        }
        let text = String::from_utf8_lossy(&md.data);
        if matches!(text, std::borrow::Cow::Owned(_)) {
            diagnostics.push(warning(
                "skill-md-utf8",
                &md_file,
                "is not valid UTF-8; invalid bytes were replaced".into(),
            ));
        }
        let fm = frontmatter::parse(&text, &md_file, &mut diagnostics);

        let config = match tree.get(CONFIG_FILE) {
            Some(entry) => {
                let text = std::str::from_utf8(&entry.data).map_err(|_| ConfigError::Syntax {
                    line: None,
                    column: None,
                    message: "the file is not valid UTF-8".into(),
                })?;
                config::parse(text, &mut diagnostics)?
            }
            None => Config::default(),
        };
        let openclaw = fm
            .openclaw
            .as_ref()
            .map(|block| OpenClawRequirements::from_json(block, &md_file, &mut diagnostics));

        let id = resolve_id(&fm, &config)?;
        let mut permissions = config.permissions.clone();
        if let Some(req) = &openclaw {
            add_openclaw_permissions(&mut permissions, req, &md_file, &mut diagnostics);
        }
        Ok(SkillInfo {
            id,
            description: fm.description.clone().unwrap_or_default(),
            permissions,
            openclaw,
            diagnostics,
        })
    }
}

/// The namespace a git remote's URL suggests: its owner, lowercased (`acme` for
/// `git@github.com:Acme/skills.git`, `https://github.com/acme/skills` or
/// `ssh://git@host:22/acme/skills.git`), when that is a valid namespace. Local paths and URLs
/// without an owner and a repository suggest nothing.
pub fn namespace_from_remote_url(url: &str) -> Option<String> {
    let url = url.trim();
    let after_host = match url.split_once("://") {
        Some((_, rest)) => {
            let (host, path) = rest.split_once('/')?;
            if host.is_empty() {
                return None;
            }
            path
        }
        // scp-like `user@host:owner/repo`: a colon before any slash.
        None => {
            let (host, path) = url.split_once(':')?;
            if host.is_empty() || host.contains('/') {
                return None;
            }
            path
        }
    };
    let mut segments = after_host.split('/').filter(|s| !s.is_empty());
    let owner = segments.next()?;
    segments.next()?;
    let owner = owner.to_ascii_lowercase();
    frontmatter::is_spec_name(&owner).then_some(owner)
}

/// What a Skill declares, read leniently for the scanner: nothing here fails.
#[derive(Debug, Clone, Default)]
pub struct Declaration {
    /// `name` from `skillsig.toml` or the frontmatter, as written.
    pub name: Option<String>,
    /// `version` from `skillsig.toml` or the frontmatter, as written.
    pub version: Option<String>,
    /// The frontmatter's `description`, as written.
    pub description: Option<String>,
    /// The frontmatter's `homepage` (top level or in the OpenClaw block), as written.
    pub homepage: Option<String>,
    /// `skillsig.toml` permissions plus OpenClaw's requirements.
    pub permissions: Permissions,
    /// OpenClaw's requirements block, when the frontmatter has one.
    pub openclaw: Option<OpenClawRequirements>,
    /// Whether a `skillsig.toml` was present (a broken one declares nothing and says why).
    pub from_config: bool,
    /// Whatever is odd about the declaration; none of it stopped the read.
    pub diagnostics: Vec<Diagnostic>,
}

/// The namespace a `skillsig.toml` text claims, if it parses and names one.
pub fn declared_namespace(config_text: &str) -> Option<String> {
    config::parse(config_text, &mut Vec::new())
        .ok()
        .and_then(|c| c.namespace)
}

/// Reads the declaration from the texts of `SKILL.md` and `skillsig.toml`, whichever exist.
pub fn read_declaration(skill_md: Option<&str>, config_text: Option<&str>) -> Declaration {
    let mut diagnostics = Vec::new();
    let fm = skill_md
        .map(|t| frontmatter::parse(t, SKILL_MD, &mut diagnostics))
        .unwrap_or_default();
    let openclaw = fm
        .openclaw
        .as_ref()
        .map(|b| OpenClawRequirements::from_json(b, SKILL_MD, &mut diagnostics));
    let config = match config_text {
        Some(text) => match config::parse(text, &mut diagnostics) {
            Ok(config) => Some(config),
            Err(err) => {
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    code: "config-invalid",
                    file: CONFIG_FILE.to_owned(),
                    line: None,
                    column: None,
                    message: err.to_string(),
                });
                Some(Config::default())
            }
        },
        None => None,
    };
    let mut permissions = config
        .as_ref()
        .map(|c| c.permissions.clone())
        .unwrap_or_default();
    if let Some(req) = &openclaw {
        add_openclaw_permissions(&mut permissions, req, SKILL_MD, &mut diagnostics);
    }
    Declaration {
        name: config.as_ref().and_then(|c| c.name.clone()).or(fm.name),
        version: config
            .as_ref()
            .and_then(|c| c.version.clone())
            .or(fm.version),
        description: fm.description,
        homepage: fm.homepage,
        permissions,
        openclaw,
        from_config: config.is_some(),
        diagnostics,
    }
}

fn warning(code: &'static str, file: &str, message: String) -> Diagnostic {
    Diagnostic {
        level: Level::Warning,
        code,
        file: file.to_owned(),
        line: None,
        column: None,
        message,
    }
}

fn resolve_id(fm: &Frontmatter, config: &Config) -> Result<SkillId, SkillError> {
    let namespace = config.namespace.clone().ok_or(SkillError::NoNamespace)?;
    if !frontmatter::is_spec_name(&namespace) {
        return Err(SkillError::BadNamespace(namespace));
    }
    let name = config
        .name
        .clone()
        .or_else(|| fm.name.clone())
        .ok_or(SkillError::NoName)?;
    if !frontmatter::is_spec_name(&name) {
        return Err(SkillError::BadName(name));
    }
    let (value, source_file) = match (&config.version, &fm.version) {
        (Some(v), _) => (v.clone(), CONFIG_FILE),
        (None, Some(v)) => (v.clone(), SKILL_MD),
        (None, None) => return Err(SkillError::NoVersion),
    };
    let version = semver::Version::parse(&value).map_err(|err| SkillError::BadVersion {
        value: value.clone(),
        source_file,
        reason: err.to_string(),
    })?;
    Ok(SkillId {
        namespace,
        name,
        version,
    })
}

/// OpenClaw's `requires.bins`/`anyBins` are declared `exec`; `requires.env` and `primaryEnv`
/// are declared `env`. A value that is not a valid permission is reported and left out.
fn add_openclaw_permissions(
    permissions: &mut Permissions,
    req: &OpenClawRequirements,
    file: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let exec = req
        .bins
        .iter()
        .chain(&req.any_bins)
        .map(|v| (Kind::Exec, v));
    let env = req
        .env
        .iter()
        .chain(&req.primary_env)
        .map(|v| (Kind::Env, v));
    for (kind, value) in exec.chain(env) {
        if let Err(err) = permissions.add(kind, value) {
            diagnostics.push(warning(
                "openclaw-permission",
                file,
                format!("OpenClaw requirement not counted as a permission: {err}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_from_remote_urls() {
        for (url, expected) in [
            ("git@github.com:Acme-Corp/skills.git", Some("acme-corp")),
            ("https://github.com/acme/skills", Some("acme")),
            ("https://github.com/acme/skills.git\n", Some("acme")),
            ("ssh://git@github.com:22/acme/skills.git", Some("acme")),
            (
                "https://user@gitlab.example.org/team/sub/skill.git",
                Some("team"),
            ),
            ("git@github.com:Acme_Corp/skills.git", None),
            ("https://github.com/acme", None),
            ("/srv/git/skills.git", None),
            ("../skills", None),
            ("file:///srv/git/skills.git", None),
            ("", None),
        ] {
            assert_eq!(namespace_from_remote_url(url).as_deref(), expected, "{url}");
        }
    }
    use crate::tree::TreeBuilder;

    fn tree(files: &[(&str, &str)]) -> FileTree {
        let mut builder = TreeBuilder::new(Limits::DEFAULT);
        for (path, data) in files {
            builder
                .add(
                    SkillPath::parse(path, &Limits::DEFAULT).unwrap(),
                    data.as_bytes().to_vec(),
                    false,
                )
                .unwrap();
        }
        builder.finish()
    }

    const MD: &str = "---\nname: github\ndescription: Use gh.\nmetadata: {\"openclaw\": {\"requires\": {\"bins\": [\"gh\"], \"env\": [\"GH_TOKEN\"]}, \"primaryEnv\": \"GH_API\"}}\n---\n";

    #[test]
    fn merges_config_and_openclaw_permissions() {
        let t = tree(&[
            ("SKILL.md", MD),
            (
                "skillsig.toml",
                "[skill]\nnamespace = \"acme\"\nversion = \"1.4.2\"\n[permissions]\nexec = [\"git\"]\n",
            ),
        ]);
        let info = SkillInfo::from_tree(&t, &Limits::DEFAULT).unwrap();
        assert_eq!(info.id.to_string(), "acme/github@1.4.2");
        assert_eq!(info.id.bundle_file_name(), "acme-github-1.4.2.skill");
        assert_eq!(
            info.permissions.exec.iter().collect::<Vec<_>>(),
            ["gh", "git"]
        );
        assert_eq!(
            info.permissions.env.iter().collect::<Vec<_>>(),
            ["GH_API", "GH_TOKEN"]
        );
        assert!(info.diagnostics.is_empty(), "{:?}", info.diagnostics);
    }

    #[test]
    fn identity_errors_say_how_to_fix_them() {
        let no_ns = tree(&[("SKILL.md", MD)]);
        assert_eq!(
            SkillInfo::from_tree(&no_ns, &Limits::DEFAULT),
            Err(SkillError::NoNamespace)
        );
        let no_version = tree(&[
            ("SKILL.md", MD),
            ("skillsig.toml", "[skill]\nnamespace = \"acme\"\n"),
        ]);
        assert_eq!(
            SkillInfo::from_tree(&no_version, &Limits::DEFAULT),
            Err(SkillError::NoVersion)
        );
        let bad_version = tree(&[
            ("SKILL.md", "---\nname: x\nversion: \"1.0\"\n---\n"),
            ("skillsig.toml", "[skill]\nnamespace = \"acme\"\n"),
        ]);
        assert!(matches!(
            SkillInfo::from_tree(&bad_version, &Limits::DEFAULT),
            Err(SkillError::BadVersion {
                source_file: "SKILL.md",
                ..
            })
        ));
        let bad_name = tree(&[
            ("SKILL.md", "---\nname: My Skill\n---\n"),
            (
                "skillsig.toml",
                "[skill]\nnamespace = \"acme\"\nversion = \"1.0.0\"\n",
            ),
        ]);
        assert_eq!(
            SkillInfo::from_tree(&bad_name, &Limits::DEFAULT),
            Err(SkillError::BadName("My Skill".into()))
        );
        let bad_ns = tree(&[
            ("SKILL.md", MD),
            (
                "skillsig.toml",
                "[skill]\nnamespace = \"Acme Inc\"\nversion = \"1.0.0\"\n",
            ),
        ]);
        assert_eq!(
            SkillInfo::from_tree(&bad_ns, &Limits::DEFAULT),
            Err(SkillError::BadNamespace("Acme Inc".into()))
        );
    }

    #[test]
    fn config_name_overrides_an_odd_frontmatter_name() {
        let t = tree(&[
            ("skill.md", "no frontmatter at all\n"),
            (
                "skillsig.toml",
                "[skill]\nnamespace = \"acme\"\nname = \"notes\"\nversion = \"0.1.0\"\n",
            ),
        ]);
        let info = SkillInfo::from_tree(&t, &Limits::DEFAULT).unwrap();
        assert_eq!(info.id.name, "notes");
        let codes: Vec<&str> = info.diagnostics.iter().map(|d| d.code).collect();
        assert!(
            codes.contains(&"skill-md-name") && codes.contains(&"frontmatter-missing"),
            "{codes:?}"
        );
    }

    #[test]
    fn skill_md_must_be_at_the_root() {
        assert_eq!(
            find_skill_md(&tree(&[("a.md", "")]), &Limits::DEFAULT),
            Err(SkillMdError::Missing)
        );
        assert_eq!(
            find_skill_md(&tree(&[("sub/SKILL.md", "")]), &Limits::DEFAULT),
            Err(SkillMdError::NotAtRoot {
                found: "sub/SKILL.md".into()
            })
        );
        let small = Limits {
            max_skill_md_bytes: 3,
            ..Limits::DEFAULT
        };
        assert_eq!(
            find_skill_md(&tree(&[("SKILL.md", "abcd")]), &small),
            Err(SkillMdError::TooLarge { size: 4, limit: 3 })
        );
    }
}
