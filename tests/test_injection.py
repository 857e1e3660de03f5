"""Injection-proof rendering: every user-controlled string that reaches Terraform or JSON either
is rejected with a diagnostic or comes back out exactly as written.

The oracle for HCL is `hcl_decode`, a strict reading of a quoted HCL template literal per the HCL
spec (what Terraform evaluates): escapes decoded, `$${`/`%%{` read as literal `${`/`%{`, and any
bare `${`/`%{` (an interpolation or a directive) refused. python-hcl2 checks the structure of
every generated `main.tf` and must find the same literal at the same place. python-hcl2 8.x cannot
read an escaped `$${`/`%%{` that has no closing `}` in the same string (its token is
`/\\$\\$\\{[^}]*\\}/`); for those files the structural check is skipped and the Terraform test
below covers them with the real CLI.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from hypothesis import event, example, given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from byok.codes import CATALOGUE
from byok.diagnostics import CompileError
from byok.pipeline import Result, build_tree
from byok.render.hcl import hcl_key, hcl_string
from byok.write import write_tree
from tests import tfhelpers

TODAY = date(2026, 1, 1)
KEY = "acme-crm-prod"
SOURCE = "https://crm.example.com/byok"
LOOSE = "^.+$"

# Strings that break naive HCL, JSON, IAM, Markdown or terminals.
# fmt: off
NASTY = (
    "${x}", "${jsonencode(1)}", "%{ if true }x%{ endif }", "${", "%{", "$${", "%%{", "$${x}",
    "$$", "$", "%", '"', "'", "\\", "\\\\", '\\"', "\\${x}", "\\n", "\n", "\r", "\t", "\x00",
    "\x1b[2J", "\x7f", "\x85", "\u2028", "\u202e", "\ufeff", "\ud800", "}", "{", "{}", "${}",
    "`", "*", "?", "<>", "&", "]]", "/*", "#", "//", "<<EOT", "EOT", "\u0430cme", "\uff21",
    "\u00e9", "\u00a0", "\u200b", "\U0001f600", "arn:aws:iam::111122223333:root",
)
# fmt: on
PIECES = st.sampled_from((*NASTY, "a", "Z", "0", " ", "-", ".", "@", ":"))
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.lists(PIECES, min_size=1, max_size=6).map("".join),
    st.text(max_size=30),
)


def mix(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Half the time a value of the field's own format, half the time anything (`TEXT`)."""
    return st.booleans().flatmap(lambda ok: valid if ok else TEXT)


# Printable ASCII: the characters that pass most formats yet break naive quoting.
ASCII = st.from_regex(r"[!-~]{1,12}", fullmatch=True)


# --------------------------------------------------------------------------- HCL oracle

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def hcl_decode(literal: str) -> str:
    """What Terraform makes of a one-line quoted string literal; raises on anything that is not
    a plain literal (an interpolation, a directive, a raw control character, a stray quote)."""
    assert len(literal) >= 2 and literal[0] == literal[-1] == '"', literal
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt in _SIMPLE_ESCAPES:
                out.append(_SIMPLE_ESCAPES[nxt])
                i += 2
            elif nxt in "uU":
                width = 4 if nxt == "u" else 8
                out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
            else:
                raise AssertionError(f"unknown escape \\{nxt} in {literal!r}")
        elif ch in "$%" and body.startswith(ch * 2 + "{", i):
            out.append(ch + "{")
            i += 3
        elif ch in "$%" and body.startswith(ch + "{", i):
            raise AssertionError(f"template sequence {ch}{{ in {literal!r}")
        elif ch == '"' or ord(ch) < 0x20 or ch in "\x7f\u2028\u2029":
            raise AssertionError(f"raw {ch!r} in {literal!r}")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


LIT = r'"(?:[^"\\]|\\.)*"'


def literal_of(main_tf: str, name: str) -> list[str]:
    """The literals assigned to attribute `name` (quoted or not) on one line, in file order."""
    name_re = f'(?:"{re.escape(name)}"|{re.escape(name)})'
    pattern = re.compile(rf"^\s*{name_re}\s*=\s*({LIT})\s*$")
    return [m.group(1) for line in main_tf.splitlines() if (m := pattern.match(line))]


def top_level_map(main_tf: str, name: str) -> list[str]:
    """The lines of the one-level map `name = { ... }` directly inside `locals`."""
    lines = main_tf.splitlines()
    start = lines.index(f"  {name} = {{")
    end = lines.index("  }", start)
    return lines[start + 1 : end]


