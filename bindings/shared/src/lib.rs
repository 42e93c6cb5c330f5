//! What the Node and Python packages of skillsig share, so that each of their functions is one
//! call into the library with nothing decided in between:
//!
//! - loading the trust root and the policy from text or from a file ([`Verifier::load`]);
//! - one function per binding function, each calling the one library function that decides
//!   ([`Verifier::verify_bundle`] and [`Verifier::verify_oms_folder`] → `decision::decide`,
//!   [`Verifier::check_upload`] → `registry::check_upload` (itself over `decide`),
//!   [`scan_bundle`] → `scan::scan_bundle`, [`inspect`] → `Manifest::inspect_bundle`);
//! - every error as a [`Failure`] with the code the CLI prints with `--json` and its exit
//!   status (docs/cli.md: 1 refused, 2 error);
//! - results as JSON values in the shapes of the CLI's `--json` output, which each binding turns
//!   into its language's objects;
//! - [`guard`]: a panic becomes a [`Failure`] with code `internal` instead of crossing into
//!   JavaScript or Python.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use jiff::Timestamp;
use serde_json::{Value, json};
use skillsig::Limits;
use skillsig::decision::{self, Decision, DecisionError, Judge, Judged, Signer, Subject};
use skillsig::manifest::Manifest;
use skillsig::oms::{self, OmsTrust};
use skillsig::policy::Policy;
use skillsig::registry::{self, UploadRejection};
use skillsig::scan::{self, ScanFile, ScanInput, ScanOptions, Severity, SkillReport};
use skillsig::trust::{MAX_TRUST_ROOT_BYTES, TrustRoot};
use skillsig::verify::{Authority, SignedBy};

/// The Skill, bundle or signature was examined and refused (docs/cli.md).
pub const EXIT_REFUSED: u8 = 1;
/// Usage, configuration or I/O (docs/cli.md).
pub const EXIT_ERROR: u8 = 2;
/// Largest policy file read, as the CLI reads it.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// Why a call failed: the CLI's JSON error object (`code`, `message`, `exit`), plus the policy
/// violations when the policy refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The stable code, as the CLI prints it in `error.code`.
    pub code: String,
    /// What went wrong and what to do next, for people.
    pub message: String,
    /// The CLI's exit status for it: [`EXIT_REFUSED`] or [`EXIT_ERROR`].
    pub exit: u8,
    /// Every policy violation when `code` is `policy` and the policy refused (else empty).
    pub violations: Vec<(String, String)>,
}

impl Failure {
    /// A refusal: exit 1.
    pub fn refused(code: &str, message: impl Into<String>) -> Failure {
        Failure {
            code: code.to_owned(),
            message: message.into(),
            exit: EXIT_REFUSED,
            violations: Vec::new(),
        }
    }

    /// A usage, configuration or I/O error: exit 2.
    pub fn error(code: &str, message: impl Into<String>) -> Failure {
        Failure {
            exit: EXIT_ERROR,
            ..Failure::refused(code, message)
        }
    }

    /// The violations as JSON objects (`code`, `message`), as the CLI prints them.
    pub fn violations_json(&self) -> Value {
        Value::Array(
            self.violations
                .iter()
                .map(|(code, message)| json!({"code": code, "message": message}))
                .collect(),
        )
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<UploadRejection> for Failure {
    fn from(rejection: UploadRejection) -> Failure {
        let mut failure = Failure::refused(rejection.code(), rejection.to_string());
        if let UploadRejection::Policy(violations) = &rejection {
            failure.violations = violations
                .iter()
                .map(|v| (v.code.to_owned(), v.message.clone()))
                .collect();
        }
        failure
    }
}

/// Runs `call`, turning a panic into a [`Failure`] with code `internal` (exit 2): no panic
/// may unwind into the JavaScript or Python runtime.
pub fn guard<T>(call: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Failure::error(
            "internal",
            format!("skillsig failed unexpectedly ({what}); please report this with the input"),
        ))
    })
}

/// Where a trust root or policy comes from: its text, or a file to read.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The content itself.
    Text(&'a str),
    /// A file holding it.
    Path(&'a Path),
}

impl Source<'_> {
    /// The bytes, reading the file up to `limit` (`io` / `too-large`, exit 2, naming the file).
    fn read(&self, limit: u64) -> Result<(Vec<u8>, String), Failure> {
        match self {
            Source::Text(text) => Ok((text.as_bytes().to_vec(), String::new())),
            Source::Path(path) => skillsig::fsutil::read_limited(path, limit)
                .map(|bytes| (bytes, format!("{}: ", path.display())))
                .map_err(|e| Failure::error(e.code(), format!("{}: {e}", path.display()))),
        }
    }
}

