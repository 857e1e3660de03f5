"""byok.policy.catalog against its own data files, policyuniverse, botocore and vendors/*.yaml.

When botocore (or policyuniverse) moves, the failing assertion names the actions or keys to
add to compiler/policy/data/*.json; nothing here is updated automatically.
"""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path
from typing import Any

import botocore
import botocore.session
import pytest
import yaml
from policyuniverse import all_permissions, service_data

from byok.policy import catalog
from byok.policy.catalog import (
    CRYPTOGRAPHIC_ACTIONS,
    EXCLUDED_ACTIONS,
    IAM_ONLY_ACTIONS,
    KMS_ACTIONS,
    MANAGEMENT_ACTIONS,
    NON_KEY_ACTIONS,
    USE_ACTIONS,
    canonical_action,
    expand_actions,
    expand_all,
    is_forbidden_in_key_policy,
    is_known_condition_key,
    is_single_valued,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "compiler" / "policy" / "data"
VENDOR_FILES = sorted((REPO / "vendors").glob("*.yaml"))

# The 54 operations of botocore 1.43.11's KMS model, as listed in vendor-facts section (c).
VENDOR_FACTS_OPERATIONS = (
    "CancelKeyDeletion", "ConnectCustomKeyStore", "CreateAlias", "CreateCustomKeyStore",
    "CreateGrant", "CreateKey", "Decrypt", "DeleteAlias", "DeleteCustomKeyStore",
    "DeleteImportedKeyMaterial", "DeriveSharedSecret", "DescribeCustomKeyStores", "DescribeKey",
    "DisableKey", "DisableKeyRotation", "DisconnectCustomKeyStore", "EnableKey",
    "EnableKeyRotation", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac",
    "GenerateRandom", "GetKeyLastUsage", "GetKeyPolicy", "GetKeyRotationStatus",
    "GetParametersForImport", "GetPublicKey", "ImportKeyMaterial", "ListAliases", "ListGrants",
    "ListKeyPolicies", "ListKeyRotations", "ListKeys", "ListResourceTags", "ListRetirableGrants",
    "PutKeyPolicy", "ReEncrypt", "ReplicateKey", "RetireGrant", "RevokeGrant",
    "RotateKeyOnDemand", "ScheduleKeyDeletion", "Sign", "TagResource", "UntagResource",
    "UpdateAlias", "UpdateCustomKeyStore", "UpdateKeyDescription", "UpdatePrimaryRegion",
    "Verify", "VerifyMac",
)  # fmt: skip
# Added to the catalog from the botocore 1.44.5 model (ML-KEM, "Required permissions:
# kms:Encapsulate (key policy)").
NEWER_THAN_VENDOR_FACTS = {"kms:Decapsulate", "kms:Encapsulate"}
# policyuniverse 1.5.1.20231109 predates these; the catalog must have exactly them beyond it.
NEWER_THAN_POLICYUNIVERSE = {
    "kms:Decapsulate",
    "kms:DeriveSharedSecret",
    "kms:Encapsulate",
    "kms:GetKeyLastUsage",
    "kms:ListKeyRotations",
    "kms:RotateKeyOnDemand",
}
# Literal vendor accounts allowed in vendors/*.yaml: each is cited in docs/vendor-facts.md.
KNOWN_VENDOR_ACCOUNTS = {
    "152659312504",  # Slack EKM (C2: known_aws_accounts, cnappgoat)
    "409910850980",  # Zoom CMK (C: Zoom KB0065902)
    "414351767826",  # Databricks (C: terraform-databricks-sra cmk.tf)
}


def permissions(operation: str) -> set[str]:
    """The IAM permissions an API operation needs (ReEncrypt is the one that differs)."""
    if operation == "ReEncrypt":
        return {"kms:ReEncryptFrom", "kms:ReEncryptTo"}
    return {f"kms:{operation}"}


def lower(names: set[str] | frozenset[str]) -> set[str]:
    return {n.lower() for n in names}


# --------------------------------------------------------------------------- data files


@pytest.mark.parametrize("name", ["kms_actions.json", "condition_keys.json"])
def test_data_file_is_canonical_json_with_provenance(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, sort_keys=True) + "\n", "rewrite with sort_keys"
    assert doc["source"] == sorted(doc["source"]) and doc["source"]
    assert all(s.startswith("https://") for s in doc["source"])
    assert doc["retrieved"].startswith("20") and doc["note"]


def test_action_data_is_sorted_and_unique() -> None:
    doc = json.loads((DATA / "kms_actions.json").read_text(encoding="utf-8"))
    names = [a["name"] for a in doc["actions"]]
    assert names == sorted(names)
    assert len(lower(set(names))) == len(names)
    assert doc["key_administrators"]["patterns"] == sorted(doc["key_administrators"]["patterns"])


def test_condition_key_data_is_sorted_and_unique() -> None:
    doc = json.loads((DATA / "condition_keys.json").read_text(encoding="utf-8"))
    names = [k["name"] for k in doc["keys"]]
    assert names == sorted(names)
    assert len(lower(set(names))) == len(names)
    prefixes = [t["prefix"] for t in doc["templates"]]
    assert prefixes == sorted(prefixes)
    assert doc["forbidden_in_key_policy"] == sorted(doc["forbidden_in_key_policy"])


def test_module_doctests() -> None:
    result = doctest.testmod(catalog)
    assert result.attempted >= 15 and result.failed == 0


# --------------------------------------------------------------------------- actions


def test_actions_are_vendor_facts_operations_mapped() -> None:
    expected = set().union(*(permissions(op) for op in VENDOR_FACTS_OPERATIONS))
    expected = (expected - {"kms:CreateKey"}) | NEWER_THAN_VENDOR_FACTS
    assert len(VENDOR_FACTS_OPERATIONS) == 54
    assert set(KMS_ACTIONS) == expected
    assert len(KMS_ACTIONS) == 56
    assert set(IAM_ONLY_ACTIONS) == {"kms:CreateKey"}
    assert all(re.fullmatch(r"kms:[A-Z][A-Za-z]+", a) for a in KMS_ACTIONS)


def test_catalog_covers_policyuniverse() -> None:
    theirs = {p for p in all_permissions if p.startswith("kms:")}  # lower-cased by policyuniverse
    removed = lower(set(EXCLUDED_ACTIONS)) | lower(IAM_ONLY_ACTIONS)
    unknown = sorted(p for p in theirs if canonical_action(p) is None and p not in removed)
    assert not unknown, f"policyuniverse kms actions missing from the catalog: {unknown}"
    assert set(EXCLUDED_ACTIONS) == {"kms:SynchronizeMultiRegionKey"}
    beyond = {a for a in KMS_ACTIONS if a.lower() not in theirs}
    assert beyond == NEWER_THAN_POLICYUNIVERSE


def _botocore_model() -> Any:
    return botocore.session.get_session().get_service_model("kms")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_catalog_matches_botocore_operations() -> None:
    model = _botocore_model()
    theirs = set().union(*(permissions(op) for op in model.operation_names))
    ours = set(KMS_ACTIONS | IAM_ONLY_ACTIONS)
    missing = sorted(theirs - ours)
    assert not missing, (
        f"botocore {botocore.__version__} has KMS permissions the catalog lacks: {missing}; "
        "add them to compiler/policy/data/kms_actions.json (and bump botocore_version)"
    )
    extra = sorted(ours - theirs)
    if extra and _version(botocore.__version__) < _version(catalog.BOTOCORE_VERSION):
        pytest.skip(f"botocore {botocore.__version__} predates the catalog's: lacks {extra}")
    assert not extra, f"catalog actions that botocore {botocore.__version__} lacks: {extra}"


def _required_permissions(doc: str) -> str:
    text = re.sub(r"<[^>]+>", " ", doc)
    start = text.find("Required permissions")
    end = text.find("Related operations", start)
    return "" if start < 0 else text[start : end if end > 0 else start + 400]


def test_non_key_actions_match_botocore_policy_notes() -> None:
    """Operations botocore authorises by '(IAM policy)' only: NON_KEY_ACTIONS and CreateKey."""
    model = _botocore_model()
    iam_only: set[str] = set()
    for op in model.operation_names:
        req = _required_permissions(model.operation_model(op).documentation)
        if "(IAM policy)" in req and "key policy" not in req:
            iam_only |= permissions(op)
    assert iam_only & KMS_ACTIONS == NON_KEY_ACTIONS
    assert iam_only - KMS_ACTIONS == IAM_ONLY_ACTIONS


def test_action_classes() -> None:
    assert CRYPTOGRAPHIC_ACTIONS <= KMS_ACTIONS
    assert set(USE_ACTIONS) == CRYPTOGRAPHIC_ACTIONS | {"kms:CreateGrant"}
    assert not MANAGEMENT_ACTIONS & USE_ACTIONS
    assert not MANAGEMENT_ACTIONS & NON_KEY_ACTIONS
    assert expand_actions("kms:GenerateDataKey*") <= CRYPTOGRAPHIC_ACTIONS
    assert {"kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateRandom"} <= CRYPTOGRAPHIC_ACTIONS
    for grant_only in ("kms:RetireGrant", "kms:RevokeGrant", "kms:ListGrants"):
        assert grant_only not in USE_ACTIONS


def test_management_actions_are_the_console_default_expanded() -> None:
    assert set(MANAGEMENT_ACTIONS) == {
        "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias",
        "kms:DeleteImportedKeyMaterial", "kms:DescribeKey", "kms:DisableKey",
        "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
        "kms:GetKeyLastUsage", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
        "kms:GetParametersForImport", "kms:GetPublicKey", "kms:ListGrants",
        "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags",
        "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:RotateKeyOnDemand",
        "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
        "kms:UpdateKeyDescription", "kms:UpdatePrimaryRegion",
    }  # fmt: skip
    assert dict(catalog.SPECIAL_PURPOSE_ADMIN_ACTIONS) == {
        "imported_key_material": {"kms:ImportKeyMaterial"},
        "multi_region": {"kms:ReplicateKey", "kms:UpdatePrimaryRegion"},
    }


GDK = {
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("kms:*", KMS_ACTIONS),
        ("*", KMS_ACTIONS),
        ("KMS:*", KMS_ACTIONS),
        ("kms:Decrypt", {"kms:Decrypt"}),
        ("KMS:DECRYPT", {"kms:Decrypt"}),
        ("kms:GenerateDataKey*", GDK),
        ("kms:generatedatakey*", GDK),
        ("kms:ReEncrypt*", {"kms:ReEncryptFrom", "kms:ReEncryptTo"}),
        ("kms:Re?ncrypt*", {"kms:ReEncryptFrom", "kms:ReEncryptTo"}),
        ("kms:?ncrypt", {"kms:Encrypt"}),
        ("kms:Describe*", {"kms:DescribeKey", "kms:DescribeCustomKeyStores"}),
        ("kms:*Mac", {"kms:GenerateMac", "kms:VerifyMac"}),
        ("kms:Create*", {"kms:CreateAlias", "kms:CreateCustomKeyStore", "kms:CreateGrant"}),
        ("kms:CreateKey", set()),
        ("kms:ReEncrypt", set()),
        ("kms:Decrypt ", set()),
        ("kms:[D]ecrypt", set()),
        ("kms:.*", set()),
        ("logs:*", set()),
        ("", set()),
    ],
)
def test_expand_actions(pattern: str, expected: set[str] | frozenset[str]) -> None:
    assert expand_actions(pattern) == expected


