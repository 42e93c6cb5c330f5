"""skillsig for Python: check uploads of, scan and inspect AI-agent Skills in process.

Every function is one call into the Rust library (the GIL is released while it runs); this
module only turns its results into frozen dataclasses. Failures raise :class:`SkillsigError`
with ``code`` (the CLI's JSON error code, docs/error-codes.md) and ``exit`` (1 refused,
2 usage, configuration or I/O error).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _native
from ._native import SkillsigError

__all__ = [
    "AcceptedUpload",
    "Finding",
    "Inspection",
    "Permissions",
    "SkillIdentity",
    "SkillReport",
    "SkillsigError",
    "Verified",
    "Verifier",
    "check_upload",
    "inspect",
    "scan",
    "verify_bundle",
    "verify_oms_folder",
]

Data = Union[bytes, bytearray, str]
PathLike = Union[str, "os.PathLike[str]"]


def _build(cls: Any, data: Dict[str, Any]) -> Any:
    """A dataclass from the JSON-shaped dict the library returns (nested ones included)."""
    values = {}
    for f in dataclasses.fields(cls):
        value = data.get(f.name)
        nested = _NESTED.get((cls.__name__, f.name))
        if nested is not None and value is not None:
            value = [_build(nested, v) for v in value] if isinstance(value, list) else _build(nested, value)
        values[f.name] = value
    return cls(**values)


@dataclass(frozen=True)
class SkillIdentity:
    id: str
    namespace: str
    name: str
    version: str
    description: str


@dataclass(frozen=True)
class Permissions:
    network: List[str]
    exec: List[str]
    env: List[str]
    read: List[str]
    write: List[str]
    dynamic_code: bool
    native: bool


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    file: str
    line: int
    column: int
    snippet: str
    message: str
    capability: Optional[Dict[str, str]] = None
    suppressed: Optional[str] = None
    #: For a flow: where the data is read (line, column, snippet, what).
    source: Optional[Dict[str, Any]] = None


@dataclass(frozen=True)
class SkillReport:
    """One Skill's scan, as in the CLI's JSON report."""

    name: Optional[str]
    version: Optional[str]
    files: int
    unparsed: List[str]
    skipped: List[Dict[str, str]]
    declaration: str
    permissions_described: List[str]
    capabilities: List[str]
    undeclared: List[str]
    findings: List[Finding]
    dropped_findings: int
    counts: Dict[str, int]
    verdict: str


@dataclass(frozen=True)
class AcceptedUpload:
    """An upload the registry may publish: verified, and passing its policy."""

    accepted: str
    skill: SkillIdentity
    publisher: str
    tree_digest: str
    permissions: Permissions
    permissions_described: List[str]
    scan: SkillReport


@dataclass(frozen=True)
class Inspection:
    """What a bundle holds (``skillsig inspect --json`` without the path)."""

    skill: SkillIdentity
    bundle: Dict[str, Any]
    tree_digest: str
    files: List[Dict[str, Any]]
    permissions: Permissions
    permissions_described: List[str]
    openclaw: Optional[Dict[str, Any]]
    diagnostics: List[Dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Verified:
    """What the decision accepted (``skillsig verify --json``, with the whole scan).

    ``verified`` is False only for an unsigned Skill accepted with ``allow_unsigned`` and a policy
    that allows it; ``format`` is ``skillsig``, ``oms`` or ``unsigned``.
    """

    verified: bool
    format: str
    publisher: Optional[str]
    signer: Dict[str, Any]
    undeclared: List[str]
    ignored_suppressions: List[Dict[str, Any]]
    scan: SkillReport
    skill: Optional[Dict[str, Any]] = None
    tree_digest: Optional[str] = None
    files: Optional[int] = None
    permissions: Optional[Permissions] = None
    permissions_described: Optional[List[str]] = None
    trust_root: Optional[Dict[str, Any]] = None
    transparency_log: Optional[bool] = None
    subject_digest: Optional[str] = None


_NESTED = {
    ("Verified", "scan"): SkillReport,
    ("Verified", "permissions"): Permissions,
    ("SkillReport", "findings"): Finding,
    ("AcceptedUpload", "skill"): SkillIdentity,
    ("AcceptedUpload", "permissions"): Permissions,
    ("AcceptedUpload", "scan"): SkillReport,
    ("Inspection", "skill"): SkillIdentity,
    ("Inspection", "permissions"): Permissions,
}


class Verifier:
    """A trust root and a policy, loaded once for many checks (a registry's upload endpoint).

    Give the trust root as JSON text (``trust_root``) or a file (``trust_root_path``), and the
    policy as TOML text (``policy``) or a file (``policy_path``); no policy is the default one.
    ``now`` (RFC 3339) checks expiry at another time than now.
    """

    def __init__(
        self,
        *,
        trust_root: Optional[str] = None,
        trust_root_path: Optional[PathLike] = None,
        policy: Optional[str] = None,
        policy_path: Optional[PathLike] = None,
        now: Optional[str] = None,
    ) -> None:
        self._native = _native.Verifier(
            trust_root=trust_root,
            trust_root_path=trust_root_path,
            policy=policy,
            policy_path=policy_path,
            now=now,
        )

    def verify_bundle(
        self, bundle: Union[bytes, bytearray], signature: Optional[Data], *, allow_unsigned: bool = False
    ) -> Verified:
        """``decision::decide`` over a bundle and its signature (``None``: unsigned)."""
        return _build(Verified, self._native.verify_bundle(bundle, signature, allow_unsigned=allow_unsigned))

    def verify_oms_folder(
        self, path: PathLike, *, signature_path: Optional[PathLike] = None, allow_unsigned: bool = False
    ) -> Verified:
        """``decision::decide`` over a folder signed with OpenSSF model-signing (``skill.oms.sig``)."""
        return _build(
            Verified,
            self._native.verify_oms_folder(path, signature_path=signature_path, allow_unsigned=allow_unsigned),
        )

    def check_upload(self, bundle: Union[bytes, bytearray], signature: Data) -> AcceptedUpload:
        """``registry::check_upload``: raises :class:`SkillsigError` naming the check that refused."""
        return _build(AcceptedUpload, self._native.check_upload(bundle, signature))


def check_upload(
    bundle: Union[bytes, bytearray],
    signature: Data,
    *,
    trust_root: Optional[str] = None,
    trust_root_path: Optional[PathLike] = None,
    policy: Optional[str] = None,
    policy_path: Optional[PathLike] = None,
    now: Optional[str] = None,
) -> AcceptedUpload:
    """``registry::check_upload`` with a trust root and policy loaded for this one call."""
    return _build(
        AcceptedUpload,
        _native.check_upload(
            bundle,
            signature,
            trust_root=trust_root,
            trust_root_path=trust_root_path,
            policy=policy,
            policy_path=policy_path,
            now=now,
        ),
    )


def verify_bundle(
    bundle: Union[bytes, bytearray],
    signature: Optional[Data],
    *,
    trust_root: Optional[str] = None,
    trust_root_path: Optional[PathLike] = None,
    policy: Optional[str] = None,
    policy_path: Optional[PathLike] = None,
    now: Optional[str] = None,
    allow_unsigned: bool = False,
) -> Verified:
    """``decision::decide`` over a bundle and its signature (``None``: unsigned, accepted only
    with ``allow_unsigned`` and a policy whose ``allow_unsigned`` is true)."""
    return _build(
        Verified,
        _native.verify_bundle(
            bundle,
            signature,
            trust_root=trust_root,
            trust_root_path=trust_root_path,
            policy=policy,
            policy_path=policy_path,
            now=now,
            allow_unsigned=allow_unsigned,
        ),
    )


def verify_oms_folder(
    path: PathLike,
    *,
    signature_path: Optional[PathLike] = None,
    trust_root: Optional[str] = None,
    trust_root_path: Optional[PathLike] = None,
    policy: Optional[str] = None,
    policy_path: Optional[PathLike] = None,
    now: Optional[str] = None,
    allow_unsigned: bool = False,
) -> Verified:
    """``decision::decide`` over a Skill folder signed with OpenSSF model-signing
    (``skill.oms.sig`` in it, or ``signature_path``)."""
    return _build(
        Verified,
        _native.verify_oms_folder(
            path,
            signature_path=signature_path,
            trust_root=trust_root,
            trust_root_path=trust_root_path,
            policy=policy,
            policy_path=policy_path,
            now=now,
            allow_unsigned=allow_unsigned,
        ),
    )


def scan(subject: Union[bytes, bytearray, Mapping[str, Data]], *, fail_on: Optional[str] = None) -> SkillReport:
    """The static scanner over a ``.skill`` bundle (bytes) or files in memory (path → content)."""
    if isinstance(subject, Mapping):
        subject = dict(subject)
    return _build(SkillReport, _native.scan(subject, fail_on=fail_on))


def inspect(bundle: Union[bytes, bytearray]) -> Inspection:
    """What a bundle holds, after every archive-safety check (no signature is checked)."""
    return _build(Inspection, _native.inspect(bundle))


