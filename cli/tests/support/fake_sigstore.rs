//! Fake Sigstore services on 127.0.0.1 for the keyless tests: an OIDC token issuer (and the
//! GitHub Actions token endpoint), Fulcio (certificates with an embedded SCT from a test CT
//! log), and Rekor v1 (entries with a signed entry timestamp and an inclusion proof against a
//! signed checkpoint). Every key is made fresh per instance; `trusted_root_json` and
//! `signing_config_json` describe exactly this instance, so a bundle it helped make verifies
//! against it and against nothing else.
//!
//! It is a test double, not a log: each entry is the only leaf of its own tree.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sigstore_sign::crypto::KeyPair;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::der::asn1::{BitString, Ia5String, ObjectIdentifier, OctetString, UtcTime};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const FULCIO_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const FULCIO_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const CT_PRECERT_SCTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// The bearer token the fake GitHub Actions token endpoint accepts.
pub const ACTIONS_BEARER: &str = "actions-request-token";

pub struct FakeSigstore {
    pub base: String,
    ca: KeyPair,
    ca_name: Name,
    ca_der: Vec<u8>,
    ct: KeyPair,
    rekor: KeyPair,
    issued_tokens: Mutex<BTreeSet<String>>,
    /// Subject of the token the GitHub Actions endpoint hands out.
    pub actions_subject: Mutex<String>,
    next_index: AtomicU64,
    /// Requests served, by path, for tests that check which services were used.
    pub requests: Mutex<Vec<String>>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn utc(secs: u64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).unwrap())
}

fn spki(key: &KeyPair) -> Vec<u8> {
    key.public_key_der().unwrap().as_bytes().to_vec()
}

fn sign(key: &KeyPair, data: &[u8]) -> Vec<u8> {
    key.sign(data).unwrap().as_bytes().to_vec()
}

fn extension(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).unwrap(),
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn pem_to_der(text: &str) -> Vec<u8> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body.trim()).unwrap()
}

