//! `skillsig init`: write a commented `skillsig.toml` for a Skill folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use skillsig::skill::{CONFIG_FILE, SKILL_MD, frontmatter};

use crate::failure::Failure;

/// Write a commented skillsig.toml into a Skill folder: the namespace and version the Skill is
/// published under, and the permissions it asks for (all empty: deny by default).
///
/// Name and version are taken from SKILL.md where they are usable. An existing skillsig.toml
/// is never overwritten.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct InitArgs {
    /// The Skill folder (the one holding SKILL.md).
    pub dir: PathBuf,
    /// Your publisher namespace (lowercase letters, digits, hyphens).
    #[arg(long)]
    pub namespace: Option<String>,
    /// The version to publish (semver 2.0) [default: SKILL.md's, else 0.1.0].
    #[arg(long)]
    pub version: Option<semver::Version>,
}

pub fn run(args: &InitArgs) -> Result<(), Failure> {
    if let Some(ns) = &args.namespace
        && !frontmatter::is_spec_name(ns)
    {
        return Err(Failure::error(
            "usage",
            format!(
                "--namespace {ns:?} is not valid: use lowercase letters, digits and single hyphens (at most 64)"
            ),
        ));
    }
    if !args.dir.is_dir() {
        return Err(Failure::error(
            "io",
            format!("{}: not a folder", args.dir.display()),
        ));
    }
    let target = args.dir.join(CONFIG_FILE);
    if target.exists() {
        return Err(Failure::error(
            "exists",
            format!(
                "{} already exists; edit it, or delete it first to start over",
                target.display()
            ),
        ));
    }
    let found = found_capabilities(&args.dir);
    let text = render(args, &read_frontmatter(&args.dir), &found);
    crate::files::write_new(&target, text.as_bytes(), 0o644)?;
    println!("Wrote {}", target.display());
    if args.namespace.is_none() {
        println!("Next: set `namespace` under [skill] (pack refuses a Skill without one).");
    }
    Ok(())
}

fn read_frontmatter(dir: &Path) -> frontmatter::Frontmatter {
    std::fs::read(dir.join(SKILL_MD))
        .map(|bytes| {
            frontmatter::parse(&String::from_utf8_lossy(&bytes), SKILL_MD, &mut Vec::new())
        })
        .unwrap_or_default()
}

/// What the scanner sees the Skill use, grouped by permission key (values sorted, `*` left out:
/// a computed host or program is for the publisher to decide, not to pre-fill).
fn found_capabilities(dir: &Path) -> std::collections::BTreeMap<&'static str, Vec<String>> {
    let mut found: std::collections::BTreeMap<&'static str, Vec<String>> =
        std::collections::BTreeMap::new();
    let Ok(input) = skillsig::scan::ScanInput::from_dir(dir, &skillsig::Limits::DEFAULT) else {
        return found;
    };
    let report = skillsig::scan::scan(&input, &skillsig::scan::ScanOptions::default());
    for capability in &report.capabilities {
        let (kind, value) = capability
            .split_once(':')
            .unwrap_or((capability.as_str(), ""));
        let key = match kind {
            "network" => "network",
            "exec" => "exec",
            "env" => "env",
            "read" => "read",
            "write" => "write",
            "dynamic-code" => "dynamic-code",
            "native" => "native",
            _ => continue,
        };
        if value == "*" {
            continue;
        }
        found.entry(key).or_default().push(value.to_owned());
    }
    found
}

fn list(found: &std::collections::BTreeMap<&'static str, Vec<String>>, key: &str) -> String {
    let values: Vec<String> = found
        .get(key)
        .map(|v| v.iter().map(|s| format!("{s:?}")).collect())
        .unwrap_or_default();
    format!("[{}]", values.join(", "))
}

fn render(
    args: &InitArgs,
    fm: &frontmatter::Frontmatter,
    found: &std::collections::BTreeMap<&'static str, Vec<String>>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# skillsig.toml: how this Skill is published and what it is allowed to do."
    );
    let _ = writeln!(
        out,
        "# The permission vocabulary is described in skillsig's docs/permissions.md.\n"
    );
    let _ = writeln!(out, "[skill]");
    let _ = writeln!(
        out,
        "# Your publisher namespace; a trust root says which keys may sign it."
    );
    match &args.namespace {
        Some(ns) => {
            let _ = writeln!(out, "namespace = \"{ns}\"");
        }
        None => {
            let _ = writeln!(out, "# namespace = \"acme\"");
        }
    }
    let version = args
        .version
        .clone()
        .or_else(|| {
            fm.version
                .as_deref()
                .and_then(|v| semver::Version::parse(v).ok())
        })
        .unwrap_or_else(|| semver::Version::new(0, 1, 0));
    let _ = writeln!(
        out,
        "# Semver 2.0. Raise it for every release: verifiers refuse to go back."
    );
    let _ = writeln!(out, "version = \"{version}\"");
    let usable_name = fm.name.as_deref().filter(|n| frontmatter::is_spec_name(n));
    let folder_name = args
        .dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| frontmatter::is_spec_name(n));
    match (usable_name, folder_name) {
        (Some(_), _) => {
            let _ = writeln!(
                out,
                "# name = \"…\"  # overrides SKILL.md's name (only needed when it breaks the spec)"
            );
        }
        (None, Some(folder)) => {
            let _ = writeln!(
                out,
                "# SKILL.md has no usable name, so the folder's is used:"
            );
            let _ = writeln!(out, "name = \"{folder}\"");
        }
        (None, None) => {
            let _ = writeln!(
                out,
                "# SKILL.md has no usable name: set one (lowercase letters, digits, hyphens)."
            );
            let _ = writeln!(out, "# name = \"my-skill\"");
        }
    }
    let _ = writeln!(out, "\n[permissions]");
    let _ = writeln!(
        out,
        "# Everything not listed is denied. OpenClaw's requires.bins/anyBins/env in SKILL.md count too."
    );
    if !found.is_empty() {
        let _ = writeln!(
            out,
            "# Pre-filled with what `skillsig scan` saw the Skill use: review every value before publishing."
        );
    }
    let _ = writeln!(
        out,
        "# Hosts it connects to: \"api.example.com\", \"*.example.com\", \"localhost:8000\"."
    );
    let _ = writeln!(out, "network = {}", list(found, "network"));
    let _ = writeln!(
        out,
        "# Programs it runs, by name: \"git\", \"ffmpeg\"; or \"$SKILL_DIR/scripts/x.sh\"."
    );
    let _ = writeln!(out, "exec = {}", list(found, "exec"));
    let _ = writeln!(
        out,
        "# Environment variables it reads: \"GITHUB_TOKEN\", \"OPENAI_*\"."
    );
    let _ = writeln!(out, "env = {}", list(found, "env"));
    let _ = writeln!(
        out,
        "# Paths it reads and writes: \"$WORKSPACE\", \"$SKILL_DIR\", \"$TMPDIR\", \"~/.config/tool\"."
    );
    let _ = writeln!(out, "read = {}", list(found, "read"));
    let _ = writeln!(out, "write = {}", list(found, "write"));
    let flag = |key: &str| found.contains_key(key);
    let _ = writeln!(
        out,
        "{}dynamic-code = true   # it evaluates code built at run time (eval, exec, pickle)",
        if flag("dynamic-code") { "" } else { "# " }
    );
    let _ = writeln!(
        out,
        "{}native = true         # it ships or loads native code",
        if flag("native") { "" } else { "# " }
    );
    out
}
