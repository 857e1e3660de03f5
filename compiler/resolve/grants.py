"""Per-grant principals, list parameters and key specs (issue 17), for the resolve stage.

A vendor grant may name its own principals: fixed ARNs, AWS service principals, or parameters
the organization supplies (one ARN or a list). `party: vendor` principals are the vendor's: a
suspension or revocation denies them too. `party: customer` principals are the organization's
own but the vendor uses them (Databricks assumes its EBS cross-account role): the vendor's
suspension denies them too (every path the vendor file opens is cut), a revocation by the
vendor's encryption context does not; the proofs and ACCESS.md say so.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..model.inputs import App, Grant, ParamRef, ParamValue, Principal, Vendor
from ..policy import keyspecs


def param_items(name: str, value: ParamValue) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Each value of parameter `name` with its YAML path (a list yields one per item).

    >>> list(param_items("a", ("x", "y")))
    [('x', ('parameters', 'a', 0)), ('y', ('parameters', 'a', 1))]
    """
    if isinstance(value, str):
        yield value, ("parameters", name)
    else:
        for i, item in enumerate(value):
            yield item, ("parameters", name, i)


def all_principals(vendor: Vendor, party: str | None = None) -> list[Principal]:
    """Every principal the vendor file names (vendor, per-grant, logging); with `party`, only
    the principals of that party (the vendor's own `principals` and logging are the vendor's)."""
    out: list[Principal] = []
    if party in (None, "vendor"):
        out += vendor.principals
        out += vendor.logging.principals if vendor.logging else ()
    for g in vendor.grants:
        if g.principals and party in (None, g.party):
            out += g.principals
    return out


def principal_values(app: App, p: Principal) -> tuple[str, ...]:
    """The ARNs (or service name) principal `p` stands for in `app`."""
    if p.arn is not None:
        return (p.arn,)
    if p.service is not None:
        return (p.service,)
    value = app.parameters[str(p.parameter)]
    return (value,) if isinstance(value, str) else value


def grant_principals(app: App, vendor: Vendor, g: Grant) -> tuple[str, ...]:
    chosen = g.principals if g.principals is not None else vendor.principals
    return tuple(sorted({v for p in chosen for v in principal_values(app, p)}))


def is_service(value: str) -> bool:
    return not value.startswith("arn:")


def check_grants(vendor: Vendor) -> Iterator[Diagnostic]:
    """E361: a customer-party grant names its own principals; E367: a service principal is
    never the vendor's; E362-E364: the key spec."""
    for g in vendor.grants:
        if g.party == "customer" and g.principals is None:
            yield Diagnostic.make(
                "E361",
                f"grant `{g.name}` is for the customer's own principals (`party: customer`) "
                "but names none",
                g.where.at("party"),
                "list them under the grant's `principals` (usually an organization parameter)",
            )
        for j, p in enumerate(g.principals or ()):
            if p.service is not None and g.party == "vendor":
                yield Diagnostic.make(
                    "E367",
                    f"grant `{g.name}` names AWS service `{p.service}` as the vendor's principal",
                    g.where.at("principals", j),
                    "a service acts for the customer: set `party: customer` on the grant",
                )
    yield from _check_spec(vendor)


def list_parameters_misused(app: App, vendor: Vendor) -> Iterator[Diagnostic]:
    """A list value is a set of principals; a condition value or an ExternalId takes one."""
    single = {
        v.parameter
        for g in vendor.grants
        for c in g.conditions
        for v in c.values
        if isinstance(v, ParamRef)
    }
    if vendor.logging is not None:
        single.add(vendor.logging.external_id_parameter)
    for name, value in app.parameters.items():
        if name in single and not isinstance(value, str):
            yield Diagnostic.make(
                "E360",
                f"parameter `{name}` takes one value, not a list (lists are for principals)",
                app.where.at("parameters", name),
            )


def key_usage(vendor: Vendor) -> str | None:
    return vendor.key.usage or keyspecs.default_usage(vendor.key.spec)


def _check_spec(vendor: Vendor) -> Iterator[Diagnostic]:
    key, spec = vendor.key, vendor.key.spec
    usage = key_usage(vendor)
    if usage is None or usage not in keyspecs.usages(spec):
        yield Diagnostic.make(
            "E362",
            f"key spec `{spec}` "
            + (f"cannot be used for `{usage}`" if usage else "needs a `usage`"),
            key.where.at("usage") if key.usage else key.where.at("spec"),
            "one of " + ", ".join(f"`{u}`" for u in keyspecs.usages(spec)),
        )
        return
    for g in vendor.grants:
        bad = set(keyspecs.unusable(spec, usage, g.actions))
        for i, action in enumerate(g.actions):
            if action in bad:
                yield Diagnostic.make(
                    "E363",
                    f"grant `{g.name}`: a `{spec}` key for `{usage}` cannot perform `{action}`",
                    g.where.at("actions", i),
                    "it can perform "
                    + ", ".join(f"`{a}`" for a in sorted(keyspecs.allowed_actions(spec, usage))),
                )
    if key.automatic_rotation == "supported" and not keyspecs.rotates(spec):
        yield Diagnostic.make(
            "E364",
            f"AWS rotates only symmetric encryption keys automatically, not `{spec}`",
            key.where.at("automatic_rotation"),
            "set `automatic_rotation: unsupported`",
        )
