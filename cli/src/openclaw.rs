//! `skillsig openclaw …`: the install gate OpenClaw calls, its setup, the load gate, and
//! declared permissions into OpenClaw's controls. The decisions and data structures are in
//! `skillsig::openclaw`; this file reads arguments, runs the `openclaw` command and prints.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use skillsig::Limits;
use skillsig::decision::{self, Judge, Subject};
use skillsig::openclaw::gate::{self, Judged, Plan, Record};
use skillsig::openclaw::permissions::{self as perms, DeclaredSkill, Places};
use skillsig::openclaw::protocol::{self, Request, SourcePathKind};
use skillsig::openclaw::roots::{self, Environment, FoundSkill};
use skillsig::openclaw::{answer, roots::RootKind};
use skillsig::policy::Policy;
use skillsig::trust::TrustRoot;
use skillsig::verify::Authority;

use crate::args::load_policy;
use crate::failure::{Failure, print_json};
use crate::files;
use crate::trust::{load_trust_root, trust_root_path};

/// Make skillsig OpenClaw's gate: it vets every Skill `openclaw skills install` is about to
/// install (`install-policy`, configured with `setup`), turns off Skills that reached OpenClaw
/// some other way and are not clean (`gate`), and compiles what Skills declare into OpenClaw's
/// exec approvals and sandbox (`permissions`). See docs/openclaw.md.
#[derive(Args)]
pub struct OpenClawArgs {
    #[command(subcommand)]
    pub command: OpenClawCommand,
}

#[derive(Subcommand)]
pub enum OpenClawCommand {
    InstallPolicy(InstallPolicyArgs),
    Setup(SetupArgs),
    Gate(GateArgs),
    Permissions(PermissionsArgs),
}

impl OpenClawArgs {
    /// Whether the command prints JSON (so a failure does too).
    pub fn json(&self) -> bool {
        match &self.command {
            OpenClawCommand::Gate(args) => args.json,
            _ => false,
        }
    }
}

/// The trust root and policy every judging subcommand takes.
#[derive(Args, Clone)]
pub struct JudgeArgs {
    /// The trust root [default: $SKILLSIG_TRUST_ROOT, else trust.json in the config folder].
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    /// The install policy [default: $SKILLSIG_POLICY, else policy.toml in the config folder,
    /// else the built-in default: signature required, findings at high or above block].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

const INSTALL_POLICY_EXIT_CODES: &str = "\
Exit codes:
  0  answered (allow, warn or block is in the JSON on stdout)
  2  no answer: the request is malformed or of an unknown protocol version, the source cannot
     be read, or the trust root or policy is broken (OpenClaw then blocks the install)";

/// OpenClaw's install-policy command (`security.installPolicy`, protocol version 1): reads one
/// JSON request on stdin, verifies and scans the staged folder in `sourcePath` with your trust
/// root and policy, and prints one JSON answer on stdout: `allow` (signed by a trusted publisher
/// and clean), `warn` (unsigned but clean, when your policy sets allow_unsigned: OpenClaw then
/// asks you to type the Skill's name), or `block` (everything else), with a short reason naming
/// the signer or "unsigned" and the top findings. The answer always fits OpenClaw's limits.
///
/// When no decision can be reached (a malformed request, an unknown protocol version, a source
/// that cannot be read), it prints the reason on stderr and exits 2, and OpenClaw blocks.
/// Configure it with `skillsig openclaw setup`.
#[derive(Args)]
#[command(after_help = INSTALL_POLICY_EXIT_CODES)]
pub struct InstallPolicyArgs {
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// The command's maxOutputBytes in OpenClaw's config: the answer is cut to fit.
    #[arg(long, value_name = "BYTES", default_value_t = protocol::DEFAULT_MAX_OUTPUT_BYTES)]
    pub max_output_bytes: usize,
}

/// What OpenClaw sends through the install policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Skill,
    Plugin,
}

/// Configure OpenClaw to ask skillsig before every install (`security.installPolicy`): through
/// `openclaw config set security.installPolicy '<json>' --strict-json` when `openclaw` is on
/// PATH, else by printing the exact command and the JSON for openclaw.json. The command is the
/// absolute path of this skillsig, and its folder the only trusted folder. `--remove` takes
/// the configuration out again.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct SetupArgs {
    /// Print what would be configured; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// What installs skillsig vets.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "skill,plugin"
    )]
    pub targets: Vec<Target>,
    /// Remove skillsig's install policy from OpenClaw's config.
    #[arg(long, conflicts_with = "targets")]
    pub remove: bool,
}

