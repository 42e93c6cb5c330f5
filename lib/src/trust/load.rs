//! Loading and checking a trust root: structure, key ids against keys, root-key signatures,
//! expiry, and the rules an update must follow against versions accepted before (rollback,
//! conflict, rotation signed by the previous root keys).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::format::{
    Identity, Publisher, PublisherKey, Revocation, RootRole, RootSignature, TrustRootBody,
    TrustRootFile,
};
use super::{IdentityProblem, Problem, TRUST_ROOT_TYPE, TrustError};
use crate::signing::keys::{KeyId, PublicKey};
use crate::sigstore::identity::CertificateIdentity;
use crate::skill::frontmatter::is_spec_name;

impl CertificateIdentity {
    /// The identity a trust-root entry describes.
    pub fn from_trust_root(identity: &Identity) -> Result<Self, regex::Error> {
        match (&identity.subject, &identity.subject_regex) {
            (Some(subject), _) => Ok(Self::exact(&identity.issuer, subject)),
            (None, Some(pattern)) => Self::regex(&identity.issuer, pattern),
            // The trust root's own checks refuse this; match nothing rather than everything.
            (None, None) => Self::regex(&identity.issuer, "[^\\s\\S]"),
        }
    }
}

/// A trust root that passed every check of [`TrustRoot::load`].
#[derive(Debug, Clone)]
pub struct TrustRoot {
    file: TrustRootFile,
    /// Parsed publisher keys by key id: (publisher index, key index, key).
    keys: BTreeMap<KeyId, (usize, usize, PublicKey)>,
}

impl TrustRootFile {
    /// Checks the structure (ids, namespaces, keys, thresholds) without signatures or expiry:
    /// what an editor must keep true.
    pub fn check(&self) -> Result<(), TrustError> {
        if self.signed.root_type != TRUST_ROOT_TYPE {
            return Err(TrustError::Type(self.signed.root_type.clone()));
        }
        check_structure(&self.signed).map(|_| ())
    }

    /// Number of distinct keys of `role` with a valid signature over `signed`.
    fn valid_signatures(&self, role: &RootRole) -> Result<usize, TrustError> {
        let message = self.signed_bytes();
        let mut valid = BTreeSet::new();
        for key in &role.keys {
            let public = checked_key(&key.keyid, &key.public_key, "root key")?;
            if RootSignature::any_by(&self.signatures, &key.keyid, &public, &message) {
                valid.insert(key.keyid.clone());
            }
        }
        Ok(valid.len())
    }
}

fn checked_key(keyid: &KeyId, pem: &str, what: &str) -> Result<PublicKey, TrustError> {
    let public = PublicKey::from_pem(pem)?;
    if public.id() != keyid {
        return Err(TrustError::Invalid(Problem::KeyIdMismatch {
            role: what.into(),
            keyid: keyid.clone(),
            actual: public.id().clone(),
        }));
    }
    Ok(public)
}

pub(super) fn check_publisher_id(id: &str) -> Result<(), TrustError> {
    if is_spec_name(id) {
        Ok(())
    } else {
        Err(TrustError::Invalid(Problem::PublisherId { id: id.into() }))
    }
}

/// `acme` or `acme-*`: a namespace, or a prefix of one followed by `*`.
pub(super) fn check_namespace_pattern(pattern: &str) -> Result<(), TrustError> {
    let ok = match pattern.strip_suffix('*') {
        Some(prefix) => {
            !prefix.is_empty()
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
        None => is_spec_name(pattern),
    };
    if ok {
        Ok(())
    } else {
        Err(TrustError::Invalid(Problem::NamespacePattern {
            pattern: pattern.into(),
        }))
    }
}

/// Whether `namespace` matches `pattern` (see [`Publisher::namespaces`]).
///
/// ```
/// use skillsig::trust::namespace_matches;
///
/// assert!(namespace_matches("acme", "acme"));
/// assert!(namespace_matches("acme-*", "acme-labs"));
/// assert!(!namespace_matches("acme-*", "acme-")); // a prefix needs something after it
/// assert!(!namespace_matches("acme", "acme-labs"));
/// ```
pub fn namespace_matches(pattern: &str, namespace: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => namespace.starts_with(prefix) && namespace.len() > prefix.len(),
        None => pattern == namespace,
    }
}

impl TrustRoot {
    /// Checks a trust root file at time `now`, against a version this machine accepted before
    /// (`previous`; [`state::TrustState::load_root`](super::state::TrustState::load_root) finds
    /// them).
    pub fn load(
        bytes: &[u8],
        now: Timestamp,
        previous: Option<&TrustRootFile>,
    ) -> Result<TrustRoot, TrustError> {
        TrustRoot::load_against(bytes, now, previous.as_slice())
    }