def test_expand_all_unions() -> None:
    assert expand_all(["kms:Decrypt", "kms:ReEncrypt*"]) == {
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    }
    assert expand_all([]) == frozenset()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("kms:Decrypt", "kms:Decrypt"),
        ("kms:decrypt", "kms:Decrypt"),
        ("KMS:GENERATEDATAKEYWITHOUTPLAINTEXT", "kms:GenerateDataKeyWithoutPlaintext"),
        ("kms:reencryptto", "kms:ReEncryptTo"),
        ("kms:ReEncrypt", None),
        ("kms:ReEncrypt*", None),
        ("kms:CreateKey", None),
        ("kms:SynchronizeMultiRegionKey", None),
        ("Decrypt", None),
        ("kms:Decrypt*", None),
    ],
)
def test_canonical_action(name: str, expected: str | None) -> None:
    assert canonical_action(name) == expected


# --------------------------------------------------------------------------- condition keys


@pytest.mark.parametrize(
    "key",
    [
        "kms:EncryptionContext:channel_id",
        "KMS:ENCRYPTIONCONTEXT:Channel_ID",
        "kms:EncryptionContext:aws:cloudtrail:arn",
        "kms:EncryptionContextKeys",
        "kms:ViaService",
        "kms:CallerAccount",
        "kms:GrantIsForAWSResource",
        "kms:RecipientAttestation:ImageSha384",
        "kms:RecipientAttestation:PCR0",
        "kms:RecipientAttestation:PCR12",
        "kms:RotationPeriodInDays",
        "kms:ScheduleKeyDeletionPendingWindowInDays",
        "aws:PrincipalTag/DatabricksAccountId",
        "aws:principaltag/databricksaccountid",
        "aws:RequestTag/CostCenter",
        "aws:ResourceTag/team",
        "aws:PrincipalOrgID",
        "aws:SourceArn",
        "aws:userid",
        "kms:ResourceAliases",
    ],
)
def test_known_condition_keys(key: str) -> None:
    assert is_known_condition_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "kms:EncryptionContext:",
        "kms:EncryptionContext",
        "kms:EncryptionContext:with space",
        "kms:RecipientAttestation:PCR",
        "kms:RecipientAttestation:PCRx",
        "kms:RecipientAttestation:PCR123",
        "aws:PrincipalTag/",
        "aws:PrincipalTag",
        "kms:ResourceTag/team",
        "kms:Decrypt",
        "kms:EncryptionContextKey",
        "aws:SourceOrgIdentifier",
        "s3:prefix",
        "",
    ],
)
def test_unknown_condition_keys(key: str) -> None:
    assert not is_known_condition_key(key)