const GATE_EXIT_CODES: &str = "\
Exit codes:
  0  every Skill OpenClaw loads is clean (or --undo restored the config)
  1  Skills that are not clean were found (and turned off, unless --dry-run)
  2  usage, configuration or I/O error (OpenClaw's config cannot be read, `openclaw` failed)";

/// Audit every folder OpenClaw loads Skills from and turn off each Skill that is not clean:
/// unsigned where your policy requires signatures, changed since it was signed, blocked by
/// today's scan, or shadowing a Skill of the same name in a lower folder. It sets
/// `skills.entries.<key>.enabled` to false through `openclaw config patch`, turns a Skill back
/// on (to its previous value) once it is clean again, prints every change, and keeps a record
/// in skillsig's state folder so `--undo` puts back exactly what was there.
///
/// The folders, highest precedence first: <workspace>/skills, <workspace>/.agents/skills,
/// ~/.agents/skills, <state>/skills, <state>/agents/*/agent/workshop-skills, the bundled Skills
/// and skills.load.extraDirs, with the workspace and extraDirs read from OpenClaw's config
/// (OPENCLAW_CONFIG_PATH, else $OPENCLAW_STATE_DIR/openclaw.json, else
/// ~/.openclaw/openclaw.json).
#[derive(Args)]
#[command(after_help = GATE_EXIT_CODES)]
pub struct GateArgs {
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Print what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Put back every value the gate changed, and forget them.
    #[arg(long, conflicts_with = "watch")]
    pub undo: bool,
    /// After the first run, run again on every change under those folders (until interrupted).
    #[arg(long)]
    pub watch: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Compile what Skills declare into OpenClaw's own controls for one agent, printed as JSON:
/// exec-approvals allowlist entries for declared programs (resolved to absolute paths on PATH,
/// since OpenClaw ignores bare names) with `security: "allowlist"`; sandbox settings
/// (docker.network "none" unless a Skill declares network access, binds for declared read and
/// write paths, workspaceAccess); and the environment variable names each Skill's
/// `skills.entries.<key>.env` may hold (names only, never values). With --apply, the exec
/// approvals are written with `openclaw approvals set --stdin` and the sandbox with
/// `openclaw config patch` (agents.entries.<ID>.sandbox).
///
/// OpenClaw's controls apply per agent, not per Skill: give a risky Skill an agent of its own
/// (see docs/openclaw.md).
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct PermissionsArgs {
    /// Skill folders.
    #[arg(required = true)]
    pub skills: Vec<PathBuf>,
    /// The agent whose controls these become.
    #[arg(long, value_name = "ID", default_value = "main")]
    pub agent: String,
    /// Write the settings into OpenClaw (exec approvals and the agent's sandbox).
    #[arg(long)]
    pub apply: bool,
}

pub fn run(args: &OpenClawArgs) -> Result<(), Failure> {
    match &args.command {
        OpenClawCommand::InstallPolicy(args) => install_policy(args),
        OpenClawCommand::Setup(args) => setup(args),
        OpenClawCommand::Gate(args) => gate(args),
        OpenClawCommand::Permissions(args) => permissions(args),
    }
}

/// The trust root (none when the file does not exist: every signed Skill is then refused with a
/// reason) and the policy.
struct Judging {
    root: Option<TrustRoot>,
    policy: Policy,
}

impl Judging {
    fn load(args: &JudgeArgs) -> Result<Judging, Failure> {
        let now = jiff::Timestamp::now();
        let (policy, _) = load_policy(args.policy.as_deref())?;
        let path = trust_root_path(args.trust_root.as_deref())?;
        let root = if path.exists() {
            Some(load_trust_root(Some(&path), now)?)
        } else {
            None
        };
        Ok(Judging { root, policy })
    }

    fn decide(&self, dir: &Path) -> Result<decision::Decision, Failure> {
        let authority = self.root.as_ref().map(Authority::trust_root);
        let judge = Judge {
            authority: authority.as_ref(),
            policy: &self.policy,
            // The opt-in for unsigned Skills is the policy's allow_unsigned alone: OpenClaw then
            // asks the user to type the Skill's name (a warning), and the gate only reports.
            allow_unsigned: true,
            now: jiff::Timestamp::now(),
            limits: &Limits::DEFAULT,
        };
        decision::decide(&Subject::Folder { dir }, &judge)
            .map_err(|e| Failure::error(e.code(), format!("{}: {e}", dir.display())))
    }
}

fn install_policy(args: &InstallPolicyArgs) -> Result<(), Failure> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(protocol::MAX_REQUEST_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::error("io", format!("stdin: {e}")))?;
    let request = Request::parse(&bytes).map_err(|e| Failure::error(e.code(), e.to_string()))?;
    if request.source_path_kind == SourcePathKind::File {
        return Err(Failure::error(
            "openclaw-source-unreadable",
            format!(
                "{}: OpenClaw gave a single file; skillsig judges Skill folders, so it cannot decide (OpenClaw blocks the install)",
                request.source_path.display()
            ),
        ));
    }
    match std::fs::symlink_metadata(&request.source_path) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(Failure::error(
                "openclaw-source-unreadable",
                format!(
                    "{}: sourcePath is not a folder (a link or a file), so skillsig cannot decide",
                    request.source_path.display()
                ),
            ));
        }
        Err(err) => {
            return Err(Failure::error(
                "openclaw-source-unreadable",
                format!(
                    "{}: cannot read sourcePath ({err}), so skillsig cannot decide",
                    request.source_path.display()
                ),
            ));
        }
    }
    let judging = Judging::load(&args.judge)?;
    let decision = judging.decide(&request.source_path)?;
    let response = answer::respond(&decision, &judging.policy);
    let rendered = response
        .render(&request.target_name, args.max_output_bytes)
        .map_err(|e| Failure::error(e.code(), e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", rendered.json)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::error("io", format!("stdout: {e}")))
}

/// The `openclaw` command on PATH, if any.
fn openclaw_on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("openclaw"))
        .find(|candidate| candidate.is_file())
}

