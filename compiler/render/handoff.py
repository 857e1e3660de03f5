"""The vendor handoff sheet (`generated/handoff/<key>.md`): what to send the vendor after
`terraform apply`, and what a key replacement in progress means for it.

Written for the person who talks to the vendor; deterministic (no dates but the inputs' own).
"""

from __future__ import annotations

from ..compile.keys import Compiled, CompiledKey
from ..resolve.stacks import stack_id, stack_of
from .markdown import code as _code
from .markdown import md as _md
from .vendors import handoff_lines


def render_handoff(ck: CompiledKey, compiled: Compiled) -> str:
    k = ck.key
    logging = next((lg for lg in compiled.resolved.logging if lg.app == k.vendor.name), None)
    who, where = _md(k.vendor.display_name), _where(ck, compiled)
    out = [
        f"# Vendor handoff: `{k.name}` ({who})",
        "",
        f"After `terraform apply`{where}, send {who} these values. The ARNs exist only once "
        f"applied; print them {'there' if where else 'at the root module'} with the commands "
        "shown:",
        "",
        f"- key ARN: `terraform output -json handoff | jq -r '.[\"{k.name}\"].key_arn'`",
        f"- key alias: `{k.alias}`",
        f"- AWS account: `{k.org.account_id}`, region `{k.org.region}`",
    ]
    out += [
        f"- replica key ARN in `{r}`: `terraform output -json handoff | jq -r "
        f'\'.["{k.name}"].replica_key_arns["{r}"]\'` (alias `{k.alias}` there too)'
        for r in k.options.replica_regions
    ]
    if logging is not None:
        out += [
            "- logging role ARN: "
            f"`terraform output -json handoff | jq -r '.[\"{k.name}\"].logging_role_arn'`",
            f"- log group: `/byok/{k.org.organization}/{k.vendor.name}`",
            "",
            f"Do not send the ExternalId: {who} presents it when it assumes the logging role, and "
            f"the role's trust policy requires `sts:ExternalId` = {_code(logging.external_id)} "
            f"(org.yaml `parameters`). Check it equals the ExternalId {who} shows you.",
        ]
    out += replacement_handoff(ck)
    rotation = (
        "the vendor keeps the key ARN across automatic rotation; replacing the key "
        "means registering the new key ARN with the vendor"
        if k.vendor.key.replacement_needs_new_arn
        else "the vendor keeps working across automatic rotation and key replacement"
    )
    out += ["", f"Rotation: {rotation}.", f"Vendor documentation: {k.vendor.homepage}"]
    out += [*handoff_lines(k.vendor), ""]
    return "\n".join(out)


def _where(ck: CompiledKey, compiled: Compiled) -> str:
    """Where the key is applied: a stack's directory (several accounts), else nothing."""
    stack = stack_of(compiled.resolved.org, ck.key.environment)
    if stack is None:
        return ""
    return f" in `generated/stacks/{stack_id(stack.account_id, stack.region)}`"


def replacement_handoff(ck: CompiledKey) -> list[str]:
    """What a key replacement in progress means for the vendor (README, "Replacing a key")."""
    k = ck.key
    out = []
    if k.replaces is not None:
        out.append(
            f"- replaces `{k.replaces}`: register this new key ARN with the vendor; "
            f"`{k.replaces}` keeps working until its grace period"
        )
    if k.replaced_by is not None and k.retiring is not None:
        until = k.retiring.decrypt_only_until
        state = (
            f"decrypt-only until {until.isoformat()}, then decommissioned"
            if until is not None
            else "full access until the grace period is declared"
        )
        out.append(
            f"- being replaced by `{k.replaced_by}` ({_md(k.retiring.ticket)}): {state}; "
            "the vendor re-encrypts its data under the new key"
        )
    return out
