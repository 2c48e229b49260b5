"""The analytic engine: one pass over the graph in execution order computes,
per layer, output shape, parameters, buffers, FLOPs, MACs and feature memory.

Nothing here runs a network; every figure is a layer kind's own formula
evaluated on shapes.  Views (table, JSON, reports) only format an
`Analysis`; they never recompute.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from math import prod
from typing import Any

from ..conventions import Convention, get_convention
from ..errors import ArchError
from ..gc_pause import gc_paused
from ..graph.layer_graph import Graph
from ..graph.shapes import infer_shapes
from ..kinds import Layer, Shape
from ..kinds.shape import IMAGE
from ..kinds.site import Site
from ..limits import MAX_SIDE
from .catalogue import DTYPE_BYTES
from .size_notes import ChannelsFollowSize, channels_following_size, reference_size


@dataclass(slots=True)
class LayerCost:
    """One layer's figures, with the layer and the shapes they were computed at."""

    name: str
    kind: str
    inputs: list[str]
    output_shape: Shape
    params: int
    buffers: int
    flops: int
    macs: int
    feature_bytes: int
    param_bytes: int
    path: str
    line: int
    layer: Layer
    input_shapes: tuple[Shape, ...]
    node: int  # the graph node it belongs to
    layout: str  # its output an image or a token sequence
    input_layouts: tuple[str, ...]
    shared_params: int = 0  # learnable elements it uses but another layer holds (counted there)
    shares: str | None = None  # the layer whose weights it uses

    @property
    def site(self) -> Site:
        return Site(self.layer, self.input_shapes, self.output_shape)


@dataclass(slots=True)
class Totals:
    params: int = 0
    buffers: int = 0
    param_bytes: int = 0
    feature_bytes: int = 0
    flops: int = 0
    macs: int = 0
    output_shape: Shape = (0, 0, 0)
    output_layout: str = IMAGE


@dataclass(slots=True)
class Analysis:
    model: str
    input_shape: Shape
    batch: int
    convention: str
    dtype: str
    layers: list[LayerCost] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    input_shapes: dict[str, Shape] = field(default_factory=dict)  # every network input at this size
    input_layout: str = IMAGE
    # layers whose weights see other input channels here than at the reference size
    size_notes: list[ChannelsFollowSize] = field(default_factory=list)


def check_dtype(dtype: str) -> int:
    """Bytes per element of a dtype, or an error naming the known ones."""
    if dtype not in DTYPE_BYTES:
        raise ArchError(f"unknown dtype '{dtype}'; known: {', '.join(DTYPE_BYTES)}", argument="dtype")
    return DTYPE_BYTES[dtype]


def analysed_nodes(graph: Graph, upto: str | None) -> list[int]:
    """The nodes an analysis covers: everything, or `upto` and its ancestors."""
    if not graph.input_ids:
        spec = f"{graph.path}: the spec" if graph.path else "the spec"
        raise ArchError(f"{spec} declares no input (add a line like `input 3 x 224 x 224`)")
    if upto is None:
        return list(range(len(graph.nodes)))
    if not upto.strip():
        raise ArchError("give a layer name", argument="upto")
    try:
        nodes = graph.ancestors(graph.find(upto))
    except ArchError as exc:  # the name is the `upto` argument's
        exc.argument = exc.argument or "upto"
        raise
    if graph.nodes[nodes[-1]].layer is None:
        raise ArchError(f"'{upto}' is an input, not a layer", argument="upto")
    return nodes


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_size(size: tuple[int, int] | None) -> None:
    if size is None:
        return
    if not (isinstance(size, tuple) and len(size) == 2 and all(_whole(side) for side in size)):
        raise ArchError(f"expected a side or (height, width) in whole pixels, got {size!r}", argument="size")
    if not (1 <= size[0] <= MAX_SIDE and 1 <= size[1] <= MAX_SIDE):
        raise ArchError(f"input size {size[0]} x {size[1]} is out of range (1 to {MAX_SIDE})", argument="size")


def check_batch(batch: int) -> None:
    if not _whole(batch):
        raise ArchError(f"expected a whole number of images, got {batch!r}", argument="batch")
    if batch < 1:
        raise ArchError(f"batch must be at least 1, got {batch}", argument="batch")


def priced(layer: Layer, site: Site, convention: Convention) -> tuple[int, int, int, int, int]:
    """A layer's parameters, buffers, FLOPs under `convention`, MACs and the
    elements of the tensors it makes inside itself, at one site."""
    return (sum(f(site) for f in layer.learnable().values()),
            sum(f(site) for f in layer.buffers().values()),
            layer.flops_under(convention.name)(site), layer.macs(site), layer.intermediates(site))


def shared_counts(layer: Layer, site: Site, owner: Layer, owner_site: Site) -> tuple[int, int]:
    """Learnable and buffer elements a layer uses from its owner's arrays: the
    arrays both have, by name (their sizes were checked equal when the spec
    was read)."""
    mine = layer.learnable(), layer.buffers()
    theirs = owner.learnable(), owner.buffers()
    return tuple(sum(f(site) for name, f in m.items() if name in t)
                 for m, t in zip(mine, theirs))


