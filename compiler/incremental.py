"""Per-app reuse of an earlier build (issue 29): after a one-key edit, only that app's keys are
proved again and get their own files (policy, handoff sheet) and their sections of ACCESS.md
rendered again; the organization's files (main.tf, the rest of ACCESS.md, the inventory, ...)
are rendered from every compiled key as always.

What an app's keys compile, prove and render to is a function of (resolve/keys.py, `app_org`):
its own entry in org.yaml, its vendor file, the organization's settings (org.yaml without the
apps), "today", this byok and the libraries it runs on. The fingerprint of an app hashes all
of them, conservatively: the app's lines of org.yaml, every other line of org.yaml, the vendor
file's bytes and the name it is shown by, the date, the byok version and the compiler's own
sources and installed distributions (`cache.compiler_digest`). Not where the lines start: an
edit that adds lines to one app leaves the others' fingerprints alone, and the locations of
their cached diagnostics move with their lines (`Mover`). Where org.yaml is not cut into apps
cleanly (`load.segments`), or an app's node does not start on the first line of its piece, no
app has a fingerprint and everything is built.

What the cache holds for a fingerprint (each key's proof and diagnostics, and the SHA-256 of
its own files and of its section of ACCESS.md) is used only when the index verifies
(write/store.py: sealed with this user's key) and its shape is exactly what this module writes;
anything else is a miss. A key's own files (its policy and handoff sheet) and its section are
taken from `generated/` only where they still have the recorded digest, else rendered again.
Loading, resolving, compiling and the organization-wide checks always run: they decide whether
a build may succeed at all, and the cache never decides that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .compile import CompiledKey
from .diagnostics import Diagnostic
from .load.segments import Segment, Segments, segment
from .model import Org
from .paths import ORG_FILE, OUT_DIR
from .render.access import key_section
from .shipped import byok_version, vendor_sources
from .verify import Proof
from .write.cache import compiler_digest
from .write.store import Store

FORMAT = 5
KEEP_EARLIER = 16  # entries of earlier states kept beyond one per current app


@dataclass(frozen=True)
class Reused:
    """What the cache holds for one app whose fingerprint is unchanged: by key name, in the
    order the app produces its keys, each key's proof, diagnostics, own files and section of
    ACCESS.md (the last two where `generated/` still holds them)."""

    proofs: dict[str, Proof]
    diags: dict[str, list[Diagnostic]]
    files: dict[str, dict[str, bytes]]
    sections: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    """The apps' fingerprints (vendor name -> digest; none when the cache is off or org.yaml
    cannot be cut), what the cache holds for them, and the entries to keep."""

    store: Store | None = None
    fps: dict[str, str] = field(default_factory=dict)
    layout: Layout = field(default_factory=lambda: Layout())
    reused: dict[str, Reused] = field(default_factory=dict)
    entries: dict[str, Any] = field(default_factory=dict)
    old: dict[str, Any] = field(default_factory=dict)  # the index's entries, by fingerprint
    sections: dict[str, str] = field(default_factory=dict)  # the reused apps' keys'
    made: dict[str, str] = field(default_factory=dict)  # ACCESS.md sections rendered now

    def kept(self) -> dict[str, dict[str, bytes]]:
        """Key name -> its own files, for every key of a reused app (`render_all`'s `kept`)."""
        return {name: files for r in self.reused.values() for name, files in r.files.items()}

    def section(self, ck: CompiledKey) -> str:
        """Key `ck`'s section of ACCESS.md (`render_all`'s `section`): a reused app's as
        `generated/` holds it, else rendered now (and recorded in `made` for `save`)."""
        got = self.sections.get(ck.key.name)
        if got is None:
            got = self.made[ck.key.name] = key_section(ck)
        return got


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


def plan(
    root: Path,
    org: Org,
    today: date,
    store: Store | None,
    names: Mapping[str, Sequence[str]],
    tree: Mapping[str, bytes] | None = None,
) -> Plan:
    """The fingerprints of `org`'s apps and what a verified cache holds for them (`names`: each
    app's keys as compiled now; an entry for other keys is not used). The index names each
    entry by its fingerprint, so an app's earlier states (a reverted edit, another branch)
    stay reusable for a while (`save`). `tree`: `generated/` as the caller read it, where the
    keys' own files are taken from (else read from the disk)."""
    if store is None or store.key is None:
        return Plan()
    found = fingerprints(root, org, today)
    index = store.read() if found.apps else None
    apps = index.get("apps") if isinstance(index, dict) and index.get("format") == FORMAT else None
    out = Plan(store, found.apps, found.layout, old=apps if isinstance(apps, dict) else {})
    read = reader(root, tree)
    sections = access_sections(read(ACCESS)) if out.old else {}
    for vendor, fp in found.apps.items():
        entry = out.old.get(fp)
        if not isinstance(entry, dict) or entry.get("vendor") != vendor:
            continue
        reused = _decode(entry, vendor, found.layout, (read, sections))
        if reused is not None and list(reused.proofs) == list(names.get(vendor, ())):
            out.reused[vendor], out.entries[vendor] = reused, entry
            out.sections.update(reused.sections)
    return out


ACCESS = "ACCESS.md"


def access_sections(data: bytes | None) -> dict[str, str]:
    """ACCESS.md (as `generated/` holds it) cut into its keys' sections (`render_access`):
    key name -> the text from its heading, "## `name` — ...", to the line break that joins it
    to the next heading. A wrong cut (a heading inside a section, a hand edit) only misses: a
    piece is used only when its digest is the one recorded for what `key_section` rendered."""
    try:
        text = "" if data is None else data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    out: dict[str, str] = {}
    at = text.find("\n## `")
    while at >= 0:
        start = at + 1
        end = text.find("\n## ", start)
        name = text[start + 4 : text.find("`", start + 4)]
        out.setdefault(name, text[start : end if end >= 0 else len(text)])
        at = text.find("\n## `", start)
    return out


def own_paths(name: str) -> list[str]:
    """The files of key `name` alone (render.tree.key_files)."""
    return [f"policies/{name}.json", f"handoff/{name}.md"]


Read = Callable[[str], "bytes | None"]


def reader(root: Path, tree: Mapping[str, bytes] | None) -> Read:
    """A file of `generated/` by its path there: from `tree` (`generated/` as the caller read
    it) when given, else from the disk; None when it is not there."""
    if tree is not None:
        return tree.get

    def read(rel: str) -> bytes | None:
        try:
            return (root / OUT_DIR / rel).read_bytes()
        except OSError:
            return None

    return read


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _own(name: str, digests: Any, read: Read) -> dict[str, bytes] | None:
    """Key `name`'s own files as `generated/` holds them, when each still has the digest the
    index names (a hand edit, another branch's tree: rendered again); else None."""
    if not isinstance(digests, dict) or sorted(digests) != sorted(own_paths(name)):
        raise ValueError("not an entry of this format")
    files = {path: read(path) for path in own_paths(name)}
    for path, data in files.items():
        if data is None or _sha(data) != digests[path]:
            return None
    return {path: data for path, data in files.items() if data is not None}


def _decode(
    entry: dict[str, Any], vendor: str, layout: Layout, now: tuple[Read, dict[str, str]]
) -> Reused | None:
    """The app an index entry describes, its diagnostics moved to where their lines are now,
    and its keys' own files and sections of ACCESS.md where `generated/` still holds them
    (`now`: its reader and ACCESS.md's sections); or None when the entry is not what `_encode`
    writes (a damaged cache is a miss) or a diagnostic cannot be moved."""
    read, sections = now
    try:
        mover = Mover(entry["at"], vendor, layout)
        out = Reused({}, {}, {})
        for name, relation, n, found, digests, section in entry["keys"]:
            own = _own(name, digests, read)
            if own is not None:
                out.files[name] = own
            if not isinstance(section, str):
                raise TypeError("not a digest")
            text = sections.get(name)
            if text is not None and _sha(text.encode()) == section:
                out.sections[name] = text
            out.proofs[name] = Proof(key=name, relation=relation, revocations_checked=n)
            moved = [mover.diagnostic(Diagnostic.model_validate(d)) for d in found]
            if None in moved:
                return None
            out.diags[name] = [d for d in moved if d is not None]
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    return out


def _encode(
    vendor: str,
    names: Sequence[str],
    files: Mapping[str, bytes],
    verified: Mapping[str, tuple[Sequence[Diagnostic], Proof]],
    at: list[Any],
    made: Mapping[str, str],
) -> dict[str, Any]:
    """An index entry for one app's keys (`names`, in order): each key's proof, diagnostics,
    the digests of its own files and of its section of ACCESS.md as rendered (`made`)."""
    keys = []
    for n in names:
        found, proof = verified[n]
        dumped = [d.model_dump(mode="json") for d in found]
        digests = {p: _sha(files[p]) for p in own_paths(n)}
        section = _sha(made[n].encode())
        keys.append([n, proof.relation, proof.revocations_checked, dumped, digests, section])
    return {"vendor": vendor, "keys": keys, "at": at}


def save(
    p: Plan,
    apps: Mapping[str, Sequence[str]],
    files: Mapping[str, bytes],
    verified: Mapping[str, tuple[Sequence[Diagnostic], Proof]],
) -> None:
    """Record every app of a successful build (`apps`: vendor -> its keys, in order) under its
    fingerprint, the entries of reused apps as they were; keep the entries of earlier states up
    to as many again plus `KEEP_EARLIER`."""
    store = p.store
    if store is None or not p.fps or all(vendor in p.entries for vendor in apps):
        return  # no cache, or nothing it does not hold already
    entries: dict[str, Any] = {}
    for vendor, names in apps.items():
        fp = p.fps.get(vendor)
        if fp is None:
            continue
        entries[fp] = p.entries.get(vendor) or _encode(
            vendor, names, files, verified, p.layout.of(vendor), p.made
        )
    # the latest states first, then earlier ones: as many again as there are apps now
    earlier = [(fp, e) for fp, e in p.old.items() if fp not in entries and isinstance(e, dict)]
    entries.update(earlier[: KEEP_EARLIER + len(entries)])
    store.write({"format": FORMAT, "apps": entries})
