"""Stage 4, compile: a `ResolvedKey` -> its key policy as typed IR (`iam.Policy`).

Statement order is fixed and meaningful (organization, administrators, break-glass, vendor
grants, guard rails, revocations, suspension); Sids come from names, never counters, so a diff
names what changed. Revocations of one scope share one Deny with sorted values (packing, see
size()).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from ..diagnostics import CompileError, Diagnostic, Loc
from ..policy import catalog, iam
from ..policy.compiled import ByIdentity
from ..resolve import Resolved, ResolvedKey
from .guards import guard_statements, suspended_principals
from .statements import pascal as pascal  # re-exported: render/access.py, capacity.py
from .statements import statement as statement

POLICY_LIMIT = 32_768
CONTEXT_PREFIX = "kms:EncryptionContext:"
CURRENT_TIME = "aws:CurrentTime"


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


def policy_bytes(policy: iam.Policy) -> int:
    """Bytes the policy costs against the 32 KB limit, as Terraform's `jsonencode` sends it.

    The generated Terraform sends `jsonencode(jsondecode(file(...)))`: compact JSON that escapes
    `<`, `>` and `&`, so pretty-printing in generated/ costs users nothing.
    """
    text = compact_json(policy)
    extra = 5 * sum(text.count(c) for c in "<>&")
    return len(text.encode("utf-8")) + extra


def compact_json(policy: iam.Policy) -> str:
    """`json.dumps(policy.to_json(), separators=(",", ":"), ensure_ascii=False)`, each
    statement's text made once (the keys share most statements, by identity: `statement`):
    compact JSON of a list is its items' texts joined by commas, so the policy's own text, with
    an empty statement list, is completed with them."""
    head = _compact(policy.model_copy(update={"statements": ()}).to_json())
    if not head.endswith(_EMPTY_TAIL):  # not the layout this relies on: the plain way
        return _compact(policy.to_json())
    texts = ",".join(_statement_json(st) for st in policy.statements)
    return f'{head[: -len(_EMPTY_TAIL)]}"Statement":[{texts}]}}'


_EMPTY_TAIL = '"Statement":[]}'


def _compact(doc: object) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


_statement_json = ByIdentity[iam.Statement, str](lambda st: _compact(st.to_json()))


def _base(key: ResolvedKey) -> tuple[list[iam.Statement], dict[str, Loc | None]]:
    org, vendor = key.org, key.vendor
    root = f"arn:aws:iam::{org.account_id}:root"
    stmts = [
        statement("AccountRoot", "Allow", [root], ["kms:*"]),
        statement("KeyAdministration", "Allow", org.key_administrators, catalog.MANAGEMENT_ACTIONS),
    ]
    origins: dict[str, Loc | None] = {
        "AccountRoot": org.where.at("account_id"),
        "KeyAdministration": org.where.at("key_administrators"),
    }
    if org.break_glass:
        stmts.append(statement("BreakGlass", "Allow", [org.break_glass], ["kms:*"]))
        origins["BreakGlass"] = org.where.at("break_glass")
    for i, (grant, (name, actions, conds)) in enumerate(
        zip(vendor.grants, key.grants, strict=True)
    ):
        sid = f"Vendor{pascal(vendor.name)}{pascal(name)}"
        for stmt in _grant_statements(key, i, sid, actions, conds):
            stmts.append(stmt)
            origins[stmt.sid or ""] = grant.where.loc
    return stmts, origins


def _extras(key: ResolvedKey, effect: str) -> tuple[list[iam.Statement], dict[str, Loc | None]]:
    """The organization's own statements of one effect (Allows follow the vendor grants, Denies
    the guard rails); Sids `Org<Name>`."""
    stmts, origins = [], {}
    for x in key.extras:
        if x.effect != effect:
            continue
        sid = f"Org{pascal(x.name)}"
        conds = tuple(
            iam.Condition(operator=c.operator, key=c.key, values=tuple(sorted(set(c.values))))
            for c in x.conditions
        ) + expiry_conditions(x.expires)
        stmts.append(statement(sid, x.effect, x.principals, x.actions, conds))
        origins[sid] = x.where.loc
    return stmts, origins


def expiry_conditions(expires: date | None) -> tuple[iam.Condition, ...]:
    """An organization statement with `expires` also carries its expiry, so AWS enforces it even
    before anyone regenerates (issue 24): `DateLessThan aws:CurrentTime` the first instant after
    the `expires` day, in UTC (https://docs.aws.amazon.com/IAM/latest/UserGuide/
    reference_policies_condition-keys.html#condition-keys-currenttime; dates as ISO 8601,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date).

    >>> expiry_conditions(date(2027, 3, 31))[0].values
    ('2027-04-01T00:00:00Z',)
    """
    if expires is None:
        return ()
    end = (expires + timedelta(days=1)).isoformat() + "T00:00:00Z"
    return (iam.Condition(operator="DateLessThan", key=CURRENT_TIME, values=(end,)),)


def split_context_actions(actions: Iterable[str]) -> tuple[list[str], list[str]]:
    """(entries naming only operations that take an encryption context, the rest). A wildcard
    that matches both kinds is expanded, so each entry lands on one side whole.

    >>> split_context_actions(["kms:GenerateDataKey*", "kms:DescribeKey", "kms:ReEncrypt*"])
    (['kms:GenerateDataKey*', 'kms:ReEncrypt*'], ['kms:DescribeKey'])
    >>> split_context_actions(["kms:*"])[0]  # doctest: +NORMALIZE_WHITESPACE
    ['kms:CreateGrant', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey',
     'kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext',
     'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']
    """
    with_ctx: set[str] = set()
    rest: set[str] = set()
    for entry in actions:
        expanded = catalog.expand_actions(entry)
        if expanded and expanded <= catalog.ENCRYPTION_CONTEXT_ACTIONS:
            with_ctx.add(entry)
        elif not expanded & catalog.ENCRYPTION_CONTEXT_ACTIONS:
            rest.add(entry)
        else:
            with_ctx |= expanded & catalog.ENCRYPTION_CONTEXT_ACTIONS
            rest |= expanded - catalog.ENCRYPTION_CONTEXT_ACTIONS
    return sorted(with_ctx), sorted(rest)


def grant_principals(key: ResolvedKey, index: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(AWS principals, service principals) grant `index` names: its own, else the vendor's."""
    if key.grant_who:
        who = key.grant_who[index]
        return who.aws, who.service
    return key.principals, ()


def _grant_statements(
    key: ResolvedKey,
    index: int,
    sid: str,
    actions: tuple[str, ...],
    conds: tuple[iam.Condition, ...],
) -> list[iam.Statement]:
    """One Allow per grant; when the vendor documents context keys on every request, its
    encryption-context operations require them (`Null` = false: a request without one is
    denied) and the operations that take no context keep a `...WithoutContext` statement."""
    aws, svc = grant_principals(key, index)
    if not key.required_context_keys:
        return [statement(sid, "Allow", aws, actions, conds, svc)]
    with_ctx, rest = split_context_actions(actions)
    present = tuple(
        iam.Condition(operator="Null", key=CONTEXT_PREFIX + k, values=("false",))
        for k in key.required_context_keys
    )
    out = []
    if with_ctx:
        out.append(statement(sid, "Allow", aws, with_ctx, conds + present, svc))
    if rest:
        out.append(statement(sid + "WithoutContext", "Allow", aws, rest, conds, svc))
    return out


def _denies(key: ResolvedKey) -> tuple[list[iam.Statement], dict[str, Loc | None]]:
    vendor = key.vendor
    actions = vendor.revocation.actions
    stmts: list[iam.Statement] = []
    origins: dict[str, Loc | None] = {}
    for rev in key.revocations:
        sid = f"Revoke{pascal(vendor.name)}{pascal(rev.scope.name)}"
        cond = iam.Condition(
            operator="StringEquals", key=CONTEXT_PREFIX + rev.scope.context_key, values=rev.values
        )
        stmts.append(statement(sid, "Deny", key.principals, actions, (cond,)))
        origins[sid] = rev.entries[0].where.loc
    if key.suspension is not None:
        sid = f"Suspend{pascal(vendor.name)}"
        aws, services = suspended_principals(key)
        stmts.append(statement(sid, "Deny", aws, actions, services=services))
        origins[sid] = key.suspension.where.loc
    if key.decrypt_only and key.retiring is not None:
        # Replaced key in its grace period: the vendor keeps kms:Decrypt only.
        sid = f"DecryptOnly{pascal(vendor.name)}"
        stmts.append(statement(sid, "Deny", key.principals, decrypt_only_denied(actions)))
        origins[sid] = key.retiring.where.at("decrypt_only_until")
    return stmts, origins


def decrypt_only_denied(actions: Iterable[str]) -> tuple[str, ...]:
    """The revocation actions, wildcards expanded, but kms:Decrypt: what a key in its
    replacement grace period denies its vendor.

    >>> decrypt_only_denied(["kms:Decrypt", "kms:GenerateDataKey"])
    ('kms:GenerateDataKey',)
    """
    expanded = {a for pattern in actions for a in catalog.expand_actions(pattern)}
    return tuple(sorted(expanded - {"kms:Decrypt"}))


def compile_key(key: ResolvedKey) -> CompiledKey:
    base, origins = _base(key)
    for part in (_extras(key, "Allow"), guard_statements(key), _extras(key, "Deny")):
        base += part[0]
        origins.update(part[1])
    denies, deny_origins = _denies(key)
    origins.update(deny_origins)
    pid = f"{key.org.organization}-{key.name}"
    policy = iam.Policy(id=pid, statements=tuple(base + denies))
    return CompiledKey(
        key=key,
        policy=policy,
        base_policy=iam.Policy(id=pid, statements=tuple(base)),
        origins=origins,
        size=policy_bytes(policy),
    )


def _duplicate_sids(ck: CompiledKey) -> list[Diagnostic]:
    seen: set[str] = set()
    out = []
    for s in ck.policy.statements:
        if s.sid in seen:
            out.append(
                Diagnostic.make(
                    "E401",
                    f"key `{ck.key.name}`: duplicate Sid `{s.sid}`",
                    ck.origins.get(s.sid or ""),
                )
            )
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
    return Diagnostic.make(
        "E402",
        f"key `{ck.key.name}` policy is {ck.size} bytes, {over} over the {POLICY_LIMIT}-byte limit",
        loc,
        help_,
    )
