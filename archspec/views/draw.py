"""`archspec draw`: the network as an SVG graph.

Layers are nodes showing their kind and output shape; a block call is one
node (its block's name, its output shape) unless it is expanded, when its
layers are drawn inside a labelled box.  Consecutive calls of one block in a
chain fold into one node (`denselayer x 6`) when the drawing would
otherwise pass MAX_NODES.  Edges carry the size of the tensor they pass;
each node is shaded by its share of the network's FLOPs or feature memory.

The layout is python-igraph's Sugiyama layered layout (crossing reduction;
long edges routed through a node slot of their own per layer they cross), an
optional dependency (`archspec[draw]`); the SVG is written here as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from ..costs.engine import Analysis
from ..errors import ArchError
from ..graph.layer_graph import BlockInstance, Graph
from ..kinds.shape import show
from .units import readable_flops, readable_memory

DRAW_HINT = "pip install 'archspec[draw]'"
MAX_NODES = 30  # past this, runs of one block fold into one node
MIN_NODES = 12  # below this, the largest collapsed block opens (a network written as one call)
NODE_H, LINE_H, CHAR_W, PAD = 48, 13, 6.6, 10
LAYER_GAP, NODE_GAP = 38, 26
TOP = 96  # the title and legend above the graph


@dataclass(slots=True)
class Box:
    """A drawn node: a layer, a collapsed block call, or a run of calls."""

    key: int  # its output node
    title: str
    subtitle: str
    nodes: list[int]  # graph nodes it stands for
    group: BlockInstance | None = None  # the expanded call it sits in
    inputs: list[int] = field(default_factory=list)


def require_igraph() -> Any:
    try:
        import igraph
    except ImportError:
        raise ArchError(f"drawing needs python-igraph for its layout: {DRAW_HINT}") from None
    return igraph


class Drawing:
    def __init__(self, graph: Graph, analysis: Analysis, expand: int | None, shade: str) -> None:
        if shade not in ("flops", "memory"):
            raise ArchError(f"--shade {shade!r}: expected flops or memory", argument="shade")
        self.graph, self.analysis, self.shade = graph, analysis, shade
        self.costs = {c.node: c for c in analysis.layers}
        blocks = [b for b in graph.blocks if b.end > b.first]
        self.blocks = blocks
        self.expanded: set[int] = set()  # id() of expanded calls
        self.boxes = self.choose(expand)

    # ---- what to draw -----------------------------------------------------------
    def outermost(self, inside: BlockInstance | None) -> list[BlockInstance]:
        """The calls directly inside `inside` (or at the top level)."""
        found = []
        for b in self.blocks:
            if (inside is None and b.depth == 0) or (inside is not None and b.depth == inside.depth + 1 and \
                    inside.first <= b.first and b.end <= inside.end):
                found.append(b)
        return found

    def units(self) -> list[Box]:
        """Boxes for every layer outside collapsed calls, one per collapsed call."""
        boxes: list[Box] = []
        owner: dict[int, BlockInstance] = {}

        def visit(inside: BlockInstance | None) -> None:
            for b in self.outermost(inside):
                if id(b) in self.expanded:
                    visit(b)
                else:
                    for i in range(b.first, b.end):
                        owner.setdefault(i, b)

        visit(None)
        seen: set[int] = set()
        for i, node in enumerate(self.graph.nodes):
            if node.layer is None:
                continue
            b = owner.get(i)
            if b is None:
                group = self.group_of(i)
                boxes.append(Box(i, self.label(node.name, group), node.kind, [i], group))
            elif id(b) not in seen:
                seen.add(id(b))
                nodes = [j for j in range(b.first, b.end) if self.graph.nodes[j].layer is not None]
                group = self.group_of(b.first, b.depth)
                boxes.append(Box(b.output, self.label(b.name, group), b.block, nodes, group))
        return boxes

    def group_of(self, node: int, depth: int | None = None) -> BlockInstance | None:
        """The innermost expanded call holding a node (above `depth`)."""
        found = None
        for b in self.blocks:
            holds = id(b) in self.expanded and b.first <= node < b.end and (depth is None or b.depth < depth)
            if holds and (found is None or b.depth > found.depth):
                found = b
        return found

    def choose(self, expand: int | None) -> list[Box]:
        if expand is not None:
            self.expanded = {id(b) for b in self.blocks if b.depth < expand}
            return self.fold(self.units())
        boxes = self.units()
        while len(boxes) < MIN_NODES:  # open the biggest collapsed call
            closed = [b for b in self.blocks if id(b) not in self.expanded and self.visible(b)]
            if not closed:
                break
            self.expanded.add(id(max(closed, key=lambda b: b.end - b.first)))
            boxes = self.units()
        return self.fold(boxes)

    def visible(self, b: BlockInstance) -> bool:
        parent = [p for p in self.blocks if p.depth == b.depth - 1 and p.first <= b.first and b.end <= p.end]
        return b.depth == 0 or any(id(p) in self.expanded for p in parent)

    def fold(self, boxes: list[Box]) -> list[Box]:
        """Runs of one block's calls, each reading the one before, as one box."""
        self.wire(boxes)
        if len(boxes) <= MAX_NODES:
            return boxes
        folded: list[Box] = []
        for box in boxes:
            last = folded[-1] if folded else None
            if (last is not None and box.subtitle == last.subtitle.split(" x ")[0] and box.group is last.group
                    and len(box.nodes) > 1 and box.inputs == [last.key] and self.read_only_by(last.key, box)):
                count = int(last.subtitle.split(" x ")[1]) + 1 if " x " in last.subtitle else 2
                last.nodes.extend(box.nodes)
                last.key = box.key
                last.subtitle = f"{box.subtitle} x {count}"
                last.title = common_prefix(last.title, box.title)
                continue
            folded.append(Box(box.key, box.title, box.subtitle, list(box.nodes), box.group, list(box.inputs)))
        self.wire(folded)
        return folded

    def read_only_by(self, node: int, box: Box) -> bool:
        """Whether every reader of a tensor is inside a box."""
        inside = set(box.nodes)
        return all(i in inside for i, n in enumerate(self.graph.nodes) if node in n.inputs)

    def wire(self, boxes: list[Box]) -> None:
        """Each box's inputs: the boxes whose tensors its layers read."""
        made = {n: box for box in boxes for n in box.nodes}
        for box in boxes:
            inside = set(box.nodes)
            found: list[int] = []
            for n in box.nodes:
                for j in self.graph.nodes[n].inputs:
                    if j in inside:
                        continue
                    source = made.get(j)
                    key = source.key if source is not None else -1 - j  # a network input
                    if key not in found:
                        found.append(key)
            box.inputs = found

    def label(self, name: str, group: BlockInstance | None) -> str:
        """A name as shown: inside an opened block, without the block's own name."""
        if group is not None and name.startswith(group.name + "."):
            name = name[len(group.name) + 1:]
        return name if len(name) <= 28 else "…" + name[-27:]

    # ---- figures ----------------------------------------------------------------
    def share(self, box: Box) -> float:
        total = self.analysis.totals.flops if self.shade == "flops" else self.analysis.totals.feature_bytes
        part = sum((self.costs[n].flops if self.shade == "flops" else self.costs[n].feature_bytes)
                   for n in box.nodes if n in self.costs)
        return part / total if total else 0.0

    def shape_text(self, node: int) -> str:
        if node < 0:
            shape = self.analysis.input_shapes.get(self.graph.nodes[-1 - node].name)
            return show(shape, self.graph.nodes[-1 - node].layout) if shape else ""
        cost = self.costs.get(node)
        return show(cost.output_shape, cost.layout) if cost else ""

    # ---- layout and SVG -----------------------------------------------------------
    def svg(self) -> str:
        igraph = require_igraph()
        inputs = sorted({k for box in self.boxes for k in box.inputs if k < 0}, reverse=True)
        keys = inputs + [box.key for box in self.boxes]
        index = {k: i for i, k in enumerate(keys)}
        edges = [(index[k], index[box.key]) for box in self.boxes for k in box.inputs]
        g = igraph.Graph(n=len(keys), edges=edges, directed=True)
        layout, routes = _sugiyama(g, len(keys))
        texts = {k: self.node_lines(k) for k in keys}
        width = max(max(len(line) for line in lines) for lines in texts.values()) * CHAR_W + 2 * PAD
        column = width + NODE_GAP
        row = NODE_H + LAYER_GAP
        xs = [p[0] for p in layout] + [p[0] for route in routes for p in route]  # bends take room too
        left = min(xs) if xs else 0
        pos = {k: ((layout[i][0] - left) * column + PAD + width / 2, layout[i][1] * row + PAD + TOP)
               for k, i in index.items()}
        canvas_w = max((max(xs) - left + 1) * column + 2 * PAD if xs else width, 700)
        canvas_h = (max(p[1] for p in layout) + 1) * row + TOP + PAD if layout else row + TOP
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{canvas_w:.0f}" height="{canvas_h:.0f}" '
               f'viewBox="0 0 {canvas_w:.0f} {canvas_h:.0f}" font-family="Helvetica, Arial, sans-serif" '
               'font-size="11">',
               "<style>.edge{fill:none;stroke:#777;stroke-width:1.2}.size{fill:#555;font-size:9px}"
               ".group{fill:#f4f6fb;stroke:#9aa7c7;stroke-dasharray:4 3}.glabel{fill:#5b6a8f;font-size:10px}"
               "</style>",
               '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
               'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>']
        out += self.title_lines(canvas_w)
        out += self.group_boxes(pos, width)
        for (a, b), route in zip(edges, routes):
            out += self.edge(pos[keys[a]], pos[keys[b]], [_point(p, left, column, row, width) for p in route],
                             self.shape_text(keys[a]))
        for k in keys:
            out += self.node(k, pos[k], width, texts[k])
        out.append("</svg>")
        return "\n".join(out) + "\n"

    def node_lines(self, key: int) -> list[str]:
        if key < 0:
            node = self.graph.nodes[-1 - key]
            return [node.name, "input", self.shape_text(key)]
        box = next(b for b in self.boxes if b.key == key)
        share = self.share(box)
        figure = f"{share:.1%} of {self.shade}" if share >= 0.0005 else f"<0.1% of {self.shade}"
        return [box.title, f"{box.subtitle} → {self.shape_text(key)}", figure]

    def node(self, key: int, at: tuple[float, float], width: float, lines: list[str]) -> list[str]:
        x, y = at[0] - width / 2, at[1] - NODE_H / 2
        if key < 0:
            fill, ink = "#ffffff", "#222"
        else:
            box = next(b for b in self.boxes if b.key == key)
            fill, ink = _shade(self.share(box))
        tip = escape(", ".join(lines))
        rows = [f'<g><title>{tip}</title>',
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{NODE_H}" rx="6" fill="{fill}" '
                f'stroke="#444" stroke-width="0.8"/>']
        for n, line in enumerate(lines):
            weight = ' font-weight="bold"' if n == 0 else ""
            rows.append(f'<text x="{at[0]:.1f}" y="{y + 15 + n * LINE_H:.1f}" text-anchor="middle" fill="{ink}"'
                        f'{weight}>{escape(line)}</text>')
        rows.append("</g>")
        return rows

    def edge(self, start: tuple[float, float], end: tuple[float, float], bends: list[tuple[float, float]],
             size: str) -> list[str]:
        points = [(start[0], start[1] + NODE_H / 2), *bends, (end[0], end[1] - NODE_H / 2)]
        path = " ".join(f"{'M' if i == 0 else 'L'} {x:.1f} {y:.1f}" for i, (x, y) in enumerate(points))
        mx, my = points[-2] if len(points) > 2 else points[0]
        lx, ly = (mx + points[-1][0]) / 2, (my + points[-1][1]) / 2
        return [f'<path class="edge" d="{path}" marker-end="url(#arrow)"/>',
                f'<text class="size" x="{lx + 4:.1f}" y="{ly:.1f}">{escape(size)}</text>']

    def group_boxes(self, pos: dict[int, tuple[float, float]], width: float) -> list[str]:
        rows = []
        for b in sorted((b for b in self.blocks if id(b) in self.expanded), key=lambda b: b.depth):
            members = [box.key for box in self.boxes if box.nodes and b.first <= box.nodes[0] < b.end]
            if not members:
                continue
            xs = [pos[k][0] for k in members]
            ys = [pos[k][1] for k in members]
            inset = 8 * (b.depth + 1)
            x0, x1 = min(xs) - width / 2 - inset, max(xs) + width / 2 + inset
            y0, y1 = min(ys) - NODE_H / 2 - inset - 10, max(ys) + NODE_H / 2 + inset
            rows.append(f'<rect class="group" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
                        f'height="{y1 - y0:.1f}" rx="10"/>')
            rows.append(f'<text class="glabel" x="{x0 + 8:.1f}" y="{y0 + 12:.1f}">{escape(b.name)} '
                        f'({escape(b.block)})</text>')
        return rows

    def title_lines(self, canvas_w: float) -> list[str]:
        a = self.analysis
        model = a.model or "network"
        total = readable_flops(a.totals.flops) if self.shade == "flops" else readable_memory(a.totals.feature_bytes)
        legend = [f'<text x="{PAD}" y="20" font-size="14" font-weight="bold">{escape(model)}</text>',
                  f'<text x="{PAD}" y="38" fill="#444">input {escape(show(a.input_shape, a.input_layout))}; '
                  f'shaded by share of {self.shade} ({escape(total)} in all, {escape(a.convention)} convention)'
                  "</text>"]
        legend.append(f'<text x="{PAD}" y="58" font-size="9" fill="#444">share:</text>')
        for n, share in enumerate((0.0, 0.05, 0.1, 0.2, 0.4)):
            fill, _ = _shade(share)
            x = PAD + 36 + n * 46
            legend.append(f'<rect x="{x}" y="48" width="40" height="13" fill="{fill}" stroke="#444" '
                          'stroke-width="0.5"/>')
            legend.append(f'<text x="{x + 20}" y="58" text-anchor="middle" font-size="8" '
                          f'fill="{_shade(share)[1]}">{share:.0%}</text>')
        return legend