/// Runs `openclaw ARGS` with `stdin` (if any), returning its stdout; a failure names the
/// command and carries OpenClaw's own message.
fn run_openclaw(openclaw: &Path, args: &[&str], stdin: Option<&str>) -> Result<String, Failure> {
    let shown = format!("openclaw {}", args.join(" "));
    let mut child = Command::new(openclaw)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::error("openclaw", format!("{shown}: cannot run it ({e})")))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| Failure::error("openclaw", format!("{shown}: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Failure::error("openclaw", format!("{shown}: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Failure::error(
            "openclaw",
            format!(
                "`{shown}` failed ({}):\n{}{}",
                output.status,
                stderr.trim(),
                stdout.trim()
            ),
        ));
    }
    Ok(stdout)
}

/// The exact shell spelling of one argument.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn setup(args: &SetupArgs) -> Result<(), Failure> {
    let openclaw = openclaw_on_path();
    if args.remove {
        let line = "openclaw config unset security.installPolicy";
        let Some(openclaw) = openclaw.as_deref().filter(|_| !args.dry_run) else {
            println!("{line}");
            return Ok(());
        };
        let env = environment(Some(openclaw))?;
        let (path, config) = read_config(&env)?;
        // OpenClaw's schema needs these while the block exists.
        let required: &[&[&str]] = &[&["enabled"], &["exec", "source"], &["exec", "command"]];
        let steps = gate::removal_steps(&config, &["security", "installPolicy"], required);
        if steps.is_empty() {
            println!(
                "{}: no install policy configured; nothing to remove",
                path.display()
            );
            return Ok(());
        }
        // OpenClaw refuses a write that halves its config, so a small config loses it in steps.
        for step in steps {
            let text = serde_json::to_string(&step).expect("JSON");
            run_openclaw(openclaw, &["config", "patch", "--stdin"], Some(&text))?;
        }
        println!("Removed security.installPolicy: skillsig no longer vets OpenClaw installs.");
        return Ok(());
    }
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Failure::error("io", format!("cannot find this skillsig's own path: {e}")))?;
    let folder = exe.parent().map(Path::to_owned).unwrap_or_default();
    let targets: Vec<&str> = args
        .targets
        .iter()
        .map(|t| match t {
            Target::Skill => "skill",
            Target::Plugin => "plugin",
        })
        .collect();
    let value = install_policy_config(&exe, &folder, &targets);
    let text = serde_json::to_string(&value).expect("JSON");
    let line = format!(
        "openclaw config set security.installPolicy {} --strict-json",
        shell_quote(&text)
    );
    match (&openclaw, args.dry_run) {
        (Some(openclaw), false) => {
            let out = run_openclaw(
                openclaw,
                &[
                    "config",
                    "set",
                    "security.installPolicy",
                    &text,
                    "--strict-json",
                ],
                None,
            )?;
            print!("{out}");
            println!(
                "OpenClaw now asks {} before installing a {}.\nCheck it with: openclaw doctor --deep",
                exe.display(),
                targets.join(" or a ")
            );
        }
        (None, false) => {
            println!("`openclaw` is not on PATH; run this where it is:\n\n{line}\n");
            println!(
                "or put this in openclaw.json under \"security\":\n\n{}",
                serde_json::to_string_pretty(&json!({"installPolicy": value})).expect("JSON")
            );
        }
        (_, true) => println!("{line}"),
    }
    Ok(())
}

