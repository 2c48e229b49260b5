"""Reading spec files: the file system side (imports, size limits, cycles)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ArchError, Location
from ..files import NotARegularFile, read_limited
from ..gc_pause import gc_paused
from ..limits import MAX_FILE_BYTES, MAX_IMPORT_DEPTH
from ..syntax.parser import BOM, parse
from ..syntax.tree import Module, Pos
from .expand import Expander
from .layer_graph import Graph


def read_text(path: Path, display: str, where: Location | None = None, source: str | None = None) -> str:
    """A spec file's text, or an ArchError saying why it cannot be had.  At most
    the size limit is read, and only from a regular file (docs/threat-model.md)."""
    try:
        data = read_limited(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise ArchError(f"no such spec file: {display}", where, source) from None
    except IsADirectoryError:
        raise ArchError(f"{display} is a directory, not a spec file", where, source) from None
    except NotARegularFile as exc:
        raise ArchError(f"{display} is {exc.kind}, not a spec file", where, source) from None
    except OSError as exc:
        raise ArchError(f"cannot read {display}: {exc.strerror or exc}", where, source) from None
    except ValueError:  # e.g. a NUL byte in an import path
        raise ArchError(f"not a usable file name: {display!r}", where, source) from None
    if len(data) > MAX_FILE_BYTES:
        raise ArchError(f"{display} is more than {MAX_FILE_BYTES:,} bytes; spec files are limited to "
                        f"{MAX_FILE_BYTES:,}", where, source)
    if b"\x00" in data:
        raise ArchError(f"{display} is a binary file, not a spec", where, source)
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ArchError("not a text file (invalid UTF-8)", Location(display, line, column)) from None


def resolved(path: Path) -> Path:
    """The path with symbolic links followed; a loop of links is an OSError."""
    try:
        return path.resolve()
    except RuntimeError as exc:  # Python before 3.13 reports a symlink loop this way
        raise OSError(str(exc)) from None


# Folders the command line opened to imports (its option for `allow_imports`),
# besides each spec's own folder tree.
_allowed_by_command_line: list[Path] = []


def allow_imports_from(folders: list[Path]) -> None:
    """Folders whose trees imports may also read, for every spec the command line loads."""
    _allowed_by_command_line[:] = folders


class Loader:
    """Parses imported files (each once) and sees import cycles as they close.
    Imports resolve relative to the importing file and must stay inside the
    root spec's folder tree or a folder the user allowed (docs/threat-model.md)."""

    def __init__(self, root: Path, allowed: list[Path]) -> None:
        self.chain: list[str] = []  # resolved paths of the files being expanded
        self.cache: dict[str, Module] = {}
        self.roots: list[Path] = []
        for folder in [root, *allowed]:
            try:
                self.roots.append(resolved(Path(folder)))
            except (OSError, ValueError):
                raise ArchError(f"cannot use {folder} as a folder of imports", argument="allow_imports") from None

    @staticmethod
    def key(module: Module) -> str:
        try:
            return str(resolved(Path(module.path)))
        except (OSError, ValueError):
            return module.path

    @contextmanager
    def entered(self, module: Module) -> Iterator[None]:
        self.chain.append(self.key(module))
        try:
            yield
        finally:
            self.chain.pop()

    def load_import(self, target: str, importer: Module, pos: Pos) -> Module:
        where = importer.location(pos)

        def refuse(message: str, hint: str | None = None, argument: str | None = None) -> ArchError:
            return ArchError(message, where, importer.source, hint, argument)

        if "\x00" in target:
            raise refuse("an import path cannot contain a NUL character")
        if not target.endswith(".arch"):
            raise refuse(f"an import names a spec file (*.arch), not {target!r}")
        path = Path(importer.path).parent / target
        try:
            real = resolved(path)
        except (OSError, ValueError) as exc:
            raise refuse(f"cannot import {target}: {exc}") from None
        if not any(real.is_relative_to(root) for root in self.roots):
            raise refuse(f"cannot import {target}: it is outside {self.roots[0]}, the folder of the spec "
                         "being read", hint="imports stay in the spec's own folder tree unless the folder "
                         "they read is allowed too", argument="allow_imports")
        key = str(real)
        if key in self.chain:
            cycle = " -> ".join(Path(p).name for p in self.chain[self.chain.index(key):] + [key])
            raise refuse(f"import cycle: {cycle}")
        if len(self.chain) >= MAX_IMPORT_DEPTH:
            raise refuse(f"imports nested deeper than {MAX_IMPORT_DEPTH}")
        if key not in self.cache:
            text = read_text(path, str(path), where, importer.source)
            try:
                self.cache[key] = parse(text, str(path))
            except ArchError as exc:
                # Only a file that parsed as a spec is ever quoted: this one may be anything.
                at = f" (line {exc.location.line}, column {exc.location.column})" if exc.location else ""
                raise refuse(f"cannot import {target}: it is not a spec{at}; its text is not shown",
                             hint=f"if it is meant to be one, `archspec analyze {path}` shows the problem") from None
        return self.cache[key]


def load_graph(path: str | Path, overrides: dict[str, Any] | None = None,
               allow_imports: list[Path] | None = None) -> Graph:
    """Read, expand and bind a spec file into a graph ready for analysis."""
    if not isinstance(path, (str, Path)):
        raise ArchError(f"a spec is named by a path, not {type(path).__name__}", argument="path")
    display = str(path)
    module = parse(read_text(Path(path), display), display)
    return build_graph(module, overrides or {}, allow_imports)


def load_graph_from_text(text: str, path: str = "<string>", overrides: dict[str, Any] | None = None,
                         allow_imports: list[Path] | None = None) -> Graph:
    if not isinstance(path, str):
        raise ArchError(f"a spec's path is a string, not {type(path).__name__}", argument="path")
    return build_graph(parse(text, path), overrides or {}, allow_imports)


def build_graph(module: Module, overrides: dict[str, Any], allow_imports: list[Path] | None = None) -> Graph:
    graph = Graph()
    allowed = _allowed_by_command_line if allow_imports is None else list(allow_imports)
    loader = Loader(Path(module.path).parent, allowed)
    expander = Expander(graph, loader, overrides)
    try:
        with loader.entered(module), gc_paused():
            expander.run_main(module)
    except RecursionError:
        raise ArchError("the spec is nested too deeply to expand", Location(module.path, 1, 1)) from None
    return graph
