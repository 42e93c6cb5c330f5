//! The load gate's bookkeeping: which Skills to turn off or back on through OpenClaw's
//! `skills.entries.<key>.enabled`, as one config patch, and the record that lets `--undo` put
//! every value back exactly as it was.
//!
//! The judging is not done here: the caller judges each Skill folder with the one decision
//! entry point and hands in the verdicts. This module only turns verdicts plus the current
//! config plus the record into changes. A key is off when any Skill with that key is not clean
//! (a shadowing Skill is not clean: it replaces another of the same name). A key the gate turned
//! off comes back to its previous value once all its Skills are clean; a key the user turned
//! off is never turned on.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

/// One Skill folder and what the judge said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judged {
    /// Its key in `skills.entries`.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Why it is not clean; empty when it is.
    pub problems: Vec<String>,
}

/// What the value of `skills.entries.<key>.enabled` was before the gate first changed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "was")]
pub enum Previous {
    /// There was no `skills.entries.<key>` at all.
    NoEntry,
    /// The entry existed without `enabled`.
    NoEnabled,
    /// `enabled` had this value.
    Value {
        /// The value.
        enabled: bool,
    },
}

/// What the gate changed in one OpenClaw config, so it can be undone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The config file this record is about.
    pub config: PathBuf,
    /// Keys the gate turned off, with what they were before.
    pub disabled: BTreeMap<String, Previous>,
    /// Whether the gate created `skills` and `skills.entries` (removed again when empty).
    pub created_skills: bool,
    /// See `created_skills`.
    pub created_entries: bool,
}

/// One change to the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The key in `skills.entries`.
    pub key: String,
    /// `disable` or `restore`.
    pub action: &'static str,
    /// The value `enabled` gets (`null`: removed).
    pub enabled: Option<bool>,
    /// Why (the problems of the Skills with this key; empty for a restore).
    pub problems: Vec<String>,
}

/// The result of a gate run or undo, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What changes.
    pub changes: Vec<Change>,
    /// One merge patch for `openclaw config patch` (objects merge, `null` deletes); `None` when
    /// nothing changes.
    pub patch: Option<Json>,
    /// The record to keep afterwards.
    pub record: Record,
}

fn entries(config: &Json) -> Option<&Map<String, Json>> {
    config.get("skills")?.get("entries")?.as_object()
}

fn current(config: &Json, key: &str) -> Previous {
    match entries(config).and_then(|e| e.get(key)) {
        None => Previous::NoEntry,
        Some(entry) => match entry.get("enabled").and_then(Json::as_bool) {
            Some(enabled) => Previous::Value { enabled },
            None => Previous::NoEnabled,
        },
    }
}

/// The gate's plan for `judged` (every Skill found, with problems) under `config`, given the
/// record of earlier runs.
pub fn plan(judged: &[Judged], config: &Json, record: &Record) -> Plan {
    let mut by_key: BTreeMap<&str, Vec<&Judged>> = BTreeMap::new();
    for skill in judged {
        by_key.entry(&skill.key).or_default().push(skill);
    }
    let mut record = record.clone();
    let mut changes = Vec::new();
    let mut patch_entries = Map::new();
    for (key, skills) in by_key {
        let problems: Vec<String> = skills
            .iter()
            .flat_map(|s| {
                s.problems
                    .iter()
                    .map(move |p| format!("{}: {p}", s.dir.display()))
            })
            .collect();
        let now = current(config, key);
        if !problems.is_empty() {
            if now != (Previous::Value { enabled: false }) {
                record.disabled.entry(key.to_owned()).or_insert(now);
                patch_entries.insert(key.to_owned(), json!({"enabled": false}));
                changes.push(Change {
                    key: key.to_owned(),
                    action: "disable",
                    enabled: Some(false),
                    problems,
                });
            }
        } else if let Some(previous) = record.disabled.remove(key) {
            let (value, enabled) = restore_value(config, key, previous);
            patch_entries.insert(key.to_owned(), value);
            changes.push(Change {
                key: key.to_owned(),
                action: "restore",
                enabled,
                problems: Vec::new(),
            });
        }
    }
    finish(config, record, changes, patch_entries)
}

/// The plan that puts back every value the gate changed, and an empty record.
pub fn undo(config: &Json, record: &Record) -> Plan {
    let mut changes = Vec::new();
    let mut patch_entries = Map::new();
    for (key, previous) in &record.disabled {
        let (value, enabled) = restore_value(config, key, *previous);
        patch_entries.insert(key.clone(), value);
        changes.push(Change {
            key: key.clone(),
            action: "restore",
            enabled,
            problems: Vec::new(),
        });
    }
    let record = Record {
        config: record.config.clone(),
        created_skills: record.created_skills,
        created_entries: record.created_entries,
        disabled: BTreeMap::new(),
    };
    finish(config, record, changes, patch_entries)
}

