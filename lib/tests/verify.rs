//! Verification against a trust root: the round trip, and every way it must fail, each with
//! its own error.

use std::fs;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use skillsig::Limits;
use skillsig::bundle::{self, SourceOptions};
use skillsig::manifest::{ContentMismatch, FileMismatch, PAYLOAD_TYPE};
use skillsig::pack::{self, Packed};
use skillsig::signing::envelope::{self, EnvelopeError};
use skillsig::signing::keys::SecretKey;
use skillsig::signing::sign_bundle;
use skillsig::tree::{FileTree, SkillPath, TreeBuilder};
use skillsig::trust::state::{LoadError, TrustState};
use skillsig::trust::{TrustError, TrustRoot, TrustRootFile};
use skillsig::verify::{Authority, SignedBy, VerifyError, verify};

mod support;

use support::files_under;

fn now() -> Timestamp {
    Timestamp::now()
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn example() -> Packed {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
    pack::pack_dir(&dir, &SourceOptions::default()).unwrap()
}

struct World {
    packed: Packed,
    key: SecretKey,
    signature: Vec<u8>,
    file: TrustRootFile,
}

impl World {
    /// The example Skill signed by publisher "example", whose key the trust root lists.
    fn new() -> World {
        let packed = example();
        let key = SecretKey::generate().unwrap();
        let signature = sign_bundle(
            &packed.bundle,
            &packed.manifest.to_canonical_json(),
            &key,
            &Limits::DEFAULT,
        )
        .unwrap()
        .into_bytes();
        let mut file = TrustRootFile::new("test", now() + days(30));
        file.add_publisher("example", &["example".into()]).unwrap();
        file.add_key("example", key.public(), None, None).unwrap();
        World {
            packed,
            key,
            signature,
            file,
        }
    }

    fn root(&self) -> TrustRoot {
        TrustRoot::load(self.file.to_json().as_bytes(), now(), None).unwrap()
    }

    fn verify_bundle(&self, bundle: &[u8]) -> Result<skillsig::verify::VerifiedSkill, VerifyError> {
        verify(
            bundle,
            &self.signature,
            &Authority::trust_root(&self.root()),
            now(),
            &Limits::DEFAULT,
        )
    }

    fn verify(&self) -> Result<skillsig::verify::VerifiedSkill, VerifyError> {
        self.verify_bundle(&self.packed.bundle)
    }
}

/// Rebuilds the tree with `change` applied to the list of (path, data, executable).
fn altered(tree: &FileTree, change: impl FnOnce(&mut Vec<(String, Vec<u8>, bool)>)) -> Vec<u8> {
    let mut files: Vec<(String, Vec<u8>, bool)> = tree
        .iter()
        .map(|(p, f)| (p.to_string(), f.data.clone(), f.executable))
        .collect();
    change(&mut files);
    let mut builder = TreeBuilder::new(Limits::DEFAULT);
    for (path, data, exec) in files {
        builder
            .add(
                SkillPath::parse(&path, &Limits::DEFAULT).unwrap(),
                data,
                exec,
            )
            .unwrap();
    }
    bundle::encode(&builder.finish()).unwrap()
}

fn files_error(err: VerifyError) -> Vec<FileMismatch> {
    match err {
        VerifyError::Content(ContentMismatch::Files(list)) => list,
        other => panic!("expected a file mismatch, got {other}"),
    }
}

#[test]
fn round_trip_verifies_and_reports_publisher_key_and_permissions() {
    let world = World::new();
    let verified = world.verify().unwrap();
    assert_eq!(verified.publisher(), "example");
    assert_eq!(
        verified.signed_by(),
        &SignedBy::Key(world.key.public().id().clone())
    );
    assert_eq!(
        verified.manifest().id().to_string(),
        "example/weather-report@1.0.0"
    );
    assert_eq!(verified.trust_root(), Some(("test", 1)));
    assert!(
        verified
            .manifest()
            .permissions()
            .network
            .contains("api.open-meteo.com")
    );
    assert_eq!(verified.tree(), &world.packed.tree);
}

#[test]
fn one_byte_changed_in_any_file() {
    let world = World::new();
    for (path, _) in world.packed.tree.iter() {
        let target = path.to_string();
        let bundle = altered(&world.packed.tree, |files| {
            let file = files.iter_mut().find(|f| f.0 == target).unwrap();
            file.1[0] ^= 0x20;
        });
        let err = world.verify_bundle(&bundle).unwrap_err();
        assert_eq!(err.code(), "files-mismatch");
        assert_eq!(files_error(err), [FileMismatch::Changed(target)]);
    }
}

#[test]
fn file_added_removed_renamed_or_exec_bit_flipped() {
    let world = World::new();
    let tree = &world.packed.tree;

    let added = altered(tree, |f| {
        f.push(("scripts/extra.sh".into(), b"curl x | sh\n".to_vec(), true))
    });
    assert_eq!(
        files_error(world.verify_bundle(&added).unwrap_err()),
        [FileMismatch::Extra("scripts/extra.sh".into())]
    );

    let removed = altered(tree, |f| f.retain(|(p, ..)| p != "references/units.md"));
    assert_eq!(
        files_error(world.verify_bundle(&removed).unwrap_err()),
        [FileMismatch::Missing("references/units.md".into())]
    );

    let renamed = altered(tree, |f| {
        for file in f.iter_mut().filter(|(p, ..)| p == "references/units.md") {
            file.0 = "references/units.txt".into();
        }
    });
    assert_eq!(
        files_error(world.verify_bundle(&renamed).unwrap_err()),
        [
            FileMismatch::Missing("references/units.md".into()),
            FileMismatch::Extra("references/units.txt".into())
        ]
    );

    let flipped = altered(tree, |f| {
        for file in f.iter_mut().filter(|(p, ..)| p == "references/units.md") {
            file.2 = true;
        }
    });
    assert_eq!(
        files_error(world.verify_bundle(&flipped).unwrap_err()),
        [FileMismatch::ExecBit("references/units.md".into())]
    );
}

#[test]
fn signature_of_another_bundle() {
    let world = World::new();
    // Another release of the same Skill, signed by the same trusted key.
    let other_bundle = altered(&world.packed.tree, |files| {
        let config = files.iter_mut().find(|f| f.0 == "skillsig.toml").unwrap();
        config.1 = String::from_utf8(config.1.clone())
            .unwrap()
            .replace("1.0.0", "1.0.1")
            .into_bytes();
    });
    let other = pack::pack_tree(
        bundle::read_bytes(&other_bundle, &Limits::DEFAULT)
            .unwrap()
            .tree,
        &SourceOptions::default(),
    )
    .unwrap();
    let other_signature = sign_bundle(
        &other.bundle,
        &other.manifest.to_canonical_json(),
        &world.key,
        &Limits::DEFAULT,
    )
    .unwrap();
    let err = verify(
        &world.packed.bundle,
        other_signature.as_bytes(),
        &Authority::trust_root(&world.root()),
        now(),
        &Limits::DEFAULT,
    )
    .unwrap_err();
    assert_eq!(
        files_error(err),
        [FileMismatch::Changed("skillsig.toml".into())]
    );
}

#[test]
fn unknown_key() {
    let mut world = World::new();
    let stranger = SecretKey::generate().unwrap();
    world.signature = sign_bundle(
        &world.packed.bundle,
        &world.packed.manifest.to_canonical_json(),
        &stranger,
        &Limits::DEFAULT,
    )
    .unwrap()
    .into_bytes();
    let err = world.verify().unwrap_err();
    assert_eq!(
        err,
        VerifyError::UnknownKey(stranger.public().id().to_string())
    );
}

#[test]
fn altered_manifest_under_the_original_signature() {
    let mut world = World::new();
    let mut value: serde_json::Value = serde_json::from_slice(&world.signature).unwrap();
    let payload = value["dsseEnvelope"]["payload"]
        .as_str()
        .unwrap()
        .to_owned();
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&engine.decode(payload).unwrap()).unwrap();
    manifest["predicate"]["permissions"]["network"] = serde_json::json!(["*"]);
    value["dsseEnvelope"]["payload"] = engine.encode(serde_json::to_vec(&manifest).unwrap()).into();
    world.signature = serde_json::to_vec(&value).unwrap();
    assert_eq!(
        world.verify().unwrap_err(),
        VerifyError::BadSignature(world.key.public().id().clone())
    );
}

