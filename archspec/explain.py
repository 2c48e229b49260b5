"""Every figure of an analysis written out as arithmetic a student can redo by hand.

Nothing here computes a figure of its own: shapes, parameters and costs come
from the engine's `Analysis`; the FLOP formulas are the convention's own
written rules (`Convention.formulas`, over the names of `Site`'s
properties), evaluated on the layer's numbers and checked against the rule;
output sizes are the sliding-window rule of layers/base.py written out with
the layer's kernel, stride, padding, dilation and rounding.
"""

from __future__ import annotations

import ast
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from math import prod
from typing import Any

from .conventions import MACS, Convention, Site
from .conventions import get as get_convention
from .engine import DTYPE_BYTES, Analysis, LayerCost, analyze, input_shapes
from .errors import ArchError
from .graph import Graph
from .layers.base import Layer, Shape, padding, pair, show, sliding_output


def number(n: int) -> str:
    return f"{n:,}"


def dims(shape: Shape) -> str:
    """Elements of a tensor as a product, H·W·C as the reference shows shapes."""
    c, h, w = shape
    return f"{h}·{w}·{c}"


# --- output sizes ------------------------------------------------------------------

def _window_text(size: int, kernel: int, stride: int, before: int, after: int,
                 dilation: int, ceil: bool) -> tuple[str, int]:
    span = f"{kernel}" if dilation == 1 else f"({dilation}·({kernel}−1)+1)"
    rounding = "ceil" if ceil else "floor"
    text = f"{rounding}(({size} + {before} + {after} − {span}) / {stride}) + 1"
    value = sliding_output(size, kernel, stride, before, after, dilation, ceil)
    if ceil:
        text += " (less 1 if the last window starts in the padding)"
    return text, value


def output_size_lines(layer: Layer, inputs: list[Shape], output: Shape) -> list[str]:
    """How the output height and width follow from the input's."""
    kind = layer.counts_as
    _, h, w = inputs[0]
    kernel = getattr(layer, "kernel", None)
    if kind in ("conv", "pool") and kernel is not None and hasattr(layer, "pad") and \
            layer.kind != "fc":
        kh, kw = pair(kernel, "kernel")
        strides = getattr(layer, "strides", None)
        sh, sw = strides() if callable(strides) else pair(getattr(layer, "stride", 1), "stride")
        dh, dw = pair(getattr(layer, "dilation", 1), "dilation")
        top, bottom, left, right = padding(getattr(layer, "pad", 0))
        ceil = bool(getattr(layer, "ceil", False))
        th, vh = _window_text(h, kh, sh, top, bottom, dh, ceil)
        tw, vw = _window_text(w, kw, sw, left, right, dw, ceil)
        return [f"H' = {th} = {vh}", f"W' = {tw} = {vw}"]
    if layer.kind == "fc":
        kh, kw = pair(kernel or (h, w), "kernel")
        return [(f"H' = {h} − {kh} + 1 = {output[1]}, W' = {w} − {kw} + 1 = {output[2]} "
                f"(weights cover {kh}x{kw}: the reference input's extent)")]
    if kind == "deconv":
        kh, kw = pair(layer.kernel, "kernel")  # type: ignore[attr-defined]
        sh, sw = pair(layer.stride, "stride")  # type: ignore[attr-defined]
        top, bottom, left, right = padding(layer.pad)  # type: ignore[attr-defined]
        return [f"H' = ({h} − 1)·{sh} + {kh} − {top} − {bottom} = {output[1]}",
                f"W' = ({w} − 1)·{sw} + {kw} − {left} − {right} = {output[2]}"]
    if kind == "interp" and len(inputs) == 1:
        zoom, shrink = getattr(layer, "zoom", 1), getattr(layer, "shrink", 1)
        pads = f"{getattr(layer, 'pad_beg', 0)} + {getattr(layer, 'pad_end', 0)}"
        return [f"H' = round(({h} + {pads} − 1)·{zoom}/{shrink} + 1) = {output[1]}",
                f"W' = round(({w} + {pads} − 1)·{zoom}/{shrink} + 1) = {output[2]}"]
    if len(inputs) == 2 and kind in ("crop", "interp"):
        return [f"{output[1]}x{output[2]}: the second input's height and width"]
    if layer.kind == "concat":
        return [f"C' = {' + '.join(str(s[0]) for s in inputs)} = {output[0]}"]
    if output[1:] == (1, 1) and (h, w) != (1, 1):
        return [f"{h}x{w} → 1x1"]
    return []


