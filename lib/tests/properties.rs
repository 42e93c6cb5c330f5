//! Property tests for the invariants the rest of the project leans on:
//! - pack → read is the identity on any valid tree (files, bytes, exec bits, digest);
//! - any single-byte change to a bundle, to the signed manifest, or to what a signature file
//!   says makes `verify` refuse, and even the trusted key cannot vouch for a manifest that misdescribes the
//!   bundle (but for the informative `bundle` and `tool` fields);
//! - `install` either completes or leaves the destination byte-for-byte as it was.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use proptest::prelude::*;
use skillsig::Limits;
use skillsig::bundle::{self, SourceOptions};
use skillsig::install::{self, fetch::Fetched};
use skillsig::manifest::PAYLOAD_TYPE;
use skillsig::pack::{self, Packed};
use skillsig::policy::Policy;
use skillsig::signing::{envelope, keys::SecretKey};
use skillsig::tree::{FileTree, SkillPath, TreeBuilder};
use skillsig::trust::{TrustRoot, TrustRootFile};
use skillsig::verify::{self, Authority};

const SKILL_MD: &str = "---\nname: prop\ndescription: A Skill for property tests.\n---\nSay hi.\n";
const CONFIG: &str = "[skill]\nnamespace = \"acme\"\nversion = \"1.0.0\"\n";

/// Paths from a small alphabet, so that prefixes, case twins and nesting all come up.
fn path_strategy() -> impl Strategy<Value = String> {
    let component = prop::sample::select(vec![
        "a", "A", "b", "lib", "lib.md", "x-y", "scripts", "run.sh", "é", "a.b",
    ]);
    prop::collection::vec(component, 1..4).prop_map(|parts| parts.join("/"))
}

fn files_strategy() -> impl Strategy<Value = Vec<(String, Vec<u8>, bool)>> {
    prop::collection::vec(
        (
            path_strategy(),
            prop::collection::vec(any::<u8>(), 0..300),
            any::<bool>(),
        ),
        0..12,
    )
}

/// A tree of the generated files that the tree rules accept, with `SKILL.md` and the config.
fn tree_of(files: &[(String, Vec<u8>, bool)]) -> FileTree {
    let limits = Limits::DEFAULT;
    let mut builder = TreeBuilder::new(limits);
    for (path, data, executable) in [
        ("SKILL.md".to_string(), SKILL_MD.as_bytes().to_vec(), false),
        (
            "skillsig.toml".to_string(),
            CONFIG.as_bytes().to_vec(),
            false,
        ),
    ]
    .iter()
    .chain(files)
    {
        // Paths the rules refuse (collisions, file/folder conflicts) are simply left out.
        if let Ok(path) = SkillPath::parse(path, &limits) {
            let _ = builder.add(path, data.clone(), *executable);
        }
    }
    builder.finish()
}

struct Signed {
    packed: Packed,
    signature: Vec<u8>,
    root: TrustRoot,
    key: SecretKey,
}

fn now() -> Timestamp {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

/// The example tree packed and signed by a key the trust root allows for `acme`.
fn signed(files: &[(String, Vec<u8>, bool)]) -> Signed {
    let packed = pack::pack_tree(tree_of(files), &SourceOptions::default()).unwrap();
    let key = SecretKey::generate().unwrap();
    let signature = envelope::sign(&packed.manifest.to_canonical_json(), PAYLOAD_TYPE, &key);
    let mut file = TrustRootFile::new("props", "2099-01-01T00:00:00Z".parse().unwrap());
    file.add_publisher("acme-inc", &["acme".into()]).unwrap();
    file.add_key("acme-inc", key.public(), None, None).unwrap();
    let root = TrustRoot::load(file.to_json().as_bytes(), now(), None).unwrap();
    Signed {
        packed,
        signature: signature.into_bytes(),
        root,
        key,
    }
}

fn verify(bundle: &[u8], signature: &[u8], root: &TrustRoot) -> bool {
    verify::verify(
        bundle,
        signature,
        &Authority::trust_root(root),
        now(),
        &Limits::DEFAULT,
    )
    .is_ok()
}

/// Every file below `dir` with its bytes and mode, symlinks as their targets: what "the
/// destination as it was" means.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let meta = entry.path().symlink_metadata().unwrap();
        let key = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .display()
            .to_string();
        let data = if meta.file_type().is_symlink() {
            fs::read_link(entry.path())
                .unwrap()
                .display()
                .to_string()
                .into_bytes()
        } else if meta.is_file() {
            fs::read(entry.path()).unwrap()
        } else {
            Vec::new()
        };
        #[cfg(unix)]
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
        #[cfg(not(unix))]
        let mode = 0;
        out.insert(key, (data, mode));
    }
    out
}

