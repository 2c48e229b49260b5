"""The analytic engine: one pass over the graph in execution order computes,
per layer, output shape, parameters, buffers, FLOPs, MACs and feature memory.

Nothing here runs a network; every figure is arithmetic on shapes.  Views
(table, JSON, reports) only format an `Analysis`; they never recompute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod

from .conventions import MACS, Convention, Site
from .conventions import get as get_convention
from .errors import ArchError
from .gc_pause import gc_paused
from .graph import Graph
from .layers.base import Shape, ShapeError, show

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "float64": 8}
MAX_SIDE = 1 << 20  # an input side beyond a million pixels is a typo, not an image


@dataclass(slots=True)
class LayerCost:
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


@dataclass(slots=True)
class Totals:
    params: int = 0
    buffers: int = 0
    param_bytes: int = 0
    feature_bytes: int = 0
    flops: int = 0
    macs: int = 0
    output_shape: Shape = (0, 0, 0)


@dataclass(slots=True)
class Analysis:
    model: str
    input_shape: Shape
    batch: int
    convention: str
    dtype: str
    layers: list[LayerCost] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


def input_shapes(graph: Graph, size: tuple[int, int] | None) -> dict[int, Shape]:
    """Declared input shapes, with height and width replaced by `size` for
    every input not marked `fixed`."""
    shapes: dict[int, Shape] = {}
    for i in graph.input_ids:
        node = graph.nodes[i]
        assert node.shape is not None
        c, h, w = node.shape
        if size is not None and not node.fixed:
            h, w = size
        shapes[i] = (c, h, w)
    return shapes


def infer_shapes(graph: Graph, size: tuple[int, int] | None, nodes: list[int] | None = None) -> list[Shape | None]:
    """Output shape of every node (or of `nodes`, which must be closed under
    inputs), raising a located ArchError on the first layer that cannot run."""
    shapes: list[Shape | None] = [None] * len(graph.nodes)
    for i, shape in input_shapes(graph, size).items():
        shapes[i] = shape
    for i in (range(len(graph.nodes)) if nodes is None else nodes):
        node = graph.nodes[i]
        if node.layer is None:
            continue
        ins = [shapes[j] for j in node.inputs]
        try:
            shapes[i] = node.layer.output_shape(ins)  # type: ignore[arg-type]
        except ShapeError as exc:
            raise shape_error(graph, i, ins, exc, size, nodes) from None
    return shapes


def shape_error(graph: Graph, index: int, inputs: Sequence[Shape | None], exc: ShapeError,
                 size: tuple[int, int] | None, nodes: list[int] | None) -> ArchError:
    node = graph.nodes[index]
    where = f"{node.kind} '{node.name}' at line {node.location.line}"
    message = f"{where}: {exc}"
    if "input" not in str(exc):  # name the inputs unless the rule's message already does
        message += " (input " + ", ".join(show(s) for s in inputs if s is not None) + ")"
    hint = None
    if exc.empty:
        current = _current_size(graph, size)
        smallest = smallest_working_size(graph, nodes, current)
        if smallest is not None:
            hint = f"the smallest square input that works is {smallest} x {smallest}"
        message = f"{where}: input too small: {exc}"
    return graph.error(message, node, hint)


def _current_size(graph: Graph, size: tuple[int, int] | None) -> tuple[int, int]:
    if size is not None:
        return size
    ids = graph.input_ids
    shape = graph.nodes[ids[0]].shape if ids else None
    return (shape[1], shape[2]) if shape else (1, 1)


def _works(graph: Graph, nodes: list[int] | None, side: int) -> bool:
    try:
        infer_shapes_quiet(graph, (side, side), nodes)
        return True
    except ShapeError:
        return False


def infer_shapes_quiet(graph: Graph, size: tuple[int, int], nodes: list[int] | None) -> None:
    """Shape inference that raises the bare ShapeError (for size searches)."""
    shapes: list[Shape | None] = [None] * len(graph.nodes)
    for i, shape in input_shapes(graph, size).items():
        shapes[i] = shape
    for i in (range(len(graph.nodes)) if nodes is None else nodes):
        layer = graph.nodes[i].layer
        if layer is not None:
            shapes[i] = layer.output_shape([shapes[j] for j in graph.nodes[i].inputs])  # type: ignore[misc]


def smallest_working_size(graph: Graph, nodes: list[int] | None, current: tuple[int, int]) -> int | None:
    """Smallest square input side for which every layer has a non-empty output.

    Searches upward by doubling, then bisects; sizes where a layer fails for
    reasons other than size (mismatched branches) end the search with None."""
    high = max(current)
    while not _works(graph, nodes, high):
        high *= 2
        if high > MAX_SIDE:
            return None
    low = 0  # invariant: low fails (or is 0), high works
    while high - low > 1:
        mid = (low + high) // 2
        if _works(graph, nodes, mid):
            high = mid
        else:
            low = mid
    return high


def analyze(graph: Graph, size: tuple[int, int] | None = None, batch: int = 1,
            upto: str | None = None, dtype: str = "float32",
            convention: str | Convention = "burden") -> Analysis:
    """Cost of one forward pass of `batch` images at `size` (default: the
    spec's own input size), up to and including layer `upto` if given."""
    rules = get_convention(convention) if isinstance(convention, str) else convention
    if dtype not in DTYPE_BYTES:
        raise ArchError(f"unknown dtype '{dtype}'; known: {', '.join(DTYPE_BYTES)}")
    if batch < 1:
        raise ArchError(f"batch must be at least 1, got {batch}")
    if size is not None and not (1 <= size[0] <= MAX_SIDE and 1 <= size[1] <= MAX_SIDE):
        raise ArchError(f"input size {size[0]} x {size[1]} is out of range (1 to {MAX_SIDE})")
    if not graph.input_ids:
        raise ArchError("the spec declares no input (add a line like `input 3 x 224 x 224`)")
    if upto is not None and not upto.strip():
        raise ArchError("--upto needs a layer name")
    nodes = graph.ancestors(graph.find(upto)) if upto else list(range(len(graph.nodes)))
    if upto and graph.nodes[nodes[-1]].layer is None:
        raise ArchError(f"'{upto}' is an input, not a layer")
    shapes = infer_shapes(graph, size, nodes)
    width = DTYPE_BYTES[dtype]
    first_input = shapes[graph.input_ids[0]]
    assert first_input is not None
    result = Analysis(graph.metadata.model or "", first_input, batch, rules.name, dtype)
    readers = Counter(j for i in nodes for j in graph.nodes[i].inputs)
    with gc_paused():
        _cost_layers(graph, nodes, shapes, readers, rules, width, result)
    return result


def _cost_layers(graph: Graph, nodes: list[int], shapes: list[Shape | None], readers: Counter[int],
                 rules: Convention, width: int, result: Analysis) -> None:
    """One LayerCost per layer of `nodes`, accumulated into `result.totals`."""
    totals, batch = result.totals, result.batch
    # Repeated units share their layer objects (the expander caches them), so a
    # layer met again on the same input shapes costs the same: price it once.
    priced: dict[tuple[int, tuple[Shape | None, ...]], tuple[int, int, int, int]] = {}
    for i in nodes:
        node = graph.nodes[i]
        layer = node.layer
        if layer is None:
            continue
        ins = tuple(shapes[j] for j in node.inputs)
        out = shapes[i]
        assert out is not None
        key = (id(layer), ins)
        if key not in priced:
            site = Site(layer, ins, out)  # type: ignore[arg-type]
            priced[key] = (sum(layer.parameters(list(ins)).values()),  # type: ignore[arg-type]
                           sum(layer.buffers(list(ins)).values()),  # type: ignore[arg-type]
                           rules.flops(site), MACS.flops(site))
        params, buffers, flops, macs = priced[key]
        flops *= batch
        macs *= batch
        # autonn (the reference's runtime, Net/optimizeVars.m) writes a ReLU over
        # its input only when no other layer reads that input
        in_place = layer.inplace and rules.inplace_is_free and readers[node.inputs[0]] == 1
        kept = 0 if in_place else rules.outputs_kept(layer)
        feature = kept * prod(out) * width * batch
        cost = LayerCost(node.name, node.kind, [graph.nodes[j].name for j in node.inputs], out,
                         params, buffers, flops, macs, feature, (params + buffers) * width,
                         node.location.path, node.location.line)
        result.layers.append(cost)
        totals.params += params
        totals.buffers += buffers
        totals.flops += flops
        totals.macs += macs
        totals.feature_bytes += feature
        totals.output_shape = out
    totals.param_bytes = (totals.params + totals.buffers) * width
