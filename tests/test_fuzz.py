"""Fuzzing the loader, the model and the rest of the pipeline: whatever the input, the result is
either success or a `CompileError` whose diagnostics all render as `file:line:col: CODE message`
(printable ASCII, a catalogued code): never another exception.

The number of examples comes from the Hypothesis profile in `tests/conftest.py` (`default` for
`make test`, `fuzz` for `make fuzz`); the slower full-pipeline targets are capped at 2,000 examples.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from byok.codes import CATALOGUE
from byok.compile import compile_all
from byok.diagnostics import CompileError, Diagnostic
from byok.load import LMap, load_bytes
from byok.model import Org, Vendor, build
from byok.pipeline import build_tree, load_inputs
from byok.render import render_all
from byok.resolve import resolve
from tests.conftest import REPO, copy_inputs

TODAY = date(2026, 1, 1)
ORG_TEXT = (REPO / "org.yaml").read_text("utf-8")
VENDOR_FILES = sorted(p.name for p in (REPO / "vendors").glob("*.yaml"))
_FIRST = re.compile(r"[^\s:]+:\d+:\d+: [EW]\d{3} [ -~]+")
_HELP = re.compile(r"  help: [ -~]+")


def budget(cap: int | None = None) -> settings:
    """The active profile's settings, its number of examples capped at `cap` for the slower
    full-pipeline targets (so `make fuzz` stays within minutes)."""
    examples = settings.default.max_examples
    return settings(
        max_examples=examples if cap is None else min(examples, cap),
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )


def check_diagnostics(diags: tuple[Diagnostic, ...]) -> None:
    assert diags, "a CompileError without diagnostics"
    for d in diags:
        assert d.code in CATALOGUE, d.code
        assert d.loc is not None, d.render()
        first, *rest = d.render().split("\n")
        assert _FIRST.fullmatch(first), first
        assert all(_HELP.fullmatch(line) for line in rest), rest
        assert len(rest) == (d.help is not None)


def try_load(data: bytes, name: str = "org.yaml") -> LMap | None:
    try:
        root = load_bytes(data, name)
    except CompileError as err:
        check_diagnostics(err.diagnostics)
        assert {d.code[:2] for d in err.diagnostics} == {"E1"}
        return None
    assert isinstance(root, LMap)
    return root


_VENDORS: dict[str, Vendor] = {}


def shipped_vendors() -> dict[str, Vendor]:
    if not _VENDORS:
        _VENDORS.update(load_inputs(REPO)[1])
    return _VENDORS


def through_pipeline(root: LMap) -> None:
    """Model the document as an org and as a vendor; carry an org that models on through
    resolve, compile and render against the shipped vendors."""
    for cls in (Vendor, Org):
        try:
            model = build(cls, root)
        except CompileError as err:
            check_diagnostics(err.diagnostics)
            continue
        if isinstance(model, Org):
            try:
                render_all(compile_all(resolve(model, shipped_vendors(), TODAY)))
            except CompileError as err:
                check_diagnostics(err.diagnostics)


# --------------------------------------------------------------------------- bytes


# fmt: off
YAML_BITS = st.sampled_from([
    b'a', b'organization', b'apps', b'vendor', b'key', b'1', b'-1', b'0x1f', b'010', b'1:30',
    b'yes', b'~', b'null', b'true', b'2027-13-01', b'2027-01-01', b'.inf', b'"', b"'", b'\\',
    b'\\u', b'\\x00', b': ', b':', b'- ', b'-', b'? ', b'?', b'[', b']', b'{', b'}', b',', b'#',
    b'&a ', b'*a', b'<<', b'!', b'!!str ', b'!!binary ', b'!foo ', b'%YAML 1.1', b'%TAG', b'---',
    b'...', b'|', b'>-', b'\n', b'\r\n', b'\r', b'  ', b'\t', b' ', b'\x00', b'\x1b', b'\x85',
    b'\xc2\x85', b'\xef\xbb\xbf', b'\xff', b'\xe2\x80\xae', b'\xe2\x80\xa8', b'\xef\xbf\xbf',
    b'\xed\xa0\x80', b'\xf0\x9f\x98\x80', b'\xd0\xb0', b'${x}', b'%{', b'@',
])
# fmt: on


@budget()
@given(st.binary(max_size=400))
@example(b"")
@example(b"\xef\xbf\xbf")
@example(b"a: \xef\xbf\xbe")
def test_load_arbitrary_bytes(data: bytes) -> None:
    try_load(data)


@budget()
@given(st.lists(YAML_BITS, max_size=60).map(b"".join))
@example(b"a: &a [1]\nb: *a\n")
@example(b"? [a]\n: 1\n")
def test_load_yaml_like_bytes(data: bytes) -> None:
    root = try_load(data)
    if root is not None:
        through_pipeline(root)


# --------------------------------------------------------------------------- YAML documents

# fmt: off
KEYS = st.one_of(
    st.sampled_from([
        "organization", "account_id", "region", "key_administrators", "break_glass", "alarms",
        "emails", "trail", "defaults", "tags", "apps", "vendor", "environments", "parameters",
        "key", "suspension", "revocations", "scope", "values", "reason", "ticket", "expires",
        "name", "display_name", "product", "homepage", "principals", "arn", "parameter",
        "source", "verified", "grants", "actions", "conditions", "operator", "revocation",
        "kill_switch", "supported", "scopes", "context_key", "pattern", "logging", "@where", "",
    ]),
    st.text(max_size=8),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.dates(),
    st.text(max_size=20),
    st.sampled_from([
        "slack", "zoom", "prod", "111122223333", "us-east-1", "kms:Decrypt",
        "arn:aws:iam::111122223333:role/Admin", "https://example.com/x", "secops@acme.example",
        "C0123ABCD", "${x}", "%{ if }", "\ud800",
    ]),
)
# fmt: on
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=25,
)


def dump(doc: Any, flow: bool | None, unicode: bool) -> bytes:
    """YAML text of `doc`; a lone surrogate PyYAML writes raw becomes (invalid) UTF-8 bytes."""
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=unicode, sort_keys=False)
    return text.encode("utf-8", "surrogatepass")


@budget()
@given(st.dictionaries(KEYS, DOCS, max_size=8), st.sampled_from([None, True, False]), st.booleans())
def test_yaml_documents_through_model_and_resolve(
    doc: dict[str, Any], flow: bool | None, unicode: bool
) -> None:
    root = try_load(dump(doc, flow, unicode))
    if root is not None:
        through_pipeline(root)


# --------------------------------------------------------------------------- shipped org, mutated


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _set(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


MUTATIONS = st.lists(
    st.tuples(st.integers(min_value=0), st.one_of(DOCS, SCALARS), st.booleans()),
    min_size=1,
    max_size=3,
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_inputs(tmp_path_factory.mktemp("fuzz") / "project", with_generated=False)


def run_pipeline(root: Path) -> None:
    try:
        build_tree(root, TODAY)
    except CompileError as err:
        check_diagnostics(err.diagnostics)


@budget(cap=2_000)
@given(MUTATIONS, st.sampled_from([None, False]))
def test_mutated_org_document(
    scratch: Path, mutations: list[tuple[int, Any, bool]], flow: bool | None
) -> None:
    doc = yaml.safe_load(ORG_TEXT)
    for pick, value, delete in mutations:
        paths = list(_paths(doc))
        path = paths[pick % len(paths)]
        doc = _set(doc, path, value, delete and bool(path))
    (scratch / "org.yaml").write_bytes(dump(doc, flow, True))
    run_pipeline(scratch)


# fmt: off
TOKENS = st.sampled_from([
    '', ' ', '  ', '\t', '\n', '- ', ': ', '#', '&a ', '*a', '!x ', '[', ']', '{', '}', ',', '"',
    "'", '\\', '${', '%{', '---\n', '...', '?', '|', '>', '@', '`', '\x00', '\u202e', 'а', 'zoom',
    'slack', 'prod', 'C0123ABCD', 'kms:Decrypt', '2027-13-01', '111122223333',
])
# fmt: on


def _mutate_text(text: str, ops: list[tuple[int, int, int, str]]) -> str:
    for kind, a, b, token in ops:
        lines = text.split("\n")
        i, j = a % (len(text) + 1), b % (len(text) + 1)
        lo, hi = min(i, j), max(i, j)
        if kind == 0:  # insert a token
            text = text[:i] + token + text[i:]
        elif kind == 1:  # delete a span (at most 40 characters)
            text = text[:lo] + text[min(hi, lo + 40) :]
        elif kind == 2:  # duplicate a line
            k = a % len(lines)
            lines.insert(k, lines[k])
            text = "\n".join(lines)
        elif kind == 3:  # swap two lines
            k, m = a % len(lines), b % len(lines)
            lines[k], lines[m] = lines[m], lines[k]
            text = "\n".join(lines)
        else:  # replace one character
            text = text[:i] + token[:1] + text[i + 1 :]
    return text


TEXT_OPS = st.lists(
    st.tuples(st.integers(0, 4), st.integers(min_value=0), st.integers(min_value=0), TOKENS),
    min_size=1,
    max_size=4,
)


@budget(cap=2_000)
@given(TEXT_OPS)
def test_mutated_org_text(scratch: Path, ops: list[tuple[int, int, int, str]]) -> None:
    (scratch / "org.yaml").write_text(_mutate_text(ORG_TEXT, ops), "utf-8")
    run_pipeline(scratch)


@budget(cap=2_000)
@given(st.sampled_from(VENDOR_FILES), TEXT_OPS)
def test_mutated_vendor_text(
    scratch: Path, vendor: str, ops: list[tuple[int, int, int, str]]
) -> None:
    (scratch / "org.yaml").write_text(ORG_TEXT, "utf-8")
    original = (REPO / "vendors" / vendor).read_text("utf-8")
    try:
        (scratch / "vendors" / vendor).write_text(_mutate_text(original, ops), "utf-8")
        run_pipeline(scratch)
    finally:
        shutil.copy2(REPO / "vendors" / vendor, scratch / "vendors" / vendor)