/// Whether two manifest texts are the same JSON but for `predicate.bundle` and `predicate.tool`.
fn differs_only_in_informative_fields(a: &[u8], b: &[u8]) -> bool {
    let without = |bytes: &[u8]| {
        let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let predicate = value.get_mut("predicate")?.as_object_mut()?;
        predicate.remove("bundle");
        predicate.remove("tool");
        Some(value)
    };
    matches!((without(a), without(b)), (Some(a), Some(b)) if a == b)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn pack_then_read_is_the_identity(files in files_strategy()) {
        let tree = tree_of(&files);
        let bytes = bundle::encode(&tree).unwrap();
        let read = bundle::read_bytes(&bytes, &Limits::DEFAULT).unwrap();
        prop_assert_eq!(read.tree.digest(), tree.digest());
        prop_assert_eq!(&read.tree, &tree);
        // Packing the same tree again gives the same bytes.
        prop_assert_eq!(bundle::encode(&read.tree).unwrap(), bytes);
    }

    #[test]
    fn any_changed_bundle_byte_is_refused(
        files in files_strategy(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let s = signed(&files);
        prop_assert!(verify(&s.packed.bundle, &s.signature, &s.root));
        let mut bundle = s.packed.bundle.clone();
        let at = position.index(bundle.len());
        bundle[at] ^= flip;
        prop_assert!(!verify(&bundle, &s.signature, &s.root), "byte {at} ^ {flip:#x} accepted");
    }

    #[test]
    fn any_changed_manifest_byte_is_refused(
        files in files_strategy(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        // The signed manifest, changed inside the signature file it travels in.
        let s = signed(&files);
        let mut document: serde_json::Value = serde_json::from_slice(&s.signature).unwrap();
        let payload = &mut document["dsseEnvelope"]["payload"];
        let mut manifest = STANDARD.decode(payload.as_str().unwrap()).unwrap();
        prop_assert_eq!(&manifest, &s.packed.manifest.to_canonical_json());
        let at = position.index(manifest.len());
        manifest[at] ^= flip;
        *payload = STANDARD.encode(&manifest).into();
        let signature = serde_json::to_vec(&document).unwrap();
        prop_assert!(
            !verify(&s.packed.bundle, &signature, &s.root),
            "manifest byte {at} ^ {flip:#x} accepted"
        );
    }

    #[test]
    fn a_manifest_the_trusted_key_signs_must_describe_the_bundle(
        files in files_strategy(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        // Even the trusted key cannot vouch for a manifest one byte away from the bundle's
        // own, except in the two fields docs/manifest.md calls informative: `bundle` (a
        // transport checksum) and `tool` (who packed it).
        let s = signed(&files);
        let original = s.packed.manifest.to_canonical_json();
        let mut manifest = original.clone();
        let at = position.index(manifest.len());
        manifest[at] ^= flip;
        prop_assume!(!differs_only_in_informative_fields(&original, &manifest));
        let signature = envelope::sign(&manifest, PAYLOAD_TYPE, &s.key);
        prop_assert!(
            !verify(&s.packed.bundle, signature.as_bytes(), &s.root),
            "manifest byte {at} ^ {flip:#x} accepted: {}",
            String::from_utf8_lossy(&manifest)
        );
    }

    #[test]
    fn any_changed_signature_file_byte_is_refused(
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let s = signed(&[]);
        let mut signature = s.signature.clone();
        let at = position.index(signature.len());
        signature[at] ^= flip;
        // A change the verifier cannot see is no change: white space between JSON tokens, or
        // the name of an optional field (an unknown field is ignored, as Sigstore readers do).
        // Everything the verifier reads (key hint, payload type, payload, signature) must count.
        let same_meaning = matches!(
            (
                envelope::parse(&signature, PAYLOAD_TYPE),
                envelope::parse(&s.signature, PAYLOAD_TYPE),
            ),
            (Ok(a), Ok(b)) if a == b
        );
        prop_assume!(!same_meaning);
        prop_assert!(
            !verify(&s.packed.bundle, &signature, &s.root),
            "signature byte {at} ^ {flip:#x} accepted"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn install_completes_or_leaves_the_destination_as_it_was(
        files in files_strategy(),
        damage in prop::option::of((any::<prop::sample::Index>(), 1u8..=255)),
        existing in prop::sample::select(vec!["nothing", "older", "file", "junk"]),
    ) {
        let s = signed(&files);
        let dest = tempfile::tempdir().unwrap();
        match existing {
            "older" => {
                fs::create_dir_all(dest.path().join("prop/scripts")).unwrap();
                fs::write(dest.path().join("prop/SKILL.md"), "old").unwrap();
                fs::write(dest.path().join("prop/scripts/old.sh"), "echo old").unwrap();
            }
            // A regular file where the Skill folder would go.
            "file" => fs::write(dest.path().join("prop"), "not a folder").unwrap(),
            "junk" => fs::write(dest.path().join("unrelated.txt"), "keep me").unwrap(),
            _ => {}
        }
        let before = snapshot(dest.path());
        let mut bundle = s.packed.bundle.clone();
        if let Some((position, flip)) = damage {
            let at = position.index(bundle.len());
            bundle[at] ^= flip;
        }
        let fetched = Fetched {
            bundle,
            signature: Some(s.signature.clone()),
            origin: "property test".into(),
            expected: None,
        };
        let result = install::approve(
            &fetched,
            &Authority::trust_root(&s.root),
            &Policy::default(),
            false,
            now(),
            &Limits::DEFAULT,
        )
        .map_err(|e| e.to_string())
        .and_then(|approved| {
            let locked = install::LockedDestination::acquire(dest.path()).map_err(|e| e.to_string())?;
            install::write(&approved, &locked).map_err(|e| e.to_string())
        });
        match result {
            Ok(installed) => {
                // Every file of the bundle is there with its bytes and exec bit.
                for (path, entry) in s.packed.tree.iter() {
                    let on_disk = installed.join(path.as_str());
                    prop_assert_eq!(&fs::read(&on_disk).unwrap(), &entry.data);
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        let mode = fs::metadata(&on_disk).unwrap().permissions().mode();
                        prop_assert_eq!(mode & 0o100 != 0, entry.executable, "{}", path);
                    }
                }
                if existing == "junk" {
                    prop_assert_eq!(fs::read(dest.path().join("unrelated.txt")).unwrap(), b"keep me");
                }
            }
            Err(error) => {
                prop_assert_eq!(snapshot(dest.path()), before, "changed after: {}", error);
            }
        }
    }
}
