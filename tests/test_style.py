"""The house limits on compiler/ (docs: "How we write code"): functions of at most 40 lines,
modules of at most 400, stage packages that depend one way only, a policy engine that knows
nothing of the pipeline or the command line, and no import cycle anywhere in `compiler/`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "compiler"
MODULES = sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)

# The packages of compiler/ from the ground up (design.md, "Pipeline"; docs/contracts.md, "Code
# layout"). A package imports only packages of lower levels, never one of its own level: the
# three readers of the compiled policies (verify, review, render) are independent of each
# other, and `write` sits above them because it takes what render returns (render never
# touches the disk). `incremental` reuses an earlier build's parts per app (issue 29) for the
# pipeline. `__init__` is the library's facade (`build_tree`, `write_tree`),
# `__main__` the `python -m byok` entry.
LEVELS: tuple[frozenset[str], ...] = tuple(
    frozenset(level)
    for level in (
        {"policy"},
        {"load"},
        {"model"},
        {"resolve"},
        {"compile"},
        {"verify", "review", "render"},
        {"write", "report"},
        {"incremental"},
        {"pipeline"},
        {"__init__"},
        {"live"},
        {"cli"},
        {"__main__"},
    )
)
# The top-level modules beside the facade: every package but `policy` may import them, and
# they import no package, only each other.
SHARED = frozenset({"codes", "codes_resolve", "deployment", "diagnostics", "paths", "shipped"})
# The pipeline stages, each a package whose `__init__` says in one line what it takes and
# returns, and re-exports what its callers need.
STAGES = ("load", "model", "resolve", "compile", "verify", "render", "write", "review")
# What the policy engine may import from outside itself: nothing of compiler/, and no YAML.
ENGINE_FORBIDDEN_LIBS = {"yaml", "jinja2", "argparse"}


def _name(path: Path) -> str:
    """`compiler/policy/iam.py` -> `compiler.policy.iam`; a package is its `__init__`."""
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


NAMES = {_name(p): p for p in MODULES}


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The compiler modules one `from ... import ...` refers to (absolute names)."""
    pkg = module if NAMES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
    if node.level:
        base = pkg.split(".")
        base = base[: len(base) - node.level + 1]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    found = [f"{prefix}.{a.name}" for a in node.names if f"{prefix}.{a.name}" in NAMES]
    return found or ([prefix] if prefix in NAMES else [])


def imports(module: str) -> set[str]:
    """Every compiler module `module` imports, at any depth of its code (lazy ones too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(NAMES[module].read_text())):
        if isinstance(node, ast.ImportFrom):
            found.update(_resolve(module, node))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in NAMES)
    return found - {module}


def _libraries(path: Path) -> set[str]:
    libs: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            libs.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            libs.update(a.name.split(".")[0] for a in node.names)
    return libs


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _name(p))
def test_module_and_function_sizes(path: Path) -> None:
    text = path.read_text()
    assert text.count("\n") <= 400, f"{path.relative_to(SRC)} has {text.count(chr(10))} lines"
    long = [
        (n.name, n.end_lineno - n.lineno + 1)
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        and (n.end_lineno or n.lineno) - n.lineno + 1 > 40
    ]
    assert long == [], f"{path.relative_to(SRC)}: functions over 40 lines: {long}"


def unit(module: str) -> str:
    """The package or top-level module of compiler/ that `module` belongs to:
    `compiler.resolve.grants` -> `resolve`, `compiler.pipeline` -> `pipeline`, `compiler` ->
    `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def level(name: str) -> int:
    return next(i for i, names in enumerate(LEVELS) if name in names)


def upward(importer: str, imported: str) -> bool:
    """Whether a module of unit `importer` may not import one of unit `imported`."""
    if importer == imported:
        return False
    if importer in SHARED:
        return imported not in SHARED
    if imported in SHARED:
        return importer == "policy"
    return level(imported) >= level(importer)


UNITS = sorted({unit(n) for n in NAMES})


def test_every_package_and_top_level_module_has_a_place() -> None:
    placed = SHARED.union(*LEVELS)
    assert [u for u in UNITS if u not in placed] == []


@pytest.mark.parametrize("name", UNITS)
def test_packages_import_only_lower_levels(name: str) -> None:
    bad = {(m, i) for m in NAMES if unit(m) == name for i in imports(m) if upward(name, unit(i))}
    assert bad == set(), f"{name} imports its own level or above: {sorted(bad)}"


def test_the_level_rule_refuses_upward_and_sibling_imports() -> None:
    assert upward("load", "model") and upward("render", "verify") and upward("pipeline", "live")
    assert upward("policy", "diagnostics") and upward("paths", "load")
    assert not upward("model", "load") and not upward("cli", "live")
    assert not upward("resolve", "diagnostics") and not upward("diagnostics", "codes")


def test_only_the_cli_imports_the_live_layer() -> None:
    users = {
        m
        for m in NAMES
        if unit(m) not in ("live", "cli") and any(unit(i) == "live" for i in imports(m))
    }
    assert users == set()


def test_the_top_level_holds_only_the_facades_and_the_shared_leaves() -> None:
    """The facades, the shared leaves, and the pipeline's per-app reuse (`incremental`)."""
    top = {p.stem for p in SRC.glob("*.py")}
    assert top == {"__init__", "__main__", "pipeline"} | SHARED
    assert (SRC / "incremental" / "__init__.py").is_file()


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_is_a_package_with_a_one_line_docstring(stage: str) -> None:
    doc = ast.get_docstring(ast.parse((SRC / stage / "__init__.py").read_text())) or ""
    assert doc and "\n" not in doc, f"compiler/{stage}/__init__.py: {doc!r}"


ENGINE = sorted(n for n in NAMES if n == "compiler.policy" or n.startswith("compiler.policy."))


@pytest.mark.parametrize("module", ENGINE)
def test_policy_engine_imports_nothing_outside_itself(module: str) -> None:
    outside = {m for m in imports(module) if not m.startswith("compiler.policy")}
    assert outside == set(), f"{module} imports {outside}"
    assert _libraries(NAMES[module]) & ENGINE_FORBIDDEN_LIBS == set()


def test_the_engine_package_exists_and_says_what_it_does_not_model() -> None:
    doc = ast.get_docstring(ast.parse((SRC / "policy" / "__init__.py").read_text())) or ""
    assert "does not model" in doc
    assert {"compiler.policy.iam", "compiler.policy.evaluate", "compiler.policy.compare"} <= set(
        ENGINE
    )


def test_only_the_cli_imports_the_cli() -> None:
    users = {m for m in NAMES if not m.startswith("compiler.cli") and m != "compiler.__main__"}
    leaks = {m: imports(m) for m in users if any(i.startswith("compiler.cli") for i in imports(m))}
    assert leaks == {}


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph[node]):
            if nxt == start:
                return [*path, nxt]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_no_import_cycle_in_compiler() -> None:
    # A package's `__init__` is the package's facade: importing `compiler.x.y` runs
    # `compiler.x` first, but that is not an edge of the module graph.
    graph = {m: imports(m) for m in NAMES}
    cycles = [c for m in sorted(graph) if (c := _cycle_from(m, graph))]
    assert cycles == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle_from("a", {"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle_from("a", {"a": {"b"}, "b": set()}) is None
