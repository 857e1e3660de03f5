"""Stage 4, compile: the statement builder every part of a key policy uses (`statement`, Sids
from names with `pascal`)."""

from __future__ import annotations

from collections.abc import Iterable
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
    principal = iam.Principals(
        aws=tuple(sorted(set(principals))), service=tuple(sorted(set(services)))
    )
    return iam.Statement(
        sid=sid,
        effect=effect,
        principal=principal,
        action=tuple(sorted(set(actions))),
        resource=ANY,
        conditions=conditions,
    )