# --- parameters ----------------------------------------------------------------------

def _array_factors(layer: Layer, name: str, inputs: list[Shape]) -> str | None:
    c = inputs[0][0]
    if name == "weight":
        weight_shape = getattr(layer, "weight_shape", None)
        groups = getattr(layer, "groups", 1)
        if callable(weight_shape):
            text = "·".join(str(x) for x in weight_shape(c))
            if groups > 1:  # each filter sees only its group's channels
                text += f" (groups={groups}: each filter sees {c}/{groups} = {c // groups} of the channels)"
            return text
        kernel = getattr(layer, "kernel", None)
        out = getattr(layer, "out", None)
        if kernel is not None and out is not None:
            kh, kw = pair(kernel, "kernel")
            if layer.counts_as == "deconv":
                return f"{c}·{out // groups}·{kh}·{kw}"
            return f"{out}·{c // groups}·{kh}·{kw}"
    if name == "bias":
        return str(getattr(layer, "out", c))
    return None


def array_lines(layer: Layer, inputs: list[Shape], learnable: bool) -> list[str]:
    arrays = layer.parameters(inputs) if learnable else layer.buffers(inputs)
    parts = []
    for name, count in arrays.items():
        factors = _array_factors(layer, name, inputs) if learnable else None
        if factors is None and count == inputs[0][0]:
            shown = f"C = {number(count)}"
        else:
            shown = f"{factors} = {number(count)}" if factors and factors != str(count) else number(count)
        parts.append(f"{name} {shown}")
    return parts


# --- FLOPs -----------------------------------------------------------------------------

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}


def _macs_text(site: Site) -> str:
    """A layer's MACs as output elements x work per output element."""
    if site.macs == 0:
        return "0"
    layer = site.layer
    if layer.counts_as == "deconv":
        c, h, w = site.inputs[0]
        kh, kw = pair(layer.kernel, "kernel")  # type: ignore[attr-defined]
        return f"{h}·{w}·{c} × ({kh}·{kw}·{layer.out // layer.groups})"  # type: ignore[attr-defined]
    per_output = site.macs // site.out if site.out else 0
    kernel = getattr(layer, "kernel", None)
    if kernel is not None and per_output * site.out == site.macs:
        kh, kw = pair(kernel, "kernel")
        groups = getattr(layer, "groups", 1)
        cin = site.inputs[0][0] // groups
        if kh * kw * cin == per_output:
            return f"{dims(site.output)} × ({kh}·{kw}·{cin})"
    if per_output * site.out == site.macs:
        return f"{dims(site.output)} × {per_output}"
    return number(site.macs)


def _terms(site: Site) -> dict[str, tuple[int, str]]:
    """The names a formula may use: value and how it is written out."""
    c, h, w = site.output
    return {
        "out": (site.out, dims(site.output)),
        "inp": (site.inp, dims(site.inputs[0])),
        "macs": (site.macs, _macs_text(site)),
        "bias": (site.bias, dims(site.output) if site.bias else "0"),
        "stride_area": (site.stride_area, "{}·{}".format(*_stride_pair(site.layer))),
        "area": (h * w, f"{h}·{w}"),
        "n_inputs": (len(site.inputs), str(len(site.inputs))),
        "C": (c, str(c)), "H": (h, str(h)), "W": (w, str(w)),
    }


def _stride_pair(layer: Layer) -> tuple[int, int]:
    strides = getattr(layer, "strides", None)
    return strides() if callable(strides) else (1, 1)


