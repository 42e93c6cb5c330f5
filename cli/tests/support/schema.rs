//! Checks `skillsig verify --json` output against registry-schema/verify-result.schema.json.

use std::fs;
use std::path::Path;

use serde_json::Value;

/// Validates `verify --json` output against registry-schema/verify-result.schema.json, which
/// refers to the manifest schema for permissions.
pub fn assert_verify_result_schema(value: &Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../registry-schema");
    let load = |name: &str| -> Value {
        serde_json::from_slice(&fs::read(dir.join(name)).unwrap()).unwrap()
    };
    let manifest = load("manifest.schema.json");
    let registry = jsonschema::Registry::new()
        .add("https://skillsig.dev/schema/manifest/v1.json", manifest)
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_registry(&registry)
        .build(&load("verify-result.schema.json"))
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{value:#}");
    for validity in ["valid", "invalid"] {
        for entry in fs::read_dir(dir.join("examples/verify-result").join(validity)).unwrap() {
            let path = entry.unwrap().path();
            let example: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
            assert_eq!(
                validator.is_valid(&example),
                validity == "valid",
                "{}",
                path.display()
            );
        }
    }
}
