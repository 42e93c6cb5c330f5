//! Keyless signing: an OIDC identity token, a short-lived Fulcio certificate for an ephemeral
//! key, the signature logged in Rekor, all in one Sigstore bundle v0.3.
//!
//! The protocol itself is the `sigstore-sign` crate's (sigstore/sigstore-rust, the same family
//! as the verifier); this module chooses the endpoints (a Sigstore signing config: the
//! public-good one built in, or a file), finds the identity token, refuses to send it over
//! plain http to anything but loopback, and checks the bundle it got back before anyone
//! writes it.

use std::time::Duration;

use sigstore_sign::SigningContext;
pub use sigstore_sign::SigningServices;
use sigstore_sign::oidc::IdentityToken;
use sigstore_sign::rekor::RekorApiVersion;
use sigstore_sign::trust_root::{SIGSTORE_PRODUCTION_SIGNING_CONFIG, SigningConfig};

use super::SignError;
use crate::bundle;
use crate::limits::Limits;
use crate::manifest::Manifest;
use crate::sigstore::{self, CertificateSigner, TrustedRoot};

/// The audience Sigstore's Fulcio expects in identity tokens.
pub const AUDIENCE: &str = "sigstore";
/// How long one request to an OIDC provider, Fulcio or Rekor may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest token-endpoint answer read.
const MAX_TOKEN_RESPONSE_BYTES: u64 = 64 * 1024;

/// Why keyless signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeylessError {
    /// No identity token from any source.
    #[error(
        "no OIDC identity token: run in GitHub Actions with `permissions: id-token: write`, set SIGSTORE_ID_TOKEN, or run in a terminal to log in with a browser"
    )]
    NoToken,
    /// GitHub Actions' token endpoint failed.
    #[error("getting the GitHub Actions identity token failed: {0}")]
    GithubToken(String),
    /// The token is not a JWT with issuer, subject and expiry.
    #[error("the identity token is not a JWT with issuer, subject and expiry: {0}")]
    BadToken(String),
    /// The token has expired.
    #[error("the identity token expired at {0}; get a fresh one")]
    ExpiredToken(jiff::Timestamp),
    /// The browser login failed.
    #[error("the browser login failed: {0}")]
    Browser(String),
    /// The signing config cannot be read or names no usable service.
    #[error("the signing config cannot be used: {0}")]
    SigningConfig(String),
    /// A service URL that would carry the token in clear over a network.
    #[error(
        "{service} URL {url} is neither https nor http to this machine; an identity token is never sent in clear over a network"
    )]
    InsecureEndpoint {
        /// Which service (Fulcio, Rekor, OIDC, TSA).
        service: &'static str,
        /// Its URL.
        url: String,
    },
    /// Fulcio, Rekor or the timestamp authority failed.
    #[error("signing with Sigstore failed: {0}")]
    Sign(String),
    /// The bundle the services produced does not verify; nothing is written.
    #[error("the Sigstore bundle Fulcio and Rekor produced does not verify: {0}")]
    Unverifiable(String),
}

impl KeylessError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            KeylessError::NoToken => "keyless-no-token",
            KeylessError::GithubToken(..) => "keyless-github-token",
            KeylessError::BadToken(..) => "keyless-bad-token",
            KeylessError::ExpiredToken(..) => "keyless-expired-token",
            KeylessError::Browser(..) => "keyless-browser",
            KeylessError::SigningConfig(..) => "keyless-signing-config",
            KeylessError::InsecureEndpoint { .. } => "keyless-insecure-endpoint",
            KeylessError::Sign(..) => "keyless-sign",
            KeylessError::Unverifiable(..) => "keyless-unverifiable",
        }
    }
}

/// Where the identity token comes from, in the order tried.
#[derive(Debug, Clone, Default)]
pub struct TokenSources {
    /// A token given on the command line.
    pub given: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (GitHub Actions).
    pub github_request: Option<(String, String)>,
    /// `SIGSTORE_ID_TOKEN`.
    pub environment: Option<String>,
    /// Whether a browser login may be started (stdin is a terminal).
    pub interactive: bool,
}

