"""Costs over a grid of input sizes, batches and parameter values, vectorised.

Shapes come from the `SideModel` (every side as an exact function of the
input size); parameters, FLOPs and MACs come from the layers' own methods and
the convention's rules, called once per layer on numpy arrays holding the
value at every grid point.  A rule that cannot take arrays (one that
branches on a shape) is evaluated point by point instead, so the figures are
always the engine's own.

Sizes at which the network does not run (some layer's output would be empty,
or branches that meet disagree in size) are not an error of the sweep: they
come back as rows with `error` set and no figures, and the rest of the grid
is still reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any

import numpy as np

from ..conventions import Convention, get_convention
from ..errors import ArchError
from ..graph.layer_graph import Graph
from ..graph.shapes import NOT_VECTORISED, guarded, propagate_many, refusal, smallest_hint, smallest_working_size
from ..graph.sides import SideModel, build_side_model
from ..kinds import Layer
from ..kinds.shape import TOKENS
from ..kinds.site import Site
from ..limits import MAX_POINTS
from .engine import analysed_nodes, analyze, check_dtype, priced, shared_counts
from .size_notes import ChannelsFollowSize, channels_following_sizes

QUANTITIES = ("params", "buffers", "param_bytes", "feature_bytes", "flops", "macs")
EXACT_LIMIT = 1 << 24  # above this many pixels per image, count with Python ints (no int64 overflow)
# int64 holds figures up to 2^63.  A grid whose largest figure (at its largest
# size, where figures peak) passes 2^53 is counted with Python ints; the 2^10
# between the two covers a figure that is not largest at the largest size.
EXACT_FIGURE = 1 << 53
# The side model keeps sides in int64 while it is built: a network whose
# sides pass this (an upsampling run away) is evaluated size by size instead.
MODEL_SIDE = 1 << 31


_MODELS: dict[tuple[int, str | None], tuple[Graph, SideModel]] = {}


def side_model(graph: Graph, upto: str | None = None) -> SideModel:
    """The graph's side model, remembered for the last few graphs (a loaded
    graph is not changed afterwards; the graph is kept so its id stays unique)."""
    key = (id(graph), upto)
    if key not in _MODELS or _MODELS[key][0] is not graph:
        if len(_MODELS) >= 16:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = (graph, build_side_model(graph, analysed_nodes(graph, upto)))
    return _MODELS[key][1]


@dataclass
class GridCosts:
    """Totals of one image (batch 1) at P sizes; `layers` per layer if asked."""

    heights: np.ndarray
    widths: np.ndarray
    totals: dict[str, np.ndarray]
    layers: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def _as_points(value: Any, points: int, dtype: Any) -> np.ndarray:
    array = np.asarray(value, dtype=dtype)
    return np.broadcast_to(array, (points,)) if array.shape != (points,) else array


def _pointwise(function: Any, inputs: list[tuple[Any, ...]], output: tuple[Any, ...],
               points: int) -> list[tuple[Any, ...]]:
    """Evaluate function(inputs, output) at each point with plain ints."""
    values = []
    for p in range(points):
        ins = [tuple(int(v[p]) if isinstance(v, np.ndarray) else int(v) for v in s) for s in inputs]
        out = tuple(int(v[p]) if isinstance(v, np.ndarray) else int(v) for v in output)
        values.append(function(ins, out))
    return values


def kept_arrays(graph: Graph, nodes: list[int]) -> dict[int, int]:
    """How many output-sized arrays each layer's feature memory counts, as the
    engine decides it: its kind's count, or 0 for a layer that writes over an
    input no other layer reads."""
    readers: dict[int, int] = {}
    for i in nodes:
        for j in graph.nodes[i].inputs:
            readers[j] = readers.get(j, 0) + 1
    kept = {}
    for i in nodes:
        layer = graph.nodes[i].layer
        if layer is not None:
            in_place = layer.storage.inference == "in place" and readers[graph.nodes[i].inputs[0]] == 1
            kept[i] = 0 if in_place else layer.feature_arrays
    return kept


def _evaluate(function: Any, inputs: list[tuple[Any, ...]], output: tuple[Any, ...], points: int,
              dtype: Any) -> list[np.ndarray]:
    """The figures function(inputs, output) returns, each at every point: computed
    once on arrays where the rules allow, else one point at a time."""
    try:
        with np.errstate(all="raise"):
            values = function([guarded(s) for s in inputs], guarded(output))
        return [_as_points(np.asarray(v).view(np.ndarray), points, dtype) for v in values]
    except NOT_VECTORISED:
        # a rule that branches differently at different sizes: one point at a time
        table = _pointwise(function, inputs, output, points)
        return [np.array([row[k] for row in table], dtype=object).astype(dtype) for k in range(len(table[0]))]


def _channels(graph: Graph, index: int, inputs: list[tuple[Any, ...]], points: int) -> np.ndarray:
    """A size-dependent channel count (after flatten): the layer's own rule at
    each distinct input shape."""
    layer = graph.nodes[index].layer
    assert layer is not None
    columns = [np.broadcast_to(np.asarray(v, dtype=np.int64), (points,)) for s in inputs for v in s]
    table = np.stack(columns, axis=1)
    unique, inverse = np.unique(table, axis=0, return_inverse=True)
    channels = []
    for row in unique:
        values = [int(v) for v in row]
        shapes = [tuple(values[3 * k:3 * k + 3]) for k in range(len(inputs))]
        channels.append(layer.output_shape(shapes)[0])  # type: ignore[arg-type]
    return np.asarray(channels, dtype=np.int64)[inverse.reshape(-1)]


def _shared_at(layer: Layer, owner: Layer, own_inputs: int) -> Any:
    """shared_counts as a function of (inputs, output) where the inputs are the
    layer's own, then its owner's, then its owner's output."""
    def counts(ins: list[Any], out: Any) -> tuple[Any, Any]:
        mine, theirs = ins[:own_inputs], ins[own_inputs:]
        return shared_counts(layer, Site(layer, tuple(mine), out), owner, Site(owner, tuple(theirs[:-1]), theirs[-1]))
    return counts


