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
//! | [`decision`] | the security decision, written once: verify → scan → policy for every gate |
//! | [`oms`] | OpenSSF model-signing: verify `skill.oms.sig` on Skill folders, and write it |
//! | [`openclaw`] | OpenClaw's install-policy protocol, Skill roots and load gate, permissions into its controls |
//! | [`install`] | fetch → verify → scan → policy → atomic write with a receipt; audit of installed Skills |
//! | [`pack`] | folder → bundle + manifest, written atomically |
//! | [`policy`] | install policy: signatures, publishers, blocking findings, permissions a Skill may declare |
//! | [`registry`] | a registry as static files: signed snapshot and timestamp, publish, resolve |
//! | [`scan`] | the static scanner: rules, analysers per language, capabilities vs declaration |
//! | [`signing`] | ed25519 keys, DSSE envelopes in Sigstore bundles, signing a bundle |
//! | [`sigstore`] | Sigstore bundles with certificates or managed keys, verified offline |
//! | [`trust`] | the trust root: publishers, namespaces, keys, revocation, rollback state |
//! | [`verify`] | bundle + signature + trust root → [`verify::VerifiedSkill`] |
//!
//! # Example: pack, sign, and verify the way a registry does
//!
//! Everything here happens in memory; [`pack::pack_dir`] and [`pack::write`] do the same with
//! folders and files.
//!
//! ```
//! use skillsig::Limits;
//! use skillsig::bundle::SourceOptions;
//! use skillsig::policy::Policy;
//! use skillsig::signing::keys::SecretKey;
//! use skillsig::tree::{SkillPath, TreeBuilder};
//! use skillsig::trust::{TrustRoot, TrustRootFile};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A Skill: its SKILL.md, its declarations, one script.
//! let limits = Limits::DEFAULT;
//! let mut files = TreeBuilder::new(limits);
//! for (path, text, executable) in [
//!     ("SKILL.md", "---\nname: hello\ndescription: Says hello.\n---\nRun `scripts/hello.sh`.\n", false),
//!     ("skillsig.toml", "[skill]\nnamespace = \"example\"\nversion = \"1.0.0\"\n", false),
//!     ("scripts/hello.sh", "#!/bin/sh\necho hello\n", true),
//! ] {
//!     files.add(SkillPath::parse(path, &limits)?, text.as_bytes().to_vec(), executable)?;
//! }
//! let packed = skillsig::pack::pack_tree(files.finish(), &SourceOptions::default())?;
//! assert_eq!(packed.bundle_file_name(), "example-hello-1.0.0.skill");
//!
//! // The publisher signs the manifest; the signature file is a Sigstore bundle.
//! let key = SecretKey::generate()?;
//! let manifest = packed.manifest.to_canonical_json();
//! let signature = skillsig::signing::sign_bundle(&packed.bundle, &manifest, &key, &limits)?;
//!
//! // The trust root says that this key may sign the `example` namespace.
//! let now = jiff::Timestamp::now();
//! let mut root = TrustRootFile::new("demo", now + jiff::SignedDuration::from_hours(24));
//! root.add_publisher("example-inc", &["example".into()])?;
//! root.add_key("example-inc", key.public(), None, None)?;
//! let root = TrustRoot::load(root.to_json().as_bytes(), now, None)?;
//!
//! // A registry checks the upload: signature, namespace, files, then the scan under its policy.
//! let accepted = skillsig::registry::check_upload(
//!     &packed.bundle,
//!     signature.as_bytes(),
//!     &root,
//!     &Policy::default(),
//!     now,
//! )?;
//! assert_eq!(accepted.skill().publisher(), "example-inc");
//! assert_eq!(accepted.report().verdict, skillsig::scan::Verdict::Pass);
//!
//! // Any changed byte is refused, with a stable code.
//! let mut tampered = packed.bundle.clone();
//! let last = tampered.len() - 1;
//! tampered[last] ^= 1;
//! let refused = skillsig::registry::check_upload(
//!     &tampered,
//!     signature.as_bytes(),
//!     &root,
//!     &Policy::default(),
//!     now,
//! )
//! .unwrap_err();
//! println!("{}: {refused}", refused.code());
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod bundle;
pub mod decision;
pub mod diagnostic;
pub mod fsutil;
pub mod install;
pub mod limits;
pub mod manifest;
pub mod oms;
pub mod openclaw;
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
