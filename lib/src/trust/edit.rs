//! Edits and rotation: each change to a trust root file starts a new version
//! ([`TrustRootFile::begin_edit`]) that root keys then sign ([`TrustRootFile::sign`]); every
//! edit keeps the rules [`TrustRoot::load`](super::TrustRoot::load) checks.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;

use super::format::{
    Identity, PinnedCa, Publisher, PublisherKey, Revocation, RootKey, RootRole, RootSignature,
    TrustRootFile,
};
use super::load::{check_identity, check_namespace_pattern, check_publisher_id};
use super::{EditProblem, TrustError};
use crate::signing::keys::{KeyId, PublicKey, SecretKey};

impl TrustRootFile {
    /// Starts a new version: raises `version` and drops signatures, which no longer apply.
    /// Returns whether signatures were dropped.
    pub fn begin_edit(&mut self) -> bool {
        self.signed.version += 1;
        let had = !self.signatures.is_empty();
        self.signatures.clear();
        had
    }

    /// Adds a publisher.
    pub fn add_publisher(&mut self, id: &str, namespaces: &[String]) -> Result<(), TrustError> {
        if self.signed.publishers.iter().any(|p| p.id == id) {
            return Err(TrustError::Edit(EditProblem::PublisherExists {
                id: id.into(),
            }));
        }
        check_publisher_id(id)?;
        if namespaces.is_empty() {
            return Err(TrustError::Edit(EditProblem::NoNamespaces));
        }
        for ns in namespaces {
            check_namespace_pattern(ns)?;
        }
        self.signed.publishers.push(Publisher {
            id: id.into(),
            namespaces: namespaces.to_vec(),
            keys: Vec::new(),
            identities: Vec::new(),
            cas: Vec::new(),
            accept_undeclared: false,
        });
        Ok(())
    }

    /// Whether `publisher`'s Skills are accepted without a permission declaration.
    pub fn set_accept_undeclared(
        &mut self,
        publisher: &str,
        accept: bool,
    ) -> Result<(), TrustError> {
        self.publisher_mut(publisher)?.accept_undeclared = accept;
        Ok(())
    }

    fn publisher_mut(&mut self, id: &str) -> Result<&mut Publisher, TrustError> {
        self.signed
            .publishers
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| TrustError::NoPublisher(id.into()))
    }

    /// Pins a CA root certificate for a publisher.
    pub fn add_ca(&mut self, publisher: &str, ca: PinnedCa) -> Result<(), TrustError> {
        crate::signing::certificate::pem_certificate(&ca.certificate)
            .map_err(|why| TrustError::Edit(EditProblem::NotACertificate { why }))?;
        let entry = self.publisher_mut(publisher)?;
        if entry.cas.iter().any(|c| c.certificate == ca.certificate) {
            return Err(TrustError::Edit(EditProblem::CaPinned {
                publisher: publisher.into(),
            }));
        }
        entry.cas.push(ca);
        Ok(())
    }

    /// Adds a keyless (Sigstore certificate) identity to a publisher.
    pub fn add_identity(&mut self, publisher: &str, identity: Identity) -> Result<(), TrustError> {
        check_identity(publisher, &identity)?;
        let entry = self.publisher_mut(publisher)?;
        if entry.identities.contains(&identity) {
            return Err(TrustError::Edit(EditProblem::IdentityListed {
                publisher: publisher.into(),
            }));
        }
        entry.identities.push(identity);
        Ok(())
    }

    /// Adds a key to a publisher.
    pub fn add_key(
        &mut self,
        publisher: &str,
        key: &PublicKey,
        not_before: Option<Timestamp>,
        not_after: Option<Timestamp>,
    ) -> Result<(), TrustError> {
        if self
            .signed
            .publishers
            .iter()
            .flat_map(|p| &p.keys)
            .any(|k| &k.keyid == key.id())
        {
            return Err(TrustError::Edit(EditProblem::KeyListed {
                keyid: key.id().clone(),
            }));
        }
        let entry = self.publisher_mut(publisher)?;
        entry.keys.push(PublisherKey {
            keyid: key.id().clone(),
            public_key: key.to_pem(),
            not_before,
            not_after,
        });
        Ok(())
    }

    /// Revokes a key.
    pub fn revoke(
        &mut self,
        keyid: &KeyId,
        reason: &str,
        time: Timestamp,
    ) -> Result<(), TrustError> {
        if self.signed.revoked.iter().any(|r| &r.keyid == keyid) {
            return Err(TrustError::Edit(EditProblem::AlreadyRevoked {
                keyid: keyid.clone(),
            }));
        }
        if reason.trim().is_empty() {
            return Err(TrustError::Edit(EditProblem::NoReason));
        }
        self.signed.revoked.push(Revocation {
            keyid: keyid.clone(),
            reason: reason.into(),
            time,
        });
        Ok(())
    }

    /// Adds a root key and sets the threshold.
    pub fn add_root_key(
        &mut self,
        key: &PublicKey,
        threshold: Option<u32>,
    ) -> Result<(), TrustError> {
        add_role_key(&mut self.signed.root, "root", key, threshold)
    }

    /// Adds a key that signs registry metadata and sets the threshold.
    pub fn add_registry_key(
        &mut self,
        key: &PublicKey,
        threshold: Option<u32>,
    ) -> Result<(), TrustError> {
        add_role_key(&mut self.signed.registry, "registry", key, threshold)
    }

    /// Adds a signature by `key` over `signed` (replacing an earlier one by the same key).
    pub fn sign(&mut self, key: &SecretKey) {
        let sig = STANDARD.encode(key.sign(&self.signed_bytes()));
        self.signatures.retain(|s| &s.keyid != key.public().id());
        self.signatures.push(RootSignature {
            keyid: key.public().id().clone(),
            sig,
        });
        self.signatures.sort_by(|a, b| a.keyid.cmp(&b.keyid));
    }
}

/// Adds `key` to a role (created with threshold 1 when absent) and sets the threshold.
fn add_role_key(
    role: &mut Option<RootRole>,
    what: &'static str,
    key: &PublicKey,
    threshold: Option<u32>,
) -> Result<(), TrustError> {
    let role = role.get_or_insert(RootRole {
        keys: Vec::new(),
        threshold: 1,
    });
    if role.keys.iter().any(|k| &k.keyid == key.id()) {
        return Err(TrustError::Edit(EditProblem::RoleKeyListed {
            role: what,
            keyid: key.id().clone(),
        }));
    }
    role.keys.push(RootKey {
        keyid: key.id().clone(),
        public_key: key.to_pem(),
    });
    if let Some(threshold) = threshold {
        role.threshold = threshold;
    }
    if role.threshold == 0 || role.threshold as usize > role.keys.len() {
        return Err(TrustError::Edit(EditProblem::Threshold {
            role: what,
            threshold: role.threshold,
            keys: role.keys.len(),
        }));
    }
    Ok(())
}
