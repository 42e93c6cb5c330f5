//! `skillsig registry init|serve`, `publish`, `yank`, `info`, `search`: a registry as static
//! files (see docs/registry.md).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;
use skillsig::registry::{self, Client, ClientState, DirStore, Publisher, RegistryError, Store};
use skillsig::signing::envelope::{self, MAX_SIGNATURE_FILE_BYTES};
use skillsig::signing::keys::SecretKey;
use skillsig::trust::TrustRoot;
use skillsig::trust::state::TrustState;
use skillsig::{Limits, skill::SkillId};

use crate::args::beside;
use crate::args::load_policy;
use crate::failure::{Failure, print_json};
use crate::files;
use crate::trust::load_trust_root;

/// Create or serve a registry folder.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
}

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Create an empty registry in DIR, signed by KEY, which the trust root must list as a
    /// registry key (`skillsig trust add-registry-key`).
    Init {
        dir: PathBuf,
        /// A registry signing key (from `skillsig keygen`).
        #[arg(long)]
        key: PathBuf,
        #[arg(long = "trust-root", value_name = "FILE")]
        trust_root: Option<PathBuf>,
    },
    /// Serve DIR over HTTP, read-only, for local use and tests. In production any static file
    /// host serves the same folder (see docs/registry.md).
    Serve {
        dir: PathBuf,
        /// Where to listen; port 0 picks a free one (the address is printed).
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: String,
    },
}

/// Publish a signed bundle to a registry folder: verify against the trust root, check the
/// namespace and manifest, scan under the registry's policy, store bundle and signature, add
/// the index entry, and write a new snapshot and timestamp (signed with the registry key).
/// Versions are immutable: the same version with other content is refused.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct PublishArgs {
    /// The `.skill` file.
    pub bundle: PathBuf,
    /// The signature file [default: BUNDLE.sigstore.json].
    #[arg(long)]
    pub signature: Option<PathBuf>,
    #[command(flatten)]
    pub target: RegistryWriteArgs,
    /// The registry's upload policy [default: as for verify].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// Yank a published version: installs by range skip it, a pinned install warns.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct YankArgs {
    /// `namespace/name@version`.
    pub skill: String,
    /// Why, shown to everyone who installs or inspects that version.
    #[arg(long, required = true)]
    pub reason: String,
    #[command(flatten)]
    pub target: RegistryWriteArgs,
}

/// The registry a command changes, and what it signs the new metadata with.
#[derive(Args)]
pub struct RegistryWriteArgs {
    /// The registry: a folder, or object storage (`s3://bucket/prefix`, `gs://…`, `az://…`;
    /// credentials from the environment, see docs/registry.md).
    #[arg(long)]
    pub registry: String,
    /// The registry signing key (the trust root lists it: `skillsig trust add-registry-key`).
    #[arg(long)]
    pub key: PathBuf,
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
}

/// A registry opened for a change: its storage, the trust root and the registry key.
struct Writable {
    store: Box<dyn Store>,
    root: TrustRoot,
    key: SecretKey,
}

impl RegistryWriteArgs {
    fn open(&self, now: jiff::Timestamp) -> Result<Writable, Failure> {
        Ok(Writable {
            root: load_trust_root(self.trust_root.as_deref(), now)?,
            key: files::read_secret_key(&self.key)?,
            store: open_store(&self.registry)?,
        })
    }
}

/// The registry at `address` (folder, URL or object storage).
pub(crate) fn open_store(address: &str) -> Result<Box<dyn Store>, Failure> {
    registry::open(address).map_err(|e| Failure::error("io", e.to_string()))
}

/// Show the published versions of a Skill, after checking the registry's metadata.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct InfoArgs {
    /// `namespace/name`.
    pub skill: String,
    /// The registry: a folder, or an https:// URL (http only to loopback).
    #[arg(long)]
    pub registry: String,
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// Find Skills in a registry by id.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct SearchArgs {
    /// Text the `namespace/name` contains (case-insensitive).
    pub text: String,
    #[arg(long)]
    pub registry: String,
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn search(args: &SearchArgs) -> Result<(), Failure> {
    let now = jiff::Timestamp::now();
    let root = load_trust_root(args.trust_root.as_deref(), now)?;
    let store = open_store(&args.registry)?;
    let found = client(store.as_ref(), &root)
        .search(&args.text, now)
        .map_err(refused)?;
    if args.json {
        print_json(&json!({"query": args.text, "skills": found}));
    } else if found.is_empty() {
        println!("No Skill matches {:?}", args.text);
    } else {
        for id in found {
            println!("{id}");
        }
    }
    Ok(())
}

fn refused(e: RegistryError) -> Failure {
    match e {
        RegistryError::Store(_) | RegistryError::Busy => Failure::error(e.code(), e.to_string()),
        _ => Failure::refused(e.code(), e.to_string()),
    }
}

/// `namespace/name` → its parts.
pub fn parse_id(text: &str) -> Result<(String, String), Failure> {
    let usage = || Failure::error("usage", format!("{text:?}: expected namespace/name"));
    let (namespace, name) = text.split_once('/').ok_or_else(usage)?;
    if namespace.is_empty() || name.is_empty() || name.contains('/') {
        return Err(usage());
    }
    Ok((namespace.into(), name.into()))
}

/// A client of the registry in `store` with the trust root, remembering versions in the state
/// folder (under the registry's keys, whatever its address).
pub fn client<'a>(
    store: &'a dyn registry::Store,
    root: &'a skillsig::trust::TrustRoot,
) -> Client<'a> {
    let state = TrustState::default_location()
        .ok()
        .map(|s| ClientState::at(s.dir()));
    Client { store, root, state }
}

