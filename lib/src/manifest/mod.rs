//! The manifest: an in-toto Statement v1 that binds a Skill's identity, every file, and the
//! permissions it asks for to one tree digest.
//!
//! The subject is `<namespace>/<name>@<version>` with the tree digest (see `docs/manifest.md`),
//! which covers paths, contents and exec bits but not compression, so the identity survives
//! any re-archiving. The bytes are RFC 8785 (JCS) canonical JSON: the same Skill always gives
//! the same manifest bytes, and those bytes are what gets signed.
//!
//! A [`Manifest`] parsed from a file is only *well-formed*: it says nothing about who wrote it.
//! Trust comes from the signing and verification modules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bundle::Bundle;
use crate::limits::Limits;
use crate::permissions::Permissions;
use crate::skill::{OpenClawRequirements, SkillId, SkillInfo};
use crate::tree::{FileRecord, FileTree, SkillPath, tree_digest};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of a skillsig manifest, version 1.
pub const PREDICATE_TYPE: &str = "https://skillsig.dev/manifest/v1";
/// Media type of the DSSE payload that carries a manifest.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// Suffix of the manifest file written beside a bundle: `<bundle>.manifest.json`.
pub const FILE_SUFFIX: &str = ".manifest.json";
/// Largest manifest file accepted (10,000 files at ~150 bytes each, with room to spare).
pub const MAX_MANIFEST_BYTES: u64 = 8 * 1024 * 1024;

/// The in-toto statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// Exactly one: the Skill release and its tree digest.
    pub subject: Vec<Subject>,
    /// Always [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// What skillsig claims about the Skill.
    pub predicate: Predicate,
}

/// What the statement is about: the Skill release and its tree digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// `<namespace>/<name>@<version>`.
    pub name: String,
    /// `{"sha256": "<tree digest, hex>"}`.
    pub digest: BTreeMap<String, String>,
}

/// The claims skillsig makes about the Skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// Namespace, name, version and description.
    pub skill: SkillSection,
    /// Every file, sorted bytewise by path.
    pub files: Vec<ManifestFile>,
    /// What the Skill asks to be allowed to do; everything else is denied.
    pub permissions: Permissions,
    /// OpenClaw's requirements block from `SKILL.md`, as found.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub openclaw: Option<OpenClawRequirements>,
    /// The `.skill` file this manifest was written with (a transport checksum only: the
    /// identity is the tree digest).
    pub bundle: BundleChecksum,
    /// The tool that wrote the manifest.
    pub tool: Tool,
}

/// Identity and description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillSection {
    /// The namespace that decides who may sign.
    pub namespace: String,
    /// The Skill's name within its namespace.
    pub name: String,
    /// A semver version.
    pub version: String,
    /// One line from `SKILL.md`.
    pub description: String,
}

/// One file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Relative path with `/` separators, NFC, no `..`.
    pub path: String,
    /// Length in bytes.
    pub size: u64,
    /// Hex sha256 of the content.
    pub sha256: String,
    /// Whether the file is marked executable.
    pub executable: bool,
}

/// Checksum of the `.skill` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleChecksum {
    /// Hex sha256 of the `.skill` file.
    pub sha256: String,
    /// Length of the `.skill` file in bytes.
    pub size: u64,
}

