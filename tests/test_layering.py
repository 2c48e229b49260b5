"""The package follows the pipeline: text → syntax tree → layer graph → costs →
views → commands.  A module may import from its own package or from a lower
stage, never from a higher one, so the packages form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "archspec"

# lowest first; the top-level utility modules sit under everything, and the
# package's own face (`archspec.load`, `python -m archspec`) over everything; the
# command line's entry point (cli) over the typer app it loads only when needed
LEVEL = {"errors": 0, "limits": 0, "gc_pause": 0, "conventions": 1, "files": 1, "syntax": 2, "kinds": 3, "graph": 4,
         "costs": 5, "views": 6, "bridges": 7, "commands": 8, "app": 9, "api": 9, "cli": 10, "__init__": 11,
         "__main__": 11}


def unit(module: str) -> str:
    """`archspec.costs.engine` -> `costs`; `archspec.errors` -> `errors`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> set[str]:
    """Every archspec module a file imports (at the top or inside functions)."""
    name = "archspec." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    package = name.rsplit(".", 1)[0] if path.name != "__init__.py" else name.removesuffix(".__init__")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("archspec"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("archspec"))
    return found


def package_edges() -> dict[tuple[str, str], int]:
    edges: dict[tuple[str, str], int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = unit("archspec." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        for target in imports(path):
            other = unit(target)
            if other in LEVEL and other != source:
                edges[source, other] = edges.get((source, other), 0) + 1
    return edges


def test_every_import_points_down_the_pipeline() -> None:
    upward = [(a, b) for a, b in package_edges() if LEVEL[b] >= LEVEL[a]]
    assert not upward, f"imports against the pipeline: {upward}"


def test_every_module_belongs_to_a_stage() -> None:
    units = {unit("archspec." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts))
             for p in PACKAGE.rglob("*.py")}
    assert units <= set(LEVEL), sorted(units - set(LEVEL))
