//! A registry read over HTTP(S): any static file host serving the registry's folder.
//! Read-only; https anywhere, plain http only to loopback; every read bounded.

use super::store::{Store, StoreError};
use crate::install::fetch::{self, FetchError};

/// A registry at a base URL.
#[derive(Debug, Clone)]
pub struct HttpStore {
    base: String,
}

impl HttpStore {
    /// A read-only registry served under `base` (`https://…`, or `http://` to loopback).
    pub fn new(base: &str) -> HttpStore {
        HttpStore {
            base: base.trim_end_matches('/').to_owned(),
        }
    }
}

impl Store for HttpStore {
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        if path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(StoreError::BadPath(path.into()));
        }
        let url = format!("{}/{path}", self.base);
        match fetch::get_limited(&url, limit) {
            Ok(Some(bytes)) => Ok(bytes),
            Ok(None) => Err(StoreError::NotFound { path: path.into() }),
            Err(FetchError::TooLarge { .. }) => Err(StoreError::TooLarge {
                path: path.into(),
                limit,
            }),
            Err(e) => Err(StoreError::Io {
                path: url,
                why: e.to_string(),
            }),
        }
    }

    fn write(&self, path: &str, _bytes: &[u8]) -> Result<(), StoreError> {
        Err(StoreError::Io {
            path: path.into(),
            why: "a registry served over HTTP is read-only here; publish to its folder".into(),
        })
    }

    fn lock(&self) -> Result<Option<Box<dyn Send>>, StoreError> {
        Err(StoreError::Io {
            path: self.base.clone(),
            why: "a registry served over HTTP is read-only here".into(),
        })
    }
}

/// The store a registry address names: an http(s) URL (read-only), an object store URL
/// (`s3://`, `gs://`, `az://`, `memory:///`, `file:///`), or a folder.
pub fn open(address: &str) -> Result<Box<dyn Store>, StoreError> {
    const OBJECT_SCHEMES: &[&str] = &[
        "s3://",
        "s3a://",
        "gs://",
        "az://",
        "abfs://",
        "abfss://",
        "memory://",
        "file://",
    ];
    if address.starts_with("https://") || address.starts_with("http://") {
        Ok(Box::new(HttpStore::new(address)))
    } else if OBJECT_SCHEMES.iter().any(|s| address.starts_with(s)) {
        Ok(Box::new(super::ObjectStoreRegistry::from_url(address)?))
    } else {
        Ok(Box::new(super::DirStore::new(address)))
    }
}
