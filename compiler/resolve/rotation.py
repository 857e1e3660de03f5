"""W109: a key that rotates automatically less often than every three years.

The BYOK runbook this project replaces (seed 000, "Key Rotation") cites NIST's recommendation
"that cryptographic keys be changed at least every three years": NIST SP 800-57 Part 1 Rev. 5,
"Recommendation for Key Management", section 5.3 on cryptoperiods
(https://doi.org/10.6028/NIST.SP.800-57pt1r5). KMS accepts periods up to 2560 days
(EnableKeyRotation `RotationPeriodInDays`, 90-2560), so a longer period is valid and only warned
about. Keys that do not rotate automatically (imported material, a vendor that cannot follow a
rotation) are left out: their period is never used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..diagnostics import Diagnostic, Loc
from ..model import Org
from ..model.inputs import App

THREE_YEARS_DAYS = 1095
NIST_SOURCE = "https://doi.org/10.6028/NIST.SP.800-57pt1r5"


def _where(org: Org, app: App) -> tuple[Loc | None, str]:
    """The org.yaml line that set the app's period, and what it is (the app's own or the
    defaults)."""
    if app.key.rotation_period_days is not None:
        return app.key.where.at("rotation_period_days"), f"app `{app.vendor}`"
    return org.defaults.where.at("rotation_period_days"), "`defaults`"


def long_rotation(org: Org, keys: Iterable[tuple[App, int, bool]]) -> Iterator[Diagnostic]:
    """One W109 per org.yaml value over three years that a rotating key uses; `keys`: each
    key's app, rotation period in days and whether it rotates automatically."""
    seen: set[tuple[Loc | None, str]] = set()
    for app, days, rotates in keys:
        if not rotates or days <= THREE_YEARS_DAYS:
            continue
        loc, what = _where(org, app)
        if (loc, what) in seen:
            continue
        seen.add((loc, what))
        yield Diagnostic.make(
            "W109",
            f"rotation period over three years: {what} rotates every {days} days",
            loc,
            f"NIST SP 800-57 Part 1 ({NIST_SOURCE}), as the BYOK runbook cites it: change keys "
            f"at least every three years; set rotation_period_days to {THREE_YEARS_DAYS} or less",
        )
