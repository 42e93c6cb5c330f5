//! `skillsig completions SHELL` and `skillsig man`: the shell completion script and the roff
//! man page, both generated from the same clap definition as `--help`, so they never drift
//! from the real arguments.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::failure::Failure;

/// Print the completion script for a shell. Install it with, for example,
/// `skillsig completions bash > ~/.local/share/bash-completion/completions/skillsig`,
/// `skillsig completions zsh > "${fpath[1]}/_skillsig"`,
/// `skillsig completions fish > ~/.config/fish/completions/skillsig.fish`, or
/// `skillsig completions powershell >> $PROFILE`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Print the man page (roff). Read it with `skillsig man | man -l -`, or install it with
/// `skillsig man > ~/.local/share/man/man1/skillsig.1`.
#[derive(Args)]
pub struct ManArgs {}

pub fn completions(args: &CompletionsArgs) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut crate::Cli::command(),
        "skillsig",
        &mut script,
    );
    write_stdout(&script)
}

pub fn man(_args: &ManArgs) -> Result<(), Failure> {
    let mut page = Vec::new();
    clap_mangen::Man::new(crate::Cli::command())
        .render(&mut page)
        .map_err(|e| Failure::error("io", format!("could not render the man page: {e}")))?;
    write_stdout(&page)
}

/// Writes to stdout without panicking when it is closed early (`skillsig man | head`).
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::error(
            "io",
            format!("could not write to standard output: {e}"),
        )),
    }
}
