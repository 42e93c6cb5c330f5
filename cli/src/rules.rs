//! `skillsig rules`: the scanner's rule catalogue.

use clap::Args;
use serde_json::json;
use skillsig::scan::rules::{RULES, render_markdown};

use crate::failure::{Failure, print_json};

/// List the scanner's rules: id, severity, capability and title (`--markdown` prints
/// docs/rules.md, with what each rule finds, why it matters and an example).
#[derive(Args)]
pub struct RulesArgs {
    /// Print the full catalogue as markdown.
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// Print the catalogue as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &RulesArgs) -> Result<(), Failure> {
    if args.markdown {
        print!("{}", render_markdown());
    } else if args.json {
        let rules: Vec<_> = RULES
            .iter()
            .map(|r| {
                json!({
                    "id": r.id, "severity": r.severity, "capability": r.capability.map(|c| c.as_str()),
                    "title": r.title, "finds": r.finds, "why": r.why, "example": r.example,
                })
            })
            .collect();
        print_json(&json!(rules));
    } else {
        for r in RULES {
            println!(
                "{:<28} {:<8} {:<13} {}",
                r.id,
                r.severity,
                r.capability.map_or("-", |c| c.as_str()),
                r.title
            );
        }
    }
    Ok(())
}
