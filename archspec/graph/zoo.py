"""The shipped zoo: the model specs and libraries that come with archspec,
found by name (docs/language.md, "The zoo").

The zoo is the `specs/` folder of a checkout, which the wheel carries as
`archspec/specs`.  A model is named by its file's name without `.arch`:
`resnet50`, or with its folder, `modern/resnet50`.  A bare name is looked up
in the folders in the order of FOLDERS (the reference table's models first),
so `resnet50` is the reference's and `modern/resnet50` torchvision's.
A library is imported as `import "zoo:modern/lib/resnet.arch"`: a path inside
the zoo, which cannot leave it.

Everything here is read through files.read_limited, like any spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# the zoo's model folders, by name -> folder inside the zoo; a bare model name is
# looked up in this order
FOLDERS = {"reference": "", "modern": "modern", "transformers": "transformers", "examples": "examples"}
IMPORT_PREFIX = "zoo:"
# `resnet50` or `modern/resnet50`: no other folder, no `..`, no suffix
_NAME = re.compile(r"(?:(?P<folder>[a-z]+)/)?(?P<stem>[A-Za-z0-9][A-Za-z0-9._+-]{0,99})")
_MODEL_LINE = re.compile(r"^[ \t]*model[ \t]+\S", re.MULTILINE)


@cache
def zoo_root() -> Path | None:
    """The shipped specs: inside the installed package, or a checkout's specs/."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "specs", package.parent / "specs"):
        if (candidate / "lib").is_dir():
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class ZooModel:
    name: str  # the shortest name that finds it: `resnet50`, `modern/resnet50`
    folder: str  # reference, modern, transformers or examples
    path: Path


def _folder_path(root: Path, folder: str) -> Path:
    return root / folder if folder else root


def _is_model(path: Path) -> bool:
    from ..files import read_limited
    from ..limits import MAX_FILE_BYTES

    try:
        text = read_limited(path, MAX_FILE_BYTES).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return False
    return _MODEL_LINE.search(text) is not None


@cache
def zoo_models() -> tuple[ZooModel, ...]:
    """Every model spec of the zoo, folder by folder in lookup order."""
    root = zoo_root()
    if root is None:
        return ()
    found: list[ZooModel] = []
    taken: set[str] = set()
    for folder, inside in FOLDERS.items():
        for path in sorted(_folder_path(root, inside).glob("*.arch"), key=lambda p: (p.name.lower(), p.name)):
            if not path.is_file() or not _is_model(path):
                continue
            stem = path.stem
            name = stem if stem not in taken else f"{folder}/{stem}"
            taken.add(stem)
            found.append(ZooModel(name, folder, path))
    return tuple(found)


def find_model(name: str) -> Path | None:
    """The zoo spec a name stands for, or None: `resnet50` (the first folder
    that has it) or `modern/resnet50` (that folder's)."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    folder, stem = match.group("folder"), match.group("stem")
    for model in zoo_models():
        if model.path.stem == stem and folder in (None, model.folder):
            return model.path
    return None


@dataclass(frozen=True, slots=True)
class ZooEntry:
    """What `archspec zoo` lists of a model: its header, read without expanding it."""

    name: str  # what to type: `resnet50`, `modern/resnet50`
    folder: str
    model: str  # its `model` line
    task: str | None
    source: str | None
    title: str | None
    path: Path


def zoo_entries(folder: str | None = None) -> list[ZooEntry]:
    """Every zoo model (or one folder's) with its `model`, `@task`, `@source`
    and `@title`, from the parsed file (nothing is expanded)."""
    from ..files import read_limited
    from ..limits import MAX_FILE_BYTES
    from ..syntax import tree as ast
    from ..syntax.parser import parse

    entries = []
    for model in zoo_models():
        if folder is not None and model.folder != folder:
            continue
        text = read_limited(model.path, MAX_FILE_BYTES).decode("utf-8")
        header: dict[str, str] = {}
        for stmt in parse(text, str(model.path)).statements:
            if isinstance(stmt, ast.ModelDecl):
                header["model"] = stmt.name
            elif isinstance(stmt, ast.MetaDecl) and isinstance(stmt.value, (ast.Name, ast.String)):
                header[stmt.key] = stmt.value.id if isinstance(stmt.value, ast.Name) else stmt.value.value
        entries.append(ZooEntry(model.name, model.folder, header.get("model", model.path.stem), header.get("task"),
                                header.get("source"), header.get("title"), model.path))
    return entries


def model_names() -> list[str]:
    """Every name `find_model` knows, for suggestions."""
    names = [model.name for model in zoo_models()] + [f"{m.folder}/{m.path.stem}" for m in zoo_models()]
    return list(dict.fromkeys(names))


BLOCK_LINE = re.compile(r"^[ \t]*block[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


@cache
def library_blocks() -> dict[str, tuple[str, ...]]:
    """Block name -> the `zoo:` imports of the libraries that define it (read once)."""
    from ..files import read_limited
    from ..limits import MAX_FILE_BYTES

    root = zoo_root()
    found: dict[str, list[str]] = {}
    if root is None:
        return {}
    for path in sorted(root.glob("**/lib/*.arch")):
        try:
            text = read_limited(path, MAX_FILE_BYTES).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            continue
        for name in dict.fromkeys(BLOCK_LINE.findall(text)):
            found.setdefault(name, []).append(IMPORT_PREFIX + path.relative_to(root).as_posix())
    return {name: tuple(imports) for name, imports in found.items()}


def library_path(target: str) -> Path | None:
    """The file an `import "zoo:..."` names, or None when the target is not a
    plain path inside the zoo (the caller refuses it)."""
    root = zoo_root()
    relative = target.removeprefix(IMPORT_PREFIX)
    if root is None or not relative or relative.startswith("/") or "\\" in relative:
        return None
    parts = relative.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    return root.joinpath(*parts)
