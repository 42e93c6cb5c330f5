//! `skillsig._native`, the compiled half of the `skillsig` Python package: each function is one
//! call into the library through `skillsig-bindings` (which does the calling, the error codes and
//! the JSON shapes), run with the GIL released; this file only converts arguments and results.
//! The Python half (`python/skillsig/__init__.py`) turns the results into dataclasses.
//!
//! Errors are `skillsig.SkillsigError` with `code` (the CLI's JSON error code), `exit` (the
//! CLI's exit status: 1 refused, 2 error) and `violations` (policy refusals). No panic crosses
//! into Python: `skillsig_bindings::guard` turns one into code `internal`.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;
use skillsig_bindings::{self as shared, Failure, Source};

pyo3::create_exception!(
    _native,
    SkillsigError,
    PyException,
    "A refusal or error: `code` is the CLI's JSON error code, `exit` its exit status (1 refused, 2 error)."
);

fn to_py_error(py: Python<'_>, failure: Failure) -> PyErr {
    let error = SkillsigError::new_err(failure.message.clone());
    let value = error.value(py);
    let violations: Vec<(String, String)> = failure.violations.clone();
    let set = value
        .setattr("code", failure.code.as_str())
        .and_then(|()| value.setattr("exit", failure.exit))
        .and_then(|()| value.setattr("violations", violations));
    match set {
        Ok(()) => error,
        Err(e) => e,
    }
}

/// Runs `work` with the GIL released (other Python threads run meanwhile).
fn call(
    py: Python<'_>,
    work: impl FnOnce() -> Result<Value, Failure> + Send,
) -> PyResult<Py<PyAny>> {
    let result = py.detach(|| shared::guard(work));
    match result {
        Ok(value) => to_python(py, &value),
        Err(failure) => Err(to_py_error(py, failure)),
    }
}