impl FakeSigstore {
    pub fn start() -> Arc<FakeSigstore> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let ca = KeyPair::generate_ecdsa_p256().unwrap();
        let ca_name = Name::from_str("CN=skillsig-test-fulcio,O=skillsig-test").unwrap();
        let start = now_secs() - 86_400;
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[1]).unwrap(),
            signature: ecdsa_sha256(),
            issuer: ca_name.clone(),
            validity: Validity {
                not_before: utc(start),
                not_after: utc(start + 10 * 86_400),
            },
            subject: ca_name.clone(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki(&ca)).unwrap(),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(vec![
                extension(
                    BASIC_CONSTRAINTS,
                    true,
                    BasicConstraints {
                        ca: true,
                        path_len_constraint: None,
                    }
                    .to_der()
                    .unwrap(),
                ),
                extension(
                    KEY_USAGE,
                    true,
                    KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
                        .to_der()
                        .unwrap(),
                ),
            ]),
        };
        let ca_der = certificate(tbs, &ca);
        let fake = Arc::new(FakeSigstore {
            base,
            ca,
            ca_name,
            ca_der,
            ct: KeyPair::generate_ecdsa_p256().unwrap(),
            rekor: KeyPair::generate_ecdsa_p256().unwrap(),
            issued_tokens: Mutex::new(BTreeSet::new()),
            actions_subject: Mutex::new(
                "https://github.com/acme/skills/.github/workflows/release.yml@refs/tags/v1.0.0"
                    .into(),
            ),
            next_index: AtomicU64::new(0),
            requests: Mutex::new(Vec::new()),
        });
        let server = Arc::clone(&fake);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let server = Arc::clone(&server);
                std::thread::spawn(move || server.serve(stream));
            }
        });
        fake
    }

    /// The OIDC issuer this instance's tokens name.
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.base)
    }

    /// A fresh identity token for `subject` (an email or a URI) that this Fulcio accepts.
    pub fn token(&self, subject: &str) -> String {
        self.token_with_expiry(subject, now_secs() + 600)
    }

    /// A token that expires at `exp` (seconds since the epoch).
    pub fn token_with_expiry(&self, subject: &str, exp: u64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT"}"#);
        let mut claims = json!({
            "iss": self.issuer(),
            "sub": subject,
            "aud": "sigstore",
            "exp": exp,
            "iat": now_secs(),
        });
        if subject.contains('@') {
            claims["email"] = json!(subject);
            claims["email_verified"] = json!(true);
        }
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let n = self.issued_tokens.lock().unwrap().len();
        let token = format!("{header}.{payload}.fake-signature-{n}");
        self.issued_tokens.lock().unwrap().insert(token.clone());
        token
    }

    /// The Sigstore trusted root for this instance.
    pub fn trusted_root_json(&self) -> String {
        let log = |key: &KeyPair| {
            let der = spki(key);
            json!({
                "baseUrl": self.base,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": STANDARD.encode(&der),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"}
                },
                "logId": {"keyId": STANDARD.encode(Sha256::digest(&der))}
            })
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.rekor)],
            "certificateAuthorities": [{
                "subject": {"organization": "skillsig-test", "commonName": "skillsig-test-fulcio"},
                "uri": self.base,
                "certChain": {"certificates": [{"rawBytes": STANDARD.encode(&self.ca_der)}]},
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            }],
            "ctlogs": [log(&self.ct)],
            "timestampAuthorities": []
        })
        .to_string()
    }

    /// A signing config naming this instance's Fulcio, Rekor (v1) and OIDC issuer, no TSA.
    pub fn signing_config_json(&self) -> String {
        let endpoint = |url: String| {
            json!([{
                "url": url,
                "majorApiVersion": 1,
                "validFor": {"start": "2020-01-01T00:00:00Z"},
                "operator": "skillsig-test"
            }])
        };
        json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": endpoint(self.base.clone()),
            "oidcUrls": endpoint(self.issuer()),
            "rekorTlogUrls": endpoint(self.base.clone()),
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"}
        })
        .to_string()
    }

    /// The URL GitHub Actions would put in ACTIONS_ID_TOKEN_REQUEST_URL.
    pub fn actions_request_url(&self) -> String {
        format!("{}/actions/token?api-version=2.0", self.base)
    }

    fn serve(&self, mut stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        let mut length = 0usize;
        let mut authorization = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("authorization:") {
                authorization = line["authorization:".len()..].trim().to_owned();
            }
        }
        let mut body = vec![0u8; length.min(1 << 20)];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let target = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_owned();
        let path = target.split('?').next().unwrap_or("/").to_owned();
        self.requests.lock().unwrap().push(path.clone());
        let (status, answer) = match path.as_str() {
            "/api/v2/signingCert" => self.fulcio(&body),
            "/api/v1/log/entries" => self.rekor_entry(&body),
            "/actions/token" => self.actions_token(&target, &authorization),
            _ => (404, json!({"message": "not found"})),
        };
        let text = answer.to_string();
        let reason = if status == 200 || status == 201 {
            "OK"
        } else {
            "Error"
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
    }

    fn actions_token(&self, target: &str, authorization: &str) -> (u16, Value) {
        if authorization != format!("Bearer {ACTIONS_BEARER}")
            && authorization != format!("bearer {ACTIONS_BEARER}")
        {
            return (401, json!({"message": "bad bearer"}));
        }
        if !target.contains("audience=sigstore") {
            return (400, json!({"message": "audience must be sigstore"}));
        }
        let subject = self.actions_subject.lock().unwrap().clone();
        (200, json!({"value": self.token(&subject)}))
    }

    fn fulcio(&self, body: &[u8]) -> (u16, Value) {
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let token = request["credentials"]["oidcIdentityToken"]
            .as_str()
            .unwrap_or("");
        if !self.issued_tokens.lock().unwrap().contains(token) {
            return (401, json!({"message": "unknown identity token"}));
        }
        let claims: Value = token
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|p| serde_json::from_slice(&p).ok())
            .unwrap_or(Value::Null);
        let subject = claims["email"]
            .as_str()
            .or(claims["sub"].as_str())
            .unwrap_or("")
            .to_owned();
        let issuer = claims["iss"].as_str().unwrap_or("").to_owned();
        let key_pem = request["publicKeyRequest"]["publicKey"]["content"]
            .as_str()
            .unwrap_or("");
        let leaf_spki = match SubjectPublicKeyInfoOwned::from_der(&pem_to_der(key_pem)) {
            Ok(spki) => spki,
            Err(_) => return (400, json!({"message": "bad public key"})),
        };
        let leaf = self.leaf_certificate(&subject, &issuer, leaf_spki);
        (
            201,
            json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [
                pem("CERTIFICATE", &leaf),
                pem("CERTIFICATE", &self.ca_der),
            ]}}}),
        )
    }

    fn leaf_certificate(
        &self,
        subject: &str,
        issuer: &str,
        leaf_key: SubjectPublicKeyInfoOwned,
    ) -> Vec<u8> {
        let now = now_secs();
        let san = if subject.contains('@') {
            GeneralName::Rfc822Name(Ia5String::new(subject).unwrap())
        } else {
            GeneralName::UniformResourceIdentifier(Ia5String::new(subject).unwrap())
        };
        let serial = self.next_index.fetch_add(1, Ordering::SeqCst) + 2;
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[0x10, (serial & 0x7f) as u8]).unwrap(),
            signature: ecdsa_sha256(),
            issuer: self.ca_name.clone(),
            validity: Validity {
                not_before: utc(now - 60),
                not_after: utc(now + 600),
            },
            subject: Name::default(),
            subject_public_key_info: leaf_key,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(vec![
                extension(
                    KEY_USAGE,
                    true,
                    KeyUsage(KeyUsages::DigitalSignature.into())
                        .to_der()
                        .unwrap(),
                ),
                extension(
                    EXT_KEY_USAGE,
                    false,
                    ExtendedKeyUsage(vec![CODE_SIGNING]).to_der().unwrap(),
                ),
                extension(
                    SUBJECT_ALT_NAME,
                    true,
                    SubjectAltName(vec![san]).to_der().unwrap(),
                ),
                extension(FULCIO_ISSUER_V1, false, issuer.as_bytes().to_vec()),
                extension(
                    FULCIO_ISSUER_V2,
                    false,
                    x509_cert::der::asn1::Utf8StringRef::new(issuer)
                        .unwrap()
                        .to_der()
                        .unwrap(),
                ),
            ]),
        };
        // RFC 6962 §3.2: the CT log signs the certificate without its SCT list, bound to the
        // issuer's key; the list then goes into the final certificate.
        let precert_tbs = tbs.to_der().unwrap();
        let timestamp_ms = now * 1000;
        let issuer_key_hash = Sha256::digest(spki(&self.ca));
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes());
        signed.extend_from_slice(&issuer_key_hash);
        signed.extend_from_slice(&(precert_tbs.len() as u32).to_be_bytes()[1..]);
        signed.extend_from_slice(&precert_tbs);
        signed.extend_from_slice(&0u16.to_be_bytes());
        let signature = sign(&self.ct, &signed);
        let mut sct = vec![0u8];
        sct.extend_from_slice(&Sha256::digest(spki(&self.ct)));
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&[4, 3]);
        sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
        sct.extend_from_slice(&signature);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        let list_der = OctetString::new(list).unwrap().to_der().unwrap();
        tbs.extensions
            .as_mut()
            .unwrap()
            .push(extension(CT_PRECERT_SCTS, false, list_der));
        certificate(tbs, &self.ca)
    }

    fn rekor_entry(&self, body: &[u8]) -> (u16, Value) {
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let entry = match request["kind"].as_str() {
            Some("dsse") => {
                let content = &request["spec"]["proposedContent"];
                let envelope_text = content["envelope"].as_str().unwrap_or("");
                let envelope: Value = serde_json::from_str(envelope_text).unwrap_or(Value::Null);
                let payload = STANDARD
                    .decode(envelope["payload"].as_str().unwrap_or(""))
                    .unwrap_or_default();
                let verifier = content["verifiers"][0].clone();
                let signatures: Vec<Value> = envelope["signatures"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|s| json!({"signature": s["sig"], "verifier": verifier}))
                    .collect();
                json!({
                    "apiVersion": "0.0.1",
                    "kind": "dsse",
                    "spec": {
                        "envelopeHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(envelope_text.as_bytes()))},
                        "payloadHash": {"algorithm": "sha256", "value": hex::encode(Sha256::digest(&payload))},
                        "signatures": signatures,
                    }
                })
            }
            Some("hashedrekord") => request.clone(),
            _ => return (400, json!({"message": "unsupported entry kind"})),
        };
        let body = serde_json_canonicalizer::to_vec(&entry).unwrap();
        let log_index = self.next_index.fetch_add(1, Ordering::SeqCst);
        let integrated_time = now_secs();
        let log_id = hex::encode(Sha256::digest(spki(&self.rekor)));
        let body_b64 = STANDARD.encode(&body);
        let set_payload = serde_json_canonicalizer::to_vec(&json!({
            "body": body_b64,
            "integratedTime": integrated_time,
            "logID": log_id,
            "logIndex": log_index,
        }))
        .unwrap();
        let set = STANDARD.encode(sign(&self.rekor, &set_payload));
        // A tree of one leaf: the root is the leaf hash and the proof is empty.
        let mut leaf = vec![0u8];
        leaf.extend_from_slice(&body);
        let root = Sha256::digest(&leaf);
        let note = format!("skillsig-test-rekor - 1\n1\n{}\n", STANDARD.encode(root));
        let hint = &Sha256::digest(spki(&self.rekor))[..4];
        let mut hint_and_signature = hint.to_vec();
        hint_and_signature.extend_from_slice(&sign(&self.rekor, note.as_bytes()));
        let checkpoint = format!(
            "{note}\n\u{2014} skillsig-test-rekor {}\n",
            STANDARD.encode(hint_and_signature)
        );
        let uuid = hex::encode(Sha256::digest(&body));
        (
            201,
            json!({ uuid: {
                "body": body_b64,
                "integratedTime": integrated_time,
                "logID": log_id,
                "logIndex": log_index,
                "verification": {
                    "inclusionProof": {
                        "checkpoint": checkpoint,
                        "hashes": [],
                        "logIndex": 0,
                        "rootHash": hex::encode(root),
                        "treeSize": 1
                    },
                    "signedEntryTimestamp": set
                }
            }}),
        )
    }
}

fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    }
}

fn certificate(tbs: TbsCertificate, signer: &KeyPair) -> Vec<u8> {
    let signature = sign(signer, &tbs.to_der().unwrap());
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_sha256(),
        signature: BitString::from_bytes(&signature).unwrap(),
    }
    .to_der()
    .unwrap()
}
