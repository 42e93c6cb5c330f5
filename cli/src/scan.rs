//! `skillsig scan`: the static scanner over Skill folders, bundles and folders of Skills.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use skillsig::Limits;
use skillsig::bundle;
use skillsig::scan::report::{ScanReport, ScannedSkill};
use skillsig::scan::{self, ScanInput, ScanOptions, Severity, Verdict};

use crate::failure::Failure;
use crate::files;

const SCAN_EXIT_CODES: &str = "\
Exit codes:
  0  every Skill passes
  1  at least one Skill is blocked (a finding at or above --fail-on)
  2  usage error, or a path could not be read";

/// Scan Skills for malicious behaviour and for capabilities they use but do not declare.
///
/// PATH is a Skill folder (holding SKILL.md), a `.skill` bundle, or a folder of Skills (each
/// scanned and reported on its own). A folder's `.skillsig/` (pack's output) is left out, as
/// pack leaves it out. Nothing is executed, imported or followed: every file is
/// read as data. Suppress a finding with a comment `skillsig-ignore: RULE-ID reason` on its line
/// or the line before (critical findings cannot be suppressed); the reason shows in the report.
/// Rules: docs/rules.md.
#[derive(Args)]
#[command(after_help = SCAN_EXIT_CODES)]
pub struct ScanArgs {
    /// Skill folders, `.skill` bundles, or folders of Skills.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Block (exit 1) on findings at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also list info findings (capabilities) and what was left out, in human output.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
            FailOn::Info => Severity::Info,
        }
    }
}

/// Finds the Skills a path names: itself, or the folders below it that hold a SKILL.md.
fn discover(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::error("io", format!("{}: {e}", path.display())))?;
    if meta.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    if has_skill_md(path) {
        return Ok(vec![path.to_owned()]);
    }
    let mut found = Vec::new();
    let mut queue = vec![(path.to_owned(), 0)];
    while let Some((dir, depth)) = queue.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut children: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != ".git")
            .map(|e| e.path())
            .collect();
        children.sort();
        for child in children {
            if has_skill_md(&child) {
                found.push(child);
            } else if depth < 3 {
                queue.push((child, depth + 1));
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(Failure::error(
            "no-skill",
            format!(
                "{}: no SKILL.md here or in the folders below",
                path.display()
            ),
        ));
    }
    Ok(found)
}

fn has_skill_md(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            e.file_name()
                .to_string_lossy()
                .eq_ignore_ascii_case("SKILL.md")
                && e.file_type().is_ok_and(|t| t.is_file())
        })
    })
}

fn load(path: &Path, limits: &Limits) -> Result<ScanInput, Failure> {
    if path.is_file() {
        let bytes = files::read_limited(path, limits.max_bundle_bytes)?;
        let bundle = bundle::read_bytes(&bytes, limits)
            .map_err(|e| Failure::refused("bundle-invalid", format!("{}: {e}", path.display())))?;
        return Ok(ScanInput::from_tree(&bundle.tree));
    }
    ScanInput::from_dir(path, limits)
        .map_err(|e| Failure::error("io", format!("{}: {e}", path.display())))
}

fn display_path(path: &Path) -> String {
    path.to_string_lossy()
        .replace('\\', "/")
        .trim_start_matches("./")
        .to_owned()
}

