"""The access matrix of `byok report`: one row per key and principal, read from the compiled key
policy (the statements `generated/policies/<key>.json` holds, so the page shows what Terraform
applies), with each statement's actions and conditions, Allow and Deny apart."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..compile import CompiledKey
from ..policy import iam

EVERYONE = "* (every principal)"


@dataclass(frozen=True)
class Entry:
    """One statement's part of a row: its Sid, actions (or `NotAction`) and conditions."""

    sid: str
    actions: str
    conditions: tuple[str, ...]


@dataclass
class Row:
    key: str
    principal: str
    allow: list[Entry] = field(default_factory=list)
    deny: list[Entry] = field(default_factory=list)


def condition_text(c: iam.Condition) -> str:
    """`StringEquals kms:EncryptionContext:channel_id = C1, C2` (values as in the policy)."""
    return f"{c.operator} {c.key} = {', '.join(c.values)}"


def _actions(s: iam.Statement) -> str:
    if s.action is not None:
        return ", ".join(s.action)
    return f"every action but {', '.join(s.not_action or ())}"


def principals(s: iam.Statement) -> list[str]:
    """The principals a statement names; `NotPrincipal` as "every principal but ..."."""
    if s.not_principal is not None:
        but = s.not_principal
        return [f"every principal but {', '.join(but.aws + but.service) or '*'}"]
    p = s.principal
    if p is None or p.star:
        return [EVERYONE]
    return sorted({*p.aws, *p.service, *p.federated, *p.canonical_user})


def _star(values: tuple[str, ...]) -> bool:
    return "*" in values


def key_rows(ck: CompiledKey) -> list[Row]:
    """The rows of one key, by principal (sorted; `*` last), each statement in policy order."""
    rows: dict[str, Row] = {}
    name = ck.key.name
    for s in ck.policy.statements:
        entry = Entry(s.sid or "", _actions(s), tuple(condition_text(c) for c in s.conditions))
        for who in principals(s):
            if who == EVERYONE or (s.principal is not None and _star(s.principal.aws)):
                who = EVERYONE
            row = rows.setdefault(who, Row(name, who))
            (row.allow if s.effect == "Allow" else row.deny).append(entry)
    return [rows[p] for p in sorted(rows, key=lambda p: (p == EVERYONE, p))]


def matrix(keys: list[CompiledKey]) -> list[Row]:
    """Every key's rows, keys by name."""
    return [row for ck in sorted(keys, key=lambda c: c.key.name) for row in key_rows(ck)]
