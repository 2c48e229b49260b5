"""Reading spec files: the file system side (imports, size limits, cycles)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ArchError, Location, suggest
from ..files import NotARegularFile, read_limited
from ..gc_pause import gc_paused
from ..limits import MAX_FILE_BYTES, MAX_IMPORT_DEPTH
from ..syntax.parser import BOM, parse
from ..syntax.tree import Module, Pos
from . import zoo
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


def disguised(path: Path, real: Path) -> bool:
    """Whether a path named as a spec (*.arch) is a link to a file that is
    not one: a shared folder can carry `lib/x.arch -> ../.env`, and a file
    that is not a spec must never be parsed, lest an error quote it."""
    return path.name.endswith(".arch") and not real.name.endswith(".arch")


# Folders the command line opened to imports (its option for `allow_imports`),
# besides each spec's own folder tree.
_allowed_by_command_line: list[Path] = []


def allow_imports_from(folders: list[Path]) -> None:
    """Folders whose trees imports may also read, for every spec the command line loads."""
    _allowed_by_command_line[:] = folders


def spec_path(path: str | Path) -> Path:
    """The file a spec argument names: a path when one exists there, else a
    model of the shipped zoo (`resnet50`, `modern/resnet50`; graph/zoo.py)."""
    given = Path(path)
    try:
        if given.exists() or given.is_symlink():
            return given  # a path wins over a zoo name
    except (OSError, ValueError):
        return given  # read_text says what is wrong with it
    found = zoo.find_model(str(path))
    if found is not None:
        return found
    if given.suffix == ".arch" or (len(given.parts) > 1 and given.parts[0] not in zoo.FOLDERS):
        return given  # plainly a path: read_text reports it missing
    known = zoo.model_names()
    raise ArchError(f"no such spec file or zoo model: {path}",
                    hint=suggest(str(path), known) or "`archspec zoo` lists the models that come with archspec")


class Loader:
    """Parses imported files (each once) and sees import cycles as they close.
    Imports resolve relative to the importing file and must stay inside the
    root spec's folder tree or a folder the user allowed (docs/threat-model.md);
    `zoo:` imports name a library of the shipped zoo (graph/zoo.py), and the
    zoo's own files import within the zoo."""

    def __init__(self, root: Path, allowed: list[Path]) -> None:
        self.chain: list[str] = []  # resolved paths of the files being expanded
        self.cache: dict[str, Module] = {}
        self.roots: list[Path] = []
        for folder in [root, *allowed]:
            try:
                self.roots.append(resolved(Path(folder)))
            except (OSError, ValueError):
                raise ArchError(f"cannot use {folder} as a folder of imports", argument="allow_imports") from None
        shipped = zoo.zoo_root()
        self.zoo = resolved(shipped) if shipped is not None else None

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
        shipped = target.startswith(zoo.IMPORT_PREFIX)
        if shipped:
            library = zoo.library_path(target)
            if library is None or self.zoo is None:
                raise refuse(f"cannot import {target}: a zoo import names a file of the shipped zoo by its path "
                             "there, e.g. \"zoo:modern/lib/resnet.arch\"" if self.zoo is not None else
                             f"cannot import {target}: this archspec is installed without its zoo")
            path = library
        else:
            path = Path(importer.path).parent / target
        try:
            real = resolved(path)
        except (OSError, ValueError) as exc:
            raise refuse(f"cannot import {target}: {exc}") from None
        if disguised(path, real):
            raise refuse(f"cannot import {target}: it is a link to a file that is not a spec (*.arch); "
                         "its text is not read")
        # The zoo is readable by `zoo:` names, and by its own files' imports.
        importer_real = resolved_or_none(Path(importer.path))
        from_zoo = self.zoo is not None and importer_real is not None and importer_real.is_relative_to(self.zoo)
        in_zoo = self.zoo is not None and real.is_relative_to(self.zoo) and (shipped or from_zoo)
        if shipped and not in_zoo:
            raise refuse(f"cannot import {target}: it leads out of the shipped zoo")
        if not in_zoo and not any(real.is_relative_to(root) for root in self.roots):
            raise refuse(f"cannot import {target}: it is outside {self.roots[0]}, the folder of the spec "
                         "being read", hint="imports stay in the spec's own folder tree unless the folder "
                         "they read is allowed too; the shipped libraries are imported by name: "
                         "import \"zoo:modern/lib/resnet.arch\"", argument="allow_imports")
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

    def suggest_import(self, name: str, importer: Module) -> str | None:
        """For a block the spec calls but does not import: the imports that
        would define it, from the libraries beside the importing file (its
        folder and its lib/) and the shipped zoo's.  Files are only searched
        for a `block NAME` line; nothing of them is shown but their names."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return None
        pattern = re.compile(rf"^[ \t]*block[ \t]+{name}\b", re.MULTILINE)
        here = Path(importer.path).parent
        found: list[str] = []
        seen = {resolved_or_none(Path(importer.path))}  # a zoo file beside the spec is offered once
        candidates = [path for folder in (here, here / "lib") for path in _arch_files(folder)]
        for path in candidates[:MAX_SEARCHED_LIBRARIES]:
            real = resolved_or_none(path)
            # only what an import could read (a link out of the tree is not followed)
            if real is None or real in seen or not any(real.is_relative_to(root) for root in self.roots):
                continue
            seen.add(real)
            if _defines_block(real, pattern):
                found.append(f'import "{path.relative_to(here).as_posix()}"')
        for target in zoo.library_blocks().get(name, ()):
            library = zoo.library_path(target)
            if library is not None and resolved_or_none(library) not in seen:
                found.append(f'import "{target}"')
        if not found:
            return None
        more = " (or " + " or ".join(f"`{other}`" for other in found[1:3]) + ")" if len(found) > 1 else ""
        return f"'{name}' is a block of a library this file does not import: add `{found[0]}`{more}"


MAX_SEARCHED_LIBRARIES = 200  # files read to suggest an import: an error path stays quick


def _arch_files(folder: Path) -> list[Path]:
    try:
        return sorted(path for path in folder.glob("*.arch") if path.is_file())
    except OSError:
        return []


def resolved_or_none(path: Path) -> Path | None:
    try:
        return resolved(path)
    except (OSError, ValueError):
        return None


def _defines_block(path: Path, pattern: re.Pattern[str]) -> bool:
    try:
        data = read_limited(path, MAX_FILE_BYTES)
    except (OSError, ValueError):
        return False
    return pattern.search(data.decode("utf-8", errors="replace")) is not None


def load_graph(path: str | Path, overrides: dict[str, Any] | None = None,
               allow_imports: list[Path] | None = None) -> Graph:
    """Read, expand and bind a spec file into a graph ready for analysis.
    `path` is a spec file, or the name of a model of the shipped zoo."""
    if not isinstance(path, (str, Path)):
        raise ArchError(f"a spec is named by a path, not {type(path).__name__}", argument="path")
    found = spec_path(path)
    display = str(found)
    try:
        real = resolved(found)
    except (OSError, ValueError):
        real = found  # read_text says what is wrong with it
    if disguised(found, real):
        raise ArchError(f"{display} is a link to a file that is not a spec (*.arch); its text is not read")
    with gc_paused():  # once for parsing and expanding: resuming the collector costs a pass over what was made
        module = parse(read_text(found, display), display)
        return build_graph(module, overrides or {}, allow_imports)


def load_graph_from_text(text: str, path: str = "<string>", overrides: dict[str, Any] | None = None,
                         allow_imports: list[Path] | None = None) -> Graph:
    if not isinstance(path, str):
        raise ArchError(f"a spec's path is a string, not {type(path).__name__}", argument="path")
    with gc_paused():
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
