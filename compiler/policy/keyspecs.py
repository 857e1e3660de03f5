"""KMS key specs, the key usages each allows, and the cryptographic operations each usage can
perform (`data/key_specs.json`, with its sources).

>>> default_usage("RSA_2048") is None, default_usage("HMAC_256")
(True, 'GENERATE_VERIFY_MAC')
>>> sorted(unusable("RSA_2048", "ENCRYPT_DECRYPT", ["kms:GenerateDataKey*", "kms:Decrypt"]))
['kms:GenerateDataKey*']
>>> unusable("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ["kms:*", "kms:DescribeKey", "kms:Get*"])
[]
>>> unusable("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ["kms:Sign", "kms:GetPublicKey"])
['kms:Sign', 'kms:GetPublicKey']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .catalog import expand_actions


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Spec(_Data):
    family: Literal["SYMMETRIC_DEFAULT", "ASYMMETRIC", "HMAC"]
    usages: list[str]
    automatic_rotation: bool
    note: str | None = None


class _SpecCatalog(_Data):
    note: str
    retrieved: str
    source: list[str]
    restricted: list[str]
    usages: dict[str, list[str]]
    specs: dict[str, _Spec]


_DATA = _SpecCatalog.model_validate_json(
    (Path(__file__).with_name("data") / "key_specs.json").read_text(encoding="utf-8")
)
KEY_SPECS: tuple[str, ...] = tuple(_DATA.specs)
KEY_USAGES: tuple[str, ...] = tuple(sorted({u for s in _DATA.specs.values() for u in s.usages}))
RESTRICTED: frozenset[str] = frozenset(_DATA.restricted)
_ALLOWED = MappingProxyType({k: frozenset(v) for k, v in _DATA.usages.items()})


def usages(spec: str) -> tuple[str, ...]:
    """The key usages KMS accepts for `spec` (CreateKey `KeyUsage`)."""
    return tuple(_DATA.specs[spec].usages)


def default_usage(spec: str) -> str | None:
    """The usage of a spec that has only one; None when the vendor must say which."""
    allowed = usages(spec)
    return allowed[0] if len(allowed) == 1 else None


def rotates(spec: str) -> bool:
    """Whether KMS can rotate key material of this spec automatically (symmetric only)."""
    return _DATA.specs[spec].automatic_rotation


def allowed_actions(spec: str, usage: str) -> frozenset[str]:
    """Cryptographic permissions a key of `spec` and `usage` can exercise."""
    return _ALLOWED[f"{_DATA.specs[spec].family}/{usage}"]


def unusable(spec: str, usage: str, actions: Iterable[str]) -> list[str]:
    """The `Action` entries that name only cryptographic operations a key of `spec` and `usage`
    cannot perform (a wildcard that also matches a usable one, such as `kms:*`, is fine)."""
    ok = allowed_actions(spec, usage)
    out = []
    for entry in actions:
        ops = expand_actions(entry)
        # Operations outside RESTRICTED (metadata, grants, administration) work on any key.
        if ops and not (ops - RESTRICTED) and not ops & ok:
            out.append(entry)
    return out
