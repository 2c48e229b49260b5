"""The terminal table (and its markdown twin): one row per layer, then totals
in the reference table's units."""

from __future__ import annotations

from ..costs.engine import Analysis
from ..costs.size_notes import HEADLINE
from ..kinds.shape import TOKENS, show
from .units import readable_count, readable_flops, readable_memory

HEADER = ("layer", "kind", "output (HxWxC)", "params", "feat. mem", "flops")


def _rows(a: Analysis) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for layer in a.layers:
        rows.append((layer.name, layer.kind, show(layer.output_shape, layer.layout),
                     readable_count(layer.params + layer.buffers) if layer.params + layer.buffers else "-",
                     readable_memory(layer.feature_bytes) if layer.feature_bytes else "-",
                     readable_flops(layer.flops) if layer.flops else "-"))
    return rows


def _spaced(shape: tuple[int, int, int], layout: str) -> str:
    """`224 x 224 x 3`, or `1024 tokens x 768`."""
    c, h, w = shape
    return f"{h} tokens x {c}" if layout == TOKENS else f"{h} x {w} x {c}"


def summary_lines(a: Analysis) -> list[tuple[str, str]]:
    t = a.totals
    lines = [
        ("model", a.model or "(unnamed)"),
        ("input", f"{_spaced(a.input_shape, a.input_layout)}, batch {a.batch}, {a.dtype}, convention {a.convention}"),
        ("output", _spaced(t.output_shape, t.output_layout)),
        ("params", f"{readable_count(t.params)} learnable + {readable_count(t.buffers)} buffers"),
        ("param mem", readable_memory(t.param_bytes)),
        ("feat. mem", readable_memory(t.feature_bytes)),
        ("flops", readable_flops(t.flops)),
        ("macs", f"{readable_count(t.macs)}"),
    ]
    if a.size_notes:
        lines.append(("note", f"{HEADLINE}: " + "; ".join(note.sentence() for note in a.size_notes)))
    return lines


def render_table(a: Analysis, markdown: bool = False) -> str:
    rows = _rows(a)
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        lines.append("")
        lines += [f"- **{k}**: {v}" for k, v in summary_lines(a)]
        return "\n".join(lines) + "\n"
    widths = [max(len(r[i]) for r in rows + [HEADER]) for i in range(len(HEADER))]
    right = {3, 4, 5}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        return "  ".join(cells).rstrip()

    lines = [fmt(HEADER), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in rows]
    lines.append("")
    lines += [f"{k + ':':11}{v}" for k, v in summary_lines(a)]
    return "\n".join(lines) + "\n"
