//! Arguments and helpers shared by `sign`, `verify` and their forms for Skill folders with
//! OpenSSF model-signing signatures (`oms.rs`), so those modules need not import each other.

use std::path::{Path, PathBuf};

use clap::Args;
use skillsig::policy::{self, Policy};

use crate::failure::Failure;
use crate::files;
use crate::keyless::CertificateArgs;

const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  verified
  1  refused: no signature, not a bundle, or a check failed (the message names it)
  2  usage, configuration or I/O error (a missing trust root, an unreadable file)";

/// Sign a bundle: checks that the bundle matches its manifest, then writes
/// `<bundle>.sigstore.json`, a Sigstore bundle v0.3 holding a DSSE envelope over the manifest.
/// Without `<bundle>.manifest.json` beside it (or --manifest), the manifest is recomputed from
/// the bundle's own files, so the `.skill` file alone can be signed. What the code uses but
/// skillsig.toml does not declare is printed as a warning (--strict refuses).
///
/// With --key, an ed25519 key signs; its passphrase comes from SKILLSIG_PASSWORD, or is asked
/// for when stdin is a terminal.
///
/// With --keyless, Sigstore signs with your OIDC identity: the identity token comes from
/// --identity-token, else GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, which a job
/// gets with `permissions: id-token: write`), else SIGSTORE_ID_TOKEN, else a browser login when
/// stdin is a terminal. Fulcio certifies an ephemeral key for that identity, the signature is
/// logged in Rekor, and the resulting bundle is verified against the Sigstore trusted root
/// before it is written. The services come from a Sigstore signing config: the public-good one
/// built in, or --signing-config. Consumers then trust the identity the command prints, with
/// `skillsig trust add-publisher … --identity … --issuer …`.
#[derive(Args)]
#[command(after_help = crate::EXIT_CODES)]
pub struct SignArgs {
    /// The `.skill` file; with --format oms, the Skill folder.
    pub bundle: PathBuf,
    /// What to write: a skillsig signature over the manifest (with permissions), or an OpenSSF
    /// model-signing signature over a Skill folder (`DIR/skill.oms.sig`, which the
    /// `model_signing` tools verify; it carries no permissions).
    #[arg(long, value_enum, default_value_t = SignatureFormat::Skillsig)]
    pub format: SignatureFormat,
    /// The private key (PKCS#8 PEM from `skillsig keygen`; for --format oms also an ECDSA
    /// P-256 PKCS#8 key, the kind `model_signing` verifies).
    #[arg(long, required_unless_present = "keyless", conflicts_with = "keyless")]
    pub key: Option<PathBuf>,
    /// Sign with a Sigstore certificate for your OIDC identity instead of a key.
    #[arg(long)]
    pub keyless: bool,
    /// The OIDC identity token for --keyless [default: from the environment; see above].
    #[arg(long, value_name = "TOKEN", requires = "keyless")]
    pub identity_token: Option<String>,
    /// A Sigstore signing config naming Fulcio, Rekor and the OIDC provider
    /// [default: the public-good services].
    #[arg(long, value_name = "FILE", requires = "keyless")]
    pub signing_config: Option<PathBuf>,
    /// The Sigstore trusted root the new signature is checked against
    /// [default: the public-good root].
    #[arg(long, value_name = "FILE", requires = "keyless")]
    pub sigstore_trusted_root: Option<PathBuf>,
    /// The manifest [default: BUNDLE.manifest.json if it exists, else recomputed from the
    /// bundle].
    #[arg(long)]
    pub manifest: Option<PathBuf>,
    /// Refuse to sign when the code uses what skillsig.toml does not declare.
    #[arg(long)]
    pub strict: bool,
    /// Where to write the signature [default: BUNDLE.sigstore.json].
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The signature formats `sign` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SignatureFormat {
    Skillsig,
    Oms,
}

pub fn beside(bundle: &Path, suffix: &str) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Verify a signed bundle against the trust root, then show the publisher, the key or
/// certificate identity, and the permissions the Skill asks for.
///
/// Checks, in order, stopping at the first failure: the trust root (signatures, expiry, no
/// rollback); the signature file parses; the signing key is in the trust root; the signature
/// verifies; the key is not revoked and is within its validity window; its publisher may sign
/// the namespace. A keyless signature (made with `sign --keyless`) is checked offline against
/// the Sigstore trusted root instead (certificate chain, SCT, signature, Rekor inclusion proof
/// and signed checkpoint, log time inside the certificate's validity), and its certificate
/// identity must be a publisher's identity in the trust root, which may sign the namespace —
/// or, for ad-hoc checks without a trust root, the identity given with
/// --certificate-identity[-regexp] and --certificate-oidc-issuer.
///
/// A Skill *folder* with an OpenSSF model-signing signature (`skill.oms.sig`, as NVIDIA ships)
/// is verified by the OMS rules instead: every file's digest, nothing extra or missing, the
/// subject digest, the signature; the signer must chain to a CA a publisher pins (`trust
/// add-ca`), be a publisher key, or a Sigstore identity. Such a signature declares no
/// permissions: the scan's capabilities are reported as undeclared, and the policy's
/// `require_declared_permissions` decides. Then: every file matches the manifest (no extra, missing or changed file, no
/// exec-bit change) and the tree digest recomputes; the bundle's own name, version and
/// permissions equal the manifest's. Then the install policy: the publisher and trust root
/// version, the permissions the Skill declares (deny and allow lists), and a scan of the
/// verified files (findings at the policy's `block_at` or above, or in its `rules.deny`, refuse).
/// Nothing is extracted or written, except that the trust root's version is remembered for
/// rollback protection.
#[derive(Args)]
#[command(after_help = VERIFY_EXIT_CODES)]
pub struct VerifyArgs {
    /// The `.skill` file, or a Skill folder signed with OpenSSF model-signing (`skill.oms.sig`).
    pub bundle: PathBuf,
    /// The signature file [default: BUNDLE.sigstore.json; for a folder, DIR/skill.oms.sig].
    #[arg(long)]
    pub signature: Option<PathBuf>,
    /// The trust root [default: $SKILLSIG_TRUST_ROOT, else trust.json in the config folder].
    #[arg(long = "trust-root", value_name = "FILE")]
    pub trust_root: Option<PathBuf>,
    /// The install policy [default: $SKILLSIG_POLICY, else policy.toml in the config folder,
    /// else the built-in default: signature required, findings at high or above block].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub certificate: CertificateArgs,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Reads the policy: the given file, else the default file if it exists, else the default.
pub fn load_policy(given: Option<&std::path::Path>) -> Result<(Policy, Option<PathBuf>), Failure> {
    let path = match given {
        Some(path) => Some(path.to_owned()),
        None => policy::default_path().filter(|p| p.exists()),
    };
    let Some(path) = path else {
        return Ok((Policy::default(), None));
    };
    let bytes = files::read_limited(&path, 1024 * 1024)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::error("policy", format!("{}: not UTF-8 text", path.display())))?;
    let policy = Policy::from_toml(&text)
        .map_err(|e| Failure::error("policy", format!("{}: {e}", path.display())))?;
    Ok((policy, Some(path)))
}

pub fn policy_refusal(what: &str, violations: &[policy::Violation]) -> Failure {
    let list: Vec<String> = violations
        .iter()
        .map(|v| format!("[{}] {}", v.code, v.message))
        .collect();
    Failure::refused("policy", format!("{what}:\n{}", list.join("\n"))).with_json(
        "violations",
        serde_json::to_value(violations).expect("violations serialize"),
    )
}
