"""The analytic engine: one pass over the graph in execution order computes,
per layer, output shape, parameters, buffers, FLOPs, MACs and feature memory.

Nothing here runs a network; every figure is a layer kind's own formula
evaluated on shapes.  Views (table, JSON, reports) only format an
`Analysis`; they never recompute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from ..conventions import Convention, get_convention
from ..errors import ArchError
from ..gc_pause import gc_paused
from ..graph.layer_graph import Graph, Node
from ..graph.shapes import infer_shapes
from ..kinds import Layer, Shape
from ..kinds.shape import IMAGE
from ..kinds.site import Site
from ..limits import MAX_SIDE
from .catalogue import DTYPE_BYTES
from .size_notes import ChannelsFollowSize, channels_following_size, reference_size


@dataclass(slots=True)
class Figures:
    """What a layer costs at one site, and where it was written: one object for
    every layer of a repeated unit that sits at the same place in its unit and
    sees the same shapes (a million-layer network of a repeated block holds a
    handful of these, not a million).  Shared, so never changed once made (not
    frozen: a frozen dataclass is several times slower to make, and a flat
    network makes one per layer)."""

    kind: str
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
    layout: str  # its output an image or a token sequence
    input_layouts: tuple[str, ...]
    shared_params: int  # learnable elements it uses but another layer holds (counted there)
    shares: str | None  # the layer whose weights it uses


@dataclass(slots=True)
class LayerCost:
    """One layer's figures, with the layer and the shapes they were computed at.

    The figures are shared with the layer's repeats; the names of its inputs
    are read from the graph when asked for, not stored for every layer."""

    name: str
    node: int  # the graph node it belongs to
    figures: Figures
    graph_nodes: list[Node] = field(repr=False, compare=False)

    @property
    def inputs(self) -> list[str]:
        nodes = self.graph_nodes
        return [nodes[j].name for j in nodes[self.node].inputs]

    @property
    def kind(self) -> str:
        return self.figures.kind

    @property
    def output_shape(self) -> Shape:
        return self.figures.output_shape

    @property
    def params(self) -> int:
        return self.figures.params

    @property
    def buffers(self) -> int:
        return self.figures.buffers

    @property
    def flops(self) -> int:
        return self.figures.flops

    @property
    def macs(self) -> int:
        return self.figures.macs

    @property
    def feature_bytes(self) -> int:
        return self.figures.feature_bytes

    @property
    def param_bytes(self) -> int:
        return self.figures.param_bytes

    @property
    def path(self) -> str:
        return self.figures.path

    @property
    def line(self) -> int:
        return self.figures.line

    @property
    def layer(self) -> Layer:
        return self.figures.layer

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return self.figures.input_shapes

    @property
    def layout(self) -> str:
        return self.figures.layout

    @property
    def input_layouts(self) -> tuple[str, ...]:
        return self.figures.input_layouts

    @property
    def shared_params(self) -> int:
        return self.figures.shared_params

    @property
    def shares(self) -> str | None:
        return self.figures.shares

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
        # Every node, numbered by the int objects the graph already holds: the
        # index's values, given to the nodes in the order they were made (a
        # million-layer analysis would otherwise hold a million more ints).
        numbers = list(graph.index.values())
        if len(numbers) == len(graph.nodes) and all(map(int.__eq__, numbers, range(len(numbers)))):
            return numbers
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
    # The collector would rescan the whole graph over and over (2 s at 100,000
    # layers); paused once, not per step: resuming it costs a pass over what
    # was made meanwhile (75 ms at 100,000 layers).
    with gc_paused():
        shapes = infer_shapes(graph, size, nodes)
        inputs = graph.input_ids  # a scan of every node: read once
        first_input = shapes[inputs[0]]
        assert first_input is not None
        result = Analysis(graph.metadata.model or "", first_input, batch, rules.name, dtype,
                          input_layout=graph.nodes[inputs[0]].layout)
        for i in inputs:
            result.input_shapes[graph.nodes[i].name] = shapes[i]  # type: ignore[assignment]
        _cost_layers(graph, nodes, shapes, _readers(graph, nodes), rules, width, result)
    if size is not None and size != reference_size(graph):
        result.size_notes = channels_following_size(
            graph, nodes, {cost.node: cost.input_shapes[0][0] for cost in result.layers})
    return result


def _readers(graph: Graph, nodes: list[int]) -> bytearray:
    """How many of `nodes` read each node: 0, 1 or 2 for two or more (all the
    engine asks is whether one layer alone reads it); a byte a node."""
    readers = bytearray(len(graph.nodes))
    for i in nodes:
        for j in graph.nodes[i].inputs:
            if readers[j] < 2:
                readers[j] += 1
    return readers


def _cost_layers(graph: Graph, nodes: list[int], shapes: list[Shape | None], readers: bytearray,
                 rules: Convention, width: int, result: Analysis) -> None:
    """One LayerCost per layer of `nodes`, accumulated into `result.totals`."""
    batch = result.batch
    # Replayed instances of a block share their layer and location objects
    # (graph/replay.py): a layer met again at the same place, on equal inputs,
    # costs the same, so its figures are one object.  Layers whose kind and
    # arguments are equal share a layer object too: priced once per input shape.
    seen: dict[tuple[int, int, bool], Figures] = {}
    prices: dict[tuple[int, tuple[Shape, ...]], tuple[int, int, int, int, int]] = {}
    same: dict[tuple[Shape, ...], tuple[Shape, ...]] = {}  # equal input shapes kept as one tuple
    graph_nodes = graph.nodes
    add = result.layers.append
    params = buffers = flops = macs = feature = 0
    last: Node | None = None
    for i in nodes:
        node = graph_nodes[i]
        layer = node.layer
        if layer is None:
            continue
        inputs = node.inputs
        ins: tuple[Shape, ...] = tuple([shapes[j] for j in inputs])  # type: ignore[misc]
        layouts = tuple([graph_nodes[j].layout for j in inputs])
        # autonn (the reference's runtime, Net/optimizeVars.m) writes a ReLU over
        # its input only when no other layer reads that input.  The reference's
        # accounting follows the kind's storage, not a PyTorch argument
        # (inplace=) that changes where a framework puts the output (peak memory).
        in_place = layer.storage.inference == "in place" and readers[inputs[0]] == 1
        key = (id(layer), id(node.location), in_place)
        figures = seen.get(key)
        if (figures is None or node.shares is not None or figures.input_shapes != ins
                or figures.layout != node.layout or figures.input_layouts != layouts):
            ins = same.setdefault(ins, ins)
            out = shapes[i]
            assert out is not None
            price = prices.get((id(layer), ins))
            if price is None:
                price = prices[id(layer), ins] = priced(layer, Site(layer, ins, out), rules)
            figures = _figures(graph, node, ins, out, layouts, in_place, shapes, price, width, batch)
            if node.shares is None:
                seen[key] = figures
        add(LayerCost(node.name, i, figures, graph_nodes))
        params += figures.params
        buffers += figures.buffers
        flops += figures.flops
        macs += figures.macs
        feature += figures.feature_bytes
        last = node
    totals = result.totals
    totals.params, totals.buffers, totals.flops, totals.macs = params, buffers, flops, macs
    totals.feature_bytes = feature
    if last is not None:
        totals.output_shape = result.layers[-1].output_shape
        totals.output_layout = last.layout
    totals.param_bytes = (totals.params + totals.buffers) * width


def _figures(graph: Graph, node: Node, ins: tuple[Shape, ...], out: Shape, layouts: tuple[str, ...],
             in_place: bool, shapes: list[Shape | None], price: tuple[int, int, int, int, int], width: int,
             batch: int) -> Figures:
    """One layer's figures at its site, from its kind's `price` there."""
    layer = node.layer
    assert layer is not None
    params, buffers, flops, macs, inside = price
    shared = 0
    owner_out = shapes[node.shares] if node.shares is not None else None
    if owner_out is not None:  # its owner is analysed too
        owner = graph.nodes[node.shares]  # type: ignore[index]
        assert owner.layer is not None
        owner_ins: tuple[Shape, ...] = tuple(shapes[j] for j in owner.inputs)  # type: ignore[misc]
        shared, shared_buffers = shared_counts(layer, Site(layer, ins, out), owner.layer,
                                               Site(owner.layer, owner_ins, owner_out))
        params, buffers = params - shared, buffers - shared_buffers
    flops *= batch
    macs *= batch
    kept = 0 if in_place else layer.feature_arrays
    feature = (kept * prod(out) + inside) * width * batch
    return Figures(node.kind, out, params, buffers, flops, macs, feature, (params + buffers) * width,
                   node.location.path, node.location.line, layer, ins, node.layout, layouts, shared,
                   graph.nodes[node.shares].name if node.shares is not None else None)
