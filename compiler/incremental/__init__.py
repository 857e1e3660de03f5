"""Per-app reuse of an earlier build (issue 29): after a one-key edit, only that app's keys are
proved again and get their own files (policy, handoff sheet) and their pieces of the
organization's files (render/pieces.py: their sections of ACCESS.md, their entries of main.tf's
`keys`, their resources' lines of the inventory) rendered again; those files are assembled from
every key's pieces by the functions of a full build.

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
its own files and of each of its pieces) is used only when the index verifies (write/store.py:
sealed with this user's key) and its shape is exactly what this module writes; anything else is
a miss. A key's own files (its policy and handoff sheet) and its pieces are taken from
`generated/` only where they still have the recorded digest, else rendered again.
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

from ..compile import CompiledKey
from ..deployment import Line
from ..diagnostics import Diagnostic
from ..model import Org
from ..paths import OUT_DIR
from ..render.features import ArchiveRule
from ..render.hcl import Rendered
from ..render.inventory import INVENTORY_PATH
from ..render.pieces import (
    Pieces,
    access_sections,
    digest,
    entry_of,
    features_entries,
    inventory_lines,
    key_entry,
    locals_entries,
    rule_entry,
)
from ..verify import Proof
from ..write.store import Store
from .places import Layout, Mover, fingerprints

FORMAT = 6
KEEP_EARLIER = 16  # entries of earlier states kept beyond one per current app


@dataclass(frozen=True)
class Recorded:
    """The digests of a key's pieces of main.tf, the inventory and features.tf (render/pieces.py):
    of its entry, of each of its resources' lines (with the resource's root and address) and of
    each of its archive rules' entries."""

    entry: str
    lines: list[Line]
    rules: dict[str, str]  # archive rule name -> the digest of its entry of features.tf


@dataclass(frozen=True)
class Reused:
    """What the cache holds for one app whose fingerprint is unchanged: by key name, in the
    order the app produces its keys, each key's proof, diagnostics, own files and section of
    ACCESS.md (the last two where `generated/` still holds them), its pieces' digests."""

    proofs: dict[str, Proof]
    diags: dict[str, list[Diagnostic]]
    files: dict[str, dict[str, bytes]]
    sections: dict[str, str] = field(default_factory=dict)
    pieces: dict[str, Recorded] = field(default_factory=dict)


@dataclass
class Plan(Pieces):
    """The apps' fingerprints (vendor name -> digest; none when the cache is off or org.yaml
    cannot be cut), what the cache holds for them, and the entries to keep. As `render_all`'s
    `pieces`: a reused app's keys' pieces where `generated/` (`read`) holds them with the
    recorded digest, else rendered now and recorded in `made*` for `save`."""

    store: Store | None = None
    fps: dict[str, str] = field(default_factory=dict)
    layout: Layout = field(default_factory=lambda: Layout())
    reused: dict[str, Reused] = field(default_factory=dict)
    entries: dict[str, Any] = field(default_factory=dict)
    old: dict[str, Any] = field(default_factory=dict)  # the index's entries, by fingerprint
    sections: dict[str, str] = field(default_factory=dict)  # the reused apps' keys'
    made: dict[str, str] = field(default_factory=dict)  # ACCESS.md sections rendered now
    made_entries: dict[str, str] = field(default_factory=dict)  # main.tf entries rendered now
    made_lines: dict[str, list[Line]] = field(default_factory=dict)  # inventory lines, likewise
    made_rules: dict[str, dict[str, str]] = field(default_factory=dict)  # features.tf entries
    read: Read = field(default=lambda rel: None)
    recorded: dict[str, Recorded] = field(default_factory=dict)  # the reused apps' keys'
    cuts: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> its pieces

    def kept(self) -> dict[str, dict[str, bytes]]:
        """Key name -> its own files, for every key of a reused app (`render_all`'s `kept`)."""
        return {name: files for r in self.reused.values() for name, files in r.files.items()}

    def _cut(self, path: str, cut: Callable[[bytes | None], dict[str, str]]) -> dict[str, str]:
        if path not in self.cuts:
            self.cuts[path] = cut(self.read(path))
        return self.cuts[path]

    def section(self, ck: CompiledKey) -> str:
        got = self.sections.get(ck.key.name)
        if got is None:
            got = self.made[ck.key.name] = super().section(ck)
        return got

    def entry(self, ck: CompiledKey, path: str) -> Rendered:
        name, want = ck.key.name, self.recorded.get(ck.key.name)
        if want is not None:
            text = entry_of(self._cut(path, locals_entries), name)
            if text is not None and digest(text) == want.entry:
                return Rendered(text)
        got = self.made_entries[name] = key_entry(ck)
        return got

    def rule(self, r: ArchiveRule, path: str) -> Rendered:
        want = self.recorded.get(r.key)
        if want is not None and r.name in want.rules:
            text = entry_of(self._cut(path, features_entries), r.name)
            if text is not None and digest(text) == want.rules[r.name]:
                return Rendered(text)
        got = self.made_rules.setdefault(r.key, {})[r.name] = rule_entry(r)
        return got

    def lines(self, ck: CompiledKey, fresh: Callable[[], list[Line]]) -> list[Line]:
        want = self.recorded.get(ck.key.name)
        if want is not None:
            found = self._cut(INVENTORY_PATH, inventory_lines)
            got = [(r, a, found[sha]) for r, a, sha in want.lines if sha in found]
            if len(got) == len(want.lines):
                return got
        made = self.made_lines[ck.key.name] = fresh()
        return made


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
    read = out.read = reader(root, tree)
    sections = access_sections(read(ACCESS)) if out.old else {}
    for vendor, fp in found.apps.items():
        entry = out.old.get(fp)
        if not isinstance(entry, dict) or entry.get("vendor") != vendor:
            continue
        reused = _decode(entry, vendor, found.layout, (read, sections))
        if reused is not None and list(reused.proofs) == list(names.get(vendor, ())):
            out.reused[vendor], out.entries[vendor] = reused, entry
            out.sections.update(reused.sections)
            out.recorded.update(reused.pieces)
    return out