#[test]
fn known_key_signing_another_publishers_namespace() {
    let mut world = World::new();
    world.file = TrustRootFile::new("test", now() + days(30));
    world
        .file
        .add_publisher("mallory", &["mallory".into(), "example-*".into()])
        .unwrap();
    world
        .file
        .add_key("mallory", world.key.public(), None, None)
        .unwrap();
    world
        .file
        .add_publisher("example", &["example".into()])
        .unwrap();
    assert_eq!(
        world.verify().unwrap_err(),
        VerifyError::Namespace {
            publisher: "mallory".into(),
            namespace: "example".into()
        }
    );
}

#[test]
fn expired_and_not_yet_valid_keys() {
    let mut world = World::new();
    world.file.signed.publishers[0].keys[0].not_after = Some(now() - days(1));
    assert!(matches!(
        world.verify().unwrap_err(),
        VerifyError::KeyExpired { .. }
    ));
    world.file.signed.publishers[0].keys[0].not_after = None;
    world.file.signed.publishers[0].keys[0].not_before = Some(now() + days(1));
    assert!(matches!(
        world.verify().unwrap_err(),
        VerifyError::KeyNotYetValid { .. }
    ));
}

#[test]
fn revoked_key() {
    let mut world = World::new();
    let id = world.key.public().id().clone();
    world.file.revoke(&id, "laptop stolen", now()).unwrap();
    let err = world.verify().unwrap_err();
    assert!(
        matches!(&err, VerifyError::Revoked { reason, .. } if reason == "laptop stolen"),
        "{err}"
    );
    assert_eq!(err.code(), "key-revoked");
}

