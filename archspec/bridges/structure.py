"""The repeated structure of a flat network: its units, and which of them
are calls of one block.

A network is cut where everything flows through one tensor (a ResNet's
unit ends in such a tensor, and so does each layer of a plain chain); the
pieces between cuts are its parts: single layers, or units with branches
inside.  A unit whose output adds its input back (a residual) is cut
again inside its body, so a squeeze-and-excitation inside an MBConv unit is
a part of its own.  Parts are grouped by the module path the source gave
their layers (torch's scope names, archspec's dotted names), so a stage of
units stays together.  Every part or group whose structure -- kinds and
wiring, not arguments -- occurs twice or more is an instance of a block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .network import INPUT, Network


@dataclass(eq=False)
class Node:
    """A layer (`tensor`), a unit with branches (`layers`, and its body's
    parts when it is a residual), or a group of consecutive nodes (`children`)."""

    entry: int  # the tensor it reads
    exit: int  # the tensor it makes
    layers: list[int]  # every layer inside, in order
    children: list[Node] = field(default_factory=list)  # a group's nodes, or a residual body's parts
    name: str = ""  # the path component that groups it ("layer1"); "" for parts
    kind: str = "layer"  # "layer", "unit" or "group"
    signature: tuple[object, ...] = ()

    @property
    def size(self) -> int:
        return len(self.layers)


def live_cuts(net: Network, order: list[int]) -> list[int]:
    """Positions in `order` after which only that position's tensor is still
    needed (tensors made before `order` -- its entry, extra network inputs --
    do not count)."""
    position = {t: i for i, t in enumerate(order)}
    last_use: dict[int, int] = {}
    for i, t in enumerate(order):
        for j in net.tensors[t].inputs:
            if j in position:
                last_use[j] = max(last_use.get(j, -1), i)
    for out in net.outputs:
        if out in position:
            last_use[out] = len(order)
    cuts = []
    furthest = -1  # the last use of any tensor made before position i
    for i, t in enumerate(order):
        if furthest <= i:
            cuts.append(i)
        furthest = max(furthest, last_use.get(t, i))
    return cuts


def parts_of(net: Network, order: list[int], entry: int) -> list[Node]:
    """`order` (layers that read `entry`, each other and extra network
    inputs) as a sequence of parts between cuts."""
    cuts = live_cuts(net, order)
    parts: list[Node] = []
    start, source = 0, entry
    for cut in cuts:
        layers = order[start:cut + 1]
        parts.append(make_part(net, layers, source))
        start, source = cut + 1, order[cut]
    if start < len(order):  # a tail that ends in several live tensors (several outputs)
        parts.append(Node(source, order[-1], order[start:], kind="unit"))
    return absorb_activations(net, parts)


ACTIVATIONS = {"relu", "relu6", "sigmoid", "silu", "gelu", "hardswish", "hardsigmoid"}


def absorb_activations(net: Network, parts: list[Node]) -> list[Node]:
    """An activation right after a unit that ends in a merge (a residual's
    ReLU after its add) belongs to that unit."""
    merged: list[Node] = []
    for part in parts:
        previous = merged[-1] if merged else None
        if (previous is not None and part.kind == "layer" and net.tensors[part.exit].kind in ACTIVATIONS
                and previous.kind == "unit" and net.tensors[previous.exit].kind in MERGES):
            previous.layers.append(part.exit)
            previous.exit = part.exit
            continue
        merged.append(part)
    return merged


MERGES = {"add", "max", "mul", "concat", "axpy"}


def make_part(net: Network, layers: list[int], source: int) -> Node:
    if len(layers) == 1:
        return Node(source, layers[0], layers)
    node = Node(source, layers[-1], layers, kind="unit")
    merge = net.tensors[layers[-1]]
    if merge.kind in ("add", "max") and len(merge.inputs) == 2 and source in merge.inputs:
        # a residual: the body is what runs from `source` to the merge's other input
        body = [t for t in layers[:-1]]
        other = merge.inputs[1] if merge.inputs[0] == source else merge.inputs[0]
        if body and other == body[-1] and all(_reads_within(net, t, set(body), source) for t in body):
            node.children = group_by_path(net, parts_of(net, body, source), len(common_path(net, layers)))
    return node


def _reads_within(net: Network, tensor: int, inside: set[int], source: int) -> bool:
    return all(j in inside or j == source for j in net.tensors[tensor].inputs)


def group_by_path(net: Network, parts: list[Node], depth: int = 0) -> list[Node]:
    """Consecutive parts whose layers share a module path component at
    `depth` become a group named after it (recursively)."""
    grouped: list[Node] = []
    run: list[Node] = []
    key: str | None = None

    def flush() -> None:
        if not run:
            return
        if key and len(run) > 1:
            inner = group_by_path(net, list(run), depth + 1)
            while len(inner) == 1 and inner[0].kind == "group":  # a group holding one group: one level
                inner = inner[0].children
            layers = [t for p in run for t in p.layers]
            grouped.append(Node(run[0].entry, run[-1].exit, layers, inner, key, "group"))
        else:
            grouped.extend(run)

    for part in parts:
        component = common_path(net, part.layers)
        here = component[depth] if len(component) > depth else ""
        if here != key or not here:
            flush()
            run, key = [], here
        run.append(part)
    flush()
    return grouped


def common_path(net: Network, layers: list[int]) -> tuple[str, ...]:
    paths = [net.tensors[t].path for t in layers]
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        n = min(n, len(p))
        for i in range(n):
            if p[i] != first[i]:
                n = i
                break
    return first[:n]


def sign(net: Network, node: Node) -> tuple[object, ...]:
    """A node's structure: its layers' kinds and wiring (inputs as offsets
    inside it, or its entry), and its inner grouping -- never arguments."""
    if node.kind == "layer":
        t = net.tensors[node.layers[0]]
        node.signature = ("layer", t.kind, len(t.inputs))
        return node.signature
    index = {t: i for i, t in enumerate(node.layers)}
    wiring = tuple((net.tensors[t].kind, tuple(index.get(j, -1 if j == node.entry else -2)
                                                for j in net.tensors[t].inputs)) for t in node.layers)
    inner = tuple(sign(net, c) for c in node.children)
    node.signature = (node.kind, wiring, inner)
    return node.signature


def reads_outside(net: Network, node: Node, globals_: set[int]) -> bool:
    """Whether a node reads a network input other than its entry (a block body cannot)."""
    inside = set(node.layers)
    return any(j in globals_ and j != node.entry and j not in inside
               for t in node.layers for j in net.tensors[t].inputs)


def network_tree(net: Network, order: list[int]) -> tuple[list[Node], set[int]]:
    """The network's top-level nodes, and its extra inputs (read by name).

    The trunk -- the layers the network's output depends on -- is cut into
    parts; a side branch that ends in another output (an auxiliary
    classifier, a second head) is a node of its own, placed after the trunk
    node whose tensor it reads last, so it does not hide the trunk's cuts."""
    inputs = [i for i, t in enumerate(net.tensors) if t.kind == INPUT]
    main = inputs[0]
    extra = set(inputs[1:])
    trunk_set = ancestors(net, net.outputs[-1])
    trunk = [t for t in order if t in trunk_set]
    side = [t for t in order if t not in trunk_set]
    nodes = group_by_path(net, parts_of(net, trunk, main))
    for component in side_components(net, side):
        reads = [j for t in component for j in net.tensors[t].inputs if j in trunk_set and j not in component]
        last = max(reads, key=lambda j: -1 if j not in trunk else trunk.index(j), default=main)
        place = next((k for k, n in enumerate(nodes) if last in n.layers), -1)
        if place == len(nodes) - 1 and last != nodes[-1].exit:
            # it reads inside the node that ends in the network's output: it joins that node
            final = nodes[-1]
            layers = sorted(set(final.layers) | set(component), key=order.index)
            nodes[-1] = Node(final.entry, final.exit, layers, kind="unit")
            continue
        node = Node(last, component[-1], component, kind="side")
        nodes.insert(place + 1, node)
    return nodes, extra


def ancestors(net: Network, tensor: int) -> set[int]:
    found: set[int] = set()
    stack = [tensor]
    while stack:
        t = stack.pop()
        if t not in found:
            found.add(t)
            stack.extend(net.tensors[t].inputs)
    return found


def side_components(net: Network, side: list[int]) -> list[list[int]]:
    """Side layers joined where one reads another, each group in order."""
    group = {t: t for t in side}

    def root(t: int) -> int:
        while group[t] != t:
            group[t] = group[group[t]]
            t = group[t]
        return t

    for t in side:
        for j in net.tensors[t].inputs:
            if j in group:
                group[root(t)] = root(j)
    components: dict[int, list[int]] = {}
    for t in side:
        components.setdefault(root(t), []).append(t)
    return sorted(components.values(), key=lambda c: c[0])


def all_nodes(nodes: list[Node]) -> list[Node]:
    found: list[Node] = []
    for n in nodes:
        found.append(n)
        found.extend(all_nodes(n.children))
    return found


__all__ = ["Node", "all_nodes", "common_path", "group_by_path", "network_tree", "parts_of", "reads_outside",
           "sign"]
