"""Typed IAM key-policy documents: the compiler's policy IR and the evaluator's input.

`Policy.from_json` turns a parsed JSON document into frozen models (raising
`PolicyFormatError` on anything malformed); `Policy.to_json` gives the canonical form the
compiler writes: lists everywhere, values sorted, keys in AWS's documented order.

>>> p = Policy.from_json({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*"}})
>>> p.statements[0].principal.star, p.statements[0].action
(True, ('kms:*',))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

POLICY_VERSION = "2012-10-17"
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_STATEMENT_FIELDS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}


class PolicyFormatError(ValueError):
    """A policy document that is not a well-formed IAM policy."""


def _one_or_list(values: Sequence[str]) -> str | list[str]:
    """Canonical form: sorted and de-duplicated; a single value is written bare, as AWS does."""
    items = sorted(set(values))
    return items[0] if len(items) == 1 else items


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Principals(Frozen):
    """`Principal`/`NotPrincipal`: the bare `"*"` or a map of principal type to values."""

    star: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()

    def to_json(self) -> str | dict[str, str | list[str]]:
        if self.star:
            return "*"
        out: dict[str, str | list[str]] = {}
        for name, values in zip(PRINCIPAL_TYPES, self._groups(), strict=True):
            if values:
                out[name] = _one_or_list(values)
        return out

    def _groups(self) -> tuple[tuple[str, ...], ...]:
        return (self.aws, self.service, self.federated, self.canonical_user)


class Condition(Frozen):
    """One `operator: {key: values}` entry; `operator` keeps set prefix and `IfExists`."""

    operator: str
    key: str
    values: tuple[str, ...]


class Statement(Frozen):
    sid: str | None = None
    effect: Literal["Allow", "Deny"]
    principal: Principals | None = None
    not_principal: Principals | None = None
    action: tuple[str, ...] | None = None
    not_action: tuple[str, ...] | None = None
    resource: tuple[str, ...] | None = None
    not_resource: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.sid is not None:
            out["Sid"] = self.sid
        out["Effect"] = self.effect
        for name, prin in (("Principal", self.principal), ("NotPrincipal", self.not_principal)):
            if prin is not None:
                out[name] = prin.to_json()
        for name, vals in (
            ("Action", self.action),
            ("NotAction", self.not_action),
            ("Resource", self.resource),
            ("NotResource", self.not_resource),
        ):
            if vals is not None:
                out[name] = _one_or_list(vals)
        if self.conditions:
            out["Condition"] = _conditions_to_json(self.conditions)
        return out


class Policy(Frozen):
    version: str = POLICY_VERSION
    id: str | None = None
    statements: tuple[Statement, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Version": self.version}
        if self.id is not None:
            out["Id"] = self.id
        out["Statement"] = [s.to_json() for s in self.statements]
        return out

    @classmethod
    def from_json(cls, doc: Any) -> Policy:
        if not isinstance(doc, Mapping):
            raise PolicyFormatError("a policy must be a JSON object")
        unknown = set(doc) - {"Version", "Id", "Statement"}
        if unknown:
            raise PolicyFormatError(f"unknown policy element `{sorted(unknown)[0]}`")
        raw = doc.get("Statement")
        if raw is None:
            raise PolicyFormatError("a policy needs a `Statement`")
        items = [raw] if isinstance(raw, Mapping) else raw
        if not isinstance(items, list):
            raise PolicyFormatError("`Statement` must be an object or a list of objects")
        version = doc.get("Version", POLICY_VERSION)
        pid = doc.get("Id")
        if not isinstance(version, str) or (pid is not None and not isinstance(pid, str)):
            raise PolicyFormatError("`Version` and `Id` must be strings")
        return cls(
            version=version, id=pid, statements=tuple(_statement(s, i) for i, s in enumerate(items))
        )


def _conditions_to_json(conds: Sequence[Condition]) -> dict[str, dict[str, str | list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for c in conds:
        out.setdefault(c.operator, {}).setdefault(c.key, []).extend(c.values)
    return {
        op: {k: _one_or_list(v) for k, v in sorted(keys.items())}
        for op, keys in sorted(out.items())
    }


# Statements parsed, by the `repr` of their JSON object. `byok diff` parses both sides of every
# key's policy, and most statements recur across keys and sides (the administrators', the
# vendor's grants): each is parsed once (issue 29). `repr` tells apart every value `json.loads`
# makes (dict, list, str, int, float, bool, None: a tuple or a subclass would not be, so such
# input is parsed every time). A statement is frozen, so one object may be shared; errors are
# not remembered; the memo is cleared when full.
_PARSED: dict[str, Statement] = {}
_PARSED_MAX = 50_000
_JSON_TYPES = (str, int, float, bool, type(None))


def _plain(value: Any) -> bool:
    """True when `value` is made only of the types `json.loads` returns, exactly."""
    t = type(value)
    if t is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if t is list:
        return all(_plain(v) for v in value)
    return t in _JSON_TYPES


def _memo_key(raw: Any) -> str | None:
    """`repr(raw)` when `raw` is plain (`_plain`); None when it is not, or is nested too deep to
    tell (a crafted file: the parse then refuses it with its own error, as without the memo)."""
    try:
        return repr(raw) if _plain(raw) else None
    except RecursionError:
        return None


def _statement(raw: Any, index: int = 0) -> Statement:
    text = _memo_key(raw)
    if text is None:
        return _parse_statement(raw, index)
    found = _PARSED.get(text)
    if found is None:
        found = _parse_statement(raw, index)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[text] = found
    return found


def _parse_statement(raw: Any, index: int) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyFormatError("each statement must be a JSON object")
    unknown = set(raw) - _STATEMENT_FIELDS
    if unknown:
        raise PolicyFormatError(f"unknown statement element `{sorted(unknown)[0]}`")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyFormatError(f"`Effect` must be `Allow` or `Deny`, not `{effect}`")
    for a, b in (
        ("Principal", "NotPrincipal"),
        ("Action", "NotAction"),
        ("Resource", "NotResource"),
    ):
        if a in raw and b in raw:
            raise PolicyFormatError(f"a statement cannot have both `{a}` and `{b}`")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyFormatError("`Sid` must be a string")
    return Statement(
        sid=sid,
        effect=effect,
        principal=_principals(raw.get("Principal")),
        not_principal=_principals(raw.get("NotPrincipal")),
        action=_strings(raw.get("Action"), "Action"),
        not_action=_strings(raw.get("NotAction"), "NotAction"),
        resource=_strings(raw.get("Resource"), "Resource"),
        not_resource=_strings(raw.get("NotResource"), "NotResource"),
        conditions=_conditions(
            raw.get("Condition"), f"statement {index}" + (f" (`{sid}`)" if sid else "")
        ),
    )


def _strings(raw: Any, what: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise PolicyFormatError(f"`{what}` must be a string or a list of strings")
    if not items:
        raise PolicyFormatError(f"`{what}` must not be empty")
    return tuple(items)


def _principals(raw: Any) -> Principals | None:
    if raw is None:
        return None
    if raw == "*":
        return Principals(star=True)
    if not isinstance(raw, Mapping) or not raw:
        raise PolicyFormatError('a principal must be "*" or an object such as {"AWS": ...}')
    unknown = set(raw) - set(PRINCIPAL_TYPES)
    if unknown:
        raise PolicyFormatError(f"unknown principal type `{sorted(unknown)[0]}`")
    groups = {name: _strings(raw.get(name), f"Principal.{name}") or () for name in PRINCIPAL_TYPES}
    return Principals(
        aws=groups["AWS"],
        service=groups["Service"],
        federated=groups["Federated"],
        canonical_user=groups["CanonicalUser"],
    )


def scalar_text(value: Any) -> str | None:
    """A JSON scalar as IAM compares it (`true`, `42`, `"x"`), or None for anything else.

    >>> scalar_text(True), scalar_text(7), scalar_text(["x"])
    ('true', '7', None)
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _scalar(value: Any, where: str) -> str:
    text = scalar_text(value)
    if text is None:
        raise PolicyFormatError(f"condition values of {where} must be strings, numbers or booleans")
    return text