def common_prefix(a: str, b: str) -> str:
    """The dotted names two boxes share (`denseblock1` of its layers), else the first."""
    shared = []
    for x, y in zip(a.split("."), b.split(".")):
        if x != y:
            break
        shared.append(x)
    return ".".join(shared) or a


def _sugiyama(g: Any, n: int) -> tuple[list[tuple[float, float]], list[list[tuple[float, float]]]]:
    """Positions of the n nodes (column, layer) and the bends of each edge.

    An edge that skips layers (a detector's image-info input reaching the
    proposal layer, a long skip connection) would be drawn as a straight line
    across the nodes between; as in Sugiyama's method, it is split into a
    chain of dummy nodes, one per layer it crosses, laid out with the real
    ones (so they take a slot of their own and join the crossing reduction),
    and drawn through their positions.  This python-igraph does not return
    its own dummies, so they are made here."""
    if n == 0:
        return [], []
    edges = g.get_edgelist()
    layer = [0] * n
    for v in g.topological_sorting():  # longest path from a source: each edge goes down
        for u in g.predecessors(v):
            layer[v] = max(layer[v], layer[u] + 1)
    extended: list[tuple[int, int]] = []
    chains: list[list[int]] = []  # each edge's dummies, in order
    layers = list(layer)
    for a, b in edges:
        chain = []
        previous = a
        for level in range(layer[a] + 1, layer[b]):
            dummy = len(layers)
            layers.append(level)
            chain.append(dummy)
            extended.append((previous, dummy))
            previous = dummy
        extended.append((previous, b))
        chains.append(chain)
    extended_graph = require_igraph().Graph(n=len(layers), edges=extended, directed=True)
    laid = extended_graph.layout_sugiyama(layers=layers, maxiter=200)
    coords = [tuple(p) for p in laid.coords]
    return coords[:n], [[coords[d] for d in chain] for chain in chains]


def _point(p: tuple[float, float], left: float, column: float, row: float, width: float) -> tuple[float, float]:
    return (p[0] - left) * column + PAD + width / 2, p[1] * row + PAD + TOP


def _shade(share: float) -> tuple[str, str]:
    """White to deep orange with the share (0.4 and up the darkest); dark text
    on light fills, white on dark ones."""
    t = min(share / 0.4, 1.0) ** 0.6
    r = round(255 - t * (255 - 204))
    g = round(255 - t * (255 - 76))
    b = round(255 - t * (255 - 2))
    return f"#{r:02x}{g:02x}{b:02x}", "#ffffff" if t > 0.6 else "#222222"


def draw_svg(graph: Graph, analysis: Analysis, expand: int | None = None, shade: str = "flops") -> str:
    """The network as SVG text; `expand` opens block calls to that depth
    (None: collapsed, the biggest opened while the drawing is nearly empty)."""
    return Drawing(graph, analysis, expand, shade).svg()


__all__ = ["DRAW_HINT", "draw_svg", "require_igraph"]
