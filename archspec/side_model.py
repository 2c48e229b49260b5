"""Every layer's output height and width as exact functions of the input size.

Why this works: a sliding window maps an input side n to floor((n + p - k) / s) + 1
(or the ceil form).  If n = a*q + b with `s` dividing `a`, that is
(a/s)*q + const: affine again.  So once the input side is split as
n = S*q + r with S a multiple of every downsampling stride on every path
(the network's *total stride*), every layer's output side is affine in q
within each residue class r -- for every size at which the network runs at
all (the ceil-mode "drop the last window" test depends only on r).
Transposed convolutions and resizes keep sides affine too.

So two sizes per residue class, measured with the layers' own shape rules
(`Layer.output_shape`, exactly as the engine runs them), give every side at
every size: `SideModel.sides` then computes them for any number of inputs
with numpy.  Each side follows one input axis (height or width; a `permute`
can swap them), which is measured too.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import lcm

import numpy as np

from .engine import input_shapes
from .errors import ArchError
from .graph import Graph
from .layers.base import Layer, Shape, ShapeError, pair

MAX_STRIDE = 4096  # beyond this the per-class tables get too large to be useful


def layer_stride(layer: Layer) -> int:
    """A multiple of the layer's downsampling factor along either axis.  Any
    multiple is safe (it only makes more residue classes); upsampling layers
    contribute nothing."""
    if layer.counts_as == "deconv":
        return 1
    factors: list[int] = []
    strides = getattr(layer, "strides", None)
    if callable(strides):
        factors.extend(strides())
    else:
        stride = getattr(layer, "stride", None)
        if isinstance(stride, (int, tuple)):
            factors.extend(pair(stride, "stride"))
    shrink = getattr(layer, "shrink", None)
    if isinstance(shrink, int):
        factors.append(shrink)
    return lcm(1, *factors)


def total_stride(graph: Graph, nodes: list[int]) -> int:
    """S: the least common multiple, over all paths, of the product of strides."""
    cumulative = [1] * len(graph.nodes)
    for i in nodes:
        node = graph.nodes[i]
        if node.layer is None:
            continue
        before = lcm(1, *(cumulative[j] for j in node.inputs))
        cumulative[i] = before * layer_stride(node.layer)
    return lcm(1, *(cumulative[i] for i in nodes))


def shapes_at(graph: Graph, nodes: list[int], size: tuple[int, int]) -> list[Shape | None]:
    """Every node's output shape at one input size (raises the bare ShapeError)."""
    shapes: list[Shape | None] = [None] * len(graph.nodes)
    for i, shape in input_shapes(graph, size).items():
        shapes[i] = shape
    for i in nodes:
        layer = graph.nodes[i].layer
        if layer is not None:
            shapes[i] = layer.output_shape([shapes[j] for j in graph.nodes[i].inputs])  # type: ignore[misc]
    return shapes


def _works(graph: Graph, nodes: list[int], size: tuple[int, int]) -> bool:
    try:
        shapes_at(graph, nodes, size)
        return True
    except ShapeError:
        return False


def _smallest(graph: Graph, nodes: list[int], base: int, axis: int) -> int:
    """Smallest side along `axis` that works with the other side at `base`
    (output sides grow with the input, so the working sizes are an interval)."""
    low, high = 0, base  # low fails (or is 0), high works
    while high - low > 1:
        mid = (low + high) // 2
        size = (mid, base) if axis == 0 else (base, mid)
        if _works(graph, nodes, size):
            high = mid
        else:
            low = mid
    return high