/// The `security.installPolicy` value for this skillsig.
fn install_policy_config(exe: &Path, folder: &Path, targets: &[&str]) -> Json {
    json!({
        "enabled": true,
        "targets": targets,
        "exec": {
            "source": "exec",
            "command": exe,
            "args": ["openclaw", "install-policy", "--max-output-bytes", protocol::DEFAULT_MAX_OUTPUT_BYTES.to_string()],
            "timeoutMs": 10000,
            "noOutputTimeoutMs": 10000,
            "maxOutputBytes": protocol::DEFAULT_MAX_OUTPUT_BYTES,
            // OpenClaw passes only these through; skillsig finds its trust root, policy and
            // state with them.
            "passEnv": ["HOME", "PATH", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "SKILLSIG_TRUST_ROOT",
                        "SKILLSIG_POLICY", "SKILLSIG_STATE_DIR", "OPENCLAW_STATE_DIR"],
            "env": {},
            // OpenClaw 2026.9.6 refuses `allowInsecurePath` and `allowSymlinkCommand` here:
            // leaving them out keeps its owner, permission and no-link checks on.
            "trustedDirs": [folder],
        }
    })
}

/// OpenClaw's environment as this process sees it.
fn environment(openclaw: Option<&Path>) -> Result<Environment, Failure> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            Failure::error("usage", "HOME is not set; OpenClaw's folders depend on it")
        })?;
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let bundled_dir = var("OPENCLAW_BUNDLED_SKILLS_DIR")
        .map(PathBuf::from)
        .or_else(|| openclaw.and_then(bundled_skills_dir));
    Ok(Environment {
        home,
        state_dir: var("OPENCLAW_STATE_DIR").map(PathBuf::from),
        workspace_dir: var("OPENCLAW_WORKSPACE_DIR").map(PathBuf::from),
        profile: var("OPENCLAW_PROFILE").map(|p| p.to_string_lossy().into_owned()),
        bundled_dir,
    })
}

/// The bundled Skills of the OpenClaw package that `openclaw` runs: `skills/` in the package,
/// found above the command's real path (or in a `node_modules/openclaw` there).
fn bundled_skills_dir(openclaw: &Path) -> Option<PathBuf> {
    let real = openclaw.canonicalize().ok()?;
    real.ancestors().skip(1).find_map(|dir| {
        [dir.to_owned(), dir.join("node_modules").join("openclaw")]
            .into_iter()
            .find(|candidate| {
                std::fs::read_to_string(candidate.join("package.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str::<Json>(&t).ok())
                    .is_some_and(|p| p["name"] == "openclaw")
            })
            .map(|package| package.join("skills"))
            .filter(|skills| skills.is_dir())
    })
}

/// OpenClaw's config file and its contents (`{}` when there is none yet).
fn read_config(env: &Environment) -> Result<(PathBuf, Json), Failure> {
    let path = std::env::var_os("OPENCLAW_CONFIG_PATH")
        .filter(|p| !p.is_empty())
        .map(|p| env.user_path(&p.to_string_lossy()))
        .unwrap_or_else(|| env.config_path());
    if !path.exists() {
        return Ok((path, json!({})));
    }
    let bytes = files::read_limited(&path, 16 * 1024 * 1024)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Failure::error(
            "openclaw-config",
            format!("{}: not UTF-8 text", path.display()),
        )
    })?;
    let value: Json = json5::from_str(&text).map_err(|e| {
        Failure::error(
            "openclaw-config",
            format!(
                "{}: not JSON5 ({e}); fix it with `openclaw doctor`",
                path.display()
            ),
        )
    })?;
    if !value.is_object() {
        return Err(Failure::error(
            "openclaw-config",
            format!("{}: not a JSON object", path.display()),
        ));
    }
    Ok((path, value))
}

