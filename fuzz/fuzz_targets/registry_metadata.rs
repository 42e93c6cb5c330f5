//! Registry metadata as a client reads it: signed timestamp and snapshot (checked against a
//! registry role with one key), bins and index files.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use skillsig::registry::{Bin, SignedMetadata, Snapshot, TimestampBody, parse_index};
use skillsig::signing::keys::SecretKey;
use skillsig::trust::{RootKey, RootRole};

fn role() -> &'static RootRole {
    static ROLE: OnceLock<RootRole> = OnceLock::new();
    ROLE.get_or_init(|| {
        let key = SecretKey::generate().expect("a key");
        RootRole {
            keys: vec![RootKey {
                keyid: key.public().id().clone(),
                public_key: key.public().to_pem(),
            }],
            threshold: 1,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = SignedMetadata::<TimestampBody>::verify(data, role(), "timestamp.json") {
        let _ = body.validate();
    }
    if let Ok(snapshot) = SignedMetadata::<Snapshot>::verify(data, role(), "snapshot") {
        let _ = snapshot.validate();
    }
    if let Ok(bin) = serde_json::from_slice::<Bin>(data) {
        let _ = bin.validate();
    }
    let _ = parse_index(data, "index/fuzz.jsonl");
});
