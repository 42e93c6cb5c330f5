//! Getting a bundle and its signature: from a file, or over HTTPS (plain HTTP only to loopback
//! addresses, for local mirrors and tests) with timeouts and a size cap enforced while reading.
//!
//! One transport rule, `check_url`, applies to the first URL and to every redirect hop: https
//! anywhere, plain http only to loopback, and never from https down to plain http. Every HTTP
//! read (bundles, signatures, a registry served over HTTP) goes through `get` and its client.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::signing::envelope::{FILE_SUFFIX, MAX_SIGNATURE_FILE_BYTES};

/// Environment variable that overrides the network timeout, in seconds.
pub const TIMEOUT_ENV: &str = "SKILLSIG_HTTP_TIMEOUT_SECS";
/// How many redirects one read follows at most.
pub const MAX_REDIRECTS: usize = 5;

/// A fetched bundle.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The `.skill` bytes.
    pub bundle: Vec<u8>,
    /// The signature file, when there is one.
    pub signature: Option<Vec<u8>>,
    /// Where it came from (a path or URL), for the receipt.
    pub origin: String,
    /// What a registry's index promised these bytes are ([`crate::registry::Resolved`]);
    /// [`super::approve`] refuses a verified bundle that is anything else. `None` for a bundle
    /// fetched by path or URL, which promises nothing beyond its own manifest.
    pub expected: Option<Promised>,
}

/// What a registry's index entry promised a bundle is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promised {
    /// The Skill: the namespace and name asked for, at the entry's version.
    pub skill: crate::skill::SkillId,
    /// The entry's tree digest, `sha256:<hex>` (what `skillsig.lock` records).
    pub tree_digest: String,
}

/// Why a bundle could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Plain http to a host that is not loopback.
    #[error("{0}: plain http is allowed only to loopback addresses; use https")]
    InsecureUrl(String),
    /// Neither an https URL nor a file path.
    #[error("{0}: not a URL skillsig can fetch (https:// or a file path)")]
    BadUrl(String),
    /// A redirect from https to plain http.
    #[error("{0}: a redirect from https down to plain http is refused")]
    Downgrade(String),
    /// A redirect hop the transport rules refuse; nothing from it was read.
    #[error("{from}: refused a redirect to {refused}")]
    Redirect {
        /// The URL that redirected.
        from: String,
        /// Why the hop is refused.
        refused: Box<FetchError>,
    },
    /// More redirects than [`MAX_REDIRECTS`].
    #[error("{0}: more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects(String),
    /// The request failed.
    #[error("{url}: {message}")]
    Http {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url}: the server answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The server sent something that is not a bundle.
    #[error("{url}: the server sent {content_type:?}, not a bundle")]
    ContentType {
        /// The URL.
        url: String,
        /// The content type it sent.
        content_type: String,
    },
    /// A download over its size limit; reading stopped there.
    #[error("{what}: larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was fetched.
        what: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A local file cannot be read.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
}

impl FetchError {
    /// A stable machine-readable code (kebab-case), for programs and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::InsecureUrl(..) => "fetch-insecure-url",
            FetchError::BadUrl(..) => "fetch-bad-url",
            FetchError::Downgrade(..) => "fetch-downgrade",
            FetchError::Redirect { refused, .. } => refused.code(),
            FetchError::TooManyRedirects(..) => "fetch-too-many-redirects",
            FetchError::Http { .. } => "fetch-http",
            FetchError::Status { .. } => "fetch-status",
            FetchError::ContentType { .. } => "fetch-content-type",
            FetchError::TooLarge { .. } => "fetch-too-large",
            FetchError::File { .. } => "fetch-file",
        }
    }
}