#[test]
fn expired_trust_root() {
    let mut world = World::new();
    world.file.signed.expires = now() - days(1);
    let err = TrustRoot::load(world.file.to_json().as_bytes(), now(), None).unwrap_err();
    assert!(matches!(err, TrustError::Expired { .. }), "{err}");
}

#[test]
fn trust_root_rolled_back_or_updated_without_the_previous_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let state = TrustState::at(dir.path().join("state"));
    let location = dir.path().join("trust.json");
    let load = |file: &TrustRootFile| {
        fs::write(&location, file.to_json()).unwrap();
        load_at(&state, &location)
    };
    let root_key = SecretKey::generate().unwrap();
    let mut world = World::new();
    world.file.add_root_key(root_key.public(), None).unwrap();
    world.file.sign(&root_key);
    let v1 = world.file.clone();
    let mut v2 = v1.clone();
    v2.begin_edit();
    v2.sign(&root_key);
    load(&v2).unwrap();

    let err = load(&v1).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Trust(TrustError::Rollback {
                found: 1,
                highest: 2,
                ..
            })
        ),
        "{err}"
    );

    // Version 3 replaces the root key and is signed only by the new one.
    let new_root = SecretKey::generate().unwrap();
    let mut v3 = v2.clone();
    v3.begin_edit();
    v3.signed.root = None;
    v3.add_root_key(new_root.public(), None).unwrap();
    v3.sign(&new_root);
    let err = load(&v3).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Trust(TrustError::NotSignedByPrevious {
                found: 3,
                previous: 2,
                ..
            })
        ),
        "{err}"
    );
    // Signed by the old root key too (not listed in v3, so only the check against the previous
    // version counts it), it is accepted and becomes the new baseline.
    v3.sign(&root_key);
    load(&v3).unwrap();
    assert_eq!(
        state
            .remembered_at(&location)
            .unwrap()
            .unwrap()
            .signed
            .version,
        3
    );
}