pub fn run_registry(args: &RegistryArgs) -> Result<(), Failure> {
    match &args.command {
        RegistryCommand::Init {
            dir,
            key,
            trust_root,
        } => {
            let now = jiff::Timestamp::now();
            let root = load_trust_root(trust_root.as_deref(), now)?;
            let key = files::read_secret_key(key)?;
            let policy = skillsig::policy::Policy::default();
            let store = DirStore::new(dir);
            registry::init(
                &Publisher {
                    store: &store,
                    root: &root,
                    policy: &policy,
                    keys: vec![&key],
                },
                now,
            )
            .map_err(refused)?;
            println!("Created an empty registry in {}", dir.display());
            Ok(())
        }
        RegistryCommand::Serve { dir, addr } => serve(dir, addr),
    }
}

pub fn publish(args: &PublishArgs) -> Result<(), Failure> {
    let limits = Limits::DEFAULT;
    let now = jiff::Timestamp::now();
    let target = args.target.open(now)?;
    let (policy, _) = load_policy(args.policy.as_deref())?;
    let bundle = files::read_limited(&args.bundle, limits.max_bundle_bytes)?;
    let signature_path = args
        .signature
        .clone()
        .unwrap_or_else(|| beside(&args.bundle, envelope::FILE_SUFFIX));
    if args.signature.is_none() && !signature_path.exists() {
        let failure = crate::verify::unsigned(&args.bundle, &signature_path, &bundle, &limits);
        return Err(Failure {
            message: format!("{}\nNothing was published.", failure.message),
            ..failure
        });
    }
    let signature = files::read_limited(&signature_path, MAX_SIGNATURE_FILE_BYTES)?;
    let progress = crate::style::spinner("publishing: verify, scan, sign the index", args.json);
    let published = registry::publish(
        &Publisher {
            store: target.store.as_ref(),
            root: &target.root,
            policy: &policy,
            keys: vec![&target.key],
        },
        &bundle,
        &signature,
        now,
    );
    progress.finish_and_clear();
    let entry = published.map_err(|e| {
        let failure = refused(e);
        Failure {
            message: format!(
                "{}: {}\nNothing was published.",
                args.bundle.display(),
                failure.message
            ),
            ..failure
        }
    })?;
    if args.json {
        print_json(&serde_json::to_value(&entry).expect("entries serialize"));
    } else {
        println!(
            "Published {} {} to {}",
            args.bundle.display(),
            entry.version,
            args.target.registry
        );
    }
    Ok(())
}

pub fn yank(args: &YankArgs) -> Result<(), Failure> {
    let id = SkillId::parse(&args.skill).map_err(|e| Failure::error("usage", e.to_string()))?;
    let now = jiff::Timestamp::now();
    let target = args.target.open(now)?;
    let policy = skillsig::policy::Policy::default();
    registry::yank(
        &Publisher {
            store: target.store.as_ref(),
            root: &target.root,
            policy: &policy,
            keys: vec![&target.key],
        },
        &id.namespace,
        &id.name,
        &id.version,
        &args.reason,
        now,
    )
    .map_err(refused)?;
    println!("Yanked {id}: {}", args.reason);
    Ok(())
}

pub fn info(args: &InfoArgs) -> Result<(), Failure> {
    let (namespace, name) = parse_id(&args.skill)?;
    let now = jiff::Timestamp::now();
    let root = load_trust_root(args.trust_root.as_deref(), now)?;
    let store = open_store(&args.registry)?;
    let entries = client(store.as_ref(), &root)
        .entries(&namespace, &name, now)
        .map_err(refused)?;
    if args.json {
        print_json(&json!({"skill": args.skill, "versions": entries}));
        return Ok(());
    }
    println!("{}", args.skill);
    for entry in entries.iter().rev() {
        let signer = entry
            .signer
            .identity
            .clone()
            .or(entry.signer.key_id.clone().map(|k| format!("key {k}")))
            .unwrap_or_default();
        println!(
            "  {:<12} {}{}  signed by {} ({signer}), scan {}",
            entry.version.to_string(),
            entry.published.strftime("%Y-%m-%d"),
            entry
                .yanked
                .as_ref()
                .map(|r| format!("  YANKED: {r}"))
                .unwrap_or_default(),
            entry.signer.publisher,
            entry.scan.verdict
        );
    }
    Ok(())
}

/// A read-only static file server for a registry folder (GET only, no listing, no path
/// outside the folder, no symlinks followed out of it).
fn serve(dir: &Path, addr: &str) -> Result<(), Failure> {
    let root = dir
        .canonicalize()
        .map_err(|e| Failure::error("io", format!("{}: {e}", dir.display())))?;
    let listener =
        TcpListener::bind(addr).map_err(|e| Failure::error("io", format!("{addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::error("io", e.to_string()))?;
    println!("Serving {} at http://{local}", dir.display());
    let _ = std::io::stdout().flush();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || answer(stream, &root));
    }
    Ok(())
}

fn answer(mut stream: TcpStream, root: &Path) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let mut line = String::new();
    if BufReader::new(&stream).read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target
        .split('?')
        .next()
        .unwrap_or("/")
        .trim_start_matches('/');
    let safe = method == "GET"
        && !path.is_empty()
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && !c.starts_with('.'));
    let file = safe
        .then(|| root.join(path))
        .and_then(|p| p.canonicalize().ok())
        .filter(|p| p.starts_with(root) && p.is_file());
    let body = file.and_then(|p| std::fs::read(p).ok());
    let _ = match body {
        Some(body) => {
            let kind = if path.ends_with(".json") || path.ends_with(".jsonl") {
                "application/json"
            } else {
                "application/octet-stream"
            };
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .and_then(|_| stream.write_all(&body))
        }
        None => stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}