/// The patch value that puts `previous` back for `key`, and the resulting `enabled`.
fn restore_value(config: &Json, key: &str, previous: Previous) -> (Json, Option<bool>) {
    match previous {
        Previous::Value { enabled } => (json!({"enabled": enabled}), Some(enabled)),
        Previous::NoEnabled => (json!({"enabled": null}), None),
        Previous::NoEntry => {
            // Remove the entry the gate created, unless the user has since put more in it.
            let others = entries(config)
                .and_then(|e| e.get(key))
                .and_then(Json::as_object)
                .is_some_and(|entry| entry.keys().any(|k| k != "enabled"));
            if others {
                (json!({"enabled": null}), None)
            } else {
                (Json::Null, None)
            }
        }
    }
}

fn finish(
    config: &Json,
    mut record: Record,
    changes: Vec<Change>,
    patch_entries: Map<String, Json>,
) -> Plan {
    if changes.is_empty() {
        return Plan {
            changes,
            patch: None,
            record,
        };
    }
    if config.get("skills").is_none() {
        record.created_skills = true;
    }
    if entries(config).is_none() {
        record.created_entries = true;
    }
    let mut patch = json!({"skills": {"entries": Json::Object(patch_entries)}});
    // When the gate has nothing left to undo, remove the containers it created if they are
    // empty after this patch, so an undo leaves the file as it was.
    if record.disabled.is_empty() && (record.created_entries || record.created_skills) {
        let mut after = config.clone();
        merge_patch(&mut after, &patch);
        let entries_empty = entries(&after).is_none_or(Map::is_empty);
        if record.created_entries && entries_empty {
            patch["skills"]["entries"] = Json::Null;
            let skills_empty = after
                .get("skills")
                .and_then(Json::as_object)
                .is_none_or(|s| s.keys().all(|k| k == "entries"));
            if record.created_skills && skills_empty {
                patch = json!({"skills": null});
            }
        }
        record.created_entries = false;
        record.created_skills = false;
    }
    Plan {
        changes,
        patch: Some(patch),
        record,
    }
}

/// How much smaller than the file before it one write may leave OpenClaw's config: OpenClaw
/// rejects a write that drops below half of the file's size (and may restore a backup on read),
/// so a large undo is written in steps that each keep more than this share.
const KEEP_PER_STEP: f64 = 0.55;

/// `patch` (from a [`Plan`]) split into patches to apply one after the other, so that no
/// single write shrinks the config below 55% of its size before that write (OpenClaw refuses
/// less than half).
/// Sizes are those of the config written as JSON with two-space indentation, as OpenClaw does.
pub fn steps(config: &Json, patch: &Json) -> Vec<Json> {
    // The per-key parts, and the removal of emptied containers that must come last.
    let (per_key, tail): (Map<String, Json>, Option<Json>) = match patch.get("skills") {
        Some(Json::Null) | None => (all_removed(config), Some(patch.clone())),
        Some(skills) => match skills.get("entries") {
            Some(Json::Null) => (
                all_removed(config),
                Some(json!({"skills": {"entries": null}})),
            ),
            Some(Json::Object(entries)) => (entries.clone(), None),
            _ => return vec![patch.clone()],
        },
    };
    let parts = per_key
        .into_iter()
        .map(|(key, value)| json!({"skills": {"entries": {key: value}}}));
    split(config, parts.chain(tail))
}

/// The patches that remove the value at `path` (object keys) from `config` in steps OpenClaw
/// accepts: its leaves first, the deepest first, then the value itself. `required` lists paths
/// below `path` that OpenClaw's schema requires while the value exists: they (and the objects
/// holding them) go only with the value itself. Empty when there is nothing at `path`.
pub fn removal_steps(config: &Json, path: &[&str], required: &[&[&str]]) -> Vec<Json> {
    let Some(value) = path.iter().try_fold(config, |v, key| v.get(key)) else {
        return Vec::new();
    };
    let mut leaves = Vec::new();
    let root: Vec<String> = path.iter().map(|k| k.to_string()).collect();
    collect_leaves(value, &mut root.clone(), &mut leaves);
    let required: Vec<Vec<String>> = required
        .iter()
        .map(|r| path.iter().chain(r.iter()).map(|k| k.to_string()).collect())
        .collect();
    // A leaf that is, or holds, a required value waits for the final removal.
    leaves.retain(|leaf| !required.iter().any(|r| r.starts_with(leaf)));
    leaves.push(root);
    split(config, leaves.into_iter().map(|leaf| nested_null(&leaf)))
}

