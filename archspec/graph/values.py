"""Run-time values of the spec language.

An expression evaluates to a plain value (int, float, bool, str, tuple), a
`Tensor` (the output of a node), or a `Pipe`: a sequence of steps not yet
applied to any tensor.  Applying a pipe to a tensor is what creates layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..kinds import Layer
from ..syntax.tree import BlockDef, Module, Pos


@dataclass(frozen=True, slots=True)
class Tensor:
    node: int


@dataclass(slots=True, eq=False)
class Block:
    """A block definition and the file that wrote it; its body sees that
    file's names (`home`), wherever it is called from."""

    definition: BlockDef
    module: Module
    home: FileNames

    @property
    def name(self) -> str:
        return self.definition.name


@dataclass(slots=True, eq=False)
class FileNames:
    """The names one spec file defines at its top level, and the files it imports.

    A file sees its own values and blocks first; then those of the files it
    imports (and that they import, and so on).  A name it does not define and
    that two of those files define is ambiguous (docs/language.md, Imports)."""

    module: Module
    values: dict[str, Any] = field(default_factory=dict)  # values and params; not tensors
    blocks: dict[str, Block] = field(default_factory=dict)
    imports: list[FileNames] = field(default_factory=list)
    _reachable: dict[str, list[tuple[FileNames, Any]]] | None = None

    def changed(self) -> None:
        """A binding or import was added somewhere: forget what imports offer."""
        self._reachable = None

    def offered(self, name: str) -> list[tuple[FileNames, Any]]:
        """(file, value or Block) for each imported file that defines `name`."""
        if self._reachable is None:
            self._reachable = {}
            seen = {id(self)}
            queue = list(self.imports)
            while queue:
                other = queue.pop(0)
                if id(other) in seen:
                    continue
                seen.add(id(other))
                for table in (other.values, other.blocks):
                    for key, value in table.items():
                        self._reachable.setdefault(key, []).append((other, value))
                queue.extend(other.imports)
        return self._reachable.get(name, [])

    def names(self) -> list[str]:
        """Every name this file can see, for suggestions."""
        self.offered("")
        assert self._reachable is not None
        return list(self.values) + list(self.blocks) + list(self._reachable)


@dataclass(slots=True)
class LayerStep:
    layer: Layer
    # extra inputs named in the call, `add(a, b)`, or chains written inline there,
    # `mul(d, d > gavgpool > conv(8, 1) > sigmoid)` (a Pipe from a tensor)
    tensors: tuple[Tensor | Pipe, ...]
    pos: Pos
    module: Module
    name: str | None = None
    shares: Tensor | None = None  # `shares=t`: the weights of the layer that made t

    @property
    def label(self) -> str:
        return self.layer.kind


@dataclass(slots=True)
class BlockStep:
    block: Block
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    pos: Pos
    module: Module
    name: str | None = None
    shares: Tensor | None = None  # `shares=t`: the weights of the block instance that made t

    @property
    def label(self) -> str:
        return self.block.name


@dataclass(slots=True)
class GroupStep:
    """`(a > b) as name`: several steps under one name."""

    steps: list[Step]
    pos: Pos
    name: str | None = None
    label: str = "group"


@dataclass(slots=True)
class SplitStep:
    """`chunk(n)` or `split(sizes)`: a tensor cut along its channels into
    `slice` views, which the chain yields as a tuple of tensors."""

    how: str  # "chunk" or "split"
    value: int | tuple[int, ...]  # chunk: how many pieces; split: each piece's size, or one size for all
    pos: Pos
    module: Module
    name: str | None = None

    @property
    def label(self) -> str:
        return self.how


Step = LayerStep | BlockStep | GroupStep | SplitStep


@dataclass(slots=True)
class Scope:
    """Where statements run: the top level, or one block instance."""

    prefix: str  # "" at top level, "res2.bottleneck1." inside a block instance
    module: Module
    file: FileNames  # the names of the file whose statements run here
    input: Tensor | None
    current: Tensor | None
    values: dict[str, Any] = field(default_factory=dict)  # names: values and tensors
    defined_at: dict[str, int] = field(default_factory=dict)  # name -> line
    top: bool = False


@dataclass(slots=True)
class Pipe:
    steps: list[Step] = field(default_factory=list)
    source: Tensor | None = None


def describe(value: object) -> str:
    """How a value is named in messages."""
    if isinstance(value, Tensor):
        return "a tensor"
    if isinstance(value, Pipe):
        return "a layer chain"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, tuple):
        if value and all(isinstance(item, Tensor) for item in value):
            return f"a tuple of {len(value)} tensors"
        return f"the tuple {value}"
    return type(value).__name__
