"""Warnings the organization accepts, one target at a time, with a reason (org.yaml
`accepted_warnings`). Runs after verify, on the warnings of the whole build.

A warning's target is `<vendor or file>: <what>`: the stem of the file it points at (`slack` for
vendors/slack.yaml, `org` for org.yaml) and its message after the first `: `, without
backticks, e.g. `slack: principal arn:aws:iam::152659312504:root`. An entry accepts every warning
of its code with exactly that target. It never hides anything silently: an expired entry
brings its warnings back with W120, an entry that matches nothing is W121, and naming an error
or an unknown code is E210.

An inline acceptance (`# byok:accept=W101: reason`, load/inline.py) accepts the warnings of its
code located on the line it sits on (or, alone on its line, the next one); one that matches
nothing is W122. `byok generate` lists every acceptance in force, of either kind.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from ..codes import CATALOGUE
from ..diagnostics import Diagnostic, Loc
from ..load.inline import InlineAccept
from ..model.inputs import AcceptedWarning, Org


@dataclass(frozen=True)
class Accepted:
    warning: Diagnostic
    entry: AcceptedWarning | InlineAccept

    def why(self) -> dict[str, str | None]:
        """Reason, ticket, expiry and where the acceptance is written."""
        e = self.entry
        if isinstance(e, InlineAccept):
            return {"reason": e.reason, "ticket": None, "expires": None, "by": str(e.where)}
        expires = e.expires.isoformat() if e.expires else None
        return {"reason": e.reason, "ticket": e.ticket, "expires": expires, "by": ORG_ENTRY}


ORG_ENTRY = "org.yaml accepted_warnings"


SHIPPED_NOTE = " (in the shipped vendor file "


def target(d: Diagnostic) -> str:
    """The name an `accepted_warnings` entry uses for `d` (for a warning about a shipped
    vendor file located in org.yaml, the vendor file's: `relocate`)."""
    file = d.about or (d.loc.file if d.loc else None)
    where = PurePath(file).stem if file else ""
    message = d.message.rpartition(SHIPPED_NOTE)[0] if d.about else d.message
    _, sep, what = message.partition(": ")
    return f"{where}: {(what if sep else message).replace('`', '')}"


def vendor_uses(org: Org) -> dict[str, Loc | None]:
    """Vendor name -> where the first app of that vendor names it in org.yaml."""
    out: dict[str, Loc | None] = {}
    for i, app in enumerate(org.apps):
        out.setdefault(app.vendor, org.where.at("apps", i, "vendor"))
    return out


def relocate(
    diags: Sequence[Diagnostic],
    org: Org,
    shipped: Collection[str],
    uses: Mapping[str, Loc | None] | None = None,
) -> list[Diagnostic]:
    """Diagnostics located in a shipped vendor file (`shipped`: their paths as shown, outside
    the project, e.g. in site-packages) are located at the org.yaml line that uses the vendor
    (`uses`: `vendor_uses(org)`), with the shipped file named in the message: a SARIF location
    outside the repository cannot be placed by code scanning, and nobody edits site-packages.
    `about` keeps the vendor file, so `accepted_warnings` targets (`slack: ...`) are unchanged."""
    uses = vendor_uses(org) if uses is None else uses
    out = []
    for d in diags:
        if d.loc is None or d.loc.file not in shipped:
            out.append(d)
            continue
        stem = PurePath(d.loc.file).stem
        at = uses.get(stem, org.where.loc)
        out.append(
            d.model_copy(
                update={
                    "message": f"{d.message}{SHIPPED_NOTE}{d.loc})",
                    "loc": at,
                    "about": d.loc.file,
                }
            )
        )
    return out


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


def bad_inline(inline: Sequence[InlineAccept]) -> list[Diagnostic]:
    """E210 for every inline acceptance whose code is not a catalogued warning."""
    return [
        Diagnostic.make(
            "E210",
            f"`{s.code}` is not a warning code: only warnings can be accepted",
            s.where,
            "see docs/diagnostics.md for the warning codes (W...)",
        )
        for s in inline
        if s.code not in CATALOGUE or CATALOGUE[s.code].severity != "warning"
    ]


def _matches(e: AcceptedWarning, d: Diagnostic) -> bool:
    return e.code == d.code and e.target == target(d)


def _inline(
    inline: Sequence[InlineAccept], warnings: Sequence[Diagnostic]
) -> tuple[list[Diagnostic], list[Accepted]]:
    """Inline acceptances first: (the warnings left, with W122 added; the ones accepted)."""
    left: list[Diagnostic] = []
    accepted: list[Accepted] = []
    used: set[int] = set()
    for d in warnings:
        s = next(
            (
                s
                for s in inline
                if d.loc
                and (s.code, s.where.file) == (d.code, d.loc.file)
                and d.loc.line in s.lines
            ),
            None,
        )
        if s is None:
            left.append(d)
        else:
            used.add(id(s))
            accepted.append(Accepted(d, s))
    left += [
        Diagnostic.make(
            "W122",
            f"inline acceptance of {s.code} matches no warning on line "
            f"{' or '.join(map(str, s.lines))}",
            s.where,
            "remove it, or move it next to the value the warning points at",
        )
        for s in inline
        if id(s) not in used
    ]
    return left, accepted


def apply(
    org: Org,
    warnings: Sequence[Diagnostic],
    today: date,
    inline: Sequence[InlineAccept] = (),
) -> tuple[list[Diagnostic], list[Accepted]]:
    """(the warnings still reported, with W120/W121/W122 added; the warnings accepted)."""
    kept: list[Diagnostic] = []
    left, accepted = _inline(inline, warnings)
    used: set[int] = set()
    for d in left:
        entry = next((e for e in org.accepted_warnings if _matches(e, d)), None)
        if entry is None:
            kept.append(d)
            continue
        used.add(id(entry))
        if entry.expires is not None and entry.expires < today:
            kept.append(d)
        else:
            accepted.append(Accepted(d, entry))
    return kept + _unused(org, used, today), accepted


def _unused(org: Org, used: set[int], today: date) -> list[Diagnostic]:
    """W120 for each expired entry that matched, W121 for each that matched nothing."""
    kept: list[Diagnostic] = []
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
    return kept
