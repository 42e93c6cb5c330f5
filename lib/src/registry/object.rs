//! A registry in object storage (S3, GCS, Azure Blob, or a local or in-memory store), through
//! the `object_store` crate, so a registry that outgrows one disk runs on a bucket.
//!
//! Content-addressed files are written with create-if-absent; the publish lock is an object
//! created with create-if-absent and deleted when the publish ends, so two publishers on two
//! machines cannot both hold it (object stores that support conditional writes: S3 since
//! 2024, GCS, Azure, and the local and in-memory stores). See docs/registry.md for settings.

use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use super::store::{Store, StoreError};

/// A registry under `prefix` in an object store.
#[derive(Debug, Clone)]
pub struct ObjectStoreRegistry {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    runtime: Arc<tokio::runtime::Runtime>,
}

const LOCK_OBJECT: &str = ".publish.lock";

impl ObjectStoreRegistry {
    /// A registry in `store` under `prefix`.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Result<Self, StoreError> {
        // Several threads may call in at once (a registry serves many), so a multi-thread
        // runtime, whose `block_on` any thread may use.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| StoreError::Io {
                path: prefix.into(),
                why: e.to_string(),
            })?;
        Ok(ObjectStoreRegistry {
            store,
            prefix: ObjectPath::from(prefix),
            runtime: Arc::new(runtime),
        })
    }

    /// A registry at `url` (`s3://bucket/prefix`, `gs://…`, `az://…`, `file:///…`,
    /// `memory:///`), configured from the environment as `object_store` documents
    /// (`AWS_ACCESS_KEY_ID`, `AWS_REGION`, `GOOGLE_SERVICE_ACCOUNT`, `AZURE_STORAGE_ACCOUNT_NAME`, …).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let bad = |why: String| StoreError::Io {
            path: url.into(),
            why,
        };
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let options: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| {
                k.starts_with("AWS_") || k.starts_with("GOOGLE_") || k.starts_with("AZURE_")
            })
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let (store, prefix) =
            object_store::parse_url_opts(&parsed, options).map_err(|e| bad(e.to_string()))?;
        Self::new(Arc::from(store), prefix.as_ref())
    }

    fn location(&self, path: &str) -> Result<ObjectPath, StoreError> {
        if path.is_empty()
            || path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(StoreError::BadPath(path.into()));
        }
        Ok(self.prefix.clone().join_all_parts(path))
    }

    fn io(path: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError::Io {
            path: path.into(),
            why: e.to_string(),
        }
    }
}

trait JoinAll {
    fn join_all_parts(self, path: &str) -> ObjectPath;
}

impl JoinAll for ObjectPath {
    fn join_all_parts(self, path: &str) -> ObjectPath {
        path.split('/').fold(self, |p, part| p.clone().join(part))
    }
}

struct ObjectLock {
    registry: ObjectStoreRegistry,
    location: ObjectPath,
}

impl Drop for ObjectLock {
    fn drop(&mut self) {
        let _ = self
            .registry
            .runtime
            .block_on(self.registry.store.delete(&self.location));
    }
}

impl Store for ObjectStoreRegistry {
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        let location = self.location(path)?;
        self.runtime.block_on(async {
            let result = match self.store.get(&location).await {
                Ok(result) => result,
                Err(object_store::Error::NotFound { .. }) => {
                    return Err(StoreError::NotFound { path: path.into() });
                }
                Err(e) => return Err(Self::io(path, e)),
            };
            // The size is known before the body is read: a file larger than declared is
            // refused without downloading it.
            if result.meta.size > limit {
                return Err(StoreError::TooLarge {
                    path: path.into(),
                    limit,
                });
            }
            let bytes = result.bytes().await.map_err(|e| Self::io(path, e))?;
            if bytes.len() as u64 > limit {
                return Err(StoreError::TooLarge {
                    path: path.into(),
                    limit,
                });
            }
            Ok(bytes.to_vec())
        })
    }

    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let location = self.location(path)?;
        let payload = PutPayload::from(bytes.to_vec());
        self.runtime
            .block_on(self.store.put(&location, payload))
            .map(|_| ())
            .map_err(|e| Self::io(path, e))
    }

    fn lock(&self) -> Result<Option<Box<dyn Send>>, StoreError> {
        let location = self.location(LOCK_OBJECT)?;
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        let created = self.runtime.block_on(self.store.put_opts(
            &location,
            PutPayload::from(b"publishing\n".to_vec()),
            options,
        ));
        match created {
            Ok(_) => Ok(Some(Box::new(ObjectLock {
                registry: self.clone(),
                location,
            }))),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(None),
            Err(e) => Err(Self::io(LOCK_OBJECT, e)),
        }
    }
}
