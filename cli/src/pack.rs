//! `skillsig pack`: build a reproducible `.skill` bundle and its manifest from a Skill folder.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;
use skillsig::bundle::{OUTPUT_DIR, SourceError, SourceOptions};
use skillsig::pack::{self, PackError, Undeclared};
use skillsig::skill::{CONFIG_FILE, SkillError};

use crate::failure::{Failure, print_json};

/// Pack a Skill folder into `<namespace>-<name>-<version>.skill` and write its manifest
/// (`<bundle>.manifest.json`) beside it.
///
/// The bundle's bytes depend only on file paths, contents and exec bits. Symlinks, special
/// files, unsafe names and likely secrets (.env, *.pem, *.key, id_rsa*, private keys) are
/// refused. `.git/`, the Skill's `.skillsig/` folder and whatever `.skillignore` lists
/// (gitignore syntax) are left out. Namespace and version come from `skillsig.toml`
/// (`skillsig init` writes one). What the code uses but `skillsig.toml` does not declare is
/// printed as a warning, with the lines to add. A signature left beside an earlier bundle of
/// the same name that does not match the new one is renamed `….sigstore.json.stale`. Nothing
/// is written unless everything succeeds.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct PackArgs {
    /// The Skill folder (the one holding SKILL.md).
    pub dir: PathBuf,
    /// Where to write the bundle and manifest [default: DIR/.skillsig].
    #[arg(short = 'o', long = "out-dir", value_name = "OUTDIR")]
    pub out_dir: Option<PathBuf>,
    /// Ship this file although it looks like a secret (a path relative to DIR; repeatable).
    #[arg(long = "allow-secret", value_name = "PATH")]
    pub allow_secret: Vec<String>,
    /// Refuse to pack if SKILL.md or skillsig.toml has any warning, or the code uses what
    /// skillsig.toml does not declare.
    #[arg(long)]
    pub strict: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &PackArgs) -> Result<(), Failure> {
    let options = SourceOptions {
        allow_secrets: args.allow_secret.clone(),
        ..SourceOptions::default()
    };
    let progress = crate::style::spinner("packing: read, hash, scan", args.json);
    let packed = pack::pack_dir(&args.dir, &options);
    progress.finish_and_clear();
    let packed = packed.map_err(|err| failure(&args.dir, err))?;
    for diagnostic in &packed.info.diagnostics {
        eprintln!("{diagnostic}");
    }
    if args.strict && !packed.info.diagnostics.is_empty() {
        return Err(Failure::refused(
            "strict",
            format!(
                "{} warning(s) above and --strict was given; nothing was written",
                packed.info.diagnostics.len()
            ),
        ));
    }
    let config = args.dir.join(CONFIG_FILE);
    check_undeclared(
        &pack::undeclared(&packed.tree, packed.manifest.permissions()),
        &config.display().to_string(),
        Some(&format!("skillsig init {} --update", args.dir.display())),
        args.strict,
        &format!(
            "Fix {} and pack again; nothing was written.",
            config.display()
        ),
    )?;
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| args.dir.join(OUTPUT_DIR));
    warn_if_output_inside_skill(&args.dir, &out_dir);
    let written = pack::write(&packed, &out_dir).map_err(|err| failure(&args.dir, err))?;

    let tree_digest = hex::encode(packed.manifest.tree_digest());
    let bundle_sha256 = hex::encode(skillsig::tree::sha256(&packed.bundle));
    if args.json {
        print_json(&json!({
            "skill": packed.info.id.to_string(),
            "bundle": written.bundle,
            "manifest": written.manifest,
            "tree_digest": format!("sha256:{tree_digest}"),
            "bundle_sha256": bundle_sha256,
            "bundle_size": packed.bundle.len(),
            "files": packed.tree.len(),
            "diagnostics": packed.info.diagnostics,
        }));
    } else {
        println!(
            "Packed {} ({} files, {} bytes)",
            packed.info.id,
            packed.tree.len(),
            packed.tree.total_size()
        );
        println!("  bundle    {}", written.bundle.display());
        println!("  manifest  {}", written.manifest.display());
        println!("  tree      sha256:{tree_digest}");
    }
    if let Some(stale) = &written.stale_signature {
        eprintln!(
            "warning: the signature beside the earlier bundle does not match this one; moved it to {}\n  re-sign: skillsig sign {} --key KEY (or --keyless)",
            stale.display(),
            written.bundle.display()
        );
    }
    Ok(())
}

