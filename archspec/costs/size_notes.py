"""When the parameters depend on the input size.

A spec's weights are fixed at its own (reference) input size: `fc`'s kernel
covers the input it sees there, `linear`'s features are the channels it sees
there.  A layer with weights whose *input channels* change with the input
size -- an `fc` after a `flatten` with no adaptive pool before it, as the
MatConvNet imports of the reference zoo write their classifiers -- has other
weights at another size, so the parameter count there is not the trained
network's.  These notes say which layer sees how many channels, beside the
figures they qualify (`analyze` and `sweep` show them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..graph.layer_graph import Graph
from ..graph.shapes import propagate_many

HEADLINE = "params depend on the input size"


@dataclass(frozen=True, slots=True)
class ChannelsFollowSize:
    """A layer with weights that sees `channels` input channels at this size,
    `reference_channels` at the spec's reference size."""

    layer: str
    channels: int
    reference_channels: int
    reference_size: tuple[int, int]

    def sentence(self) -> str:
        h, w = self.reference_size
        return (f"{self.layer} sees {self.channels:,} channels here, {self.reference_channels:,} "
                f"at the reference {h} x {w}")


def reference_size(graph: Graph) -> tuple[int, int]:
    shape = graph.nodes[graph.input_ids[0]].shape
    assert shape is not None
    return shape[1], shape[2]


def _weighted(graph: Graph, nodes: Sequence[int]) -> list[int]:
    """The nodes of `nodes` whose layer has learnable weights."""
    return [i for i in nodes if (layer := graph.nodes[i].layer) is not None and layer.learnable()]


def channels_following_size(graph: Graph, nodes: Sequence[int],
                            input_channels: dict[int, int]) -> list[ChannelsFollowSize]:
    """Notes for one size: `input_channels` maps each analysed node to the
    channels of its first input at that size."""
    size = reference_size(graph)
    notes = []
    for i in _weighted(graph, nodes):
        first = graph.nodes[i].inputs[0]
        here, there = int(input_channels[i]), int(graph.reference_shapes[first][0])
        if here != there:
            notes.append(ChannelsFollowSize(graph.nodes[i].name, here, there, size))
    return notes


def channels_following_sizes(graph: Graph, nodes: Sequence[int],
                             sizes: Sequence[tuple[int, int]]) -> list[list[ChannelsFollowSize]]:
    """Notes for each of `sizes` (all sizes at which the network runs), from
    one vectorised pass of the layers' own shape rules."""
    weighted = _weighted(graph, nodes)
    if not sizes or not weighted:
        return [[] for _ in sizes]
    import numpy as np  # only for many sizes: analysing one size does not load numpy

    shapes, _ = propagate_many(graph, nodes, np.asarray(sizes, dtype=np.int64).reshape(-1, 2))
    found: list[list[ChannelsFollowSize]] = [[] for _ in sizes]
    size = reference_size(graph)
    for i in weighted:
        first = graph.nodes[i].inputs[0]
        there = int(graph.reference_shapes[first][0])
        here = np.broadcast_to(np.asarray(shapes[first][0], dtype=np.int64), (len(sizes),))
        for p in np.flatnonzero(here != there):
            found[p].append(ChannelsFollowSize(graph.nodes[i].name, int(here[p]), there, size))
    return found


def summarise(rows: Sequence[Sequence[ChannelsFollowSize]], sizes: Sequence[tuple[int, int]]) -> list[str]:
    """One line per layer over many sizes: the range of channels it sees and
    at how many of the sizes its weights differ from the reference's."""
    by_layer: dict[str, list[tuple[ChannelsFollowSize, tuple[int, int]]]] = {}
    for notes, size in zip(rows, sizes):
        for note in notes:
            by_layer.setdefault(note.layer, []).append((note, size))
    lines = []
    for layer, seen in by_layer.items():
        channels = sorted({note.channels for note, _ in seen})
        first = seen[0][0]
        h, w = first.reference_size
        span = f"{channels[0]:,}" if len(channels) == 1 else f"{channels[0]:,} to {channels[-1]:,}"
        lines.append(f"{HEADLINE}: {layer} sees {span} channels at {len(seen)} of the {len(sizes)} sizes "
                     f"that run, {first.reference_channels:,} at the reference {h} x {w}")
    return lines
