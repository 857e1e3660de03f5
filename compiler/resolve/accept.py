"""Warnings the organization accepts, one target at a time, with a reason (org.yaml
`accepted_warnings`). Runs after verify, on the warnings of the whole build.

A warning's target is `<vendor or file>: <what>`: the stem of the file it points at (`slack` for
vendors/slack.yaml, `org` for org.yaml) and its message after the first `: `, without
backticks, e.g. `slack: principal arn:aws:iam::152659312504:root`. An entry accepts every warning
of its code with exactly that target. It never hides anything silently: an expired entry
brings its warnings back with W120, an entry that matches nothing is W121, and naming an error
or an unknown code is E210.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from ..codes import CATALOGUE
from ..diagnostics import Diagnostic
from ..model.inputs import AcceptedWarning, Org


@dataclass(frozen=True)
class Accepted:
    warning: Diagnostic
    entry: AcceptedWarning


def target(d: Diagnostic) -> str:
    """The name an `accepted_warnings` entry uses for `d`."""
    where = PurePath(d.loc.file).stem if d.loc else ""
    _, sep, what = d.message.partition(": ")
    return f"{where}: {(what if sep else d.message).replace('`', '')}"


def bad_codes(org: Org) -> list[Diagnostic]:
    """E210 for every entry whose code is not a catalogued warning."""
    return [
        Diagnostic.make(
            "E210",
            f"`{e.code}` is not a warning code: only warnings can be accepted",
            e.where.at("code"),
            "see docs/diagnostics.md for the warning codes (W...)",
        )
        for e in org.accepted_warnings
        if e.code not in CATALOGUE or CATALOGUE[e.code].severity != "warning"
    ]


def _matches(e: AcceptedWarning, d: Diagnostic) -> bool:
    return e.code == d.code and e.target == target(d)


def apply(
    org: Org, warnings: Sequence[Diagnostic], today: date
) -> tuple[list[Diagnostic], list[Accepted]]:
    """(the warnings still reported, with W120/W121 added; the warnings accepted)."""
    kept: list[Diagnostic] = []
    accepted: list[Accepted] = []
    used: set[int] = set()
    for d in warnings:
        entry = next((e for e in org.accepted_warnings if _matches(e, d)), None)
        if entry is None:
            kept.append(d)
            continue
        used.add(id(entry))
        if entry.expires is not None and entry.expires < today:
            kept.append(d)
        else:
            accepted.append(Accepted(d, entry))
    for e in org.accepted_warnings:
        if e.expires is not None and e.expires < today and id(e) in used:
            kept.append(
                Diagnostic.make(
                    "W120",
                    f"acceptance of {e.code} `{e.target}` expired on {e.expires.isoformat()} "
                    f"(ticket {e.ticket})",
                    e.where.at("expires"),
                    "renew it with a reason and a new date, or fix what it accepted",
                )
            )
        elif id(e) not in used:
            kept.append(
                Diagnostic.make(
                    "W121",
                    f"acceptance of {e.code} `{e.target}` matches no warning",
                    e.where.at("target"),
                    "remove it (or correct `target`: "
                    "`byok generate --format json` lists each warning)",
                )
            )
    return kept, accepted
