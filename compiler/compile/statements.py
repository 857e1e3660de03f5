"""Stage 4, compile: the statement builder every part of a key policy uses (`statement`, Sids
from names with `pascal`)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

from ..policy import iam

ANY = ("*",)


def pascal(name: str) -> str:
    """The Sid fragment for a name.

    >>> pascal("data-keys"), pascal("channel_id")
    ('DataKeys', 'ChannelId')
    """
    return "".join(p[:1].upper() + p[1:] for p in name.replace("_", "-").split("-") if p)


def statement(
    sid: str,
    effect: Literal["Allow", "Deny"],
    principals: Iterable[str],
    actions: Iterable[str],
    conditions: tuple[iam.Condition, ...] = (),
    services: Iterable[str] = (),
) -> iam.Statement:
    return _statement(
        sid,
        effect,
        tuple(sorted(set(principals))),
        tuple(sorted(set(actions))),
        conditions,
        tuple(sorted(set(services))),
    )


# Statements are immutable: the keys of an organization share most of theirs (the guard rails,
# the administrators, an application's grants in every environment), so equal ones are made
# once and shared, which also lets the verifier and `policy_bytes` find them by identity.
@lru_cache(maxsize=8192)
def _statement(
    sid: str,
    effect: Literal["Allow", "Deny"],
    aws: tuple[str, ...],
    actions: tuple[str, ...],
    conditions: tuple[iam.Condition, ...],
    services: tuple[str, ...],
) -> iam.Statement:
    return iam.Statement(
        sid=sid,
        effect=effect,
        principal=iam.Principals(aws=aws, service=services),
        action=actions,
        resource=ANY,
        conditions=conditions,
    )