def grid_costs(graph: Graph, heights: Any, widths: Any, upto: str | None = None,
               dtype: str = "float32", convention: str | Convention = "burden",
               per_layer: bool = False, exact: bool = False) -> GridCosts:
    """Totals at every (height, width) pair; sizes must all be working sizes.
    `exact`: count with Python ints whatever the size (see `largest_figures`)."""
    rules = get_convention(convention) if isinstance(convention, str) else convention
    width_bytes = check_dtype(dtype)
    model = side_model(graph, upto)
    hs = np.asarray(heights, dtype=np.int64).reshape(-1)
    ws = np.asarray(widths, dtype=np.int64).reshape(-1)
    points = len(hs)
    big = exact or (points and int(hs.max()) * int(ws.max()) > EXACT_LIMIT)
    number: Any = object if big else np.int64
    node_h, node_w = model.sides(hs, ws)
    if big:
        node_h, node_w = node_h.astype(object), node_w.astype(object)
    shapes: dict[int, tuple[Any, ...]] = {}
    for k, i in enumerate(model.nodes):
        h = node_h[k] if not model.fixed_side[k, 0] else int(node_h[k][0]) if points else 0
        w = node_w[k] if not model.fixed_side[k, 1] else int(node_w[k][0]) if points else 0
        c: Any = model.channels[k]
        if c is None:
            c = _channels(graph, i, [shapes[j] for j in graph.nodes[i].inputs], points)
            if big:
                c = c.astype(object)
        shapes[i] = (c, h, w)
    return _priced_grid(graph, model.nodes, shapes, hs, ws, number, rules, width_bytes, per_layer)


PROBE_EXACT_LIMIT = 1 << 18  # above this many positions (or tokens squared), count with Python ints