@pytest.mark.parametrize(
    ("key", "forbidden"),
    [
        ("aws:ResourceTag/team", True),
        ("AWS:RESOURCETAG/Team", True),
        ("aws:ResourceTag", True),
        ("kms:ResourceTag", True),
        ("kms:ResourceTag/team", True),
        ("kms:ResourceAliases", True),
        ("kms:resourcealiases", True),
        ("aws:RequestTag/team", False),
        ("aws:PrincipalTag/team", False),
        ("kms:RequestAlias", False),
        ("kms:EncryptionContext:channel_id", False),
    ],
)
def test_forbidden_in_key_policy(key: str, forbidden: bool) -> None:
    assert is_forbidden_in_key_policy(key) is forbidden


@pytest.mark.parametrize(
    ("key", "single"),
    [
        ("kms:EncryptionContext:channel_id", True),
        ("kms:EncryptionContextKeys", False),
        ("kms:GrantOperations", False),
        ("kms:ResourceAliases", False),
        ("aws:CalledVia", False),
        ("aws:TagKeys", False),
        ("aws:PrincipalOrgPaths", False),
        ("aws:calledvia", False),
        ("kms:ViaService", True),
        ("kms:CallerAccount", True),
        ("aws:PrincipalTag/DatabricksAccountId", True),
    ],
)
def test_single_valued(key: str, single: bool) -> None:
    assert is_single_valued(key) is single


