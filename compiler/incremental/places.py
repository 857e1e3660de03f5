"""Where an app's pieces of org.yaml are and what its keys depend on (incremental/__init__.py):
its fingerprint, and how the locations of its cached diagnostics move with its lines."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from ..load.segments import Segment, Segments, segment
from ..model import Org
from ..paths import ORG_FILE
from ..shipped import byok_version, vendor_sources
from ..write.cache import compiler_digest


def _feed(h: Any, label: str, data: bytes) -> None:
    h.update(f"{label}\0{len(data)}\0".encode())
    h.update(data)


def _cut(org: Org, text: str) -> Segments | None:
    """org.yaml's pieces, when each app's node starts on the first line of its own piece (else
    None). The cut is made line by line; this is what makes it sound: YAML's items follow one
    another, so everything of app i lies between the first line of its piece and the first line
    of the next app's, and what follows the last app is in the settings' pieces."""
    segs = segment(text)
    if segs is None or len(segs.apps) != len(org.apps):
        return None
    for i, seg in enumerate(segs.apps):
        loc = org.where.at("apps", i)
        if loc is None or loc.line != seg.start:
            return None
    return segs


@dataclass(frozen=True)
class Layout:
    """Where org.yaml's pieces start now and how many lines each has: each app's (by its
    vendor's name) and each setting's (by its top-level key)."""

    apps: dict[str, tuple[int, int]] = field(default_factory=dict)
    settings: dict[str, tuple[int, int]] = field(default_factory=dict)

    def of(self, vendor: str) -> list[Any]:
        """What an index entry records of app `vendor`'s place (see `Mover`)."""
        return [self.apps[vendor][0], {k: start for k, (start, _) in self.settings.items()}]


def _span(seg: Segment) -> tuple[int, int]:
    return seg.start, seg.end - seg.start


@dataclass(frozen=True)
class Fingerprints:
    apps: dict[str, str] = field(default_factory=dict)  # vendor -> digest
    layout: Layout = field(default_factory=Layout)


def fingerprints(root: Path, org: Org, today: date) -> Fingerprints:
    """App (its vendor's name) -> the digest of everything its keys depend on, and where the
    pieces of org.yaml are; none when org.yaml cannot be cut into apps or a file cannot be
    read. The digests leave out where a piece starts: an edit that adds lines to one app keeps
    the others' digests, and `Mover` moves their cached locations with them."""
    try:
        text = (root / ORG_FILE).read_bytes().decode("utf-8")
        sources = vendor_sources(root)
        segs = _cut(org, text) if not text.startswith("\ufeff") else None
        if segs is None:
            return Fingerprints()
        common = hashlib.sha256()
        for part in ("byok", byok_version(), compiler_digest(), today.isoformat()):
            _feed(common, "common", part.encode())
        for seg in segs.settings:
            _feed(common, f"setting {seg.key}", seg.text.encode())
        out: dict[str, str] = {}
        for app, seg in zip(org.apps, segs.apps, strict=True):
            path, shown = sources[app.vendor]
            h = common.copy()
            _feed(h, "app", seg.text.encode())
            _feed(h, f"vendor {shown}", path.read_bytes())
            out[app.vendor] = h.hexdigest()
    except (OSError, UnicodeDecodeError, KeyError):
        return Fingerprints()
    apps = {app.vendor: _span(seg) for app, seg in zip(org.apps, segs.apps, strict=True)}
    return Fingerprints(out, Layout(apps, {seg.key: _span(seg) for seg in segs.settings}))


class Mover:
    """Moves an org.yaml location recorded when an app's entry was cached to where that line is
    now. The pieces it may lie in (the app's own, a setting's) have the same text now as then
    (the fingerprint says so), so a line keeps its place within its piece; a line in no piece
    of the app's or the settings' cannot be placed (None)."""

    def __init__(self, at: Any, vendor: str, layout: Layout) -> None:
        old_app, old_settings = at
        if not isinstance(old_app, int) or not isinstance(old_settings, dict):
            raise TypeError("not a place")
        start, n = layout.apps[vendor]
        self.ranges = [(old_app, n, start)] + [
            (old_settings[k], n, start) for k, (start, n) in layout.settings.items()
        ]
        self.still = all(old == new for old, _, new in self.ranges)

    def line(self, line: int) -> int | None:
        for old, n, new in self.ranges:
            if old <= line < old + n:
                return line - old + new
        return None

    def diagnostic(self, d: Diagnostic) -> Diagnostic | None:
        """`d` located where its line is now, or None when it cannot be (a line named in its
        words is not moved: such a diagnostic is kept only where nothing moved)."""
        if self.still or d.loc is None or d.loc.file != ORG_FILE:
            return d
        if ORG_FILE in d.message or ORG_FILE in (d.help or ""):
            return None
        line = self.line(d.loc.line)
        if line is None:
            return None
        return d.model_copy(update={"loc": d.loc.model_copy(update={"line": line})})