def probe_costs(graph: Graph, heights: Any, widths: Any, upto: str | None = None,
                dtype: str = "float32", convention: str | Convention = "burden",
                exact: bool = False) -> tuple[GridCosts, np.ndarray]:
    """Totals at every (height, width) pair for a network that has no per-axis
    side model (a token sequence made from H x W, a sequence whose length is
    bounded): every layer's shape from its own rule on arrays (graph/shapes.py),
    then the same pricing as `grid_costs`.  Also: the sizes at which the network
    does not run (their figures are meaningless)."""
    rules = get_convention(convention) if isinstance(convention, str) else convention
    width_bytes = check_dtype(dtype)
    nodes = analysed_nodes(graph, upto)
    hs = np.asarray(heights, dtype=np.int64).reshape(-1)
    ws = np.asarray(widths, dtype=np.int64).reshape(-1)
    shapes, failed = propagate_many(graph, nodes, np.stack([hs, ws], axis=1))
    # a product of token counts can pass int64 long before the sides do
    big = exact or (len(hs) and int(hs.max()) * int(ws.max()) > PROBE_EXACT_LIMIT)
    number: Any = object if big else np.int64
    if big:
        shapes = {i: tuple(v.astype(object) if isinstance(v, np.ndarray) else v for v in shape)
                  for i, shape in shapes.items()}
    return _priced_grid(graph, nodes, shapes, hs, ws, number, rules, width_bytes, False), failed


def _priced_grid(graph: Graph, nodes: list[int], shapes: dict[int, tuple[Any, ...]], hs: np.ndarray,
                 ws: np.ndarray, number: Any, rules: Convention, width_bytes: int,
                 per_layer: bool) -> GridCosts:
    """The engine's own pricing of every layer of `nodes`, on arrays holding its
    shapes at every point."""
    points = len(hs)
    kept = kept_arrays(graph, nodes)
    totals = {q: np.zeros(points, dtype=number) for q in ("params", "buffers", "flops", "macs", "feature_bytes")}
    layers: dict[str, dict[str, np.ndarray]] = {}
    for i in nodes:
        node = graph.nodes[i]
        layer = node.layer
        if layer is None:
            continue
        inputs = [shapes[j] for j in node.inputs]
        out = shapes[i]
        # the engine's own pricing, on arrays holding every size at once
        params, buffers, flops, macs, inside = _evaluate(
            lambda ins, o, layer=layer: priced(layer, Site(layer, tuple(ins), o), rules),
            inputs, out, points, number)
        if node.shares is not None and node.shares in shapes:  # weights counted at their owner
            owner = graph.nodes[node.shares]
            assert owner.layer is not None
            owner_inputs = [shapes[j] for j in owner.inputs] + [shapes[node.shares]]
            shared, shared_buffers = _evaluate(_shared_at(layer, owner.layer, len(inputs)),
                                               inputs + owner_inputs, out, points, number)
            params, buffers = params - shared, buffers - shared_buffers
        arrays = kept[i]
        (feature,) = _evaluate(lambda ins, o, arrays=arrays: (arrays * prod(o) * width_bytes,),
                               inputs, out, points, number)
        feature = feature + inside * width_bytes
        for name, value in (("params", params), ("buffers", buffers), ("flops", flops),
                            ("macs", macs), ("feature_bytes", feature)):
            totals[name] = totals[name] + value
        if per_layer:
            layers[node.name] = {"params": params, "buffers": buffers, "flops": flops,
                                 "macs": macs, "feature_bytes": feature}
    totals["param_bytes"] = (totals["params"] + totals["buffers"]) * width_bytes
    return GridCosts(hs, ws, totals, layers)


# --- the sweep command's grid ---------------------------------------------------------

@dataclass
class SweepRow:
    values: dict[str, Any]  # the parameter values of this row
    height: int
    width: int
    batch: int
    figures: dict[str, int] | None  # None: the network does not run at this size
    error: str | None = None
    size_notes: list[ChannelsFollowSize] = field(default_factory=list)  # weights that differ from the reference's
    tokens: bool = False  # the input is a token sequence: its one size is `height`, its length


CHUNK = 4096  # sizes evaluated together: bounds memory at (layers x CHUNK) per array


