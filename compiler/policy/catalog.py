"""The AWS KMS vocabulary: permissions, their classes, and condition keys.

The facts live in `data/kms_actions.json` and `data/condition_keys.json` (each with its
sources and retrieval note); this module loads them once and answers questions about names.
Every lookup is case-insensitive, as IAM's is; answers use AWS's canonical spelling.

>>> canonical_action("KMS:decrypt")
'kms:Decrypt'
>>> sorted(expand_actions("kms:ReEncrypt*"))
['kms:ReEncryptFrom', 'kms:ReEncryptTo']
>>> sorted(expand_actions("kms:generatedatakey*"))[:2]
['kms:GenerateDataKey', 'kms:GenerateDataKeyPair']
>>> expand_actions("*") == KMS_ACTIONS, expand_actions("logs:*")
(True, frozenset())
>>> canonical_action("kms:CreateKey") is None, "kms:CreateKey" in IAM_ONLY_ACTIONS
(True, True)
>>> is_known_condition_key("kms:EncryptionContext:channel_id")
True
>>> is_known_condition_key("kms:EncryptionContext:"), is_known_condition_key("kms:Decrypt")
(False, False)
>>> is_forbidden_in_key_policy("aws:ResourceTag/team"), is_forbidden_in_key_policy("kms:ViaService")
(True, False)
>>> is_single_valued("kms:EncryptionContext:channel_id"), is_single_valued("aws:TagKeys")
(True, False)
>>> sorted(USE_ACTIONS - CRYPTOGRAPHIC_ACTIONS)
['kms:CreateGrant']

Classes, and the decisions behind them:

- `CRYPTOGRAPHIC_ACTIONS`: the KMS Developer Guide's cryptographic operations (Encrypt, Decrypt,
  ReEncryptFrom/To, GenerateDataKey*, GenerateMac, VerifyMac, Sign, Verify, DeriveSharedSecret,
  GenerateRandom) plus the ML-KEM pair Encapsulate/Decapsulate.
- `USE_ACTIONS`: cryptographic actions plus `kms:CreateGrant`, because a principal that may create
  grants can grant itself (or anyone) any cryptographic use. `kms:RetireGrant`,
  `kms:RevokeGrant` and `kms:ListGrants` only read or remove access, so they are not "use".
- `MANAGEMENT_ACTIONS`: the console's default key-administrators statement (`kms:Create*`,
  `kms:Describe*`, ... `kms:CancelKeyDeletion`) expanded over key-policy actions, plus
  `kms:RotateKeyOnDemand`, minus `USE_ACTIONS`. It still contains `kms:PutKeyPolicy` and
  `kms:TagResource`: an administrator can rewrite the policy or tags to reach use indirectly, so
  "administrators never use" holds per statement, not against a determined administrator.
- `NON_KEY_ACTIONS`: operations the API reference authorises by IAM policy only (ListKeys,
  ListAliases, GenerateRandom, custom key stores, ListRetirableGrants); a key policy that grants
  them grants nothing. `IAM_ONLY_ACTIONS` (`kms:CreateKey`) are outside `KMS_ACTIONS` altogether.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict

# --------------------------------------------------------------------------- data files


_DATA = Path(__file__).with_name("data")


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class _Action(_Data):
    name: str
    operation: str
    authorized_by: Literal["key_policy", "iam_policy"]
    cryptographic: bool
    added: str | None = None


class _Excluded(_Data):
    name: str
    operation: str | None = None
    reason: str


class _Administrators(_Data):
    note: str
    patterns: list[str]
    added: list[str]
    special_purpose: dict[str, list[str]]


class _DataAccess(_Data):
    note: str
    source: list[str]
    metadata_reads: list[str]
    encryption_context_actions: list[str]


class _ActionCatalog(_Data):
    note: str
    source: list[str]
    retrieved: str
    botocore_version: str
    actions: list[_Action]
    iam_only_actions: list[_Excluded]
    excluded_actions: list[_Excluded]
    key_administrators: _Administrators
    data_access: _DataAccess


class _Key(_Data):
    name: str
    type: Literal["String", "Bool", "Numeric", "Date", "IP", "ARN"]
    multi_valued: bool
    source: str


class _Template(_Data):
    prefix: str
    suffix: str
    type: Literal["String"]
    multi_valued: bool
    source: str


class _KeyCatalog(_Data):
    note: str
    source: list[str]
    retrieved: str
    keys: list[_Key]
    templates: list[_Template]
    forbidden_in_key_policy: list[str]


def _read(name: str) -> str:
    return (_DATA / name).read_text(encoding="utf-8")


_ACTIONS = _ActionCatalog.model_validate(json.loads(_read("kms_actions.json")))
_KEYS = _KeyCatalog.model_validate(json.loads(_read("condition_keys.json")))

# --------------------------------------------------------------------------- actions

BOTOCORE_VERSION: str = _ACTIONS.botocore_version
"""The botocore release whose KMS model the action list was last reconciled with."""

KMS_ACTIONS: frozenset[str] = frozenset(a.name for a in _ACTIONS.actions)
IAM_ONLY_ACTIONS: frozenset[str] = frozenset(a.name for a in _ACTIONS.iam_only_actions)
EXCLUDED_ACTIONS: Mapping[str, str] = MappingProxyType(
    {a.name: a.reason for a in _ACTIONS.excluded_actions}
)
NON_KEY_ACTIONS: frozenset[str] = frozenset(
    a.name for a in _ACTIONS.actions if a.authorized_by == "iam_policy"
)
CRYPTOGRAPHIC_ACTIONS: frozenset[str] = frozenset(
    a.name for a in _ACTIONS.actions if a.cryptographic
)
USE_ACTIONS: frozenset[str] = CRYPTOGRAPHIC_ACTIONS | {"kms:CreateGrant"}

_BY_LOWER: Mapping[str, str] = MappingProxyType({a.lower(): a for a in KMS_ACTIONS})
DEFINED_ACTIONS: frozenset[str] = KMS_ACTIONS | IAM_ONLY_ACTIONS | frozenset(EXCLUDED_ACTIONS)
"""Every `kms:` action AWS defines (what a request may name without `future_action`)."""
_DEFINED_LOWER = frozenset(a.lower() for a in DEFINED_ACTIONS)


def is_defined_action(name: str) -> bool:
    """Whether AWS defines the `kms:` action `name` (any case).

    >>> is_defined_action("KMS:createkey"), is_defined_action("kms:ReEncrypt")
    (True, False)
    """
    return name.lower() in _DEFINED_LOWER


def canonical_action(name: str) -> str | None:
    """`kms:<Operation>` in AWS's spelling, or None for anything not in `KMS_ACTIONS`.

    >>> canonical_action("kms:reencryptfrom"), canonical_action("kms:ReEncrypt")
    ('kms:ReEncryptFrom', None)
    """
    return _BY_LOWER.get(name.lower())


def _glob(pattern: str) -> re.Pattern[str]:
    """IAM action wildcards: `*` is any run of characters, `?` exactly one; nothing else."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


