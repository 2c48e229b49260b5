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

from ..graph.layer_graph import Graph
from .engine import Analysis, LayerCost, analyze

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


def _settings(cost: LayerCost) -> dict[str, Any]:
    layer = cost.layer
    settings = layer.model_dump()
    strides = getattr(layer, "strides", None)
    if callable(strides):  # a pool's default stride is its kernel: compare what it means
        settings["stride"] = strides()
    return settings


def _show(value: Any) -> str:
    if isinstance(value, (tuple, list)) and len(value) == 2 and value[0] == value[1]:
        return str(value[0])
    return str(value)


def _changes(a: LayerCost, b: LayerCost) -> list[str]:
    if a.kind != b.kind:
        return [f"kind {a.kind} → {b.kind}"]
    sa, sb = _settings(a), _settings(b)
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
        changes = _changes(la, lb) if la and lb else []
        pairs.append(Pair(la, lb, changes))
    return Diff(a, b, pairs, by_name * 2 >= max(len(a.layers), 1))
