"""Each verify-stage check, with the exact diagnostic it gives; checks fail closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from byok.compile import CompiledKey, compile_all
from byok.diagnostics import Diagnostic
from byok.pipeline import load_inputs
from byok.policy import iam
from byok.resolve import resolve
from byok.verify.checks import CHECKS, verify_key
from tests.conftest import REPO


@pytest.fixture(scope="module")
def keys() -> dict[str, CompiledKey]:
    org, vendors = load_inputs(REPO)
    compiled = compile_all(resolve(org, vendors, date(2026, 11, 23)))
    return {ck.key.name: ck for ck in compiled.keys}


def _with(
    ck: CompiledKey, *extra: iam.Statement, drop: str | None = None, base_too: bool = True
) -> CompiledKey:
    """`ck` with statements added (and one dropped); also in the base policy unless told not to,
    so that only the lint under test fires (not E513/E510, which compare the two)."""

    def edit(policy: iam.Policy) -> iam.Policy:
        stmts = tuple(s for s in policy.statements if s.sid != drop) + extra
        return policy.model_copy(update={"statements": stmts})

    update = {"policy": edit(ck.policy)}
    if base_too:
        update["base_policy"] = edit(ck.base_policy)
    return ck.model_copy(update=update)


def _allow(
    sid: str,
    principal: iam.Principals,
    actions: tuple[str, ...],
    conditions: tuple[iam.Condition, ...] = (),
) -> iam.Statement:
    return iam.Statement(
        sid=sid,
        effect="Allow",
        principal=principal,
        action=actions,
        resource=("*",),
        conditions=conditions,
    )


def _rendered(ck: CompiledKey) -> list[str]:
    diags, _ = verify_key(ck)
    return [d.render() for d in diags]


VENDOR = iam.Principals(aws=("arn:aws:iam::152659312504:root",))


def test_shipped_keys_verify_clean(keys: dict[str, CompiledKey]) -> None:
    for ck in keys.values():
        diags, proof = verify_key(ck)
        assert diags == [] and proof.relation in ("equivalent", "narrower"), ck.key.name


def test_unknown_action(keys: dict[str, CompiledKey]) -> None:
    ck = _with(keys["slack-prod"], _allow("X", VENDOR, ("kms:Decrpyt",)))
    assert _rendered(ck) == ["E501 key `slack-prod` statement `X`: unknown action `kms:Decrpyt`"]


def test_unknown_and_forbidden_condition_keys(keys: dict[str, CompiledKey]) -> None:
    conds = (
        iam.Condition(operator="StringEquals", key="kms:EncryptionContxt:x", values=("a",)),
        iam.Condition(operator="StringEquals", key="aws:ResourceTag/team", values=("a",)),
        iam.Condition(
            operator="ForAllValues:StringEquals", key="kms:EncryptionContext:x", values=("a",)
        ),
    )
    ck = _with(keys["slack-prod"], _allow("X", VENDOR, ("kms:Decrypt",), conds))
    assert _rendered(ck) == [
        "E502 key `slack-prod` statement `X`: unknown condition key `kms:EncryptionContxt:x`",
        "E503 key `slack-prod` statement `X`: `aws:ResourceTag/team` is rejected in key policies",
        "E504 key `slack-prod` statement `X`: `ForAllValues` on `kms:EncryptionContext:x`",
    ]


def test_public_allow(keys: dict[str, CompiledKey]) -> None:
    ck = _with(keys["zoom-prod"], _allow("Open", iam.Principals(star=True), ("kms:Decrypt",)))
    assert "E505 key `zoom-prod` statement `Open` allows everyone" in _rendered(ck)


def test_full_control_to_external_account(keys: dict[str, CompiledKey]) -> None:
    ck = _with(
        keys["zoom-prod"],
        _allow("Vendor", iam.Principals(aws=("arn:aws:iam::409910850980:root",)), ("kms:*",)),
    )
    assert _rendered(ck) == [
        "E506 key `zoom-prod` statement `Vendor` grants kms:* to `arn:aws:iam::409910850980:root` "
        "outside account 111122223333"
    ]


def test_administrators_cannot_use(keys: dict[str, CompiledKey]) -> None:
    ck = keys["zoom-prod"]
    admin = next(s for s in ck.policy.statements if s.sid == "KeyAdministration")
    bad = admin.model_copy(
        update={"action": (*(admin.action or ()), "kms:Decrypt", "kms:CreateGrant")}
    )
    assert _rendered(_with(ck, bad, drop="KeyAdministration")) == [
        f"org.yaml:{_line('key_administrators:') + 1}:3: E512 key `zoom-prod`: administrators may "
        "call `kms:CreateGrant`",
        f"org.yaml:{_line('key_administrators:') + 1}:3: E512 key `zoom-prod`: administrators may "
        "call `kms:Decrypt`",
    ]


def test_lockout(keys: dict[str, CompiledKey]) -> None:
    ck = keys["zoom-prod"]
    deny = iam.Statement(
        sid="DenyPolicyEdits",
        effect="Deny",
        principal=iam.Principals(star=True),
        action=("kms:PutKeyPolicy",),
        resource=("*",),
    )
    found = _rendered(_with(ck, deny))
    assert found[:3] == [
        f"org.yaml:{_line('key_administrators:') + 1}:3: E507 key `zoom-prod`: `{who}` could not "
        "call kms:PutKeyPolicy (explicit_deny)"
        for who in (
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:role/KmsKeyAdministrators",
            "arn:aws:iam::111122223333:role/SecurityEngineering",
        )
    ]


def _line(text: str) -> int:
    lines = (REPO / "org.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


def test_revocation_not_effective(keys: dict[str, CompiledKey]) -> None:
    ck = keys["slack-prod"]
    weakened = tuple(
        s.model_copy(update={"action": ("kms:Decrypt",)}) if s.sid == "RevokeSlackWorkspace" else s
        for s in ck.policy.statements
    )
    ck = ck.model_copy(update={"policy": ck.policy.model_copy(update={"statements": weakened})})
    found = [d for d in _rendered(ck) if " E508 " in d]
    assert found == [
        f"org.yaml:{_line('      - scope: workspace')}:9: E508 key `slack-prod`: "
        "`arn:aws:iam::152659312504:root` may still call `kms:GenerateDataKey` with "
        "kms:EncryptionContext:workspace_id = `T0456EFGH`"
    ]


def test_allow_changed_by_revocations_and_widening(keys: dict[str, CompiledKey]) -> None:
    ck = keys["slack-prod"]
    wider = _allow(
        "VendorSlackDataKeys", VENDOR, ("kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt")
    )
    found = _rendered(_with(ck, wider, drop="VendorSlackDataKeys", base_too=False))
    assert "E513 key `slack-prod`: revocations changed an Allow statement" in found
    assert found[1] == (
        f"org.yaml:{_line('  - vendor: slack')}:5: E510 key `slack-prod`: cannot prove revocations "
        "only narrow access (incomparable: allowed now; denied before, or allowed only if IAM also "
        'allowed: {"action": "kms:Encrypt", '
        '"context": {}, "principal": "arn:aws:iam::152659312504:root"})'
    )


def test_check_that_raises_fails_closed(keys: dict[str, CompiledKey]) -> None:
    def broken(ck: CompiledKey) -> Iterator[Diagnostic]:
        raise RuntimeError("boom")
        yield  # pragma: no cover

    diags, _ = verify_key(keys["zoom-prod"], (*CHECKS, broken))
    assert [d.render().split(": ", 1)[1] for d in diags] == [
        "E511 key `zoom-prod`: check `broken` failed: RuntimeError: boom"
    ]
