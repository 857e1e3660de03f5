"""Issue 29: a build that reuses the build cache (incremental/, write/store.py) says and writes
exactly what a full build says and writes, after any sequence of edits, and a cache it cannot
verify changes nothing.

The differential test runs 500 random edit sequences (10 shards of 50, so xdist spreads them)
over the shipped organization: edits to one app, to the settings, to a vendor file (one that an
app uses and one that none does), line shifts, app reordering, broken input, another day.
After every edit the incremental build (with the cache every earlier step of the shard left)
and a full build (no cache) must give identical files, warnings, proofs and acceptances, or
identical diagnostics when the inputs do not compile.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from byok import incremental
from byok.cli.generate import _summary
from byok.diagnostics import CompileError
from byok.pipeline import build_tree, existing_keys
from byok.write import write_tree
from byok.write.store import Store
from tests.conftest import REPO

DAY = date(2026, 11, 23)
SHARDS, PER_SHARD = 10, 50  # 500 sequences
Outcome = tuple[Any, ...]


def outcome(root: Path, day: date, store: Store | None) -> Outcome:
    """What a build says and writes: the files, warnings, summary (each key's proofs and the
    acceptances in force); or the diagnostics of the failure."""
    try:
        r = build_tree(root, day, store=store)
    except CompileError as err:
        return ("error", [d.render() for d in err.diagnostics])
    return ("ok", r.files, [w.render() for w in r.warnings], _summary(r))


_FULL: dict[str, Outcome] = {}


def full(root: Path, day: date) -> Outcome:
    """The full build of the inputs as they are now (memoised by their bytes, the day and the
    keys `generated/` holds, which the build's guard reads)."""
    h = hashlib.sha256(day.isoformat().encode())
    h.update(" ".join(sorted(existing_keys(root))).encode())
    for path in [root / "org.yaml", *sorted((root / "vendors").glob("*"))]:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    key = h.hexdigest()
    if key not in _FULL:
        _FULL[key] = outcome(root, day, None)
    return _FULL[key]


# ----------------------------------------------------------------------------- the edits

Edit = Callable[[str, random.Random], str]


def _sub(pattern: str, repl: str) -> Edit:
    def edit(text: str, rng: random.Random) -> str:
        spots = list(re.finditer(pattern, text, re.M))
        if not spots:
            return text
        m = rng.choice(spots)
        return text[: m.start()] + m.expand(repl) + text[m.end() :]

    return edit


def _insert_line(line: str, above: int | None = None) -> Edit:
    """A line before a random line (of the first `above`): a comment or a blank line, every
    later location moves."""

    def edit(text: str, rng: random.Random) -> str:
        lines = text.splitlines(keepends=True)
        i = rng.randrange(min(len(lines), above or len(lines)) + 1)
        return "".join([*lines[:i], line, *lines[i:]])

    return edit


def _choice(pattern: str, values: list[str]) -> Edit:
    def edit(text: str, rng: random.Random) -> str:
        return _sub(pattern, rf"\g<1>{rng.choice(values)}")(text, rng)

    return edit


def _reorder(text: str, order: Callable[[list[str]], list[str]]) -> str:
    """The apps in another order (their keys' order, every location in them)."""
    head, sep, rest = text.partition("\napps:\n")
    body, tail_sep, tail = rest.partition("\n# Warnings")
    apps = re.split(r"(?m)^(?=  - vendor:)", body)
    first, items = apps[0], apps[1:]
    if not sep or len(items) < 2:
        return text
    items = order([i if i.endswith("\n\n") else i.rstrip("\n") + "\n\n" for i in items])
    return head + sep + first + "".join(items).rstrip("\n") + "\n" + tail_sep + tail


def _swap_apps(text: str, rng: random.Random) -> str:
    """Two apps change places."""

    def swap(items: list[str]) -> list[str]:
        a, b = rng.sample(range(len(items)), 2)
        items[a], items[b] = items[b], items[a]
        return items

    return _reorder(text, swap)


def _slack_last(text: str) -> str:
    """Slack's app after the others: the edits of the others' line counts move its lines."""
    return _reorder(text, lambda items: sorted(items, key=lambda i: "vendor: slack" in i))


APP_EDITS: list[Edit] = [
    _sub(r"^(    environments: \[)", r"\g<1>dev, "),  # a key more
    _sub(r"^(    environments: \[)(\w+), ", r"\1"),  # a key less
    _sub(r"(values: \[)(C0123ABCD)", r"\1\2, C0NEWVAL1"),  # a revocation value more
    _sub(r"(values: \[C0123ABCD), C0NEWVAL1", r"\1"),
    _choice(r"^(      deletion_window_days: )\d+", ["7", "10", "30", "5"]),  # 5: E2xx
    _choice(r"^(      external_id: )\S+", ["acme-slack-ekm-7Q2W9", "acme-other-ABC12", "x"]),
    _sub(r"^(      rotation_period_days: )180", r"\g<1>120"),
    _sub(r"^(      rotation_period_days: )120", r"\g<1>180"),
    _sub(r"^(    suspension:\n)", r"\1      # suspended\n"),
    _sub(r"^(  - vendor: zoom\n)", r"\1    # one line more in zoom's entry\n"),
    _sub(r"^(  - vendor: databricks\n)", r"\1    # one line more\n    # and another\n"),
]
ORG_EDITS: list[Edit] = [
    *APP_EDITS,
    *APP_EDITS,
    _choice(r"^(  rotation_period_days: )\d+", ["90", "180", "365"]),  # a setting
    _choice(r"^(  Owner: )\S+", ["secops", "platform", "x" * 300]),
    _sub(r"^(  - code: W101\n    target: [^\n]*\n(    [^\n]*\n)*)", ""),  # an acceptance less
    _sub(r"^(region: )us-east-1", r"\1eu-west-1"),
    _sub(r"^(region: )us-east-1", r"\1mars-1"),  # broken
    _sub(r"^(  - vendor: zoom\n)", r"\1    bogus: 1\n"),  # broken app
    _sub(r"^(  - vendor: )zoom", r"\1box"),  # another vendor
    _sub(r"^(    environments: )\[prod\]", r"\1[prod"),  # not YAML
    _insert_line("# a comment\n"),
    _insert_line("\n"),
    _insert_line("# above the apps\n", above=30),
    _swap_apps,
]
VENDOR_EDITS: list[tuple[str, Edit]] = [
    ("slack.yaml", _sub(r"^(    verified: )false", r"\1true")),
    ("slack.yaml", _insert_line("# vendor comment\n")),
    ("zoom.yaml", _sub(r"^(    verified: )true", r"\1false")),
    ("databricks.yaml", _sub(r'^(  source: ")', r"\1https://example.com/x ")),
    ("box.yaml", _insert_line("# used by no app\n")),
    # what reaches a key's policy and handoff sheet
    (
        "zoom.yaml",
        _choice(r'^(homepage: ")[^"]*', ["https://example.com/zoom", "https://z.example"]),
    ),
    ("zoom.yaml", _sub(r"^(      - kms:Encrypt\n)", "")),
    ("slack.yaml", _sub(r'^(  - arn: "arn:aws:iam::)152659312504', r"\g<1>111111111111")),
    ("databricks.yaml", _sub(r"^(display_name: ).*", r"\1Databricks (test)")),
]


def _edit(root: Path, rng: random.Random) -> None:
    if rng.random() < 0.7:
        path, edit = root / "org.yaml", rng.choice(ORG_EDITS)
    else:
        name, edit = rng.choice(VENDOR_EDITS)
        path = root / "vendors" / name
    path.write_text(edit(path.read_text(), rng))


# A revocation list that takes slack-prod's policy near the size limit: a warning (W103) of
# the key's own verification, located in its app, which the cache holds.
BIG = ", ".join(f"C{i:08d}X" for i in range(2150))


def _fresh(root: Path, rng: random.Random) -> None:
    """The shipped inputs, or with slack-prod near its size limit (the build cache, under
    `.build/`, is left as it is)."""
    text = (REPO / "org.yaml").read_text()
    if rng.random() < 0.3:
        text = text.replace("values: [C0123ABCD, C07QX4M2PLR]", f"values: [C0123ABCD, {BIG}]")
        text = _slack_last(text) if rng.random() < 0.5 else text
    (root / "org.yaml").write_text(text)
    shutil.rmtree(root / "vendors", ignore_errors=True)
    shutil.copytree(REPO / "vendors", root / "vendors")


@pytest.mark.parametrize("shard", range(SHARDS))
def test_incremental_equals_full_over_random_edit_sequences(
    shard: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(29_000 + shard)
    root = tmp_path / "project"
    root.mkdir()
    store = Store(root)
    assert store.key is not None, "no cache key: the test would compare two full builds"
    reused: list[int] = []
    kept: list[int] = []
    sections: list[int] = []
    plans: list[incremental.Plan] = []
    planned = incremental.plan

    def plan(*args: Any) -> incremental.Plan:
        p = planned(*args)
        reused.append(len(p.reused))
        kept.append(len(p.kept()))
        sections.append(len(p.sections))
        plans.append(p)
        return p

    monkeypatch.setattr(incremental, "plan", plan)
    for seq in range(PER_SHARD):
        _fresh(root, rng)
        shutil.rmtree(root / "generated", ignore_errors=True)  # no key of another sequence
        if rng.random() < 0.1:
            shutil.rmtree(root / ".build", ignore_errors=True)
        day = DAY
        for step in range(rng.randint(1, 3)):
            if step and rng.random() < 0.1:
                day = rng.choice([DAY, date(2027, 4, 1), date(2027, 7, 1)])
            else:
                _edit(root, rng)
            got, want = outcome(root, day, store), full(root, day)
            assert got == want, f"shard {shard}, sequence {seq}, step {step}"
            if got[0] == "ok":  # as `generate` writes it: the next build reads its keys' files
                _write(root / "generated", got[1])
                if rng.random() < 0.2:
                    _hand_edit(root / "generated", rng)
    # not a test of nothing: most builds reused some apps, some reused every app, and the keys'
    # files and ACCESS.md sections were taken from generated/ (every key's, 5 or more) and
    # rendered again after hand edits
    assert sum(map(bool, reused)) > len(reused) / 3, reused
    assert max(reused) == 3, reused
    assert max(kept) >= 5 and sum(0 < k < 5 for k in kept), kept
    assert max(sections) >= 5 and sum(0 < k < 5 for k in sections), sections
    # likewise main.tf's entries and the inventory's lines (the reused keys' pieces that were
    # not rendered again)
    for made in ("made_entries", "made_lines", "made_rules"):
        taken = [len(set(p.recorded) - set(getattr(p, made))) for p in plans]
        assert max(taken) >= 5 and sum(0 < k < 5 for k in taken), (made, taken)


def _write(out: Path, files: dict[str, bytes]) -> None:
    """`generated/` holding `files` (what `write_tree` leaves, without its syncfs per call)."""
    shutil.rmtree(out, ignore_errors=True)
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)


def _hand_edit(out: Path, rng: random.Random) -> None:
    """One of the keys' own files of `generated/`, or one key's piece of ACCESS.md, main.tf or
    the inventory (which the cache takes from there too), edited by hand (or removed)."""
    if rng.random() < 0.4:
        _hand_edit_piece(out, rng)
        return
    if rng.random() < 0.4:
        path = out / "ACCESS.md"
        text = path.read_text()
        at = rng.choice([m.start() for m in re.finditer(r"\n## `", text)])
        edited = text[:at] + text[at:].replace("kms:", "kms:X", 1)
        path.write_text(rng.choice([edited, text.replace("\n## `", "\n## `x", 1), ""]))
        return
    path = rng.choice(sorted([*out.glob("policies/*.json"), *out.glob("handoff/*.md")]))
    if rng.random() < 0.5:
        path.unlink()
    else:
        path.write_bytes(path.read_bytes().replace(b"kms:", b"kms:X", 1) + b" ")


def _hand_edit_piece(out: Path, rng: random.Random) -> None:
    """One key's entry of main.tf's `keys` or of features.tf's `archive_rules` (a value changed,
    its name changed, the whole entry removed, its close moved), or one key's resource line of
    the inventory (changed or removed)."""
    if rng.random() < 0.6:
        name, pad = rng.choice([("main.tf", "    "), ("features.tf", "      ")])
        path, close = out / name, f"\n{pad}}}\n"
        text = path.read_text()
        at = rng.choice([m.start() for m in re.finditer(f'(?m)^{pad}"[^"]+" = {{$', text)])
        head, tail = text[:at], text[at:]
        edited = [
            re.sub(r"= (30|\[.*?)\n", r"= 7\n", tail, count=1),
            tail.replace('"', '"x', 1),
            tail[tail.index(close) + len(close) :],
            tail.replace(close, close[1:], 1),
        ]
        path.write_text(head + rng.choice(edited))
        return
    path = out / "deployment.json"
    lines = path.read_text().split("\n")
    i = rng.choice([i for i, line in enumerate(lines) if 'module.key[\\"' in line])
    lines[i : i + 1] = rng.choice([[], [lines[i].replace('"enabled": true', '"enabled": false')]])
    path.write_text("\n".join(lines))


# ------------------------------------------------------------------- a cache it cannot verify


def _built(project: Path) -> tuple[Store, Outcome]:
    """A build with the cache, written to `generated/` as `generate` writes it."""
    store = Store(project)
    first = outcome(project, DAY, store)
    assert first[0] == "ok"
    write_tree(project / "generated", first[1])
    assert store.read() is not None
    return store, first


HANDOFF = "handoff/zoom-prod.md"


def _zoom(index: Any) -> Any:
    (entry,) = [e for e in index["apps"].values() if e["vendor"] == "zoom"]
    return entry


def _reseal(store: Store, key: bytes | None = None) -> None:
    """generated/'s zoom handoff sheet altered, and an index that names its new digest, sealed
    under `key` (None: this user's)."""
    index = store.read()
    path = store.dir.parent.parent / "generated" / HANDOFF
    path.write_bytes(path.read_bytes() + b"sealed\n")
    (row,) = _zoom(index)["keys"]
    row[4][HANDOFF] = hashlib.sha256(path.read_bytes()).hexdigest()
    (store if key is None else Store(store.dir.parent.parent, key=key)).write(index)


def test_the_cache_is_used_when_it_verifies(project: Path) -> None:
    """An entry this user sealed is used: a (legitimately sealed) digest of an altered handoff
    sheet takes the altered file, which is how the tests below know that a tampered cache that
    is *not* used would have been."""
    store, _ = _built(project)
    _reseal(store)
    assert outcome(project, DAY, store)[1][HANDOFF].endswith(b"sealed\n")


ZOOM_HEADING = "## `zoom-prod` — Zoom, prod\n"


def _insert_after(store: Store, name: str, line: str, added: str) -> bytes:
    """generated/`name` with `added` after its one `line`; the altered file."""
    path = store.dir.parent.parent / "generated" / name
    text = path.read_text()
    assert text.count(line) == 1
    path.write_text(text.replace(line, line + added))
    return path.read_bytes()


def _alter_section(store: Store) -> bytes:
    """generated/ACCESS.md with zoom-prod's section altered; the altered file."""
    return _insert_after(store, "ACCESS.md", ZOOM_HEADING, "sealed\n")


def test_an_access_section_is_used_when_its_digest_is_sealed(project: Path) -> None:
    """Likewise for a key's section of ACCESS.md: a sealed digest of an altered section takes
    the altered text from generated/ (so `_hand_edited_section` below is a real test)."""
    store, first = _built(project)
    altered = _alter_section(store)
    index = store.read()
    (row,) = _zoom(index)["keys"]
    section = incremental.access_sections(altered)["zoom-prod"]
    row[5] = hashlib.sha256(section.encode()).hexdigest()
    store.write(index)
    got = outcome(project, DAY, store)[1]["ACCESS.md"]
    sealed = (ZOOM_HEADING + "sealed\n").encode()
    assert got == first[1]["ACCESS.md"].replace(ZOOM_HEADING.encode(), sealed)


ZOOM_ENTRY = '    "zoom-prod" = {\n'


def _alter_entry(store: Store) -> bytes:
    """generated/main.tf with zoom-prod's entry of `keys` altered; the altered file."""
    return _insert_after(store, "main.tf", ZOOM_ENTRY, '      "sealed" = true\n')


def test_a_main_tf_entry_is_used_when_its_digest_is_sealed(project: Path) -> None:
    """Likewise for a key's entry of main.tf's `keys`: a sealed digest of an altered entry
    takes the altered text from generated/ (so `_hand_edited_entry` below is a real test)."""
    from byok.render.pieces import digest, entry_of, locals_entries

    store, first = _built(project)
    altered = _alter_entry(store)
    index = store.read()
    (row,) = _zoom(index)["keys"]
    entry = entry_of(locals_entries(altered), "zoom-prod")
    assert entry is not None
    row[6] = digest(entry)
    store.write(index)
    got = outcome(project, DAY, store)[1]["main.tf"]
    assert got == altered != first[1]["main.tf"]


def _hand_edited_entry(store: Store) -> None:
    _alter_entry(store)


def _hand_edited_line(store: Store) -> None:
    """zoom-prod's key in the inventory enabled no more, behind the sealed index's back."""
    path = store.dir.parent.parent / "generated" / "deployment.json"
    lines = path.read_text().split("\n")
    (i,) = [i for i, line in enumerate(lines) if '"kind": "key", "name": "zoom-prod"' in line]
    lines[i] = lines[i].replace('"enabled": true', '"enabled": false')
    path.write_text("\n".join(lines))


def _hand_edited_rule(store: Store) -> None:
    """zoom-prod's archive rule in features.tf archives findings of another principal."""
    path = store.dir.parent.parent / "generated" / "features.tf"
    text = path.read_text()
    at = text.index('      "acme-byok-zoom-prod" = {\n')
    path.write_text(text[:at] + text[at:].replace('"arn:aws:iam::', '"arn:aws:iam::9', 1))


def _forge_index(store: Store) -> None:
    _reseal(store, key=b"k" * 32)


def _hand_edited_file(store: Store) -> None:
    """generated/'s file changed behind the sealed index's back (a hand edit)."""
    path = store.dir.parent.parent / "generated" / HANDOFF
    path.write_bytes(path.read_bytes().replace(b"zoom-prod", b"zoom-evil"))


def _hand_edited_section(store: Store) -> None:
    _alter_section(store)


def _garble_index(store: Store) -> None:
    path = store.dir / "index"
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))


