"""Reading spec files: the file system side (imports, size limits, cycles)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ArchError, Location
from ..gc_pause import gc_paused
from ..limits import MAX_FILE_BYTES, MAX_IMPORT_DEPTH
from ..syntax.parser import parse
from ..syntax.tree import Module, Pos
from .expand import Expander
from .layer_graph import Graph


def read_text(path: Path, display: str, where: Location | None = None, source: str | None = None) -> str:
    """A spec file's text, or an ArchError saying why it cannot be had."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArchError(f"{display} is {size:,} bytes; spec files are limited to {MAX_FILE_BYTES:,}",
                            where, source)
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArchError(f"no such spec file: {display}", where, source) from None
    except IsADirectoryError:
        raise ArchError(f"{display} is a directory, not a spec file", where, source) from None
    except OSError as exc:
        raise ArchError(f"cannot read {display}: {exc.strerror}", where, source) from None
    except ValueError:  # e.g. a NUL byte in an import path
        raise ArchError(f"not a usable file name: {display!r}", where, source) from None
    if b"\x00" in data:
        raise ArchError(f"{display} is a binary file, not a spec", where, source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ArchError("not a text file (invalid UTF-8)", Location(display, line, column)) from None


class Loader:
    """Parses imported files (each once) and sees import cycles as they close.
    Imports resolve relative to the importing file."""

    def __init__(self) -> None:
        self.chain: list[str] = []  # resolved paths of the files being expanded
        self.cache: dict[str, Module] = {}

    @staticmethod
    def key(module: Module) -> str:
        return str(Path(module.path).resolve())

    @contextmanager
    def entered(self, module: Module) -> Iterator[None]:
        self.chain.append(self.key(module))
        try:
            yield
        finally:
            self.chain.pop()

    def load_import(self, target: str, importer: Module, pos: Pos) -> Module:
        where = importer.location(pos)
        if "\x00" in target:
            raise ArchError("an import path cannot contain a NUL character", where, importer.source)
        path = Path(importer.path).parent / target
        key = str(path.resolve())
        if key in self.chain:
            cycle = " -> ".join(Path(p).name for p in self.chain[self.chain.index(key):] + [key])
            raise ArchError(f"import cycle: {cycle}", where, importer.source)
        if len(self.chain) >= MAX_IMPORT_DEPTH:
            raise ArchError(f"imports nested deeper than {MAX_IMPORT_DEPTH}", where, importer.source)
        if key not in self.cache:
            self.cache[key] = parse(read_text(path, str(path), where, importer.source), str(path))
        return self.cache[key]


def load_graph(path: str | Path, overrides: dict[str, Any] | None = None) -> Graph:
    """Read, expand and bind a spec file into a graph ready for analysis."""
    display = str(path)
    module = parse(read_text(Path(path), display), display)
    return build_graph(module, overrides or {})


def load_graph_from_text(text: str, path: str = "<string>", overrides: dict[str, Any] | None = None) -> Graph:
    return build_graph(parse(text, path), overrides or {})


def build_graph(module: Module, overrides: dict[str, Any]) -> Graph:
    graph = Graph()
    loader = Loader()
    expander = Expander(graph, loader, overrides)
    try:
        with loader.entered(module), gc_paused():
            expander.run_main(module)
    except RecursionError:
        raise ArchError("the spec is nested too deeply to expand", Location(module.path, 1, 1)) from None
    return graph
