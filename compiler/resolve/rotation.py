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
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, Loc
from ..model import Org

if TYPE_CHECKING:
    from .keys import ResolvedKey

THREE_YEARS_DAYS = 1095
NIST_SOURCE = "https://doi.org/10.6028/NIST.SP.800-57pt1r5"


def _where(org: Org, key: ResolvedKey) -> tuple[Loc | None, str]:
    """The org.yaml line that set the key's period, and what it is (the app's own or the
    defaults)."""
    if key.app.key.rotation_period_days is not None:
        return key.app.key.where.at("rotation_period_days"), f"app `{key.vendor.name}`"
    return org.defaults.where.at("rotation_period_days"), "`defaults`"


def long_rotation(org: Org, keys: Iterable[ResolvedKey]) -> Iterator[Diagnostic]:
    """One W109 per org.yaml value over three years that a rotating key uses."""
    seen: set[tuple[Loc | None, str]] = set()
    for key in keys:
        days = key.options.rotation_period_days
        if not key.options.automatic_rotation or days <= THREE_YEARS_DAYS:
            continue
        loc, what = _where(org, key)
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
