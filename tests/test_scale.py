"""Scale properties: revocation packing, usable policy size, exact capacity, the over-limit
diagnostic, no-op regeneration, and the equivalence of the fast paths added for scale
(`evaluate_each` against `evaluate`, the libyaml loader against the reference loader).

No wall-clock assertions here: timings live in `make bench`.
"""

from __future__ import annotations

import json
import random
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byok.cli import main as cli
from byok.cli.common import EXIT_OK
from byok.compile.capacity import added_bytes, capacity, capacity_width
from byok.compile.keys import POLICY_LIMIT, CompiledKey, compile_key, policy_bytes
from byok.diagnostics import CompileError
from byok.load import LNode, LScalar, LSeq
from byok.load import fast as load_fast
from byok.load import reader as load
from byok.model.inputs import RevocationEntry
from byok.pipeline import build_tree
from byok.policy.evaluate import Request, evaluate, evaluate_each
from byok.policy.iam import Policy
from byok.render.hcl import hcl_string
from byok.resolve.keys import ScopeRevocation
from byok.write import read_tree
from tests.conftest import REPO, copy_inputs

TODAY = date(2026, 11, 23)
SHIPPED_REVOCATIONS = """    revocations:
      - scope: channel
        values: [C0123ABCD, C07QX4M2PLR]
        reason: customer PII posted in public channels
        ticket: SEC-123
        environments: [prod]
        unconfirmed_context_key: {reason: channel_id awaits Slack EKM guide 5.0, ticket: SEC-124}
      - scope: workspace
        values: [T0456EFGH]
        reason: acquired subsidiary workspace offboarded
        ticket: SEC-131
        expires: 2027-06-30
        unconfirmed_context_key: {reason: workspace_id awaits Slack EKM guide 5.0, ticket: SEC-132}
"""


def _with_revocations(tmp_path: Path, block: str) -> Path:
    """The shipped project with the Slack app's revocations replaced by `block`."""
    project = copy_inputs(tmp_path / "project", with_generated=False)
    text = (project / "org.yaml").read_text()
    assert SHIPPED_REVOCATIONS in text
    (project / "org.yaml").write_text(text.replace(SHIPPED_REVOCATIONS, block))
    return project


def _entry(scope: str, values: list[str], ticket: str, envs: str = "[prod]") -> str:
    # Every Slack scope's context key is unconfirmed: a revocation on it needs the
    # acknowledgement (E325 otherwise).
    return (
        f"      - scope: {scope}\n        values: [{', '.join(values)}]\n"
        f"        reason: scale test\n        ticket: {ticket}\n        environments: {envs}\n"
        "        unconfirmed_context_key: {reason: scale test, ticket: SEC-0}\n"
    )


def _key(tmp_path: Path, block: str, name: str = "slack-prod") -> CompiledKey:
    result = build_tree(_with_revocations(tmp_path, block), TODAY)
    return next(ck for ck in result.compiled.keys if ck.key.name == name)


def _ids(prefix: str, start: int, n: int, width: int) -> list[str]:
    """`n` distinct values of exactly `width` characters: the prefix, then digits."""
    return [f"{prefix}{i:0{width - len(prefix)}d}" for i in range(start, start + n)]


# --------------------------------------------------------------------------- (a) packing


def test_revocations_of_one_scope_share_one_statement_with_sorted_unique_values(
    tmp_path: Path,
) -> None:
    channels = _ids("C", 0, 400, 10)
    workspaces = _ids("T", 0, 300, 10)
    rng = random.Random(7)
    block = "    revocations:\n"
    # Many entries per scope, shuffled, overlapping each other, some for every environment.
    for i in range(0, 400, 40):
        chunk = channels[i : i + 60]
        rng.shuffle(chunk)
        block += _entry("channel", chunk, f"SEC-C{i}")
    for i in range(0, 300, 50):
        chunk = workspaces[i : i + 70]
        rng.shuffle(chunk)
        block += _entry("workspace", chunk, f"SEC-W{i}", "[prod, sandbox]")
    ck = _key(tmp_path, block)
    denies = [s for s in ck.policy.statements if (s.sid or "").startswith("Revoke")]
    assert [s.sid for s in denies] == ["RevokeSlackChannel", "RevokeSlackWorkspace"]
    for stmt, expected, key in (
        (denies[0], channels, "channel_id"),
        (denies[1], workspaces, "workspace_id"),
    ):
        (cond,) = stmt.conditions
        assert (cond.operator, cond.key) == ("StringEquals", f"kms:EncryptionContext:{key}")
        assert list(cond.values) == sorted(set(expected))
        assert len(cond.values) == len(set(cond.values))
    doc = ck.policy.to_json()
    written = [
        s["Condition"]["StringEquals"] for s in doc["Statement"] if s["Sid"].startswith("Revoke")
    ]
    assert [next(iter(w.values())) for w in written] == [sorted(channels), sorted(workspaces)]