def _chunked_totals(graph: Graph, hs: np.ndarray, ws: np.ndarray, upto: str | None,
                    dtype: str, convention: str, exact: bool) -> dict[str, np.ndarray]:
    parts = [grid_costs(graph, hs[i:i + CHUNK], ws[i:i + CHUNK], upto, dtype, convention, exact=exact).totals
             for i in range(0, max(len(hs), 1), CHUNK)]
    return {q: np.concatenate([part[q] for part in parts]) for q in QUANTITIES}


def sweep_graph(graph: Graph, sizes: list[tuple[int, int]], batches: list[int],
                upto: str | None = None, dtype: str = "float32", convention: str = "burden",
                values: dict[str, Any] | None = None) -> list[SweepRow]:
    """Rows for one graph: every size x batch.  Sizes the side model covers
    are evaluated together; the rest (below the size from which the model
    holds) one at a time by the engine itself.  A network with no per-axis
    side model (tokens made from H x W, Swin's windows, a sequence with a
    bounded length) is priced at every size together from the layers' own
    shape rules."""
    nodes = analysed_nodes(graph, upto)  # user errors (an unknown `upto`) surface here
    try:
        model: SideModel | None = side_model(graph, upto)
    except ArchError:
        model = None
    hs = np.array([h for h, _ in sizes], dtype=np.int64)
    ws = np.array([w for _, w in sizes], dtype=np.int64)
    if model is None:
        return _probed_rows(graph, hs, ws, batches, upto, dtype, convention, values)
    fast = model.works(hs, ws, graph)
    totals: dict[str, np.ndarray] = {}
    if fast.any():
        figure, side = largest_figures(graph, hs[fast], ws[fast], upto, dtype, convention)
        if side > MODEL_SIDE:  # beyond the side model's int64: the engine, size by size
            model, fast = None, np.zeros(len(sizes), dtype=bool)
        else:
            totals = _chunked_totals(graph, hs[fast], ws[fast], upto, dtype, convention, figure > EXACT_FIGURE)
    position = {int(p): k for k, p in enumerate(np.flatnonzero(fast))}
    refusals = Refusals(graph, nodes)
    per_size: list[SizeFigures] = []
    for p, (h, w) in enumerate(sizes):
        one: dict[str, int] | None
        error: str | None = None
        if p in position:
            one = {q: int(totals[q][position[p]]) for q in QUANTITIES}
        else:
            one, error = _engine_figures(graph, refusals, model, (h, w), upto, dtype, convention)
        per_size.append((h, w, one, error))
    return _rows(graph, nodes, per_size, batches, values)


# A size (height, width), its figures for one image, or why it does not run.
SizeFigures = tuple[int, int, dict[str, int] | None, str | None]


def _rows(graph: Graph, nodes: list[int], per_size: list[SizeFigures],
          batches: list[int], values: dict[str, Any] | None) -> list[SweepRow]:
    """A row per size and batch from each size's figures for one image (or
    why it does not run), with the notes of the sizes whose parameters change."""
    running = [(h, w) for h, w, one, _ in per_size if one is not None]
    notes = iter(channels_following_sizes(graph, nodes, running))
    rows = []
    tokens = graph.nodes[graph.input_ids[0]].layout == TOKENS  # (a scan of every node: once, not per row)
    for h, w, one, error in per_size:
        said = next(notes) if one is not None else []
        for batch in batches:
            figures = None
            if one is not None:
                figures = dict(one)
                for q in ("flops", "macs", "feature_bytes"):  # the engine multiplies each layer by the batch
                    figures[q] *= batch
            rows.append(SweepRow(dict(values or {}), h, w, batch, figures, error, said, tokens))
    return rows


