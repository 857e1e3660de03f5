"""`byok iam-policy deployer|auditor`: the least-privilege IAM policy of the role that runs
`terraform apply` on `generated/` (deployer) or `byok audit` / `byok activity` (auditor), for
every Terraform root `generated/` holds (render/permissions.py). Exit 0, or 1 when the inputs
do not compile."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..diagnostics import CompileError
from .common import EXIT_INPUT, EXIT_OK, print_diagnostics, today

EPILOG = (
    "The deployer policy grants no kms:ScheduleKeyDeletion or kms:DisableKey (key policies deny "
    "them to all but break-glass), no cryptographic use of the keys and no kms:CreateGrant. "
    "Attach the auditor policy to a read-only role; `byok activity` needs only its "
    "logs:FilterLogEvents, kms:ListAliases and kms:DescribeKey."
)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "iam-policy",
        help="print the least-privilege IAM policy of the deployer or the auditor role",
        epilog=EPILOG,
    )
    p.add_argument("role", choices=("deployer", "auditor"))
    p.set_defaults(func=cmd_iam_policy)


def cmd_iam_policy(args: argparse.Namespace) -> int:
    from ..pipeline import build_tree
    from ..render.permissions import policy, roots_of
    from ..render.stacks import roots

    try:
        result = build_tree(Path(args.directory), today(), guard=False)
    except CompileError as err:
        print_diagnostics(err.diagnostics)
        return EXIT_INPUT
    compiled = result.compiled
    doc = policy(args.role, roots_of(compiled, roots(compiled)))
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return EXIT_OK
