"""Resolve-level checks of the key lifecycle: a key leaves `generated/` (and so Terraform) only
through an explicit, reviewed decommission in org.yaml.

Deleting a KMS key makes everything encrypted under it unreadable for good
(https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html), so an app or an
environment that disappears from org.yaml while `generated/` still holds its key is an error
(E320), located where the key came from. Which keys exist is read from `generated/policies/`
(one file per key), the tree Terraform applies.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date

from ..diagnostics import Diagnostic, Loc
from ..model.inputs import Decommission, Org, Vendor

Place = tuple[str, str]  # (account id, Region): with the key name, a key's identity


def vendor_of(key: str, vendors: Mapping[str, Vendor]) -> Vendor | None:
    """The vendor whose keys are named `<vendor>-<environment>`, if one matches `key`.

    The longest matching name wins (`zoom-eu-prod` belongs to `zoom-eu`, not `zoom`).
    """
    found = [v for name, v in vendors.items() if key.startswith(f"{name}-")]
    return max(found, key=lambda v: len(v.name), default=None)


def vendor_label(key: str, vendors: Mapping[str, Vendor]) -> str:
    vendor = vendor_of(key, vendors)
    return vendor.display_name if vendor is not None else "the vendor"


def _removed(org: Org, key: str, vendors: Mapping[str, Vendor]) -> Diagnostic:
    index = next(
        (i for i, app in enumerate(org.apps) if key.startswith(f"{app.vendor}-")),
        None,
    )
    loc: Loc | None
    if index is not None:
        loc, what = org.apps[index].where.at("environments"), "environment"
    else:
        loc, what = org.where.at("apps", key=True), "app"
    who = vendor_label(key, vendors)
    return Diagnostic.make(
        "E320",
        f"key `{key}` is in generated/ but org.yaml no longer produces it: deleting it would "
        f"make everything {who} encrypted under it unreadable (Terraform's plan refuses: "
        "prevent_destroy)",
        loc,
        f"restore the {what}, or decommission the key under `decommissions:` with `key: {key}`, "
        '`reason`, `ticket` and `vendor_confirmed` (README, "Decommissioning a key")',
    )


def left_at(d: Decommission, produced: Mapping[str, Place]) -> Place | None:
    """The account and Region of the key `d` decommissions, when an app still produces a key
    of that name (a moved key: `d` names where it was); None when none does."""
    now = produced.get(d.key)
    return None if now is None else (d.account_id or now[0], d.region or now[1])


def _declared(org: Org, produced: Mapping[str, Place], today: date) -> Iterator[Diagnostic]:
    seen: set[tuple[str, Place | None]] = set()
    for i, d in enumerate(org.decommissions):
        if (d.key, left_at(d, produced)) in seen:
            yield Diagnostic.make(
                "E206", f"duplicate decommission of `{d.key}`", org.where.at("decommissions", i)
            )
        seen.add((d.key, left_at(d, produced)))
        if d.key in produced and left_at(d, produced) == produced[d.key]:
            yield Diagnostic.make(
                "E321",
                f"key `{d.key}` is decommissioned but an app still produces it",
                d.where.at("key"),
                "remove the environment (or the app) that produces it, or drop the decommission",
            )
        if d.vendor_confirmed > today:
            yield Diagnostic.make(
                "E322",
                f"`vendor_confirmed` {d.vendor_confirmed.isoformat()} is after today "
                f"({today.isoformat()})",
                d.where.at("vendor_confirmed"),
                "decommission a key only once the vendor has confirmed re-encryption or deletion",
            )


def check_lifecycle(
    org: Org,
    produced: Mapping[str, Place],
    existing: Collection[str] | None,
    vendors: Mapping[str, Vendor],
    today: date,
) -> list[Diagnostic]:
    """Every problem of the decommissions in `org` (`produced`: key name -> the account and
    Region it is produced in), and (when `existing`, the keys now in `generated/`, is given)
    every key that would disappear without one."""
    diags = list(_declared(org, produced, today))
    if existing is not None:
        declared = {d.key for d in org.decommissions}
        gone = sorted(set(existing) - set(produced) - declared)
        diags += [_removed(org, key, vendors) for key in gone]
    return diags