/// Name and version of the writing tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// `skillsig`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Why a manifest is not well-formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file is larger than [`MAX_MANIFEST_BYTES`].
    #[error("the manifest is larger than {MAX_MANIFEST_BYTES} bytes")]
    TooLarge,
    /// Not JSON of the statement's shape.
    #[error("the manifest is not valid JSON for a skillsig statement: {0}")]
    Json(String),
    /// `_type` is not an in-toto Statement v1.
    #[error("`_type` is {0:?}, not an in-toto Statement v1")]
    StatementType(String),
    /// `predicateType` is not [`PREDICATE_TYPE`].
    #[error("`predicateType` is {0:?}; this skillsig reads {PREDICATE_TYPE}")]
    PredicateType(String),
    /// There is not exactly one subject.
    #[error("the statement must have exactly one subject")]
    SubjectCount,
    /// The subject names another release than the predicate.
    #[error("the subject is {found:?} but the predicate describes {expected:?}")]
    SubjectName {
        /// What the subject says.
        found: String,
        /// What the predicate describes.
        expected: String,
    },
    /// The subject digest is not a single lowercase hex sha256.
    #[error("the subject digest must be a single lowercase hex sha256")]
    SubjectDigest,
    /// The subject digest is not the tree digest of the listed files.
    #[error("the subject digest does not match the tree digest of the listed files")]
    TreeDigestMismatch,
    /// The version is not semver.
    #[error("the version {0:?} is not semver")]
    Version(String),
    /// A listed file breaks a path or digest rule.
    #[error("file {path:?}: {reason}")]
    File {
        /// The file's path as listed.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The files are not sorted, or a path repeats.
    #[error("the files are not sorted bytewise by path, or a path repeats ({0:?})")]
    Order(String),
    /// A declared permission is malformed.
    #[error("{0}")]
    Permission(#[from] crate::permissions::InvalidPermission),
    /// The bundle checksum is not a lowercase hex sha256.
    #[error("the bundle checksum is not a lowercase hex sha256")]
    BundleDigest,
}

impl ManifestError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            ManifestError::TooLarge => "manifest-too-large",
            ManifestError::Json(..) => "manifest-json",
            ManifestError::StatementType(..) => "manifest-statement-type",
            ManifestError::PredicateType(..) => "manifest-predicate-type",
            ManifestError::SubjectCount => "manifest-subject-count",
            ManifestError::SubjectName { .. } => "manifest-subject-name",
            ManifestError::SubjectDigest => "manifest-subject-digest",
            ManifestError::TreeDigestMismatch => "manifest-tree-digest-mismatch",
            ManifestError::Version(..) => "manifest-version",
            ManifestError::File { .. } => "manifest-file",
            ManifestError::Order(..) => "manifest-order",
            ManifestError::Permission(..) => "manifest-permission",
            ManifestError::BundleDigest => "manifest-bundle-digest",
        }
    }
}

/// One way a bundle's files differ from its manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileMismatch {
    /// A file the manifest does not list.
    #[error("{0}: in the bundle but not in the manifest")]
    Extra(String),
    /// A listed file that is absent.
    #[error("{0}: in the manifest but not in the bundle")]
    Missing(String),
    /// A file whose content changed.
    #[error("{0}: content differs from the manifest")]
    Changed(String),
    /// A file whose exec bit changed.
    #[error("{0}: exec bit differs from the manifest")]
    ExecBit(String),
}

impl FileMismatch {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            FileMismatch::Extra(..) => "file-extra",
            FileMismatch::Missing(..) => "file-missing",
            FileMismatch::Changed(..) => "file-changed",
            FileMismatch::ExecBit(..) => "file-exec-bit",
        }
    }
}

/// Why a bundle's content is not what its manifest says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContentMismatch {
    /// Files differ; every difference is listed.
    #[error("the bundle's files do not match the manifest:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Files(Vec<FileMismatch>),
    /// The bundle names another release than the manifest.
    #[error("the bundle describes itself as {bundle} but the manifest names {manifest}")]
    Identity {
        /// What the bundle's own files say.
        bundle: String,
        /// What the manifest says.
        manifest: String,
    },
    /// The permissions declared in the bundle differ from the manifest's.
    #[error("the permissions the bundle's files declare differ from the manifest's")]
    Permissions,
    /// Another field (named) differs from the bundle's own files.
    #[error("the manifest's {0} differs from what the bundle's own files say")]
    Field(&'static str),
    /// The bundle's own files are not a readable Skill.
    #[error("the bundle's own files cannot be read as a Skill: {0}")]
    Skill(#[from] crate::skill::SkillError),
}

impl ContentMismatch {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            ContentMismatch::Files(..) => "files-mismatch",
            ContentMismatch::Identity { .. } => "identity-mismatch",
            ContentMismatch::Permissions => "permissions-mismatch",
            ContentMismatch::Field(..) => "manifest-mismatch",
            ContentMismatch::Skill(..) => "skill-invalid",
        }
    }
}

