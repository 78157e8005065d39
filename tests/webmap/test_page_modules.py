"""House rules of the map page's ES modules (``webmap/static/js/map/``): no
bundler checks them, so these do. Each import names a module that exists,
none goes round in a circle, main.js names every module (the browser then
fetches them all at once), Leaflet is used through its public API only, and
one module writes the browser's history."""

import re
from pathlib import Path

MODULES = Path(__file__).parents[2] / "webmap" / "static" / "js" / "map"
IMPORT = re.compile(r'^import\s+(?:[^;]*?\s+from\s+)?"(\.{1,2}/[^"]+)";', re.MULTILINE)


def _sources():
    return {path: path.read_text(encoding="utf-8") for path in sorted(MODULES.rglob("*.js"))}


def _imports(path, text):
    return [(path.parent / target).resolve() for target in IMPORT.findall(text)]


def test_imports_resolve_and_never_go_round_in_a_circle():
    sources = _sources()
    graph = {path.resolve(): _imports(path, text) for path, text in sources.items()}
    missing = [
        f"{path.name} → {target}" for path, targets in graph.items() for target in targets if target not in graph
    ]
    assert not missing
    state, cycles = {}, []

    def visit(path, stack):
        state[path] = "open"
        for target in graph[path]:
            if state.get(target) == "open":
                cycles.append([p.relative_to(MODULES.resolve()).as_posix() for p in stack[stack.index(target) :]])
            elif target not in state:
                visit(target, stack + [target])
        state[path] = "done"

    for path in graph:
        if path not in state:
            visit(path, [path])
    assert not cycles


def test_main_imports_every_module_directly():
    main = MODULES / "main.js"
    imported = set(_imports(main, main.read_text(encoding="utf-8")))
    others = {path.resolve() for path in _sources()} - {main.resolve()}
    assert sorted(p.name for p in others - imported) == []


def test_leaflet_through_its_public_api_only():
    private = re.compile(r"\._[A-Za-z]")
    found = [
        f"{path.relative_to(MODULES)}:{number}: {line.strip()}"
        for path, text in _sources().items()
        for number, line in enumerate(text.splitlines(), 1)
        if private.search(line.split("//", 1)[0])
    ]
    assert not found


def test_only_the_state_module_writes_history():
    writers = [path.name for path, text in _sources().items() if re.search(r"history\.(push|replace)State", text)]
    assert writers == ["state.js"]