# --------------------------------------------------------------------------- (b) usable size


def _fill(ck: CompiledKey, scope: str, n: int, width: int) -> CompiledKey:
    """`ck`'s key recompiled with `n` more `width`-byte values in `scope`."""
    key = ck.key
    prefix = {"organization": "E", "workspace": "T", "channel": "C", "file": "F"}.get(scope, "")
    have = next((r for r in key.revocations if r.scope.name == scope), None)
    taken = set(have.values) if have else set()
    new = [v for v in _ids(prefix, 0, n + len(taken), width) if v not in taken][:n]
    assert len(new) == n
    if have is not None:
        revs = tuple(
            r.model_copy(update={"values": tuple(sorted({*r.values, *new}))}) if r is have else r
            for r in key.revocations
        )
    else:
        spec = next(s for s in key.vendor.revocation.scopes if s.name == scope)
        entry = RevocationEntry(reason="scale test", ticket="SEC-1", scope=scope, values=(new[0],))
        added = ScopeRevocation(
            scope=spec, values=tuple(sorted(new)), entries=(entry,), unconfirmed=not spec.verified
        )
        revs = tuple(sorted((*key.revocations, added), key=lambda r: r.scope.name))
    return compile_key(key.model_copy(update={"revocations": revs}))


def test_at_least_93_percent_of_the_limit_holds_revocation_values(tmp_path: Path) -> None:
    empty = _key(tmp_path, "    revocations: []\n")
    assert empty.key.revocations == ()
    room = capacity(empty)["channel"]
    width = capacity_width(empty, "channel")
    full = _fill(empty, "channel", room, width)
    assert full.size <= POLICY_LIMIT
    assert _fill(empty, "channel", room + 1, width).size > POLICY_LIMIT
    (deny,) = [s for s in full.policy.statements if (s.sid or "").startswith("Revoke")]
    values = deny.conditions[0].values
    assert len(values) == room
    # The values' own bytes in the sent (compact) JSON: quotes and separating commas included.
    value_bytes = len(json.dumps(list(values), separators=(",", ":"))) - 2
    # 93%, not 95%: every key also carries the guard-rail Denies (the five break-glass-only
    # actions, grants only for AWS resources, replicas only in declared Regions), about 640
    # bytes.
    assert value_bytes / POLICY_LIMIT >= 0.93, value_bytes
    # Pretty-printing in generated/ costs users nothing: the limit applies to the compact form.
    assert full.size == policy_bytes(full.policy)
    assert len(json.dumps(full.policy.to_json(), indent=2)) > POLICY_LIMIT


# --------------------------------------------------------------------------- (c) E402


def test_over_limit_diagnostic_says_by_how_much_and_names_the_scope(tmp_path: Path) -> None:
    block = (
        "    revocations:\n"
        + _entry("channel", _ids("C", 0, 2500, 11), "SEC-1")
        + _entry("workspace", ["T0456EFGH"], "SEC-2")
    )
    project = _with_revocations(tmp_path, block)
    with pytest.raises(CompileError) as err:
        build_tree(project, TODAY)
    rendered = [d.render() for d in err.value.diagnostics]
    assert rendered == [
        "org.yaml:39:17: E402 key `slack-prod` policy is 37381 bytes, 4613 over the 32768-byte "
        "limit\n  help: split the key, revoke a coarser scope (`channel` holds 2500 values), or "
        "remove revocations that are no longer needed"
    ]
    # The same policy built value by value: 37381 compact bytes, 4613 of them over the limit.
    empty = _key(tmp_path / "empty", "    revocations: []\n")
    same = _fill(_fill(empty, "channel", 2500, 11), "workspace", 1, 9)
    assert same.size == 37381 == POLICY_LIMIT + 4613


def test_over_limit_size_is_the_compact_policy_size(tmp_path: Path) -> None:
    empty = _key(tmp_path, "    revocations: []\n")
    over = _fill(empty, "channel", capacity(empty)["channel"] + 50, 12)
    text = json.dumps(over.policy.to_json(), separators=(",", ":"), ensure_ascii=False)
    assert over.size == len(text.encode()) > POLICY_LIMIT


