"""Shapes through the layer graph: every node's output at one input size or
at many at once, whether the network runs at a size, and the smallest
square size at which it does.

The expander (reference shapes as it builds the graph), the engine, the
sweep and the closed form all take their shapes from here; each layer's
own `output_shape` is the only rule, called on ints or on arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from ..errors import ArchError
from ..kinds.shape import TOKENS, Shape, ShapeError, show
from ..limits import MAX_SIDE
from .layer_graph import Graph

if TYPE_CHECKING:
    import numpy as np

Size = tuple[int, int]


def input_shapes(graph: Graph, size: Size | None) -> dict[int, Shape]:
    """Declared input shapes, with height and width replaced by `size` for
    every input not marked `fixed`; a token sequence takes its length N from
    `size`, which must then be one number."""
    shapes: dict[int, Shape] = {}
    for i in graph.input_ids:
        node = graph.nodes[i]
        assert node.shape is not None
        c, h, w = node.shape
        if size is not None and not node.fixed:
            if node.layout == TOKENS:
                if size[0] != size[1]:
                    raise ArchError(f"{size[0]} x {size[1]}: the input '{node.name}' is a token sequence, "
                                    "whose one size is its length", argument="size")
                h = size[0]
            else:
                h, w = size
        shapes[i] = (c, h, w)
    return shapes


class _Refused(Exception):
    """A layer that cannot take its inputs at this size."""

    def __init__(self, index: int, inputs: list[Shape | None], error: ShapeError) -> None:
        super().__init__(str(error))
        self.index, self.inputs, self.error = index, inputs, error


def _propagate(graph: Graph, size: Size | None, nodes: Sequence[int] | None) -> list[Shape | None]:
    """Every node's output at one size (node ids not in `nodes` stay None)."""
    shapes: list[Shape | None] = [None] * len(graph.nodes)
    for i, shape in input_shapes(graph, size).items():
        shapes[i] = shape
    # Equal shapes are kept as one tuple: a network of repeated units has few
    # distinct shapes, and a million layers would otherwise hold a million tuples.
    distinct: dict[Shape, Shape] = {}
    for i in (range(len(graph.nodes)) if nodes is None else nodes):
        layer = graph.nodes[i].layer
        if layer is None:
            continue
        inputs = [shapes[j] for j in graph.nodes[i].inputs]
        try:
            shape = layer.output_shape(inputs)  # type: ignore[arg-type]
        except ShapeError as exc:
            raise _Refused(i, inputs, exc) from None
        shapes[i] = distinct.setdefault(shape, shape) if type(shape) is tuple else shape
    return shapes


def infer_shapes(graph: Graph, size: Size | None, nodes: Sequence[int] | None = None) -> list[Shape | None]:
    """Output shape of every node (or of `nodes`, which must be closed under
    inputs), raising a located ArchError on the first layer that cannot run."""
    try:
        return _propagate(graph, size, nodes)
    except _Refused as refused:
        raise shape_error(graph, refused.index, refused.inputs, refused.error, size, nodes) from None


def works(graph: Graph, nodes: Sequence[int] | None, size: Size) -> bool:
    """Whether every layer (of `nodes`) runs at this input size."""
    try:
        _propagate(graph, size, nodes)
        return True
    except _Refused:
        return False


def refusal_message(graph: Graph, index: int, inputs: Sequence[Shape | None], exc: ShapeError) -> str:
    """What a layer that cannot take its inputs says: its kind, name and line,
    then the rule's reason (`input too small: ...` when an output is empty)."""
    node = graph.nodes[index]
    where = f"{node.kind} '{node.name}' at line {node.location.line}"
    if exc.empty:
        return f"{where}: input too small: {exc}"
    message = f"{where}: {exc}"
    if "input" not in str(exc):  # name the inputs unless the rule's message already does
        message += " (input " + ", ".join(show(s, graph.nodes[j].layout)
                                          for s, j in zip(inputs, node.inputs) if s is not None) + ")"
    return message


def smallest_hint(side: int) -> str:
    return f"the smallest square input that works is {side} x {side}"


def shape_error(graph: Graph, index: int, inputs: Sequence[Shape | None], exc: ShapeError,
                size: Size | None, nodes: Sequence[int] | None) -> ArchError:
    """The located error for a layer that cannot take its inputs; for an
    input that is too small, with the smallest square size that works."""
    hint = None
    if exc.empty:
        smallest = smallest_working_size(graph, nodes, current_size(graph, size))
        if smallest is not None:
            hint = smallest_hint(smallest)
    return graph.error(refusal_message(graph, index, inputs, exc), graph.nodes[index], hint)


def refusal(graph: Graph, nodes: Sequence[int] | None, size: Size) -> tuple[str, bool] | None:
    """Why the network (or `nodes`) does not run at `size`, in the words of
    `infer_shapes`'s error, and whether an output came out empty (the input
    is too small); None where it runs."""
    try:
        _propagate(graph, size, nodes)
    except _Refused as refused:
        return refusal_message(graph, refused.index, refused.inputs, refused.error), refused.error.empty
    return None


