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

#[test]
fn manifest_examples() {
    let validator = validator("manifest.schema.json");
    for path in examples("manifest", "valid") {
        let value = load(&path);
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        Manifest::from_json(&fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for path in examples("manifest", "invalid") {
        let value = load(&path);
        assert!(
            !validator.is_valid(&value),
            "{} passes the schema",
            path.display()
        );
        assert!(
            Manifest::from_json(&fs::read(&path).unwrap()).is_err(),
            "{} passes the library",
            path.display()
        );
    }
}

#[test]
fn packed_manifests_match_the_schema() {
    let validator = validator("manifest.schema.json");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
    let packed = skillsig::pack::pack_dir(&example, &SourceOptions::default()).unwrap();
    let value: Value = serde_json::from_slice(&packed.manifest.to_canonical_json()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn trust_root_examples() {
    use skillsig::trust::TrustRootFile;
    let validator = validator("trust-root.schema.json");
    let library =
        |path: &Path| TrustRootFile::from_json(&fs::read(path).unwrap()).and_then(|f| f.check());
    for path in examples("trust-root", "valid") {
        let errors: Vec<String> = validator
            .iter_errors(&load(&path))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        library(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for path in examples("trust-root", "invalid") {
        assert!(
            !validator.is_valid(&load(&path)),
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
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn policy_examples() {
    use skillsig::policy::Policy;
    let validator = validator("policy.schema.json");
    let as_json = |path: &Path| -> Value {
        let text = fs::read_to_string(path).unwrap();
        let parsed: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::to_value(parsed).unwrap()
    };
    for path in examples("policy", "valid") {
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&path))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        Policy::from_toml(&fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    for path in examples("policy", "invalid") {
        assert!(
            !validator.is_valid(&as_json(&path)),
            "{} passes the schema",
            path.display()
        );
        assert!(
            Policy::from_toml(&fs::read_to_string(&path).unwrap()).is_err(),
            "{} passes the library",
            path.display()
        );
    }
}