/// A well-formed manifest: structure, paths and digests checked, nothing about who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    statement: Statement,
    id: SkillId,
    records: Vec<FileRecord>,
    tree_digest: [u8; 32],
}

impl Manifest {
    /// Builds the manifest of a Skill whose bundle bytes have `bundle_sha256` and `bundle_size`.
    pub fn build(
        info: &SkillInfo,
        tree: &FileTree,
        bundle_sha256: [u8; 32],
        bundle_size: u64,
    ) -> Manifest {
        let records = tree.records();
        let digest = tree_digest(&records);
        let statement = Statement {
            statement_type: STATEMENT_TYPE.into(),
            subject: vec![Subject {
                name: info.id.to_string(),
                digest: BTreeMap::from([("sha256".to_owned(), hex::encode(digest))]),
            }],
            predicate_type: PREDICATE_TYPE.into(),
            predicate: Predicate {
                skill: SkillSection {
                    namespace: info.id.namespace.clone(),
                    name: info.id.name.clone(),
                    version: info.id.version.to_string(),
                    description: info.description.clone(),
                },
                files: records
                    .iter()
                    .map(|r| ManifestFile {
                        path: r.path.to_string(),
                        size: r.size,
                        sha256: hex::encode(r.sha256),
                        executable: r.executable,
                    })
                    .collect(),
                permissions: info.permissions.clone(),
                openclaw: info.openclaw.clone(),
                bundle: BundleChecksum {
                    sha256: hex::encode(bundle_sha256),
                    size: bundle_size,
                },
                tool: Tool {
                    name: "skillsig".into(),
                    version: crate::VERSION.into(),
                },
            },
        };
        Manifest {
            statement,
            id: info.id.clone(),
            records,
            tree_digest: digest,
        }
    }

    /// Recomputes the manifest a bundle describes, from its own files.
    pub fn for_bundle(
        bundle: &Bundle,
        limits: &Limits,
    ) -> Result<(Manifest, SkillInfo), crate::skill::SkillError> {
        let info = SkillInfo::from_tree(&bundle.tree, limits)?;
        Ok((
            Manifest::build(&info, &bundle.tree, bundle.sha256, bundle.size),
            info,
        ))
    }

    /// Reads a bundle's bytes with every archive-safety check and recomputes the manifest it
    /// describes: what `skillsig inspect` shows. No signature is checked.
    pub fn inspect_bundle(
        bytes: &[u8],
        limits: &Limits,
    ) -> Result<(Bundle, Manifest, SkillInfo), InspectError> {
        let bundle = crate::bundle::read_bytes(bytes, limits)?;
        let (manifest, info) = Manifest::for_bundle(&bundle, limits)?;
        Ok((bundle, manifest, info))
    }

