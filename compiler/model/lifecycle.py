"""Org.yaml entries about a key's life: its reviewed state (`KeyState`) and its decommission,
with the ticket and date types they share (the destruction of other data-bearing resources is
`destructions.py`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .base import Model
from .types import AccountId, Name, Region, Text


def _no_number(value: Any) -> Any:
    """A YAML number is never a date (pydantic would read it as a Unix timestamp)."""
    if isinstance(value, int | float):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


LenientDate = Annotated[date, Field(strict=False), BeforeValidator(_no_number)]


Ticket = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:#/\-]{0,63}$")]


KeyName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")]


class Decommission(Model):
    """A key taken out of service on purpose: it may leave `generated/` (and Terraform) only
    through one of these, reviewed in org.yaml. `vendor_confirmed` is the date the vendor
    confirmed that it re-encrypted or deleted everything it had encrypted under the key.
    `account_id`/`region` locate the key a moved key left behind (README, "Several accounts")."""

    key: KeyName
    reason: Text
    ticket: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:#/\-]{0,63}$")]
    vendor_confirmed: LenientDate
    # A key moved to another account or Region (a stack) is a new key there, and the one it
    # leaves behind is decommissioned: name where it was (each defaults to where the key is now).
    account_id: AccountId | None = None
    region: Region | None = None


class KeyState(Model):
    """The reviewed state of an app environment's keys (every generation of it, and their
    replicas), set through Terraform (modules/kms-key `is_enabled`). `enabled: false` is an
    incident's kill switch (README, "Incidents"); `enabled: true` says the keys are to be
    enabled again, which `byok check-plan` requires before a plan may enable a disabled key."""

    environment: Name
    enabled: bool
    reason: Text
    ticket: Ticket