def _another_format(store: Store) -> None:
    index = store.read()
    index["format"] = 999
    store.write(index)


def _another_proof(store: Store) -> None:
    """A sealed entry of another shape (a key row without its digests)."""
    index = store.read()
    for row in _zoom(index)["keys"]:
        del row[4]
    store.write(index)


@pytest.mark.parametrize(
    "tamper",
    [
        _forge_index,
        _hand_edited_file,
        _hand_edited_section,
        _hand_edited_entry,
        _hand_edited_line,
        _hand_edited_rule,
        _garble_index,
        _another_format,
        _another_proof,
    ],
)
def test_a_cache_that_does_not_verify_is_ignored(
    project: Path, tamper: Callable[[Store], None]
) -> None:
    store, first = _built(project)
    tamper(store)
    assert outcome(project, DAY, store) == first


def test_another_users_key_reads_nothing(project: Path) -> None:
    store, _ = _built(project)
    assert Store(project, key=b"o" * 32).read() is None
    assert store.read() is not None


def test_generate_reuses_the_cache_and_writes_what_a_full_run_writes(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command line: an edit of one app after a cached run, against the same
    edit built from nothing (`--check` builds without the cache)."""
    from byok.cli.main import main

    monkeypatch.setenv("BYOK_TODAY", DAY.isoformat())
    assert main(["-C", str(project), "generate"]) == 0
    org = project / "org.yaml"
    org.write_text(org.read_text().replace("[prod, staging]", "[prod, staging, dev]"))
    capsys.readouterr()
    assert main(["-C", str(project), "generate"]) == 0
    incremental = capsys.readouterr()
    assert "databricks-dev: key policy" in incremental.out
    assert main(["-C", str(project), "generate", "--check"]) == 0
    shutil.rmtree(project / ".build")
    shutil.rmtree(project / "generated")
    capsys.readouterr()
    assert main(["-C", str(project), "generate"]) == 0
    fresh = capsys.readouterr()
    assert fresh.err == incremental.err
    assert fresh.out.splitlines()[:-1] == incremental.out.splitlines()[:-1]


FLOW_ITEM = "  - {vendor: zoom, environments: [prod], key: {deletion_window_days: 30}}\n"


@pytest.mark.parametrize(
    ("layout", "cut"),
    [
        (lambda t: t.replace("\n", "\r\n"), False),  # another line break
        (lambda t: t.replace("  - vendor: zoom\n", "  -\n    vendor: zoom\n"), False),
        (lambda t: re.sub(r"  - vendor: zoom\n(    .*\n)+", FLOW_ITEM, t), True),
    ],
)
def test_an_app_is_fingerprinted_only_where_it_starts_its_piece(
    project: Path, layout: Callable[[str], str], cut: bool
) -> None:
    """An item that does not start on the first line of its piece (a lone `-`) or a file that
    is not cut (CRLF) gives no app a fingerprint: nothing is reused, the build is the full one.
    A flow mapping that starts on its dash line is cut like any other item."""
    from byok.pipeline import load_inputs

    org = project / "org.yaml"
    org.write_bytes(layout(org.read_text()).encode())
    model, _ = load_inputs(project)
    fps = incremental.fingerprints(project, model, DAY).apps
    assert sorted(fps) == (["databricks", "slack", "zoom"] if cut else [])
    store = Store(project)
    want = outcome(project, DAY, None)
    assert want[0] == "ok"
    assert outcome(project, DAY, store) == want
    assert outcome(project, DAY, store) == want