    /// [`TrustRoot::load`] against every version this machine accepted before that this root
    /// must follow: the new root must be a valid update of each.
    pub fn load_against(
        bytes: &[u8],
        now: Timestamp,
        previous: &[&TrustRootFile],
    ) -> Result<TrustRoot, TrustError> {
        let file = TrustRootFile::from_json(bytes)?;
        let body = &file.signed;
        if body.root_type != TRUST_ROOT_TYPE {
            return Err(TrustError::Type(body.root_type.clone()));
        }
        if !is_spec_name(&body.name) {
            return Err(TrustError::Invalid(Problem::Name {
                name: body.name.clone(),
            }));
        }
        let keys = check_structure(body)?;
        match &body.root {
            Some(role) => {
                let valid = file.valid_signatures(role)?;
                if valid < role.threshold as usize {
                    return Err(TrustError::Threshold {
                        valid,
                        threshold: role.threshold,
                    });
                }
            }
            None if !file.signatures.is_empty() => {
                return Err(TrustError::Invalid(Problem::SignaturesWithoutRootKeys));
            }
            None => {}
        }
        for previous in previous {
            check_update(previous, &file)?;
        }
        if body.expires <= now {
            return Err(TrustError::Expired {
                expires: body.expires,
            });
        }
        Ok(TrustRoot { file, keys })
    }

    /// The checked file.
    pub fn file(&self) -> &TrustRootFile {
        &self.file
    }

    /// The version.
    pub fn version(&self) -> u64 {
        self.file.signed.version
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.file.signed.name
    }

    /// The publisher that holds `keyid`, that key's entry, and the key.
    pub fn find_key(&self, keyid: &KeyId) -> Option<(&Publisher, &PublisherKey, &PublicKey)> {
        let (p, k, key) = self.keys.get(keyid)?;
        let publisher = &self.file.signed.publishers[*p];
        Some((publisher, &publisher.keys[*k], key))
    }

    /// The revocation of `keyid`, if it is revoked.
    pub fn revocation(&self, keyid: &KeyId) -> Option<&Revocation> {
        self.file.signed.revoked.iter().find(|r| &r.keyid == keyid)
    }

    /// The keys that sign registry metadata, if the trust root names any.
    pub fn registry_role(&self) -> Option<&RootRole> {
        self.file.signed.registry.as_ref()
    }

    /// Every publisher.
    pub fn publishers(&self) -> &[Publisher] {
        &self.file.signed.publishers
    }

    /// Every publisher key, with its publisher.
    pub fn all_keys(&self) -> Vec<(&Publisher, &PublicKey)> {
        self.keys
            .values()
            .map(|(p, _, key)| (&self.file.signed.publishers[*p], key))
            .collect()
    }

    /// The keys a signature's key hint names: by key id, or by the hint OpenSSF
    /// model-signing writes (SHA-256 of the key's PEM).
    pub fn keys_matching_hint(&self, hint: &str) -> Vec<(&Publisher, &PublicKey)> {
        self.all_keys()
            .into_iter()
            .filter(|(_, key)| {
                key.id().as_str() == hint || crate::signing::keys::model_signing_hint(key) == hint
            })
            .collect()
    }

    /// The publishers that list the certificate identity `subject` from `issuer`.
    pub fn publishers_for_identity(&self, issuer: &str, subject: &str) -> Vec<&Publisher> {
        self.file
            .signed
            .publishers
            .iter()
            .filter(|p| {
                p.identities.iter().any(|i| {
                    CertificateIdentity::from_trust_root(i)
                        .is_ok_and(|c| c.matches(issuer, subject))
                })
            })
            .collect()
    }

    /// Whether `publisher` may sign Skills in `namespace`.
    pub fn may_sign(publisher: &Publisher, namespace: &str) -> bool {
        publisher
            .namespaces
            .iter()
            .any(|p| namespace_matches(p, namespace))
    }
}

