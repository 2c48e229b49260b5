"""`archspec explain` as text and JSON."""

from __future__ import annotations

from typing import Any

from ..costs.explain import Explanation, number
from ..kinds.shape import TOKENS, show


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
    shown = show(a.input_shape, a.input_layout) if a.input_layout == TOKENS else f"{h}x{w}"
    out = [f"{a.model}: input {shown}, batch {a.batch}, {a.convention} convention, {a.dtype}", ""]
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