/// Reads the trust root against `now` (`no-trust-root` when none is given, exit 2; a trust root
/// that does not load is refused with its own code, exit 1, as `skillsig verify` does).
pub fn load_trust_root(source: Option<Source<'_>>, now: Timestamp) -> Result<TrustRoot, Failure> {
    let source = source.ok_or_else(|| {
        Failure::error(
            "no-trust-root",
            "no trust root given: pass trustRoot (its JSON text) or trustRootPath",
        )
    })?;
    let (bytes, prefix) = source.read(MAX_TRUST_ROOT_BYTES)?;
    TrustRoot::load(&bytes, now, None)
        .map_err(|e| Failure::refused(e.code(), format!("{prefix}trust root: {e}")))
}

/// Reads a policy (TOML, docs/policy.md); none given is the default policy. A policy that
/// cannot be read or parsed is code `policy`, exit 2, as in the CLI.
pub fn load_policy(source: Option<Source<'_>>) -> Result<Policy, Failure> {
    let Some(source) = source else {
        return Ok(Policy::default());
    };
    let (bytes, prefix) = source.read(MAX_POLICY_BYTES).map_err(|mut failure| {
        failure.code = "policy".into();
        failure
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::error("policy", format!("{prefix}policy: not UTF-8 text")))?;
    Policy::from_toml(&text).map_err(|e| Failure::error("policy", format!("{prefix}policy: {e}")))
}

/// A trust root and a policy, loaded once and shared by every call (and thread).
#[derive(Debug)]
pub struct Verifier {
    root: TrustRoot,
    policy: Policy,
}

impl Verifier {
    /// Loads both; see [`load_trust_root`] and [`load_policy`].
    pub fn load(
        trust_root: Option<Source<'_>>,
        policy: Option<Source<'_>>,
        now: Timestamp,
    ) -> Result<Verifier, Failure> {
        guard(|| {
            Ok(Verifier {
                root: load_trust_root(trust_root, now)?,
                policy: load_policy(policy)?,
            })
        })
    }

    /// `registry::check_upload`: the registry's check of an upload, in memory.
    pub fn check_upload(
        &self,
        bundle: &[u8],
        signature: &[u8],
        now: Timestamp,
    ) -> Result<Value, Failure> {
        guard(|| {
            let accepted =
                registry::check_upload(bundle, signature, &self.root, &self.policy, now)?;
            let skill = accepted.skill();
            let manifest = skill.manifest();
            Ok(json!({
                "accepted": manifest.id().to_string(),
                "skill": skill_json(manifest),
                "publisher": skill.publisher(),
                "tree_digest": format!("sha256:{}", hex::encode(manifest.tree_digest())),
                "permissions": manifest.permissions(),
                "permissions_described": manifest.permissions().describe(),
                "scan": report_json(accepted.report()),
            }))
        })
    }
}

impl Verifier {
    /// `decision::decide` over a bundle and its signature file (`None`: unsigned, accepted only
    /// when `allow_unsigned` and the policy's `allow_unsigned` both say so). The result has the
    /// shape of `skillsig verify --json`, with the whole scan report.
    pub fn verify_bundle(
        &self,
        bundle: &[u8],
        signature: Option<&[u8]>,
        allow_unsigned: bool,
        now: Timestamp,
    ) -> Result<Value, Failure> {
        guard(|| {
            let authority = Authority::trust_root(&self.root);
            let judge = self.judge(&authority, allow_unsigned, now);
            decision_json(decision::decide(
                &Subject::Bundle { bundle, signature },
                &judge,
            ))
        })
    }

    /// `decision::decide` over a Skill folder signed with OpenSSF model-signing: its
    /// `skill.oms.sig`, or the signature file given. No signature file is `io` (exit 2), as in
    /// `skillsig verify DIR`.
    pub fn verify_oms_folder(
        &self,
        dir: &Path,
        signature_path: Option<&Path>,
        allow_unsigned: bool,
        now: Timestamp,
    ) -> Result<Value, Failure> {
        guard(|| {
            let signature_path = signature_path
                .map(Path::to_owned)
                .unwrap_or_else(|| dir.join(oms::SIGNATURE_FILE));
            if !signature_path.is_file() {
                return Err(Failure::error(
                    "io",
                    format!(
                        "{}: no {} here (give signaturePath, or verify a .skill bundle)",
                        signature_path.display(),
                        oms::SIGNATURE_FILE
                    ),
                ));
            }
            let signature =
                skillsig::fsutil::read_limited(&signature_path, oms::MAX_SIGNATURE_BYTES).map_err(
                    |e| Failure::error(e.code(), format!("{}: {e}", signature_path.display())),
                )?;
            let authority = Authority::trust_root(&self.root);
            let judge = self.judge(&authority, allow_unsigned, now);
            let subject = Subject::OmsFolder {
                dir,
                signature: &signature,
                signature_path: &signature_path,
            };
            decision_json(decision::decide(&subject, &judge))
        })
    }

    fn judge<'a>(
        &'a self,
        authority: &'a Authority<'a>,
        allow_unsigned: bool,
        now: Timestamp,
    ) -> Judge<'a> {
        Judge {
            authority: Some(authority),
            policy: &self.policy,
            allow_unsigned,
            now,
            limits: &Limits::DEFAULT,
        }
    }
}

