//! The `skillsig` npm package: each exported function is one call into the library through
//! `skillsig-bindings` (which does the calling, the error codes and the JSON shapes); this file
//! only converts arguments and results and runs the heavy calls on libuv's thread pool.
//!
//! Errors are JavaScript `Error`s with `name` `SkillsigError`, `code` (the CLI's JSON error
//! code), `exit` (the CLI's exit status: 1 refused, 2 error) and, for policy refusals,
//! `violations`. No panic crosses into JavaScript: `skillsig_bindings::guard` turns one into
//! code `internal`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either, ToNapiValue, TypeName};
use napi::{Env, JsValue, Task};
use napi_derive::napi;
use serde_json::Value;
use skillsig_bindings::{self as shared, Failure, Source};

/// Builds the `SkillsigError` thrown for `failure`.
fn to_js_error(env: &Env, failure: Failure) -> napi::Error {
    let build = || -> napi::Result<napi::Error> {
        let mut error = env.create_error(napi::Error::new(
            napi::Status::GenericFailure,
            failure.message.clone(),
        ))?;
        error.set("name", "SkillsigError")?;
        error.set("code", failure.code.as_str())?;
        error.set("exit", failure.exit)?;
        if !failure.violations.is_empty() {
            error.set("violations", failure.violations_json())?;
        }
        Ok(napi::Error::from(error.to_unknown()))
    };
    build().unwrap_or_else(|e| e)
}

/// A call that runs off the JavaScript thread and settles its promise with a result or a
/// `SkillsigError`.
pub struct Call(Option<Box<dyn FnOnce() -> Result<Value, Failure> + Send>>);

impl Call {
    fn new(work: impl FnOnce() -> Result<Value, Failure> + Send + 'static) -> AsyncTask<Call> {
        AsyncTask::new(Call(Some(Box::new(work))))
    }
}

/// A result as a plain JavaScript object (its TypeScript type is given per function).
pub struct Json(Value);

impl TypeName for Json {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Object
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: called by napi with the env of the current call, as `Value`'s own impl is.
        unsafe { Value::to_napi_value(env, value.0) }
    }
}

