"""Sweep rows as a terminal table, CSV or JSON, and as a chart (matplotlib,
imported only when a chart is asked for)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ..costs.size_notes import summarise
from ..costs.sweep import QUANTITIES, SweepRow
from ..errors import ArchError
from ..files import save_figure
from .analysis_json import size_notes
from .analysis_table import count_unit
from .units import UNITS_NOTE, binary_memory, decimal_count


def row_dict(row: SweepRow) -> dict[str, Any]:
    record: dict[str, Any] = dict(row.values)
    record.update(height=row.height, width=row.width, batch=row.batch)
    for quantity in QUANTITIES:
        record[quantity] = row.figures[quantity] if row.figures else None
    record["error"] = row.error
    if row.size_notes:  # only where the parameters differ from the reference's
        record["params_depend_on_size"] = size_notes(row.size_notes)
    return record


def render_rows(rows: list[SweepRow], fmt: str, convention: str = "burden") -> str:
    """`fmt`: text (an aligned table), markdown, csv or json."""
    if fmt == "json":
        return json.dumps([row_dict(r) for r in rows], indent=1) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        records = [row_dict(r) for r in rows]
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: "" if v is None else v for k, v in record.items()})
        return buffer.getvalue()
    unit = count_unit(convention)
    names = list(rows[0].values) if rows else []
    header = [*names, "size", "batch", "params", "buffers", "param mem", "feature mem", unit, "MACs"]
    table = [header]
    for r in rows:
        size = f"{r.height} tokens" if r.tokens else f"{r.height}x{r.width}"
        cells = [str(r.values[n]) for n in names] + [size, str(r.batch)]
        if r.figures is None:
            cells += [f"error: {r.error}"]
        else:
            f = r.figures
            cells += [f"{f['params']:,}", f"{f['buffers']:,}", binary_memory(f["param_bytes"]),
                      binary_memory(f["feature_bytes"]), decimal_count(f["flops"], unit),
                      decimal_count(f["macs"], "MACs")]
        table.append(cells)
    # the same size for several batches or --set values: one note per graph and size
    sizes = {(tuple(r.values.items()), r.height, r.width): r for r in rows if r.figures is not None}
    notes = summarise([r.size_notes for r in sizes.values()], [(r.height, r.width) for r in sizes.values()])
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
        return "\n".join(lines + [""] + [f"- {UNITS_NOTE}"] + [f"- {note.strip()}" for note in notes]) + "\n"
    widths = [max(len(row[i]) for row in table if i < len(row) and not row[i].startswith("error"))
              for i in range(len(header))]
    lines = []
    for row in table:
        lines.append("  ".join(cell.rjust(widths[i]) if not cell.startswith("error") else cell
                               for i, cell in enumerate(row)).rstrip())
    lines.append(f"units: {UNITS_NOTE}")
    lines += notes
    return "\n".join(lines) + "\n"


def plot_rows(rows: list[SweepRow], path: Path, title: str) -> None:
    """FLOPs and feature memory against input side, one line per (values, batch)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ArchError("--plot needs matplotlib: pip install 'archspec[plot]'") from None
    series: dict[str, list[SweepRow]] = {}
    for r in rows:
        if r.figures is None:
            continue
        label = ", ".join([f"{k}={v}" for k, v in r.values.items()] + [f"batch {r.batch}"])
        series.setdefault(label, []).append(r)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, points in series.items():
        sides = [(p.height * p.width) ** 0.5 for p in points]
        left.plot(sides, [p.figures["flops"] / 1e9 for p in points], marker=".", label=label)  # type: ignore[index]
        right.plot(sides, [p.figures["feature_bytes"] / 2**20 for p in points], marker=".", label=label)  # type: ignore[index]
    left.set(xlabel="input side (√(H·W) px)", ylabel="GFLOPs", title=f"{title}: compute")
    right.set(xlabel="input side (√(H·W) px)", ylabel="feature memory (MB)", title=f"{title}: memory")
    for axes in (left, right):
        axes.grid(alpha=0.3)
    if len(series) > 1:
        left.legend(fontsize=8)
    figure.tight_layout()
    try:
        save_figure(figure, path, "plot", dpi=110)
    finally:
        plt.close(figure)