def render_formula(formula: str, site: Site) -> tuple[str, int]:
    """The formula with every name replaced by its numbers, and its value."""
    terms = _terms(site)

    def walk(node: ast.AST, parent_op: type | None = None) -> tuple[str, int]:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return str(node.value), node.value
        if isinstance(node, ast.Name):
            value, text = terms[node.id]
            needs_brackets = parent_op is ast.Mult and ("+" in text or "×" in text)
            return (f"({text})" if needs_brackets else text), value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, lv = walk(node.left, type(node.op))
            right, rv = walk(node.right, type(node.op))
            symbol = {ast.Add: " + ", ast.Sub: " − ", ast.Mult: " × "}[type(node.op)]
            text = f"{left}{symbol}{right}"
            if parent_op is ast.Mult and type(node.op) is not ast.Mult:
                text = f"({text})"
            return text, _OPS[type(node.op)](lv, rv)
        raise ValueError(f"unsupported formula element in {formula!r}")

    return walk(ast.parse(formula, mode="eval"))


def flop_line(convention: Convention, site: Site, batch: int) -> tuple[str, int]:
    """`formula = numbers = value` for one layer, and the value of the formula."""
    rule_name = site.layer.counts_as
    formula = convention.formulas.get(rule_name) if site.layer.kind not in convention.kinds else None
    value = convention.flops(site)
    if formula is None:
        if value == 0:
            return f"0 ({rule_name}: not counted by {convention.name})", 0
        return f"{number(value)} (rule '{rule_name}' of {convention.name})", value
    text, computed = render_formula(formula, site)
    prefix = f"{formula.replace(' * ', '·')} = "
    # a formula that is a single name already shows its value: do not repeat it
    shown = number(computed) if text.strip() == number(computed) else f"{text} = {number(computed)}"
    line = prefix + shown
    if batch > 1:
        line += f"; × batch {batch} = {number(computed * batch)}"
    return line, computed


# --- per layer and subtotals --------------------------------------------------------

@dataclass
class LayerExplanation:
    cost: LayerCost
    inputs: list[Shape]
    lines: list[tuple[str, str]]  # (label, text)
    formula_value: int  # the written formula's value, one image (must equal the rule's)


CATEGORIES = {
    "conv": "convolution", "deconv": "convolution", "relu": "element-wise", "sum": "element-wise",
    "scale": "element-wise", "axpy": "element-wise", "max": "element-wise",
    "sigmoid": "element-wise", "softmax": "element-wise", "dropout": "element-wise",
    "pool": "pooling", "global_pool": "pooling", "bn": "normalisation", "lrn": "normalisation",
    "l2norm": "normalisation", "interp": "resize",
}


def category(layer: Layer) -> str:
    if layer.kind == "fc":
        return "fully connected"
    return CATEGORIES.get(layer.counts_as, "other")


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
    shapes: dict[str, Shape] = {graph.nodes[i].name: s for i, s in input_shapes(graph, size).items()}
    for cost in analysis.layers:
        shapes[cost.name] = cost.output_shape
    wanted = graph.nodes[graph.find(layer)].name if layer else None
    if layer and not any(c.name == wanted for c in analysis.layers):
        raise ArchError(f"'{layer}' is an input or lies beyond --upto: it has no figures to explain")
    result = Explanation(analysis)
    width = DTYPE_BYTES[dtype]
    for cost in analysis.layers:
        node = graph.nodes[graph.index[cost.name]]
        assert node.layer is not None
        inputs = [shapes[n] for n in cost.inputs]
        group = {"flops": cost.flops, "params": cost.params + cost.buffers,
                 "feature_bytes": cost.feature_bytes, "macs": cost.macs, "layers": 1}
        for table, key in ((result.by_category, category(node.layer)), (result.by_kind, cost.kind),
                           (result.by_stage, cost.name.split(".")[0])):
            entry = table.setdefault(key, defaultdict(int))
            for k, v in group.items():
                entry[k] += v
        if wanted is not None and cost.name != wanted:
            continue
        result.layers.append(_explain_layer(node.layer, cost, inputs, rules, batch, width))
    return result


