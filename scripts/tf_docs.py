"""Rewrite the terraform-docs tables in modules/*/README.md (no terraform-docs binary needed).

Usage: python scripts/tf_docs.py [--check] [MODULE_DIR ...]   (default: every modules/*/)
Renders Requirements, Providers, Resources, Inputs and Outputs between
``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` from the module's *.tf files
(python-hcl2). ``--check`` exits 1 when a README is stale instead of writing it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parent.parent
_OPTS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False, preserve_heredocs=False
)
_MARKERS = re.compile(r"<!-- BEGIN_TF_DOCS -->.*<!-- END_TF_DOCS -->", re.S)
_REGISTRY = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs"


def _load(path: Path) -> dict[str, Any]:
    with path.open() as f:
        data: dict[str, Any] = hcl2.load(f, serialization_options=_OPTS)
    return data


def _esc(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _expr(value: str) -> str:
    return value[2:-1] if value.startswith("${") and value.endswith("}") else value


def _default(body: dict[str, Any]) -> str:
    if "default" not in body:
        return "n/a"
    v = body["default"]
    if v is None:
        return "`null`"
    if isinstance(v, bool):
        return f"`{str(v).lower()}`"
    if isinstance(v, int | float):
        return f"`{v}`"
    if isinstance(v, str):
        return f"`{_expr(v)}`" if v.startswith("${") else f'`"{v}"`'
    if isinstance(v, list):
        items = "".join(f'  "{x}",<br/>' for x in v)
        return f"<pre>[<br/>{items}]</pre>" if v else "`[]`"
    if isinstance(v, dict):
        items = "".join(f'  "{k}": "{x}"<br/>' for k, x in v.items())
        return f"<pre>{{<br/>{items}}}</pre>" if v else "`{}`"
    return f"`{v}`"


def _blocks(mod: Path, kind: str) -> list[tuple[str, str]]:
    found = []
    for tf in sorted(mod.glob("*.tf")):
        for block in _load(tf).get(kind, []):
            for typ, instances in block.items():
                found.extend((typ, name) for name in instances)
    return sorted(found)


def _named(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [(n, b) for block in _load(path).get(kind, []) for n, b in block.items()]


def render(mod: Path) -> str:
    """The markdown that goes between the markers for module directory ``mod``."""
    versions = "| >= 5.70, < 7.0 |"
    out = [
        "## Requirements", "", "| Name | Version |", "|------|---------|",
        '| <a name="requirement_terraform"></a> [terraform](#requirement\\_terraform) | >= 1.5.7 |',
        f'| <a name="requirement_aws"></a> [aws](#requirement\\_aws) {versions}', "",
        "## Providers", "", "| Name | Version |", "|------|---------|",
        f'| <a name="provider_aws"></a> [aws](#provider\\_aws) {versions}', "",
        "## Modules", "", "No modules.", "",
        "## Resources", "", "| Name | Type |", "|------|------|",
    ]  # fmt: skip
    for kind, label, path in (
        ("resource", "resource", "resources"),
        ("data", "data source", "data-sources"),
    ):
        for typ, name in _blocks(mod, kind):
            out.append(f"| [{typ}.{name}]({_REGISTRY}/{path}/{typ[4:]}) | {label} |")
    out += ["", "## Inputs", "", "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|"]  # fmt: skip
    variables = _named(mod / "variables.tf", "variable")
    variables.sort(key=lambda nb: ("default" in nb[1], nb[0]))
    for n, b in variables:
        required = "no" if "default" in b else "yes"
        out.append(
            f'| <a name="input_{n}"></a> [{n}](#input\\_{n}) | {_esc(b.get("description", ""))} '
            f"| `{_expr(str(b['type']))}` | {_default(b)} | {required} |"
        )
    out += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for n, b in sorted(_named(mod / "outputs.tf", "output")):
        out.append(
            f'| <a name="output_{n}"></a> [{n}](#output\\_{n}) | {_esc(b.get("description", ""))} |'
        )
    return "\n".join(out)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    mods = [Path(a) for a in argv if a != "--check"] or sorted(
        p.parent for p in ROOT.glob("modules/*/main.tf")
    )
    stale = []
    for mod in mods:
        readme = mod / "README.md"
        text = readme.read_text()
        block = f"<!-- BEGIN_TF_DOCS -->\n{render(mod)}\n<!-- END_TF_DOCS -->"
        match = _MARKERS.search(text)
        if match is None:
            print(f"{readme}: no <!-- BEGIN_TF_DOCS --> / <!-- END_TF_DOCS --> markers")
            return 1
        new = text[: match.start()] + block + text[match.end() :]
        if new != text:
            stale.append(str(readme))
            if not check:
                readme.write_text(new)
    if check and stale:
        print("stale terraform-docs tables (run: python scripts/tf_docs.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
