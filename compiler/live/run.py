"""`byok audit` end to end: read every key and the trail of each Terraform root (the repository
root, then each stack, in its own account and Region), run the checks, optionally ask IAM Access
Analyzer for a second opinion (`analyzer.py`)."""

from __future__ import annotations

import dataclasses

from ..resolve.stacks import stack_id
from .audit import audit_key
from .aws import Clients
from .chain_state import read_chain
from .expected import Expected, KeySpec
from .findings import Finding
from .roles import audit_roles
from .state import aliases, read_key
from .trail import audit_trail


def elsewhere(subject: str, place: tuple[str, str], caller: str) -> Finding:
    """A key or trail of another account than the credentials': not read, and said so."""
    account, region = place
    return Finding(
        subject,
        "account",
        "finding",
        f"in account {account}, Region {region}; the credentials are for account {caller}: "
        f"not audited (run `byok audit` with credentials of account {account})",
    )


def _place(
    exp: Expected,
    place: tuple[str, str],
    clients: Clients,
    names: list[str],
    trail: str,
    analyzer: bool,
) -> list[Finding]:
    found = aliases(clients)
    findings: list[Finding] = []
    arns: dict[str, KeySpec] = {}  # key ARN -> spec, for the analyzer's findings
    for name in names:
        spec = exp.keys[name]
        state = read_key(clients, spec.alias, found.get(spec.alias))
        key_findings = audit_key(spec, state, spec.place[0])
        if "Arn" in state.meta:
            arns[str(state.meta["Arn"])] = spec
        if analyzer and state.policy is not None:
            from .analyzer import second_opinion

            key_findings += second_opinion(clients, spec, state.policy, key_findings)
        findings += key_findings
    if analyzer and place in exp.analyzers:
        from .analyzer import active_findings

        findings += active_findings(clients, exp.analyzers[place], arns)
    return findings + _chain(exp, place, clients, found, trail)


def _chain(
    exp: Expected, place: tuple[str, str], clients: Clients, found: dict[str, str], trail: str
) -> list[Finding]:
    """The root's trail, alarm path, roles and log groups (issue 24)."""
    chain = exp.chains[place]
    st = read_chain(clients, chain, found)
    key_ids = {n: found[exp.keys[n].alias] for n in chain.key_names if exp.keys[n].alias in found}
    for name, alias in ((":trail", chain.trail_key_alias), (":alarms", chain.alarm_key_alias)):
        if alias in st.keys:
            key_ids[name] = st.keys[alias][0]
    out = [
        dataclasses.replace(f, subject=trail) for f in audit_trail(chain, st, exp.controls, key_ids)
    ]
    return out + audit_roles(chain, st)


def run_audit(exp: Expected, clients: Clients, *, analyzer: bool = False) -> list[Finding]:
    """`clients` is for the repository root's Region; each stack's are made alongside."""
    caller = clients.account()
    findings: list[Finding] = []
    for i, place in enumerate(exp.places()):
        names = [n for n in sorted(exp.keys) if exp.keys[n].place == place]
        trail = "trail" if i == 0 else f"trail {stack_id(*place)}"
        if place[0] != caller:
            findings += [elsewhere(subject, place, caller) for subject in [*names, trail]]
        else:
            findings += _place(exp, place, clients.at(place[1]), names, trail, analyzer)
    return findings
