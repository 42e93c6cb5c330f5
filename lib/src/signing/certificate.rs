//! X.509 certificates in PEM, as trust roots pin them and OMS signatures carry them.
//!
//! Below both [`crate::trust`] (which checks a pinned CA when it loads) and [`crate::oms`]
//! (which checks a chain against it), so neither has to reach into the other.

use x509_cert::Certificate;
use x509_cert::der::Decode;

/// The DER of a `-----BEGIN CERTIFICATE-----` PEM.
pub fn pem_certificate(pem: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN CERTIFICATE-----")
        .skip(1)
        .take_while(|l| *l != "-----END CERTIFICATE-----")
        .collect();
    if body.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| e.to_string())?;
    Certificate::from_der(&der).map_err(|e| e.to_string())?;
    Ok(der)
}