/// The decision as a result (accepted) or a [`Failure`] (refused: its code, exit 1, every
/// violation; not reached: exit 2).
fn decision_json(decision: Result<Decision, DecisionError>) -> Result<Value, Failure> {
    match decision {
        Err(err) => Err(Failure::error(err.code(), err.to_string())),
        Ok(Decision::Refuse(refused)) => {
            let skill = refused
                .judged()
                .and_then(Judged::manifest)
                .map(|m| format!("{}: ", m.id()))
                .unwrap_or_default();
            let mut failure =
                Failure::refused(refused.code(), format!("{skill}{}", refused.reason()));
            failure.violations = refused
                .violations()
                .iter()
                .map(|v| (v.code.to_owned(), v.message.clone()))
                .collect();
            if !failure.violations.is_empty() {
                let list: Vec<String> = failure
                    .violations
                    .iter()
                    .map(|(code, message)| format!("[{code}] {message}"))
                    .collect();
                failure.message = format!("{}:\n{}", failure.message, list.join("\n"));
            }
            Err(failure)
        }
        Ok(Decision::Accept(accepted)) => Ok(judged_json(accepted.judged())),
    }
}

/// An accepted Skill in the shape of `skillsig verify --json` (bundle or OMS folder).
fn judged_json(judged: &Judged) -> Value {
    let report = judged.report();
    let mut result = json!({
        "verified": !matches!(judged.signer(), Signer::Unsigned),
        "publisher": judged.signer().publisher(),
        "undeclared": judged.undeclared(),
        "ignored_suppressions": judged.ignored_suppressions(),
        "scan": report_json(report),
    });
    if let Some(manifest) = judged.manifest() {
        result["skill"] = skill_json(manifest);
        result["tree_digest"] = json!(format!("sha256:{}", hex::encode(manifest.tree_digest())));
        result["files"] = json!(manifest.records().len());
        result["permissions"] = json!(manifest.permissions());
        result["permissions_described"] = json!(manifest.permissions().describe());
    }
    match judged.signer() {
        Signer::Skill(verified) => {
            result["format"] = json!("skillsig");
            result["signer"] = match verified.signed_by() {
                SignedBy::Key(key_id) => json!({"kind": "key", "key_id": key_id.to_string()}),
                SignedBy::Certificate(c) => {
                    json!({"kind": "certificate", "identity": c.identity, "issuer": c.issuer})
                }
            };
            if let Some((name, version)) = verified.trust_root() {
                result["trust_root"] = json!({"name": name, "version": version});
            }
        }
        Signer::Oms(verified) => {
            // A verified statement has exactly one subject; `first` keeps this total anyway.
            let subject = verified.statement().subject.first();
            result["format"] = json!("oms");
            result["skill"] = json!({"id": subject.map(|s| &s.name)});
            result["signer"] = match verified.trust() {
                OmsTrust::Certificate {
                    subject,
                    root_sha256,
                } => json!({"kind": "ca", "subject": subject, "root_sha256": root_sha256}),
                OmsTrust::Key(id) => json!({"kind": "key", "key_id": id.to_string()}),
                OmsTrust::Sigstore(c) => {
                    json!({"kind": "certificate", "identity": c.identity, "issuer": c.issuer})
                }
            };
            result["transparency_log"] = json!(verified.transparency_log());
            result["files"] = json!(verified.files().len());
            result["subject_digest"] =
                json!(subject.map(|s| format!("sha256:{}", s.digest.sha256)));
        }
        _ => {
            result["format"] = json!("unsigned");
            result["signer"] = json!({"kind": "unsigned"});
        }
    }
    result
}

/// The severity at which findings block (`critical`, `high`, `medium`, `low`, `info`; `high`
/// when none is given). Anything else is a `usage` error.
pub fn scan_options(fail_on: Option<&str>) -> Result<ScanOptions, Failure> {
    let fail_on = match fail_on {
        None => Severity::High,
        Some(name) => Severity::parse(name).ok_or_else(|| {
            Failure::error(
                "usage",
                format!("failOn {name:?}: expected critical, high, medium, low or info"),
            )
        })?,
    };
    Ok(ScanOptions {
        fail_on,
        manifest_permissions: None,
    })
}

