//! How the command talks to a terminal: colour (`--color`, `NO_COLOR`) and progress bars.
//!
//! Colour is for people at a terminal: `auto` (the default) colours a stream only when it is a
//! terminal and `NO_COLOR` is unset or empty; `always` and `never` decide regardless. Progress
//! bars go to standard error, only when it is a terminal and the command was not asked for
//! machine output (`--json`, SARIF, a file): a pipe or a log never sees one.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// When to colour output.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

static COLOR: OnceLock<ColorChoice> = OnceLock::new();

/// Sets the choice for the whole run (the first call wins).
pub fn set_color(choice: ColorChoice) {
    let _ = COLOR.set(choice);
}

/// Whether to colour a stream that is (or is not) a terminal.
pub fn color_for(is_terminal: bool) -> bool {
    decide_color(
        COLOR.get().copied().unwrap_or_default(),
        is_terminal,
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    )
}

fn decide_color(choice: ColorChoice, is_terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !no_color,
    }
}

/// Whether standard error gets colour.
pub fn stderr_color() -> bool {
    color_for(std::io::stderr().is_terminal())
}

/// `text` in the SGR colour `code` when `enabled`.
pub fn paint(enabled: bool, code: &str, text: &str) -> String {
    if enabled {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// A bar counting `len` steps of `what`, or a hidden one when standard error is not a
/// terminal or the command writes machine output.
pub fn progress(len: u64, what: &str, machine_output: bool) -> ProgressBar {
    if !wants_progress(std::io::stderr().is_terminal(), machine_output) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

/// A spinner for work whose length is unknown, hidden as [`progress`] is.
pub fn spinner(what: &str, machine_output: bool) -> ProgressBar {
    if !wants_progress(std::io::stderr().is_terminal(), machine_output) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn wants_progress(stderr_is_terminal: bool, machine_output: bool) -> bool {
    stderr_is_terminal && !machine_output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_choice_then_the_terminal_then_no_color() {
        assert!(decide_color(ColorChoice::Always, false, true));
        assert!(!decide_color(ColorChoice::Never, true, false));
        assert!(decide_color(ColorChoice::Auto, true, false));
        assert!(!decide_color(ColorChoice::Auto, true, true));
        assert!(!decide_color(ColorChoice::Auto, false, false));
    }

    #[test]
    fn progress_only_for_a_person_at_a_terminal() {
        assert!(wants_progress(true, false));
        assert!(!wants_progress(true, true));
        assert!(!wants_progress(false, false));
        assert!(progress(3, "x", true).is_hidden());
        assert!(spinner("x", true).is_hidden());
    }

    #[test]
    fn paint_adds_escapes_only_when_enabled() {
        assert_eq!(paint(false, "31", "x"), "x");
        assert_eq!(paint(true, "31", "x"), "\x1b[31mx\x1b[0m");
    }
}
