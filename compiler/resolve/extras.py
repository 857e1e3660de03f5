"""The organization's own statements (`apps[].statements`, issue 17), for the resolve stage.

An extra is reviewed like a revocation (reason, ticket) but it is not one: it may Allow as well
as Deny, and once its `expires` date has passed it leaves the policy (W130) — `byok diff` then
shows the removal. Revocations, suspension and guard rails are Denies, so an extra Allow never
re-opens them; verify proves that on the compiled policy. Checked here, where the YAML is:
`"*"` without a condition (E365), and an Allow that gives the vendor an action its revocation
does not deny (E366), which a suspension would then leave allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ..diagnostics import Diagnostic, did_you_mean
from ..model.inputs import App, ExtraStatement, Vendor
from ..model.types import is_iam_arn
from ..policy import catalog
from .conditions import check_actions, check_condition
from .grants import all_principals, principal_values


def active_extras(app: App, env: str, today: date) -> tuple[ExtraStatement, ...]:
    """The extras in force on `env`'s key: for that environment and not expired (an extra
    expires at the end of its `expires` day, as a revocation's date is read)."""
    return tuple(
        x
        for x in app.statements
        if (x.environments is None or env in x.environments)
        and (x.expires is None or x.expires >= today)
    )


def vendor_accounts(app: App, vendor: Vendor) -> set[str]:
    """The AWS accounts of the vendor's principals (not the customer's own)."""
    out = set()
    for p in all_principals(vendor, party="vendor"):
        if p.service is None and (p.parameter is None or p.parameter in app.parameters):
            # A value that is not an ARN is reported as E306; it names no account here.
            out |= {v.split(":")[4] for v in principal_values(app, p) if is_iam_arn(v)}
    return out


def check_extras(app: App, vendor: Vendor, today: date) -> Iterator[Diagnostic]:
    names: set[str] = set()
    envs = set(app.environments)
    for x in app.statements:
        w = x.where
        if x.name in names:
            yield Diagnostic.make("E206", f"duplicate statement `{x.name}`", w.at("name"))
        names.add(x.name)
        for j, env in enumerate(x.environments or ()):
            if env not in envs:
                yield Diagnostic.make(
                    "E307",
                    f"unknown environment `{env}`",
                    w.at("environments", j),
                    did_you_mean(env, envs),
                )
        yield from check_actions(w, "actions", x.actions)
        for c in x.conditions:
            yield from check_condition(c.where, c)
        yield from _check_public(x)
        yield from _check_vendor_actions(app, vendor, x)
        if x.expires is not None and x.expires < today:
            yield Diagnostic.make(
                "W130",
                f"statement `{x.name}` ({x.ticket}) expired on {x.expires.isoformat()} and is "
                "removed from the policy",
                w.at("expires"),
                "delete it from org.yaml (`byok diff` shows the removal as an access change)",
            )


def _check_public(x: ExtraStatement) -> Iterator[Diagnostic]:
    if "*" in x.principals and x.effect == "Allow" and not x.conditions:
        yield Diagnostic.make(
            "E365",
            f"statement `{x.name}` allows `*` (everyone) without a condition",
            x.where.at("principals", x.principals.index("*")),
            "name the principals, or add a condition that confines the request "
            "(`kms:CallerAccount`, `kms:ViaService`, `aws:PrincipalArn`)",
        )


def _check_vendor_actions(app: App, vendor: Vendor, x: ExtraStatement) -> Iterator[Diagnostic]:
    """An Allow naming the vendor (any principal of its accounts, or `*`) may give it only data
    actions its `revocation.actions` deny: else a suspension or revocation leaves them open."""
    if x.effect != "Allow":
        return
    accounts = vendor_accounts(app, vendor)
    hits = [i for i, p in enumerate(x.principals) if p == "*" or p.split(":")[4] in accounts]
    uncovered = sorted(
        catalog.data_actions(x.actions) - catalog.expand_all(vendor.revocation.actions)
    )
    if hits and uncovered:
        yield Diagnostic.make(
            "E366",
            f"statement `{x.name}` gives vendor `{vendor.name}` "
            + ", ".join(f"`{a}`" for a in uncovered)
            + ", which its revocation does not deny: a suspension would leave it allowed",
            x.where.at("principals", hits[0]),
            f"drop the action, or add it to `revocation.actions` in vendors/{vendor.name}.yaml",
        )
