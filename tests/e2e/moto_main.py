"""``moto_server`` with divergences from AWS removed (and AWS Budgets' two missing reads added,
below): moto's ``ReplicateKey`` ignores the
request's ``Policy``, ``Description`` and ``Tags`` (moto 5.2 copies the primary and answers a
default policy). AWS applies all three to the new replica:
https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html#API_ReplicateKey_RequestSyntax

It also gives the replica its own aliases and multi-Region configuration (moto shares the
primary's, so an alias "already exists" and the primary reads back as a replica).
Without the tags the provider's ``aws_kms_replica_key`` create waits forever for them to
propagate; without the policy the e2e read-back of a replica's policy would read the primary's
copy, not what Terraform sent. Patched here, in the test server only (started by
``support.MotoServer``), and reported as a note in the e2e summary.

Also ``DescribeTrails``: moto ignores ``trailNameList`` and answers every trail of the account,
shadow copies of multi-Region trails included. AWS answers only the trails listed (a name: the
current Region's trail of that name; an ARN: that trail, from any Region), so with two
multi-Region trails in one account (two roots, test_shared_account.py) the provider's read by
ARN got two trails and failed ("too many results").
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html

And imported key material, which moto 5.2 does not model (every key is created Enabled with
material of its own; GetParametersForImport and ImportKeyMaterial are not implemented): a key
created with ``Origin: EXTERNAL`` is ``PendingImport`` and disabled until material is imported;
``GetParametersForImport`` answers an RSA public key (the requested ``WrappingKeySpec``) and a
token valid for that key; ``ImportKeyMaterial`` unwraps the material with RSAES_OAEP_SHA_256,
refuses anything but 32 bytes, enables the key and records ``ExpirationModel`` and ``ValidTo``,
which ``DescribeKey`` then answers, as AWS documents:
https://docs.aws.amazon.com/kms/latest/APIReference/API_GetParametersForImport.html
https://docs.aws.amazon.com/kms/latest/APIReference/API_ImportKeyMaterial.html
https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html

And JSON-protocol routing (moto >= 5.2.6): moto routes a JSON request by the exact
``X-Amz-Target`` ``<targetPrefix>.<Operation>``, with the prefix from botocore's service model.
botocore 1.44 names CloudTrail's prefix ``com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101``
while the mirrored AWS provider 5.100 (aws-sdk-go-v2) sends ``CloudTrail_20131101.CreateTrail``;
AWS accepts both, moto answered 404 ``UnknownError``. The router here also accepts the prefix's
last component, for every JSON service whose prefix is dotted. moto 5.2.5 routed by the
operation name after the last dot and has no ``JSONRouter``: nothing is patched there.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import sys
import time

from moto.budgets.responses import BudgetsResponse
from moto.cloudtrail.responses import CloudTrailResponse
from moto.core.exceptions import JsonRESTError
from moto.kms.models import Key, kms_backends
from moto.kms.responses import KmsResponse
from moto.server import main

try:  # moto >= 5.2.6
    from moto.core.routing import JSONRouter
except ImportError:  # pragma: no cover - moto 5.2.5 routes by the operation name
    JSONRouter = None

_replicate = KmsResponse.replicate_key


def replicate_key(self: KmsResponse) -> str:
    out = _replicate(self)
    meta = json.loads(out)["ReplicaKeyMetadata"]
    backend = kms_backends[self.current_account][self._get_param("ReplicaRegion")]
    key = backend.keys[meta["KeyId"]]
    # moto copies the primary shallowly: the replica would share the primary's aliases, grants
    # and rotations (an alias created in the replica's Region then "already exists" there).
    key.aliases, key.grants, key.rotations = {}, {}, []
    # ... and its multi-Region configuration, which moto's DescribeKey of the replica turns to
    # REPLICA, making the primary look like a replica too.
    config = copy.deepcopy(key.multi_region_configuration)
    config["MultiRegionKeyType"] = "REPLICA"
    key.multi_region_configuration = config
    if self._get_param("Policy"):
        key.policy = self._get_param("Policy")
    if self._get_param("Description") is not None:
        key.description = self._get_param("Description")
    tags = {t["TagKey"]: t.get("TagValue") for t in self._get_param("Tags") or []}
    if tags:
        backend.tag_resource(meta["KeyId"], tags)
    return json.dumps(
        {"ReplicaKeyMetadata": key.to_dict()["KeyMetadata"], "ReplicaPolicy": key.policy}
    )


_create_key = KmsResponse.create_key
_to_dict = Key.to_dict
_IMPORTS: dict[str, tuple[str, object]] = {}  # import token -> (key id, RSA private key)


def create_key(self: KmsResponse) -> str:
    out = json.loads(_create_key(self))
    if out["KeyMetadata"].get("Origin") == "EXTERNAL":
        key = self.kms_backend.keys[out["KeyMetadata"]["KeyId"]]
        key.key_state, key.enabled = "PendingImport", False
        out = key.to_dict()
    return json.dumps(out)


def key_to_dict(self: Key) -> dict[str, object]:
    out = _to_dict(self)
    meta = out["KeyMetadata"]
    if getattr(self, "expiration_model", None):
        meta["ExpirationModel"] = self.expiration_model  # type: ignore[attr-defined]
    if getattr(self, "valid_to", None) is not None:
        meta["ValidTo"] = self.valid_to  # type: ignore[attr-defined]
    return out


def get_parameters_for_import(self: KmsResponse) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = self.kms_backend.describe_key(self.kms_backend.get_key_id(self._get_param("KeyId")))
    bits = int(str(self._get_param("WrappingKeySpec", "RSA_2048")).split("_")[1])
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    token = base64.b64encode(secrets.token_bytes(32)).decode()
    _IMPORTS[token] = (key.id, private)
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return json.dumps(
        {
            "KeyId": key.arn,
            "ImportToken": token,
            "PublicKey": base64.b64encode(der).decode(),
            "ParametersValidTo": time.time() + 86400,
        }
    )


def import_key_material(self: KmsResponse) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = self.kms_backend.describe_key(self.kms_backend.get_key_id(self._get_param("KeyId")))
    key_id, private = _IMPORTS.pop(self._get_param("ImportToken"), (None, None))
    if key_id != key.id or private is None:
        raise JsonRESTError("InvalidImportTokenException", "import token not valid for the key")
    sha = hashes.SHA256()
    material = private.decrypt(  # type: ignore[attr-defined]
        base64.b64decode(self._get_param("EncryptedKeyMaterial")),
        padding.OAEP(mgf=padding.MGF1(algorithm=sha), algorithm=sha, label=None),
    )
    if len(material) != 32:
        raise JsonRESTError("IncorrectKeyMaterialException", "not 256 bits of key material")
    key.key_material, key.key_state, key.enabled = material, "Enabled", True
    key.expiration_model = self._get_param("ExpirationModel")
    key.valid_to = self._get_param("ValidTo")
    return json.dumps({})


_describe_trails = CloudTrailResponse.describe_trails


def describe_trails(self: CloudTrailResponse) -> str:
    out = json.loads(_describe_trails(self))
    wanted = self._get_param("trailNameList") or []
    if wanted:
        out["trailList"] = [
            t
            for t in out["trailList"]
            if t["TrailARN"] in wanted or (t["Name"] in wanted and t["HomeRegion"] == self.region)
        ]
    return json.dumps(out)


def _short_targets(router: object) -> None:
    """Also route ``<last prefix component>.<Operation>`` (what aws-sdk-go-v2 sends)."""
    ops = router._operations_by_target  # type: ignore[attr-defined]
    for target, operation in list(ops.items()):
        prefix, _, name = target.rpartition(".")
        if "." in prefix:
            ops.setdefault(f"{prefix.rpartition('.')[2]}.{name}", operation)


if JSONRouter is not None:
    _json_init = JSONRouter.__init__

    def _json_router_init(self: object, service_model: object) -> None:
        _json_init(self, service_model)  # type: ignore[arg-type]
        _short_targets(self)

    JSONRouter.__init__ = _json_router_init  # type: ignore[method-assign]

# AWS Budgets: moto 5.2.6 implements budgets and their notifications but not
# DescribeSubscribersForNotification nor resource tags, which the AWS provider's
# `aws_budgets_budget` reads after every create (it waits for them until it times out). AWS:
# https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_DescribeSubscribersForNotification.html
# https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_ListTagsForResource.html
_BUDGET_TAGS: dict[str, dict[str, str]] = {}
_create_budget = BudgetsResponse.create_budget


def _budget_arn(self: BudgetsResponse, name: str) -> str:
    return f"arn:aws:budgets::{self._get_param('AccountId')}:budget/{name}"


def create_budget(self: BudgetsResponse) -> str:
    out = _create_budget(self)
    name = self._get_param("Budget")["BudgetName"]
    tags = self._get_param("ResourceTags") or []
    _BUDGET_TAGS[_budget_arn(self, name)] = {t["Key"]: t["Value"] for t in tags}
    return out


def describe_subscribers_for_notification(self: BudgetsResponse) -> str:
    budget = self.backend.budgets[self._get_param("AccountId")][self._get_param("BudgetName")]
    wanted = self._get_param("Notification")
    found = [n.subscribers for n in budget.notifications if n.details == wanted]
    return json.dumps({"Subscribers": found[0] if found else []})


def list_tags_for_resource(self: BudgetsResponse) -> str:
    tags = _BUDGET_TAGS.get(self._get_param("ResourceARN"), {})
    return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})


def tag_resource(self: BudgetsResponse) -> str:
    tags = _BUDGET_TAGS.setdefault(self._get_param("ResourceARN"), {})
    tags.update({t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []})
    return json.dumps({})


def untag_resource(self: BudgetsResponse) -> str:
    tags = _BUDGET_TAGS.setdefault(self._get_param("ResourceARN"), {})
    for key in self._get_param("ResourceTagKeys") or []:
        tags.pop(key, None)
    return json.dumps({})


for _name, _fn in (
    ("create_budget", create_budget),
    ("describe_subscribers_for_notification", describe_subscribers_for_notification),
    ("list_tags_for_resource", list_tags_for_resource),
    ("tag_resource", tag_resource),
    ("untag_resource", untag_resource),
):
    setattr(BudgetsResponse, _name, _fn)

KmsResponse.replicate_key = replicate_key  # type: ignore[method-assign]
KmsResponse.create_key = create_key  # type: ignore[method-assign]
KmsResponse.get_parameters_for_import = get_parameters_for_import  # type: ignore[attr-defined]
KmsResponse.import_key_material = import_key_material  # type: ignore[attr-defined]
Key.to_dict = key_to_dict  # type: ignore[method-assign]
CloudTrailResponse.describe_trails = describe_trails  # type: ignore[method-assign]

if __name__ == "__main__":
    main(sys.argv[1:])