/// Prints what the code uses but the declaration (`declaration`, a file the publisher edits)
/// does not cover, with the lines that declare it and the command that adds them; with
/// `strict`, refuses instead.
pub fn check_undeclared(
    undeclared: &Undeclared,
    declaration: &str,
    update_command: Option<&str>,
    strict: bool,
    refusal: &str,
) -> Result<(), Failure> {
    if undeclared.is_empty() {
        return Ok(());
    }
    eprintln!(
        "warning: the code uses what {declaration} does not declare: {}",
        undeclared.capabilities.join(", ")
    );
    eprintln!(
        "  users' `skillsig verify` and `install` refuse it (SK-UNDECLARED-*) until it is declared"
    );
    if !undeclared.lines.is_empty() {
        match update_command {
            Some(command) => {
                eprintln!("  declare it in {declaration} (`{command}` adds these lines):")
            }
            None => eprintln!("  declare it in {declaration}:"),
        }
        eprintln!("    [permissions]");
        for line in &undeclared.lines {
            eprintln!("    {line}");
        }
    }
    if !undeclared.unnamed.is_empty() {
        eprintln!(
            "  computed at run time, so name the values yourself: {}",
            undeclared.unnamed.join(", ")
        );
    }
    if strict {
        return Err(Failure::refused(
            "undeclared",
            format!(
                "{} capabilit(ies) used but not declared and --strict was given\n{refusal}",
                undeclared.capabilities.len()
            ),
        ));
    }
    Ok(())
}

fn failure(dir: &Path, err: PackError) -> Failure {
    match err {
        PackError::Source(SourceError::Io { .. } | SourceError::NotAFolder(_))
        | PackError::Output { .. } => Failure::error("io", err.to_string()),
        PackError::Source(SourceError::Refused { ref problems }) => Failure::refused(
            "source-refused",
            format!(
                "cannot pack {}: {} file(s) must not be shipped\n{err}\nNothing was written.",
                dir.display(),
                problems.len()
            ),
        ),
        PackError::Source(_) | PackError::PathDoesNotFit(_) => Failure::refused(
            "source-refused",
            format!("cannot pack {}: {err}\nNothing was written.", dir.display()),
        ),
        // The publisher's own configuration, not a refused Skill: exit 2.
        PackError::Skill(SkillError::NoNamespace) => {
            let next = if dir.join(CONFIG_FILE).exists() {
                format!(
                    "Add it with: skillsig init {} --update --namespace YOUR-NAMESPACE",
                    dir.display()
                )
            } else {
                format!(
                    "Write one with: skillsig init {} --namespace YOUR-NAMESPACE",
                    dir.display()
                )
            };
            Failure::error(
                "skill-invalid",
                format!("cannot pack {}: {err}\n{next}", dir.display()),
            )
        }
        PackError::Skill(_) => Failure::error(
            "skill-invalid",
            format!("cannot pack {}: {err}", dir.display()),
        ),
        _ => Failure::refused(err.code(), format!("cannot pack {}: {err}", dir.display())),
    }
}

/// Output written inside the Skill (other than `.skillsig/`) would be packed next time.
fn warn_if_output_inside_skill(dir: &Path, out_dir: &Path) {
    let (Ok(dir), Some(parent)) = (dir.canonicalize(), out_dir.parent()) else {
        return;
    };
    let out = parent
        .canonicalize()
        .map(|p| p.join(out_dir.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| out_dir.to_owned());
    if out.starts_with(&dir) && !out.starts_with(dir.join(OUTPUT_DIR)) {
        eprintln!(
            "warning: {} is inside the Skill folder: the next pack would include this bundle; use the default .skillsig/ or list it in .skillignore",
            out_dir.display()
        );
    }
}
