//! `skillsig pack`: build a reproducible `.skill` bundle and its manifest from a Skill folder.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;
use skillsig::bundle::{OUTPUT_DIR, SourceError, SourceOptions};
use skillsig::pack::{self, PackError};

use crate::failure::{Failure, print_json};

/// Pack a Skill folder into `<namespace>-<name>-<version>.skill` and write its manifest
/// (`<bundle>.manifest.json`) beside it.
///
/// The bundle's bytes depend only on file paths, contents and exec bits. Symlinks, special
/// files, unsafe names and likely secrets (.env, *.pem, *.key, id_rsa*, private keys) are
/// refused. `.git/`, the Skill's `.skillsig/` folder and whatever `.skillignore` lists
/// (gitignore syntax) are left out. Namespace and version come from `skillsig.toml`
/// (`skillsig init` writes one). Nothing is written unless everything succeeds.
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
    /// Refuse to pack if SKILL.md or skillsig.toml has any warning.
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
    let packed = pack::pack_dir(&args.dir, &options).map_err(|err| failure(&args.dir, err))?;
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
        PackError::Skill(_) => Failure::refused(
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