/// Where the gate keeps its record for one OpenClaw config.
fn record_path(config: &Path) -> Result<PathBuf, Failure> {
    let state = skillsig::trust::state::TrustState::default_location()
        .map_err(|e| Failure::error("state", e.to_string()))?;
    let digest = hex::encode(Sha256::digest(config.to_string_lossy().as_bytes()));
    Ok(state
        .dir()
        .join(format!("openclaw-gate-{}.json", &digest[..16])))
}

fn read_record(path: &Path, config: &Path) -> Result<Record, Failure> {
    if !path.exists() {
        return Ok(Record {
            config: config.to_owned(),
            ..Record::default()
        });
    }
    let bytes = files::read_limited(path, 4 * 1024 * 1024)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Failure::error(
            "openclaw-gate-record",
            format!("{}: damaged ({e}); nothing was changed. Move it aside to start over (the gate then cannot undo its earlier changes)", path.display()),
        )
    })
}

fn write_record(path: &Path, record: &Record) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::error("io", format!("{}: {e}", parent.display())))?;
    }
    let text = serde_json::to_string_pretty(record).expect("a record serializes");
    files::replace(path, text.as_bytes())
}

fn gate(args: &GateArgs) -> Result<(), Failure> {
    let openclaw = openclaw_on_path();
    let judging = if args.undo {
        None
    } else {
        Some(Judging::load(&args.judge)?)
    };
    let dirty = gate_once(args, openclaw.as_deref(), judging.as_ref())?;
    if !args.watch {
        return if dirty > 0 {
            Err(Failure::refused(
                "not-clean",
                format!(
                    "{dirty} Skill{} OpenClaw loads {} not clean{}",
                    if dirty == 1 { "" } else { "s" },
                    if dirty == 1 { "is" } else { "are" },
                    if args.dry_run {
                        " (--dry-run: nothing was changed)"
                    } else {
                        " and turned off"
                    }
                ),
            )
            .json_already_printed())
        } else {
            Ok(())
        };
    }
    watch(args, openclaw.as_deref(), judging.as_ref())
}

/// One gate run (or undo); returns how many Skills are not clean.
fn gate_once(
    args: &GateArgs,
    openclaw: Option<&Path>,
    judging: Option<&Judging>,
) -> Result<usize, Failure> {
    let env = environment(openclaw)?;
    let (config_path, config) = read_config(&env)?;
    let record_file = record_path(&config_path)?;
    let record = read_record(&record_file, &config_path)?;
    let (plan, found, judged) = match judging {
        None => (gate::undo(&config, &record), Vec::new(), Vec::new()),
        Some(judging) => {
            let roots = env.roots(&config);
            let found = roots::find_skills(&roots);
            let judged = judge_all(&found, judging)?;
            (gate::plan(&judged, &config, &record), found, judged)
        }
    };
    let dirty = judged.iter().filter(|j| !j.problems.is_empty()).count();
    if !args.dry_run && plan.patch.is_some() {
        apply_patch(openclaw, &config, &plan)?;
    }
    if !args.dry_run && plan.record != record {
        write_record(&record_file, &plan.record)?;
    }
    report(args, &config_path, &env, &config, &found, &judged, &plan);
    Ok(dirty)
}