impl Task for Call {
    type Output = Result<Value, Failure>;
    type JsValue = Json;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = self.0.take();
        Ok(shared::guard(|| match work {
            Some(work) => work(),
            None => Err(Failure::error("internal", "the call ran twice")),
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Json> {
        output
            .map(Json)
            .map_err(|failure| to_js_error(&env, failure))
    }
}

/// Runs `work` now, on the JavaScript thread (the `…Sync` variants).
fn now_or_throw(env: &Env, work: impl FnOnce() -> Result<Value, Failure>) -> napi::Result<Value> {
    shared::guard(work).map_err(|failure| to_js_error(env, failure))
}

/// Where the trust root and the policy come from, and the time to check at.
#[napi(object)]
#[derive(Default)]
pub struct VerifierOptions {
    /// The trust root's JSON text.
    pub trust_root: Option<String>,
    /// A trust root file to read.
    pub trust_root_path: Option<String>,
    /// A policy's TOML text (docs/policy.md); none is the default policy.
    pub policy: Option<String>,
    /// A policy file to read.
    pub policy_path: Option<String>,
    /// The time to check expiry against, RFC 3339 (default: now).
    pub now: Option<String>,
}

/// Options of `verifyBundle` and `verifyOmsFolder`: the trust root and policy as for a
/// `Verifier`, and what only these calls take.
#[napi(object)]
#[derive(Default)]
pub struct VerifyOptions {
    /// The trust root's JSON text.
    pub trust_root: Option<String>,
    /// A trust root file to read.
    pub trust_root_path: Option<String>,
    /// A policy's TOML text (docs/policy.md); none is the default policy.
    pub policy: Option<String>,
    /// A policy file to read.
    pub policy_path: Option<String>,
    /// The time to check expiry against, RFC 3339 (default: now).
    pub now: Option<String>,
    /// Accept an unsigned Skill when the policy's `allow_unsigned` also says so.
    pub allow_unsigned: Option<bool>,
    /// `verifyOmsFolder`: the signature file (default: `skill.oms.sig` in the folder).
    pub signature_path: Option<String>,
}

impl VerifyOptions {
    fn load(&self) -> Result<(shared::Verifier, jiff::Timestamp), Failure> {
        let now = timestamp(&self.now)?;
        let verifier = shared::Verifier::load(
            source(&self.trust_root, &self.trust_root_path),
            source(&self.policy, &self.policy_path),
            now,
        )?;
        Ok((verifier, now))
    }
}

/// Options of `scan`.
#[napi(object)]
#[derive(Default)]
pub struct ScanOptions {
    /// Findings at or above this severity block: critical, high (default), medium, low, info.
    pub fail_on: Option<String>,
}

fn source<'a>(text: &'a Option<String>, path: &'a Option<String>) -> Option<Source<'a>> {
    match (text, path) {
        (Some(text), _) => Some(Source::Text(text)),
        (None, Some(path)) => Some(Source::Path(Path::new(path))),
        (None, None) => None,
    }
}

fn timestamp(now: &Option<String>) -> Result<jiff::Timestamp, Failure> {
    match now {
        None => Ok(jiff::Timestamp::now()),
        Some(text) => text.parse().map_err(|e| {
            Failure::error("usage", format!("now {text:?}: not an RFC 3339 time: {e}"))
        }),
    }
}

fn bytes(value: Either<Buffer, String>) -> Vec<u8> {
    match value {
        Either::A(buffer) => buffer.to_vec(),
        Either::B(text) => text.into_bytes(),
    }
}

/// A trust root and a policy, loaded once for many checks (a registry's upload endpoint).
#[napi]
pub struct Verifier {
    inner: Arc<shared::Verifier>,
    now: Option<jiff::Timestamp>,
}

#[napi]
impl Verifier {
    /// Loads the trust root (`trustRoot` text or `trustRootPath`; required) and the policy
    /// (`policy` text or `policyPath`; default policy when neither). Throws `SkillsigError`.
    #[napi(constructor)]
    pub fn new(env: Env, options: VerifierOptions) -> napi::Result<Verifier> {
        let loaded = shared::guard(|| {
            let now = options
                .now
                .as_ref()
                .map(|_| timestamp(&options.now))
                .transpose()?;
            let inner = shared::Verifier::load(
                source(&options.trust_root, &options.trust_root_path),
                source(&options.policy, &options.policy_path),
                now.unwrap_or_else(jiff::Timestamp::now),
            )?;
            Ok(Verifier {
                inner: Arc::new(inner),
                now,
            })
        });
        loaded.map_err(|failure| to_js_error(&env, failure))
    }

    /// `registry::check_upload`, off the JavaScript thread: resolves with the accepted upload,
    /// rejects with a `SkillsigError` whose `code` names the check that refused it.
    #[napi(ts_return_type = "Promise<AcceptedUpload>")]
    pub fn check_upload(
        &self,
        bundle: Buffer,
        signature: Either<Buffer, String>,
    ) -> AsyncTask<Call> {
        let (inner, bundle, signature, now) = (
            self.inner.clone(),
            bundle.to_vec(),
            bytes(signature),
            self.now,
        );
        Call::new(move || {
            inner.check_upload(
                &bundle,
                &signature,
                now.unwrap_or_else(jiff::Timestamp::now),
            )
        })
    }

    /// `decision::decide` over a bundle and its signature (`null`: unsigned, accepted only with
    /// `allowUnsigned` and a policy that allows it), off the JavaScript thread.
    #[napi(ts_return_type = "Promise<Verified>")]
    pub fn verify_bundle(
        &self,
        bundle: Buffer,
        signature: Option<Either<Buffer, String>>,
        allow_unsigned: Option<bool>,
    ) -> AsyncTask<Call> {
        let (inner, bundle, signature, now) = (
            self.inner.clone(),
            bundle.to_vec(),
            signature.map(bytes),
            self.now,
        );
        Call::new(move || {
            inner.verify_bundle(
                &bundle,
                signature.as_deref(),
                allow_unsigned.unwrap_or(false),
                now.unwrap_or_else(jiff::Timestamp::now),
            )
        })
    }

    /// `verifyBundle` on the calling thread.
    #[napi(ts_return_type = "Verified")]
    pub fn verify_bundle_sync(
        &self,
        env: Env,
        bundle: Buffer,
        signature: Option<Either<Buffer, String>>,
        allow_unsigned: Option<bool>,
    ) -> napi::Result<Value> {
        now_or_throw(&env, || {
            self.inner.verify_bundle(
                &bundle,
                signature.map(bytes).as_deref(),
                allow_unsigned.unwrap_or(false),
                self.now.unwrap_or_else(jiff::Timestamp::now),
            )
        })
    }

    /// `checkUpload` on the calling thread.
    #[napi(ts_return_type = "AcceptedUpload")]
    pub fn check_upload_sync(
        &self,
        env: Env,
        bundle: Buffer,
        signature: Either<Buffer, String>,
    ) -> napi::Result<Value> {
        now_or_throw(&env, || {
            self.inner.check_upload(
                &bundle,
                &bytes(signature),
                self.now.unwrap_or_else(jiff::Timestamp::now),
            )
        })
    }
}

/// `registry::check_upload` with the trust root and policy of `options`, loaded for this one
/// call (use a `Verifier` to load them once for many).
#[napi(ts_return_type = "Promise<AcceptedUpload>")]
pub fn check_upload(
    bundle: Buffer,
    signature: Either<Buffer, String>,
    options: VerifierOptions,
) -> AsyncTask<Call> {
    let (bundle, signature) = (bundle.to_vec(), bytes(signature));
    Call::new(move || {
        let now = timestamp(&options.now)?;
        shared::Verifier::load(
            source(&options.trust_root, &options.trust_root_path),
            source(&options.policy, &options.policy_path),
            now,
        )?
        .check_upload(&bundle, &signature, now)
    })
}

/// `checkUpload` on the calling thread.
#[napi(ts_return_type = "AcceptedUpload")]
pub fn check_upload_sync(
    env: Env,
    bundle: Buffer,
    signature: Either<Buffer, String>,
    options: VerifierOptions,
) -> napi::Result<Value> {
    now_or_throw(&env, || {
        let now = timestamp(&options.now)?;
        shared::Verifier::load(
            source(&options.trust_root, &options.trust_root_path),
            source(&options.policy, &options.policy_path),
            now,
        )?
        .check_upload(&bundle, &bytes(signature), now)
    })
}

/// `decision::decide` over a bundle and its signature (`null`: unsigned, accepted only with
/// `allowUnsigned` and a policy that allows it), off the JavaScript thread: resolves with what
/// was verified, rejects with a `SkillsigError` (`code` as `skillsig verify --json` prints it).
#[napi(ts_return_type = "Promise<Verified>")]
pub fn verify_bundle(
    bundle: Buffer,
    signature: Option<Either<Buffer, String>>,
    options: VerifyOptions,
) -> AsyncTask<Call> {
    let (bundle, signature) = (bundle.to_vec(), signature.map(bytes));
    Call::new(move || {
        let (verifier, now) = options.load()?;
        let allow_unsigned = options.allow_unsigned.unwrap_or(false);
        verifier.verify_bundle(&bundle, signature.as_deref(), allow_unsigned, now)
    })
}

/// `verifyBundle` on the calling thread.
#[napi(ts_return_type = "Verified")]
pub fn verify_bundle_sync(
    env: Env,
    bundle: Buffer,
    signature: Option<Either<Buffer, String>>,
    options: VerifyOptions,
) -> napi::Result<Value> {
    now_or_throw(&env, || {
        let (verifier, now) = options.load()?;
        let allow_unsigned = options.allow_unsigned.unwrap_or(false);
        verifier.verify_bundle(
            &bundle,
            signature.map(bytes).as_deref(),
            allow_unsigned,
            now,
        )
    })
}

/// `decision::decide` over a Skill folder signed with OpenSSF model-signing (`skill.oms.sig`,
/// or `signaturePath`), off the JavaScript thread.
#[napi(ts_return_type = "Promise<Verified>")]
pub fn verify_oms_folder(path: String, options: VerifyOptions) -> AsyncTask<Call> {
    Call::new(move || verify_oms_folder_now(&path, &options))
}

/// `verifyOmsFolder` on the calling thread.
#[napi(ts_return_type = "Verified")]
pub fn verify_oms_folder_sync(
    env: Env,
    path: String,
    options: VerifyOptions,
) -> napi::Result<Value> {
    now_or_throw(&env, || verify_oms_folder_now(&path, &options))
}

fn verify_oms_folder_now(path: &str, options: &VerifyOptions) -> Result<Value, Failure> {
    let (verifier, now) = options.load()?;
    verifier.verify_oms_folder(
        Path::new(path),
        options.signature_path.as_deref().map(Path::new),
        options.allow_unsigned.unwrap_or(false),
        now,
    )
}

/// Files in memory (path → content), or a `.skill` bundle.
type ScanSubject = Either<Buffer, HashMap<String, Either<Buffer, String>>>;

fn scan_now(subject: ScanSubject, fail_on: Option<String>) -> Result<Value, Failure> {
    match subject {
        Either::A(bundle) => shared::scan_bundle(&bundle, fail_on.as_deref()),
        Either::B(files) => shared::scan_files(
            files
                .into_iter()
                .map(|(path, data)| (path, bytes(data)))
                .collect(),
            fail_on.as_deref(),
        ),
    }
}

/// The static scanner over a `.skill` bundle or files in memory, off the JavaScript thread:
/// resolves with the Skill's report (the JSON report's shape). A bundle that does not read
/// rejects with code `bundle-invalid`.
#[napi(ts_return_type = "Promise<SkillReport>")]
pub fn scan(
    #[napi(ts_arg_type = "Buffer | Record<string, Buffer | string>")] subject: ScanSubject,
    options: Option<ScanOptions>,
) -> AsyncTask<Call> {
    let fail_on = options.unwrap_or_default().fail_on;
    // Buffers are views into JavaScript memory: copy them before leaving the JS thread.
    let subject: Either<Vec<u8>, Vec<(String, Vec<u8>)>> = match subject {
        Either::A(bundle) => Either::A(bundle.to_vec()),
        Either::B(files) => Either::B(
            files
                .into_iter()
                .map(|(path, data)| (path, bytes(data)))
                .collect(),
        ),
    };
    Call::new(move || match subject {
        Either::A(bundle) => shared::scan_bundle(&bundle, fail_on.as_deref()),
        Either::B(files) => shared::scan_files(files, fail_on.as_deref()),
    })
}

/// `scan` on the calling thread.
#[napi(ts_return_type = "SkillReport")]
pub fn scan_sync(
    env: Env,
    #[napi(ts_arg_type = "Buffer | Record<string, Buffer | string>")] subject: ScanSubject,
    options: Option<ScanOptions>,
) -> napi::Result<Value> {
    now_or_throw(&env, || {
        scan_now(subject, options.unwrap_or_default().fail_on)
    })
}

/// What a bundle holds, after every archive-safety check (no signature is checked).
#[napi(ts_return_type = "Promise<Inspection>")]
pub fn inspect(bundle: Buffer) -> AsyncTask<Call> {
    let bundle = bundle.to_vec();
    Call::new(move || shared::inspect(&bundle))
}

/// `inspect` on the calling thread.
#[napi(ts_return_type = "Inspection")]
pub fn inspect_sync(env: Env, bundle: Buffer) -> napi::Result<Value> {
    now_or_throw(&env, || shared::inspect(&bundle))
}
