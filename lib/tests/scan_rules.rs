//! The rule catalogue against its fixtures: every rule has a positive and a negative fixture
//! Skill under testdata/scan/rules/<RULE-ID>/, fires on the first and not on the second, and
//! the findings of all fixtures match a snapshot. docs/rules.md must be what the catalogue
//! generates. Set SKILLSIG_BLESS=1 to rewrite the snapshot and the doc after a deliberate change.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use skillsig::Limits;
use skillsig::scan::rules::{self, RULES, RuleId};
use skillsig::scan::{self, ScanInput, ScanOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scan_dir(dir: &Path) -> scan::SkillReport {
    let input = ScanInput::from_dir(dir, &Limits::DEFAULT).unwrap();
    scan::scan(&input, &ScanOptions::default())
}

fn bless() -> bool {
    std::env::var_os("SKILLSIG_BLESS").is_some()
}

fn check_golden(path: &Path, actual: &str) {
    if bless() {
        fs::write(path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} is stale; run the tests with SKILLSIG_BLESS=1 after reviewing the change\n--- actual ---\n{actual}",
        path.display()
    );
}

#[test]
fn every_rule_fires_on_its_positive_fixture_and_not_on_its_negative() {
    let fixtures = root().join("testdata/scan/rules");
    let mut snapshot = String::new();
    let mut failures = Vec::new();
    for rule in RULES {
        for (kind, expect) in [("positive", true), ("negative", false)] {
            let dir = fixtures.join(rule.id.as_str()).join(kind);
            assert!(
                dir.is_dir(),
                "rule {} has no {kind} fixture at {}",
                rule.id,
                dir.display()
            );
            let report = scan_dir(&dir);
            let fired = report
                .findings
                .iter()
                .any(|f| f.rule == rule.id && f.is_active());
            if fired != expect {
                let found: Vec<String> = report
                    .findings
                    .iter()
                    .map(|f| format!("{} {}:{} {}", f.rule, f.file, f.line, f.message))
                    .collect();
                failures.push(format!(
                    "{} {kind}: expected {}, found {found:#?}",
                    rule.id,
                    if expect { "a finding" } else { "none" }
                ));
            }
            let _ = writeln!(snapshot, "## {}/{kind}: {:?}", rule.id, report.verdict);
            for f in &report.findings {
                let _ = writeln!(
                    snapshot,
                    "{} {} {}:{}:{} {}",
                    f.rule, f.severity, f.file, f.line, f.column, f.message
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    check_golden(&root().join("testdata/scan/snapshot.txt"), &snapshot);
}

#[test]
fn rule_ids_are_unique_and_documented() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "duplicate rule id");
    assert_eq!(RuleId::parse("SK-NOPE-001"), None);
    assert_eq!(
        RuleId::parse("sk-exec-001"),
        None,
        "ids are matched exactly"
    );
    for rule in RULES {
        // The table and the type are one list: each id leads back to its own entry, and the
        // written form parses to the same id.
        assert_eq!(rule.id.rule(), rule, "{}", rule.id);
        assert_eq!(RuleId::parse(rule.id.as_str()), Some(rule.id));
        assert!(rule.id.as_str().starts_with("SK-"), "{}", rule.id);
        assert!(
            !rule.finds.is_empty() && !rule.why.is_empty() && !rule.example.is_empty(),
            "{}",
            rule.id
        );
    }
}

#[test]
fn docs_rules_md_is_generated_from_the_catalogue() {
    check_golden(&root().join("docs/rules.md"), &rules::render_markdown());
}

#[test]
fn the_example_skill_passes_with_every_capability_declared() {
    let report = scan_dir(&root().join("testdata/skills/weather-report"));
    assert_eq!(
        report.verdict,
        scan::Verdict::Pass,
        "{:#?}",
        report.findings
    );
    assert_eq!(report.declaration, scan::DeclarationSource::SkillsigToml);
    assert!(report.undeclared.is_empty(), "{:?}", report.undeclared);
    assert!(
        report
            .capabilities
            .contains(&"network:api.open-meteo.com".to_owned()),
        "{:?}",
        report.capabilities
    );
}
