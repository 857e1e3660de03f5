"""`byok import-material`: RSA-OAEP SHA-256 wrapping (unwrapped again with a locally generated
RSA key) and the KMS call sequence against botocore's `Stubber` (moto does not implement
GetParametersForImport / ImportKeyMaterial).

https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html
https://docs.aws.amazon.com/kms/latest/APIReference/API_GetParametersForImport.html
https://docs.aws.amazon.com/kms/latest/APIReference/API_ImportKeyMaterial.html
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import ANY, Stubber  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from byok.cli import import_material as cli_import
from byok.cli.main import main
from byok.live import kms_import

# 2048 bits keeps the test fast; KMS hands out RSA_4096 (WRAPPING_KEY_SPEC), same padding.
PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_DER = PRIVATE.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
)
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ID = KEY_ARN.rsplit("/", 1)[1]


def _unwrap(wrapped: bytes) -> bytes:
    sha256 = hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=sha256), algorithm=sha256, label=None)
    return PRIVATE.decrypt(wrapped, oaep)


def _aws(
    monkeypatch: pytest.MonkeyPatch,
    kms: Any,
    caller: str = "111122223333",
    regions: list[str] | None = None,
) -> None:
    """The command's AWS clients (`live.aws.Clients`): `kms` for KMS, in the Regions recorded
    in `regions` when it is asked for; `caller` is the credentials' account."""

    class Clients:
        def __init__(self, region: str) -> None:
            self.region = region

        def account(self) -> str:
            return caller

        def client(self, service: str) -> Any:
            assert service == "kms"
            if regions is not None:
                regions.append(self.region)
            return kms

    monkeypatch.setattr(cli_import, "Clients", Clients)


@settings(max_examples=10)
@given(st.binary(min_size=32, max_size=32))
def test_wrap_unwraps_to_the_material(material: bytes) -> None:
    wrapped = kms_import.wrap(material, PUBLIC_DER)
    assert len(wrapped) == 256 and wrapped != material
    assert _unwrap(wrapped) == material


def test_wrap_refuses_a_non_rsa_key() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(kms_import.ImportFailure, match="not an RSA public key"):
        kms_import.wrap(b"\0" * 32, der)


def test_material_must_be_256_bits() -> None:
    with pytest.raises(kms_import.ImportFailure) as err:
        kms_import.check_material(b"\1" * 31)
    assert str(err.value) == (
        "key material must be exactly 32 bytes (256 bits) for a SYMMETRIC_DEFAULT key; got 31"
    )
    assert len(kms_import.generate_material()) == 32