/// A JSON value as Python `dict`, `list`, `str`, `int`, `float`, `bool` or `None`.
fn to_python(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any().unbind(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any().unbind(),
            _ => n
                .as_f64()
                .unwrap_or(f64::NAN)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, to_python(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

fn source<'a>(text: &'a Option<String>, path: &'a Option<PathBuf>) -> Option<Source<'a>> {
    match (text, path) {
        (Some(text), _) => Some(Source::Text(text)),
        (None, Some(path)) => Some(Source::Path(path)),
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

/// `bytes` or `str` (as UTF-8).
#[derive(FromPyObject)]
enum Data {
    Bytes(PyBackedBytes),
    Text(String),
}

impl Data {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Data::Bytes(bytes) => bytes.to_vec(),
            Data::Text(text) => text.into_bytes(),
        }
    }
}

/// A trust root and a policy, loaded once for many checks.
#[pyclass(frozen, module = "skillsig._native")]
struct Verifier {
    inner: Arc<shared::Verifier>,
    now: Option<jiff::Timestamp>,
}

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(signature = (*, trust_root=None, trust_root_path=None, policy=None, policy_path=None, now=None))]
    fn new(
        py: Python<'_>,
        trust_root: Option<String>,
        trust_root_path: Option<PathBuf>,
        policy: Option<String>,
        policy_path: Option<PathBuf>,
        now: Option<String>,
    ) -> PyResult<Verifier> {
        let loaded = py.detach(|| {
            shared::guard(|| {
                let at = now.as_ref().map(|_| timestamp(&now)).transpose()?;
                let inner = shared::Verifier::load(
                    source(&trust_root, &trust_root_path),
                    source(&policy, &policy_path),
                    at.unwrap_or_else(jiff::Timestamp::now),
                )?;
                Ok(Verifier {
                    inner: Arc::new(inner),
                    now: at,
                })
            })
        });
        loaded.map_err(|failure| to_py_error(py, failure))
    }

    /// `decision::decide` over a bundle and its signature (`None`: unsigned).
    #[pyo3(signature = (bundle, signature, *, allow_unsigned=false))]
    fn verify_bundle(
        &self,
        py: Python<'_>,
        bundle: PyBackedBytes,
        signature: Option<Data>,
        allow_unsigned: bool,
    ) -> PyResult<Py<PyAny>> {
        let signature = signature.map(Data::into_bytes);
        call(py, || {
            self.inner.verify_bundle(
                &bundle,
                signature.as_deref(),
                allow_unsigned,
                self.now.unwrap_or_else(jiff::Timestamp::now),
            )
        })
    }

    /// `decision::decide` over a Skill folder signed with OpenSSF model-signing.
    #[pyo3(signature = (path, *, signature_path=None, allow_unsigned=false))]
    fn verify_oms_folder(
        &self,
        py: Python<'_>,
        path: PathBuf,
        signature_path: Option<PathBuf>,
        allow_unsigned: bool,
    ) -> PyResult<Py<PyAny>> {
        call(py, || {
            self.inner.verify_oms_folder(
                &path,
                signature_path.as_deref(),
                allow_unsigned,
                self.now.unwrap_or_else(jiff::Timestamp::now),
            )
        })
    }

    /// `registry::check_upload`: the accepted upload as a dict, or `SkillsigError`.
    fn check_upload(
        &self,
        py: Python<'_>,
        bundle: PyBackedBytes,
        signature: Data,
    ) -> PyResult<Py<PyAny>> {
        let signature = signature.into_bytes();
        call(py, || {
            self.inner.check_upload(
                &bundle,
                &signature,
                self.now.unwrap_or_else(jiff::Timestamp::now),
            )
        })
    }
}

/// `decision::decide` over a bundle and its signature (`None`: unsigned, accepted only with
/// `allow_unsigned` and a policy that allows it).
#[pyfunction]
#[pyo3(signature = (bundle, signature, *, trust_root=None, trust_root_path=None, policy=None, policy_path=None, now=None, allow_unsigned=false))]
#[allow(clippy::too_many_arguments)]
fn verify_bundle(
    py: Python<'_>,
    bundle: PyBackedBytes,
    signature: Option<Data>,
    trust_root: Option<String>,
    trust_root_path: Option<PathBuf>,
    policy: Option<String>,
    policy_path: Option<PathBuf>,
    now: Option<String>,
    allow_unsigned: bool,
) -> PyResult<Py<PyAny>> {
    let signature = signature.map(Data::into_bytes);
    call(py, || {
        let now = timestamp(&now)?;
        shared::Verifier::load(
            source(&trust_root, &trust_root_path),
            source(&policy, &policy_path),
            now,
        )?
        .verify_bundle(&bundle, signature.as_deref(), allow_unsigned, now)
    })
}

/// `decision::decide` over a Skill folder signed with OpenSSF model-signing (`skill.oms.sig`,
/// or `signature_path`).
#[pyfunction]
#[pyo3(signature = (path, *, signature_path=None, trust_root=None, trust_root_path=None, policy=None, policy_path=None, now=None, allow_unsigned=false))]
#[allow(clippy::too_many_arguments)]
fn verify_oms_folder(
    py: Python<'_>,
    path: PathBuf,
    signature_path: Option<PathBuf>,
    trust_root: Option<String>,
    trust_root_path: Option<PathBuf>,
    policy: Option<String>,
    policy_path: Option<PathBuf>,
    now: Option<String>,
    allow_unsigned: bool,
) -> PyResult<Py<PyAny>> {
    call(py, || {
        let now = timestamp(&now)?;
        shared::Verifier::load(
            source(&trust_root, &trust_root_path),
            source(&policy, &policy_path),
            now,
        )?
        .verify_oms_folder(&path, signature_path.as_deref(), allow_unsigned, now)
    })
}

/// `registry::check_upload` with a trust root and policy loaded for this one call.
#[pyfunction]
#[pyo3(signature = (bundle, signature, *, trust_root=None, trust_root_path=None, policy=None, policy_path=None, now=None))]
#[allow(clippy::too_many_arguments)]
fn check_upload(
    py: Python<'_>,
    bundle: PyBackedBytes,
    signature: Data,
    trust_root: Option<String>,
    trust_root_path: Option<PathBuf>,
    policy: Option<String>,
    policy_path: Option<PathBuf>,
    now: Option<String>,
) -> PyResult<Py<PyAny>> {
    let signature = signature.into_bytes();
    call(py, || {
        let now = timestamp(&now)?;
        shared::Verifier::load(
            source(&trust_root, &trust_root_path),
            source(&policy, &policy_path),
            now,
        )?
        .check_upload(&bundle, &signature, now)
    })
}

/// Files in memory (path → content), or a `.skill` bundle.
#[derive(FromPyObject)]
enum ScanSubject {
    Bundle(PyBackedBytes),
    Files(std::collections::HashMap<String, Data>),
}

/// The static scanner over a `.skill` bundle or files in memory: the report as a dict.
#[pyfunction]
#[pyo3(signature = (subject, *, fail_on=None))]
fn scan(py: Python<'_>, subject: ScanSubject, fail_on: Option<String>) -> PyResult<Py<PyAny>> {
    call(py, || match subject {
        ScanSubject::Bundle(bundle) => shared::scan_bundle(&bundle, fail_on.as_deref()),
        ScanSubject::Files(files) => shared::scan_files(
            files
                .into_iter()
                .map(|(path, data)| (path, data.into_bytes()))
                .collect(),
            fail_on.as_deref(),
        ),
    })
}

/// What a bundle holds, after every archive-safety check (no signature is checked).
#[pyfunction]
fn inspect(py: Python<'_>, bundle: PyBackedBytes) -> PyResult<Py<PyAny>> {
    call(py, || shared::inspect(&bundle))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("SkillsigError", m.py().get_type::<SkillsigError>())?;
    m.add_class::<Verifier>()?;
    m.add_function(wrap_pyfunction!(check_upload, m)?)?;
    m.add_function(wrap_pyfunction!(verify_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(verify_oms_folder, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    Ok(())
}