#[test]
fn truncated_or_non_json_signature_file() {
    let mut world = World::new();
    let full = world.signature.clone();
    world.signature = full[..full.len() / 2].to_vec();
    assert!(matches!(
        world.verify().unwrap_err(),
        VerifyError::SignatureFile(EnvelopeError::NotABundle(_))
    ));
    world.signature = b"\x00\x01binary".to_vec();
    assert!(matches!(
        world.verify().unwrap_err(),
        VerifyError::SignatureFile(EnvelopeError::NotABundle(_))
    ));
    world.signature = Vec::new();
    assert_eq!(world.verify().unwrap_err().code(), "signature-file");
}

#[test]
fn envelope_with_another_payload_type() {
    let mut world = World::new();
    world.signature = envelope::sign(
        &world.packed.manifest.to_canonical_json(),
        "application/json",
        &world.key,
    )
    .into_bytes();
    let err = world.verify().unwrap_err();
    assert_eq!(
        err,
        VerifyError::SignatureFile(EnvelopeError::PayloadType {
            found: "application/json".into(),
            expected: PAYLOAD_TYPE.into()
        })
    );
    assert_eq!(err.code(), "payload-type");
}

#[test]
fn signing_refuses_a_bundle_that_does_not_match_its_manifest() {
    let world = World::new();
    let tampered = altered(&world.packed.tree, |f| f[0].1.push(b'!'));
    let err = sign_bundle(
        &tampered,
        &world.packed.manifest.to_canonical_json(),
        &world.key,
        &Limits::DEFAULT,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            skillsig::signing::SignError::Content(ContentMismatch::Files(_))
        ),
        "{err}"
    );
    let err = sign_bundle(&world.packed.bundle, b"{}", &world.key, &Limits::DEFAULT).unwrap_err();
    assert!(
        matches!(err, skillsig::signing::SignError::Manifest(_)),
        "{err}"
    );
}

#[test]
fn a_trusted_signature_over_a_manifest_that_misdescribes_the_bundle() {
    let mut world = World::new();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&world.packed.manifest.to_canonical_json()).unwrap();
    manifest["predicate"]["skill"]["description"] = "A harmless calculator.".into();
    let payload = serde_json_canonicalizer::to_vec(&manifest).unwrap();
    world.signature = envelope::sign(&payload, PAYLOAD_TYPE, &world.key).into_bytes();
    let err = world.verify().unwrap_err();
    assert_eq!(
        err,
        VerifyError::Content(ContentMismatch::Field("description"))
    );
    assert_eq!(err.code(), "manifest-mismatch");
}

/// Loads the trust root file at `location` as the command line does: read it, then check it
/// against what `state` remembers.
fn load_at(state: &TrustState, location: &Path) -> Result<TrustRoot, LoadError> {
    state.load_root(location, &fs::read(location).unwrap(), now())
}

/// The World's root with a root key, signed, at `version`.
fn signed_root(root_key: &SecretKey, version: u64) -> TrustRootFile {
    let mut file = World::new().file;
    file.add_root_key(root_key.public(), None).unwrap();
    file.signed.version = version;
    file.sign(root_key);
    file
}

/// An unsigned root named `name` at `version` that trusts `key` for the `example` namespace.
fn attacker_root(name: &str, version: u64, key: &SecretKey) -> TrustRootFile {
    let mut file = TrustRootFile::new(name, now() + days(30));
    file.add_publisher("example", &["example".into()]).unwrap();
    file.add_key("example", key.public(), None, None).unwrap();
    file.signed.version = version;
    file
}

