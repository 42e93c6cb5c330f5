//! How a command fails: a message for people, a code for machines, and an exit status.

use std::process::ExitCode;

use serde_json::json;

/// The Skill or bundle was examined and refused: unsigned, tampered, untrusted, blocked
/// (the table in docs/cli.md).
pub const EXIT_REFUSED: u8 = 1;
/// Usage, configuration or I/O: a wrong argument, the publisher's own configuration, a file
/// that could not be read or written.
pub const EXIT_ERROR: u8 = 2;

/// A command's failure.
#[derive(Debug)]
pub struct Failure {
    /// A stable machine-readable code such as `bundle-invalid`.
    pub code: &'static str,
    /// What went wrong, and what to do next.
    pub message: String,
    pub exit: u8,
    /// Fields added to the JSON object printed with `--json`.
    pub json_fields: serde_json::Map<String, serde_json::Value>,
    /// The command already printed its JSON result; print none for the failure.
    pub json_printed: bool,
}

impl Failure {
    /// The input was refused: exit 1.
    pub fn refused(code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            exit: EXIT_REFUSED,
            json_fields: Default::default(),
            json_printed: false,
        }
    }

    /// A usage, configuration or I/O error: exit 2.
    pub fn error(code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            exit: EXIT_ERROR,
            json_fields: Default::default(),
            json_printed: false,
        }
    }

    /// Marks that the command's JSON result is already on stdout.
    pub fn json_already_printed(mut self) -> Failure {
        self.json_printed = true;
        self
    }

    /// Adds a field to the JSON printed with `--json`.
    pub fn with_json(mut self, key: &str, value: serde_json::Value) -> Failure {
        self.json_fields.insert(key.to_owned(), value);
        self
    }

    /// Prints the failure (always on stderr; with `json`, also as an object on stdout).
    pub fn report(self, json: bool) -> ExitCode {
        let color = crate::style::stderr_color();
        for (i, line) in self.message.lines().enumerate() {
            if i == 0 {
                eprintln!("{}: {line}", crate::style::paint(color, "1;31", "error"));
            } else {
                eprintln!("  {line}");
            }
        }
        if json && !self.json_printed {
            let mut value = self.json_fields;
            value.insert(
                "error".into(),
                json!({"code": self.code, "message": self.message, "exit": self.exit}),
            );
            print_json(&serde_json::Value::Object(value));
        }
        ExitCode::from(self.exit)
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON value")
    );
}