# --------------------------------------------------------------------------- (d) no-op


def _stamps(root: Path) -> dict[str, tuple[int, int]]:
    out = {".": (root.stat().st_mtime_ns, root.stat().st_ino)}
    for p in root.rglob("*"):
        out[p.relative_to(root).as_posix()] = (p.stat().st_mtime_ns, p.stat().st_ino)
    return out


def test_noop_regeneration_leaves_every_mtime_alone(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYOK_TODAY", TODAY.isoformat())
    out = project / "generated"
    files = read_tree(out)
    assert cli.main(["-C", str(project), "generate"]) == EXIT_OK
    first = capsys.readouterr().out
    assert first.rstrip().endswith(f"generated/: {len(files)} files unchanged")
    before = _stamps(out)
    time.sleep(0.02)  # any rewrite would now show a newer mtime
    assert cli.main(["-C", str(project), "generate"]) == EXIT_OK
    assert capsys.readouterr().out == first  # replayed from .build/byok/replay
    assert _stamps(out) == before
    assert read_tree(out) == files
    assert sorted(p.name for p in project.iterdir()) == [
        ".build",
        "generated",
        "org.yaml",
        "vendors",
    ]


def test_changed_input_rewrites_then_settles(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYOK_TODAY", TODAY.isoformat())
    out = project / "generated"
    old_files, old_stamps = read_tree(out), _stamps(out)
    time.sleep(0.02)
    org = project / "org.yaml"
    org.write_text(
        org.read_text().replace(
            "values: [C0123ABCD, C07QX4M2PLR]", "values: [C0123ABCD, C07QX4M2PLR, C0999ZZZZ]"
        )
    )
    assert cli.main(["-C", str(project), "generate"]) == EXIT_OK
    assert capsys.readouterr().out.rstrip().endswith("files written")
    new_files, new_stamps = read_tree(out), _stamps(out)
    changed = {rel for rel in new_files if new_files[rel] != old_files.get(rel)}
    assert changed == {"ACCESS.md", "README.md", "policies/slack-prod.json"}
    # The tree was swapped whole, but a file with the same bytes is the same file (hard link):
    # its mtime (and inode) are kept, so tools keyed on mtimes see only the real changes.
    for rel in new_files:
        assert (new_stamps[rel] == old_stamps[rel]) == (rel not in changed), rel
    before = new_stamps
    assert cli.main(["-C", str(project), "generate"]) == EXIT_OK
    assert capsys.readouterr().out.rstrip().endswith("files unchanged")
    assert _stamps(project / "generated") == before


# --------------------------------------------------------------------------- (e) capacity


def test_capacity_is_exact_for_every_scope_shape(tmp_path: Path) -> None:
    # slack-prod: `channel` has 2 values (a list), `workspace` 1 (bare, becomes a list), the
    # other scopes none (a new statement). slack-sandbox: only `workspace`.
    result = build_tree(REPO, TODAY)
    checked = 0
    for ck in result.compiled.keys:
        for scope, room in capacity(ck).items():
            width = capacity_width(ck, scope)
            fits = _fill(ck, scope, room, width)
            assert fits.size <= POLICY_LIMIT, (ck.key.name, scope)
            assert fits.size - ck.size == added_bytes(ck, scope, room, width)
            over = _fill(ck, scope, room + 1, width)
            assert over.size > POLICY_LIMIT, (ck.key.name, scope)
            checked += 1
    assert checked == 10


@pytest.mark.parametrize("width", [9, 10, 13])
def test_capacity_counts_each_value_at_its_width(tmp_path: Path, width: int) -> None:
    empty = _key(tmp_path, "    revocations: []\n")
    one = _fill(empty, "file", 1, width)
    assert capacity_width(one, "file") == width
    room = capacity(one)["file"]
    assert (
        _fill(one, "file", room, width).size
        <= POLICY_LIMIT
        < _fill(one, "file", room + 1, width).size
    )


# --------------------------------------------------------------------------- fast paths


_KEY = "kms:EncryptionContext:channel_id"
_OPS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringLike",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "Null",
]
_VALUES = ["C1", "C2", "c1", "C*", "*", "C?", "x"]


@st.composite
def _policies(draw: st.DrawFn) -> Policy:
    stmts = []
    for i in range(draw(st.integers(1, 5))):
        conds: dict[str, dict[str, list[str]]] = {}
        for _ in range(draw(st.integers(0, 3))):
            op = draw(st.sampled_from(_OPS))
            key = draw(
                st.sampled_from(
                    [_KEY, _KEY.upper(), "kms:EncryptionContext:other", "aws:PrincipalTag/team"]
                )
            )
            vals = (
                draw(st.lists(st.sampled_from(["true", "false"]), min_size=1, max_size=2))
                if op == "Null"
                else draw(st.lists(st.sampled_from(_VALUES), min_size=1, max_size=4))
            )
            conds.setdefault(op, {})[key] = vals
        stmt: dict[str, object] = {
            "Sid": f"S{i}",
            "Effect": draw(st.sampled_from(["Allow", "Deny"])),
            "Principal": draw(
                st.sampled_from(
                    ["*", {"AWS": "111122223333"}, {"AWS": "arn:aws:iam::152659312504:root"}]
                )
            ),
            "Action": draw(
                st.sampled_from(["kms:*", "kms:Decrypt", ["kms:Decrypt", "kms:Encrypt"]])
            ),
            "Resource": "*",
        }
        if conds:
            stmt["Condition"] = conds
        stmts.append(stmt)
    return Policy.from_json({"Statement": stmts})


@given(
    policy=_policies(),
    principal=st.sampled_from(
        ["arn:aws:iam::152659312504:root", "arn:aws:iam::111122223333:role/A"]
    ),
    action=st.sampled_from(["kms:Decrypt", "kms:Encrypt"]),
    others=st.dictionaries(
        st.sampled_from(["kms:EncryptionContext:other", "aws:PrincipalTag/team", _KEY]),
        st.sampled_from(_VALUES),
        max_size=2,
    ),
    values=st.lists(st.sampled_from([*_VALUES, "C3", "Cx", ""]), max_size=6),
)
def test_evaluate_each_agrees_with_evaluate(
    policy: Policy, principal: str, action: str, others: dict[str, str], values: list[str]
) -> None:
    request = Request(principal=principal, action=action, context=others)
    got = evaluate_each(policy, request, _KEY, values)
    ctx = {k: v for k, v in others.items() if k.lower() != _KEY.lower()}
    want = [
        evaluate(policy, request.model_copy(update={"context": {**ctx, _KEY: v}})) for v in values
    ]
    assert got == want


def _tree(node: LNode) -> object:
    if isinstance(node, LScalar):
        return ("scalar", node.value, type(node.value).__name__, node.loc)
    if isinstance(node, LSeq):
        return ("seq", node.loc, tuple(_tree(i) for i in node.items))
    return ("map", node.loc, tuple((k, node.keys[k], _tree(v)) for k, v in node.items.items()))


def _outcome(data: bytes, fast: bool) -> object:
    """What one loader makes of `data`: its tree or its diagnostics; None if the fast loader
    declined (the reference loader then decides alone)."""
    try:
        text = load._decode(data, "x.yaml")
        if fast:
            got = load_fast.compose_fast(text, "x.yaml")
            if got is None:
                return None
            root, diags = got
            if diags or root is None:
                raise CompileError(diags)
            return ("ok", _tree(root))
        return ("ok", _tree(load._document(*load._compose(text, "x.yaml"), "x.yaml")))
    except CompileError as err:
        return ("error", tuple(d.render() for d in err.diagnostics))


def _yaml_corpus() -> list[bytes]:
    paths = [
        REPO / "org.yaml",
        *sorted((REPO / "vendors").glob("*.yaml")),
        *sorted((REPO / "tests" / "errors").glob("*.yaml")),
    ]
    return [p.read_bytes() for p in paths]


def test_libyaml_fast_path_loads_exactly_what_the_reference_loader_loads() -> None:
    corpus = _yaml_corpus()
    rng = random.Random(2026)
    tokens = [
        b":",
        b"- ",
        b" ",
        b"\t",
        b'"',
        b"'",
        b"[",
        b"]",
        b"{",
        b"}",
        b"#",
        b"\n",
        b"|",
        b">",
        b"!",
        b"&a ",
        b"*a",
        b"%YAML 1.1\n",
        b"? ",
        b"?",
        b"a?b",
        b"[a?b, c]",
        b"---\n",
        b"...\n",
        b"\xc3\xa9",
        b"\\",
        b"~",
        b"yes",
        b"0x1F",
        b"1e3",
        b"2020-01-01",
        b",",
        b"\r\n",
        b"<<: ",
        b"@",
        b"|#",
        b"!!str ",
        b"{k: }",
        b": ,",
    ]
    # empty values in flow collections, where the two parsers place the null apart
    cases = [*corpus, b"a: {k: }\n", b"a: {k: , j: 1}\n", b"a: [k: ]\n", b"a: {k: ,}\n"]
    for _ in range(600):
        data = bytearray(rng.choice(corpus))
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(data) + 1)
            if rng.random() < 0.6:
                data[pos:pos] = rng.choice(tokens)
            else:
                del data[pos : pos + rng.randint(1, 4)]
        cases.append(bytes(data))
    fast_used = 0
    for data in cases:
        fast = _outcome(data, fast=True)
        if fast is None:
            continue
        fast_used += 1
        assert fast == _outcome(data, fast=False), data[:300]
    assert fast_used > len(corpus) // 2  # the fast path is really exercised