    /// Parses and checks a manifest: structure, types, sorted unique valid paths, digests in
    /// hex, permissions in normalized form, and a subject digest equal to the tree digest of
    /// the listed files.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge);
        }
        let statement: Statement =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
        if statement.statement_type != STATEMENT_TYPE {
            return Err(ManifestError::StatementType(statement.statement_type));
        }
        if statement.predicate_type != PREDICATE_TYPE {
            return Err(ManifestError::PredicateType(statement.predicate_type));
        }
        let [subject] = statement.subject.as_slice() else {
            return Err(ManifestError::SubjectCount);
        };
        let skill = &statement.predicate.skill;
        let version = semver::Version::parse(&skill.version)
            .map_err(|_| ManifestError::Version(skill.version.clone()))?;
        let id = SkillId {
            namespace: skill.namespace.clone(),
            name: skill.name.clone(),
            version,
        };
        if subject.name != id.to_string() {
            return Err(ManifestError::SubjectName {
                found: subject.name.clone(),
                expected: id.to_string(),
            });
        }
        let claimed = match (subject.digest.len(), subject.digest.get("sha256")) {
            (1, Some(hex)) => parse_digest(hex).ok_or(ManifestError::SubjectDigest)?,
            _ => return Err(ManifestError::SubjectDigest),
        };
        let records = file_records(&statement.predicate.files)?;
        if tree_digest(&records) != claimed {
            return Err(ManifestError::TreeDigestMismatch);
        }
        statement.predicate.permissions.validate()?;
        parse_digest(&statement.predicate.bundle.sha256).ok_or(ManifestError::BundleDigest)?;
        Ok(Manifest {
            statement,
            id,
            records,
            tree_digest: claimed,
        })
    }

    /// The canonical (RFC 8785) JSON bytes of the statement.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(&self.statement).expect("a statement always serializes")
    }

    /// The statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// `namespace/name@version`.
    pub fn id(&self) -> &SkillId {
        &self.id
    }

    /// The file records, sorted by path.
    pub fn records(&self) -> &[FileRecord] {
        &self.records
    }

    /// The tree digest (the subject's sha256).
    pub fn tree_digest(&self) -> [u8; 32] {
        self.tree_digest
    }

    /// The declared permissions.
    pub fn permissions(&self) -> &Permissions {
        &self.statement.predicate.permissions
    }

    /// Checks that `bundle` is exactly what this manifest describes: the same files with the
    /// same contents and exec bits (so the same tree digest), and the same identity and
    /// permissions when read from the bundle's own `SKILL.md` and `skillsig.toml`.
    pub fn check_bundle(
        &self,
        bundle: &Bundle,
        limits: &Limits,
    ) -> Result<SkillInfo, ContentMismatch> {
        self.check_tree(&bundle.tree, limits)
    }

    /// [`Manifest::check_bundle`] for files already in memory (a Skill just packed): whether
    /// a signature over this manifest would verify for them.
    pub fn check_tree(
        &self,
        tree: &FileTree,
        limits: &Limits,
    ) -> Result<SkillInfo, ContentMismatch> {
        let mismatches = self.compare_tree(tree);
        if !mismatches.is_empty() {
            return Err(ContentMismatch::Files(mismatches));
        }
        let info = SkillInfo::from_tree(tree, limits)?;
        if &info.id != self.id() {
            return Err(ContentMismatch::Identity {
                bundle: info.id.to_string(),
                manifest: self.id().to_string(),
            });
        }
        if &info.permissions != self.permissions() {
            return Err(ContentMismatch::Permissions);
        }
        // Everything else the manifest derives from the files must agree too; only the
        // transport checksum (`bundle`) and `tool` may differ.
        let predicate = &self.statement.predicate;
        if predicate.skill.description != info.description {
            return Err(ContentMismatch::Field("description"));
        }
        if predicate.openclaw != info.openclaw {
            return Err(ContentMismatch::Field("openclaw block"));
        }
        Ok(info)
    }

    /// Every difference between the manifest's file list and `tree`: an extra, missing or
    /// changed file, or a flipped exec bit. Empty means the tree digest matches too.
    pub fn compare_tree(&self, tree: &FileTree) -> Vec<FileMismatch> {
        let actual = tree.records();
        let mut mismatches = Vec::new();
        let (mut expected, mut found) = (self.records.iter().peekable(), actual.iter().peekable());
        loop {
            match (expected.peek(), found.peek()) {
                (None, None) => break,
                (Some(e), None) => {
                    mismatches.push(FileMismatch::Missing(e.path.to_string()));
                    expected.next();
                }
                (None, Some(f)) => {
                    mismatches.push(FileMismatch::Extra(f.path.to_string()));
                    found.next();
                }
                (Some(e), Some(f)) if e.path < f.path => {
                    mismatches.push(FileMismatch::Missing(e.path.to_string()));
                    expected.next();
                }
                (Some(e), Some(f)) if e.path > f.path => {
                    mismatches.push(FileMismatch::Extra(f.path.to_string()));
                    found.next();
                }
                (Some(e), Some(f)) => {
                    if e.sha256 != f.sha256 || e.size != f.size {
                        mismatches.push(FileMismatch::Changed(e.path.to_string()));
                    } else if e.executable != f.executable {
                        mismatches.push(FileMismatch::ExecBit(e.path.to_string()));
                    }
                    expected.next();
                    found.next();
                }
            }
        }
        mismatches
    }
}

