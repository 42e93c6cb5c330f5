//! `skillsig inspect`: show what a `.skill` bundle holds, after checking it is a safe archive.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Value, json};
use skillsig::Limits;
use skillsig::bundle;
use skillsig::manifest::{FILE_SUFFIX, MAX_MANIFEST_BYTES, Manifest};

use crate::failure::{Failure, print_json};
use crate::files::read_limited;

/// Show a bundle's name, version, files, tree digest and declared permissions.
///
/// The bundle is read in memory and refused if it breaks any archive-safety rule (links,
/// traversal, duplicates, PAX tricks, trailing data, size limits, ...). Nothing is extracted.
/// If `<bundle>.manifest.json` sits beside it, inspect says whether it matches the bundle;
/// a mismatch exits 1. This checks no signature: use `skillsig verify` for that.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct InspectArgs {
    /// The `.skill` file.
    pub bundle: PathBuf,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &InspectArgs) -> Result<(), Failure> {
    let limits = Limits::DEFAULT;
    let bytes = read_limited(&args.bundle, limits.max_bundle_bytes)?;
    let refused = |err: &dyn std::fmt::Display| {
        Failure::refused(
            "bundle-invalid",
            format!("{}: {err}", args.bundle.display()),
        )
    };
    let (bundle, manifest, info) =
        Manifest::inspect_bundle(&bytes, &limits).map_err(|e| refused(&e))?;
    let beside = check_manifest_beside(&args.bundle, &bundle, &limits);

    let files: Vec<Value> = manifest
        .statement()
        .predicate
        .files
        .iter()
        .map(|f| json!({"path": f.path, "size": f.size, "sha256": f.sha256, "executable": f.executable}))
        .collect();
    let tree_digest = format!("sha256:{}", hex::encode(manifest.tree_digest()));
    if args.json {
        print_json(&json!({
            "skill": {
                "id": info.id.to_string(),
                "namespace": info.id.namespace,
                "name": info.id.name,
                "version": info.id.version.to_string(),
                "description": info.description,
            },
            "bundle": {"path": args.bundle, "sha256": hex::encode(bundle.sha256), "size": bundle.size},
            "tree_digest": tree_digest,
            "files": files,
            "permissions": manifest.permissions(),
            "openclaw": info.openclaw,
            "diagnostics": info.diagnostics,
            "manifest_beside": beside.as_ref().map(Beside::to_json),
        }));
    } else {
        println!("{}", info.id);
        if !info.description.is_empty() {
            println!("  {}", info.description);
        }
        println!("tree digest  {tree_digest}");
        println!(
            "bundle       {} bytes, sha256 {}",
            bundle.size,
            hex::encode(bundle.sha256)
        );
        println!("files ({}):", files.len());
        for record in manifest.records() {
            let mode = if record.executable { "755" } else { "644" };
            println!("  {mode} {:>10}  {}", record.size, record.path);
        }
        let described = manifest.permissions().describe();
        if described.is_empty() {
            println!("permissions: none (no network, programs, environment variables or files)");
        } else {
            println!("permissions this Skill asks for:");
            for line in described {
                println!("  - {line}");
            }
        }
        for diagnostic in &info.diagnostics {
            println!("{diagnostic}");
        }
        if let Some(beside) = &beside {
            println!("{}", beside.describe());
        }
    }
    match beside {
        Some(Beside {
            ok: false,
            path,
            message,
        }) => Err(Failure::refused(
            "manifest-mismatch",
            format!("{}: {message}", path.display()),
        )),
        _ => Ok(()),
    }
}

struct Beside {
    path: PathBuf,
    ok: bool,
    message: String,
}

impl Beside {
    fn to_json(&self) -> Value {
        json!({"path": self.path, "matches": self.ok, "message": self.message})
    }

    fn describe(&self) -> String {
        let verdict = if self.ok {
            "matches the bundle"
        } else {
            "DOES NOT MATCH the bundle"
        };
        format!(
            "manifest {} {verdict} (unsigned check: {})",
            self.path.display(),
            self.message
        )
    }
}

/// Checks the manifest file beside the bundle, if any, against the bundle's content.
fn check_manifest_beside(
    bundle_path: &Path,
    bundle: &bundle::Bundle,
    limits: &Limits,
) -> Option<Beside> {
    let mut name = bundle_path.as_os_str().to_owned();
    name.push(FILE_SUFFIX);
    let path = PathBuf::from(name);
    if !path.exists() {
        return None;
    }
    let result = read_limited(&path, MAX_MANIFEST_BYTES)
        .map_err(|failure| failure.message)
        .and_then(|bytes| Manifest::from_json(&bytes).map_err(|e| e.to_string()))
        .and_then(|manifest| {
            manifest
                .check_bundle(bundle, limits)
                .map_err(|e| e.to_string())
        });
    Some(match result {
        Ok(_) => Beside {
            path,
            ok: true,
            message: "same files, identity, description and permissions".into(),
        },
        Err(message) => Beside {
            path,
            ok: false,
            message,
        },
    })
}
