"""`byok audit --access-analyzer`: IAM Access Analyzer's verdicts on each key policy, beside
byok's (AWS bills each check), and the analyzer's active findings on the keys.

* The analyzer org.yaml generates (`access_analyzer`, render/features.py) archives findings for
  exactly each key's vendor principals: `active_findings` reports every ACTIVE finding on one
  of the keys, with the key's name: an external principal the catalog does not grant, or a
  vendor principal's finding created before its archive rule.

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

from .aws import Clients, error_code
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


# --------------------------------------------------------------------------- active findings

FINDINGS_DOC = (
    "https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListFindings.html"
)


def _principals(finding: dict[str, Any]) -> list[str]:
    """The values of the finding's `principal` map (`{"AWS": "123456789012"}`)."""
    return sorted(str(v) for v in (finding.get("principal") or {}).values())


def _one(spec: KeySpec, analyzer: str, f: dict[str, Any]) -> Finding:
    who = _principals(f)
    shown = ", ".join(f"`{p}`" for p in who) or "an unnamed principal"
    if f.get("isPublic"):
        shown = "everyone (public)"
    actions = ", ".join(sorted(f.get("action") or []))
    detail = {"id": f.get("id"), "principal": f.get("principal"), "action": f.get("action")}
    if who and set(who) <= set(spec.expected_external) and not f.get("isPublic"):
        msg = (
            f"active finding {f.get('id')} for the vendor's own principal {shown}: not archived "
            "(archive rules archive new findings only: `aws accessanalyzer apply-archive-rule "
            f"--analyzer-arn <{analyzer} ARN> --rule-name <rule>`)"
        )
    else:
        msg = (
            f"active finding {f.get('id')}: {shown} outside the zone of trust may call "
            f"{actions or 'an action'} on this key; the vendor catalog grants no such principal"
        )
    return Finding(spec.name, "access analyzer", "finding", msg, detail)


def active_findings(clients: Clients, analyzer: str, keys: dict[str, KeySpec]) -> list[Finding]:
    """IAM Access Analyzer's ACTIVE findings on the keys (`keys`: key ARN -> spec), by key name:
    every external principal the archive rules (the vendor principals) do not cover.
    GetAnalyzer, then ListFindings filtered to KMS keys and status ACTIVE (`principal`,
    `action`, `isPublic` as documented in FINDINGS_DOC)."""
    aa = clients.client("accessanalyzer")
    try:
        arn = aa.get_analyzer(analyzerName=analyzer)["analyzer"]["arn"]
    except Exception as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return [
            Finding(
                spec.name, "access analyzer", "finding", f"analyzer `{analyzer}` does not exist"
            )
            for spec in sorted(keys.values(), key=lambda s: s.name)
        ]
    wanted = {"resourceType": {"eq": ["AWS::KMS::Key"]}, "status": {"eq": ["ACTIVE"]}}
    found: dict[str, list[Finding]] = {spec.name: [] for spec in keys.values()}
    for page in aa.get_paginator("list_findings").paginate(analyzerArn=arn, filter=wanted):
        for f in page.get("findings", []):
            spec = keys.get(str(f.get("resource")))
            if spec is not None:
                found[spec.name].append(_one(spec, analyzer, f))
    out: list[Finding] = []
    for name in sorted(found):
        out += found[name] or [
            Finding(
                name, "access analyzer", "ok", f"no active external-access finding ({analyzer})"
            )
        ]
    return out