def test_single_valued_refuses_unknown_keys() -> None:
    with pytest.raises(KeyError, match="unknown condition key"):
        is_single_valued("kms:NoSuchKey")


def test_policyuniverse_kms_condition_keys_are_known() -> None:
    keys: set[str] = set()
    for action in service_data["KMS"]["actions"].values():
        keys |= set(action["condition_keys"])
    # ${TagKey} / ${EncryptionContextKey} are placeholders: try them with a concrete name
    concrete = {re.sub(r"\$\{[^}]+\}", "Example", k) for k in keys}
    assert sorted(k for k in concrete if not is_known_condition_key(k)) == []


def test_botocore_condition_keys_are_known() -> None:
    loader = botocore.session.get_session().get_component("data_loader")
    raw = json.dumps(loader.load_service_model("kms", "service-2"))  # operation and shape docs
    names = set(
        re.findall(r"\bkms:[A-Z][A-Za-z0-9]+(?::[A-Za-z0-9]+)?", re.sub(r"<[^>]+>", " ", raw))
    )
    # permissions (actions) and the bare "kms:EncryptionContext:" prefix are not keys
    keys = {n for n in names if canonical_action(n) is None and n not in IAM_ONLY_ACTIONS}
    keys -= {"kms:ReEncrypt", "kms:EncryptionContext"}
    assert len(keys) >= 8  # the scan itself still finds keys
    unknown = sorted(k for k in keys if not is_known_condition_key(k))
    assert not unknown, (
        f"botocore {botocore.__version__} mentions unknown condition keys: {unknown}"
    )


# --------------------------------------------------------------------------- vendors/*.yaml


