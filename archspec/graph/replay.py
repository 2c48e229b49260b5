"""Repeated block calls, made once and replayed.

`unit x 300000` runs the body of `unit` for each instance: the same
statements evaluated, the same layers looked up, the same names numbered,
the same shapes computed, each time -- about 25 microseconds a layer, most of
the time of a block-built network.  A call of a block with the same plain
arguments, on an input of the same reference shape and layout, with no name
of its file changed since, makes the same layers wired the same way under
another prefix.  So the second such call records what it made (relative to its
first node and its input), and every later one replays the record: nodes are
appended with the record's layer objects, locations and reference shapes
(shared, not copied), names are the new prefix plus the recorded suffixes.

The record is used only when it is sure to give what running the body gives:
* its arguments are numbers, strings, booleans or tuples of them (a tensor
  argument wires the instance to other nodes);
* its layers read only nodes of the instance or its input, and share no weights;
* when it was recorded, no name outside the instance began with its prefix
  (the body's names were then numbered among themselves only), and when it is
  replayed, none of the names it gives is taken;
* the network stays within the layer limit.
Anything else runs the body as before.  tests/test_scale.py compares graphs
made both ways.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import Location
from ..kinds import Layer, Shape
from .layer_graph import BlockInstance, Graph, Node

EXTERNAL = -1  # in a record: the instance's input tensor


class Made(NamedTuple):
    """One node of a recorded instance."""

    suffix: str  # its name after the instance's prefix (".conv1", ".main.relu")
    layer: Layer
    inputs: tuple[int, ...]  # relative to the instance's first node; EXTERNAL: its input
    location: Location
    layout: str
    reference_shape: Shape


class Nested(NamedTuple):
    """A block instance made inside a recorded one (graph.blocks), relative."""

    block: str
    suffix: str  # its name after the instance's prefix
    input: int
    first: int
    end: int
    output: int
    args: tuple[tuple[str, Any], ...]
    depth: int


class Record(NamedTuple):
    nodes: tuple[Made, ...]
    prefixes: tuple[str, ...]  # suffixes of the prefixes claimed inside (nested blocks, groups)
    aliases: tuple[tuple[str, int], ...]  # suffix -> relative node
    blocks: tuple[Nested, ...]  # block instances made inside, as graph.blocks lists them
    output: int  # relative node of the instance's output (EXTERNAL: its input)
    args: tuple[tuple[str, Any], ...]  # the values the block's parameters took


def plain(value: Any) -> bool:
    """A value that cannot wire an instance to anything: numbers, strings, booleans, None, tuples of them."""
    if isinstance(value, tuple):
        return all(plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def typed(value: Any) -> Any:
    """A value as a key that tells 1, 1.0 and True apart (they are equal in Python)."""
    if isinstance(value, tuple):
        return ("tuple", tuple(typed(v) for v in value))
    return (type(value).__name__, value)


def clean_prefix(graph: Graph, prefixes: set[str], prefix: str) -> bool:
    """No layer or prefix is named under `prefix.` yet (a scan of every name:
    done once per record, not per instance)."""
    start = prefix + "."
    return not any(name.startswith(start) for name in graph.index) and \
        not any(name.startswith(start) for name in prefixes)


def record(graph: Graph, prefix: str, first: int, source: int, claimed: list[str], aliases_before: int,
           blocks_before: int, output: int,
           args: tuple[tuple[str, Any], ...]) -> Record | None:
    """What an instance that started at node `first` made, or None if it cannot be replayed."""
    start = prefix + "."
    inside = range(first, len(graph.nodes))

    def relative(node: int) -> int | None:
        if node == source:
            return EXTERNAL
        return node - first if node in inside else None

    made = []
    for i in inside:
        node = graph.nodes[i]
        inputs = tuple(relative(j) for j in node.inputs)
        if (node.layer is None or node.shares is not None or not node.name.startswith(start)
                or any(j is None for j in inputs)):
            return None
        made.append(Made(node.name[len(prefix):], node.layer, inputs, node.location,  # type: ignore[arg-type]
                         node.layout, graph.reference_shapes[i]))
    if any(not name.startswith(start) for name in claimed):
        return None
    aliases = []
    for name, aliased in list(graph.aliases.items())[aliases_before:]:
        target = relative(aliased)
        if not name.startswith(start) or target is None:
            return None
        aliases.append((name[len(prefix):], target))
    blocks = []
    for inner in graph.blocks[blocks_before:]:
        ends = relative(inner.input), relative(inner.output)
        if not inner.name.startswith(start) or ends[0] is None or ends[1] in (None, EXTERNAL) or \
                not first <= inner.first <= inner.end <= len(graph.nodes):
            return None
        blocks.append(Nested(inner.block, inner.name[len(prefix):], ends[0], inner.first - first,
                             inner.end - first, ends[1], inner.args, inner.depth))
    out = relative(output)
    if out is None:
        return None
    return Record(tuple(made), tuple(name[len(prefix):] for name in claimed), tuple(aliases), tuple(blocks), out,
                  args)


def replay(graph: Graph, prefixes: set[str], claimed: list[str], rec: Record, prefix: str,
           source: int) -> int | None:
    """Append a recorded instance under `prefix`, reading `source`; its output
    node, or None (nothing changed) if one of its names is already taken."""
    index = graph.index
    names = [prefix + made.suffix for made in rec.nodes]
    inner = [prefix + suffix for suffix in rec.prefixes]
    if any(name in index or name in prefixes for name in names) or \
            any(name in index or name in prefixes for name in inner):
        return None
    first = len(graph.nodes)
    nodes, shapes = graph.nodes, graph.reference_shapes
    numbers: list[int] = []  # the new nodes' numbers, one int object each wherever they are used

    def number(relative: int) -> int:
        if relative == EXTERNAL:
            return source
        return numbers[relative] if relative < len(numbers) else first + relative

    for name, made in zip(names, rec.nodes):
        numbers.append(len(nodes))
        index[name] = numbers[-1]
        nodes.append(Node(name, made.layer, tuple(number(j) for j in made.inputs), made.location, None, False,
                          made.layout))
        shapes.append(made.reference_shape)
    prefixes.update(inner)
    claimed.extend(inner)
    for suffix, node in rec.aliases:
        graph.aliases.setdefault(prefix + suffix, number(node))
    for nested in rec.blocks:
        graph.blocks.append(BlockInstance(nested.block, prefix + nested.suffix, number(nested.input),
                                          number(nested.first), number(nested.end), number(nested.output),
                                          nested.args, nested.depth))
    return number(rec.output)
