"""Stage 4, compile: a `ResolvedKey` -> its key policy as typed IR (`iam.Policy`).

Statement order is fixed and meaningful (organization, administrators, break-glass, vendor
grants, revocations, suspension); Sids come from names, never counters, so a diff names what
changed. Revocations of one scope share one Deny with sorted values (packing, see size()).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from . import catalog, iam
from .diagnostics import CompileError, Diagnostic, Loc
from .resolve import Resolved, ResolvedKey

POLICY_LIMIT = 32_768
CONTEXT_PREFIX = "kms:EncryptionContext:"
ANY = ("*",)


class CompiledKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    key: ResolvedKey
    policy: iam.Policy
    base_policy: iam.Policy  # the same key without revocations or suspension
    origins: dict[str, Loc | None]  # Sid -> the YAML that asked for the statement
    size: int


class Compiled(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    resolved: Resolved
    keys: tuple[CompiledKey, ...]


def pascal(name: str) -> str:
    """>>> pascal("data-keys"), pascal("channel_id")
    ('DataKeys', 'ChannelId')
    """
    return "".join(p[:1].upper() + p[1:] for p in name.replace("_", "-").split("-") if p)


def policy_bytes(policy: iam.Policy) -> int:
    """Bytes the policy costs against the 32 KB limit, as Terraform's `jsonencode` sends it.

    The generated Terraform sends `jsonencode(jsondecode(file(...)))`: compact JSON that escapes
    `<`, `>` and `&`, so pretty-printing in generated/ costs users nothing.
    """
    text = json.dumps(policy.to_json(), separators=(",", ":"), ensure_ascii=False)
    extra = 5 * sum(text.count(c) for c in "<>&")
    return len(text.encode("utf-8")) + extra


def _stmt(sid: str, effect: Literal["Allow", "Deny"], principals: Iterable[str], actions: Iterable[str],
          conditions: tuple[iam.Condition, ...] = ()) -> iam.Statement:
    return iam.Statement(
        sid=sid, effect=effect,
        principal=iam.Principals(aws=tuple(sorted(set(principals)))),
        action=tuple(sorted(set(actions))), resource=ANY, conditions=conditions,
    )


def _base(key: ResolvedKey) -> tuple[list[iam.Statement], dict[str, Loc | None]]:
    org, vendor = key.org, key.vendor
    root = f"arn:aws:iam::{org.account_id}:root"
    stmts = [
        _stmt("AccountRoot", "Allow", [root], ["kms:*"]),
        _stmt("KeyAdministration", "Allow", org.key_administrators, catalog.MANAGEMENT_ACTIONS),
    ]
    origins: dict[str, Loc | None] = {"AccountRoot": org.where.at("account_id"),
                                      "KeyAdministration": org.where.at("key_administrators")}
    if org.break_glass:
        stmts.append(_stmt("BreakGlass", "Allow", [org.break_glass], ["kms:*"]))
        origins["BreakGlass"] = org.where.at("break_glass")
    for grant, (name, actions, conds) in zip(vendor.grants, key.grants, strict=True):
        sid = f"Vendor{pascal(vendor.name)}{pascal(name)}"
        stmts.append(_stmt(sid, "Allow", key.principals, actions, conds))
        origins[sid] = grant.where.loc
    return stmts, origins


def _denies(key: ResolvedKey) -> tuple[list[iam.Statement], dict[str, Loc | None]]:
    vendor = key.vendor
    actions = vendor.revocation.actions
    stmts: list[iam.Statement] = []
    origins: dict[str, Loc | None] = {}
    for rev in key.revocations:
        sid = f"Revoke{pascal(vendor.name)}{pascal(rev.scope.name)}"
        cond = iam.Condition(operator="StringEquals", key=CONTEXT_PREFIX + rev.scope.context_key,
                             values=rev.values)
        stmts.append(_stmt(sid, "Deny", key.principals, actions, (cond,)))
        origins[sid] = rev.entries[0].where.loc
    if key.suspension is not None:
        sid = f"Suspend{pascal(vendor.name)}"
        stmts.append(_stmt(sid, "Deny", key.principals, actions))
        origins[sid] = key.suspension.where.loc
    return stmts, origins


def compile_key(key: ResolvedKey) -> CompiledKey:
    base, origins = _base(key)
    denies, deny_origins = _denies(key)
    origins.update(deny_origins)
    pid = f"{key.org.organization}-{key.name}"
    policy = iam.Policy(id=pid, statements=tuple(base + denies))
    return CompiledKey(key=key, policy=policy, base_policy=iam.Policy(id=pid, statements=tuple(base)),
                       origins=origins, size=policy_bytes(policy))


def _duplicate_sids(ck: CompiledKey) -> list[Diagnostic]:
    seen: set[str] = set()
    out = []
    for s in ck.policy.statements:
        if s.sid in seen:
            out.append(Diagnostic.make("E401", f"key `{ck.key.name}`: duplicate Sid `{s.sid}`",
                                       ck.origins.get(s.sid or "")))
        seen.add(s.sid or "")
    return out


def compile_all(resolved: Resolved) -> Compiled:
    """Compile every key; raise `CompileError` on duplicate Sids or oversized policies."""
    keys = tuple(compile_key(k) for k in resolved.keys)
    diags: list[Diagnostic] = []
    for ck in keys:
        diags += _duplicate_sids(ck)
        if ck.size > POLICY_LIMIT:
            diags.append(_too_large(ck))
    if diags:
        raise CompileError(diags)
    return Compiled(resolved=resolved, keys=keys)


def _too_large(ck: CompiledKey) -> Diagnostic:
    over = ck.size - POLICY_LIMIT
    biggest = max(ck.key.revocations, key=lambda r: len(r.values), default=None)
    loc = biggest.entries[0].where.at("values") if biggest else ck.key.app.where.loc
    help_ = "split the key, revoke a coarser scope"
    if biggest is not None:
        help_ += f" (`{biggest.scope.name}` holds {len(biggest.values)} values)"
    help_ += ", or remove revocations that are no longer needed"
    return Diagnostic.make("E402", f"key `{ck.key.name}` policy is {ck.size} bytes, {over} over the "
                           f"{POLICY_LIMIT}-byte limit", loc, help_)


def capacity(ck: CompiledKey) -> dict[str, int]:
    """How many more values of each scope fit under the limit (values as long as the longest
    already revoked in that scope, or 12 characters, plus quotes and a comma)."""
    free = POLICY_LIMIT - ck.size
    current = {r.scope.name: r for r in ck.key.revocations}
    out: dict[str, int] = {}
    for scope in ck.key.vendor.revocation.scopes:
        rev = current.get(scope.name)
        width = max((len(v) for v in rev.values), default=12) if rev else 12
        overhead = 0 if rev else _new_statement_cost(ck, scope.name, scope.context_key)
        out[scope.name] = max(0, (free - overhead) // (width + 3))
    return out


def _new_statement_cost(ck: CompiledKey, scope: str, context_key: str) -> int:
    stmt = _stmt(f"Revoke{pascal(ck.key.vendor.name)}{pascal(scope)}", "Deny", ck.key.principals,
                 ck.key.vendor.revocation.actions,
                 (iam.Condition(operator="StringEquals", key=CONTEXT_PREFIX + context_key, values=("",)),))
    return len(json.dumps(stmt.to_json(), separators=(",", ":"))) - 2 + 1