fn collect_leaves(value: &Json, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Json::Object(map) = value {
        for (key, child) in map {
            at.push(key.clone());
            collect_leaves(child, at, out);
            at.pop();
        }
    }
    // An object's own removal comes after its children's; an empty object or any other value
    // is a leaf.
    if !matches!(value, Json::Object(map) if !map.is_empty()) || !at.is_empty() {
        out.push(at.clone());
    }
}

/// `{"a": {"b": null}}` for the path `["a", "b"]`.
fn nested_null(path: &[String]) -> Json {
    path.iter()
        .rev()
        .fold(Json::Null, |inner, key| json!({key.as_str(): inner}))
}

/// Groups `parts` (patches applied in order) into as few writes as keep each write above
/// `KEEP_PER_STEP` of the size before it.
fn split(config: &Json, parts: impl Iterator<Item = Json>) -> Vec<Json> {
    let size = |value: &Json| serde_json::to_string_pretty(value).map_or(0, |t| t.len()) as f64;
    let mut out = Vec::new();
    let mut current = config.clone();
    let mut batch_start = size(&current);
    let mut batch: Option<Json> = None;
    for part in parts {
        let mut next = current.clone();
        merge_patch(&mut next, &part);
        if batch.is_some() && size(&next) < batch_start * KEEP_PER_STEP {
            out.extend(batch.take());
            batch_start = size(&current);
        }
        match &mut batch {
            Some(patch) => combine(patch, &part),
            None => batch = Some(part),
        }
        current = next;
    }
    out.extend(batch);
    out
}

