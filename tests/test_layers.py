"""The house is one-way: a module imports only modules of its own layer or the layers below it.

Every import counts, the ones inside functions too. Layers (see HACKING.md):

    L0  names, errors, settings, content, rules (step kinds, end states, money, error policy)
    L1  the read model and the pure renderers
    L2  cost, store, export, the in-process recorder, LLM client instrumentation
    L3  the pipeline (provider, processors, flush) and links (session_url, pages written on demand)
    L4  capture (the whole session lifecycle), trace sources, provider wire shapes
    L5  testing, playback, the viewer, the CI gate
    L6  the command line, zero-code entry points, the demo, and the package facade
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "agentops_otel"

LAYERS: dict[str, int] = {
    "agentops_otel.semconv": 0,
    "agentops_otel.errors": 0,
    "agentops_otel._config": 0,
    "agentops_otel._content": 0,
    "agentops_otel._redact": 0,
    "agentops_otel._version": 0,
    "agentops_otel._context": 0,
    "agentops_otel._kinds": 0,
    "agentops_otel._conventions": 0,
    "agentops_otel._states": 0,
    "agentops_otel._format": 0,
    "agentops_otel._internal": 0,
    "agentops_otel._tool_calls": 0,
    "agentops_otel._lazy": 0,
    "agentops_otel._stats": 0,
    "agentops_otel._atexit": 0,
    "agentops_otel.model": 1,
    "agentops_otel.replay": 1,
    "agentops_otel.cost": 2,
    "agentops_otel.store": 2,
    "agentops_otel.export": 2,
    "agentops_otel._recorder": 2,
    "agentops_otel._filequeue": 2,
    "agentops_otel._compat": 2,
    "agentops_otel._redact_spans": 2,
    "agentops_otel._exceptions": 2,
    "agentops_otel._liveness": 2,
    "agentops_otel.instrumentation": 2,
    "agentops_otel._pipeline": 3,
    "agentops_otel._finish": 3,
    "agentops_otel._links": 3,
    "agentops_otel.capture": 4,
    "agentops_otel.sources": 4,
    "agentops_otel._wire": 4,
    "agentops_otel.testing": 5,
    "agentops_otel.playback": 5,
    "agentops_otel.viewer": 5,
    "agentops_otel.gate": 5,
    "agentops_otel.cli": 6,
    "agentops_otel.zero_code": 6,
    "agentops_otel.demo": 6,
    "agentops_otel.sdk": 6,  # AgentOps' import paths (agentops.sdk.decorators) over capture
    "agentops_otel.enums": 6,
    "agentops_otel": 6,  # the facade: agentops_otel/__init__.py itself
}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    """The layer of the longest registered prefix; KeyError for a module nobody placed."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = LAYERS.get(".".join(parts[:end]))
        if found is not None:
            return found
    raise KeyError(module)


def imports_of(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, module) of every import of the package in one file, lazy imports included.

    `from .. import name` counts as an import of the module `name` when it is one, else of the package.
    """
    this = module_name(path, root)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == root.name]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != root.name:
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                relative = Path(*candidate.split(".")[1:])
                is_module = (root / relative).is_dir() or (root / relative).with_suffix(".py").is_file()
                found.append((node.lineno, candidate if is_module else target))
    return found


def upward_imports(root: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        this = module_name(path, root)
        for line, target in imports_of(path, root):
            if layer_of(target) > layer_of(this):
                rel = path.relative_to(root.parent)
                problems.append(f"{rel}:{line}: {this} (L{layer_of(this)}) imports {target} (L{layer_of(target)})")
    return problems


def test_every_module_has_a_layer():
    unplaced = []
    for path in PACKAGE.rglob("*.py"):
        try:
            layer_of(module_name(path))
        except KeyError:
            unplaced.append(module_name(path))
    assert not unplaced, f"place these modules in LAYERS (and HACKING.md): {unplaced}"


def test_no_import_runs_upward():
    problems = upward_imports()
    assert not problems, "imports that run upward:\n" + "\n".join(problems)


def unit_of(module: str) -> str:
    """The LAYERS entry a module belongs to (its package, or the module itself)."""
    parts = module.split(".")
    return next(".".join(parts[:end]) for end in range(len(parts), 0, -1) if ".".join(parts[:end]) in LAYERS)


def test_no_two_packages_import_each_other_even_within_a_layer():
    edges: dict[str, set[str]] = {unit: set() for unit in LAYERS}
    for path in PACKAGE.rglob("*.py"):
        this = unit_of(module_name(path))
        edges[this] |= {unit_of(target) for _, target in imports_of(path)} - {this}
    visiting, done, cycle = set(), set(), []

    def visit(unit: str, trail: list[str]) -> None:
        if unit in done or cycle:
            return
        if unit in visiting:
            cycle.extend([*trail[trail.index(unit) :], unit])
            return
        visiting.add(unit)
        for target in sorted(edges[unit]):
            visit(target, [*trail, unit])
        visiting.discard(unit)
        done.add(unit)

    for unit in sorted(edges):
        visit(unit, [])
    assert not cycle, " -> ".join(cycle)


def test_a_deliberate_upward_import_is_caught(tmp_path):
    """The guard itself: a model module that imports the pipeline inside a function is reported."""
    fake = tmp_path / "agentops_otel"
    (fake / "model").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "_pipeline.py").write_text("")
    (fake / "model" / "__init__.py").write_text("def url():\n    from .. import _pipeline\n    return _pipeline\n")
    assert upward_imports(fake) == [
        "agentops_otel/model/__init__.py:2: agentops_otel.model (L1) imports agentops_otel._pipeline (L3)"
    ]


@pytest.mark.parametrize("relative", [True, False])
def test_both_spellings_of_an_import_are_seen(tmp_path, relative):
    fake = tmp_path / "agentops_otel"
    (fake / "replay").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "cli.py").write_text("")
    line = "from ..cli import x" if relative else "import agentops_otel.cli"
    (fake / "replay" / "html.py").write_text(f"{line}\n")
    assert upward_imports(fake) == [
        "agentops_otel/replay/html.py:1: agentops_otel.replay.html (L1) imports agentops_otel.cli (L6)"
    ]
