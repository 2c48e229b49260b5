"""Two specs side by side: which layers correspond, what changed, what it costs.

Layers are aligned by name where the names agree (the longest common
subsequence of names, so insertions and deletions stay local); runs of layers
whose names differ -- two imports of one network, say MSRA's `res2a_branch2a`
and torchvision's `features_4_0_conv1` -- are aligned by kind and output
channels in order, the same longest-common-subsequence rule.  What is left
over is reported as only in A or only in B.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from .engine import Analysis, LayerCost, analyze
from .graph import Graph
from .layers.base import show

FIGURES = ("params", "buffers", "flops", "macs", "feature_bytes")


@dataclass
class Pair:
    a: LayerCost | None
    b: LayerCost | None
    changes: list[str] = field(default_factory=list)  # settings that differ: "stride 2 → 1"

    @property
    def changed(self) -> bool:
        if self.a is None or self.b is None:
            return True
        return bool(self.changes) or self.a.output_shape != self.b.output_shape or any(
            getattr(self.a, f) != getattr(self.b, f) for f in FIGURES)

    def delta(self, figure: str) -> int:
        return (getattr(self.b, figure) if self.b else 0) - (getattr(self.a, figure) if self.a else 0)


@dataclass
class Diff:
    a: Analysis
    b: Analysis
    pairs: list[Pair]
    by_name: bool  # True when most layers were matched by name


def _settings(graph: Graph, name: str) -> dict[str, Any]:
    layer = graph.nodes[graph.index[name]].layer
    assert layer is not None
    settings = layer.model_dump()
    strides = getattr(layer, "strides", None)
    if callable(strides):  # a pool's default stride is its kernel: compare what it means
        settings["stride"] = strides()
    return settings


def _show(value: Any) -> str:
    if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] == value[1]:
        return str(value[0])
    return str(value)


def _changes(ga: Graph, gb: Graph, a: LayerCost, b: LayerCost) -> list[str]:
    if a.kind != b.kind:
        return [f"kind {a.kind} → {b.kind}"]
    sa, sb = _settings(ga, a.name), _settings(gb, b.name)
    out = []
    for key in sa:
        va, vb = sa[key], sb.get(key)
        if _show(va) != _show(vb):
            out.append(f"{key} {_show(va)} → {_show(vb)}")
    return out


def _key(cost: LayerCost) -> tuple[str, int]:
    return cost.kind, cost.output_shape[0]


def _align(a: list[LayerCost], b: list[LayerCost]) -> tuple[list[tuple[int | None, int | None]], int]:
    """Index pairs in order; and how many were matched by name."""
    pairs: list[tuple[int | None, int | None]] = []
    by_name = 0
    names = SequenceMatcher(None, [c.name for c in a], [c.name for c in b], autojunk=False)
    for tag, i1, i2, j1, j2 in names.get_opcodes():
        if tag == "equal":
            pairs.extend((i1 + k, j1 + k) for k in range(i2 - i1))
            by_name += i2 - i1
            continue
        kinds = SequenceMatcher(None, [_key(c) for c in a[i1:i2]], [_key(c) for c in b[j1:j2]],
                                autojunk=False)
        for tag2, k1, k2, l1, l2 in kinds.get_opcodes():
            if tag2 == "equal":
                pairs.extend((i1 + k1 + k, j1 + l1 + k) for k in range(k2 - k1))
            else:
                pairs.extend((i1 + k, None) for k in range(k1, k2))
                pairs.extend((None, j1 + k) for k in range(l1, l2))
    return pairs, by_name


def diff_specs(ga: Graph, gb: Graph, size: tuple[int, int] | None = None, batch: int = 1,
               dtype: str = "float32", convention: str = "burden") -> Diff:
    a = analyze(ga, size, batch, None, dtype, convention)
    b = analyze(gb, size, batch, None, dtype, convention)
    index_pairs, by_name = _align(a.layers, b.layers)
    pairs = []
    for i, j in index_pairs:
        la = a.layers[i] if i is not None else None
        lb = b.layers[j] if j is not None else None
        changes = _changes(ga, gb, la, lb) if la and lb else []
        pairs.append(Pair(la, lb, changes))
    return Diff(a, b, pairs, by_name * 2 >= max(len(a.layers), 1))


def _signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def _percent(new: int, old: int) -> str:
    return f"{100 * (new - old) / old:+.1f}%" if old else "-"


def _note(p: Pair) -> str:
    if p.changes:
        return "; ".join(p.changes)
    return "only in A" if p.b is None else "only in B" if p.a is None else ""


def render_text(d: Diff, all_layers: bool = False) -> str:
    a, b = d.a, d.b
    lines = [(f"A = {a.model}, B = {b.model}: input A {show(a.input_shape)}, B {show(b.input_shape)}, "
             f"batch {a.batch}, {a.convention} convention"),
             (f"layers aligned {'by name' if d.by_name else 'by kind and order (names differ)'}; "
             f"{len(a.layers)} layers in A, {len(b.layers)} in B"), ""]
    header = (f"{'A layer':<34} {'B layer':<34} {'A out':>13} {'B out':>13} {'Δ FLOPs':>15} "
              f"{'Δ params':>12} {'Δ features (B)':>15}  changes")
    lines.append(header)
    shown = 0
    for p in d.pairs:
        if not (all_layers or p.changed):
            continue
        shown += 1
        lines.append(
            f"{(p.a.name if p.a else '—'):<34.34} {(p.b.name if p.b else '—'):<34.34} "
            f"{(show(p.a.output_shape) if p.a else '—'):>13} {(show(p.b.output_shape) if p.b else '—'):>13} "
            f"{_signed(p.delta('flops')):>15} {_signed(p.delta('params') + p.delta('buffers')):>12} "
            f"{_signed(p.delta('feature_bytes')):>15}  "
            + _note(p))
    if shown == 0:
        lines.append("(no layer differs)")
    moved = [p for p in d.pairs if any(c.startswith("stride ") for c in p.changes)]
    if moved:
        lines += ["", "stride changes:"]
        for p in moved:
            assert p.a and p.b
            what = "; ".join(c for c in p.changes if c.startswith("stride "))
            lines.append(f"  {p.a.name} / {p.b.name}: {what} (Δ FLOPs {_signed(p.delta('flops'))})")
    ta, tb = a.totals, b.totals
    lines += ["", f"{'total':<16} {'A':>18} {'B':>18} {'B − A':>18} {'':>8}"]
    for label, va, vb in (("params", ta.params, tb.params), ("buffers", ta.buffers, tb.buffers),
                          ("param bytes", ta.param_bytes, tb.param_bytes),
                          ("feature bytes", ta.feature_bytes, tb.feature_bytes),
                          ("FLOPs", ta.flops, tb.flops), ("MACs", ta.macs, tb.macs)):
        lines.append(f"{label:<16} {va:>18,} {vb:>18,} {_signed(vb - va):>18} {_percent(vb, va):>8}")
    return "\n".join(lines) + "\n"


def render_json(d: Diff) -> dict[str, Any]:
    def figures(cost: LayerCost | None) -> dict[str, Any] | None:
        if cost is None:
            return None
        return {"name": cost.name, "kind": cost.kind, "output_shape": list(cost.output_shape),
                **{f: getattr(cost, f) for f in FIGURES}}

    def totals(t: Any) -> dict[str, int]:
        return {f: getattr(t, f) for f in ("params", "buffers", "param_bytes", "feature_bytes", "flops", "macs")}

    return {
        "a": {"model": d.a.model, "totals": totals(d.a.totals)},
        "b": {"model": d.b.model, "totals": totals(d.b.totals)},
        "aligned_by_name": d.by_name,
        "pairs": [{"a": figures(p.a), "b": figures(p.b), "changes": p.changes,
                   "delta": {f: p.delta(f) for f in FIGURES}} for p in d.pairs],
    }
