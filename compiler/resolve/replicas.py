"""Resolve-stage checks of an app's multi-Region replicas (`key.replica_regions`).

Every Region already has the model's Region syntax; here: no Region twice, none that is the
primary's own Region, replicas only of a multi-Region key, and no replica of imported key
material (each replica of an EXTERNAL key needs its own import of the same material, which
this project does not automate).
https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-replicate.html
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic
from ..model.inputs import App, Org, Vendor
from .stacks import key_org


def _multi_region(org: Org, app: App, vendor: Vendor) -> bool:
    if vendor.key.multi_region == "required":
        return True
    chosen = app.key.multi_region
    return org.defaults.multi_region if chosen is None else chosen


def imported_material(org: Org, app: App) -> bool:
    """The app's `origin` or `imported_key_material`, else the organization's default."""
    if app.key.origin is not None:
        return app.key.origin == "EXTERNAL"
    chosen = app.key.imported_key_material
    return org.defaults.imported_key_material if chosen is None else chosen


def check_origin(app: App) -> Iterator[Diagnostic]:
    k = app.key
    chosen = k.imported_key_material
    if k.origin is not None and chosen is not None and (k.origin == "EXTERNAL") != chosen:
        yield Diagnostic.make(
            "E344",
            f"`origin: {k.origin}` contradicts `imported_key_material: {str(chosen).lower()}`",
            k.where.at("origin"),
            help="keep one of the two (`origin: EXTERNAL` is `imported_key_material: true`)",
        )


def check_replicas(org: Org, app: App, vendor: Vendor) -> Iterator[Diagnostic]:
    regions = app.key.replica_regions
    if not regions:
        return
    w = app.key.where
    seen: set[str] = set()
    primaries = {key_org(org, env).region for env in app.environments}
    for i, region in enumerate(regions):
        if region in primaries:
            yield Diagnostic.make(
                "E340",
                f"replica Region `{region}` is the primary key's Region (org.yaml `region`)",
                w.at("replica_regions", i),
                help="a multi-Region key has at most one key per Region; list other Regions",
            )
        elif region in seen:
            yield Diagnostic.make(
                "E341", f"replica Region `{region}` listed twice", w.at("replica_regions", i)
            )
        seen.add(region)
    if not _multi_region(org, app, vendor):
        yield Diagnostic.make(
            "E342",
            f"`{vendor.name}` key is not multi-Region: it cannot have replicas",
            w.at("replica_regions"),
            help="set `multi_region: true` on the app's key (only at creation: AWS cannot "
            "convert a single-Region key)",
        )
    if imported_material(org, app):
        yield Diagnostic.make(
            "E343",
            f"`{vendor.name}` key has imported key material: replicas are not supported",
            w.at("replica_regions"),
            help="each replica of an EXTERNAL key needs the same material imported separately; "
            "use AWS-generated material for a replicated key",
        )
