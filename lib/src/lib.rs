//! skillsig: reproducible, signed and scanned AI-agent Skills.
//!
//! A Skill is a folder with a `SKILL.md` and the scripts an agent runs with its user's
//! privileges. This library turns one into a reproducible `.skill` bundle with a manifest of
//! every file and of the permissions the Skill asks for, and reads bundles back without ever
//! trusting them.
//!
//! | module | what it is for |
//! |---|---|
//! | [`tree`] | a Skill's files in memory, the path rules, and the tree digest |
//! | [`skill`] | the Skill format: `SKILL.md` frontmatter, OpenClaw metadata, `skillsig.toml` |
//! | [`permissions`] | the permission vocabulary a Skill declares |
//! | [`bundle`] | reading a folder, writing and strictly reading `.skill` archives |
//! | [`manifest`] | the in-toto statement that binds identity, files and permissions |
//! | [`oms`] | OpenSSF model-signing: verify `skill.oms.sig` on Skill folders, and write it |
//! | [`install`] | fetch → verify → scan → policy → atomic write with a receipt; audit of installed Skills |
//! | [`pack`] | folder → bundle + manifest, written atomically |
//! | [`policy`] | install policy: signatures, publishers, blocking findings, permissions a Skill may declare |
//! | [`registry`] | a registry as static files: signed snapshot and timestamp, publish, resolve |
//! | [`scan`] | the static scanner: rules, analysers per language, capabilities vs declaration |
//! | [`signing`] | ed25519 keys, DSSE envelopes in Sigstore bundles, signing a bundle |
//! | [`sigstore`] | Sigstore bundles with certificates or managed keys, verified offline |
//! | [`trust`] | the trust root: publishers, namespaces, keys, revocation, rollback state |
//! | [`verify`] | bundle + signature + trust root → [`verify::VerifiedSkill`] |

pub mod bundle;
pub mod diagnostic;
pub mod fsutil;
pub mod install;
pub mod limits;
pub mod manifest;
pub mod oms;
pub mod pack;
pub mod permissions;
pub mod policy;
pub mod registry;
pub mod scan;
pub mod signing;
pub mod sigstore;
pub mod skill;
pub mod tree;
pub mod trust;
pub mod verify;

pub use limits::Limits;

/// The version of this library, recorded in every manifest it writes.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
