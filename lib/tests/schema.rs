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
    schema: &str,
    as_json: impl Fn(&Path) -> Value,
    library: impl Fn(&Path) -> Result<(), String>,
) {
    let validator = validator(schema);
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
    check_examples("manifest", "manifest.schema.json", load, |path| {
        Manifest::from_json(&fs::read(path).unwrap())
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
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
    check_examples("trust-root", "trust-root.schema.json", load, |path| {
        TrustRootFile::from_json(&fs::read(path).unwrap())
            .and_then(|f| f.check())
            .map_err(|e| e.to_string())
    });
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
    check_examples("policy", "policy.schema.json", as_json, |path| {
        Policy::from_toml(&fs::read_to_string(path).unwrap())
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
}
