"""The terminal table (and its markdown twin): one row per layer, then the
totals, three significant figures with units that say their base (and, in one
line, the reference table's own rounding of the same totals)."""

from __future__ import annotations

from ..conventions import CONVENTIONS
from ..costs.engine import Analysis
from ..costs.size_notes import HEADLINE
from ..kinds.shape import TOKENS, show
from .units import UNITS_NOTE, binary_memory, decimal_count, readable_count, readable_flops, readable_memory


def count_unit(convention: str) -> str:
    """What one count of `convention` is: `FLOPs` or `MACs`."""
    return CONVENTIONS[convention].unit.split()[0]


def header(a: Analysis) -> tuple[str, ...]:
    return ("layer", "kind", "output (HxWxC)", "params", "buffers", "feat. mem", count_unit(a.convention).lower())


def _rows(a: Analysis) -> list[tuple[str, ...]]:
    unit = count_unit(a.convention)
    return [(layer.name, layer.kind, show(layer.output_shape, layer.layout),
             readable_count(layer.params) if layer.params else "-",
             readable_count(layer.buffers) if layer.buffers else "-",
             binary_memory(layer.feature_bytes) if layer.feature_bytes else "-",
             decimal_count(layer.flops, unit) if layer.flops else "-")
            for layer in a.layers]


def _spaced(shape: tuple[int, int, int], layout: str) -> str:
    """`224 x 224 x 3`, or `1024 tokens x 768`."""
    c, h, w = shape
    return f"{h} tokens x {c}" if layout == TOKENS else f"{h} x {w} x {c}"


def _exact(n: int, unit: str) -> str:
    """`3.88 GFLOPs (3,884,069,864)`: three figures, then the whole count when it has more."""
    short = decimal_count(n, unit)
    return short if n < 1000 else f"{short} ({n:,})"


def count_lines(a: Analysis) -> list[tuple[str, str]]:
    """The convention's total, labelled by what it counts (`flops`, `macs`, or
    the peer tool's name), then the multiply-accumulates unless that is the same line."""
    t, unit = a.totals, count_unit(a.convention)
    label = a.convention if a.convention not in ("burden", "flops", "macs") else unit.lower()
    lines = [(label, _exact(t.flops, unit))]
    if a.convention != "macs":
        lines.append(("macs", _exact(t.macs, "MACs")))
    return lines


def reference_rounding(a: Analysis) -> str:
    """The same totals as the reference table rounds them (whole numbers, its
    `MB` being 1024 x 1024 bytes); FLOPs only under its own convention."""
    t = a.totals
    figures = [readable_memory(t.param_bytes), readable_memory(t.feature_bytes)]
    if a.convention == "burden":
        figures.append(readable_flops(t.flops))
    return "the reference table (and archspec table, reports) writes these " + ", ".join(figures)


def summary_lines(a: Analysis) -> list[tuple[str, str]]:
    t = a.totals
    lines = [
        ("model", a.model or "(unnamed)"),
        ("input", f"{_spaced(a.input_shape, a.input_layout)}, batch {a.batch}, {a.dtype}, convention {a.convention}"),
        ("output", _spaced(t.output_shape, t.output_layout)),
        ("params", f"{readable_count(t.params)} learnable + {readable_count(t.buffers)} buffers"),
        ("param mem", binary_memory(t.param_bytes)),
        ("feat. mem", binary_memory(t.feature_bytes)),
        *count_lines(a),
        ("units", UNITS_NOTE),
        ("rounding", reference_rounding(a)),
    ]
    if a.size_notes:
        lines.append(("note", f"{HEADLINE}: " + "; ".join(note.sentence() for note in a.size_notes)))
    return lines


def render_table(a: Analysis, markdown: bool = False) -> str:
    rows, head = _rows(a), header(a)
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        lines.append("")
        lines += [f"- **{k}**: {v}" for k, v in summary_lines(a)]
        return "\n".join(lines) + "\n"
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    right = {3, 4, 5, 6}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        return "  ".join(cells).rstrip()

    lines = [fmt(head), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in rows]
    lines.append("")
    lines += [f"{k + ':':11}{v}" for k, v in summary_lines(a)]
    return "\n".join(lines) + "\n"