def _explain_layer(layer: Layer, cost: LayerCost, inputs: list[Shape], rules: Convention,
                   batch: int, width: int) -> LayerExplanation:
    site = Site(layer, tuple(inputs), cost.output_shape)
    lines: list[tuple[str, str]] = [
        ("shape", f"{' + '.join(show(s) for s in inputs)} → {show(cost.output_shape)}")]
    for text in output_size_lines(layer, inputs, cost.output_shape):
        label = "height" if text.startswith("H' = ") and "W'" not in text else \
            "width" if text.startswith("W' = ") else "output"
        lines.append((label, text))
    params = array_lines(layer, inputs, learnable=True)
    if params:
        lines.append(("params", "; ".join(params) + (f"; total {number(cost.params)}" if len(params) > 1 else "")))
    buffers = array_lines(layer, inputs, learnable=False)
    if buffers:
        lines.append(("buffers", "; ".join(buffers)))
    flop_text, formula_value = flop_line(rules, site, batch)
    lines.append(("FLOPs", flop_text))
    if cost.macs:
        macs = MACS.flops(site)
        text = f"{_macs_text(site)} = {number(macs)}"
        if batch > 1:
            text += f"; × batch {batch} = {number(macs * batch)}"
        lines.append(("MACs", text))
    if cost.feature_bytes:
        kept = cost.feature_bytes // (prod(cost.output_shape) * width * batch)
        times = f" × {kept} arrays" if kept > 1 else ""
        batch_text = f" × batch {batch}" if batch > 1 else ""
        lines.append(("features", (f"{dims(cost.output_shape)}{times} × {width} B{batch_text} = "
                      f"{number(cost.feature_bytes)} B")))
    elif layer.inplace:
        lines.append(("features", "0 B (in place: it overwrites its input)"))
    return LayerExplanation(cost, inputs, lines, formula_value)


# --- rendering ---------------------------------------------------------------------------

def _share_table(title: str, table: dict[str, dict[str, int]], totals: dict[str, int],
                 by_flops: bool = True) -> list[str]:
    rows = [(f"{title:<28} {'layers':>6} {'FLOPs':>18} {'share':>7} {'params+buf':>13} {'share':>7} "
            f"{'features (B)':>15} {'share':>7}")]
    items = sorted(table.items(), key=lambda kv: -kv[1]["flops"]) if by_flops else table.items()
    for key, entry in items:
        row = f"{key:<28} {entry['layers']:>6} "
        for quantity in ("flops", "params", "feature_bytes"):
            total = totals[quantity]
            share = f"{100 * entry[quantity] / total:.1f}%" if total else "-"
            width = 18 if quantity == "flops" else 13 if quantity == "params" else 15
            row += f"{number(entry[quantity]):>{width}} {share:>7} "
        rows.append(row.rstrip())
    return rows


def render_text(result: Explanation, subtotals: bool = True) -> str:
    a = result.analysis
    _, h, w = a.input_shape
    out = [f"{a.model}: input {h}x{w}, batch {a.batch}, {a.convention} convention, {a.dtype}", ""]
    for item in result.layers:
        cost = item.cost
        out.append(f"{cost.name}  ({cost.kind}, {cost.path}:{cost.line})")
        for label, text in item.lines:
            out.append(f"  {label:<9}{text}")
        out.append("")
    if subtotals:
        t = a.totals
        totals = {"flops": t.flops, "params": t.params + t.buffers, "feature_bytes": t.feature_bytes}
        out.append(f"total: {number(t.flops)} FLOPs, {number(t.params)} params + {number(t.buffers)} "
                   f"buffers, {number(t.feature_bytes)} B of features, {number(t.macs)} MACs")
        out.append("")
        out += _share_table("where do the FLOPs go", result.by_category, totals) + [""]
        out += _share_table("by layer kind", result.by_kind, totals) + [""]
        out += _share_table("by top-level stage", result.by_stage, totals, by_flops=False)
    return "\n".join(out) + "\n"


def render_json(result: Explanation) -> dict[str, Any]:
    a = result.analysis
    return {
        "model": a.model, "input": list(a.input_shape), "batch": a.batch,
        "convention": a.convention, "dtype": a.dtype,
        "layers": [{"name": i.cost.name, "kind": i.cost.kind,
                    "lines": [{"label": label, "text": text} for label, text in i.lines],
                    "flops": i.cost.flops, "params": i.cost.params, "buffers": i.cost.buffers,
                    "macs": i.cost.macs, "feature_bytes": i.cost.feature_bytes}
                   for i in result.layers],
        "by_category": {k: dict(v) for k, v in result.by_category.items()},
        "by_kind": {k: dict(v) for k, v in result.by_kind.items()},
        "by_stage": {k: dict(v) for k, v in result.by_stage.items()},
    }