fn judge_all(found: &[FoundSkill], judging: &Judging) -> Result<Vec<Judged>, Failure> {
    found
        .iter()
        .map(|skill| {
            let mut problems = match judging.decide(&skill.dir) {
                Ok(decision) => answer::problems(&decision),
                // A folder that cannot be read is not clean: OpenClaw may still load it.
                Err(failure) => vec![format!("[{}] {}", failure.code, failure.message)],
            };
            if let Some(winner) = &skill.shadowed_by {
                problems.push(format!(
                    "[shadowed] {} in {} has the same name and is loaded instead",
                    skill.name,
                    winner.display()
                ));
            }
            let shadows: Vec<String> = found
                .iter()
                .filter(|other| other.shadowed_by.as_deref() == Some(skill.dir.as_path()))
                .map(|other| other.dir.display().to_string())
                .collect();
            if !shadows.is_empty() {
                problems.push(format!(
                    "[shadows] replaces the Skill of the same name in {}",
                    shadows.join(", ")
                ));
            }
            Ok(Judged {
                key: skill.key.clone(),
                name: skill.name.clone(),
                dir: skill.dir.clone(),
                problems,
            })
        })
        .collect()
}

fn apply_patch(openclaw: Option<&Path>, config: &Json, plan: &Plan) -> Result<(), Failure> {
    let patch = plan.patch.as_ref().expect("a patch");
    let Some(openclaw) = openclaw else {
        return Err(Failure::error(
            "openclaw-not-found",
            format!(
                "`openclaw` is not on PATH, so nothing was changed; put it on PATH, or apply this patch yourself with `openclaw config patch --stdin`:\n{patch}"
            ),
        ));
    };
    // OpenClaw refuses a write that halves its config, so a large undo goes in steps.
    for step in gate::steps(config, patch) {
        let text = serde_json::to_string(&step).expect("JSON");
        run_openclaw(openclaw, &["config", "patch", "--stdin"], Some(&text))?;
    }
    Ok(())
}

fn report(
    args: &GateArgs,
    config_path: &Path,
    env: &Environment,
    config: &Json,
    found: &[FoundSkill],
    judged: &[Judged],
    plan: &Plan,
) {
    if args.json {
        print_json(&json!({
            "config": config_path,
            "dry_run": args.dry_run,
            "undo": args.undo,
            "roots": env.roots(config),
            "skills": judged.iter().zip(found).map(|(j, f)| json!({
                "name": j.name, "key": j.key, "dir": j.dir, "root": f.root.kind,
                "clean": j.problems.is_empty(), "problems": j.problems,
            })).collect::<Vec<_>>(),
            "changes": plan.changes,
        }));
        return;
    }
    let would = if args.dry_run { "would be " } else { "" };
    if !args.undo {
        let bundled = env
            .roots(config)
            .iter()
            .any(|r| r.kind == RootKind::Bundled);
        println!(
            "{} Skill folder{} checked in OpenClaw's Skill locations ({}){}",
            judged.len(),
            if judged.len() == 1 { "" } else { "s" },
            config_path.display(),
            if bundled {
                ""
            } else {
                "; bundled Skills not found (set OPENCLAW_BUNDLED_SKILLS_DIR)"
            }
        );
        for skill in judged.iter().filter(|j| !j.problems.is_empty()) {
            println!("  not clean: {} ({})", skill.name, skill.dir.display());
            for problem in &skill.problems {
                println!("    {}", problem.replace('\n', "\n      "));
            }
        }
    }
    for change in &plan.changes {
        let value = match change.enabled {
            Some(v) => v.to_string(),
            None => "removed".into(),
        };
        let verb = if change.action == "disable" {
            "turned off"
        } else {
            "restored"
        };
        println!(
            "{would}{verb}: skills.entries.{}.enabled = {value}",
            change.key
        );
    }
    if plan.changes.is_empty() {
        println!("no change to OpenClaw's config");
    }
}

