"""`byok schema` agrees with the models it is generated from (compiler/model/schema.py).

The claim, exactly: (1) every YAML document the model accepts, the schema accepts (no editor
ever flags a file the compiler takes), on every shipped file and on every org.yaml and vendor
file of every error-corpus case; (2) every document the model rejects *only* for reasons a JSON
Schema expresses (a missing or unknown field, a wrong type, a pattern, an enumeration, a length
or a range: `EXPRESSIBLE` below) the schema rejects too. Rejections by custom validators
(characters a key policy cannot hold, `${`, regular expressions that do not compile, the `aws:`
tag prefix, numbers as dates, a float such as `30.0` where an integer is due, which JSON
cannot tell from `30`), YAML-level rules (duplicate keys, anchors) and cross-file rules
are the compiler's alone and the schema is not claimed to catch them.
"""

from __future__ import annotations

import copy
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from byok.cli import main as cli
from byok.diagnostics import CompileError
from byok.load import LMap, LNode, LScalar, LSeq, load_file
from byok.model.inputs import Org, Vendor, _with_where
from byok.model.schema import schema
from tests.conftest import REPO
from tests.test_error_corpus import CASES, apply_case

EXPRESSIBLE = {
    "missing",
    "extra_forbidden",
    "string_type",
    "string_pattern_mismatch",
    "string_too_short",
    "string_too_long",
    "int_type",
    "bool_type",
    "literal_error",
    "too_short",
    "too_long",
    "tuple_type",
    "dict_type",
    "model_type",
    "greater_than_equal",
    "less_than_equal",
}
MODELS = {"org": Org, "vendor": Vendor}
VALIDATORS = {k: jsonschema.Draft202012Validator(schema(k)) for k in MODELS}


def _plain(node: LNode) -> Any:
    """The document as an editor's YAML 1.2 parser sees it: a date is a string there."""
    if isinstance(node, LScalar):
        return node.value.isoformat() if isinstance(node.value, date) else node.value
    if isinstance(node, LSeq):
        return [_plain(n) for n in node.items]
    return {k: _plain(v) for k, v in node.items.items()}


def _kind(error: str, value: Any) -> str:
    # JSON has one number type: 30.0 *is* the integer 30 to a JSON Schema validator
    # (https://json-schema.org/understanding-json-schema/reference/numeric#integer), while the
    # strict model refuses a YAML float where it wants an integer.
    if error == "int_type" and isinstance(value, float) and value.is_integer():
        return "int_type_integral_float"
    return error


def _verdicts(kind: str, root: LMap) -> tuple[set[str] | None, bool]:
    """(the model's error types, None if it accepts; whether the schema accepts)."""
    try:
        MODELS[kind].model_validate(_with_where(root))
        model = None
    except ValidationError as exc:
        model = {_kind(e["type"], e["input"]) for e in exc.errors()}
    return model, VALIDATORS[kind].is_valid(_plain(root))


def _files(project: Path) -> list[tuple[str, Path]]:
    files = [("org", project / "org.yaml")]
    return files + [("vendor", p) for p in sorted((project / "vendors").glob("*.yaml"))]


def _documents(project: Path) -> list[tuple[str, str, LMap]]:
    out = []
    for kind, path in _files(project):
        try:
            out.append((kind, path.name, load_file(path)))
        except (CompileError, OSError):  # not YAML the loader takes: nothing to compare
            continue
    return out


Verdicts = tuple[set[str] | None, bool]


def _verdicts_of_files(
    project: Path, seen: dict[tuple[str, bytes], Verdicts | None]
) -> list[tuple[str, Verdicts]]:
    """`(file name, _verdicts)` of each document the loader takes, decided once per content: a
    corpus case edits one file, the others are the pristine ones every case shares."""
    out = []
    for kind, path in _files(project):
        try:
            memo = (kind, path.read_bytes())
        except OSError:  # a directory, a dangling link: nothing to compare
            continue
        if memo not in seen:
            try:
                seen[memo] = _verdicts(kind, load_file(path))
            except CompileError:  # not YAML the loader takes: nothing to compare
                seen[memo] = None
        if (found := seen[memo]) is not None:
            out.append((path.name, found))
    return out


def test_schema_validates_against_the_metaschema() -> None:
    for kind in MODELS:
        jsonschema.Draft202012Validator.check_schema(schema(kind))


