"""org.yaml `destructions`: the data-bearing resources other than a key leaving (that is a
`Decommission`) that a change may destroy or replace on purpose; `byok diff` exits 4 on any
other (review/deployment.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Model
from .types import AccountId, Region, Text


class Destruction(Model):
    """A replica, a log group, the trail, its bucket, an audit key, or a key replaced in place,
    that `byok diff` may see destroyed or replaced: `resource` is `<kind> <name>` as the report
    prints it (e.g. `log-group /byok/acme/slack`); `account_id`/`region`, when given, must match
    too."""

    resource: Annotated[str, Field(pattern=r"^[a-z][a-z-]{1,20} [^\s].{0,511}$")]
    reason: Text
    ticket: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:#/\-]{0,63}$")]
    account_id: AccountId | None = None
    region: Region | None = None
