"""Revocation checks of the resolve stage that keep a revocation or suspension from failing
open: the vendor's `revocation.actions` cover every data action it is granted (E326), and a
revocation on a context key the vendor has not confirmed needs the organization's explicit
acknowledgement (E325; W107 once the key is confirmed).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..model.inputs import RevocationEntry, Scope, Vendor
from ..policy import catalog


def uncovered_actions(vendor: Vendor) -> list[str]:
    """Data actions the vendor's grants give (wildcards expanded) that its revocation does not
    deny; metadata reads (`catalog.METADATA_READ_ACTIONS`) may stay allowed. `party: customer`
    grants count too: a suspension also denies the organization's principals they name (the
    roles the vendor assumes), with the same actions."""
    granted = catalog.data_actions(a for g in vendor.grants for a in g.actions)
    return sorted(granted - catalog.expand_all(vendor.revocation.actions))


def check_revocation_actions(vendor: Vendor) -> Iterator[Diagnostic]:
    missing = uncovered_actions(vendor)
    if missing:
        yield Diagnostic.make(
            "E326",
            f"`revocation.actions` of `{vendor.name}` do not deny "
            + ", ".join(f"`{a}`" for a in missing)
            + ", granted to the vendor: a suspension or revocation would leave "
            + ("it" if len(missing) == 1 else "them")
            + " allowed",
            vendor.revocation.where.at("actions"),
            "add them to `revocation.actions` (only metadata reads such as `kms:DescribeKey` "
            "may stay allowed)",
        )


def check_context_key_confirmed(
    vendor: Vendor, r: RevocationEntry, scope: Scope
) -> Iterator[Diagnostic]:
    """A Deny on `kms:EncryptionContext:<key>` matches only requests that carry that key: on an
    unconfirmed key the revocation may deny nothing, so it must be acknowledged in org.yaml."""
    ack = r.unconfirmed_context_key
    if not scope.verified and ack is None:
        yield Diagnostic.make(
            "E325",
            f"revocation {r.ticket} uses `{vendor.name}` scope `{scope.name}`, whose context "
            f"key `{scope.context_key}` is unconfirmed: if `{vendor.name}` does not send it, "
            "the revocation denies nothing",
            r.where.at("scope"),
            f"confirm the key with the vendor (then `verified: true` in vendors/{vendor.name}"
            ".yaml, with its source), or accept the gap on this revocation with "
            "`unconfirmed_context_key: {reason: ..., ticket: ...}`",
        )
    elif scope.verified and ack is not None:
        yield Diagnostic.make(
            "W107",
            f"revocation {r.ticket} acknowledges an unconfirmed context key, but "
            f"`{vendor.name}` scope `{scope.name}` (`{scope.context_key}`) is verified",
            r.where.at("unconfirmed_context_key", key=True),
            "remove `unconfirmed_context_key`",
        )
