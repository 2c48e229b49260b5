"""The table of a collection (specs/modern, specs/transformers): exact figures
in fixed units, three significant figures, as markdown, CSV or JSON, and its
place in a README between the collection's own markers.

The reference zoo keeps the reference's table (views/model_table.py), whose
rounding (`4 GFLOPs`, `98 MB`) is the reference's; this one says more: learnable
parameters, multiply-accumulates, feature memory as the reference counts it and
peak memory as a framework frees it, and the top-1 accuracy of the weights.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from itertools import groupby

from ..costs.model_table import TASK_ORDER, TableRow
from ..errors import ArchError
from .model_table import markdown_text, size_text
from .units import significant

MIB = 1024 ** 2
TITLES = {
    "classification": "Image Classification",
    "language-model": "Language Models",
}
COLUMNS = ("model", "input size", "params (M)", "MACs (G)", "feat. mem (MiB)", "peak mem (MiB)")
CLASSIFIER_COLUMNS = (*COLUMNS, "top-1 (%)", "src")
NOTE = (
    "\nOne image (or sequence) at the input size given, float32, three significant figures in the units the "
    "header names (M = 10^6, G = 10^9, MiB = 2^20 bytes) -- not the reference table's rounding. "
    "**params**: learnable parameters (batch-norm running statistics are buffers, not counted); "
    "**MACs**: multiply-accumulates of convolutions, linear layers and attention's products "
    "(`--convention macs`; torchvision publishes these as GFLOPS); "
    "**feat. mem**: every layer's output counted once, nothing freed (the reference table's feature memory); "
    "**peak mem**: the most held at once when each tensor is freed after its last use "
    "(`archspec analyze --memory peak`); "
    "**top-1**: ILSVRC 2012 validation accuracy of the default weights, 100 minus the spec's `@error` "
    "(torchvision's published acc@1); **src**: where the weights and the accuracy come from.\n"
)
CSV_COLUMNS = ("task", "model", "input_size", "params", "macs", "feature_bytes", "peak_bytes",
               "top1_accuracy", "top5_accuracy", "src")

Order = dict[str, tuple[str, int]]  # member -> (family, place), from spec_collections.families


def sort_key(row: TableRow, order: Order) -> tuple[int, str, str, int]:
    """Task (the reference's order), then family by name, members in the order the family lists them."""
    task_rank = TASK_ORDER.index(row.task) if row.task in TASK_ORDER else len(TASK_ORDER)
    family, place = order.get(row.model, (row.model, 0))
    return task_rank, row.task, family.lower(), place


def ordered(rows: list[TableRow], order: Order) -> list[TableRow]:
    return sorted(rows, key=lambda r: (sort_key(r, order), r.model.lower()))


def accuracy(error: float | None) -> str:
    """100 minus an error of two decimals, written with two: 19.14 -> `80.86`."""
    if error is None:
        return "-"
    return f"{Decimal(100) - Decimal(str(error)):.2f}"


def _cells(row: TableRow, reports: str) -> list[str]:
    cells = [f"[{markdown_text(row.model)}]({reports}{row.model}.md)", size_text(row),
             significant(row.params, 10 ** 6), significant(row.macs, 10 ** 9),
             significant(row.feature_bytes, MIB), significant(row.peak_bytes, MIB)]
    if row.task == "classification":
        top1 = row.error[0] if row.error is not None else None
        cells += [accuracy(top1), markdown_text(row.src) if row.src else "-"]
    return cells


def _header(columns: tuple[str, ...]) -> str:
    return "| " + " | ".join(columns) + " |\n" + "|" + "|".join("---" for _ in columns) + "|\n"


def render_markdown(rows: list[TableRow], order: Order, reports: str) -> str:
    """One section per task; `reports` is the link prefix of the collection's reports."""
    sections = []
    for task, group in groupby(ordered(rows, order), key=lambda r: r.task):
        title = TITLES.get(task, task.capitalize())
        columns = CLASSIFIER_COLUMNS if task == "classification" else COLUMNS
        body = "".join("| " + " | ".join(_cells(r, reports)) + " |\n" for r in group)
        sections.append(f"### {markdown_text(title)}\n\n{_header(columns)}{body}")
    return "\n".join(sections) + NOTE


def render_csv(rows: list[TableRow], order: Order) -> str:
    """Exact figures: counts and bytes as integers, accuracies as published."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in ordered(rows, order):
        top1, top5 = r.error if r.error is not None else (None, None)
        writer.writerow([r.task, r.model, size_text(r), r.params, r.macs, r.feature_bytes, r.peak_bytes,
                         "" if top1 is None else accuracy(top1), "" if top5 is None else accuracy(top5),
                         r.src or ""])
    return out.getvalue()


def render_json(rows: list[TableRow], order: Order) -> str:
    records = []
    for r in ordered(rows, order):
        top1, top5 = r.error if r.error is not None else (None, None)
        records.append({
            "task": r.task, "model": r.model, "input_size": list(r.input_size), "tokens": r.tokens,
            "params": r.params, "macs": r.macs, "feature_bytes": r.feature_bytes, "peak_bytes": r.peak_bytes,
            "param_bytes": r.param_bytes, "flops": r.flops,
            "top1_accuracy": None if top1 is None else float(accuracy(top1)),
            "top5_accuracy": None if top5 is None else float(accuracy(top5)), "src": r.src,
        })
    return json.dumps(records, indent=1) + "\n"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}-table:start -->", f"<!-- {name}-table:end -->"


def embed(readme: str, table: str, name: str) -> str:
    """The README text with `table` between the `name` markers."""
    start_marker, end_marker = markers(name)
    start, end = readme.find(start_marker), readme.find(end_marker)
    if start < 0 or end < start:
        raise ArchError(f"the README has no {start_marker} ... {end_marker} section",
                        hint="add the two marker lines where the table belongs")
    return readme[:start + len(start_marker)] + "\n" + table + readme[end:]


def embedded(readme: str, name: str) -> str:
    """The table currently between the `name` markers (for checking it is current)."""
    start_marker, end_marker = markers(name)
    start, end = readme.find(start_marker), readme.find(end_marker)
    if start < 0 or end < start:
        raise ArchError(f"the README has no {start_marker} ... {end_marker} section")
    return readme[start + len(start_marker) + 1:end]
