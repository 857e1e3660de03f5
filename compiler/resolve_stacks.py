"""Several accounts (`stacks:` in org.yaml): which account and Region each environment's keys
live in, and the checks of the stacks.

An environment no stack lists stays in org.yaml `account_id` and `region` (the repository root,
one `terraform apply`). A key in a stack is resolved against a copy of the organization with
that stack's account, Region, key administrators and break-glass role, so its policy, proofs and
handoff name that account.
"""

from __future__ import annotations

from collections.abc import Iterator

from .diagnostics import Diagnostic
from .model import Org, Stack


def stack_of(org: Org, env: str) -> Stack | None:
    return next((s for s in org.stacks if env in s.environments), None)


def key_org(org: Org, env: str) -> Org:
    """The organization as a key of `env` sees it (its stack's account and Region)."""
    stack = stack_of(org, env)
    if stack is None:
        return org
    return org.model_copy(
        update={
            "account_id": stack.account_id,
            "region": stack.region,
            "key_administrators": stack.key_administrators,
            "break_glass": stack.break_glass,
        }
    )


def stack_id(account_id: str, region: str) -> str:
    """The directory of a stack under `generated/stacks/`.

    >>> stack_id("444455556666", "eu-west-1")
    '444455556666-eu-west-1'
    """
    return f"{account_id}-{region}"


def check_stacks(org: Org) -> Iterator[Diagnostic]:
    seen_ids = {stack_id(org.account_id, org.region)}
    seen_envs: set[str] = set()
    for i, s in enumerate(org.stacks):
        where = org.where.at("stacks", i)
        sid = stack_id(s.account_id, s.region)
        if sid in seen_ids:
            yield Diagnostic.make(
                "E347",
                f"stack `{sid}` is declared twice (or is org.yaml's own account and Region)",
                where,
                help="list each environment once, in the stack of its account and Region",
            )
        seen_ids.add(sid)
        for j, env in enumerate(s.environments):
            if env in seen_envs:
                yield Diagnostic.make(
                    "E348", f"environment `{env}` is in two stacks", s.where.at("environments", j)
                )
            seen_envs.add(env)
        people = [*s.key_administrators, *([s.break_glass] if s.break_glass else [])]
        for arn in people:
            if arn.split(":")[4] != s.account_id:
                yield Diagnostic.make(
                    "E349",
                    f"stack `{sid}`: `{arn}` is not in the stack's account {s.account_id}",
                    where,
                    help="a key's administrators and break-glass role are roles of its account",
                )