ACCESS = "ACCESS.md"


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
        for name, relation, n, found, digests, section, piece, lines, rules in entry["keys"]:
            own = _own(name, digests, read)
            if own is not None:
                out.files[name] = own
            if not all(isinstance(d, str) for d in [section, piece, *rules, *rules.values()]):
                raise TypeError("not a digest")
            out.pieces[name] = Recorded(piece, [_line(line) for line in lines], rules)
            text = sections.get(name)
            if text is not None and digest(text) == section:
                out.sections[name] = text
            out.proofs[name] = Proof(key=name, relation=relation, revocations_checked=n)
            moved = [mover.diagnostic(Diagnostic.model_validate(d)) for d in found]
            if None in moved:
                return None
            out.diags[name] = [d for d in moved if d is not None]
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    return out


def _line(line: Any) -> Line:
    """A resource's root, address and line digest, as `_encode` records them."""
    if not isinstance(line, list) or len(line) != 3 or not all(isinstance(x, str) for x in line):
        raise TypeError("not a line")
    return line[0], line[1], line[2]


def _encode(
    vendor: str,
    names: Sequence[str],
    files: Mapping[str, bytes],
    verified: Mapping[str, tuple[Sequence[Diagnostic], Proof]],
    p: Plan,
) -> dict[str, Any]:
    """An index entry for one app's keys (`names`, in order): each key's proof, diagnostics,
    the digests of its own files and of its pieces as rendered (`p.made*`)."""
    keys = []
    for n in names:
        found, proof = verified[n]
        dumped = [d.model_dump(mode="json") for d in found]
        digests = {path: _sha(files[path]) for path in own_paths(n)}
        pieces = [digest(p.made[n]), digest(p.made_entries[n])]
        lines = [[r, a, digest(text)] for r, a, text in p.made_lines[n]]
        rules = {rule: digest(text) for rule, text in p.made_rules.get(n, {}).items()}
        row = [n, proof.relation, proof.revocations_checked, dumped, digests, *pieces, lines]
        keys.append([*row, rules])
    return {"vendor": vendor, "keys": keys, "at": p.layout.of(vendor)}


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
        entries[fp] = p.entries.get(vendor) or _encode(vendor, names, files, verified, p)
    # the latest states first, then earlier ones: as many again as there are apps now
    earlier = [(fp, e) for fp, e in p.old.items() if fp not in entries and isinstance(e, dict)]
    entries.update(earlier[: KEEP_EARLIER + len(entries)])
    store.write({"format": FORMAT, "apps": entries})
