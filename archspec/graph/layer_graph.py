"""The expanded network: a flat list of named nodes in execution order (a DAG).

Inputs are nodes without a layer.  Every node knows which file and line wrote
it, so later stages (shape inference, the views) can point back at the spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import ArchError, Location, suggest
from ..kinds import Layer, Shape
from ..kinds.shape import IMAGE


@dataclass(slots=True)
class Node:
    name: str
    layer: Layer | None  # None: a network input
    inputs: tuple[int, ...]
    location: Location
    shape: Shape | None = None  # declared shape, inputs only
    fixed: bool = False  # an input whose size the command line does not change
    layout: str = IMAGE  # an image or a token sequence (kinds/shape.py)
    shares: int | None = None  # the node whose weights this layer uses (counted there)

    @property
    def kind(self) -> str:
        return self.layer.kind if self.layer is not None else "input"


@dataclass(frozen=True, slots=True)
class BlockInstance:
    """One call of a block: its input, the nodes it made (`first` to one
    before `end`, nested calls included), its output, the name it prefixes its layers with
    and the values its parameters took (plain values; a tensor argument is
    shown as None).  Views that draw or export a spec group layers by these."""

    block: str
    name: str
    input: int  # the node whose output is the block's `in`
    first: int
    end: int
    output: int
    args: tuple[tuple[str, Any], ...]
    depth: int  # 0 for a call at the top level, 1 inside one, ...


class Metadata(BaseModel):
    """What a spec says about its model (the `model` line and `@key value` lines)."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    source: str | None = None
    task: str | None = None
    features: str | None = None  # the reference feature layer (trunks.csv)
    error: tuple[float | None, float | None] | None = None  # top-1 / top-5 error, %
    src: str | None = None  # where the weights came from (the table's src column)
    scales: tuple[float, ...] | None = None  # input scales of the report
    title: str | None = None
    note: str | None = None
    # a family spec (one network, its scaling rules as params) names the member specs
    # beside it that it builds; tables, charts and folder reports list those members, not it
    members: tuple[str, ...] | None = None


@dataclass(slots=True)
class Graph:
    nodes: list[Node] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)  # layer name -> node
    aliases: dict[str, int] = field(default_factory=dict)  # statement / block-instance name -> node
    sources: dict[str, str] = field(default_factory=dict)  # file path -> text, for error excerpts
    path: str = ""  # the spec file it was read from ("<string>" for text)
    metadata: Metadata = field(default_factory=Metadata)
    params: dict[str, Any] = field(default_factory=dict)  # spec-level parameters, as resolved
    reference_shapes: list[Shape] = field(default_factory=list)  # per node, at the spec's input size
    blocks: list[BlockInstance] = field(default_factory=list)  # every block call, in the order they ended
    _normalised: dict[str, list[str]] | None = None

    @property
    def input_ids(self) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if n.layer is None]

    def error(self, message: str, node: Node, hint: str | None = None) -> ArchError:
        return ArchError(message, node.location, self.sources.get(node.location.path), hint)

    def find(self, name: str) -> int:
        """A layer by its name.  Also accepted: a statement or block-instance name
        (its output), and any name with `_` written for the hierarchy's `.`,
        so the reference's `res5c_relu` finds `res5c.relu`.  Failing those, a
        name may leave out enclosing block instances when only one layer fits:
        `pool5` finds `vgg_m.pool5` in a network written as one block call."""
        for table in (self.index, self.aliases):
            if name in table:
                return table[name]
        if self._normalised is None:
            self._normalised = {}
            for known in list(self.index) + list(self.aliases):
                self._normalised.setdefault(known.replace(".", "_"), []).append(known)
        wanted = name.replace(".", "_")
        matches = sorted(set(self._normalised.get(wanted, [])))
        if not matches:
            matches = sorted({known for flat, names in self._normalised.items()
                              if flat.endswith("_" + wanted) for known in names
                              if _inner_tail(known, wanted)})
        if len(matches) == 1:
            known = matches[0]
            return self.index.get(known, self.aliases.get(known, -1))
        if len(matches) > 1:
            raise ArchError(f"'{name}' is ambiguous: it could be {', '.join(matches)}")
        raise ArchError(f"no layer named '{name}'",
                        hint=suggest(name, list(self.index) + list(self.aliases)))

    def ancestors(self, target: int) -> list[int]:
        """The target and every node it depends on, in execution order."""
        keep = [False] * (target + 1)
        keep[target] = True
        for i in range(target, -1, -1):
            if keep[i]:
                for j in self.nodes[i].inputs:
                    keep[j] = True
        return [i for i in range(target + 1) if keep[i]]


def _inner_tail(known: str, wanted: str) -> bool:
    """Whether `known` (a dotted name) ends in `wanted` (written with `_`)
    right after one of its dots, i.e. with whole block instances left out."""
    parts = known.split(".")
    return any("_".join(parts[i:]) == wanted for i in range(1, len(parts)))
