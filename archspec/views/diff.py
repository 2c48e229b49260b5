"""`archspec diff` as text and JSON."""

from __future__ import annotations

from typing import Any

from ..costs.diff import FIGURES, Diff, Pair
from ..costs.engine import LayerCost
from ..kinds import show


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
    inputs = f"input A {show(a.input_shape, a.input_layout)}, B {show(b.input_shape, b.input_layout)}"
    lines = [(f"A = {a.model}, B = {b.model}: {inputs}, "
             f"batch {a.batch}, {a.convention} convention"),
             (f"layers aligned {'by name' if d.by_name else 'by kind and order (names differ)'}; "
             f"{len(a.layers)} layers in A, {len(b.layers)} in B"), ""]
    header = (f"{'A layer':<34} {'B layer':<34} {'A out':>13} {'B out':>13} {'Δ FLOPs':>15} "
              f"{'Δ params':>12} {'Δ buffers':>10} {'Δ features (B)':>15}  changes")
    lines.append(header)
    shown = 0
    for p in d.pairs:
        if not (all_layers or p.changed):
            continue
        shown += 1
        lines.append(
            f"{(p.a.name if p.a else '—'):<34.34} {(p.b.name if p.b else '—'):<34.34} "
            f"{(show(p.a.output_shape) if p.a else '—'):>13} {(show(p.b.output_shape) if p.b else '—'):>13} "
            f"{_signed(p.delta('flops')):>15} {_signed(p.delta('params')):>12} {_signed(p.delta('buffers')):>10} "
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