def _vendor(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _facts(vendor: dict[str, Any]) -> list[dict[str, Any]]:
    rev = vendor["revocation"]
    out = [*vendor["principals"], *vendor["grants"], vendor["key"], rev["kill_switch"]]
    out += rev.get("scopes", [])
    if "logging" in vendor:
        out += [vendor["logging"], *vendor["logging"]["principals"]]
    return out


def test_vendor_files_exist() -> None:
    stems = {p.stem for p in VENDOR_FILES}
    assert {"slack", "zoom", "databricks", "atlassian", "box", "salesforce"} <= stems
    assert {"snowflake", "miro"} <= stems


@pytest.mark.parametrize("path", VENDOR_FILES, ids=lambda p: p.stem)
def test_vendor_actions_are_in_the_catalog(path: Path) -> None:
    vendor = _vendor(path)
    granted: set[str] = set()
    for grant in vendor["grants"]:
        for action in grant["actions"]:
            found = expand_actions(action)
            assert found, f"{path.name}: grant `{grant['name']}` action `{action}` is unknown"
            assert not found & NON_KEY_ACTIONS, f"{path.name}: `{action}` has no effect here"
            granted |= found
    revoked = expand_all(vendor["revocation"]["actions"])
    assert revoked, f"{path.name}: revocation denies nothing"
    assert revoked <= granted, f"{path.name}: revocation names ungranted {revoked - granted}"
    assert "kms:DescribeKey" not in revoked


@pytest.mark.parametrize("path", VENDOR_FILES, ids=lambda p: p.stem)
def test_vendor_condition_keys_are_known(path: Path) -> None:
    vendor = _vendor(path)
    for grant in vendor["grants"]:
        for cond in grant.get("conditions", []):
            assert is_known_condition_key(cond["key"]), cond["key"]
            assert not is_forbidden_in_key_policy(cond["key"]), cond["key"]
    for scope in vendor["revocation"].get("scopes", []):
        key = f"kms:EncryptionContext:{scope['context_key']}"
        assert is_known_condition_key(key) and is_single_valued(key)


@pytest.mark.parametrize("path", VENDOR_FILES, ids=lambda p: p.stem)
def test_vendor_facts_carry_provenance(path: Path) -> None:
    vendor = _vendor(path)
    assert vendor["name"] == path.stem
    for fact in _facts(vendor):
        assert str(fact["source"]).startswith("https://"), fact
        assert isinstance(fact["verified"], bool), fact
        if not fact["verified"] and "parameter" not in fact:
            assert fact.get("note"), f"{path.name}: unverified fact without a note: {fact}"


@pytest.mark.parametrize("path", VENDOR_FILES, ids=lambda p: p.stem)
def test_vendor_accounts_are_cited_never_invented(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    accounts = set(re.findall(r"arn:aws:iam::(\d{12}):", text))
    assert accounts <= KNOWN_VENDOR_ACCOUNTS, accounts - KNOWN_VENDOR_ACCOUNTS
    vendor = _vendor(path)
    declared = {p["name"]: p["pattern"] for p in vendor.get("parameters", [])}
    for principal in vendor["principals"]:
        assert ("arn" in principal) != ("parameter" in principal)
        if "parameter" in principal:
            pattern = declared[principal["parameter"]]
            assert re.fullmatch(pattern, "arn:aws:iam::444455556666:root")
            assert not re.fullmatch(pattern, "444455556666")
            assert not re.fullmatch(pattern, "arn:aws:iam::444455556666:root\n")


SCOPE_EXAMPLES = {
    ("slack", "organization"): ("E0123ABCD", "T0123ABCD"),
    ("slack", "workspace"): ("T0123ABCD", "E0123ABCD"),
    ("slack", "channel"): ("C0123ABCDE", "c0123abcde"),
    ("slack", "file"): ("F0123ABCDE", "F01"),
    ("slack", "time"): ("2026-11-23T09", "2026-11-23T24"),
}


@pytest.mark.parametrize(("vendor_scope", "examples"), sorted(SCOPE_EXAMPLES.items()))
def test_scope_patterns(vendor_scope: tuple[str, str], examples: tuple[str, str]) -> None:
    vendor = _vendor(REPO / "vendors" / f"{vendor_scope[0]}.yaml")
    scope = next(s for s in vendor["revocation"]["scopes"] if s["name"] == vendor_scope[1])
    good, bad = examples
    assert re.fullmatch(scope["pattern"], good)
    assert not re.fullmatch(scope["pattern"], bad)


def test_every_scope_has_an_example() -> None:
    scopes = {
        (p.stem, s["name"])
        for p in VENDOR_FILES
        for s in _vendor(p)["revocation"].get("scopes", [])
    }
    assert scopes == set(SCOPE_EXAMPLES)
