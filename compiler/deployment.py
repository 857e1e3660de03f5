"""The deployment inventory: every AWS resource each Terraform root of `generated/` creates.

`render.inventory` writes it (`generated/deployment.json`) from the same compiled structures
that render `main.tf`; `review.deployment` compares the base's with the working tree's; `byok
check-plan` (issue 22) judges a saved plan against it. A resource is identified by what AWS
identifies it by (`Resource.identity`: kind, account, Region, name), never by its Terraform
address: the address only says which state entry holds it.

Shared by render and review (which never import each other), so it imports no stage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = "byok-deployment/1"
INVENTORY_FILE = "deployment.json"  # under generated/

# Arguments whose change makes Terraform destroy and re-create the resource ("forces
# replacement"), per resource type, in hashicorp/terraform-provider-aws 5.100.0 (the version the
# root's .terraform.lock.hcl pins). Only the arguments the modules set, or whose default they
# rely on, are listed; each is `ForceNew: true` in the provider's schema
# (research: /work/notes/forcenew-aws-5.100.md, read at v6.0.0 and at hashicorp main
# f2528d3e of 2024-04, identical in both; v6.0.0's CHANGELOG records no ForceNew change):
#   aws_kms_key           internal/service/kms/key.go: customer_master_key_spec, key_usage,
#                         multi_region (also custom_key_store_id, xks_key_id: never set here)
#   aws_kms_external_key  internal/service/kms/external_key.go: multi_region (and
#                         key_material_base64: set only by `byok import-material`, outside)
#   aws_kms_replica_key   internal/service/kms/replica_key.go: primary_key_arn
#   aws_kms_alias         internal/service/kms/alias.go: name
#   aws_cloudwatch_log_group internal/service/logs/group.go: name (not retention_in_days,
#                         kms_key_id)
#   aws_cloudwatch_log_metric_filter internal/service/logs/metric_filter.go: name,
#                         log_group_name
#   aws_cloudwatch_metric_alarm internal/service/cloudwatch/metric_alarm.go: alarm_name
#   aws_s3_bucket         internal/service/s3/bucket.go: bucket (object_lock_enabled: unset)
#   aws_s3_bucket_{policy,versioning,server_side_encryption_configuration,
#     lifecycle_configuration,public_access_block,ownership_controls}: bucket
#                         (internal/service/s3/bucket_*.go; lifecycle: RequiresReplace)
#   aws_s3_bucket_logging internal/service/s3/bucket_logging.go: bucket
#                         (expected_bucket_owner: unset)
#   aws_s3_bucket_object_lock_configuration
#                         internal/service/s3/bucket_object_lock_configuration.go: bucket,
#                         object_lock_enabled (expected_bucket_owner: unset)
#   aws_cloudtrail        internal/service/cloudtrail/trail.go: name only (s3_bucket_name,
#                         kms_key_id, enable_log_file_validation ... update in place)
#   aws_iam_role          internal/service/iam/role.go: name, path
#   aws_iam_role_policy   internal/service/iam/role_policy.go: name, role
#   aws_sns_topic         internal/service/sns/topic.go: name (fifo_topic: unset)
#   aws_sns_topic_policy  internal/service/sns/topic_policy.go: arn
#   aws_sns_topic_subscription internal/service/sns/topic_subscription.go: topic_arn,
#                         protocol, endpoint
# tests/e2e/test_inventory.py checks this table against `replace_paths` in real plans.
FORCES_REPLACEMENT: Mapping[str, tuple[str, ...]] = {
    "aws_kms_key": ("customer_master_key_spec", "key_usage", "multi_region"),
    "aws_kms_external_key": ("multi_region",),
    "aws_kms_replica_key": ("primary_key_arn",),
    "aws_kms_alias": ("name",),
    "aws_cloudwatch_log_group": ("name",),
    "aws_cloudwatch_log_metric_filter": ("log_group_name", "name"),
    "aws_cloudwatch_metric_alarm": ("alarm_name",),
    "aws_s3_bucket": ("bucket",),
    "aws_s3_bucket_policy": ("bucket",),
    "aws_s3_bucket_versioning": ("bucket",),
    "aws_s3_bucket_server_side_encryption_configuration": ("bucket",),
    "aws_s3_bucket_lifecycle_configuration": ("bucket",),
    "aws_s3_bucket_public_access_block": ("bucket",),
    "aws_s3_bucket_ownership_controls": ("bucket",),
    "aws_s3_bucket_logging": ("bucket",),
    "aws_s3_bucket_object_lock_configuration": ("bucket", "object_lock_enabled"),
    "aws_cloudtrail": ("name",),
    "aws_iam_role": ("name", "path"),
    "aws_iam_role_policy": ("name", "role"),
    "aws_sns_topic": ("name",),
    "aws_sns_topic_policy": ("arn",),
    "aws_sns_topic_subscription": ("endpoint", "protocol", "topic_arn"),
    # org.yaml's optional features (features.tf), ForceNew in the same provider release:
    #   aws_accessanalyzer_analyzer internal/service/accessanalyzer/analyzer.go: analyzer_name,
    #                         type
    #   aws_accessanalyzer_archive_rule internal/service/accessanalyzer/archive_rule.go:
    #                         analyzer_name, rule_name
    #   aws_budgets_budget    internal/service/budgets/budget.go: name (account_id: unset)
    #   aws_cloudwatch_log_subscription_filter internal/service/logs/subscription_filter.go:
    #                         name, log_group_name
    #   aws_lambda_permission internal/service/lambda/permission.go: every argument (no update)
    #   aws_config_config_rule internal/service/configservice/config_rule.go: name
    "aws_accessanalyzer_analyzer": ("analyzer_name", "type"),
    "aws_accessanalyzer_archive_rule": ("analyzer_name", "rule_name"),
    "aws_budgets_budget": ("name",),
    "aws_cloudwatch_log_subscription_filter": ("log_group_name", "name"),
    "aws_lambda_permission": (
        "action",
        "function_name",
        "principal",
        "source_account",
        "source_arn",
        "statement_id",
    ),
    "aws_config_config_rule": ("name",),
}

# Kinds whose loss loses data or evidence: destroying or replacing one is exit 4 unless
# org.yaml declares it (keys: `decommissions`; the others: `destructions`).
DATA_BEARING = frozenset(
    {"key", "audit-key", "replica", "log-group", "trail", "trail-bucket", "access-log-bucket"}
)

# Plain words for each kind, for the review's lines.
KIND_WORDS: Mapping[str, str] = {
    "key": "key",
    "audit-key": "audit key",
    "replica": "replica key",
    "alias": "key alias",
    "log-group": "log group",
    "trail": "CloudTrail trail",
    "trail-bucket": "trail bucket",
    "access-log-bucket": "access-log bucket of the trail bucket",
    "bucket-config": "trail bucket setting",
    "access-logging": "trail bucket access logging",
    "object-lock": "trail bucket Object Lock",
    "topic": "SNS topic",
    "topic-policy": "SNS topic policy",
    "subscription": "alarm subscription",
    "role": "IAM role",
    "role-policy": "IAM role policy",
    "metric-filter": "metric filter",
    "alarm": "alarm",
    "analyzer": "IAM Access Analyzer analyzer",
    "archive-rule": "Access Analyzer archive rule",
    "budget": "AWS Budgets budget",
    "log-subscription": "log subscription filter",
    "invoke-permission": "Lambda invoke permission",
    "config-rule": "AWS Config rule",
}

Identity = tuple[str, str, str, str]  # kind, account, Region ("" for IAM: global), name
Value = Any  # JSON scalars, lists and objects


@dataclass(frozen=True)
class Resource:
    """One managed resource of one root. `replace_on`: the values of its forces-replacement
    arguments (FORCES_REPLACEMENT; `${ADDRESS.ATTR}` for a value Terraform takes from another
    resource); `settings`: its monitoring and evidence settings; `access`: the documents that
    grant access through it (`trust_policy`, `permissions_policy`: IAM policy JSON;
    `key_policy`: the policy file Terraform sends); `files`: where it is declared."""

    root: str  # "." or "generated/stacks/<account>-<region>"
    address: str
    type: str
    kind: str
    account: str
    region: str
    name: str
    replace_on: Mapping[str, Value] = field(default_factory=dict)
    settings: Mapping[str, Value] = field(default_factory=dict)
    access: Mapping[str, Value] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    @property
    def identity(self) -> Identity:
        return (self.kind, self.account, self.region, self.name)

    @property
    def data_bearing(self) -> bool:
        return self.kind in DATA_BEARING

    def where(self) -> str:
        place = f"account {self.account}" + (f"/Region {self.region}" if self.region else "")
        return f"{KIND_WORDS.get(self.kind, self.kind)} `{self.name}` ({place})"

    def to_json(self) -> dict[str, Value]:
        return {
            "root": self.root,
            "address": self.address,
            "type": self.type,
            "kind": self.kind,
            "account": self.account,
            "region": self.region,
            "name": self.name,
            "data_bearing": self.data_bearing,
            "replace_on": dict(self.replace_on),
            "settings": dict(self.settings),
            "access": dict(self.access),
            "files": list(self.files),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Value]) -> Resource:
        return cls(
            root=str(doc["root"]),
            address=str(doc["address"]),
            type=str(doc["type"]),
            kind=str(doc["kind"]),
            account=str(doc["account"]),
            region=str(doc["region"]),
            name=str(doc["name"]),
            replace_on=dict(doc.get("replace_on") or {}),
            settings=dict(doc.get("settings") or {}),
            access=dict(doc.get("access") or {}),
            files=tuple(doc.get("files") or ()),
        )


@dataclass(frozen=True)
class Root:
    """A Terraform root (its own state): `.` (the repository root calling `generated/`) or a
    stack directory, with the account and Region its provider is pinned to."""

    dir: str
    account: str
    region: str


@dataclass(frozen=True)
class Inventory:
    """`declared`: what org.yaml declares about leaving and incident state, for `byok
    check-plan` (which reads generated/ only): `decommissions` and `destructions` (each
    `{key or resource, account_id, region, ticket}`, null account or Region: any) and
    `key_states` (`{key, enabled, ticket}` for every key org.yaml gives a state)."""

    roots: tuple[Root, ...]
    resources: tuple[Resource, ...]
    declared: Mapping[str, Any] = field(default_factory=dict)

    def by_identity(self) -> dict[Identity, Resource]:
        return {r.identity: r for r in self.resources}

    def by_address(self, root: str) -> dict[str, Resource]:
        """The resources of one root by their Terraform address there."""
        return {r.address: r for r in self.resources if r.root == root}


class InventoryError(ValueError):
    """`deployment.json` is not an inventory this byok reads."""


# A resource as `dumps` writes it: its root, its address there, and its line's JSON text.
Line = tuple[str, str, str]


def resource_line(r: Resource) -> Line:
    return r.root, r.address, json.dumps(r.to_json(), sort_keys=True, ensure_ascii=False)


def dumps(inv: Inventory, more: Iterable[Line] = ()) -> bytes:
    """Deterministic JSON: one resource per line (sorted by root and address), so a change to
    one resource is one line of the pull request's diff. `more`: resources beside `inv`'s,
    already written (`resource_line`: render/pieces.py)."""
    roots = [{"dir": r.dir, "account": r.account, "region": r.region} for r in inv.roots]
    every = [*map(resource_line, inv.resources), *more]
    body = ",\n    ".join(text for _, _, text in sorted(every, key=_place))
    declared = json.dumps(dict(inv.declared), sort_keys=True, ensure_ascii=False)
    return (
        "{\n"
        f'  "format": {json.dumps(FORMAT)},\n'
        f'  "roots": {json.dumps(roots, sort_keys=True)},\n'
        f'  "declared": {declared},\n'
        f'  "resources": [\n    {body}\n  ]\n'
        "}\n"
    ).encode()


def _place(line: Line) -> tuple[str, str]:
    return line[0], line[1]


def changed_only(before: bytes, after: bytes) -> tuple[Inventory, Inventory]:
    """Both inventories without the resources they hold identically. `dumps` writes one
    resource per line, so an unchanged resource is the same line on both sides and says nothing
    a review needs: a review of 1,000 keys parses only what changed."""
    same = set(before.splitlines()) & set(after.splitlines())
    return _lines(before, same), _lines(after, same)


def _lines(data: bytes, skip: set[bytes]) -> Inventory:
    """`loads` of `dumps`' layout, leaving out the resource lines in `skip`; any other layout
    is read whole."""
    lines = data.splitlines()
    at = lines.index(_RESOURCES) if _RESOURCES in lines else -1
    if at < 0 or lines[-2:] != [b"  ]", b"}"]:
        return loads(data)
    try:
        shell = loads(b"\n".join(lines[:at]) + b' "resources": []}')
        found = [
            Resource.from_json(json.loads(line.strip().removesuffix(b",")))
            for line in lines[at + 1 : -2]
            if line not in skip
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InventoryError(f"cannot read the inventory: {exc}") from exc
    return Inventory(shell.roots, tuple(found), shell.declared)


_RESOURCES = b'  "resources": ['  # the line before the resources, one a line (`dumps`)


def loads(data: bytes | str) -> Inventory:
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise InventoryError(f"format `{doc.get('format')}` is not `{FORMAT}`")
        roots = tuple(
            Root(str(r["dir"]), str(r["account"]), str(r["region"])) for r in doc["roots"]
        )
        declared = doc.get("declared") or {}
        if not isinstance(declared, dict):
            raise InventoryError("`declared` is not an object")
        resources = tuple(Resource.from_json(r) for r in doc["resources"])
        return Inventory(roots, resources, declared)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, InventoryError):
            raise
        raise InventoryError(f"cannot read the inventory: {exc}") from exc