@lru_cache(maxsize=1024)
def expand_actions(pattern: str) -> frozenset[str]:
    """The `KMS_ACTIONS` an IAM `Action` entry matches (case-insensitive `*`/`?` globbing).

    >>> sorted(expand_actions("KMS:?ncrypt"))
    ['kms:Encrypt']
    """
    rx = _glob(pattern)
    return frozenset(a for a in KMS_ACTIONS if rx.fullmatch(a))


def expand_all(patterns: Iterable[str]) -> frozenset[str]:
    """Union of `expand_actions` over several `Action` entries."""
    return frozenset().union(*(expand_actions(p) for p in patterns))


def _management_actions() -> frozenset[str]:
    admin = _ACTIONS.key_administrators
    wanted = expand_all(admin.patterns) | expand_all(admin.added)
    return wanted - NON_KEY_ACTIONS - USE_ACTIONS


MANAGEMENT_ACTIONS: frozenset[str] = _management_actions()
SPECIAL_PURPOSE_ADMIN_ACTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {k: expand_all(v) for k, v in _ACTIONS.key_administrators.special_purpose.items()}
)
"""What the console adds for administrators of `imported_key_material` / `multi_region` keys."""

METADATA_READ_ACTIONS: frozenset[str] = frozenset(_ACTIONS.data_access.metadata_reads)
"""Key-policy permissions that return key metadata only (GetPublicKey: public material only)."""
ENCRYPTION_CONTEXT_ACTIONS: frozenset[str] = frozenset(
    _ACTIONS.data_access.encryption_context_actions
)
"""The operations `kms:EncryptionContext:<context-key>` applies to (KMS `conditions-kms`)."""