impl TokenSources {
    /// The given token, else what the environment offers.
    pub fn from_environment(given: Option<String>, interactive: bool) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        TokenSources {
            given,
            github_request: var("ACTIONS_ID_TOKEN_REQUEST_URL")
                .zip(var("ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
            environment: var("SIGSTORE_ID_TOKEN"),
            interactive,
        }
    }
}

/// The services to sign with, from a Sigstore signing config (JSON) or the public-good one.
pub fn services(signing_config_json: Option<&str>) -> Result<SigningServices, KeylessError> {
    let bad = |e: &dyn std::fmt::Display| KeylessError::SigningConfig(e.to_string());
    let config =
        SigningConfig::from_json(signing_config_json.unwrap_or(SIGSTORE_PRODUCTION_SIGNING_CONFIG))
            .map_err(|e| bad(&e))?;
    let services = match config.tsa_url() {
        Some(_) => SigningServices::from_signing_config(&config).map_err(|e| bad(&e))?,
        // Without a timestamp authority only Rekor v1 gives a verifiable time (its SET).
        None => {
            let fulcio = config
                .fulcio_url()
                .ok_or_else(|| bad(&"it names no Fulcio (caUrls)"))?;
            let rekor = config
                .rekor_url(Some(1))
                .ok_or_else(|| bad(&"it names no timestamp authority and no Rekor v1 log"))?;
            let mut services = SigningServices::new(&fulcio.url, &rekor.url)
                .with_rekor(&rekor.url, RekorApiVersion::V1);
            if let Some(oidc) = config.oidc_url() {
                services = services.with_oidc_url(&oidc.url);
            }
            services
        }
    };
    check_endpoint("Fulcio", services.fulcio_url())?;
    check_endpoint("Rekor", services.rekor_url())?;
    if let Some(tsa) = services.tsa_url() {
        check_endpoint("timestamp authority", tsa)?;
    }
    Ok(services)
}

/// https anywhere; http only to loopback (local test services).
fn check_endpoint(service: &'static str, url: &str) -> Result<(), KeylessError> {
    let insecure = || KeylessError::InsecureEndpoint {
        service,
        url: url.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| insecure())?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        _ => Err(insecure()),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Finds an identity token: given, GitHub Actions, SIGSTORE_ID_TOKEN, then a browser login.
pub fn identity_token(
    sources: &TokenSources,
    services: &SigningServices,
) -> Result<IdentityToken, KeylessError> {
    let raw = if let Some(token) = &sources.given {
        token.trim().to_owned()
    } else if let Some((url, bearer)) = &sources.github_request {
        github_actions_token(url, bearer)?
    } else if let Some(token) = &sources.environment {
        token.trim().to_owned()
    } else if sources.interactive {
        let oidc_url = services
            .oidc_url()
            .unwrap_or("https://oauth2.sigstore.dev/auth")
            .to_owned();
        check_endpoint("OIDC provider", &oidc_url)?;
        let token = runtime()?
            .block_on(sigstore_sign::oidc::authenticate(&oidc_url))
            .map_err(|e| KeylessError::Browser(e.to_string()))?;
        return check_token(token);
    } else {
        return Err(KeylessError::NoToken);
    };
    check_token(IdentityToken::from_jwt(&raw).map_err(|e| KeylessError::BadToken(e.to_string()))?)
}

fn check_token(token: IdentityToken) -> Result<IdentityToken, KeylessError> {
    if token.is_expired() {
        return Err(KeylessError::ExpiredToken(token.expiration()));
    }
    Ok(token)
}

/// GitHub Actions hands out tokens for an audience at `ACTIONS_ID_TOKEN_REQUEST_URL`.
fn github_actions_token(url: &str, bearer: &str) -> Result<String, KeylessError> {
    let failed = |e: &dyn std::fmt::Display| KeylessError::GithubToken(e.to_string());
    let mut url = reqwest::Url::parse(url).map_err(|e| failed(&e))?;
    check_endpoint("GitHub token", url.as_str())?;
    url.query_pairs_mut().append_pair("audience", AUDIENCE);
    let response = reqwest::blocking::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| failed(&e))?
        .get(url)
        .bearer_auth(bearer)
        .send()
        .map_err(|e| failed(&e))?;
    if !response.status().is_success() {
        return Err(failed(&format!(
            "HTTP {} (does the job have `permissions: id-token: write`?)",
            response.status()
        )));
    }
    let mut body = Vec::new();
    use std::io::Read as _;
    response
        .take(MAX_TOKEN_RESPONSE_BYTES)
        .read_to_end(&mut body)
        .map_err(|e| failed(&e))?;
    #[derive(serde::Deserialize)]
    struct Answer {
        value: String,
    }
    let answer: Answer = serde_json::from_slice(&body).map_err(|e| failed(&e))?;
    Ok(answer.value)
}

fn runtime() -> Result<tokio::runtime::Runtime, KeylessError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| KeylessError::Sign(format!("cannot start the async runtime: {e}")))
}