def hcl2_readable(text: str) -> bool:
    """False when python-hcl2 8.x would misread an escaped `$${`/`%%{` with no `}` after it."""
    return all(
        line.find("}", m.end()) != -1
        for line in text.splitlines()
        for m in re.finditer(r"(\$\$|%%)\{", line)
    )


def hcl2_locals(main_tf: str) -> dict[str, Any] | None:
    """`locals` as python-hcl2 reads it (string values keep their source quotes), or None."""
    if not hcl2_readable(main_tf):
        return None
    # the top-level `locals` blocks alone (no string literal spans lines: hcl_string escapes
    # them), which halves what python-hcl2 parses per example
    blocks = re.findall(r"^locals \{\n.*?^\}\n", main_tf, re.M | re.S)
    assert blocks, "main.tf has no locals block"
    parsed = hcl2.loads("".join(blocks))
    merged: dict[str, Any] = {}
    for block in parsed["locals"]:
        merged.update(block)
    return merged


def q(name: str) -> str:
    """A key as python-hcl2 returns a quoted object key."""
    return hcl_key(name)


# --------------------------------------------------------------------------- a scratch project


def vendor_doc(**over: Any) -> dict[str, Any]:
    """A vendor whose parameters and scope accept almost anything (`^.+$`), so that arbitrary
    strings reach the generated Terraform and the policy JSON."""
    fact = {"source": SOURCE, "verified": True}
    doc: dict[str, Any] = {
        "name": "acme-crm",
        "display_name": "Acme CRM",
        "product": "Keys",
        "homepage": SOURCE,
        "parameters": [
            {
                "name": "principal_arn",
                "description": "the principal",
                "pattern": "^arn:aws:iam::.+$",
            },
            {"name": "external_id", "description": "ExternalId", "pattern": LOOSE},
            {"name": "tenant", "description": "tenant tag", "pattern": LOOSE},
        ],
        "principals": [{"parameter": "principal_arn", **fact}],
        "grants": [
            {
                "name": "use",
                "actions": ["kms:Decrypt"],
                **fact,
                "conditions": [
                    {
                        "operator": "StringEquals",
                        "key": "aws:PrincipalTag/Tenant",
                        "values": [{"parameter": "tenant"}],
                    }
                ],
            }
        ],
        "key": {
            "multi_region": "optional",
            "automatic_rotation": "supported",
            "replacement_needs_new_arn": True,
            **fact,
        },
        "revocation": {
            "actions": ["kms:Decrypt"],
            "kill_switch": {"supported": True, **fact},
            "scopes": [
                {
                    "name": "record",
                    "description": "one record",
                    "context_key": "record_id",
                    "pattern": LOOSE,
                    **fact,
                }
            ],
        },
        "logging": {
            "principals": [{"parameter": "principal_arn", **fact}],
            "external_id_parameter": "external_id",
            "actions": ["logs:PutLogEvents"],
            **fact,
        },
    }
    doc.update(over)
    return doc


def org_doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "organization": "acme",
        "account_id": "111122223333",
        "region": "us-east-1",
        "key_administrators": ["arn:aws:iam::111122223333:role/KmsKeyAdministrators"],
        "alarms": {"emails": ["secops@acme.example"]},
        "tags": {"Owner": "secops"},
        "apps": [app_doc()],
    }
    doc.update(over)
    return doc


def app_doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "vendor": "acme-crm",
        "environments": ["prod"],
        "parameters": {
            "principal_arn": "arn:aws:iam::222233334444:role/Crm",
            "external_id": "crm-ext-1",
            "tenant": "t-1",
        },
        "suspension": {"reason": "paused", "ticket": "SEC-1"},
        "revocations": [
            {"scope": "record", "values": ["r-1"], "reason": "leak", "ticket": "SEC-2"}
        ],
    }
    doc.update(over)
    return doc


