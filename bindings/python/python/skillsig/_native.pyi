# Types of the compiled module; the results are the JSON shapes that skillsig/__init__.py turns
# into dataclasses.
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

_Data = Union[bytes, bytearray, str]
_Path = Union[str, os.PathLike[str]]

class SkillsigError(Exception):
    code: str
    exit: int
    violations: List[Tuple[str, str]]

class Verifier:
    def __init__(
        self,
        *,
        trust_root: Optional[str] = ...,
        trust_root_path: Optional[_Path] = ...,
        policy: Optional[str] = ...,
        policy_path: Optional[_Path] = ...,
        now: Optional[str] = ...,
    ) -> None: ...
    def check_upload(self, bundle: Union[bytes, bytearray], signature: _Data) -> Dict[str, Any]: ...
    def verify_bundle(
        self, bundle: Union[bytes, bytearray], signature: Optional[_Data], *, allow_unsigned: bool = ...
    ) -> Dict[str, Any]: ...
    def verify_oms_folder(
        self, path: _Path, *, signature_path: Optional[_Path] = ..., allow_unsigned: bool = ...
    ) -> Dict[str, Any]: ...

def check_upload(
    bundle: Union[bytes, bytearray],
    signature: _Data,
    *,
    trust_root: Optional[str] = ...,
    trust_root_path: Optional[_Path] = ...,
    policy: Optional[str] = ...,
    policy_path: Optional[_Path] = ...,
    now: Optional[str] = ...,
) -> Dict[str, Any]: ...
def verify_bundle(
    bundle: Union[bytes, bytearray],
    signature: Optional[_Data],
    *,
    trust_root: Optional[str] = ...,
    trust_root_path: Optional[_Path] = ...,
    policy: Optional[str] = ...,
    policy_path: Optional[_Path] = ...,
    now: Optional[str] = ...,
    allow_unsigned: bool = ...,
) -> Dict[str, Any]: ...
def verify_oms_folder(
    path: _Path,
    *,
    signature_path: Optional[_Path] = ...,
    trust_root: Optional[str] = ...,
    trust_root_path: Optional[_Path] = ...,
    policy: Optional[str] = ...,
    policy_path: Optional[_Path] = ...,
    now: Optional[str] = ...,
    allow_unsigned: bool = ...,
) -> Dict[str, Any]: ...
def scan(subject: Union[bytes, bytearray, Mapping[str, _Data]], *, fail_on: Optional[str] = ...) -> Dict[str, Any]: ...
def inspect(bundle: Union[bytes, bytearray]) -> Dict[str, Any]: ...