def analyze(graph: Graph, size: tuple[int, int] | None = None, batch: int = 1,
            upto: str | None = None, dtype: str = "float32",
            convention: str | Convention = "burden") -> Analysis:
    """Cost of one forward pass of `batch` images at `size` (default: the
    spec's own input size), up to and including layer `upto` if given."""
    rules = get_convention(convention) if isinstance(convention, str) else convention
    width = check_dtype(dtype)
    check_batch(batch)
    check_size(size)
    nodes = analysed_nodes(graph, upto)
    with gc_paused():  # the collector would rescan the whole graph over and over (2 s at 100,000 layers)
        shapes = infer_shapes(graph, size, nodes)
    inputs = graph.input_ids  # a scan of every node: read once
    first_input = shapes[inputs[0]]
    assert first_input is not None
    result = Analysis(graph.metadata.model or "", first_input, batch, rules.name, dtype,
                      input_layout=graph.nodes[inputs[0]].layout)
    for i in inputs:
        result.input_shapes[graph.nodes[i].name] = shapes[i]  # type: ignore[assignment]
    readers = Counter(j for i in nodes for j in graph.nodes[i].inputs)
    with gc_paused():
        _cost_layers(graph, nodes, shapes, readers, rules, width, result)
    if size is not None and size != reference_size(graph):
        result.size_notes = channels_following_size(
            graph, nodes, {cost.node: cost.input_shapes[0][0] for cost in result.layers})
    return result


def _cost_layers(graph: Graph, nodes: list[int], shapes: list[Shape | None], readers: Counter[int],
                 rules: Convention, width: int, result: Analysis) -> None:
    """One LayerCost per layer of `nodes`, accumulated into `result.totals`."""
    totals, batch = result.totals, result.batch
    # Repeated units share their layer objects (the expander caches them), so a
    # layer met again on the same input shapes costs the same: price it once.
    seen: dict[tuple[int, tuple[Shape | None, ...]], tuple[int, int, int, int, int]] = {}
    # Equal input shapes and layouts are kept as one object each: a million
    # layers of a repeated unit hold a handful of tuples, not two million.
    same: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    numbers: dict[int, int] = {}
    for i in nodes:
        node = graph.nodes[i]
        layer = node.layer
        if layer is None:
            continue
        ins: tuple[Shape, ...] = tuple(shapes[j] for j in node.inputs)  # type: ignore[misc]
        ins = same.setdefault(ins, ins)
        layouts = tuple(graph.nodes[j].layout for j in node.inputs)
        layouts = same.setdefault(layouts, layouts)
        out = shapes[i]
        assert out is not None
        key = (id(layer), ins)
        if key not in seen:
            seen[key] = priced(layer, Site(layer, ins, out), rules)
        params, buffers, flops, macs, inside = seen[key]
        shared = 0
        owner_out = shapes[node.shares] if node.shares is not None else None
        if owner_out is not None:  # its owner is analysed too
            owner = graph.nodes[node.shares]  # type: ignore[index]
            assert owner.layer is not None
            owner_ins: tuple[Shape, ...] = tuple(shapes[j] for j in owner.inputs)  # type: ignore[misc]
            shared, shared_buffers = shared_counts(layer, Site(layer, ins, out), owner.layer,
                                                   Site(owner.layer, owner_ins, owner_out))
            params, buffers = params - shared, buffers - shared_buffers
        if batch != 1:  # (at batch 1 the priced figures are kept as they are: one object per repeated layer)
            flops *= batch
            macs *= batch
        # autonn (the reference's runtime, Net/optimizeVars.m) writes a ReLU over
        # its input only when no other layer reads that input.  The reference's
        # accounting follows the kind's storage, not a PyTorch argument
        # (inplace=) that changes where a framework puts the output (peak memory).
        in_place = layer.storage.inference == "in place" and readers[node.inputs[0]] == 1
        kept = 0 if in_place else layer.feature_arrays
        feature = (kept * prod(out) + inside) * width * batch
        feature = numbers.setdefault(feature, feature)  # (one int object per distinct figure, as the shapes)
        param_bytes = (params + buffers) * width
        param_bytes = numbers.setdefault(param_bytes, param_bytes)
        cost = LayerCost(node.name, node.kind, [graph.nodes[j].name for j in node.inputs], out,
                         params, buffers, flops, macs, feature, param_bytes,
                         node.location.path, node.location.line, layer, ins, i, node.layout, layouts, shared,
                         graph.nodes[node.shares].name if node.shares is not None else None)
        result.layers.append(cost)
        totals.params += params
        totals.buffers += buffers
        totals.flops += flops
        totals.macs += macs
        totals.feature_bytes += feature
        totals.output_shape = out
        totals.output_layout = node.layout
    totals.param_bytes = (totals.params + totals.buffers) * width
