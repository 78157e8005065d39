"""The house rules of ``webmap/`` that a reader relies on to find their way:
no module reaches into another's private names, imports never go round in a
circle, and the page holds no copy of a Python default."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGES = ("webmap", "analysis", "geo")


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path, ast.parse(path.read_text(encoding="utf-8"))


def _imports(name, tree, *, top_level_only):
    """(module imported, names taken from it) of one module."""
    body = tree.body if top_level_only else list(ast.walk(tree))
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def test_no_module_imports_a_private_name_of_another():
    offences = []
    for name, path, tree in _modules():
        for module, names in _imports(name, tree, top_level_only=False):
            if module.split(".")[0] not in PACKAGES:
                continue
            offences += [f"{path.relative_to(ROOT)}: {module}.{n}" for n in names if n.startswith("_")]
            offences += [
                f"{path.relative_to(ROOT)}: {module}"
                for part in module.split(".")
                if part.startswith("_") and part != "__init__"
            ]
    assert not offences


def test_no_import_cycle_between_modules():
    modules = {name: tree for name, _, tree in _modules()}
    graph = {}
    for name, tree in modules.items():
        targets = set()
        for module, names in _imports(name, tree, top_level_only=True):
            for candidate in [f"{module}.{n}" for n in names] + [module]:
                if candidate in modules and candidate != name:
                    targets.add(candidate)
                    break
            # Importing a.b.c runs a/__init__ and a/b/__init__ first.
            parts = module.split(".")
            targets.update(
                p
                for p in (".".join(parts[:i]) for i in range(1, len(parts)))
                if p in modules and not name.startswith(p)
            )
        graph[name] = targets

    # A package importing its own submodules (to register routes, re-export
    # a public API) is how packages are made, not a cycle between features.
    def edges(name):
        return {t for t in graph[name] if not t.startswith(name + ".")}

    state, cycles = {}, []

    def visit(name, stack):
        state[name] = "open"
        for target in edges(name):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert not cycles, " ; ".join(" → ".join(c) for c in cycles)


def test_page_holds_no_copy_of_the_clustering_defaults():
    from webmap.config import DEFAULTS

    eps = f"{DEFAULTS['CLUSTERING']['eps']:g}"
    copies = []
    for path in list((ROOT / "webmap" / "static" / "js").rglob("*.js")) + list(
        (ROOT / "webmap" / "templates").rglob("*.html")
    ):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(rf"\b{eps}\b", line):
                copies.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not copies
