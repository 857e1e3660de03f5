"""The trail bucket of each root in the deployment inventory (render/inventory_audit.py), as
modules/cloudtrail creates it for the trail it creates: the bucket and its settings
(bucket.tf), its server access logging (`aws_s3_bucket_logging`) and optional Object Lock,
and the bucket those access logs go to, with its own settings (access_logs.tf), unless org.yaml
names an existing one (`trail.access_log_bucket`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .inventory_root import RootResources

_CONFIG = (
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_lifecycle_configuration",
)
# bucket.tf and access_logs.tf: versioned; noncurrent versions expire after the module's
# default (var.s3_noncurrent_version_expiration_days); current log files never expire
# (var.s3_expiration_days null; the access-log bucket's rule has no expiration)
_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    "aws_s3_bucket_versioning": {"status": "Enabled"},
    "aws_s3_bucket_lifecycle_configuration": {
        "expiration_days": None,
        "noncurrent_version_expiration_days": 365,
    },
}


def _bucket(root: RootResources, res: str, kind: str, bucket: str, file: str) -> None:
    """A bucket (`res`: its resource name in the module) and its six settings resources."""
    files = (file,)
    root.add(
        f"module.cloudtrail.aws_s3_bucket.{res}[0]",
        "aws_s3_bucket",
        kind,
        bucket,
        replace_on={"bucket": bucket},
        settings={"force_destroy": False},
        files=files,
    )
    for type_ in _CONFIG:
        root.add(
            f"module.cloudtrail.{type_}.{res}[0]",
            type_,
            "bucket-config",
            f"{bucket} {type_.removeprefix('aws_s3_bucket_')}",
            replace_on={"bucket": bucket},
            settings=dict(_SETTINGS.get(type_, {})),
            files=files,
        )


def trail_bucket(root: RootResources, trail: str, values: Mapping[str, Any]) -> str:
    """The trail bucket, its access logging, Object Lock (org.yaml `trail.object_lock`) and
    access-log bucket; returns the trail bucket's name."""
    bucket = f"{trail}-cloudtrail-{root.account}"
    files = ("modules/cloudtrail/bucket.tf",)
    _bucket(root, "this", "trail-bucket", bucket, files[0])
    target = values["access_log_bucket"] or f"{trail}-cloudtrail-access-{root.account}"
    root.add(
        "module.cloudtrail.aws_s3_bucket_logging.this[0]",
        "aws_s3_bucket_logging",
        "access-logging",
        f"{bucket} logging",
        replace_on={"bucket": bucket},
        settings={"target_bucket": target, "target_prefix": f"{bucket}/"},
        files=files,
    )
    lock = values["object_lock"]
    if lock is not None:
        root.add(
            "module.cloudtrail.aws_s3_bucket_object_lock_configuration.this[0]",
            "aws_s3_bucket_object_lock_configuration",
            "object-lock",
            f"{bucket} object lock",
            replace_on={"bucket": bucket, "object_lock_enabled": "Enabled"},
            settings={"object_lock_mode": lock["mode"], "object_lock_days": lock["days"]},
            files=files,
        )
    if values["access_log_bucket"] is None:
        _bucket(
            root, "access_logs", "access-log-bucket", target, "modules/cloudtrail/access_logs.tf"
        )
    return bucket