def _stubbed(key_id: str, expires: datetime | None) -> tuple[Any, Stubber, list[dict[str, Any]]]:
    kms = boto3.client(
        "kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(kms)
    # The alias must point at the key Terraform created (its id, from the root's outputs).
    stub.add_response(
        "describe_key",
        {"KeyMetadata": {"KeyId": KEY_ID, "Arn": KEY_ARN}},
        {"KeyId": key_id},
    )
    stub.add_response(
        "get_parameters_for_import",
        {"KeyId": KEY_ARN, "ImportToken": b"token", "PublicKey": PUBLIC_DER},
        {
            "KeyId": KEY_ARN,
            "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
            "WrappingKeySpec": "RSA_4096",
        },
    )
    expected: dict[str, Any] = {
        "KeyId": KEY_ARN,
        "ImportToken": b"token",
        "EncryptedKeyMaterial": ANY,
        "ExpirationModel": "KEY_MATERIAL_EXPIRES" if expires else "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
    if expires:
        expected["ValidTo"] = expires
    stub.add_response("import_key_material", {}, expected)
    sent: list[dict[str, Any]] = []
    kms.meta.events.register(
        "provide-client-params.kms.ImportKeyMaterial", lambda params, **_: sent.append(params)
    )
    return kms, stub, sent


@pytest.mark.parametrize("expires", [None, datetime(2027, 6, 30, tzinfo=UTC)])
def test_call_sequence(expires: datetime | None) -> None:
    kms, stub, sent = _stubbed("alias/acme-zoom-prod", expires)
    material = bytes(range(32))
    with stub:
        kms_import.check_alias(kms, "alias/acme-zoom-prod", KEY_ID)
        done = kms_import.import_material(kms, KEY_ARN, material, expires)
        stub.assert_no_pending_responses()
    assert done == kms_import.Imported(key_id=KEY_ARN, expires=expires)
    (params,) = sent
    assert _unwrap(params["EncryptedKeyMaterial"]) == material


def _outputs(project: Path, name: str = "zoom-prod", key_id: str = KEY_ID) -> str:
    """A saved `terraform output -json` of the root that created the key (`--outputs`)."""
    arn = KEY_ARN.replace(KEY_ID, key_id)
    doc = {"keys": {"value": {name: {"key_id": key_id, "key_arn": arn, "alias_name": "x"}}}}
    path = project / "outputs.json"
    path.write_text(json.dumps(doc))
    return str(path)


def _external(project: Path, days: int | None) -> None:
    org = project / "org.yaml"
    text = org.read_text()
    text = text.replace(
        "      deletion_window_days: 30\n",
        "      deletion_window_days: 30\n      imported_key_material: true\n",
        1,
    )
    if days:
        text = text.replace(
            "  multi_region: false\n",
            f"  multi_region: false\n  imported_material_valid_days: {days}\n",
        )
    org.write_text(text)


def test_cli_imports_material_from_stdin(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _external(project, None)
    kms, stub, sent = _stubbed("alias/acme-zoom-prod", None)
    regions: list[str] = []
    _aws(monkeypatch, kms, regions=regions)
    material = bytes(range(100, 132))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(material)))
    args = ["--material-file", "-", "--outputs", _outputs(project)]
    with stub:
        code = main(["-C", str(project), "import-material", "zoom-prod", *args])
    out = capsys.readouterr()
    assert (code, out.err, regions) == (0, "", ["us-east-1"])
    assert out.out == f"zoom-prod: key material imported into {KEY_ARN}; expires: never\n"
    assert _unwrap(sent[0]["EncryptedKeyMaterial"]) == material


def test_cli_imports_material_with_the_org_expiry(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _external(project, 365)
    calls: list[tuple[str, dict[str, Any]]] = []

    class Fake:
        def describe_key(self, **kw: Any) -> dict[str, Any]:
            calls.append(("describe", kw))
            return {"KeyMetadata": {"KeyId": KEY_ID, "Arn": KEY_ARN}}

        def get_parameters_for_import(self, **kw: Any) -> dict[str, Any]:
            calls.append(("get", kw))
            return {"KeyId": KEY_ARN, "ImportToken": b"t", "PublicKey": PUBLIC_DER}

        def import_key_material(self, **kw: Any) -> dict[str, Any]:
            calls.append(("import", kw))
            return {}

    _aws(monkeypatch, Fake())
    kept = tmp_path / "material.bin"
    kept.write_bytes(bytes(range(32)))
    before = datetime.now(UTC)
    args = ["--material-file", str(kept), "--outputs", _outputs(project)]
    code = main(["-C", str(project), "import-material", "zoom-prod", *args])
    assert code == 0, capsys.readouterr().err
    (_, described), (_, got), (_, imported) = calls
    assert described["KeyId"] == "alias/acme-zoom-prod" and got["KeyId"] == KEY_ARN
    days = (imported["ValidTo"] - before).total_seconds() / 86400
    assert imported["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and 364.99 < days < 365.01
    assert _unwrap(imported["EncryptedKeyMaterial"]) == bytes(range(32))
    assert capsys.readouterr().out.startswith(f"zoom-prod: key material imported into {KEY_ARN}")


def test_cli_refuses_generated_material_that_expires(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 24: `--generate` keeps no copy; with `imported_material_valid_days` KMS deletes the
    material at expiry and nobody can re-import it. Refused before any AWS call."""
    _external(project, 180)
    _aws(monkeypatch, object())  # any KMS call would fail: none is made
    code = main(["-C", str(project), "import-material", "zoom-prod", "--generate"])
    out = capsys.readouterr()
    assert (code, out.out) == (1, "")
    assert out.err == (
        "byok: --generate keeps no copy of the material, and org.yaml "
        "`imported_material_valid_days: 180` makes it expire: KMS would then delete it and nobody "
        "could re-import it, so `zoom-prod` and everything encrypted under it would be lost. "
        "Import material you keep (--material-file), or remove `imported_material_valid_days`\n"
    )


def test_cli_refuses_an_alias_that_points_elsewhere(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 24: the alias was repointed at another key; the material (and its expiry) would
    go there. The key is the one Terraform's outputs name; nothing is imported."""
    _external(project, None)
    other = "0000aaaa-0000-0000-0000-000000000000"
    calls: list[str] = []

    class Fake:
        def describe_key(self, **kw: Any) -> dict[str, Any]:
            calls.append("describe")
            return {"KeyMetadata": {"KeyId": other, "Arn": KEY_ARN.replace(KEY_ID, other)}}

        def get_parameters_for_import(self, **kw: Any) -> dict[str, Any]:
            raise AssertionError("nothing may be imported")

    _aws(monkeypatch, Fake())
    args = ["--generate", "--outputs", _outputs(project)]
    code = main(["-C", str(project), "import-material", "zoom-prod", *args])
    out = capsys.readouterr()
    assert (code, out.out, calls) == (1, "", ["describe"])
    assert out.err == (
        f"byok: alias/acme-zoom-prod points at key {other}, not at {KEY_ID}, the key Terraform "
        "created: nothing imported (repair the alias with `terraform apply`, and find out who "
        "moved it)\n"
    )


def test_cli_refuses_a_key_the_outputs_do_not_name(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _external(project, None)
    _aws(monkeypatch, object())
    outputs = _outputs(project, name="slack-prod")
    code = main(
        ["-C", str(project), "import-material", "zoom-prod", "--generate", "--outputs", outputs]
    )
    assert code == 1
    assert capsys.readouterr().err == (
        f"byok: {outputs} names no key `zoom-prod` (output `keys`): apply the root that creates "
        "it first (`terraform apply`)\n"
    )


def test_cli_refuses_without_break_glass(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only break-glass may call kms:ImportKeyMaterial (the key policy's guard rail)."""
    _external(project, None)
    org = project / "org.yaml"
    org.write_text(
        org.read_text().replace("break_glass: arn:aws:iam::111122223333:role/BreakGlassKms\n", "")
    )
    _aws(monkeypatch, object())
    code = main(["-C", str(project), "import-material", "zoom-prod", "--generate"])
    assert code == 1
    assert capsys.readouterr().err == (
        "byok: key `zoom-prod`: no `break_glass` role, so its policy denies "
        "kms:ImportKeyMaterial to every principal (W108): add one in a reviewed change first\n"
    )


def test_cli_refuses_a_key_with_aws_material(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-C", str(project), "import-material", "zoom-prod", "--generate"])
    assert code == 1
    assert capsys.readouterr().err == (
        "byok: key `zoom-prod` has AWS-generated material: set `imported_key_material: true` on "
        "its app (a new key: the origin is fixed when a key is created)\n"
    )


def test_cli_refuses_an_unknown_key(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(project), "import-material", "nope", "--generate"]) == 1
    assert capsys.readouterr().err.startswith("byok: no key `nope` in org.yaml (databricks-prod, ")


def test_cli_refuses_short_material(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _external(project, None)
    short = tmp_path / "m"
    short.write_bytes(b"\1" * 16)
    args = ["-C", str(project), "import-material", "zoom-prod", "--material-file", str(short)]
    assert main(args) == 1
    assert capsys.readouterr().err == (
        "byok: key material must be exactly 32 bytes (256 bits) for a SYMMETRIC_DEFAULT key; "
        "got 16\n"
    )


def test_origin_external_is_imported_material_with_an_expiry_alarm(project: Path) -> None:
    """`origin: EXTERNAL` creates the key without material (no key_material_base64 anywhere in
    generated/) and wires the key's expiry alarm; the shipped org.yaml has neither."""
    from byok.pipeline import build_tree
    from tests.test_golden import TODAY

    shipped = build_tree(project, TODAY).files
    assert b"expiring_key_ids" not in shipped["main.tf"]
    org = project / "org.yaml"
    text = org.read_text()
    org.write_text(
        text.replace(
            "    key:\n      deletion_window_days: 30\n", "    key:\n      origin: EXTERNAL\n", 1
        )
    )
    files = build_tree(project, TODAY).files
    main = files["main.tf"].decode()
    assert '"imported_key_material"     = true' in main
    assert (
        "  expiring_key_ids = { for k, v in local.keys : k => module.key[k].key_id "
        "if v.imported_key_material }\n"
    ) in main
    assert not any(b"key_material_base64" in body for body in files.values())


def test_origin_contradicting_imported_key_material_is_refused(project: Path) -> None:
    from byok.diagnostics import CompileError
    from byok.pipeline import build_tree
    from tests.test_golden import TODAY

    org = project / "org.yaml"
    text = org.read_text()
    anchor = "    key:\n      deletion_window_days: 30\n"
    line = text[: text.index(anchor)].count("\n") + 2
    org.write_text(
        text.replace(
            anchor, anchor + "      origin: AWS_KMS\n      imported_key_material: true\n", 1
        )
    )
    with pytest.raises(CompileError) as err:
        build_tree(project, TODAY)
    assert [d.render() for d in err.value.diagnostics] == [
        f"org.yaml:{line + 1}:15: E344 `origin: AWS_KMS` contradicts `imported_key_material: "
        "true`\n  help: keep one of the two (`origin: EXTERNAL` is `imported_key_material: true`)"
    ]


@pytest.mark.parametrize("caller", ["111122223333", "444455556666"])
def test_cli_imports_into_a_stack_key_in_its_own_account_and_region(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caller: str
) -> None:
    """A key of a stack is addressed in the stack's Region, with credentials of its account:
    other credentials are refused before any KMS call (the alias would not be found there)."""
    from tests.test_stacks import STACK, _with_stack

    _external(project, None)
    stack = STACK.replace("[staging]", "[prod]")
    # only the stack's break-glass role may import (the guard rail of its key policy)
    _with_stack(project, stack + "    break_glass: arn:aws:iam::444455556666:role/BreakGlass\n")
    regions: list[str] = []

    class Fake:
        def describe_key(self, **kw: Any) -> dict[str, Any]:
            return {"KeyMetadata": {"KeyId": KEY_ID, "Arn": KEY_ARN}}

        def get_parameters_for_import(self, **kw: Any) -> dict[str, Any]:
            return {"KeyId": KEY_ARN, "ImportToken": b"t", "PublicKey": PUBLIC_DER}

        def import_key_material(self, **kw: Any) -> dict[str, Any]:
            return {}

    _aws(monkeypatch, Fake(), caller, regions)
    args = ["--generate", "--outputs", _outputs(project)]
    code = main(["-C", str(project), "import-material", "zoom-prod", *args])
    out = capsys.readouterr()
    if caller == "444455556666":
        assert (code, out.err, regions) == (0, "", ["eu-west-1"])
        assert out.out == f"zoom-prod: key material imported into {KEY_ARN}; expires: never\n"
    else:
        assert (code, out.out, regions) == (1, "", [])
        assert out.err == (
            "byok: key `zoom-prod` is in account 444455556666, Region eu-west-1; the credentials "
            "are for account 111122223333: import with credentials of account 444455556666\n"
        )


def test_an_aws_refusal_is_one_line_not_a_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The key is not applied yet: KMS answers NotFoundException to DescribeKey."""
    from botocore.exceptions import ClientError

    _external(project, None)

    class Fake:
        def describe_key(self, **kw: Any) -> dict[str, Any]:
            error = {"Error": {"Code": "NotFoundException", "Message": "Alias is not found."}}
            raise ClientError(error, "DescribeKey")

    _aws(monkeypatch, Fake())
    args = ["--generate", "--outputs", _outputs(project)]
    code = main(["-C", str(project), "import-material", "zoom-prod", *args])
    out = capsys.readouterr()
    assert (code, out.out) == (1, "")
    assert out.err == ("byok: AWS refused DescribeKey: NotFoundException: Alias is not found.\n")


def test_no_credentials_is_one_line_before_any_kms_call(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """STS GetCallerIdentity (the account check, `Clients.account`) without credentials."""
    from botocore.exceptions import NoCredentialsError

    _external(project, None)
    regions: list[str] = []
    _aws(monkeypatch, None, regions=regions)

    def no_credentials(self: Any) -> str:
        raise NoCredentialsError()

    monkeypatch.setattr(cli_import.Clients, "account", no_credentials)
    code = main(["-C", str(project), "import-material", "zoom-prod", "--generate"])
    out = capsys.readouterr()
    assert (code, out.out, regions) == (1, "", [])
    assert out.err.startswith("byok: no AWS credentials: set them through the standard chain")