def _hcl_reference(value: str) -> str:
    """`hcl_string` as first written: one character at a time."""
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    out = []
    for ch in value:
        if ch in escapes:
            out.append(escapes[ch])
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    text = "".join(out).replace("${", "$${").replace("%{", "%%{")
    return f'"{text}"'


@given(st.text(alphabet=st.characters(codec=None)) | st.text(alphabet='ab\\"\n\t\x00\x7f\x85$%{}é'))
def test_hcl_string_fast_path_writes_what_the_loop_writes(value: str) -> None:
    assert hcl_string(value) == _hcl_reference(value)


def _effective_reference(ck: CompiledKey) -> set[str]:
    """verify's E508/E509 check as first written: one `evaluate` per value, principal, action."""
    from byok.diagnostics import Diagnostic
    from byok.policy import catalog

    k = ck.key
    out: set[str] = set()
    actions = sorted(set().union(*(catalog.expand_actions(a) for a in k.vendor.revocation.actions)))
    for rev in k.revocations:
        ctx_key = f"kms:EncryptionContext:{rev.scope.context_key}"
        for value in rev.values:
            for principal in k.principals:
                for action in actions:
                    req = Request(principal=principal, action=action, context={ctx_key: value})
                    if evaluate(ck.policy, req).reason != "explicit_deny":
                        out.add(
                            Diagnostic.make(
                                "E508",
                                f"key `{k.name}`: `{principal}` may still call `{action}` with "
                                f"{ctx_key} = `{value}`",
                                rev.entries[0].where.loc,
                            ).render()
                        )
                    if k.suspension is not None:
                        continue
                    other = next(v for v in ("other-value", "x", "0" * 40) if v not in rev.values)
                    for ctx in ({ctx_key: other}, {}):
                        probe = req.model_copy(update={"context": ctx})
                        if (
                            evaluate(ck.policy, probe).decision
                            != evaluate(ck.base_policy, probe).decision
                        ):
                            out.add(
                                Diagnostic.make(
                                    "E509",
                                    f"key `{k.name}`: revocation changes the decision for "
                                    f"`{action}` with context {ctx or 'absent'}",
                                    ck.origins.get(""),
                                ).render()
                            )
    return out


