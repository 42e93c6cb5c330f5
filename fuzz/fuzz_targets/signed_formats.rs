//! Everything read from a signature or manifest file: the manifest statement, the Sigstore
//! bundle around a DSSE envelope, the OMS signature, and the signature check against a trust
//! root that holds one key.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = skillsig::manifest::Manifest::from_json(data);
    let _ = skillsig::signing::envelope::parse(data, skillsig::manifest::PAYLOAD_TYPE);
    let _ = skillsig::oms::parse(data);
});