def data_actions(patterns: Iterable[str]) -> frozenset[str]:
    """The permissions `patterns` grant in a key policy that give access to data: everything
    but metadata reads and IAM-only operations (fail closed, see `data/kms_actions.json`).

    >>> sorted(data_actions(["kms:DescribeKey", "kms:ReEncrypt*", "kms:GenerateRandom"]))
    ['kms:ReEncryptFrom', 'kms:ReEncryptTo']
    """
    return expand_all(patterns) - METADATA_READ_ACTIONS - NON_KEY_ACTIONS


# --------------------------------------------------------------------------- condition keys

CONDITION_KEYS: frozenset[str] = frozenset(k.name for k in _KEYS.keys)
"""Exact (non-parameterised) condition key names, canonical spelling."""
CONDITION_KEY_TEMPLATES: tuple[str, ...] = tuple(f"{t.prefix}<{t.suffix}>" for t in _KEYS.templates)
FORBIDDEN_KEY_POLICY_KEYS: frozenset[str] = frozenset(_KEYS.forbidden_in_key_policy)
"""Glob patterns of condition keys PutKeyPolicy rejects in a key policy."""

_KEY_BY_LOWER: Mapping[str, _Key] = MappingProxyType({k.name.lower(): k for k in _KEYS.keys})
_TEMPLATES: tuple[tuple[re.Pattern[str], _Template], ...] = tuple(
    (re.compile(re.escape(t.prefix) + f"(?:{t.suffix})", re.IGNORECASE), t) for t in _KEYS.templates
)
_FORBIDDEN: tuple[re.Pattern[str], ...] = tuple(_glob(p) for p in _KEYS.forbidden_in_key_policy)


def _lookup(key: str) -> _Key | _Template | None:
    exact = _KEY_BY_LOWER.get(key.lower())
    if exact is not None:
        return exact
    return next((t for rx, t in _TEMPLATES if rx.fullmatch(key)), None)


def is_known_condition_key(key: str) -> bool:
    """True for a documented global or KMS key, including parameterised ones.

    >>> is_known_condition_key("AWS:PrincipalTag/DatabricksAccountId")
    True
    >>> is_known_condition_key("kms:RecipientAttestation:PCR4"), is_known_condition_key("kms:Foo")
    (True, False)
    """
    return _lookup(key) is not None


def is_forbidden_in_key_policy(key: str) -> bool:
    """True for keys KMS refuses in key policies (`aws:ResourceTag/*`, `kms:ResourceAliases`...).

    >>> is_forbidden_in_key_policy("KMS:resourcealiases")
    True
    >>> is_forbidden_in_key_policy("kms:ResourceTag/x"), is_known_condition_key("kms:ResourceTag/x")
    (True, False)
    """
    return any(rx.fullmatch(key) for rx in _FORBIDDEN)


def is_single_valued(key: str) -> bool:
    """False for multi-valued keys (use ForAnyValue/ForAllValues); raises for unknown keys.

    Raising, rather than guessing, keeps a caller from approving `ForAllValues` on a key the
    catalog cannot vouch for.

    >>> is_single_valued("kms:GrantOperations"), is_single_valued("kms:ViaService")
    (False, True)
    """
    found = _lookup(key)
    if found is None:
        raise KeyError(f"unknown condition key `{key}`")
    return not found.multi_valued


def condition_key_type(key: str) -> str | None:
    """The operator family a known key works with (`String`, `Bool`, `Numeric`, `Date`, ...).

    >>> condition_key_type("kms:GrantIsForAWSResource"), condition_key_type("nope:Nope")
    ('Bool', None)
    """
    found = _lookup(key)
    return None if found is None else found.type