@pytest.mark.parametrize(
    "operator",
    [
        "StringEquals",
        "StringNotEquals",
        "StringLike",
        "StringEqualsIfExists",
        "ForAnyValue:StringNotLike",
        "Null",
    ],
)
@pytest.mark.parametrize("actions", [("kms:Decrypt",), ("kms:Decrypt", "kms:GenerateDataKey")])
def test_revocation_proofs_find_what_one_evaluation_per_value_finds(
    tmp_path: Path, operator: str, actions: tuple[str, ...]
) -> None:
    from byok.verify.checks import _revocations_effective

    block = (
        "    revocations:\n"
        + _entry("channel", ["C0123ABCD", "C07QX4M2PLR", "C99999999"], "SEC-1")
        + _entry("workspace", ["T0456EFGH"], "SEC-2")
    )
    ck = _key(tmp_path, block)
    values = ("true",) if operator == "Null" else ("C0123ABCD", "*")
    broken = tuple(
        s.model_copy(
            update={
                "action": actions,
                "conditions": tuple(
                    c.model_copy(update={"operator": operator, "values": values})
                    for c in s.conditions
                ),
            }
        )
        if s.sid == "RevokeSlackChannel"
        else s
        for s in ck.policy.statements
    )
    for policy in (ck.policy, ck.policy.model_copy(update={"statements": broken})):
        case = ck.model_copy(update={"policy": policy})
        got = {d.render() for d in _revocations_effective(case)}
        assert got == _effective_reference(case)
    assert got, "the broken policies must be caught"