def ascii_key(key: str) -> str | None:
    """Why a condition key name is refused: AWS's names are ASCII, and IAM compares them
    ignoring case, which would make a non-ASCII look-alike (`\u212a`, KELVIN SIGN, lower-cases
    to `k`) equal to the ASCII name it imitates.

    >>> ascii_key("kms:EncryptionContext:\u212aey")
    'has the non-ASCII character U+212A at position 23: AWS condition key names are ASCII'
    """
    bad = next((i for i, c in enumerate(key) if not c.isascii()), None)
    if bad is None:
        return None
    return (
        f"has the non-ASCII character U+{ord(key[bad]):04X} at position {bad + 1}: AWS "
        "condition key names are ASCII"
    )


def _conditions(raw: Any, where: str = "") -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise PolicyFormatError("`Condition` must be an object")
    out: list[Condition] = []
    for op, block in raw.items():
        if not isinstance(block, Mapping) or not block:
            raise PolicyFormatError(f"condition operator `{op}` needs an object of keys")
        for key, vals in block.items():
            why = ascii_key(key)
            if why is not None:
                raise PolicyFormatError(f"{where}, `{op}`: condition key `{key}` {why}")
            items = vals if isinstance(vals, list) else [vals]
            if not items:
                raise PolicyFormatError(f"condition key `{key}` has no values")
            out.append(
                Condition(operator=op, key=key, values=tuple(_scalar(v, key) for v in items))
            )
    return tuple(out)
