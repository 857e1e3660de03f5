"""Median time of `byok.policy.compare.compare` on generated-shape key policies.

Shape (as `byok generate` emits it): account root `kms:*`, key administrators (management
actions), a vendor `Allow`, and one revocation `Deny` with `StringEquals` over N encryption
context values. Each run compares OLD against NEW = OLD with one revoked value removed (so the
answer is `wider`, with that value in the witness), on fresh random values each time so no
cache holds the big value sets between runs.

Families beyond the revocation shape (issue 11: ordinary IDs need witnesses), each timed
on one vendor `Allow` whose condition changes operator:

- `equals->like`: `StringEquals [ids]` → `StringLike [id*]` (witness: an id with a suffix);
- `equals->ignorecase`: `StringEquals [ids]` → `StringEqualsIgnoreCase [ids]` (witness: an id
  in another case);
- `like->like`: N `StringLike` globs → the same globs with one widened to `C*`.

    .venv/bin/python bench/bench_compare.py [--runs 41] [--sizes 50 2000] [--family-runs 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from typing import Any

from byok.policy.compare import compare
from byok.policy.iam import Policy

ACCOUNT = "111122223333"
VENDOR = "arn:aws:iam::152659312504:root"
CONTEXT_KEY = "kms:EncryptionContext:channel_id"
ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
VENDOR_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
REVOKED_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def policy(values: list[str]) -> Policy:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountRoot",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "KeyAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/KmsKeyAdministrators"},
            "Action": ADMIN_ACTIONS,
            "Resource": "*",
        },
        {
            "Sid": "VendorSlackDataKeys",
            "Effect": "Allow",
            "Principal": {"AWS": VENDOR},
            "Action": VENDOR_ACTIONS,
            "Resource": "*",
        },
        {
            "Sid": "RevokeSlackChannel",
            "Effect": "Deny",
            "Principal": {"AWS": VENDOR},
            "Action": REVOKED_ACTIONS,
            "Resource": "*",
            "Condition": {"StringEquals": {CONTEXT_KEY: sorted(values)}},
        },
    ]
    return Policy.from_json({"Version": "2012-10-17", "Statement": statements})


def one_run(rng: random.Random, n: int) -> float:
    values = sorted(
        {"C" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=10)) for _ in range(n)}
    )
    old, new = policy(values), policy(values[:-1])
    start = time.perf_counter()
    result = compare(old, new)
    elapsed = time.perf_counter() - start
    assert result.relation == "wider", result
    assert result.new_access is not None and result.new_access.context == {CONTEXT_KEY: values[-1]}
    return elapsed * 1000


def vendor_allow(op: str, values: list[str]) -> Policy:
    statement = {
        "Sid": "VendorSlackDataKeys",
        "Effect": "Allow",
        "Principal": {"AWS": VENDOR},
        "Action": VENDOR_ACTIONS,
        "Resource": "*",
        "Condition": {op: {CONTEXT_KEY: sorted(values)}},
    }
    return Policy.from_json({"Version": "2012-10-17", "Statement": [statement]})


def _ids(rng: random.Random, n: int) -> list[str]:
    alphabet = string.ascii_uppercase + string.digits
    return sorted({"C" + "".join(rng.choices(alphabet, k=8)) for _ in range(n)})


FAMILIES = {
    "equals->like": lambda ids: (
        vendor_allow("StringEquals", ids),
        vendor_allow("StringLike", [i + "*" for i in ids]),
    ),
    "equals->ignorecase": lambda ids: (
        vendor_allow("StringEquals", ids),
        vendor_allow("StringEqualsIgnoreCase", ids),
    ),
    "like->like": lambda ids: (
        vendor_allow("StringLike", [i + "*" for i in ids]),
        vendor_allow("StringLike", [i + "*" for i in ids[:-1]] + ["C*"]),
    ),
}


def family_run(rng: random.Random, family: str, n: int) -> float:
    old, new = FAMILIES[family](_ids(rng, n))
    start = time.perf_counter()
    result = compare(old, new, ACCOUNT)
    elapsed = time.perf_counter() - start
    assert result.relation == "wider" and result.new_access is not None, (family, n, result)
    return elapsed * 1000


def _report(label: str, times: list[float]) -> None:
    print(
        f"{label}: median {statistics.median(times):8.2f} ms per comparison "
        f"(min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=41)
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 2000])
    ap.add_argument("--family-runs", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(20240601)
    one_run(rng, 5)  # warm-up: imports, the action catalog, z3 start-up
    family_run(rng, "equals->ignorecase", 1)  # warm-up: the case-folding table
    for n in args.sizes:
        _report(f"revocation N={n:>5}", [one_run(rng, n) for _ in range(args.runs)])
    for family in FAMILIES:
        for n in (1, *args.sizes):
            runs = [family_run(rng, family, n) for _ in range(args.family_runs)]
            _report(f"{family:>18} N={n:>5}", runs)


if __name__ == "__main__":
    main()
