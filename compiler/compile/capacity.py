"""Stage 4, compile: how many more revocation values fit under the 32 KB key-policy limit,
exactly (`capacity`), for ACCESS.md and the size lint. Split from `compile`."""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring

from ..policy import iam
from ..resolve.keys import ScopeRevocation
from .keys import CONTEXT_PREFIX, POLICY_LIMIT, CompiledKey, pascal, statement


def capacity(ck: CompiledKey) -> dict[str, int]:
    """How many more values of each scope fit under the limit, exactly (see `added_bytes`).

    The values counted are as wide as the longest value already revoked in that scope (its
    bytes inside the JSON quotes), or `DEFAULT_WIDTH` bytes for a scope with none yet, and need
    no JSON escaping (plain ASCII, no `<`, `>` or `&`); the number is then exact:
    `capacity(ck)[s]` more values of `capacity_width(ck, s)` bytes fit and one more does not.
    """
    free = POLICY_LIMIT - ck.size
    out: dict[str, int] = {}
    for scope in ck.key.vendor.revocation.scopes:
        width = capacity_width(ck, scope.name)
        cost = _cost_of(ck, scope.name, width)
        n = max(0, free // (width + 3))  # an upper bound: every value costs at least width + 3
        while n > 0 and cost(n) > free:
            n -= 1
        out[scope.name] = n
    return out


DEFAULT_WIDTH = 12


def value_bytes(value: str) -> int:
    """Bytes one condition value costs inside its quotes, as `policy_bytes` counts them."""
    text = encode_basestring(value)  # what json.dumps(value, ensure_ascii=False) returns
    return len(text.encode("utf-8")) - 2 + 5 * sum(text.count(c) for c in "<>&")


def _revocation(ck: CompiledKey, scope: str) -> ScopeRevocation | None:
    return next((r for r in ck.key.revocations if r.scope.name == scope), None)


def capacity_width(ck: CompiledKey, scope: str) -> int:
    """The value width (bytes) `capacity` assumes for `scope` on this key."""
    rev = _revocation(ck, scope)
    return max(value_bytes(v) for v in rev.values) if rev else DEFAULT_WIDTH


def added_bytes(ck: CompiledKey, scope: str, n: int, width: int) -> int:
    """Exactly how many bytes `n` more values of `width` bytes in `scope` add to the policy."""
    return _cost_of(ck, scope, width)(n)


def _cost_of(ck: CompiledKey, scope: str, width: int) -> Callable[[int], int]:
    rev = _revocation(ck, scope)
    if rev is not None:
        # `,"v"` each, plus the brackets when a bare single value becomes a list.
        brackets = 2 if len(rev.values) == 1 else 0
        return lambda n: n * (width + 3) + brackets if n > 0 else 0
    context_key = next(s.context_key for s in ck.key.vendor.revocation.scopes if s.name == scope)
    base = _new_statement_cost(ck, scope, context_key)
    # a new statement: one value written bare, more as `["a","b"]`
    return lambda n: 0 if n <= 0 else base + (width + 2 if n == 1 else n * (width + 3) + 1)


def _new_statement_cost(ck: CompiledKey, scope: str, context_key: str) -> int:
    """A new Revoke statement without its values (its empty value list `""` not counted), plus
    the comma that separates it from its neighbour."""
    stmt = statement(
        f"Revoke{pascal(ck.key.vendor.name)}{pascal(scope)}",
        "Deny",
        ck.key.principals,
        ck.key.vendor.revocation.actions,
        (iam.Condition(operator="StringEquals", key=CONTEXT_PREFIX + context_key, values=("",)),),
    )
    text = json.dumps(stmt.to_json(), separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8")) + 5 * sum(text.count(c) for c in "<>&") - 2 + 1
