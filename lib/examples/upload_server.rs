//! A registry's upload endpoint built on [`skillsig::registry::check_upload`]: `POST /upload`
//! with a JSON body `{"bundle": base64, "signature": base64}` answers `200
//! {"accepted": "ns/name@version", …}` or `422 {"code": …, "message": …}`. One trust root and
//! policy, loaded once, serve every request and thread.
//!
//! ```sh
//! cargo run -p skillsig --example upload_server -- TRUST_ROOT.json [127.0.0.1:8788]
//! ```
//!
//! A real registry would then store the accepted bundle with `registry::publish`; this example
//! stops at the check, which is the part a registry embeds.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use skillsig::policy::Policy;
use skillsig::registry::check_upload;
use skillsig::trust::TrustRoot;

/// What the handlers share: read-only, so `Arc` is enough.
pub struct Checker {
    pub root: TrustRoot,
    pub policy: Policy,
}

#[derive(Deserialize)]
struct Upload {
    bundle: String,
    signature: String,
}

async fn upload(
    State(checker): State<Arc<Checker>>,
    Json(upload): Json<Upload>,
) -> (StatusCode, Json<Value>) {
    let refuse = |code: &str, message: String| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"code": code, "message": message})),
        )
    };
    let (Ok(bundle), Ok(signature)) = (
        STANDARD.decode(&upload.bundle),
        STANDARD.decode(&upload.signature),
    ) else {
        return refuse("bad-request", "bundle and signature must be base64".into());
    };
    // The check is CPU work: keep it off the async workers.
    let checked = tokio::task::spawn_blocking(move || {
        check_upload(
            &bundle,
            &signature,
            &checker.root,
            &checker.policy,
            jiff::Timestamp::now(),
        )
        .map(|accepted| {
            let manifest = accepted.skill().manifest();
            json!({
                "accepted": manifest.id().to_string(),
                "publisher": accepted.skill().publisher(),
                "permissions": manifest.permissions(),
                "scan": {"verdict": accepted.report().verdict, "counts": accepted.report().counts},
            })
        })
    })
    .await;
    match checked {
        Ok(Ok(body)) => (StatusCode::OK, Json(body)),
        Ok(Err(rejection)) => refuse(rejection.code(), rejection.to_string()),
        Err(_) => refuse("internal", "the check failed unexpectedly".into()),
    }
}

/// The endpoint, with a body limit matching the archive-safety limit on bundles.
pub fn router(checker: Arc<Checker>) -> Router {
    let limit = (skillsig::Limits::DEFAULT.max_bundle_bytes as usize) * 4 / 3 + 64 * 1024;
    Router::new()
        .route("/upload", post(upload))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(checker)
}

/// Serves on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, checker: Arc<Checker>) {
    axum::serve(listener, router(checker))
        .await
        .expect("the server runs");
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root_path) = args.next() else {
        eprintln!("usage: upload_server TRUST_ROOT.json [ADDRESS]");
        std::process::exit(2);
    };
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8788".into());
    let bytes = std::fs::read(&root_path).unwrap_or_else(|e| {
        eprintln!("{root_path}: {e}");
        std::process::exit(2)
    });
    let root = TrustRoot::load(&bytes, jiff::Timestamp::now(), None).unwrap_or_else(|e| {
        eprintln!("{root_path}: {e}");
        std::process::exit(2)
    });
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .unwrap_or_else(|e| {
            eprintln!("{address}: {e}");
            std::process::exit(2)
        });
    println!(
        "Checking uploads at http://{}/upload",
        listener.local_addr().unwrap()
    );
    serve(
        listener,
        Arc::new(Checker {
            root,
            policy: Policy::default(),
        }),
    )
    .await;
}
