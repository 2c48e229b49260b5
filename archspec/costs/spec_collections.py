"""Collections: folders of model specs, and where their reports and tables go.

A folder of model specs inside another folder of model specs is a collection
of its own (specs/modern and specs/transformers inside the reference zoo's
specs/).  Reports mirror the tree: the outermost folder's reports go to the
reports folder, a collection's to its subfolder of the same name
(reports/modern/), so models of one name in two collections (the reference's
resnet50 and torchvision's) never overwrite each other's reports.  In a README
the outermost folder's table sits between the `model-table` markers, a
collection's between its own (`modern-table`).

A family spec (`@members`) stands for the member specs beside it; tables,
charts and the reports of a folder list the members in the order it names
them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArchError
from ..graph.expand import MODEL_NAME
from .model_table import is_model_spec

MAX_COLLECTIONS = 200  # folders of specs below one outermost folder: far more than any zoo has
TOP_MARKER = "model"  # the outermost folder's README markers: <!-- model-table:start -->


@dataclass(frozen=True, slots=True)
class Collection:
    folder: Path  # resolved
    parts: tuple[str, ...]  # its path below the outermost folder of specs; () for that folder itself

    @property
    def top(self) -> Path:
        """The outermost folder of specs of its tree."""
        return self.folder.parents[len(self.parts) - 1] if self.parts else self.folder

    @property
    def nested(self) -> bool:
        return bool(self.parts)

    @property
    def name(self) -> str:
        """`modern`, `transformers`; `model` for the outermost folder (its
        README markers were named so before collections existed)."""
        return "-".join(self.parts) if self.parts else TOP_MARKER

    def reports(self, out: Path) -> Path:
        """Where its reports go, given the outermost folder's."""
        return out.joinpath(*self.parts)

    def link(self, prefix: str) -> str:
        """The link prefix of its reports, given the outermost folder's (`reports/`)."""
        return prefix + "".join(f"{part}/" for part in self.parts)


def holds_model_specs(folder: Path) -> bool:
    try:
        return any(is_model_spec(p) for p in sorted(folder.glob("*.arch"))[:1000])
    except OSError:
        return False


def collection_of(folder: Path) -> Collection:
    """The collection a folder of specs is: its path below the outermost folder
    reached by stepping up through folders that hold model specs too."""
    folder = folder.resolve()
    top = folder
    while top.parent != top and len(folder.parts) - len(top.parts) < 16 and holds_model_specs(top.parent):
        top = top.parent
    parts = folder.relative_to(top).parts
    for part in parts:
        if not MODEL_NAME.fullmatch(part):
            raise ArchError(f"the folder {folder} is a collection inside {top}, and its name {part!r} names its "
                            "reports folder: use letters, digits, '-', '_', '.' or '+'")
    return Collection(folder, parts)


def collections_under(collection: Collection) -> list[Collection]:
    """The outermost collection of `collection`'s tree and every collection in
    it, outermost first, then by path (folders named `lib` hold libraries;
    linked folders are not followed out of the tree)."""
    top = collection.top
    found = [Collection(top, ())]
    pending = [top]
    while pending:
        folder = pending.pop(0)
        try:
            children = sorted(e.path for e in os.scandir(folder)
                              if e.is_dir(follow_symlinks=False) and e.name != "lib" and not e.name.startswith("."))
        except OSError:
            continue
        for child in map(Path, children):
            if holds_model_specs(child) and MODEL_NAME.fullmatch(child.name):
                if len(found) == MAX_COLLECTIONS:
                    raise ArchError(f"more than {MAX_COLLECTIONS} folders of specs under {top}; "
                                    "not a zoo to chart")
                found.append(Collection(child, child.relative_to(top).parts))
                pending.append(child)
    return sorted(found, key=lambda c: c.parts)


def families(folder: Path) -> tuple[dict[str, tuple[str, int]], list[tuple[Path, ArchError]]]:
    """Each member a family spec in `folder` names: (the family's model name,
    its place in the family's list); and the family specs that failed to load."""
    from ..graph.load import load_graph
    from .model_table import is_family_spec

    order: dict[str, tuple[str, int]] = {}
    failed: list[tuple[Path, ArchError]] = []
    for path in sorted(folder.glob("*.arch")):
        if not is_family_spec(path):
            continue
        try:
            meta = load_graph(path).metadata
        except ArchError as exc:
            failed.append((path, exc))
            continue
        for place, member in enumerate(meta.members or ()):
            order.setdefault(member, (meta.model or path.stem, place))
    return order, failed