/// Adds `part` to the merge patch `patch` so that applying the result equals applying both.
fn combine(patch: &mut Json, part: &Json) {
    match (patch, part) {
        (Json::Object(patch), Json::Object(part)) => {
            for (key, value) in part {
                match patch.get_mut(key) {
                    Some(existing @ Json::Object(_)) if value.is_object() => {
                        combine(existing, value)
                    }
                    _ => {
                        patch.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (patch, part) => *patch = part.clone(),
    }
}

/// A patch removing every entry of `skills.entries`.
fn all_removed(config: &Json) -> Map<String, Json> {
    entries(config)
        .map(|e| e.keys().map(|k| (k.clone(), Json::Null)).collect())
        .unwrap_or_default()
}

/// Applies a JSON merge patch (RFC 7386: objects merge, `null` deletes, anything else replaces),
/// the way `openclaw config patch` does.
pub fn merge_patch(target: &mut Json, patch: &Json) {
    let Json::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Json::Object(Map::new());
    }
    let object = target.as_object_mut().expect("an object");
    for (key, value) in patch {
        if value.is_null() {
            object.remove(key);
        } else {
            merge_patch(object.entry(key.clone()).or_insert(Json::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(key: &str, problems: &[&str]) -> Judged {
        Judged {
            key: key.into(),
            name: key.into(),
            dir: PathBuf::from(format!("/skills/{key}")),
            problems: problems.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn apply(config: &Json, plan: &Plan) -> Json {
        let mut after = config.clone();
        if let Some(patch) = &plan.patch {
            merge_patch(&mut after, patch);
        }
        after
    }

    #[test]
    fn a_poisoned_skill_is_turned_off_and_undo_restores_the_config_exactly() {
        for config in [
            json!({"gateway": {"port": 1}}),
            json!({"skills": {"load": {"watch": true}}}),
            json!({"skills": {"entries": {"other": {"enabled": true}}}}),
            json!({"skills": {"entries": {"bad": {"env": {"A": "1"}}}}}),
            json!({"skills": {"entries": {"bad": {"enabled": true, "apiKey": "k"}}}}),
        ] {
            let skills = [judged("bad", &["unsigned"]), judged("good", &[])];
            let run = plan(&skills, &config, &Record::default());
            assert_eq!(run.changes.len(), 1, "{config}");
            assert_eq!(run.changes[0].key, "bad");
            assert_eq!(run.changes[0].action, "disable");
            let gated = apply(&config, &run);
            assert_eq!(gated["skills"]["entries"]["bad"]["enabled"], false);
            assert!(gated["skills"]["entries"].get("good").is_none());
            // A second run changes nothing.
            let again = plan(&skills, &gated, &run.record);
            assert!(again.changes.is_empty() && again.patch.is_none());
            assert_eq!(again.record, run.record);
            // Undo: exactly the config before.
            let undone = undo(&gated, &run.record);
            assert_eq!(apply(&gated, &undone), config, "undo of {config}");
            assert!(undone.record.disabled.is_empty());
        }
    }

    #[test]
    fn a_skill_clean_again_gets_its_previous_value_back() {
        let config = json!({"skills": {"entries": {"bad": {"enabled": true}}}});
        let first = plan(&[judged("bad", &["changed"])], &config, &Record::default());
        let gated = apply(&config, &first);
        let second = plan(&[judged("bad", &[])], &gated, &first.record);
        assert_eq!(second.changes[0].action, "restore");
        assert_eq!(second.changes[0].enabled, Some(true));
        assert_eq!(apply(&gated, &second), config);
        assert!(second.record.disabled.is_empty());
    }

    #[test]
    fn a_skill_the_user_turned_off_stays_off_and_is_not_recorded() {
        let config = json!({"skills": {"entries": {"mine": {"enabled": false}}}});
        let run = plan(
            &[judged("mine", &["unsigned"])],
            &config,
            &Record::default(),
        );
        assert!(run.changes.is_empty());
        let run = plan(&[judged("mine", &[])], &config, &Record::default());
        assert!(run.changes.is_empty(), "never turned on by the gate");
        assert!(undo(&config, &run.record).patch.is_none());
    }

    #[test]
    fn one_unclean_skill_turns_off_its_key_for_all_skills_with_that_key() {
        let mut shadow = judged("weather", &["shadows /other/weather"]);
        shadow.dir = "/ws/skills/weather".into();
        let run = plan(
            &[shadow, judged("weather", &[])],
            &json!({}),
            &Record::default(),
        );
        assert_eq!(run.changes.len(), 1);
        assert!(run.changes[0].problems[0].contains("/ws/skills/weather"));
    }

    #[test]
    fn a_large_undo_is_written_in_steps_openclaw_accepts() {
        let mut config =
            json!({"gateway": {"port": 18789}, "meta": {"lastTouchedVersion": "2026.9.6"}});
        let skills: Vec<Judged> = (0..60)
            .map(|n| judged(&format!("bundled-skill-{n:02}"), &["unsigned"]))
            .collect();
        let run = plan(&skills, &config, &Record::default());
        merge_patch(&mut config, run.patch.as_ref().unwrap());
        let undone = undo(&config, &run.record);
        let parts = steps(&config, undone.patch.as_ref().unwrap());
        assert!(parts.len() > 1, "one write would drop more than half");
        let size = |v: &Json| serde_json::to_string_pretty(v).unwrap().len();
        let mut current = config.clone();
        for part in &parts {
            let before = size(&current);
            merge_patch(&mut current, part);
            assert!(
                before < 512 || size(&current) * 2 >= before,
                "{before} -> {}",
                size(&current)
            );
        }
        assert_eq!(
            current,
            json!({"gateway": {"port": 18789}, "meta": {"lastTouchedVersion": "2026.9.6"}})
        );
        // A small patch stays one step.
        let one = plan(&skills[..1], &json!({}), &Record::default());
        assert_eq!(steps(&json!({}), one.patch.as_ref().unwrap()).len(), 1);
    }

    #[test]
    fn a_large_removal_is_written_in_steps_and_removes_exactly_that_value() {
        let config = json!({
            "security": {"installPolicy": {"enabled": true, "targets": ["skill", "plugin"],
                "exec": {"command": "/usr/local/bin/skillsig", "args": ["openclaw", "install-policy"],
                         "passEnv": ["HOME", "PATH", "XDG_CONFIG_HOME", "SKILLSIG_TRUST_ROOT", "SKILLSIG_POLICY"],
                         "trustedDirs": ["/usr/local/bin"], "timeoutMs": 10000, "env": {}}}},
            "meta": {"lastTouchedVersion": "2026.9.6"}});
        let required: &[&[&str]] = &[&["exec", "command"], &["enabled"]];
        let parts = removal_steps(&config, &["security", "installPolicy"], required);
        assert!(parts.len() > 1);
        let size = |v: &Json| serde_json::to_string_pretty(v).unwrap().len();
        let mut current = config.clone();
        for part in &parts {
            let before = size(&current);
            merge_patch(&mut current, part);
            assert!(before < 512 || size(&current) * 2 >= before, "{part}");
            // Until the last step, what OpenClaw requires is still there.
            if let Some(policy) = current["security"].get("installPolicy") {
                assert!(policy["exec"]["command"].is_string(), "{part}");
                assert!(policy["enabled"].is_boolean(), "{part}");
            }
        }
        assert_eq!(
            current,
            json!({"security": {}, "meta": {"lastTouchedVersion": "2026.9.6"}})
        );
        assert!(removal_steps(&current, &["security", "installPolicy"], required).is_empty());
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": {"b": 1, "c": [1]}, "d": 2});
        merge_patch(
            &mut doc,
            &json!({"a": {"b": null, "c": [2]}, "e": {"f": 3}}),
        );
        assert_eq!(doc, json!({"a": {"c": [2]}, "d": 2, "e": {"f": 3}}));
    }
}