/// `scan::scan` over files given in memory (path → content), as leniently as the scanner reads a
/// folder: nothing here is refused, the report says what it found.
pub fn scan_files(files: Vec<(String, Vec<u8>)>, fail_on: Option<&str>) -> Result<Value, Failure> {
    guard(|| {
        let options = scan_options(fail_on)?;
        let mut files: Vec<ScanFile> = files
            .into_iter()
            .map(|(path, data)| ScanFile { path, data })
            .collect();
        // The scanner reports in file order; callers' maps have none of their own.
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let input = ScanInput {
            files,
            skipped: Vec::new(),
        };
        Ok(report_json(&scan::scan(&input, &options)))
    })
}

/// `scan::scan_bundle`: a `.skill` bundle read with every archive check, then scanned. A bundle
/// that does not read is `bundle-invalid` (exit 1), as in `skillsig scan`.
pub fn scan_bundle(bundle: &[u8], fail_on: Option<&str>) -> Result<Value, Failure> {
    guard(|| {
        let options = scan_options(fail_on)?;
        let report = scan::scan_bundle(bundle, &options, &Limits::DEFAULT).map_err(|e| {
            Failure::refused("bundle-invalid", format!("not a skillsig bundle: {e}"))
        })?;
        Ok(report_json(&report))
    })
}

/// `Manifest::inspect_bundle`: what a bundle holds, in the shape of `skillsig inspect --json`
/// (without the path). No signature is checked.
pub fn inspect(bundle: &[u8]) -> Result<Value, Failure> {
    guard(|| {
        let (bundle, manifest, info) = Manifest::inspect_bundle(bundle, &Limits::DEFAULT)
            .map_err(|e| Failure::refused(e.code(), format!("not a skillsig bundle: {e}")))?;
        let files: Vec<Value> = manifest
            .records()
            .iter()
            .map(|f| json!({"path": f.path.as_str(), "size": f.size, "sha256": hex::encode(f.sha256), "executable": f.executable}))
            .collect();
        Ok(json!({
            "skill": skill_json(&manifest),
            "bundle": {"sha256": hex::encode(bundle.sha256), "size": bundle.size},
            "tree_digest": format!("sha256:{}", hex::encode(manifest.tree_digest())),
            "files": files,
            "permissions": manifest.permissions(),
            "permissions_described": manifest.permissions().describe(),
            "openclaw": info.openclaw,
            "diagnostics": info.diagnostics,
        }))
    })
}

fn skill_json(manifest: &Manifest) -> Value {
    let id = manifest.id();
    json!({
        "id": id.to_string(),
        "namespace": id.namespace,
        "name": id.name,
        "version": id.version.to_string(),
        "description": manifest.statement().predicate.skill.description,
    })
}

/// One Skill's scan as in the CLI's JSON report (`registry-schema/scan-report.schema.json`).
pub fn report_json(report: &SkillReport) -> Value {
    serde_json::to_value(report).unwrap_or_else(|e| json!({"error": e.to_string()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_failure() {
        let failure = guard(|| -> Result<(), Failure> { panic!("boom") }).unwrap_err();
        assert_eq!(
            (failure.code.as_str(), failure.exit),
            ("internal", EXIT_ERROR)
        );
        assert!(failure.message.contains("boom"), "{}", failure.message);
    }

    #[test]
    fn loading_errors_have_the_cli_codes_and_exits() {
        let now = Timestamp::now();
        let missing = Path::new("/nonexistent/skillsig/trust.json");
        let cases = [
            (
                load_trust_root(None, now).unwrap_err(),
                "no-trust-root",
                EXIT_ERROR,
            ),
            (
                load_trust_root(Some(Source::Path(missing)), now).unwrap_err(),
                "io",
                EXIT_ERROR,
            ),
            (
                load_trust_root(Some(Source::Text("{")), now).unwrap_err(),
                "trust-root-parse",
                EXIT_REFUSED,
            ),
            (
                load_policy(Some(Source::Path(missing))).unwrap_err(),
                "policy",
                EXIT_ERROR,
            ),
            (
                load_policy(Some(Source::Text("block_at = 3"))).unwrap_err(),
                "policy",
                EXIT_ERROR,
            ),
            (
                scan_options(Some("severe")).unwrap_err(),
                "usage",
                EXIT_ERROR,
            ),
            (
                scan_bundle(b"not a bundle", None).unwrap_err(),
                "bundle-invalid",
                EXIT_REFUSED,
            ),
            (inspect(b"").unwrap_err(), "bundle-invalid", EXIT_REFUSED),
        ];
        for (failure, code, exit) in cases {
            assert_eq!(
                (failure.code.as_str(), failure.exit),
                (code, exit),
                "{failure}"
            );
        }
        assert!(load_policy(None).is_ok());
    }
}
