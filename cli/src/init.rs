//! `skillsig init`: write a commented `skillsig.toml` for a Skill folder, or add to one.

use std::fmt::Write as _;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::Args;
use skillsig::permissions::{Kind, Permissions};
use skillsig::scan::{self, ScanInput, ScanOptions};
use skillsig::skill::config::{self, Additions};
use skillsig::skill::{CONFIG_FILE, SKILL_MD, frontmatter, namespace_from_remote_url};

use crate::failure::Failure;

/// Write a commented skillsig.toml into a Skill folder: the namespace and version the Skill is
/// published under, and the permissions it asks for (pre-filled with what the scanner sees the
/// code use: review them).
///
/// The namespace comes from --namespace, else is asked for on a terminal (suggesting the owner
/// of the git remote `origin`), else is that owner; with none of these, init exits 2. Name and
/// version are taken from SKILL.md where they are usable. An existing skillsig.toml is never
/// overwritten: --update adds newly detected capabilities (and a namespace, when it has none)
/// and keeps everything you wrote, comments and order included.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct InitArgs {
    /// The Skill folder (the one holding SKILL.md).
    pub dir: PathBuf,
    /// Your publisher namespace (lowercase letters, digits, hyphens).
    #[arg(long)]
    pub namespace: Option<String>,
    /// The version to publish (semver 2.0) [default: SKILL.md's, else 0.1.0].
    #[arg(long, conflicts_with = "update")]
    pub version: Option<semver::Version>,
    /// Add to an existing skillsig.toml: capabilities the code uses that it does not declare
    /// yet, and a namespace when it has none. Nothing you wrote is removed or changed.
    #[arg(long)]
    pub update: bool,
}

pub fn run(args: &InitArgs) -> Result<(), Failure> {
    if let Some(ns) = &args.namespace {
        check_namespace(ns).map_err(|why| Failure::error("usage", format!("--namespace {why}")))?;
    }
    if !args.dir.is_dir() {
        return Err(Failure::error(
            "io",
            format!("{}: not a folder", args.dir.display()),
        ));
    }
    let target = args.dir.join(CONFIG_FILE);
    match (target.exists(), args.update) {
        (true, true) => return update(args, &target),
        (true, false) => {
            return Err(Failure::error(
                "exists",
                format!(
                    "{} already exists; nothing was changed\n\
                     To add what the code uses but it does not declare yet (and a namespace, if it has none), keeping everything you wrote:\n  \
                     skillsig init {} --update",
                    target.display(),
                    args.dir.display()
                ),
            ));
        }
        (false, true) => {
            return Err(Failure::error(
                "usage",
                format!(
                    "{} does not exist yet: run `skillsig init {}` without --update",
                    target.display(),
                    args.dir.display()
                ),
            ));
        }
        (false, false) => {}
    }
    let namespace = choose_namespace(args)?;
    let found = detected(&args.dir, Some(Permissions::default()));
    let text = render(args, &namespace, &read_frontmatter(&args.dir), &found);
    crate::files::write_new(&target, text.as_bytes(), 0o644)?;
    println!("Wrote {} (namespace {namespace})", target.display());
    if !found.is_empty() {
        println!(
            "Review the permissions it pre-filled from what the code uses before you publish."
        );
    }
    Ok(())
}

/// `init --update`: adds, never removes.
fn update(args: &InitArgs, target: &Path) -> Result<(), Failure> {
    let text = crate::files::read_limited(target, 1024 * 1024)?;
    let text = String::from_utf8(text)
        .map_err(|_| Failure::error("config", format!("{}: not UTF-8 text", target.display())))?;
    let config_error = |err: config::ConfigError| {
        Failure::error(
            "config",
            format!(
                "{}: {err}\nFix it first; nothing was changed.",
                args.dir.display()
            ),
        )
    };
    let current = config::parse(&text, &mut Vec::new()).map_err(config_error)?;
    let namespace = match (&current.namespace, &args.namespace) {
        (Some(have), Some(asked)) if have != asked => {
            return Err(Failure::error(
                "usage",
                format!(
                    "{} already names namespace {have:?}; --update never replaces what you wrote: edit the file to change it (nothing was changed)",
                    target.display()
                ),
            ));
        }
        (Some(_), _) => None,
        (None, _) => Some(choose_namespace(args)?),
    };
    let additions = Additions {
        namespace,
        permissions: detected(&args.dir, None),
    };
    let edited = config::add(&text, &additions).map_err(config_error)?;
    if edited.changed.is_empty() {
        println!(
            "{} is up to date: it names a namespace and declares every capability the scanner sees.",
            target.display()
        );
        return Ok(());
    }
    crate::files::replace(target, edited.text.as_bytes())?;
    println!("Updated {}:", target.display());
    let mut table = "";
    for (in_table, line) in &edited.changed {
        if *in_table != table {
            println!("  [{in_table}]");
            table = in_table;
        }
        println!("  {line}");
    }
    Ok(())
}

/// Why `ns` is not a usable namespace, if it is not.
fn check_namespace(ns: &str) -> Result<(), String> {
    if frontmatter::is_spec_name(ns) {
        Ok(())
    } else {
        Err(format!(
            "{ns:?} is not valid: use lowercase letters, digits and single hyphens (at most 64)"
        ))
    }
}

