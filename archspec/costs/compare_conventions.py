"""Every counting convention side by side: totals, and per layer kind what
each convention counts, so the gap between two tools' figures can be read
off as a sum of per-kind differences."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..conventions import CONVENTIONS, Convention
from ..graph.layer_graph import Graph
from .engine import analyze


@dataclass(slots=True)
class KindRow:
    kind: str
    layers: int
    counts: dict[str, int] = field(default_factory=dict)  # convention -> FLOPs or MACs


@dataclass(slots=True)
class Comparison:
    model: str
    batch: int
    size: tuple[int, int]
    conventions: list[Convention]
    totals: dict[str, int]
    params: dict[str, int]  # what each convention calls the parameter count
    kinds: list[KindRow]

    def baseline(self, convention: Convention) -> str:
        """The plain count a convention's gap is explained against: the
        multiply-accumulates in its own unit (`macs` or `flops`)."""
        return "flops" if convention.unit == "FLOPs" else "macs"

    def gaps(self, convention: Convention) -> list[tuple[str, int]]:
        """Per kind, how much `convention` counts beyond its baseline."""
        base = self.baseline(convention)
        return [(row.kind, row.counts[convention.name] - row.counts[base]) for row in self.kinds
                if row.counts[convention.name] != row.counts[base]]


def compare(graph: Graph, size: tuple[int, int] | None = None, batch: int = 1,
            upto: str | None = None, dtype: str = "float32") -> Comparison:
    conventions = list(CONVENTIONS.values())
    rows: dict[str, KindRow] = {}
    totals: dict[str, int] = {}
    params: dict[str, int] = {}
    first = None
    for convention in conventions:
        result = analyze(graph, size, batch, upto, dtype, convention)
        first = first or result
        totals[convention.name] = result.totals.flops
        params[convention.name] = result.totals.params + (
            result.totals.buffers if convention.counts_buffers else 0)
        seen: dict[str, int] = {}
        for layer in result.layers:
            row = rows.setdefault(layer.kind, KindRow(layer.kind, 0))
            row.counts[convention.name] = row.counts.get(convention.name, 0) + layer.flops
            seen[layer.kind] = seen.get(layer.kind, 0) + 1
        for kind, n in seen.items():
            rows[kind].layers = n
    assert first is not None
    _, h, w = first.input_shape
    return Comparison(first.model, batch, (h, w), conventions, totals, params, list(rows.values()))
