//! The `skillsig` command: a thin layer over the `skillsig` library.
//!
//! Each subcommand lives in its own module and returns `Result<(), Failure>`; this file parses
//! arguments and turns a failure into its message and exit code.

mod args;
mod completions;
mod conformance;
mod failure;
mod files;
mod init;
mod inspect;
mod install;
mod keygen;
mod keyless;
mod oms;
mod openclaw;
mod pack;
mod registry;
mod rules;
mod scan;
mod sign;
mod style;
mod trust;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the Skill or bundle was refused: unsigned, tampered, untrusted, blocked (the message says why)
  2  usage, configuration or I/O error (a wrong argument, a skillsig.toml to fix, a file that
     could not be read or written)";

/// Make AI-agent Skills safe to share: reproducible bundles, signed manifests of files and
/// permissions, verification against a trust root, and a static scan before install.
#[derive(Parser)]
#[command(name = "skillsig", version, after_help = EXIT_CODES)]
struct Cli {
    /// When to colour output: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = style::ColorChoice::Auto)]
    color: style::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Init(init::InitArgs),
    Pack(pack::PackArgs),
    Inspect(inspect::InspectArgs),
    Scan(scan::ScanArgs),
    Rules(rules::RulesArgs),
    Keygen(keygen::KeygenArgs),
    Sign(sign::SignArgs),
    Verify(verify::VerifyArgs),
    Install(install::InstallArgs),
    VerifyBundle(conformance::VerifyBundleArgs),
    SignBundle(conformance::SignBundleArgs),
    Audit(install::AuditArgs),
    Trust(trust::TrustArgs),
    Registry(registry::RegistryArgs),
    Publish(registry::PublishArgs),
    Yank(registry::YankArgs),
    Info(registry::InfoArgs),
    Search(registry::SearchArgs),
    Completions(completions::CompletionsArgs),
    Man(completions::ManArgs),
    #[command(name = "openclaw")]
    OpenClaw(openclaw::OpenClawArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    style::set_color(cli.color);
    let (result, json) = match &cli.command {
        Command::Init(args) => (init::run(args), false),
        Command::Pack(args) => (pack::run(args), args.json),
        Command::Inspect(args) => (inspect::run(args), args.json),
        Command::Scan(args) => (scan::run(args), false),
        Command::Rules(args) => (rules::run(args), args.json),
        Command::Keygen(args) => (keygen::run(args), args.json),
        Command::Sign(args) => (sign::run(args), args.json),
        Command::Verify(args) => (verify::run(args), args.json),
        Command::Install(args) => (install::run(args), args.json),
        Command::VerifyBundle(args) => (conformance::verify(args), false),
        Command::SignBundle(args) => (conformance::sign(args), false),
        Command::Audit(args) => (install::audit(args), args.json),
        Command::Registry(args) => (registry::run_registry(args), false),
        Command::Publish(args) => (registry::publish(args), args.json),
        Command::Yank(args) => (registry::yank(args), false),
        Command::Info(args) => (registry::info(args), args.json),
        Command::Search(args) => (registry::search(args), args.json),
        Command::Completions(args) => (completions::completions(args), false),
        Command::Man(args) => (completions::man(args), false),
        Command::OpenClaw(args) => (openclaw::run(args), args.json()),
        Command::Trust(args) => (
            trust::run(args),
            matches!(args.command, trust::TrustCommand::Show { json: true }),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(json),
    }
}