fn context(services: &SigningServices) -> Result<SigningContext, KeylessError> {
    let http = sigstore_sign::reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| KeylessError::Sign(e.to_string()))?;
    Ok(SigningContext::new(services.clone()).with_http_client(http))
}

/// What keyless signing produced: the Sigstore bundle and the identity its certificate names.
#[derive(Debug, Clone)]
pub struct KeylessSignature {
    /// The Sigstore bundle v0.3 (JSON text, newline-terminated).
    pub bundle_json: String,
    /// The identity and issuer the certificate names.
    pub signer: CertificateSigner,
}

/// Signs an in-toto statement (DSSE) and checks the result against `root`.
pub fn sign_statement(
    statement: &[u8],
    subject_sha256: [u8; 32],
    token: &IdentityToken,
    services: &SigningServices,
    root: &TrustedRoot,
) -> Result<KeylessSignature, KeylessError> {
    let signer = context(services)?.signer(token.clone());
    let bundle = runtime()?.block_on(signer.sign_raw_statement(statement));
    checked(bundle, subject_sha256, root)
}

/// Signs arbitrary bytes (a `hashedrekord` entry) and checks the result against `root`.
pub fn sign_artifact(
    artifact: &[u8],
    token: &IdentityToken,
    services: &SigningServices,
    root: &TrustedRoot,
) -> Result<KeylessSignature, KeylessError> {
    let signer = context(services)?.signer(token.clone());
    let bundle = runtime()?.block_on(signer.sign(artifact));
    checked(bundle, crate::tree::sha256(artifact), root)
}

/// The bundle as JSON text, after verifying it over `subject_sha256` against `root`: a
/// misbehaving Fulcio or Rekor must not produce a signature file nobody can verify.
fn checked(
    bundle: Result<sigstore_sign::types::Bundle, sigstore_sign::Error>,
    subject_sha256: [u8; 32],
    root: &TrustedRoot,
) -> Result<KeylessSignature, KeylessError> {
    let bundle = bundle.map_err(|e| KeylessError::Sign(e.to_string()))?;
    let bundle_json = finish(bundle.to_json_pretty())?;
    let signer = sigstore::verify_certificate_bundle(&bundle_json, subject_sha256, root)
        .map_err(|e| KeylessError::Unverifiable(e.to_string()))?;
    Ok(KeylessSignature {
        bundle_json,
        signer,
    })
}

fn finish<E: std::fmt::Display>(json: Result<String, E>) -> Result<String, KeylessError> {
    let mut text = json.map_err(|e| KeylessError::Sign(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// Checks a `.skill` bundle against its manifest, then finds the identity token (only now, so
/// that a bad bundle never starts a browser login) and signs the manifest keyless.
pub fn sign_bundle(
    bundle_bytes: &[u8],
    manifest_bytes: &[u8],
    tokens: &TokenSources,
    services: &SigningServices,
    root: &TrustedRoot,
    limits: &Limits,
) -> Result<KeylessSignature, SignError> {
    let bundle = bundle::read_bytes(bundle_bytes, limits)?;
    let manifest = Manifest::from_json(manifest_bytes)?;
    manifest.check_bundle(&bundle, limits)?;
    let token = identity_token(tokens, services)?;
    Ok(sign_statement(
        manifest_bytes,
        manifest.tree_digest(),
        &token,
        services,
        root,
    )?)
}