/// Checks ids, namespace patterns, key ids against keys, validity windows, identities and the
/// root role; returns the publisher keys by id.
fn check_structure(
    body: &TrustRootBody,
) -> Result<BTreeMap<KeyId, (usize, usize, PublicKey)>, TrustError> {
    let mut ids = BTreeSet::new();
    let mut keys = BTreeMap::new();
    for (p, publisher) in body.publishers.iter().enumerate() {
        check_publisher_id(&publisher.id)?;
        if !ids.insert(&publisher.id) {
            return Err(TrustError::Invalid(Problem::DuplicatePublisher {
                publisher: publisher.id.clone(),
            }));
        }
        if publisher.namespaces.is_empty() {
            return Err(TrustError::Invalid(Problem::NoNamespace {
                publisher: publisher.id.clone(),
            }));
        }
        for ns in &publisher.namespaces {
            check_namespace_pattern(ns)?;
        }
        for (k, key) in publisher.keys.iter().enumerate() {
            let public = checked_key(&key.keyid, &key.public_key, "key")?;
            if let (Some(from), Some(to)) = (key.not_before, key.not_after)
                && from >= to
            {
                return Err(TrustError::Invalid(Problem::KeyWindow {
                    keyid: key.keyid.clone(),
                }));
            }
            if keys.insert(key.keyid.clone(), (p, k, public)).is_some() {
                return Err(TrustError::Invalid(Problem::KeyInTwoPublishers {
                    keyid: key.keyid.clone(),
                }));
            }
        }
        for identity in &publisher.identities {
            check_identity(&publisher.id, identity)?;
        }
        for ca in &publisher.cas {
            crate::signing::certificate::pem_certificate(&ca.certificate).map_err(|why| {
                TrustError::Invalid(Problem::PinnedCa {
                    publisher: publisher.id.clone(),
                    why,
                })
            })?;
            if let Some(pattern) = &ca.subject_regex {
                CertificateIdentity::regex("", pattern).map_err(|e| {
                    TrustError::Invalid(Problem::CaSubjectRegex {
                        publisher: publisher.id.clone(),
                        why: e.to_string(),
                    })
                })?;
            }
        }
    }
    for (what, role) in [("root", &body.root), ("registry", &body.registry)] {
        let Some(role) = role else { continue };
        if role.threshold == 0 || role.threshold as usize > role.keys.len() {
            return Err(TrustError::Invalid(Problem::RoleThreshold {
                role: what,
                threshold: role.threshold,
                keys: role.keys.len(),
            }));
        }
        let mut seen = BTreeSet::new();
        for key in &role.keys {
            checked_key(&key.keyid, &key.public_key, &format!("{what} key"))?;
            if !seen.insert(&key.keyid) {
                return Err(TrustError::Invalid(Problem::DuplicateRoleKey {
                    role: what,
                    keyid: key.keyid.clone(),
                }));
            }
        }
    }
    Ok(keys)
}

pub(super) fn check_identity(publisher: &str, identity: &Identity) -> Result<(), TrustError> {
    let bad = |problem: IdentityProblem| {
        Err(TrustError::Invalid(Problem::Identity {
            publisher: publisher.into(),
            problem,
        }))
    };
    if identity.issuer.is_empty() {
        return bad(IdentityProblem::NoIssuer);
    }
    match (&identity.subject, &identity.subject_regex) {
        (Some(_), None) => Ok(()),
        (None, Some(regex)) if regex.starts_with('^') && regex.ends_with('$') => {
            match CertificateIdentity::from_trust_root(identity) {
                Ok(_) => Ok(()),
                Err(e) => bad(IdentityProblem::SubjectRegex(e.to_string())),
            }
        }
        (None, Some(_)) => bad(IdentityProblem::NotAnchored),
        _ => bad(IdentityProblem::NotExactlyOne),
    }
}

/// The TUF root-rotation rules, against a version this machine accepted. The names need not
/// match: a root found at the same place or by the same root keys is the same trust root, and
/// a new name is one more change that only a signed rotation may make.
fn check_update(previous: &TrustRootFile, new: &TrustRootFile) -> Result<(), TrustError> {
    let name = new.signed.name.clone();
    let (found, highest) = (new.signed.version, previous.signed.version);
    if found < highest {
        return Err(TrustError::Rollback {
            name,
            found,
            highest,
        });
    }
    if found == highest {
        return if new.signed_bytes() == previous.signed_bytes() {
            Ok(())
        } else {
            Err(TrustError::Conflict {
                name,
                version: found,
            })
        };
    }
    match &previous.signed.root {
        Some(role) => {
            let valid = new.valid_signatures(role)?;
            if valid < role.threshold as usize {
                return Err(TrustError::NotSignedByPrevious {
                    name,
                    found,
                    previous: highest,
                    threshold: role.threshold,
                });
            }
        }
        None if name != previous.signed.name => {
            return Err(TrustError::Renamed {
                name,
                previous: previous.signed.name.clone(),
            });
        }
        None => {}
    }
    Ok(())
}