#[test]
fn a_signed_root_replaced_by_an_unsigned_one_under_another_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = TrustState::at(dir.path().join("state"));
    let location = dir.path().join("trust.json");
    let root_key = SecretKey::generate().unwrap();
    fs::write(&location, signed_root(&root_key, 4).to_json()).unwrap();
    load_at(&state, &location).unwrap();
    let remembered = files_under(&dir.path().join("state"));

    let attacker = SecretKey::generate().unwrap();
    for version in [1, 4, 5] {
        fs::write(
            &location,
            attacker_root("evil", version, &attacker).to_json(),
        )
        .unwrap();
        let err = load_at(&state, &location).unwrap_err();
        let refused = match version {
            1 => matches!(
                err,
                LoadError::Trust(TrustError::Rollback {
                    found: 1,
                    highest: 4,
                    ..
                })
            ),
            4 => matches!(
                err,
                LoadError::Trust(TrustError::Conflict { version: 4, .. })
            ),
            _ => matches!(
                err,
                LoadError::Trust(TrustError::NotSignedByPrevious {
                    found: 5,
                    previous: 4,
                    ..
                })
            ),
        };
        assert!(refused, "version {version}: {err}");
    }
    assert_eq!(files_under(&dir.path().join("state")), remembered);
}

#[test]
fn a_root_signed_by_known_root_keys_is_remembered_wherever_it_lives() {
    let dir = tempfile::tempdir().unwrap();
    let state = TrustState::at(dir.path().join("state"));
    let root_key = SecretKey::generate().unwrap();
    let first = dir.path().join("trust.json");
    fs::write(&first, signed_root(&root_key, 4).to_json()).unwrap();
    load_at(&state, &first).unwrap();
    let remembered = files_under(&dir.path().join("state"));

    // An older version signed by the same root key, at a place this machine never saw, under
    // its own name or another.
    let elsewhere = dir.path().join("elsewhere.json");
    for name in ["test", "other"] {
        let mut old = signed_root(&root_key, 3);
        old.signed.name = name.into();
        old.sign(&root_key);
        fs::write(&elsewhere, old.to_json()).unwrap();
        let err = load_at(&state, &elsewhere).unwrap_err();
        assert!(
            matches!(
                err,
                LoadError::Trust(TrustError::Rollback {
                    found: 3,
                    highest: 4,
                    ..
                })
            ),
            "{name}: {err}"
        );
    }
    assert_eq!(files_under(&dir.path().join("state")), remembered);
}

