"""`RootResources`: the list one root's resources are collected in, for the deployment
inventory (render/inventory.py and the modules' parts: inventory_audit, inventory_bucket,
inventory_alarms, inventory_features)."""

from __future__ import annotations

from typing import Any

from ..deployment import Resource


class RootResources:
    """One root being inventoried: where its state lives and how addresses begin there."""

    def __init__(self, dir_: str, account: str, region: str, module_dir: str) -> None:
        self.dir, self.account, self.region = dir_, account, region
        self.prefix = "module.byok." if dir_ == "." else ""  # the root main.tf calls ./generated
        self.main = f"{module_dir}/main.tf"
        self.module_dir = module_dir
        self.out: list[Resource] = []

    def add(self, address: str, type_: str, kind: str, name: str, **kw: Any) -> None:
        region = "" if type_.startswith("aws_iam_") else kw.pop("region", self.region)
        files = (self.main, *kw.pop("files", ()))
        self.out.append(
            Resource(
                self.dir,
                self.prefix + address,
                type_,
                kind,
                self.account,
                region,
                name,
                files=files,
                **kw,
            )
        )

    def log_group(self, module: str, name: str, retention: int, files: tuple[str, ...]) -> None:
        self.add(
            f"{module}.aws_cloudwatch_log_group.this[0]",
            "aws_cloudwatch_log_group",
            "log-group",
            name,
            replace_on={"name": name},
            # both modules' log groups: a destroy forgets them and AWS keeps them
            settings={"retention_in_days": retention, "skip_destroy": True},
            files=files,
        )

    def role(
        self, module: str, role: str, policy: str, files: tuple[str, ...], **access: Any
    ) -> None:
        """An IAM role and its inline policy; `access`: their documents (`trust_policy`,
        `permissions_policy`), when the review judges them."""
        trust = {k: v for k, v in access.items() if k == "trust_policy"}
        perms = {k: v for k, v in access.items() if k != "trust_policy"}
        self.add(
            f"{module}.aws_iam_role.this[0]",
            "aws_iam_role",
            "role",
            role,
            replace_on={"name": role, "path": "/"},
            access=trust,
            files=files,
        )
        self.add(
            f"{module}.aws_iam_role_policy.this[0]",
            "aws_iam_role_policy",
            "role-policy",
            f"{role}:{policy}",
            replace_on={"name": policy, "role": role},
            access={**perms, "role": role} if perms else {},
            files=files,
        )
