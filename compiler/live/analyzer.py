"""`byok audit --access-analyzer`: IAM Access Analyzer's verdicts on each key policy, beside
byok's. AWS bills each check.

* `ValidatePolicy` (policyType RESOURCE_POLICY; its validatePolicyResourceType has no KMS
  value in botocore 1.44, so none is sent) on the deployed policy: its ERROR and
  SECURITY_WARNING findings.
  https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ValidatePolicy.html
* `CheckNoNewAccess` (policyType RESOURCE_POLICY: botocore 1.44 takes no resource type) with
  the deployed policy as new and generated/ as existing: PASS means no
  new access, FAIL new access. byok's "wider" must agree with FAIL, anything else with PASS.
  https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoNewAccess.html
"""

from __future__ import annotations

import json
from typing import Any

from .aws import Clients
from .expected import KeySpec
from .findings import Finding


def _byok_wider(findings: list[Finding]) -> bool | None:
    for f in findings:
        if f.check == "policy":
            return f.severity == "wider"
    return None


def second_opinion(
    clients: Clients, spec: KeySpec, deployed: dict[str, Any], ours: list[Finding]
) -> list[Finding]:
    aa = clients.client("accessanalyzer")
    out: list[Finding] = []
    doc = json.dumps(deployed, sort_keys=True)
    v = aa.validate_policy(
        policyDocument=doc,
        policyType="RESOURCE_POLICY",
    )
    for f in v.get("findings", []):
        if f.get("findingType") in ("ERROR", "SECURITY_WARNING"):
            msg = (
                f"ValidatePolicy {f['findingType']} {f.get('issueCode')}: {f.get('findingDetails')}"
            )
            out.append(Finding(spec.name, "access analyzer", "finding", msg))
    check = aa.check_no_new_access(
        newPolicyDocument=doc,
        existingPolicyDocument=json.dumps(spec.policy.to_json(), sort_keys=True),
        policyType="RESOURCE_POLICY",
    )
    aws_new = check.get("result") == "FAIL"
    byok_new = _byok_wider(ours)
    if byok_new is not None and aws_new != byok_new:
        msg = "CheckNoNewAccess disagrees with byok"
        detail = {
            "aws": f"{check.get('result')}: {check.get('message', '')}",
            "byok": "wider" if byok_new else "no new access",
        }
        out.append(Finding(spec.name, "access analyzer", "finding", msg, detail))
    else:
        out.append(
            Finding(
                spec.name,
                "access analyzer",
                "ok",
                f"CheckNoNewAccess {check.get('result')}: agrees",
            )
        )
    return out