#[test]
fn a_root_renamed_by_a_rotation_its_root_keys_signed_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let state = TrustState::at(dir.path().join("state"));
    let location = dir.path().join("trust.json");
    let root_key = SecretKey::generate().unwrap();
    let v4 = signed_root(&root_key, 4);
    fs::write(&location, v4.to_json()).unwrap();
    load_at(&state, &location).unwrap();
    let mut renamed = signed_root(&root_key, 5);
    renamed.signed.name = "corp".into();
    renamed.sign(&root_key);
    fs::write(&location, renamed.to_json()).unwrap();
    assert_eq!(load_at(&state, &location).unwrap().name(), "corp");
    // The old name's last version is now a rollback at this place.
    fs::write(&location, v4.to_json()).unwrap();
    let err = load_at(&state, &location).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Trust(TrustError::Rollback {
                found: 4,
                highest: 5,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn a_revocation_or_key_written_in_upper_case_counts() {
    let mut world = World::new();
    let id = world.key.public().id().clone();
    world.file.revoke(&id, "laptop stolen", now()).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&world.file.to_json()).unwrap();
    json["signed"]["revoked"][0]["keyid"] = id.as_str().to_uppercase().into();
    let root = TrustRoot::load(json.to_string().as_bytes(), now(), None).unwrap();
    let err = verify(
        &world.packed.bundle,
        &world.signature,
        &Authority::trust_root(&root),
        now(),
        &Limits::DEFAULT,
    )
    .unwrap_err();
    assert_eq!(err.code(), "key-revoked", "{err}");

    // A publisher key id in upper case names the same key.
    let mut json: serde_json::Value = serde_json::from_str(&World::new().file.to_json()).unwrap();
    let keyid = json["signed"]["publishers"][0]["keys"][0]["keyid"]
        .as_str()
        .unwrap()
        .to_uppercase();
    json["signed"]["publishers"][0]["keys"][0]["keyid"] = keyid.clone().into();
    let root = TrustRoot::load(json.to_string().as_bytes(), now(), None).unwrap();
    assert_eq!(
        root.file().signed.publishers[0].keys[0].keyid.as_str(),
        keyid.to_lowercase()
    );
}

#[test]
fn a_malformed_key_id_in_the_trust_root_is_refused_at_load() {
    let root_key = SecretKey::generate().unwrap();
    let mut world = World::new();
    let id = world.key.public().id().clone();
    world.file.revoke(&id, "laptop stolen", now()).unwrap();
    world.file.add_root_key(root_key.public(), None).unwrap();
    world.file.sign(&root_key);
    let good: serde_json::Value = serde_json::from_str(&world.file.to_json()).unwrap();
    for pointer in [
        "/signed/revoked/0/keyid",
        "/signed/publishers/0/keys/0/keyid",
        "/signed/root/keys/0/keyid",
        "/signatures/0/keyid",
    ] {
        let too_long = format!("{}0", id.as_str());
        for bad in ["not-a-key-id", too_long.as_str(), &id.as_str()[1..]] {
            let mut json = good.clone();
            *json.pointer_mut(pointer).unwrap() = bad.into();
            let err = TrustRoot::load(json.to_string().as_bytes(), now(), None).unwrap_err();
            assert!(
                matches!(&err, TrustError::Parse(why) if why.contains("keyid") && why.contains(bad)),
                "{pointer} = {bad:?}: {err:?}"
            );
        }
    }
}

#[test]
fn an_unsigned_root_cannot_be_replaced_by_one_of_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let state = TrustState::at(dir.path().join("state"));
    let location = dir.path().join("trust.json");
    let mut local = World::new().file;
    local.signed.version = 2;
    fs::write(&location, local.to_json()).unwrap();
    load_at(&state, &location).unwrap();
    let remembered = files_under(&dir.path().join("state"));
    // Its own next version loads; another root at a higher version does not: the unsigned
    // root has no root keys that could sign a rotation to it.
    let attacker = SecretKey::generate().unwrap();
    fs::write(&location, attacker_root("evil", 3, &attacker).to_json()).unwrap();
    let err = load_at(&state, &location).unwrap_err();
    assert!(
        matches!(
            &err,
            LoadError::Trust(TrustError::Renamed { name, previous }) if name == "evil" && previous == "test"
        ),
        "{err}"
    );
    assert_eq!(files_under(&dir.path().join("state")), remembered);
    local.begin_edit();
    fs::write(&location, local.to_json()).unwrap();
    assert_eq!(load_at(&state, &location).unwrap().version(), 3);
}

#[test]
fn a_symlink_swapped_in_at_the_known_place_finds_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let state = TrustState::at(dir.path().join("state"));
    let location = dir.path().join("trust.json");
    let root_key = SecretKey::generate().unwrap();
    fs::write(&location, signed_root(&root_key, 4).to_json()).unwrap();
    load_at(&state, &location).unwrap();
    let remembered = files_under(&dir.path().join("state"));
    let attacker = SecretKey::generate().unwrap();
    let evil = dir.path().join("evil.json");
    fs::write(&evil, attacker_root("evil", 9, &attacker).to_json()).unwrap();
    fs::remove_file(&location).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&evil, &location).unwrap();
    #[cfg(not(unix))]
    fs::copy(&evil, &location).unwrap();
    let err = load_at(&state, &location).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Trust(TrustError::NotSignedByPrevious {
                found: 9,
                previous: 4,
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(files_under(&dir.path().join("state")), remembered);
}
