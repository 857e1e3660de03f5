"""python-hcl2 round trip: the generated HCL says what the compiler's model says.

Every generated ``.tf`` file is parsed with python-hcl2 (an HCL parser independent of the Jinja
templates that wrote it) and compared with ``byok.pipeline.build_tree(REPO)``: the ``locals``
values, the module calls (sources, ``for_each``) and every module input, *evaluated* per
instance with a tiny evaluator for the few expression shapes the templates use, against the
resolved and compiled model. An expression shape the evaluator does not know fails the test
(teach it here), so a template change cannot slip past unchecked.

Both the committed ``generated/`` and a fresh in-memory render are checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import hcl2
import pytest

from byok.compile import CompiledKey
from byok.pipeline import Result, build_tree
from byok.policy import keyspecs

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
GENERATED = REPO / "generated"

# Plain values: unquoted labels and strings, no __is_block__ / __comments__ markers.
_OPTS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False, preserve_heredocs=False
)

# docs/contracts.md: module name -> (source, for_each over)
MODULE_CALLS = {
    "key": ("../modules/kms-key", "${local.keys}"),
    "cloudtrail": ("../modules/cloudtrail", None),
    "vendor_log_role": ("../modules/vendor-log-role", "${local.logging}"),
    "key_alarms": ("../modules/key-alarms", None),
}
GENERATED_OUTPUTS = {"keys", "logging", "trail", "alarm_topic_arn", "handoff"}

# Strings an emulator or a developer machine would add to a provider configuration.
EMULATOR_MARKERS = (
    "endpoint",
    "127.0.0.1",
    "localhost",
    "skip_credentials_validation",
    "skip_requesting_account_id",
    "access_key",
    "secret_key",
    "s3_use_path_style",
)


def parse(text: str | bytes) -> dict[str, Any]:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    doc: dict[str, Any] = hcl2.loads(text, serialization_options=_OPTS)
    return doc


def blocks(doc: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """``{label: body}`` of the blocks ``kind`` (module, output, variable) of a parsed file."""
    out: dict[str, Any] = {}
    for entry in doc.get(kind, []):
        for label, body in entry.items():
            assert label not in out, f"{kind} {label} declared twice"
            out[label] = body
    return out


def merged_locals(doc: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for block in doc.get("locals", []):
        for name, value in block.items():
            assert name not in out, f"local.{name} declared twice"
            out[name] = value
    return out


_INTERPOLATION = re.compile(r"(?<!\$)\$\{|(?<!%)%\{")


def literal(value: Any, where: str) -> Any:
    """A parsed literal as its value: no interpolation anywhere, HCL ``$${``/``%%{`` unescaped."""
    if isinstance(value, str):
        assert not _INTERPOLATION.search(value), f"{where}: not a literal: {value!r}"
        return value.replace("$${", "${").replace("%%{", "%{")
    if isinstance(value, Mapping):
        return {literal(k, where): literal(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [literal(v, f"{where}[{i}]") for i, v in enumerate(value)]
    assert value is None or isinstance(value, bool | int | float), f"{where}: {value!r}"
    return value


class Ref(str):
    """An unevaluated reference to another module's output (``module.X.Y``)."""


def evaluate(
    expr: Any,
    *,
    local: Mapping[str, Any],
    files: Mapping[str, bytes],
    each_key: str | None = None,
    each_value: Mapping[str, Any] | None = None,
) -> Any:
    """The value of a module input for one instance; fails on an expression it does not know."""
    if not (isinstance(expr, str) and expr.startswith("${") and expr.endswith("}")):
        return literal(expr, "module input")
    body = expr[2:-1].strip()
    each = each_value or {}
    if m := re.fullmatch(r"each\.value\.(\w+)", body):
        return each[m[1]]
    if m := re.fullmatch(r"!each\.value\.(\w+)", body):
        assert isinstance(each[m[1]], bool)
        return not each[m[1]]
    if m := re.fullmatch(r"local\.(\w+)", body):
        return local[m[1]]
    if m := re.fullmatch(r"local\.(\w+)\.(\w+)", body):  # features.tf: local.budget.name
        obj = local[m[1]]
        return obj[m[2]] if m[2] in obj else obj[f'"{m[2]}"']
    if m := re.fullmatch(r"merge\(local\.(\w+), each\.value\.(\w+)\)", body):
        return {**local[m[1]], **each[m[2]]}
    if m := re.fullmatch(r"module\.(\w+)\.(\w+)", body):
        return Ref(body)
    if body == "sort([for v in values(local.logging) : v.log_group_name])":
        return sorted(v["log_group_name"] for v in local["logging"].values())
    if body == (
        'merge({for k, m in module.key : k => m.key_id}, {":trail" = module.cloudtrail.kms_key_id, '
        '":alarms" = module.cloudtrail.alarm_kms_key_id})'
    ):
        return Ref(body)  # the keys' ids: known after apply
    policy = 'jsonencode(jsondecode(file("${path.module}/policies/${each.key}.json")))'
    if body == policy:
        assert each_key is not None
        return json.loads(files[f"policies/{each_key}.json"])
    pytest.fail(f"the round-trip evaluator does not know `{expr}`: teach it", pytrace=False)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def result() -> Result:
    return build_tree(REPO, TODAY)


@pytest.fixture(scope="module", params=["committed", "rendered"])
def tree(request: pytest.FixtureRequest, result: Result) -> dict[str, bytes]:
    """Relative path -> bytes of generated/: the committed tree or a fresh render."""
    if request.param == "rendered":
        return dict(result.files)
    if not (GENERATED / "main.tf").is_file():
        pytest.skip("generated/ holds no Terraform yet (make generate)")
    return {
        p.relative_to(GENERATED).as_posix(): p.read_bytes()
        for p in sorted(GENERATED.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def main(tree: dict[str, bytes]) -> dict[str, Any]:
    return parse(tree["main.tf"])


@pytest.fixture(scope="module")
def local(main: dict[str, Any]) -> dict[str, Any]:
    return literal(merged_locals(main), "local")  # type: ignore[no-any-return]


def _tags(result: Result) -> dict[str, str]:
    return {**result.compiled.resolved.org.tags, "ManagedBy": "byok-compiler"}


def _module_file(source: str, name: str) -> dict[str, Any]:
    path = (GENERATED / source).resolve() / name
    return parse(path.read_text())


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def test_every_generated_tf_file_parses(tree: dict[str, bytes]) -> None:
    tf_files = sorted(p for p in tree if p.endswith(".tf"))
    assert {"main.tf", "outputs.tf", "versions.tf"} <= set(tf_files), tf_files
    for name in tf_files:
        assert parse(tree[name]), f"{name} parsed to nothing"


def test_no_provider_backend_or_emulator_settings(tree: dict[str, bytes]) -> None:
    """Generated code is provider-agnostic: the root configures the provider, tests the emulator.
    The exceptions, which Terraform forces: `replicas.tf` has one provider alias per replica
    Region (a provider cannot be chosen per `for_each` instance), and each stack is a root of its
    own (`stacks/<id>/providers.tf`); neither sets credentials or endpoints (markers below)."""
    for name in (p for p in tree if p.endswith(".tf")):
        doc = parse(tree[name])
        if name.endswith("replicas.tf"):
            for block in doc.get("provider", []):
                assert set(block["aws"]) <= {
                    "alias",
                    "region",
                    "allowed_account_ids",
                    "assume_role",
                }
        elif not (name.startswith("stacks/") and name.endswith("/providers.tf")):
            assert "provider" not in doc, f"{name} configures a provider"
        for terraform in doc.get("terraform", []):
            assert "backend" not in terraform and "cloud" not in terraform, name
        text = tree[name].decode()
        for marker in EMULATOR_MARKERS:
            assert marker not in text, f"{name} mentions {marker!r}"
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        text = (REPO / name).read_text()
        for marker in ("endpoint", "127.0.0.1", "localhost", "skip_credentials_validation"):
            assert marker not in text, f"root {name} mentions {marker!r}"


def test_versions_match_the_root(tree: dict[str, bytes]) -> None:
    generated = parse(tree["versions.tf"])["terraform"]
    root = parse((REPO / "versions.tf").read_text())["terraform"]
    assert generated == root
    (providers,) = generated[0]["required_providers"]
    assert providers["aws"]["source"] == "hashicorp/aws"


# --------------------------------------------------------------------------------------------
# locals == model
# --------------------------------------------------------------------------------------------


def test_locals_organization(local: dict[str, Any], result: Result) -> None:
    org = result.compiled.resolved.org
    assert set(local) == {
        "account_id",
        "region",
        "break_glass",
        "trail_name",
        "log_retention_days",
        "alarm_emails",
        "cis_controls",
        "alarm_topic_arn",
        "insight_types",
        "existing_trail",
        "object_lock",
        "access_log_bucket",
        "tags",
        "keys",
        "logging",
    }
    assert local["account_id"] == org.account_id
    assert local["region"] == org.region
    assert local["break_glass"] == org.break_glass
    assert local["trail_name"] == f"{org.organization}-byok"
    assert local["log_retention_days"] == org.trail.log_retention_days
    assert local["alarm_emails"] == sorted(org.alarms.addresses)
    # org.yaml `alarms:` and `trail:` (issue 24): the shipped example takes every default
    assert (local["cis_controls"], local["alarm_topic_arn"]) == (org.alarms.cis, None)
    assert local["insight_types"] == ["ApiCallRateInsight", "ApiErrorRateInsight"]
    assert [local[k] for k in ("existing_trail", "object_lock", "access_log_bucket")] == [None] * 3
    assert local["tags"] == _tags(result)


def _expected_key(ck: CompiledKey) -> dict[str, Any]:
    k = ck.key
    return {
        "alias_name": k.alias,
        "vendor": k.vendor.name,
        "environment": k.environment,
        "rotation_period_in_days": k.options.rotation_period_days,
        "deletion_window_in_days": k.options.deletion_window_days,
        "multi_region": k.options.multi_region,
        "imported_key_material": k.options.imported_key_material,
        "enable_key_rotation": k.options.automatic_rotation,
        "is_enabled": k.enabled,
        "replacement_needs_new_arn": k.vendor.key.replacement_needs_new_arn,
        "key_spec": k.vendor.key.spec,
        "key_usage": k.vendor.key.usage or keyspecs.default_usage(k.vendor.key.spec),
        "tags": {"byok:vendor": k.vendor.name, "byok:environment": k.environment},
    }


def test_locals_keys(local: dict[str, Any], result: Result) -> None:
    """One entry per (app, environment) of org.yaml, as the model resolved it."""
    org = result.compiled.resolved.org
    names = {f"{app.vendor}-{env}" for app in org.apps for env in app.environments}
    assert set(local["keys"]) == names == {ck.key.name for ck in result.compiled.keys}
    for ck in result.compiled.keys:
        k = ck.key
        assert k.alias == f"alias/{org.organization}-{k.vendor.name}-{k.environment}"
        got = dict(local["keys"][k.name])
        description = got.pop("description")
        assert got == _expected_key(ck), k.name
        for part in (k.vendor.display_name, k.vendor.product, k.environment):
            assert part in description, f"{k.name}: {part!r} not in {description!r}"


def test_locals_keys_follow_org_defaults_and_overrides(
    local: dict[str, Any], result: Result
) -> None:
    """Independent of resolve(): org.yaml defaults, overridden by each app's `key:` options."""
    org = result.compiled.resolved.org
    vendors = {v.name: v for v in result.compiled.resolved.vendors}
    for app in org.apps:
        for env in app.environments:
            entry = local["keys"][f"{app.vendor}-{env}"]
            for option, field in (
                ("rotation_period_days", "rotation_period_in_days"),
                ("deletion_window_days", "deletion_window_in_days"),
                ("multi_region", "multi_region"),
                ("imported_key_material", "imported_key_material"),
            ):
                override = getattr(app.key, option)
                want = getattr(org.defaults, option) if override is None else override
                if option == "multi_region" and vendors[app.vendor].key.multi_region == "required":
                    want = True  # the vendor only works with a multi-Region key
                assert entry[field] == want, f"{app.vendor}-{env}.{field}"


def test_locals_logging(local: dict[str, Any], result: Result) -> None:
    resolved = result.compiled.resolved
    org = resolved.org.organization
    vendors = {v.name: v for v in resolved.vendors}
    with_logging = {app.vendor for app in resolved.org.apps if vendors[app.vendor].logging}
    assert set(local["logging"]) == with_logging == {lg.app for lg in resolved.logging}
    for lg in resolved.logging:
        app = next(a for a in resolved.org.apps if a.vendor == lg.app)
        spec = vendors[lg.app].logging
        assert spec is not None
        assert local["logging"][lg.app] == {
            "role_name": f"{org}-{lg.app}-byok-logs",
            "trusted_principal_arns": list(lg.principals),
            "external_id": lg.external_id,
            "actions": list(lg.actions),
            "log_group_name": f"/byok/{org}/{lg.app}",
        }
        # the ExternalId is the org's value of the vendor's declared parameter
        assert lg.external_id == app.parameters[spec.external_id_parameter]
        assert set(lg.actions) == set(spec.actions)


# --------------------------------------------------------------------------------------------
# Module calls == model
# --------------------------------------------------------------------------------------------


def test_module_calls(main: dict[str, Any], tree: dict[str, bytes]) -> None:
    modules = blocks(main, "module")
    assert set(modules) == set(MODULE_CALLS)
    for name, (source, for_each) in MODULE_CALLS.items():
        body = modules[name]
        assert body["source"] == source, name
        assert body.get("for_each") == for_each, name
        assert ((GENERATED / source) / "main.tf").resolve().is_file(), source
        # every input is a variable of the module, every required variable is passed
        variables = blocks(_module_file(source, "variables.tf"), "variable")
        inputs = set(body) - {"source", "for_each", "depends_on", "providers", "count"}
        assert inputs <= set(variables), f"{name}: unknown inputs {inputs - set(variables)}"
        required = {v for v, spec in variables.items() if "default" not in spec}
        assert required <= inputs, f"{name}: required inputs not passed {required - inputs}"
        for expr in body.values():
            for ref in re.findall(r"module\.(\w+)\.(\w+)", str(expr)):
                other = MODULE_CALLS[ref[0]][0]
                outputs = blocks(_module_file(other, "outputs.tf"), "output")
                assert ref[1] in outputs, f"{name}: module.{ref[0]} has no output {ref[1]}"


def _instances(
    main: dict[str, Any], local: dict[str, Any], tree: dict[str, bytes], name: str
) -> dict[str | None, dict[str, Any]]:
    """Evaluated inputs of each instance of ``module.<name>`` (key None without for_each)."""
    body = blocks(main, "module")[name]
    inputs = {k: v for k, v in body.items() if k not in ("source", "for_each")}
    if "for_each" not in body:
        return {None: {k: evaluate(v, local=local, files=tree) for k, v in inputs.items()}}
    collection = evaluate(body["for_each"], local=local, files=tree)
    return {
        key: {
            k: evaluate(v, local=local, files=tree, each_key=key, each_value=value)
            for k, v in inputs.items()
        }
        for key, value in collection.items()
    }


def test_key_module_inputs(
    main: dict[str, Any], local: dict[str, Any], tree: dict[str, bytes], result: Result
) -> None:
    """module.key[<key>]: alias, policy (the compiled one), rotation, window, region, tags."""
    instances = _instances(main, local, tree, "key")
    assert set(instances) == {ck.key.name for ck in result.compiled.keys}
    for ck in result.compiled.keys:
        k = ck.key
        got = instances[k.name]
        assert got.pop("description") == local["keys"][k.name]["description"]
        assert got.pop("enable_key_rotation") is k.options.automatic_rotation, k.name
        assert got.pop("is_enabled") is k.enabled, k.name  # org.yaml key_states
        assert got == {
            "alias_name": k.alias,
            "policy": ck.policy.to_json(),
            "rotation_period_in_days": k.options.rotation_period_days,
            "deletion_window_in_days": k.options.deletion_window_days,
            "multi_region": k.options.multi_region,
            "imported_key_material": k.options.imported_key_material,
            "key_spec": k.vendor.key.spec,
            "key_usage": k.vendor.key.usage or keyspecs.default_usage(k.vendor.key.spec),
            "tags": {
                **_tags(result),
                "byok:vendor": k.vendor.name,
                "byok:environment": k.environment,
            },
        }, k.name


def test_policy_files_are_the_compiled_policies(tree: dict[str, bytes], result: Result) -> None:
    policies = {
        PurePosixPath(p).stem for p in tree if p.startswith("policies/") and p.endswith(".json")
    }
    assert policies == {ck.key.name for ck in result.compiled.keys}
    for ck in result.compiled.keys:
        stored = json.loads(tree[f"policies/{ck.key.name}.json"])
        assert stored == ck.policy.to_json(), f"policies/{ck.key.name}.json"


def test_cloudtrail_and_alarm_inputs(
    main: dict[str, Any], local: dict[str, Any], tree: dict[str, bytes], result: Result
) -> None:
    org = result.compiled.resolved.org
    tags = _tags(result)
    trail_name = f"{org.organization}-byok"
    assert _instances(main, local, tree, "cloudtrail") == {
        None: {
            "name": trail_name,
            "log_retention_days": org.trail.log_retention_days,
            "break_glass_role_arn": org.break_glass,
            "insight_types": ["ApiCallRateInsight", "ApiErrorRateInsight"],
            "existing_trail": None,
            "object_lock": None,
            "access_log_bucket_name": None,
            # the trail key serves the vendors' log groups only (issue 24)
            "kms_log_group_names": sorted(
                f"/byok/{org.organization}/{lg.app}" for lg in result.compiled.resolved.logging
            ),
            "tags": tags,
        }
    }
    alarms = _instances(main, local, tree, "key_alarms")
    key_ids = alarms[None].pop("key_ids")
    assert key_ids.startswith("merge({for k, m in module.key : k => m.key_id}")
    assert alarms == {
        None: {
            "name_prefix": trail_name,
            "cloudtrail_log_group_name": Ref("module.cloudtrail.cloudwatch_log_group_name"),
            "cis_controls": "default",
            "alarm_emails": sorted(org.alarms.addresses),
            "sns_topic_arn": None,
            # the alarm path's own key: DisableKey on the trail key cannot silence its alarm
            "kms_key_arn": Ref("module.cloudtrail.alarm_kms_key_arn"),
            "tags": tags,
        }
    }


def test_vendor_log_role_inputs(
    main: dict[str, Any], local: dict[str, Any], tree: dict[str, bytes], result: Result
) -> None:
    resolved = result.compiled.resolved
    org = resolved.org
    instances = _instances(main, local, tree, "vendor_log_role")
    assert set(instances) == {lg.app for lg in resolved.logging}
    for lg in resolved.logging:
        assert instances[lg.app] == {
            "name": f"{org.organization}-{lg.app}-byok-logs",
            "trusted_principal_arns": list(lg.principals),
            "external_id": lg.external_id,
            "actions": list(lg.actions),
            "log_group_name": f"/byok/{org.organization}/{lg.app}",
            "log_retention_days": org.trail.log_retention_days,
            "kms_key_arn": Ref("module.cloudtrail.kms_key_arn"),
            "tags": _tags(result),
        }, lg.app


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


def test_outputs(tree: dict[str, bytes], main: dict[str, Any]) -> None:
    """The generated outputs are the contract's; the root re-exports each of them."""
    outputs = blocks(parse(tree["outputs.tf"]), "output")
    assert set(outputs) == GENERATED_OUTPUTS
    modules = blocks(main, "module")
    for name, body in outputs.items():
        assert body.get("description"), f"output {name} has no description"
        for mod, out in re.findall(r"module\.(\w+)(?:\[[^\]]*\])?\.(\w+)", str(body["value"])):
            assert mod in modules, f"output {name}: no module {mod}"
            declared = blocks(_module_file(modules[mod]["source"], "outputs.tf"), "output")
            assert out in declared, f"output {name}: module.{mod} has no output {out}"
    root = blocks(parse((REPO / "outputs.tf").read_text()), "output")
    assert {n: b["value"] for n, b in root.items()} == {
        n: f"${{module.byok.{n}}}" for n in GENERATED_OUTPUTS
    }