def test_shipped_files_are_accepted_by_model_and_schema() -> None:
    docs = _documents(REPO)
    assert len(docs) == 1 + len(list((REPO / "vendors").glob("*.yaml")))
    for kind, name, root in docs:
        assert _verdicts(kind, root) == (None, True), name


def test_misspelt_field_is_rejected_by_schema_and_model() -> None:
    root = load_file(REPO / "org.yaml")
    data = _plain(root)
    data["key_administrator"] = data.pop("key_administrators")
    errors = sorted(VALIDATORS["org"].iter_errors(data), key=str)
    assert [e.message for e in errors] == [
        "'key_administrators' is a required property",
        "Additional properties are not allowed ('key_administrator' was unexpected)",
    ]


CORPUS = [c for c in CASES if not c.name.startswith("file-")]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("pristine")
    shutil.copy2(REPO / "org.yaml", dest / "org.yaml")
    shutil.copytree(REPO / "vendors", dest / "vendors")
    return dest


def test_model_and_schema_agree_on_the_error_corpus(pristine: Path, tmp_path: Path) -> None:
    compared = expressible = 0
    seen: dict[tuple[str, bytes], Verdicts | None] = {}
    for i, case in enumerate(CASES):
        root = tmp_path / str(i)
        shutil.copytree(pristine, root)
        apply_case(case, root)
        for name, (model, schema_ok) in _verdicts_of_files(root, seen):
            compared += 1
            if model is None:
                assert schema_ok, f"{case.name}: {name}: the schema rejects what the model takes"
            elif model <= EXPRESSIBLE:
                expressible += 1
                assert not schema_ok, f"{case.name}: {name}: schema accepts ({sorted(model)})"
    # the corpus exercises the schema: many model rejections are schema-expressible
    assert expressible >= 20, expressible
    assert compared > len(CASES)


def test_byok_schema_prints_the_org_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema", "org"]) == 0
    assert json.loads(capsys.readouterr().out) == schema("org")
    assert (REPO / "docs" / "schema" / "org.json").read_text() == json.dumps(
        schema("org"), indent=2, sort_keys=True
    ) + "\n"


# --------------------------------------------------------------------------- properties


_SHIPPED_ORG = _plain(load_file(REPO / "org.yaml"))
_LIKELY = ["111122223333", "us-east-1", "prod", "W101", "SEC-1", "arn:aws:iam::111122223333:root"]
_SCALARS = st.one_of(
    st.text(max_size=12), st.integers(-5, 5000), st.booleans(), st.none(), st.sampled_from(_LIKELY)
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


_ORG_PATHS = _paths(_SHIPPED_ORG)[1:]


def _edit(doc: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if how == "set":
        parent[last] = value
    elif how == "drop" and isinstance(parent, dict):
        del parent[last]
    elif how == "extra" and isinstance(parent, dict):
        parent[f"{last}x"] = value
    return doc


def _from_plain(data: Any) -> Any:
    """The model's input shape for `data` (what `_with_where` builds from YAML nodes)."""
    if isinstance(data, dict):
        return {k: _from_plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return tuple(_from_plain(v) for v in data)
    return data


@given(
    path=st.sampled_from(_ORG_PATHS),
    how=st.sampled_from(["set", "drop", "extra"]),
    value=_SCALARS,
)
def test_model_and_schema_agree_on_edited_org_documents(
    path: tuple[Any, ...], how: str, value: Any
) -> None:
    """One edit of the shipped org.yaml (a field set to a scalar, dropped, or a field added):
    the schema accepts whatever the model accepts, and rejects whatever the model rejects for
    schema-expressible reasons only. Dates stay strings here, as YAML 1.2 editors see them;
    the model reads them with `strict=False`, like the loader's dates."""
    doc = _edit(_SHIPPED_ORG, path, how, value)
    try:
        Org.model_validate(_from_plain(doc))
        model: set[str] | None = None
    except ValidationError as exc:
        model = {_kind(e["type"], e["input"]) for e in exc.errors()}
    schema_ok = VALIDATORS["org"].is_valid(doc)
    if model is None:
        assert schema_ok
    elif model <= EXPRESSIBLE:
        assert not schema_ok, sorted(model)
