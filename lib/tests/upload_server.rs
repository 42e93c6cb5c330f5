//! The upload endpoint example (`lib/examples/upload_server.rs`) end to end over loopback:
//! good and bad uploads posted to a server this test starts on 127.0.0.1.

#[path = "../examples/upload_server.rs"]
#[allow(dead_code)]
mod upload_server;

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use skillsig::Limits;
use skillsig::bundle::SourceOptions;
use skillsig::policy::Policy;
use skillsig::signing::keys::SecretKey;
use skillsig::signing::sign_bundle;
use skillsig::trust::{TrustRoot, TrustRootFile};

fn start(checker: upload_server::Checker) -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            upload_server::serve(listener, Arc::new(checker)).await;
        });
    });
    format!("http://{}/upload", receiver.recv().unwrap())
}

fn post(url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::blocking::Client::new()
        .post(url)
        .json(body)
        .send()
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap())
}

#[test]
fn good_uploads_are_accepted_and_bad_ones_refused_with_codes() {
    let key = SecretKey::generate().unwrap();
    let mut file = TrustRootFile::new(
        "uploads",
        jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24),
    );
    file.add_publisher("example", &["example".into()]).unwrap();
    file.add_key("example", key.public(), None, None).unwrap();
    let root = TrustRoot::load(file.to_json().as_bytes(), jiff::Timestamp::now(), None).unwrap();
    let url = start(upload_server::Checker {
        root,
        policy: Policy::default(),
    });
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/skills/weather-report");
    let packed = skillsig::pack::pack_dir(&example, &SourceOptions::default()).unwrap();
    let signature = sign_bundle(
        &packed.bundle,
        &packed.manifest.to_canonical_json(),
        &key,
        &Limits::DEFAULT,
    )
    .unwrap();
    let upload = |bundle: &[u8], signature: &[u8]| json!({"bundle": STANDARD.encode(bundle), "signature": STANDARD.encode(signature)});

    let (status, body) = post(&url, &upload(&packed.bundle, signature.as_bytes()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], "example/weather-report@1.0.0");
    assert_eq!(body["publisher"], "example");

    // Signed by a key the trust root does not know.
    let stranger = SecretKey::generate().unwrap();
    let foreign = sign_bundle(
        &packed.bundle,
        &packed.manifest.to_canonical_json(),
        &stranger,
        &Limits::DEFAULT,
    )
    .unwrap();
    let (status, body) = post(&url, &upload(&packed.bundle, foreign.as_bytes()));
    assert_eq!(status, 422);
    assert_eq!(body["code"], "unknown-key");

    // A bundle whose bytes changed after signing.
    let mut changed = packed.bundle.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let (status, body) = post(&url, &upload(&changed, signature.as_bytes()));
    assert_eq!(status, 422);
    assert_eq!(body["code"], "bundle-invalid", "{body}");

    // Not base64.
    let (status, body) = post(&url, &json!({"bundle": "%%%", "signature": "%%%"}));
    assert_eq!(status, 422);
    assert_eq!(body["code"], "bad-request");
}
