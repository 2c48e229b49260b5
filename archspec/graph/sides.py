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
(`Layer.output_shape`, through graph/shapes.py as the engine runs them), give every side at
every size: `SideModel.sides` then computes them for any number of inputs
with numpy.  Each side follows one input axis (height or width; a `permute`
can swap them), which is measured too.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import lcm

import numpy as np
from numpy.typing import ArrayLike

from ..errors import ArchError
from ..kinds import Layer
from ..limits import MAX_SIDE, MAX_STRIDE
from .layer_graph import Graph
from .shapes import first_working, propagate_many, works


def layer_stride(layer: Layer) -> int:
    """A multiple of the layer's downsampling factor along either axis.  Any
    multiple is safe (it only makes more residue classes); upsampling layers
    contribute nothing."""
    return lcm(1, *layer.downsampling())


def total_stride(graph: Graph, nodes: list[int]) -> int:
    """S: the least common multiple, over all paths, of the product of strides."""
    cumulative = [1] * len(graph.nodes)
    for i in nodes:
        node = graph.nodes[i]
        if node.layer is None:
            continue
        before = lcm(1, *(cumulative[node.inputs[k]] for k in node.layer.side_inputs(len(node.inputs))))
        cumulative[i] = before * layer_stride(node.layer)
    return lcm(1, *(cumulative[i] for i in nodes))


@dataclass(frozen=True)
class SideModel:
    """Output sides of `nodes` (graph node ids, execution order) at any input size."""

    nodes: list[int]
    stride: int  # S, the total stride
    base: int  # a multiple of S at which the network runs; probes start here
    min_size: tuple[int, int]  # height and width from which the model is exact and the network runs
    runs: np.ndarray  # (2, S) bool: input heights / widths of residue r at which the network runs
    square_start: int  # from N x N up, the network runs at every H, W >= N (in the classes it runs in)
    follows: np.ndarray  # (n, 2): input axis (0 = H, 1 = W) each node's height / width follows
    slope: np.ndarray  # (n, 2, S): change of each side per S added to the input side it follows
    offset: np.ndarray  # (n, 2, S): each side at input side base + r
    channels: list[int | None]  # constant channel count, None when it depends on the size
    fixed_side: np.ndarray  # (n, 2) bool: sides that never change with the input size

    def sides(self, heights: ArrayLike, widths: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
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

    def modelled(self, heights: ArrayLike, widths: ArrayLike) -> np.ndarray:
        """Sizes the model describes exactly: from `min_size` up, in the
        residue classes in which the network runs."""
        hs, ws = np.asarray(heights, dtype=np.int64), np.asarray(widths, dtype=np.int64)
        inside: np.ndarray = ((hs >= self.min_size[0]) & (ws >= self.min_size[1])
                              & self.runs[0][hs % self.stride] & self.runs[1][ws % self.stride])
        return inside

    def works(self, heights: ArrayLike, widths: ArrayLike, graph: Graph) -> np.ndarray:
        """Whether the network runs at each size.  Within the model's range,
        sizes below `square_start` on some axis are confirmed with the layers'
        own rules (a layer may need H x W large enough, e.g. enough anchors)."""
        hs, ws = np.asarray(heights, dtype=np.int64), np.asarray(widths, dtype=np.int64)
        ok = self.modelled(hs, ws)
        unsure = np.flatnonzero(ok & ((hs < self.square_start) | (ws < self.square_start)))
        for p in unsure:
            ok[p] = works(graph, self.nodes, (int(hs[p]), int(ws[p])))
        return ok

    def failure(self, height: int, width: int) -> str:
        """Why the network does not run at this size."""
        in_running_class = self.runs[0][height % self.stride] and self.runs[1][width % self.stride]
        if (height < self.square_start or width < self.square_start) and in_running_class:
            return (f"input too small: the network needs at least {self.square_start} x "
                    f"{self.square_start}, or more on one side than the other")
        if height < self.min_size[0] or width < self.min_size[1]:
            return (f"below {self.min_size[0]} x {self.min_size[1]}, the smallest size from which "
                    "the per-size model holds")
        return (f"branches that meet disagree in size at {height} x {width} (the network runs only "
                f"at some residues of the input size modulo {self.stride})")


def _column(values: object, points: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=np.int64), (points,))