fn parse_digest(hex_text: &str) -> Option<[u8; 32]> {
    if hex_text.len() != 64 || hex_text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).ok()?;
    Some(out)
}

fn file_records(files: &[ManifestFile]) -> Result<Vec<FileRecord>, ManifestError> {
    let limits = Limits::DEFAULT;
    let mut records: Vec<FileRecord> = Vec::with_capacity(files.len());
    for file in files {
        let path = SkillPath::parse(&file.path, &limits).map_err(|err| ManifestError::File {
            path: file.path.clone(),
            reason: err.to_string(),
        })?;
        let sha256 = parse_digest(&file.sha256).ok_or_else(|| ManifestError::File {
            path: file.path.clone(),
            reason: "sha256 is not 64 lowercase hex digits".into(),
        })?;
        if records.last().is_some_and(|prev| prev.path >= path) {
            return Err(ManifestError::Order(file.path.clone()));
        }
        records.push(FileRecord {
            path,
            size: file.size,
            sha256,
            executable: file.executable,
        });
    }
    Ok(records)
}

/// Why a bundle cannot be inspected: it is not a safe archive, or its files are not a Skill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The archive breaks a reading rule.
    #[error(transparent)]
    Read(#[from] crate::bundle::ReadError),
    /// The files are not a Skill: `SKILL.md` or `skillsig.toml` cannot be read.
    #[error(transparent)]
    Skill(#[from] crate::skill::SkillError),
}

impl InspectError {
    /// `bundle-invalid`, as `skillsig inspect` prints it; [`InspectError::detail_code`] names
    /// the broken rule.
    pub fn code(&self) -> &'static str {
        "bundle-invalid"
    }

    /// The inner error's code (`bundle-pax`, `skill-md-missing`, ...).
    pub fn detail_code(&self) -> &'static str {
        match self {
            InspectError::Read(e) => e.code(),
            InspectError::Skill(e) => e.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn example() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../registry-schema/examples/manifest/valid/weather-report.json"
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn parse(value: &Value) -> Result<Manifest, ManifestError> {
        Manifest::from_json(&serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn checks_what_a_schema_cannot() {
        assert!(parse(&example()).is_ok());

        let mut changed = example();
        changed["predicate"]["files"][0]["size"] = 1.into();
        assert_eq!(parse(&changed), Err(ManifestError::TreeDigestMismatch));

        let mut renamed = example();
        renamed["subject"][0]["name"] = "example/other@1.0.0".into();
        assert!(matches!(
            parse(&renamed),
            Err(ManifestError::SubjectName { .. })
        ));

        let mut unsorted = example();
        let files = unsorted["predicate"]["files"].as_array_mut().unwrap();
        files.swap(0, 1);
        assert!(matches!(parse(&unsorted), Err(ManifestError::Order(_))));

        let mut not_normalized = example();
        not_normalized["predicate"]["permissions"]["network"] =
            serde_json::json!(["API.open-meteo.com"]);
        assert!(matches!(
            parse(&not_normalized),
            Err(ManifestError::Permission(_))
        ));

        assert!(matches!(
            Manifest::from_json(b"[]"),
            Err(ManifestError::Json(_))
        ));
        let huge = vec![b' '; MAX_MANIFEST_BYTES as usize + 1];
        assert_eq!(Manifest::from_json(&huge), Err(ManifestError::TooLarge));
    }
}