fn timeout() -> Duration {
    let secs = std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// Fetches `source` (a path or URL) and its signature (`signature`, else `<source>.sigstore.json`
/// when it exists), refusing anything over `limit` bytes.
pub fn fetch(source: &str, signature: Option<&str>, limit: u64) -> Result<Fetched, FetchError> {
    if source.contains("://") {
        let client = client()?;
        let bundle = get(&client, source, limit, true)?.ok_or_else(|| FetchError::Status {
            url: source.into(),
            status: 404,
        })?;
        let signature_url = signature
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{source}{FILE_SUFFIX}"));
        let signature = if signature_url.contains("://") {
            get(&client, &signature_url, MAX_SIGNATURE_FILE_BYTES, false)?
        } else {
            Some(read_file(
                Path::new(&signature_url),
                MAX_SIGNATURE_FILE_BYTES,
            )?)
        };
        return Ok(Fetched {
            bundle,
            signature,
            origin: source.into(),
            expected: None,
        });
    }
    let bundle = read_file(Path::new(source), limit)?;
    let signature = match signature {
        Some(path) => Some(read_file(Path::new(path), MAX_SIGNATURE_FILE_BYTES)?),
        None => {
            let beside = format!("{source}{FILE_SUFFIX}");
            if Path::new(&beside).exists() {
                Some(read_file(Path::new(&beside), MAX_SIGNATURE_FILE_BYTES)?)
            } else {
                None
            }
        }
    };
    let origin = std::fs::canonicalize(source)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| source.into());
    Ok(Fetched {
        bundle,
        signature,
        origin,
        expected: None,
    })
}

/// GETs `url` (https, or http to loopback), reading at most `limit` bytes; `Ok(None)` on 404.
/// Any content type is accepted: for metadata whose hash the caller checks.
pub fn get_limited(url: &str, limit: u64) -> Result<Option<Vec<u8>>, FetchError> {
    get(&client()?, url, limit, false)
}

fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, FetchError> {
    crate::fsutil::read_limited(path, limit).map_err(|err| match err {
        crate::fsutil::ReadLimitedError::TooLarge(limit) => FetchError::TooLarge {
            what: path.display().to_string(),
            limit,
        },
        crate::fsutil::ReadLimitedError::Io(e) => FetchError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        },
    })
}

fn client() -> Result<reqwest::blocking::Client, FetchError> {
    // Every hop is checked by the same rule as the first URL, before it is requested.
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        let Some(from) = attempt.previous().last().cloned() else {
            return attempt.follow();
        };
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(FetchError::TooManyRedirects(from.to_string()));
        }
        match check_hop(&from, attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    });
    reqwest::blocking::Client::builder()
        .connect_timeout(timeout())
        .timeout(timeout())
        .redirect(redirects)
        .user_agent(concat!("skillsig/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| FetchError::Http {
            url: String::new(),
            message: e.to_string(),
        })
}

/// Whether a URL may be fetched: https anywhere, http only to loopback.
fn check_url(url: &str) -> Result<(), FetchError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| FetchError::BadUrl(url.into()))?;
    check_parsed(&parsed)
}

/// The transport rule for one parsed URL: https anywhere, http only to a loopback address
/// (`localhost` exactly, 127.0.0.0/8, `::1`).
fn check_parsed(url: &reqwest::Url) -> Result<(), FetchError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(FetchError::InsecureUrl(url.to_string()))
            }
        }
        _ => Err(FetchError::BadUrl(url.to_string())),
    }
}

/// Whether a redirect from `from` to `to` may be followed: `to` passes [`check_parsed`], and a
/// hop never leaves https for plain http (not even to loopback).
fn check_hop(from: &reqwest::Url, to: &reqwest::Url) -> Result<(), FetchError> {
    let refused = |why: FetchError| FetchError::Redirect {
        from: from.to_string(),
        refused: Box::new(why),
    };
    if from.scheme() == "https" && to.scheme() != "https" {
        return Err(refused(FetchError::Downgrade(to.to_string())));
    }
    check_parsed(to).map_err(refused)
}

/// The refusal the redirect policy raised, if that is why a request failed.
fn refused_redirect(error: &reqwest::Error) -> Option<FetchError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<FetchError>() {
            return Some(refused.clone());
        }
        current = e.source();
    }
    None
}

