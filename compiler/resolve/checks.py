"""Cross-reference checks of the resolve stage: vendor files against the KMS catalog, and each
app against its vendor. Each check yields located diagnostics; none stops at the first problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import PurePath

from ..diagnostics import Diagnostic, did_you_mean
from ..load import show
from ..model.base import Where
from ..model.inputs import App, Org, ParamRef, RevocationEntry, Scope, Vendor
from ..model.types import EXTERNAL_ID_CHARS, EXTERNAL_ID_PATTERN, is_iam_arn
from .conditions import check_actions, check_condition
from .extras import check_extras
from .grants import all_principals, check_grants, list_parameters_misused, param_items
from .replacements import check_replacements
from .replicas import check_origin, check_replicas
from .revocations import check_context_key_confirmed, check_revocation_actions
from .states import check_key_states


def check_vendor(vendor: Vendor) -> Iterator[Diagnostic]:
    w = vendor.where
    stem = w.loc.file.rsplit("/", 1)[-1].removesuffix(".yaml") if w.loc else vendor.name
    if stem != vendor.name:
        yield Diagnostic.make(
            "E204",
            f"vendor name `{vendor.name}` differs from its file name `{show(stem)}.yaml`",
            w.at("name"),
        )
    if not vendor.principals:
        yield Diagnostic.make(
            "E308", f"vendor `{vendor.name}` grants no principal", w.at("principals")
        )
    yield from _check_params_declared(vendor)
    names: set[str] = set()
    for grant in vendor.grants:
        if grant.name in names:
            yield Diagnostic.make("E206", f"duplicate grant `{grant.name}`", grant.where.at("name"))
        names.add(grant.name)
        yield from check_actions(grant.where, "actions", grant.actions)
        for cond in grant.conditions:
            yield from check_condition(cond.where, cond)
    yield from check_actions(vendor.revocation.where, "actions", vendor.revocation.actions)
    yield from check_revocation_actions(vendor)
    yield from _check_scopes(vendor)
    yield from check_grants(vendor)


def _check_scopes(vendor: Vendor) -> Iterator[Diagnostic]:
    params: set[str] = set()
    for param in vendor.parameters:
        if param.name in params:
            yield Diagnostic.make(
                "E206", f"duplicate parameter `{param.name}`", param.where.at("name")
            )
        params.add(param.name)
    seen: set[str] = set()
    for scope in vendor.revocation.scopes:
        if scope.name in seen:
            yield Diagnostic.make("E206", f"duplicate scope `{scope.name}`", scope.where.at("name"))
        seen.add(scope.name)


def _check_params_declared(vendor: Vendor) -> Iterator[Diagnostic]:
    declared = {p.name for p in vendor.parameters}
    refs: list[tuple[str, Where, str]] = []
    for p in all_principals(vendor):
        if sum(x is not None for x in (p.arn, p.service, p.parameter)) != 1:
            yield Diagnostic.make(
                "E204",
                "a principal needs exactly one of `arn`, `service` or `parameter`",
                p.where.loc,
            )
        elif p.parameter is not None:
            refs.append((p.parameter, p.where, "parameter"))
    for g in vendor.grants:
        for c in g.conditions:
            refs += [
                (v.parameter, v.where, "parameter") for v in c.values if isinstance(v, ParamRef)
            ]
    if vendor.logging is not None:
        refs.append(
            (vendor.logging.external_id_parameter, vendor.logging.where, "external_id_parameter")
        )
    for name, where, field in refs:
        if name not in declared:
            yield Diagnostic.make(
                "E305",
                f"parameter `{name}` is not declared under `parameters`",
                where.at(field),
                did_you_mean(name, declared),
            )


def check_app(org: Org, app: App, vendor: Vendor, today: date) -> Iterator[Diagnostic]:
    """Every problem of one app against its vendor and the organization's settings (`org`: as
    the app's keys see it, `app_org`); the other apps are `check_key_names`' business."""
    # A vendor whose principals or conditions name undeclared parameters cannot be resolved for
    # any app: repeat those errors here (identical diagnostics collapse) so the app is skipped.
    yield from _check_params_declared(vendor)
    yield from _check_parameters(app, vendor)
    yield from list_parameters_misused(app, vendor)
    yield from check_extras(app, vendor, today)
    yield from _check_admins(org, vendor)
    yield from _check_own_account(org, app, vendor)
    envs = set(app.environments)
    if len(envs) != len(app.environments):
        yield Diagnostic.make("E206", "duplicate environment", app.where.at("environments"))
    if app.suspension is not None:
        if not vendor.revocation.kill_switch.supported:
            yield Diagnostic.make(
                "E309", f"`{vendor.name}` does not support suspension", app.suspension.where.loc
            )
        yield from _check_envs(app.suspension.where, app.suspension.environments, envs)
    for r in app.revocations:
        yield from _check_revocation(app, vendor, r, envs, today)
    if vendor.key.multi_region == "unsupported" and app.key.multi_region:
        yield Diagnostic.make(
            "E310",
            f"`{vendor.name}` does not support multi-Region keys",
            app.key.where.at("multi_region"),
        )
    if vendor.key.multi_region == "required" and app.key.multi_region is False:
        yield Diagnostic.make(
            "E310", f"`{vendor.name}` requires a multi-Region key", app.key.where.at("multi_region")
        )
    yield from check_origin(app)
    yield from check_replacements(org, app, today)
    yield from check_replicas(org, app, vendor)
    yield from check_key_states(org, app)


def check_key_names(org: Org, app: App) -> Iterator[Diagnostic]:
    """Key names (and aliases) are `<vendor>-<env>`: vendor `a-b` with `c` and vendor `a` with
    `b-c` would both make `a-b-c`. Reported on the later app, in the order of the earlier
    apps and their environments. The one check of an app that reads the other apps (`check_app`
    reads the app, its vendor and the organization's settings only)."""
    index, position = _key_names(org)
    me = position.get(id(app), len(org.apps))  # an app outside org.apps: every app is earlier
    mine = {f"{app.vendor}-{env}": i for i, env in enumerate(app.environments)}
    hits = sorted(
        (hit, name)
        for name in mine
        for hit in index.get(name, ())
        if hit[0] < me and org.apps[hit[0]].vendor != app.vendor
    )
    for (i, j), name in hits:
        other = org.apps[i]
        env = other.environments[j]
        yield Diagnostic.make(
            "E311",
            f"key `{name}` is also the key of vendor `{other.vendor}` environment `{env}`",
            app.where.at("environments", mine[name]),
        )


# The last organization's key names: (app index, environment index) by name, and each app's
# index by identity. One pass per organization, not one per pair of apps (10,000 keys: issue 16).
_NAMES: list[tuple[Org, dict[str, list[tuple[int, int]]], dict[int, int]]] = []


def _key_names(org: Org) -> tuple[dict[str, list[tuple[int, int]]], dict[int, int]]:
    if _NAMES and _NAMES[0][0] is org:
        return _NAMES[0][1], _NAMES[0][2]
    index: dict[str, list[tuple[int, int]]] = {}
    for i, other in enumerate(org.apps):
        for j, env in enumerate(other.environments):
            index.setdefault(f"{other.vendor}-{env}", []).append((i, j))
    position = {id(a): i for i, a in enumerate(org.apps)}
    _NAMES[:] = [(org, index, position)]
    return index, position


def _check_envs(
    where: Where, chosen: tuple[str, ...] | None, envs: set[str]
) -> Iterator[Diagnostic]:
    for i, env in enumerate(chosen or ()):
        if env not in envs:
            yield Diagnostic.make(
                "E307",
                f"unknown environment `{env}`",
                where.at("environments", i),
                did_you_mean(env, envs),
            )


def _check_revocation(
    app: App, vendor: Vendor, r: RevocationEntry, envs: set[str], today: date
) -> Iterator[Diagnostic]:
    scopes = {s.name: s for s in reversed(vendor.revocation.scopes)}  # a duplicate: the first wins
    scope = scopes.get(r.scope)
    if scope is None:
        help_ = did_you_mean(r.scope, scopes) or (
            None if scopes else f"`{vendor.name}` supports only suspension (whole-key)"
        )
        yield Diagnostic.make(
            "E302",
            f"`{vendor.name}` has no revocation scope `{r.scope}`",
            r.where.at("scope"),
            help_,
        )
    else:
        yield from _check_values(r, scope)
        yield from check_context_key_confirmed(vendor, r, scope)
    yield from _check_envs(r.where, r.environments, envs)
    if r.expires is not None and r.expires < today:
        yield Diagnostic.make(
            "W102",
            f"revocation {r.ticket} expired on {r.expires.isoformat()} and stays in force",
            r.where.at("expires"),
            "remove it from org.yaml to lift it (`byok diff` shows the widening)",
        )


def _check_values(r: RevocationEntry, scope: Scope) -> Iterator[Diagnostic]:
    pattern = re.compile(scope.pattern)
    seen: set[str] = set()
    for i, value in enumerate(r.values):
        if not pattern.fullmatch(value):
            yield Diagnostic.make(
                "E303",
                f"`{show(value)}` is not a valid `{scope.name}` value",
                r.where.at("values", i),
                f"expected a match of `{show(scope.pattern, 300)}`",
            )
        if value in seen:
            yield Diagnostic.make(
                "W104", f"`{show(value)}` is revoked twice", r.where.at("values", i)
            )
        seen.add(value)


def _check_parameters(app: App, vendor: Vendor) -> Iterator[Diagnostic]:
    declared = {p.name: p for p in reversed(vendor.parameters)}
    missing = declared.keys() - app.parameters.keys()
    bad: set[str] = set()
    for name, value in app.parameters.items():
        param = declared.get(name)
        if param is None:
            # A misspelt parameter is one problem: `did you mean` it, and no E304 for it below.
            help_ = did_you_mean(name, missing)
            meant = help_.split("`")[1] if help_ else None
            missing -= {meant}
            yield Diagnostic.make(
                "E305",
                f"`{vendor.name}` has no parameter `{name}`",
                app.where.at("parameters", name, key=True),
                help_ or did_you_mean(name, declared),
            )
        else:
            for item, path in param_items(name, value):
                if not re.fullmatch(param.pattern, item):
                    bad.add(name)
                    yield Diagnostic.make(
                        "E306",
                        f"parameter `{name}` value `{show(item)}` does not "
                        f"match `{show(param.pattern, 300)}`",
                        app.where.at(*path),
                    )
    for name in sorted(missing):
        yield Diagnostic.make(
            "E304",
            f"`{vendor.name}` needs parameter `{name}`: {show(declared[name].description, 500)}",
            app.where.at("vendor"),
        )
    yield from _check_principal_parameters(app, vendor, bad)
    yield from _check_external_id(app, vendor, bad)


def _check_external_id(app: App, vendor: Vendor, bad: set[str]) -> Iterator[Diagnostic]:
    """The logging ExternalId must be one STS accepts (and so the vendor-log-role module, whose
    rule is rendered from the same pattern), whatever the vendor file's own pattern allows."""
    name = vendor.logging.external_id_parameter if vendor.logging else None
    value = app.parameters.get(name or "")
    if name is None or not isinstance(value, str) or name in bad:
        return  # a list here is E360 (`check_list_parameters`)
    if re.fullmatch(EXTERNAL_ID_PATTERN, value):
        return
    yield Diagnostic.make(
        "E330",
        f"parameter `{name}` value `{show(value)}` is not an STS ExternalId",
        app.where.at("parameters", name),
        f"an ExternalId is 2-1224 characters of {EXTERNAL_ID_CHARS} (`{EXTERNAL_ID_PATTERN}`)",
    )


def _check_principal_parameters(app: App, vendor: Vendor, bad: set[str]) -> Iterator[Diagnostic]:
    """A parameter that stands for a principal must be a principal ARN (once per parameter)."""
    for p in all_principals(vendor):
        given = app.parameters.get(p.parameter or "")
        if not p.parameter or p.parameter in bad or given is None:
            continue
        for item, path in param_items(p.parameter, given):
            if not is_iam_arn(item):
                bad.add(p.parameter)
                yield Diagnostic.make(
                    "E306",
                    f"parameter `{p.parameter}` must be an IAM role, user or "
                    f"account root ARN, not `{show(item)}`",
                    app.where.at(*path),
                )


def _check_own_account(org: Org, app: App, vendor: Vendor) -> Iterator[Diagnostic]:
    """A vendor principal the organization supplies must not be one of its own identities:
    its key administrators (or root) would then hold the vendor's grants."""
    principals = all_principals(vendor, party="vendor")
    names = sorted({p.parameter for p in principals if p.parameter})
    for name in names:
        for given, path in param_items(name, app.parameters.get(name, ())):
            if is_iam_arn(given) and given.split(":")[4] == org.account_id:
                yield Diagnostic.make(
                    "E317",
                    f"vendor `{vendor.name}` principal `{given}` is in the "
                    f"organization's own account {org.account_id}",
                    app.where.at(*path),
                    "supply the vendor's principal, never one of your identities",
                )


def _check_vendor_arns(org: Org, vendor: Vendor) -> Iterator[Diagnostic]:
    """A fixed principal of the project's own vendor file in the organization's own account is
    that file's mistake: located there, at the principal (every administrator would otherwise be
    reported as being "in the vendor's account", in org.yaml). A shipped vendor file's account
    is the vendor's (with its source): there org.yaml's `account_id` is what is wrong, and the
    administrators are reported (`_check_admins`)."""
    for p in all_principals(vendor, party="vendor"):
        loc = p.where.at("arn")
        local = loc is not None and not PurePath(loc.file).is_absolute()
        if local and p.arn is not None and p.arn.split(":")[4] == org.account_id:
            yield Diagnostic.make(
                "E317",
                f"vendor `{vendor.name}` principal `{p.arn}` is in the organization's own "
                f"account {org.account_id}",
                loc,
                "a vendor principal is the vendor's account or role (with its source); your own "
                "identities belong in org.yaml (key_administrators, break_glass, statements); if "
                "this principal is right, org.yaml `account_id` is not",
            )


def _check_admins(org: Org, vendor: Vendor) -> Iterator[Diagnostic]:
    located = list(_check_vendor_arns(org, vendor))
    yield from located
    vendor_arns = {p.arn for p in vendor.principals if p.arn}
    vendor_accounts = {a.split(":")[4] for a in vendor_arns}
    if located:  # reported at the vendor file's principal, not at every administrator
        vendor_accounts.discard(org.account_id)
    people = list(org.key_administrators) + ([org.break_glass] if org.break_glass else [])
    for i, arn in enumerate(people):
        field = ("key_administrators", i) if i < len(org.key_administrators) else ("break_glass",)
        account = arn.split(":")[4]
        if account != org.account_id:
            yield Diagnostic.make(
                "E317",
                f"`{arn}` is outside account {org.account_id}; "
                "key administrators must belong to the key's account",
                org.where.at(*field),
            )
        elif account in vendor_accounts:
            yield Diagnostic.make(
                "E317", f"`{arn}` is in vendor `{vendor.name}`'s account", org.where.at(*field)
            )