def build_side_model(graph: Graph, nodes: list[int]) -> SideModel:
    """Measure every side at two sizes per residue class of each axis (the
    other axis held at a size that works), in one pass over the layers."""
    stride = total_stride(graph, nodes)
    if stride > MAX_STRIDE:
        raise ArchError(f"the total stride {stride} is too large for a per-size model")
    first = graph.nodes[graph.input_ids[0]].shape
    assert first is not None
    base = stride * max(1, -(-max(first[1], first[2]) // stride))
    while not works(graph, nodes, (base, base)):
        base *= 2
        if base > MAX_SIDE:
            raise ArchError("the network runs at no square input size up to 2^20 that is a "
                            f"multiple of its total stride {stride}")
    steps = base + np.arange(2 * stride, dtype=np.int64)
    held = np.full_like(steps, base)
    sizes = np.concatenate([np.stack([steps, held], axis=1), np.stack([held, steps], axis=1)])
    shapes, failed = propagate_many(graph, nodes, sizes)
    n, half = len(nodes), 2 * stride
    table = np.stack([np.stack([_column(v, 2 * half) for v in shapes[i]], axis=1) for i in nodes])  # (n, 4S, 3)
    runs = np.ones((2, stride), dtype=bool)
    for axis in (0, 1):
        bad = failed[axis * half:(axis + 1) * half]
        runs[axis] = ~(bad[:stride] | bad[stride:])
        if not runs[axis].any():
            raise ArchError("the network runs at no residue of the input size")
    good = np.concatenate([np.tile(runs[0], 2), np.tile(runs[1], 2)])
    moved = np.zeros((n, 2, 2), dtype=bool)  # node, side (H, W), input axis that moves it
    for source in (0, 1):
        block = table[:, source * half:(source + 1) * half, 1:][:, good[source * half:(source + 1) * half]]
        moved[:, :, source] = (block != block[:, :1]).any(axis=1)
    both = np.argwhere(moved[:, :, 0] & moved[:, :, 1])
    if len(both):
        k, axis = both[0]
        name = graph.nodes[nodes[k]].name
        raise ArchError(f"the {'height' if axis == 0 else 'width'} of '{name}' depends on both input "
                        "height and width; its cost has no per-axis model")
    follows = moved[:, :, 1].astype(np.intp)
    fixed = ~(moved[:, :, 0] | moved[:, :, 1])
    offset = np.zeros((n, 2, stride), dtype=np.int64)
    slope = np.zeros((n, 2, stride), dtype=np.int64)
    for axis in (0, 1):
        for source in (0, 1):
            rows = np.flatnonzero(follows[:, axis] == source)
            block = table[rows, source * half:(source + 1) * half, 1 + axis]  # (rows, 2S)
            offset[rows, axis] = np.where(runs[source], block[:, :stride], 0)
            slope[rows, axis] = np.where(runs[source], block[:, stride:] - block[:, :stride], 0)
    channels: list[int | None] = []
    for k in range(n):
        column = table[k, good, 0]
        channels.append(int(column[0]) if (column == column[0]).all() else None)
    model = SideModel(nodes, stride, base, (1, 1), runs, base, follows, slope, offset, channels, fixed)
    start = (_model_start(graph, model, 0), _model_start(graph, model, 1))
    square = _square_start(graph, nodes, max(start), base, runs, stride)
    return SideModel(nodes, stride, base, start, runs, square, follows, slope, offset, channels, fixed)


def _square_start(graph: Graph, nodes: list[int], low: int, base: int, runs: np.ndarray,
                  stride: int) -> int:
    """Smallest N from which every N' x N' (N' >= N, in running classes) runs;
    output sides grow with the input, so bisect."""
    candidates = [n for n in range(low, base + 1) if runs[0][n % stride] and runs[1][n % stride]]
    return first_working(graph, nodes, candidates)  # the last candidate, base, works


def _model_start(graph: Graph, model: SideModel, axis: int) -> int:
    """The smallest side along `axis` from which the model is exact and the
    network runs (in the residues where it runs at all).  Every smaller side
    is checked with the layers' own rules in one pass: below the probes a
    rule may clamp (a proposal count that saturates) or an output may empty."""
    base = model.base
    trial = np.arange(1, base, dtype=np.int64)
    if not len(trial):
        return 1
    held = np.full_like(trial, base)
    heights, widths = (trial, held) if axis == 0 else (held, trial)
    shapes, failed = propagate_many(graph, model.nodes, np.stack([heights, widths], axis=1))
    expect_h, expect_w = model.sides(heights, widths)
    points = len(trial)
    real = np.stack([np.stack([_column(shapes[i][1], points), _column(shapes[i][2], points)])
                     for i in model.nodes])  # (n, 2, P)
    agrees = (real[:, 0] == expect_h).all(axis=0) & (real[:, 1] == expect_w).all(axis=0)
    in_class = model.runs[axis][trial % model.stride]
    wrong = in_class & (failed | ~agrees)
    return int(trial[np.flatnonzero(wrong)[-1]]) + 1 if wrong.any() else 1
