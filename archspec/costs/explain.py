"""Every figure of an analysis written out as arithmetic a student can redo by hand.

Nothing here computes a figure of its own: shapes, parameters and costs come
from the engine's `Analysis`; each line is the layer kind's own formula
(kinds/formula.py) written out with the layer's numbers, so what is written
is what was computed.  Rendering is in views/explain.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from math import prod

from ..conventions import Convention, get_convention
from ..errors import ArchError
from ..graph.layer_graph import Graph
from ..kinds import Shape, show
from ..kinds.formula import Formula, Term
from ..kinds.shape import dims
from ..kinds.site import Site
from .catalogue import DTYPE_BYTES
from .engine import Analysis, LayerCost, analyze

# size lines that start with one of these words and ": " are shown under that word
SIZE_LABELS = ("heads", "windows", "cross", "products", "scores", "mask", "dropout")


def number(n: int) -> str:
    return f"{n:,}"


def array_text(name: str, formula: Formula, site: Site) -> str:
    """`weight 64·3·7·7 = 9,408`, `scale C = 64`, or `bias 1`."""
    value = formula(site)
    numbers = formula.substituted(site)
    notes = formula.notes(site)
    if notes:
        numbers += " (" + "; ".join(notes) + ")"
    if numbers != str(value):
        return f"{name} {numbers} = {number(value)}"
    if isinstance(formula, Term) and formula.written() != str(value):
        return f"{name} {formula.written()} = {number(value)}"
    return f"{name} {number(value)}"


def flop_line(formula: Formula, convention: Convention, site: Site, batch: int) -> tuple[str, int]:
    """`formula = numbers = value` for one layer, and the value of the formula."""
    value = formula(site)
    reason = formula.uncounted(site)
    if reason is not None:
        return f"0 (not counted by {convention.name}: {reason})", 0
    written, numbers = formula.written_at(site), formula.substituted(site)
    # a formula that is a single number already shows its value: do not repeat it
    shown = number(value) if numbers.strip() == number(value) else f"{numbers} = {number(value)}"
    line = f"{written} = {shown}" if written != numbers else shown
    if batch > 1:
        line += f"; × batch {batch} = {number(value * batch)}"
    return line, value


@dataclass
class LayerExplanation:
    cost: LayerCost
    inputs: list[Shape]
    lines: list[tuple[str, str]]  # (label, text)
    formula_value: int  # the written formula's value, one image (must equal the engine's)


@dataclass
class Explanation:
    analysis: Analysis
    layers: list[LayerExplanation] = field(default_factory=list)
    by_category: dict[str, dict[str, int]] = field(default_factory=dict)
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    by_stage: dict[str, dict[str, int]] = field(default_factory=dict)


def explain(graph: Graph, size: tuple[int, int] | None = None, batch: int = 1,
            upto: str | None = None, dtype: str = "float32", convention: str = "burden",
            layer: str | None = None) -> Explanation:
    analysis = analyze(graph, size, batch, upto, dtype, convention)
    rules = get_convention(convention)
    try:
        wanted = graph.nodes[graph.find(layer)].name if layer else None
    except ArchError as exc:  # the name is the `layer` argument's
        exc.argument = exc.argument or "layer"
        raise
    if layer and not any(c.name == wanted for c in analysis.layers):
        raise ArchError(f"'{layer}' is an input or lies beyond the analysed layers: it has no figures to explain",
                        argument="layer")
    result = Explanation(analysis)
    width = DTYPE_BYTES[dtype]
    for cost in analysis.layers:
        group = {"flops": cost.flops, "params": cost.params + cost.buffers,
                 "feature_bytes": cost.feature_bytes, "macs": cost.macs, "layers": 1}
        for table, key in ((result.by_category, cost.layer.category), (result.by_kind, cost.kind),
                           (result.by_stage, cost.name.split(".")[0])):
            entry = table.setdefault(key, defaultdict(int))
            for k, v in group.items():
                entry[k] += v
        if wanted is not None and cost.name != wanted:
            continue
        result.layers.append(explain_layer(cost, rules, batch, width))
    return result


def explain_layer(cost: LayerCost, rules: Convention, batch: int, width: int) -> LayerExplanation:
    layer, site, inputs = cost.layer, cost.site, list(cost.input_shapes)
    lines: list[tuple[str, str]] = [
        ("shape", f"{' + '.join(show(s, lay) for s, lay in zip(inputs, cost.input_layouts))} → "
                  f"{show(cost.output_shape, cost.layout)}")]
    for text in layer.size_lines(inputs, cost.output_shape):
        label = "height" if text.startswith("H' = ") and "W'" not in text else \
            "width" if text.startswith("W' = ") else "output"
        head, said, rest = text.partition(": ")
        if said and head in SIZE_LABELS:  # a line that names what it is about
            label, text = head, rest
        lines.append((label, text))
    params = [array_text(name, f, site) for name, f in layer.learnable().items()]
    if params:
        total = cost.params + cost.shared_params
        text = "; ".join(params) + (f"; total {number(total)}" if len(params) > 1 else "")
        if cost.shares is not None:
            text += f" (shared with '{cost.shares}': {number(cost.shared_params)} counted there)"
        lines.append(("params", text))
    buffers = [array_text(name, f, site) for name, f in layer.buffers().items()]
    if buffers:
        lines.append(("buffers", "; ".join(buffers)))
    flop_text, formula_value = flop_line(layer.flops_under(rules.name), rules, site, batch)
    lines.append(("FLOPs", flop_text))
    if cost.macs:
        macs = layer.macs(site)
        text = f"{layer.macs.substituted(site)} = {number(macs)}"
        if batch > 1:
            text += f"; × batch {batch} = {number(macs * batch)}"
        lines.append(("MACs", text))
    if cost.feature_bytes:
        inside = layer.intermediates(site)  # tensors it makes inside itself, live while it runs
        kept = (cost.feature_bytes // (width * batch) - inside) // prod(cost.output_shape)
        times = f" × {kept} arrays" if kept > 1 else ""
        elements = f"{dims(cost.output_shape)}{times}"
        if inside:
            elements = f"({elements} + {layer.intermediates.substituted(site)} made inside)"
        batch_text = f" × batch {batch}" if batch > 1 else ""
        lines.append(("features", (f"{elements} × {width} B{batch_text} = "
                      f"{number(cost.feature_bytes)} B")))
    elif layer.storage.inference == "in place":  # the reference's accounting: the kind's storage
        lines.append(("features", "0 B (in place: it overwrites its input)"))
    return LayerExplanation(cost, inputs, lines, formula_value)