/// Re-runs the gate whenever something changes under OpenClaw's Skill folders or its config.
fn watch(
    args: &GateArgs,
    openclaw: Option<&Path>,
    judging: Option<&Judging>,
) -> Result<(), Failure> {
    use notify::{RecursiveMode, Watcher};
    let env = environment(openclaw)?;
    let (config_path, config) = read_config(&env)?;
    let (sender, receiver) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(sender)
        .map_err(|e| Failure::error("io", format!("cannot watch folders: {e}")))?;
    let mut watched = Vec::new();
    for root in env.roots(&config) {
        if root.dir.is_dir() && watcher.watch(&root.dir, RecursiveMode::Recursive).is_ok() {
            watched.push(root.dir);
        }
    }
    if let Some(dir) = config_path.parent().filter(|d| d.is_dir()) {
        let _ = watcher.watch(dir, RecursiveMode::NonRecursive);
    }
    eprintln!(
        "watching {} folder{} (Ctrl-C to stop)",
        watched.len(),
        if watched.len() == 1 { "" } else { "s" }
    );
    loop {
        match receiver.recv() {
            Ok(_) => {
                // Let a copy or an install finish, and take its burst of events as one.
                std::thread::sleep(Duration::from_millis(500));
                while receiver.try_recv().is_ok() {}
                if let Err(failure) = gate_once(args, openclaw, judging) {
                    eprintln!("error: {}", failure.message);
                }
                // The gate's own config write shows up as an event: drop it.
                std::thread::sleep(Duration::from_millis(200));
                while receiver.try_recv().is_ok() {}
            }
            Err(_) => return Ok(()),
        }
    }
}

fn permissions(args: &PermissionsArgs) -> Result<(), Failure> {
    let mut declared = Vec::new();
    for dir in &args.skills {
        let skill_md = dir.join("SKILL.md");
        if !skill_md.is_file() {
            return Err(Failure::error(
                "io",
                format!("{}: no SKILL.md here; give Skill folders", dir.display()),
            ));
        }
        let dir = dir
            .canonicalize()
            .map_err(|e| Failure::error("io", format!("{}: {e}", dir.display())))?;
        let read = |name: &str| -> Result<Option<String>, Failure> {
            let path = dir.join(name);
            if !path.is_file() {
                return Ok(None);
            }
            let bytes = files::read_limited(&path, 1024 * 1024)?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Failure::error("io", format!("{}: not UTF-8 text", path.display())))
        };
        let declaration = skillsig::skill::read_declaration(
            read("SKILL.md")?.as_deref(),
            read("skillsig.toml")?.as_deref(),
        );
        let (_, key) = roots::name_and_key(&dir);
        declared.push(DeclaredSkill {
            key,
            dir,
            permissions: declaration.permissions,
        });
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let places = Places {
        home,
        tmp: std::env::temp_dir(),
    };
    let compiled = perms::compile(&declared, &args.agent, &places, find_program);
    let env_lines: Vec<String> = compiled
        .env
        .iter()
        .flat_map(|(key, names)| {
            names.iter().map(move |name| {
                format!("openclaw config set skills.entries.{key}.env.{name} <value>")
            })
        })
        .collect();
    let output = json!({
        "agent": compiled.agent,
        "execApprovals": {"agents": {&compiled.agent: compiled.exec_approvals}},
        "configPatch": perms::agent_sandbox_patch(&compiled),
        "skillEnv": compiled.env.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "skillEnvCommands": env_lines,
        "notes": compiled.notes,
    });
    print_json(&output);
    if !args.apply {
        return Ok(());
    }
    let Some(openclaw) = openclaw_on_path() else {
        return Err(Failure::error(
            "openclaw-not-found",
            "`openclaw` is not on PATH, so nothing was applied; put it on PATH and run again",
        ));
    };
    let current: Json = serde_json::from_str(&run_openclaw(
        &openclaw,
        &["approvals", "get", "--json"],
        None,
    )?)
    .map_err(|e| {
        Failure::error(
            "openclaw",
            format!("`openclaw approvals get --json` printed no JSON: {e}"),
        )
    })?;
    let merged = perms::merge_exec_approvals(&current["file"], &compiled);
    run_openclaw(
        &openclaw,
        &["approvals", "set", "--stdin"],
        Some(&serde_json::to_string(&merged).expect("JSON")),
    )?;
    run_openclaw(
        &openclaw,
        &["config", "patch", "--stdin"],
        Some(&serde_json::to_string(&perms::agent_sandbox_patch(&compiled)).expect("JSON")),
    )?;
    eprintln!(
        "applied: exec approvals and sandbox of agent {:?}; set the environment values yourself (skillEnvCommands)",
        compiled.agent
    );
    Ok(())
}

/// A program's absolute path on PATH, as OpenClaw's allowlist needs it.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .and_then(|p| p.canonicalize().ok())
}