def _probed_rows(graph: Graph, hs: np.ndarray, ws: np.ndarray, batches: list[int], upto: str | None,
                 dtype: str, convention: str, values: dict[str, Any] | None) -> list[SweepRow]:
    """Rows for a network without a per-axis side model: every size priced
    together from the layers' own shape rules (`probe_costs`)."""
    totals: dict[str, np.ndarray] = {q: np.zeros(0, dtype=np.int64) for q in QUANTITIES}
    failed = np.zeros(0, dtype=bool)
    exact = len(hs) > 0 and largest_figures(graph, hs, ws, upto, dtype, convention)[0] > EXACT_FIGURE
    for start in range(0, len(hs), CHUNK):
        part, bad = probe_costs(graph, hs[start:start + CHUNK], ws[start:start + CHUNK], upto, dtype, convention,
                                exact)
        totals = {q: np.concatenate([totals[q], part.totals[q]]) for q in QUANTITIES}
        failed = np.concatenate([failed, bad])
    nodes = analysed_nodes(graph, upto)
    refusals = Refusals(graph, nodes)
    per_size: list[SizeFigures] = []
    for p, (h, w) in enumerate(zip(hs.tolist(), ws.tolist())):
        one = None if failed[p] else {q: int(totals[q][p]) for q in QUANTITIES}
        error = None if one is not None else refusals.why((h, w)) or "the network does not run at this size"
        per_size.append((h, w, one, error))
    return _rows(graph, nodes, per_size, batches, values)


def largest_figures(graph: Graph, hs: np.ndarray, ws: np.ndarray, upto: str | None, dtype: str,
                    convention: str) -> tuple[int, int]:
    """A cheap bound, before the grid is counted: the largest total figure and
    the largest side of any layer, by the engine (exact integers) at the grid's
    largest height and width.  Figures grow with the size, so the grid stays
    within them (EXACT_FIGURE's margin covers the exceptions).  Where the engine
    cannot run there, the bound is unknown: infinite, i.e. count exactly."""
    try:
        largest = analyze(graph, (int(hs.max()), int(ws.max())), 1, upto, dtype, convention)
    except ArchError:
        return EXACT_FIGURE + 1, 0
    t = largest.totals
    side = max((max(cost.output_shape[1:]) for cost in largest.layers), default=0)
    return max(t.params + t.buffers, t.param_bytes, t.feature_bytes, t.flops, t.macs), side


class Refusals:
    """Why the network does not run at a size, as `analyze` says it: the
    layer that refuses, its reason and, for an input that is too small, the
    smallest square input that works (searched once per graph)."""

    def __init__(self, graph: Graph, nodes: list[int]) -> None:
        self.graph, self.nodes = graph, nodes
        self.smallest: int | None = None
        self.searched = False

    def why(self, size: tuple[int, int]) -> str | None:
        found = refusal(self.graph, self.nodes, size)
        if found is None:
            return None
        message, empty = found
        if empty:
            if not self.searched:
                self.smallest = smallest_working_size(self.graph, self.nodes, size)
                self.searched = True
            if self.smallest is not None:
                message += f"; {smallest_hint(self.smallest)}"
        return message


def _engine_figures(graph: Graph, refusals: Refusals, model: SideModel | None, size: tuple[int, int],
                    upto: str | None, dtype: str, convention: str) -> tuple[dict[str, int] | None, str | None]:
    """One size the model does not cover: the engine's figures, or why it does not run."""
    reason = refusals.why(size)
    if reason is not None:
        return None, reason
    if model is not None and not (size[0] < model.min_size[0] or size[1] < model.min_size[1]):
        # the model says it does not run, the layers say it does: the model's reason
        return None, model.failure(*size)
    totals = analyze(graph, size, 1, upto, dtype, convention).totals
    figures = {q: getattr(totals, q) for q in QUANTITIES}
    return figures, None


def sweep(path: str, sizes: list[tuple[int, int]], batches: list[int],
          set_grid: list[dict[str, Any]], upto: str | None = None, dtype: str = "float32",
          convention: str = "burden") -> list[SweepRow]:
    from ..graph.load import load_graph
    from ..syntax.parser import parses_remembered

    points = len(sizes) * len(batches) * max(len(set_grid), 1)
    if points > MAX_POINTS:
        raise ArchError(f"the grid has {points:,} points (sizes x batches x parameter values); "
                        f"at most {MAX_POINTS:,} are swept at once")
    rows: list[SweepRow] = []
    with parses_remembered():  # the files are read for every value, but parsed once
        for values in set_grid or [{}]:
            graph = load_graph(path, values)
            rows.extend(sweep_graph(graph, sizes, batches, upto, dtype, convention, values))
    return rows
