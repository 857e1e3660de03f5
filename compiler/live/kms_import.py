"""Import key material into a KMS key created with origin EXTERNAL (not a pipeline stage).

The procedure of "Importing key material", step by step:
https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html
1. `GetParametersForImport` (wrapping algorithm RSAES_OAEP_SHA_256, wrapping key RSA_4096):
   a public key and an import token, valid 24 hours;
2. wrap (encrypt) the 256-bit material with that public key, RSA-OAEP with SHA-256 for both the
   hash and MGF1 (https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys-encrypt-key-material.html);
3. `ImportKeyMaterial` with the token, the wrapped material and the expiration model.

The material only ever lives in memory here: it is read from a file or a pipe, or generated,
wrapped, sent, and never written anywhere (Terraform state and generated/ never see it).
cryptography is imported lazily, and boto3 by the live layer's clients (`aws.Clients`, whose
timeouts and retries the KMS calls here share): they are the `aws` extra, not core
dependencies.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

WRAPPING_ALGORITHM = "RSAES_OAEP_SHA_256"
WRAPPING_KEY_SPEC = "RSA_4096"
MATERIAL_BYTES = 32  # SYMMETRIC_DEFAULT keys take exactly 256 bits of material
MISSING = (
    "byok import-material needs boto3 and cryptography: install the aws extra, "
    "pip install '<the byok wheel>[aws]'"
)


class ImportFailure(Exception):
    """A problem the operator can act on (printed without a traceback)."""


@dataclass(frozen=True)
class Imported:
    key_id: str
    expires: datetime | None


def generate_material() -> bytearray:
    """256 bits from the operating system's CSPRNG (`secrets`)."""
    return bytearray(secrets.token_bytes(MATERIAL_BYTES))


def check_material(material: bytes | bytearray) -> None:
    if len(material) != MATERIAL_BYTES:
        raise ImportFailure(
            f"key material must be exactly {MATERIAL_BYTES} bytes (256 bits) for a "
            f"SYMMETRIC_DEFAULT key; got {len(material)}"
        )


def wrap(material: bytes | bytearray, public_key_der: bytes) -> bytes:
    """RSA-OAEP (SHA-256, MGF1 SHA-256, no label) of `material` under the DER public key."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportFailure(MISSING) from exc
    key = serialization.load_der_public_key(public_key_der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ImportFailure("the wrapping key KMS returned is not an RSA public key")
    sha256 = hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=sha256), algorithm=sha256, label=None)
    return key.encrypt(bytes(material), oaep)


def check_alias(kms: Any, alias: str, key_id: str) -> None:
    """The alias must point at the key Terraform created (issue 24): a repointed alias would
    otherwise send the material, and the expiry with it, to another key. DescribeKey accepts an
    alias name and answers the target's KeyId
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html)."""
    target = str(kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"])
    if target != key_id:
        raise ImportFailure(
            f"{alias} points at key {target}, not at {key_id}, the key Terraform created: "
            "nothing imported (repair the alias with `terraform apply`, and find out who moved it)"
        )


def import_material(
    kms: Any, key_arn: str, material: bytes | bytearray, valid_to: datetime | None
) -> Imported:
    """Run the steps on the key `key_arn` (GetParametersForImport and ImportKeyMaterial take a
    key id or key ARN only:
    https://docs.aws.amazon.com/kms/latest/APIReference/API_GetParametersForImport.html
    #KMS-GetParametersForImport-request-KeyId); `valid_to` None: the material does not
    expire."""
    check_material(material)
    params = kms.get_parameters_for_import(
        KeyId=key_arn, WrappingAlgorithm=WRAPPING_ALGORITHM, WrappingKeySpec=WRAPPING_KEY_SPEC
    )
    wrapped = wrap(material, params["PublicKey"])
    args: dict[str, Any] = {
        "KeyId": params["KeyId"],
        "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": wrapped,
    }
    if valid_to is None:
        args["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE"
    else:
        args["ExpirationModel"] = "KEY_MATERIAL_EXPIRES"
        args["ValidTo"] = valid_to
    kms.import_key_material(**args)
    return Imported(key_id=str(params["KeyId"]), expires=valid_to)
