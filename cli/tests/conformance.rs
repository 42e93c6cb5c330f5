//! The Sigstore conformance suite's offline bundle-verify cases (../shared/vectors), through the
//! library and through `skillsig verify-bundle`, with the artifact as a file and as its digest.
//! A case whose name ends in `_fail` must be refused; every other case must verify.

use std::fs;
use std::path::{Path, PathBuf};

use skillsig::sigstore::{self, SignedArtifact, Signer};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

#[path = "../../lib/tests/support/shared.rs"]
mod shared;

const VECTORS: &str = "vectors/sigstore-conformance";

fn vectors() -> Option<PathBuf> {
    shared::dir(VECTORS)
}

#[test]
fn shared_vectors_present_or_skipped_with_reason() {
    shared::report(&[(VECTORS, "the Sigstore conformance cases")]);
}

fn read(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
}

struct Case {
    name: String,
    dir: PathBuf,
    artifact: PathBuf,
    signer: Signer,
    trusted_root: Option<PathBuf>,
}

fn cases(root: &Path) -> Vec<Case> {
    let suite = root.join("bundle-verify");
    let mut out: Vec<Case> = fs::read_dir(&suite)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("bundle.sigstore.json").is_file())
        .map(|dir| {
            let signer = match read(&dir.join("key.pub")) {
                Some(pem) => Signer::Key {
                    public_key_pem: pem + "\n",
                },
                None => Signer::Identity {
                    identity: read(&dir.join("identity"))
                        .unwrap_or_else(|| DEFAULT_IDENTITY.into()),
                    issuer: read(&dir.join("issuer")).unwrap_or_else(|| DEFAULT_ISSUER.into()),
                },
            };
            let artifact = if dir.join("artifact").is_file() {
                dir.join("artifact")
            } else {
                suite.join("a.txt")
            };
            let trusted_root = dir.join("trusted_root.json");
            Case {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                trusted_root: trusted_root.is_file().then_some(trusted_root),
                dir,
                artifact,
                signer,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[test]
fn conformance_bundle_verify_cases() {
    let Some(root) = vectors() else {
        return;
    };
    let production = root.join("production_trusted_root.json");
    let bin = assert_cmd::cargo::cargo_bin("skillsig");
    let mut agreed = 0;
    let mut disagreements = Vec::new();
    let cases = cases(&root);
    assert!(cases.len() >= 60, "only {} cases found", cases.len());
    for case in &cases {
        let expect_ok = !case.name.ends_with("_fail");
        let root_json =
            fs::read_to_string(case.trusted_root.as_ref().unwrap_or(&production)).unwrap();
        let bundle = fs::read_to_string(case.dir.join("bundle.sigstore.json")).unwrap();
        let bytes = fs::read(&case.artifact).unwrap();
        let digest: [u8; 32] = skillsig::tree::sha256(&bytes);
        for (mode, artifact, arg) in [
            (
                "file",
                SignedArtifact::Bytes(bytes.clone()),
                case.artifact.display().to_string(),
            ),
            (
                "digest",
                SignedArtifact::Sha256(digest),
                format!("sha256:{}", hex::encode(digest)),
            ),
        ] {
            let library = sigstore::trusted_root(Some(&root_json))
                .and_then(|r| sigstore::verify_bundle(&bundle, &artifact, &case.signer, &r));
            let mut cmd = std::process::Command::new(&bin);
            cmd.arg("verify-bundle")
                .arg("--bundle")
                .arg(case.dir.join("bundle.sigstore.json"));
            match &case.signer {
                Signer::Identity { identity, issuer } => {
                    cmd.args([
                        "--certificate-identity",
                        identity,
                        "--certificate-oidc-issuer",
                        issuer,
                    ]);
                }
                Signer::Key { .. } => {
                    cmd.arg("--key").arg(case.dir.join("key.pub"));
                }
            }
            cmd.arg("--trusted-root")
                .arg(case.trusted_root.as_ref().unwrap_or(&production))
                .arg(&arg);
            let binary_ok = cmd.output().unwrap().status.success();
            let library_ok = library.is_ok();
            if library_ok == expect_ok && binary_ok == expect_ok {
                agreed += 1;
            } else {
                disagreements.push(format!(
                    "{} ({mode}): expected {}, library {library:?}, binary ok={binary_ok}",
                    case.name,
                    if expect_ok { "ok" } else { "refusal" }
                ));
            }
        }
    }
    eprintln!("conformance: {agreed}/{} runs agree", cases.len() * 2);
    assert!(
        disagreements.is_empty(),
        "{agreed}/{} agree; disagreements:\n{}",
        cases.len() * 2,
        disagreements.join("\n")
    );
}
