"""Each analysed layer with its `Site` (layer object and input shapes), for
the analyses that need more than an `Analysis` row: training and roofline."""

from __future__ import annotations

from .conventions import Site
from .engine import Analysis, LayerCost
from .graph import Graph
from .layers.base import Shape


def tensor_shapes(graph: Graph, analysis: Analysis) -> dict[str, Shape]:
    """Every tensor's per-image shape: layer outputs, and the network inputs
    at the analysed size (inputs marked `fixed` keep their declared shape)."""
    shapes = {layer.name: layer.output_shape for layer in analysis.layers}
    _, h, w = analysis.input_shape
    for i in graph.input_ids:
        node = graph.nodes[i]
        assert node.shape is not None
        shapes[node.name] = node.shape if node.fixed else (node.shape[0], h, w)
    return shapes


def layer_sites(graph: Graph, analysis: Analysis) -> list[tuple[LayerCost, Site]]:
    shapes = tensor_shapes(graph, analysis)
    sites = []
    for cost in analysis.layers:
        layer = graph.nodes[graph.index[cost.name]].layer
        assert layer is not None
        sites.append((cost, Site(layer, tuple(shapes[n] for n in cost.inputs), cost.output_shape)))
    return sites