def current_size(graph: Graph, size: Size | None) -> Size:
    if size is not None:
        return size
    ids = graph.input_ids
    shape = graph.nodes[ids[0]].shape if ids else None
    return (shape[1], shape[2]) if shape else (1, 1)


def smallest_working_size(graph: Graph, nodes: Sequence[int] | None, current: Size) -> int | None:
    """Smallest square input side for which every layer has a non-empty output.

    Searches upward by doubling (at most to MAX_SIDE), then bisects; sizes
    where a layer fails for reasons other than size (mismatched branches)
    end the search with None."""
    high = max(current)
    while not works(graph, nodes, (high, high)):
        high *= 2
        if high > MAX_SIDE:
            return None
    return first_working(graph, nodes, range(1, high + 1))


def first_working(graph: Graph, nodes: Sequence[int] | None, sides: Sequence[int]) -> int:
    """The first of `sides` (ascending; the last works) from which every
    larger one works too: output sides grow with the input, so bisect."""
    low, high = -1, len(sides) - 1  # invariant: sides[low] fails (or low is -1), sides[high] works
    while high - low > 1:
        mid = (low + high) // 2
        if works(graph, nodes, (sides[mid], sides[mid])):
            high = mid
        else:
            low = mid
    return sides[high]


# --- many sizes at once -----------------------------------------------------------------

class Mixed(Exception):
    """A layer's rule branched on a test that differs between the sizes."""


@cache
def _uniform_class() -> type:
    """Sides at many sizes at once: a numpy array a rule may branch on
    (`if span < 0`) only when the test comes out the same at every size;
    otherwise `Mixed` sends that layer to the one-size-at-a-time path.
    (Made on first use: analysing one size does not load numpy.)"""
    import numpy as np

    class Uniform(np.ndarray):
        def __bool__(self) -> bool:
            plain = self.view(np.ndarray)
            if plain.all():
                return True
            if not plain.any():
                return False
            raise Mixed

    return Uniform


def uniform(values: np.ndarray) -> int | np.ndarray:
    """An int when every size agrees (so integer-only rules such as channel
    checks stay exact), else the values as a `Uniform` array."""
    import numpy as np

    values = np.asarray(values)
    first = values[0]
    if (values == first).all():
        return int(first)
    return values.view(_uniform_class())


def guarded(shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """Array entries as `Uniform` views: a rule may branch on them only when
    the test agrees at every point."""
    import numpy as np

    return tuple(v.view(_uniform_class()) if isinstance(v, np.ndarray) else v for v in shape)


# what a rule raises when it cannot take arrays (it branches differently at different sizes)
NOT_VECTORISED = (Mixed, TypeError, ValueError, ArithmeticError, FloatingPointError)


def propagate_many(graph: Graph, nodes: Sequence[int],
                   sizes: np.ndarray) -> tuple[dict[int, tuple[Any, ...]], np.ndarray]:
    """Every node's (C, H, W) at P input sizes (P x 2); each entry an int
    when it is the same at every size, else a (P,) array.  Computed with the
    layers' own `output_shape`: once on arrays where the rule allows, else
    once per size.  Also: at which sizes some layer refused its inputs."""
    import numpy as np

    points = len(sizes)
    failed = np.zeros(points, dtype=bool)
    shapes: dict[int, tuple[Any, ...]] = {}
    for i in graph.input_ids:
        node = graph.nodes[i]
        assert node.shape is not None
        c, h, w = node.shape
        if node.fixed:
            shapes[i] = (c, h, w)
        elif node.layout == TOKENS:  # a sequence's one size is its length
            shapes[i] = (c, uniform(sizes[:, 0]), w)
        else:
            shapes[i] = (c, uniform(sizes[:, 0]), uniform(sizes[:, 1]))
    for i in nodes:
        node = graph.nodes[i]
        if node.layer is None:
            continue
        inputs = [shapes[j] for j in node.inputs]
        try:
            with np.errstate(all="raise"):
                out = node.layer.output_shape(inputs)
            shapes[i] = tuple(uniform(v) if isinstance(v, np.ndarray) else int(v) for v in out)
        except (ShapeError, *NOT_VECTORISED):
            rows = []
            per_point = [list(zip(*(v.tolist() if isinstance(v, np.ndarray) else [v] * points
                                    for v in shape))) for shape in inputs]
            rule = node.layer.output_shape
            for p, one in enumerate(zip(*per_point)):
                try:
                    rows.append(rule(list(one)) if not failed[p] else one[0])
                except ShapeError:
                    failed[p] = True
                    rows.append(one[0])  # a stand-in; this size is reported as not running
            table = np.array(rows, dtype=np.int64).reshape(points, 3)
            shapes[i] = tuple(uniform(table[:, a]) for a in range(3))
    return shapes, failed