def compile_docs(
    org: dict[str, Any], vendor: dict[str, Any], unicode: bool = True
) -> Result | None:
    """Write the documents as YAML and compile them; None when they are rejected. Anything but a
    `CompileError` with well-formed, catalogued diagnostics fails the test."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "vendors").mkdir()
        for path, doc in (("org.yaml", org), (f"vendors/{vendor['name']}.yaml", vendor)):
            text = yaml.safe_dump(doc, allow_unicode=unicode, sort_keys=False, width=10_000)
            (root / path).write_text(text, "utf-8")
        try:
            result = build_tree(root, TODAY)
        except CompileError as err:
            _event("rejected: " + ",".join(sorted({d.code for d in err.diagnostics})))
            assert err.diagnostics
            for d in err.diagnostics:
                assert d.code in CATALOGUE and d.severity == "error"
                first = d.render().splitlines()[0]
                assert re.fullmatch(r"\S+:\d+:\d+: E\d{3} [ -~]+", first), first
            return None
        _event("compiled")
        return result


def _event(label: str) -> None:
    """Outcome statistics (`--hypothesis-show-statistics`); nothing outside a @given test."""
    with contextlib.suppress(InvalidArgument):
        event(label)


def policy(result: Result) -> dict[str, Any]:
    doc = json.loads(result.files[f"policies/{KEY}.json"])
    assert isinstance(doc, dict)
    return doc


def statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in doc["Statement"] if s["Sid"] == sid]
    assert len(found) == 1
    return found[0]


def no_policy_variables(result: Result) -> None:
    for name, data in result.files.items():
        if name.endswith(".json"):
            assert "${" not in data.decode(), f"{name} holds an IAM policy variable"


def check_hcl(
    result: Result,
    name: str,
    expected: list[str],
    structured: Callable[[dict[str, Any]], list[Any]],
) -> None:
    """Attribute `name` holds exactly `expected` (decoded the way Terraform does), on its own
    line and, where python-hcl2 can read the file, at the place `structured` points to."""
    main_tf = result.files["main.tf"].decode()
    literals = literal_of(main_tf, name)
    assert [hcl_decode(lit) for lit in literals] == expected
    locals_ = hcl2_locals(main_tf)
    if locals_ is not None:
        assert structured(locals_) == literals


# --------------------------------------------------------------------------- hcl_string itself


@given(st.one_of(TEXT, st.text()).filter(lambda s: not re.search("[\ud800-\udfff]", s)))
@example("$${")
@example("%{ if x }")
@example('${"}')
def test_hcl_string_round_trips(value: str) -> None:
    literal = hcl_string(value)
    assert "\n" not in literal and "\r" not in literal
    assert hcl_decode(literal) == value
    src = f"locals {{\n  x = {literal}\n}}\n"
    if hcl2_readable(src):
        assert hcl2.loads(src)["locals"][0]["x"] == literal


# --------------------------------------------------------------------------- main.tf fields


@given(TEXT, TEXT, st.booleans())
@example("${jsonencode(1)}", "%{ if true }x%{ endif }", True)
@example('a "quoted" \\ name', "$${", False)
def test_display_name_and_product(display: str, product: str, unicode: bool) -> None:
    result = compile_docs(org_doc(), vendor_doc(display_name=display, product=product), unicode)
    if result is None:
        return
    want = f"BYOK key for {display} {product} (prod)"
    check_hcl(result, "description", [want], lambda loc: [loc["keys"][q(KEY)][q("description")]])


@pytest.mark.parametrize(
    "display",
    ["${jsonencode(1)}", "%{ if true }x%{ endif }", 'a"b\\c', "$${", "%{", "${aws:username}"],
)
def test_template_like_text_is_kept_not_rejected(display: str) -> None:
    """Free text may hold `${`, `%{`, quotes and backslashes: it is escaped, not refused."""
    result = compile_docs(org_doc(), vendor_doc(display_name=display))
    assert result is not None
    check_hcl(
        result,
        "description",
        [f"BYOK key for {display} Keys (prod)"],
        lambda loc: [loc["keys"][q(KEY)][q("description")]],
    )


@given(mix(st.from_regex(r"[a-z][a-z0-9-]{1,20}", fullmatch=True)))
def test_organization(org: str) -> None:
    result = compile_docs(org_doc(organization=org), vendor_doc())
    if result is None:
        return
    check_hcl(result, "trail_name", [f"{org}-byok"], lambda loc: [loc["trail_name"]])
    check_hcl(
        result,
        "alias_name",
        [f"alias/{org}-{KEY}"],
        lambda loc: [loc["keys"][q(KEY)][q("alias_name")]],
    )
    assert policy(result)["Id"] == f"{org}-{KEY}"


@given(
    mix(st.from_regex(r"[0-9]{12}", fullmatch=True)),
    mix(st.sampled_from(["us-east-1", "eu-west-2", "us-gov-west-1"])),
)
def test_account_id_and_region(account: str, region: str) -> None:
    admins = [f"arn:aws:iam::{account}:role/KmsKeyAdministrators"]
    result = compile_docs(
        org_doc(account_id=account, region=region, key_administrators=admins), vendor_doc()
    )
    if result is None:
        return
    check_hcl(result, "account_id", [account], lambda loc: [loc["account_id"]])
    check_hcl(result, "region", [region], lambda loc: [loc["region"]])
    root = statement(policy(result), "AccountRoot")
    assert root["Principal"]["AWS"] == f"arn:aws:iam::{account}:root"


TAG_TEXT = mix(st.from_regex(r"[A-Za-z0-9_.:/=+@ -]{1,20}", fullmatch=True))


@given(TAG_TEXT, TAG_TEXT)
@example("team", "a b=c+d@e:f/g")
@example("region", "")
def test_tag_key_and_value(key: str, value: str) -> None:
    result = compile_docs(org_doc(tags={key: value}), vendor_doc())
    if result is None:
        return
    want = sorted({key: value, "ManagedBy": "byok-compiler"}.items())
    main_tf = result.files["main.tf"].decode()
    lines = top_level_map(main_tf, "tags")
    assert all(re.fullmatch(rf"\s*{LIT}\s*=\s*{LIT}", ln) for ln in lines), lines
    assert [tuple(hcl_decode(lit) for lit in re.findall(LIT, ln)) for ln in lines] == want
    locals_ = hcl2_locals(main_tf)
    if locals_ is not None:
        assert locals_["tags"] == {hcl_key(k): hcl_string(v) for k, v in want}


@given(mix(st.emails()))
def test_alarm_email(email: str) -> None:
    result = compile_docs(org_doc(alarms={"emails": [email]}), vendor_doc())
    if result is None:
        return
    main_tf = result.files["main.tf"].decode()
    (line,) = re.findall(rf"^\s*alarm_emails\s*=\s*\[({LIT})\]\s*$", main_tf, re.M)
    assert hcl_decode(line) == email
    locals_ = hcl2_locals(main_tf)
    if locals_ is not None:
        assert locals_["alarm_emails"] == [line]


# --------------------------------------------------------------------------- parameters


@given(mix(ASCII))
@example("%{ if true }x%{ endif }")
@example('a"b\\c')
def test_external_id(value: str) -> None:
    params = {**app_doc()["parameters"], "external_id": value}
    result = compile_docs(org_doc(apps=[app_doc(parameters=params)]), vendor_doc())
    if result is None:
        return
    no_policy_variables(result)
    check_hcl(
        result,
        "external_id",
        [value],
        lambda loc: [loc["logging"][q("acme-crm")][q("external_id")]],
    )


@given(mix(ASCII))
@example('a"b\\c%{x}')
def test_condition_parameter_reaches_json_exactly(value: str) -> None:
    params = {**app_doc()["parameters"], "tenant": value}
    result = compile_docs(org_doc(apps=[app_doc(parameters=params)]), vendor_doc())
    if result is None:
        return
    no_policy_variables(result)
    use = statement(policy(result), "VendorAcmeCrmUse")
    assert use["Condition"] == {"StringEquals": {"aws:PrincipalTag/Tenant": value}}


@given(mix(st.from_regex(r"arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,20}", fullmatch=True)))
def test_principal_arn(value: str) -> None:
    params = {**app_doc()["parameters"], "principal_arn": value}
    result = compile_docs(org_doc(apps=[app_doc(parameters=params)]), vendor_doc())
    if result is None:
        return
    assert statement(policy(result), "VendorAcmeCrmUse")["Principal"] == {"AWS": value}
    main_tf = result.files["main.tf"].decode()
    assert hcl_string(value) in main_tf


@given(mix(st.uuids().map(str)))
def test_databricks_account_id(value: str) -> None:
    shipped = Path(__file__).resolve().parent.parent / "vendors" / "databricks.yaml"
    vendor = yaml.safe_load(shipped.read_text("utf-8"))
    app = {
        "vendor": "databricks",
        "environments": ["prod"],
        "parameters": {"databricks_account_id": value},
    }
    result = compile_docs(org_doc(apps=[app]), vendor)
    if result is None:
        return
    doc = json.loads(result.files["policies/databricks-prod.json"])
    conds = [s["Condition"] for s in doc["Statement"] if s["Sid"].startswith("VendorDatabricks")]
    assert conds == [{"StringEquals": {"aws:PrincipalTag/DatabricksAccountId": value}}] * 2


# --------------------------------------------------------------------------- revocations


@given(st.lists(mix(ASCII), min_size=1, max_size=4))
@example(['"', "\\", "%{if}", "}{", "*", "?"])
def test_revocation_values_reach_json_exactly(values: list[str]) -> None:
    rev = {"scope": "record", "values": values, "reason": "leak", "ticket": "SEC-2"}
    result = compile_docs(org_doc(apps=[app_doc(revocations=[rev])]), vendor_doc())
    if result is None:
        return
    no_policy_variables(result)
    deny = statement(policy(result), "RevokeAcmeCrmRecord")
    got = deny["Condition"]["StringEquals"]["kms:EncryptionContext:record_id"]
    assert (got if isinstance(got, list) else [got]) == sorted(set(values))


@given(TEXT, mix(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:#/\-]{0,20}", fullmatch=True)))
@example('${jsonencode(1)} "q" \\', "SEC-1")
def test_reason_and_ticket_never_reach_terraform_or_json(reason: str, ticket: str) -> None:
    baseline = compile_docs(org_doc(), vendor_doc())
    assert baseline is not None
    app = app_doc(suspension={"reason": reason, "ticket": ticket})
    result = compile_docs(org_doc(apps=[app]), vendor_doc())
    if result is None:
        return
    for name in ("main.tf", "outputs.tf", "versions.tf", f"policies/{KEY}.json"):
        assert result.files[name] == baseline.files[name]
    access = result.files["ACCESS.md"].decode()
    (line,) = [ln for ln in access.splitlines() if "**SUSPENDED**" in ln]
    assert re.sub(r"\\(.)", r"\1", line).endswith(f"({ticket}: {reason})")


@given(mix(st.one_of(TEXT, ASCII).map(lambda s: "https://crm.example.com/" + s)))
def test_homepage(homepage: str) -> None:
    result = compile_docs(org_doc(), vendor_doc(homepage=homepage))
    if result is None:
        return
    baseline = compile_docs(org_doc(), vendor_doc())
    assert baseline is not None
    assert result.files["main.tf"] == baseline.files["main.tf"]
    handoff = result.files[f"handoff/{KEY}.md"].decode()
    assert f"\nVendor documentation: {homepage}\n" in handoff


# --------------------------------------------------------------------------- Terraform itself

TF_NASTY = {
    "display_name": '${jsonencode("x")} "q" \\ %{ if true }',
    "product": '$${ %%{ ${ %{ $$ %% } { ${"}',
    # The ExternalId is limited to what STS accepts (E330), so no template syntax reaches
    # Terraform through it any more; every character STS allows is kept instead.
    "external_id": "a_b+c=d,e.f@g:h/i-j",
}


@pytest.mark.terraform
def test_terraform_validates_and_evaluates_nasty_strings(tmp_path: Path) -> None:
    """A generated tree full of template-like strings passes `terraform validate` at a scratch
    copy of the repository root, and the same `locals` evaluate to exactly the input strings."""
    vendor = vendor_doc(display_name=TF_NASTY["display_name"], product=TF_NASTY["product"])
    params = {**app_doc()["parameters"], "external_id": TF_NASTY["external_id"]}
    org = org_doc(apps=[app_doc(parameters=params)], tags={"Owner": "secops"})
    result = compile_docs(org, vendor)
    assert result is not None
    generated = tmp_path / "generated"
    write_tree(generated, result.files)

    env = tfhelpers.tf_env(tmp_path / "tfdata")
    root = tfhelpers.copy_root(tmp_path / "root", generated)
    tfhelpers.init(root, env)
    tfhelpers.run_tf(["validate", "-no-color"], root, env=env)

    # Evaluate the generated `locals` block on its own (no provider, no AWS): an input that
    # became an expression would fail here or change the value.
    main_tf = result.files["main.tf"].decode()
    block = main_tf[
        main_tf.index("locals {") : main_tf.index("\n}\n", main_tf.index("locals {")) + 3
    ]
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "main.tf").write_text(
        block + 'output "description" {\n  value = local.keys["acme-crm-prod"].description\n}\n'
        'output "external_id" {\n  value = local.logging["acme-crm"].external_id\n}\n'
    )
    probe_env = tfhelpers.tf_env(tmp_path / "probedata")
    tfhelpers.init(probe, probe_env)
    state = str(tmp_path / "probe.tfstate")
    tfhelpers.run_tf(
        ["apply", "-auto-approve", "-input=false", "-no-color", f"-state={state}"],
        probe,
        env=probe_env,
    )
    out = tfhelpers.run_tf(["output", "-json", f"-state={state}"], probe, env=probe_env)
    values = {k: v["value"] for k, v in json.loads(out.stdout).items()}
    assert values == {
        "description": f"BYOK key for {TF_NASTY['display_name']} {TF_NASTY['product']} (prod)",
        "external_id": TF_NASTY["external_id"],
    }