/// The namespace: --namespace, else asked on a terminal (suggesting the git remote's owner),
/// else the git remote's owner; else exit 2.
fn choose_namespace(args: &InitArgs) -> Result<String, Failure> {
    if let Some(ns) = &args.namespace {
        return Ok(ns.clone());
    }
    let suggested = git_remote_owner(&args.dir);
    if std::io::stdin().is_terminal() {
        return ask_namespace(suggested.as_deref());
    }
    match suggested {
        Some(owner) => {
            println!(
                "Namespace {owner}: the owner of git remote origin (pass --namespace to choose another)."
            );
            Ok(owner)
        }
        None => Err(Failure::error(
            "usage",
            format!(
                "no namespace: pass --namespace NS (your publisher namespace: lowercase letters, digits, hyphens); \
                 stdin is not a terminal to ask, and {} has no git remote origin to suggest one. Nothing was written.",
                args.dir.display()
            ),
        )),
    }
}

fn ask_namespace(suggested: Option<&str>) -> Result<String, Failure> {
    let io =
        |err: std::io::Error| Failure::error("io", format!("cannot read the namespace: {err}"));
    let stdin = std::io::stdin();
    for _ in 0..3 {
        match suggested {
            Some(s) => eprint!("Publisher namespace [{s}]: "),
            None => eprint!("Publisher namespace (lowercase letters, digits, hyphens): "),
        }
        std::io::stderr().flush().map_err(io)?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).map_err(io)? == 0 {
            break;
        }
        let answer = match (line.trim(), suggested) {
            ("", Some(s)) => s.to_owned(),
            ("", None) => continue,
            (answer, _) => answer.to_owned(),
        };
        match check_namespace(&answer) {
            Ok(()) => return Ok(answer),
            Err(why) => eprintln!("{why}"),
        }
    }
    Err(Failure::error(
        "usage",
        "no namespace given; pass --namespace NS. Nothing was written.",
    ))
}

/// The namespace the Skill's git remote `origin` suggests: asked of git (which knows about
/// worktrees and parent folders), else read from the nearest `.git/config`.
fn git_remote_owner(dir: &Path) -> Option<String> {
    let from_git = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["config", "--get", "remote.origin.url"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    let url = from_git.or_else(|| origin_in_git_config(dir))?;
    namespace_from_remote_url(&url)
}

/// `url` of `[remote "origin"]` in the `.git/config` of `dir` or its nearest parent that has one.
fn origin_in_git_config(dir: &Path) -> Option<String> {
    let dir = dir.canonicalize().ok()?;
    let config = dir
        .ancestors()
        .map(|a| a.join(".git"))
        .find(|git| git.exists())?
        .join("config");
    let text = crate::files::read_limited(&config, 1024 * 1024).ok()?;
    let mut in_origin = false;
    for line in String::from_utf8_lossy(&text).lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_origin = line.replace(char::is_whitespace, "") == "[remote\"origin\"]";
        } else if in_origin
            && let Some((key, value)) = line.split_once('=')
            && key.trim().eq_ignore_ascii_case("url")
        {
            return Some(value.trim().to_owned());
        }
    }
    None
}

fn read_frontmatter(dir: &Path) -> frontmatter::Frontmatter {
    std::fs::read(dir.join(SKILL_MD))
        .map(|bytes| {
            frontmatter::parse(&String::from_utf8_lossy(&bytes), SKILL_MD, &mut Vec::new())
        })
        .unwrap_or_default()
}

/// What the scanner sees the code use beyond `declared` (`None`: what the folder's own
/// skillsig.toml and SKILL.md declare). Values computed at run time (`*`) are left out: which
/// host or program is for the publisher to decide, not to pre-fill.
fn detected(dir: &Path, declared: Option<Permissions>) -> Permissions {
    let Ok(input) = ScanInput::from_dir(dir, &skillsig::Limits::DEFAULT) else {
        return Permissions::default();
    };
    let report = scan::scan(
        &input,
        &ScanOptions {
            manifest_permissions: declared,
            ..ScanOptions::default()
        },
    );
    scan::missing_declarations(&report).0
}

fn list(found: &Permissions, kind: Kind) -> String {
    let values: Vec<String> = found
        .values(kind)
        .iter()
        .map(|s| format!("{s:?}"))
        .collect();
    format!("[{}]", values.join(", "))
}

fn render(
    args: &InitArgs,
    namespace: &str,
    fm: &frontmatter::Frontmatter,
    found: &Permissions,
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
    let _ = writeln!(out, "namespace = \"{namespace}\"");
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
    let _ = writeln!(out, "network = {}", list(found, Kind::Network));
    let _ = writeln!(
        out,
        "# Programs it runs, by name: \"git\", \"ffmpeg\"; or \"$SKILL_DIR/scripts/x.sh\"."
    );
    let _ = writeln!(out, "exec = {}", list(found, Kind::Exec));
    let _ = writeln!(
        out,
        "# Environment variables it reads: \"GITHUB_TOKEN\", \"OPENAI_*\"."
    );
    let _ = writeln!(out, "env = {}", list(found, Kind::Env));
    let _ = writeln!(
        out,
        "# Paths it reads and writes: \"$WORKSPACE\", \"$SKILL_DIR\", \"$TMPDIR\", \"~/.config/tool\"."
    );
    let _ = writeln!(out, "read = {}", list(found, Kind::Read));
    let _ = writeln!(out, "write = {}", list(found, Kind::Write));

    let _ = writeln!(
        out,
        "{}dynamic-code = true   # it evaluates code built at run time (eval, exec, pickle)",
        if found.dynamic_code { "" } else { "# " }
    );
    let _ = writeln!(
        out,
        "{}native = true         # it ships or loads native code",
        if found.native { "" } else { "# " }
    );
    out
}