pub fn run(args: &ScanArgs) -> Result<(), Failure> {
    let limits = Limits::DEFAULT;
    let fail_on = args.fail_on.severity();
    let options = ScanOptions {
        fail_on,
        manifest_permissions: None,
    };
    let mut targets = Vec::new();
    for path in &args.paths {
        targets.extend(discover(path)?);
    }
    // Skills are scanned in parallel; the report keeps the order in which they were found.
    let machine_output = !matches!(args.format, Format::Human) || args.output.is_some();
    let progress = if targets.len() > 1 {
        crate::style::progress(targets.len() as u64, "scanning", machine_output)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let results: Vec<Result<ScannedSkill, Failure>> = targets
        .par_iter()
        .map(|target| {
            let input = load(target, &limits)?;
            let report = scan::scan(&input, &options);
            progress.inc(1);
            Ok(ScannedSkill {
                path: display_path(target),
                report,
            })
        })
        .collect();
    let skills = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    progress.finish_and_clear();
    let report = ScanReport::new(skills, fail_on);
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&report).expect("a report serializes") + "\n",
        Format::Sarif => {
            serde_json::to_string_pretty(&report.to_sarif()).expect("SARIF serializes") + "\n"
        }
        Format::Human => human(
            &report,
            args.verbose,
            args.output.is_none() && crate::style::color_for(std::io::stdout().is_terminal()),
        ),
    };
    match &args.output {
        Some(path) => files::replace(path, text.as_bytes())?,
        None => print!("{text}"),
    }
    if report.verdict == Verdict::Block {
        let blocked = report
            .skills
            .iter()
            .filter(|s| s.report.verdict == Verdict::Block)
            .count();
        return Err(Failure::refused(
            "blocked",
            format!(
                "{blocked} of {} Skill(s) blocked: findings at or above {}",
                report.skills.len(),
                fail_on
            ),
        ));
    }
    Ok(())
}

fn human(report: &ScanReport, verbose: bool, color: bool) -> String {
    let paint = |code: &str, text: &str| crate::style::paint(color, code, text);
    let severity_color = |s: Severity| match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    };
    let mut out = String::new();
    for skill in &report.skills {
        let r = &skill.report;
        let name = match (&r.name, &r.version) {
            (Some(n), Some(v)) => format!("{n}@{v}"),
            (Some(n), None) => n.clone(),
            _ => String::new(),
        };
        let verdict = match r.verdict {
            Verdict::Pass => paint("32", "PASS"),
            Verdict::Block => paint("1;31", "BLOCK"),
        };
        let counts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|s| r.counts.get(s).map(|n| format!("{n} {s}")))
            .collect();
        out.push_str(&format!(
            "{verdict}  {}  {name}  ({} files; {})\n",
            skill.path,
            r.files,
            if counts.is_empty() {
                "no findings".into()
            } else {
                counts.join(", ")
            }
        ));
        let mut findings: Vec<_> = r
            .findings
            .iter()
            .filter(|f| verbose || f.severity > Severity::Info)
            .collect();
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then((&a.file, a.line).cmp(&(&b.file, b.line)))
        });
        for f in findings {
            let suppressed = f
                .suppressed
                .as_ref()
                .map(|r| format!(" [suppressed: {r}]"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {:<8} {:<22} {}:{}:{}  {}{suppressed}\n",
                paint(severity_color(f.severity), f.severity.as_str()),
                f.rule,
                f.file,
                f.line,
                f.column,
                f.message
            ));
            if !f.snippet.is_empty() {
                out.push_str(&format!("           {}\n", paint("2", &f.snippet)));
            }
        }
        if !r.capabilities.is_empty() {
            out.push_str(&format!(
                "  capabilities used: {}\n",
                r.capabilities.join(", ")
            ));
        }
        match r.declaration {
            scan::DeclarationSource::None => out
                .push_str("  no skillsig.toml: capabilities are not compared with a declaration\n"),
            _ if r.undeclared.is_empty() => out.push_str("  every capability used is declared\n"),
            _ => out.push_str(&format!(
                "  {}: {}\n",
                paint("31", "undeclared"),
                r.undeclared.join(", ")
            )),
        }
        for unparsed in &r.unparsed {
            out.push_str(&format!("  note: {unparsed} was only partly parsed\n"));
        }
        for skipped in &r.skipped {
            out.push_str(&format!(
                "  note: {} not scanned: {}\n",
                skipped.path, skipped.reason
            ));
        }
        if verbose && Path::new(&skill.path).join(bundle::OUTPUT_DIR).is_dir() {
            out.push_str(&format!(
                "  note: {}/ not scanned: skillsig's own output (bundles, signatures), never packed\n",
                bundle::OUTPUT_DIR
            ));
        }
    }
    let blocked = report
        .skills
        .iter()
        .filter(|s| s.report.verdict == Verdict::Block)
        .count();
    if report.skills.len() > 1 {
        out.push_str(&format!(
            "\n{} Skills scanned, {blocked} blocked (fail on {})\n",
            report.skills.len(),
            report.fail_on
        ));
    }
    out
}