/// GETs `url`, reading at most `limit` bytes; `Ok(None)` on 404 when `required` is false.
fn get(
    client: &reqwest::blocking::Client,
    url: &str,
    limit: u64,
    required: bool,
) -> Result<Option<Vec<u8>>, FetchError> {
    check_url(url)?;
    let http = |e: reqwest::Error| FetchError::Http {
        url: url.into(),
        message: if timed_out(&e) {
            "the server did not answer in time".into()
        } else {
            e.to_string()
        },
    };
    let response = client
        .get(url)
        .send()
        .map_err(|e| refused_redirect(&e).unwrap_or_else(|| http(e)))?;
    let status = response.status().as_u16();
    if status == 404 && !required {
        return Ok(None);
    }
    if status != 200 {
        return Err(FetchError::Status {
            url: url.into(),
            status,
        });
    }
    if let Some(length) = response.content_length()
        && length > limit
    {
        return Err(FetchError::TooLarge {
            what: url.into(),
            limit,
        });
    }
    if required {
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let acceptable = content_type.is_empty()
            || [
                "application/octet-stream",
                "application/gzip",
                "application/x-gzip",
                "application/vnd.skillsig",
            ]
            .iter()
            .any(|t| content_type.starts_with(t));
        if !acceptable {
            return Err(FetchError::ContentType {
                url: url.into(),
                content_type,
            });
        }
    }
    let mut bytes = Vec::new();
    response
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FetchError::Http {
            url: url.into(),
            message: if timed_out(&e) {
                "the server did not answer in time (it stalled while sending)".into()
            } else {
                e.to_string()
            },
        })?;
    if bytes.len() as u64 > limit {
        return Err(FetchError::TooLarge {
            what: url.into(),
            limit,
        });
    }
    Ok(Some(bytes))
}

/// Whether an error, or any error behind it, is a timeout.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        if let Some(r) = e.downcast_ref::<reqwest::Error>()
            && r.is_timeout()
        {
            return true;
        }
        if e.to_string().contains("timed out") {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://skills.example.com/a.skill").is_ok());
        assert!(check_url("http://127.0.0.1:8080/a.skill").is_ok());
        assert!(check_url("http://[::1]:8080/a.skill").is_ok());
        assert!(check_url("http://localhost/a.skill").is_ok());
        assert_eq!(
            check_url("http://skills.example.com/a.skill"),
            Err(FetchError::InsecureUrl(
                "http://skills.example.com/a.skill".into()
            ))
        );
        assert!(matches!(
            check_url("ftp://x/a.skill"),
            Err(FetchError::BadUrl(_))
        ));
    }

    #[test]
    fn every_redirect_hop_obeys_the_same_rule() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        let loopback = url("http://127.0.0.1:8080/a.skill");
        let secure = url("https://skills.example.com/a.skill");
        for allowed in [
            "https://cdn.example.net/a.skill",
            "http://localhost:9000/a.skill",
            "http://[::1]:9000/a.skill",
        ] {
            assert_eq!(check_hop(&loopback, &url(allowed)), Ok(()), "{allowed}");
        }
        assert_eq!(
            check_hop(&secure, &url("https://cdn.example.net/a.skill")),
            Ok(())
        );
        for elsewhere in [
            "http://skills.example.com/a.skill",
            "http://localhost.:9000/a.skill",
            "http://[::ffff:127.0.0.1]:9000/a.skill",
            "http://0.0.0.0:9000/a.skill",
        ] {
            assert!(
                matches!(
                    check_hop(&loopback, &url(elsewhere)),
                    Err(FetchError::Redirect { refused, .. }) if matches!(*refused, FetchError::InsecureUrl(_))
                ),
                "{elsewhere}"
            );
        }
        assert!(matches!(
            check_hop(&loopback, &url("file:///etc/passwd")),
            Err(FetchError::Redirect { refused, .. }) if matches!(*refused, FetchError::BadUrl(_))
        ));
        // Never down from https, not even to loopback.
        assert!(matches!(
            check_hop(&secure, &url("http://127.0.0.1:8080/a.skill")),
            Err(FetchError::Redirect { refused, .. }) if matches!(*refused, FetchError::Downgrade(_))
        ));
    }
}