@dataclass(frozen=True)
class SideModel:
    """Output sides of `nodes` (graph node ids, execution order) at any input size."""

    nodes: list[int]
    stride: int  # S, the total stride
    base: int  # a multiple of S at which the network runs; probes start here
    min_size: tuple[int, int]  # smallest working height and width
    follows: np.ndarray  # (n, 2): input axis (0 = H, 1 = W) each node's height / width follows
    slope: np.ndarray  # (n, 2, S): change of each side per S added to the input side it follows
    offset: np.ndarray  # (n, 2, S): each side at input side base + r
    channels: list[int | None]  # constant channel count, None when it depends on the size
    fixed_side: np.ndarray  # (n, 2) bool: sides that never change with the input size

    def sides(self, heights: np.ndarray, widths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Node heights and widths, each (n, P), for P input sizes."""
        inputs = (np.asarray(heights, dtype=np.int64), np.asarray(widths, dtype=np.int64))
        n, points = len(self.nodes), len(inputs[0])
        values = np.empty((n, 2, points), dtype=np.int64)
        for source in (0, 1):  # nodes following one input axis share its residues
            steps = (inputs[source] - self.base) // self.stride
            residues = inputs[source] % self.stride  # base is a multiple of S
            for axis in (0, 1):
                rows = np.flatnonzero(self.follows[:, axis] == source)
                if len(rows):
                    offset = self.offset[rows, axis][:, residues]
                    slope = self.slope[rows, axis][:, residues]
                    values[rows, axis] = offset + slope * steps
        return values[:, 0, :], values[:, 1, :]

    def works(self, heights: np.ndarray, widths: np.ndarray) -> np.ndarray:
        """Whether the network runs at each size (no layer's output is empty)."""
        return (np.asarray(heights) >= self.min_size[0]) & (np.asarray(widths) >= self.min_size[1])


class _Mixed(Exception):
    """A layer's rule branched on a test that differs between the probed sizes."""


class _Uniform(np.ndarray):
    """Sides at many sizes at once.  A rule may branch on them (`if span < 0`)
    only when the test comes out the same at every size; otherwise `_Mixed`
    sends that layer to the one-size-at-a-time path."""

    def __bool__(self) -> bool:
        plain = self.view(np.ndarray)
        if plain.all():
            return True
        if not plain.any():
            return False
        raise _Mixed


def _column(values: object, points: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=np.int64), (points,))


def _propagate(graph: Graph, nodes: list[int], sizes: np.ndarray) -> dict[int, tuple]:
    """Every node's (C, H, W) at P input sizes (P x 2); each entry an int
    when it is the same at every size, else a (P,) array.  Computed with the
    layers' own `output_shape`: once on arrays where the rule allows, else
    once per size."""
    points = len(sizes)
    shapes: dict[int, tuple] = {}
    for i in graph.input_ids:
        node = graph.nodes[i]
        assert node.shape is not None
        c, h, w = node.shape
        shapes[i] = (c, h, w) if node.fixed else (c, _uniform(sizes[:, 0]), _uniform(sizes[:, 1]))
    for i in nodes:
        node = graph.nodes[i]
        if node.layer is None:
            continue
        inputs = [shapes[j] for j in node.inputs]
        try:
            with np.errstate(all="raise"):
                out = node.layer.output_shape(inputs)  # type: ignore[arg-type]
            shapes[i] = tuple(_uniform(v) if isinstance(v, np.ndarray) else int(v) for v in out)
        except (_Mixed, TypeError, ValueError, FloatingPointError, ArithmeticError):
            rows = []
            for p in range(points):
                one = [tuple(int(v[p]) if isinstance(v, np.ndarray) else v for v in shape)
                       for shape in inputs]
                try:
                    rows.append(node.layer.output_shape(one))  # type: ignore[arg-type]
                except ShapeError as exc:
                    raise ArchError(f"at input {sizes[p][0]} x {sizes[p][1]} '{node.name}' does not run "
                                    f"({exc}), although the network runs at a smaller size; "
                                    "its cost has no per-size model") from None
            table = np.array(rows, dtype=np.int64).reshape(points, 3)
            shapes[i] = tuple(_uniform(table[:, a]) for a in range(3))
        except ShapeError as exc:
            raise ArchError(f"'{node.name}' does not run at every probed size ({exc}); "
                            "its cost has no per-size model") from None
    return shapes


def _uniform(values: np.ndarray) -> int | np.ndarray:
    """An int when every size agrees (so integer-only rules such as channel
    checks stay exact), else the values as a `_Uniform` array."""
    values = np.asarray(values)
    first = values[0]
    if (values == first).all():
        return int(first)
    return values.view(_Uniform)


def _first_working(graph: Graph, nodes: list[int], candidate: int, base: int, axis: int) -> int:
    """The affine tables extended below the probes give a candidate smallest
    side; the engine's rules confirm it (and walk up past ceil-mode edge cases)."""
    side = max(1, candidate)
    while side < base:
        size = (side, base) if axis == 0 else (base, side)
        if _works(graph, nodes, size):
            break
        side += 1
    while side > 1:  # the candidate may also be too cautious
        size = (side - 1, base) if axis == 0 else (base, side - 1)
        if not _works(graph, nodes, size):
            break
        side -= 1
    return side


def build_side_model(graph: Graph, nodes: list[int]) -> SideModel:
    """Measure every side at two sizes per residue class and at two
    off-diagonal sizes (to see which axis each side follows)."""
    stride = total_stride(graph, nodes)
    if stride > MAX_STRIDE:
        raise ArchError(f"the total stride {stride} is too large for a per-size model")
    first = graph.nodes[graph.input_ids[0]].shape
    assert first is not None
    base = stride * max(1, -(-max(first[1], first[2]) // stride))
    while not _works(graph, nodes, (base, base)):
        base *= 2
        if base > 1 << 20:
            raise ArchError("the network runs at no square input size up to 2^20")
    diagonal = base + np.arange(2 * stride, dtype=np.int64)
    sizes = np.concatenate([np.stack([diagonal, diagonal], axis=1),
                            np.array([[base + stride, base], [base, base + stride]], dtype=np.int64)])
    shapes = _propagate(graph, nodes, sizes)
    n = len(nodes)
    points = len(sizes)
    table = np.stack([np.stack([_column(v, points) for v in shapes[i]], axis=1) for i in nodes])  # (n, P, 3)
    square, at_h, at_w = table[:, :2 * stride, :], table[:, -2, :], table[:, -1, :]
    moved_by_h = at_h[:, 1:] != square[:, 0, 1:]  # (n, 2)
    moved_by_w = at_w[:, 1:] != square[:, 0, 1:]
    both = np.argwhere(moved_by_h & moved_by_w)
    if len(both):
        k, axis = both[0]
        name = graph.nodes[nodes[k]].name
        raise ArchError(f"the {'height' if axis == 0 else 'width'} of '{name}' depends on both input "
                        "height and width; its cost has no per-axis model")
    follows = moved_by_w.astype(np.intp)
    fixed = ~(moved_by_h | moved_by_w)
    offset = np.ascontiguousarray(square[:, :stride, 1:].transpose(0, 2, 1))  # (n, 2, S)
    slope = np.ascontiguousarray((square[:, stride:, 1:] - square[:, :stride, 1:]).transpose(0, 2, 1))
    channels: list[int | None] = []
    for k in range(n):
        column = table[k, :, 0]
        channels.append(int(column[0]) if (column == column[0]).all() else None)
    model = SideModel(nodes, stride, base, (1, 1), follows, slope, offset, channels, fixed)
    min_size = []
    for axis in (0, 1):
        trial = np.arange(1, base + 1, dtype=np.int64)
        other = np.full_like(trial, base)
        heights, widths = model.sides(*((trial, other) if axis == 0 else (other, trial)))
        positive = (heights >= 1).all(axis=0) & (widths >= 1).all(axis=0)
        candidate = int(trial[np.argmax(positive)]) if positive.any() else base
        min_size.append(_first_working(graph, nodes, candidate, base, axis))
    return SideModel(nodes, stride, base, (min_size[0], min_size[1]), follows, slope, offset,
                     channels, fixed)
