"""Check of the rendered replicas (E530): every replica of every key, in every Region the app
lists, is rendered with exactly the primary's policy expression, which reads the same
`policies/<key>.json` file; so one apply sets the same key policy (revocations, suspension,
guards) on the primary and every replica. KMS never copies a key policy to a replica:
https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-replicate.html

It reads the bytes render produced (it imports nothing from render) and fails closed: a block
it cannot find, a Region or key set that differs, or another policy expression is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..compile import Compiled, CompiledKey
from ..diagnostics import Diagnostic, Loc
from ..resolve.stacks import stack_id, stack_of

_RESOURCE = re.compile(
    r'^resource "aws_kms_replica_key" "([a-z0-9_]+)" \{\n'
    r"  provider = aws\.([a-z0-9_]+)\n"
    r"  for_each = toset\(\[([^\]]*)\]\)\n(.*?)^\}\n",
    re.M | re.S,
)
_PROVIDER = re.compile(
    r'^provider "aws" \{\n  alias  +\= "([a-z0-9_]+)"\n  region  +\= "([a-z0-9-]+)"\n', re.M
)
_POLICY = re.compile(r"^  policy +\= (.+)$", re.M)
_PRIMARY = re.compile(r'^module "key" \{\n(.*?)^\}\n', re.M | re.S)


def _roots(compiled: Compiled) -> dict[str, list[CompiledKey]]:
    """File prefix of each Terraform root ("" or `stacks/<id>/`) -> its keys."""
    org = compiled.resolved.org
    out: dict[str, list[CompiledKey]] = {}
    for ck in compiled.keys:
        stack = stack_of(org, ck.key.environment)
        prefix = "" if stack is None else f"stacks/{stack_id(stack.account_id, stack.region)}/"
        out.setdefault(prefix, []).append(ck)
    return out


def _expected(keys: list[CompiledKey]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ck in keys:
        for region in ck.key.options.replica_regions:
            out.setdefault(region, set()).add(ck.key.name)
    return out


def _loc(keys: list[CompiledKey], region: str) -> Loc | None:
    """The org.yaml `replica_regions` that lists `region` (else org.yaml's first line)."""
    for ck in keys:
        if region in ck.key.options.replica_regions:
            return ck.key.app.key.where.at("replica_regions")
    return keys[0].key.org.where.loc


def _rendered(text: str) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Region -> keys with a replica there, and Region -> that replica's policy expression."""
    regions = dict(_PROVIDER.findall(text))
    keys: dict[str, set[str]] = {}
    policies: dict[str, str] = {}
    for name, alias, listed, body in _RESOURCE.findall(text):
        region = regions.get(alias, f"<no provider for {alias}>")
        if name != alias:
            region = f"<resource {name} uses provider {alias}>"
        keys[region] = {k.strip().strip('"') for k in listed.split(",") if k.strip()}
        found = _POLICY.findall(body)
        policies[region] = found[0] if len(found) == 1 else f"<{len(found)} policy lines>"
    return keys, policies


def check_replica_policies(compiled: Compiled, files: Mapping[str, bytes]) -> list[Diagnostic]:
    """Every Terraform root (generated/ and each stack) checked on its own files."""
    out: list[Diagnostic] = []
    for prefix, keys in sorted(_roots(compiled).items()):
        out += _check_root(keys, files, prefix)
    return out


def _check_root(
    keys: list[CompiledKey], files: Mapping[str, bytes], prefix: str
) -> list[Diagnostic]:
    expected = _expected(keys)
    if not expected:
        return []
    main = files.get(prefix + "main.tf", b"").decode()
    primary = _PRIMARY.search(main)
    policy = _POLICY.findall(primary.group(1)) if primary else []
    if len(policy) != 1:
        loc = keys[0].key.org.where.loc
        return [Diagnostic.make("E530", "primary key policy expression not found", loc)]
    rendered, policies = _rendered(files.get(prefix + "replicas.tf", b"").decode())
    out: list[Diagnostic] = []
    for region in sorted(set(expected) | set(rendered)):
        loc = _loc(keys, region)
        if rendered.get(region) != expected.get(region):
            want, got = sorted(expected.get(region, ())), sorted(rendered.get(region, ()))
            out.append(
                Diagnostic.make(
                    "E530", f"replicas in `{region}`: rendered {got}, org.yaml lists {want}", loc
                )
            )
        elif policies.get(region) != policy[0]:
            out.append(
                Diagnostic.make(
                    "E530",
                    f"replicas in `{region}` are rendered with policy `{policies.get(region)}`, "
                    f"not the primary's `{policy[0]}`",
                    loc,
                )
            )
    return out
