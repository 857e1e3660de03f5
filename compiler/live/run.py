"""`byok audit` end to end: read every key and the trail, run the checks, optionally ask IAM
Access Analyzer for a second opinion (`analyzer.py`)."""

from __future__ import annotations

from .audit import audit_key
from .aws import Clients
from .expected import Expected
from .findings import Finding
from .state import aliases, read_key, read_trail
from .trail import audit_trail, log_group


def run_audit(exp: Expected, clients: Clients, *, analyzer: bool = False) -> list[Finding]:
    found = aliases(clients)
    findings: list[Finding] = []
    for name in sorted(exp.keys):
        spec = exp.keys[name]
        state = read_key(clients, spec.alias, found.get(spec.alias))
        key_findings = audit_key(spec, state, exp.account)
        if analyzer and state.policy is not None:
            from .analyzer import second_opinion

            key_findings += second_opinion(clients, spec, state.policy, key_findings)
        findings += key_findings
    trail = read_trail(clients, exp.trail_name, log_group(exp.trail_name))
    return findings + audit_trail(exp, trail)
