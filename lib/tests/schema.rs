//! The JSON Schemas in registry-schema/ against their examples and against what the library
//! writes and reads: a valid example passes both the schema and the library's parser, an
//! invalid one fails both.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use skillsig::bundle::SourceOptions;
use skillsig::manifest::Manifest;

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../registry-schema")
}

fn load(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(name: &str) -> jsonschema::Validator {
    let schema = load(&schema_dir().join(name));
    jsonschema::meta::validate(&schema)
        .unwrap_or_else(|e| panic!("{name} is not a valid schema: {e}"));
    jsonschema::draft202012::new(&schema).unwrap()
}

fn examples(kind: &str, validity: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> =
        fs::read_dir(schema_dir().join("examples").join(kind).join(validity))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no {validity} examples for {kind}");
    paths
}

/// Asserts that `value` passes the schema, listing every error otherwise.
fn assert_valid(validator: &jsonschema::Validator, value: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}");
}

/// Valid examples of `kind` pass the schema and `library`; invalid ones fail both.
fn check_examples(
    kind: &str,
    validator: jsonschema::Validator,
    as_json: impl Fn(&Path) -> Value,
    library: impl Fn(&Path) -> Result<(), String>,
) {
    for path in examples(kind, "valid") {
        assert_valid(&validator, &as_json(&path), &path.display().to_string());
        library(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for path in examples(kind, "invalid") {
        assert!(
            !validator.is_valid(&as_json(&path)),
            "{} passes the schema",
            path.display()
        );
        assert!(
            library(&path).is_err(),
            "{} passes the library",
            path.display()
        );
    }
}

#[test]
fn manifest_examples() {
    check_examples(
        "manifest",
        validator("manifest.schema.json"),
        load,
        |path| {
            Manifest::from_json(&fs::read(path).unwrap())
                .map(|_| ())
                .map_err(|e| e.to_string())
        },
    );
}

#[test]
fn packed_manifests_match_the_schema() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
    let packed = skillsig::pack::pack_dir(&example, &SourceOptions::default()).unwrap();
    let value: Value = serde_json::from_slice(&packed.manifest.to_canonical_json()).unwrap();
    assert_valid(
        &validator("manifest.schema.json"),
        &value,
        "packed manifest",
    );
}

#[test]
fn trust_root_examples() {
    use skillsig::trust::TrustRootFile;
    check_examples(
        "trust-root",
        validator("trust-root.schema.json"),
        load,
        |path| {
            TrustRootFile::from_json(&fs::read(path).unwrap())
                .and_then(|f| f.check())
                .map_err(|e| e.to_string())
        },
    );
}

#[test]
fn trust_roots_written_by_the_library_match_the_schema() {
    use skillsig::signing::keys::SecretKey;
    use skillsig::trust::TrustRootFile;
    let validator = validator("trust-root.schema.json");
    let mut file = TrustRootFile::new("local", "2030-01-01T00:00:00Z".parse().unwrap());
    let (publisher, root) = (
        SecretKey::generate().unwrap(),
        SecretKey::generate().unwrap(),
    );
    file.add_publisher("acme", &["acme".into(), "acme-*".into()])
        .unwrap();
    file.add_key(
        "acme",
        publisher.public(),
        Some("2026-01-01T00:00:00Z".parse().unwrap()),
        None,
    )
    .unwrap();
    file.revoke(
        publisher.public().id(),
        "test",
        "2026-06-01T00:00:00Z".parse().unwrap(),
    )
    .unwrap();
    file.add_root_key(root.public(), Some(1)).unwrap();
    file.sign(&root);
    let value: Value = serde_json::from_str(&file.to_json()).unwrap();
    assert_valid(&validator, &value, "trust root written by the library");
}

#[test]
fn policy_examples() {
    use skillsig::policy::Policy;
    let as_json = |path: &Path| -> Value {
        let text = fs::read_to_string(path).unwrap();
        let parsed: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::to_value(parsed).unwrap()
    };
    check_examples("policy", validator("policy.schema.json"), as_json, |path| {
        Policy::from_toml(&fs::read_to_string(path).unwrap())
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
}

/// A validator for `name`, which may refer to the manifest schema by its `$id`.
fn validator_with_manifest(name: &str) -> jsonschema::Validator {
    let manifest = load(&schema_dir().join("manifest.schema.json"));
    let registry = jsonschema::Registry::new()
        .add("https://skillsig.dev/schema/manifest/v1.json", manifest)
        .unwrap()
        .prepare()
        .unwrap();
    jsonschema::options()
        .with_registry(&registry)
        .build(&load(&schema_dir().join(name)))
        .unwrap()
}

/// Valid examples pass the schema and the library's parser and checks; invalid ones fail both.
fn check_registry_examples<T: serde::de::DeserializeOwned>(
    kind: &str,
    validate: impl Fn(&T) -> Result<(), String>,
) {
    let library = |path: &Path| -> Result<(), String> {
        let value: T =
            serde_json::from_slice(&fs::read(path).unwrap()).map_err(|e| e.to_string())?;
        validate(&value)
    };
    check_examples(
        kind,
        validator_with_manifest(&format!("{kind}.schema.json")),
        load,
        library,
    );
}

#[test]
fn registry_metadata_examples() {
    use skillsig::registry::{Bin, IndexEntry, SignedMetadata, Snapshot, TimestampBody};
    check_registry_examples::<SignedMetadata<TimestampBody>>("registry-timestamp", |t| {
        t.signed.validate()
    });
    check_registry_examples::<SignedMetadata<Snapshot>>("registry-snapshot", |s| {
        s.signed.validate()
    });
    check_registry_examples::<Bin>("registry-bin", Bin::validate);
    check_registry_examples::<IndexEntry>("registry-index-entry", IndexEntry::validate);
}

#[test]
fn registries_written_by_the_library_match_the_schemas() {
    use skillsig::policy::Policy;
    use skillsig::registry::{self, DirStore, Publisher};
    use skillsig::signing::keys::SecretKey;
    use skillsig::trust::{TrustRoot, TrustRootFile};
    let work = tempfile::tempdir().unwrap();
    let (publisher_key, registry_key) = (
        SecretKey::generate().unwrap(),
        SecretKey::generate().unwrap(),
    );
    let mut file = TrustRootFile::new("local", "2099-01-01T00:00:00Z".parse().unwrap());
    file.add_publisher("example", &["example".into()]).unwrap();
    file.add_key("example", publisher_key.public(), None, None)
        .unwrap();
    file.add_registry_key(registry_key.public(), None).unwrap();
    let root = TrustRoot::load(file.to_json().as_bytes(), jiff::Timestamp::now(), None).unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
    let packed = skillsig::pack::pack_dir(&example, &SourceOptions::default()).unwrap();
    let signature = skillsig::signing::sign_bundle(
        &packed.bundle,
        &packed.manifest.to_canonical_json(),
        &publisher_key,
        &skillsig::Limits::DEFAULT,
    )
    .unwrap();
    let store = DirStore::new(work.path());
    let policy = Policy::default();
    let publisher = Publisher {
        store: &store,
        root: &root,
        policy: &policy,
        keys: vec![&registry_key],
    };
    registry::init(&publisher, jiff::Timestamp::now()).unwrap();
    registry::publish(
        &publisher,
        &packed.bundle,
        signature.as_bytes(),
        jiff::Timestamp::now(),
    )
    .unwrap();
    let check = |schema: &str, value: &Value, what: &str| {
        assert_valid(&validator_with_manifest(schema), value, what)
    };
    check(
        "registry-timestamp.schema.json",
        &load(&work.path().join("timestamp.json")),
        "timestamp.json",
    );
    for (dir, schema) in [
        ("snapshot", "registry-snapshot.schema.json"),
        ("bins", "registry-bin.schema.json"),
    ] {
        for path in walk_files(&work.path().join(dir)) {
            check(schema, &load(&path), &path.display().to_string());
        }
    }
    for path in walk_files(&work.path().join("index")) {
        for line in fs::read_to_string(&path).unwrap().lines() {
            let value: Value = serde_json::from_str(line).unwrap();
            check(
                "registry-index-entry.schema.json",
                &value,
                &path.display().to_string(),
            );
        }
    }
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}
