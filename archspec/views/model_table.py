"""The model table as markdown (the reference README's tables), CSV (the
columns of tests/data/burden_table.csv) or JSON, and its place in a README."""

from __future__ import annotations

import csv
import io
import json
from itertools import groupby

from ..costs.model_table import TableRow, ordered
from ..errors import ArchError
from .units import readable_flops, readable_memory

START_MARKER = "<!-- model-table:start -->"
END_MARKER = "<!-- model-table:end -->"

TITLES = {
    "classification": "Image Classification Architectures",
    "detection": "Object Detection Architectures",
    "segmentation": "Semantic Segmentation Architectures",
    "keypoints": "Keypoint Detection Architectures",
}
# The reference's two layouts: classifiers carry the weights' source and their
# error; the other tasks only the costs.
CLASSIFIER_HEADER = ("| model | input size | param mem | feat. mem | flops | src | performance |\n"
                     "|-------|------------|--------------|----------------|-------|-----|-------------|\n")
OTHER_HEADER = ("| model | input size | param memory | feature memory | flops |\n"
                "|-------|------------|--------------|----------------|-------|\n")
CLASSIFIER_NOTE = ("\nFigures are for a single image at the given input size.  `performance` is "
                   "`top-1 error / top-5 error` (%) on the ILSVRC 2012 validation set; `src` says where "
                   "the scores come from.\n")
CSV_COLUMNS = ("task", "model", "input_size", "param_mem", "feat_mem", "flops", "src", "top1_top5_error")


def _error_part(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def error_text(row: TableRow) -> str:
    """`24.60 / 7.70`, `29.40 / -`, or `- / -` when unknown (as the reference writes them)."""
    top1, top5 = row.error if row.error is not None else (None, None)
    return f"{_error_part(top1)} / {_error_part(top5)}"


def size_text(row: TableRow) -> str:
    if row.tokens:
        return f"{row.input_size[0]} tokens"
    return f"{row.input_size[0]} x {row.input_size[1]}"


def markdown_text(text: str) -> str:
    """Text as one literal table cell: markdown's punctuation escaped (no link,
    emphasis, HTML or column break can be made from a spec's words), line
    breaks and other control characters made spaces."""
    cleaned = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)
    return "".join("\\" + c if c in _MARKDOWN_PUNCTUATION else c for c in cleaned)


# What can start markup inside a table cell (a plain `-` or `.` cannot).
_MARKDOWN_PUNCTUATION = frozenset("\\`*_[]()<>!|~&")


def markdown_row(row: TableRow, reports: str = "reports/") -> str:
    # The link's target is the report's file name, which the model-name rule keeps plain.
    cells = [f"[{markdown_text(row.model)}]({reports}{row.model}.md)", size_text(row),
             readable_memory(row.param_bytes), readable_memory(row.feature_bytes), readable_flops(row.flops)]
    if row.task == "classification":
        cells += [markdown_text(row.src) if row.src else "-", error_text(row)]
    return "| " + " | ".join(cells) + " |\n"


def render_markdown(rows: list[TableRow], reports: str = "reports/") -> str:
    """One section per task; `reports` prefixes the links to the model reports."""
    sections = []
    for task, group in groupby(ordered(rows), key=lambda r: r.task):
        title = TITLES.get(task, f"{task.capitalize()} Architectures")
        header = CLASSIFIER_HEADER if task == "classification" else OTHER_HEADER
        body = "".join(markdown_row(r, reports) for r in group)
        note = CLASSIFIER_NOTE if task == "classification" else ""
        sections.append(f"### {title}\n\n{header}{body}{note}")
    return "\n".join(sections)


def csv_cells(row: TableRow) -> list[str]:
    """The row in tests/data/burden_table.csv's columns (no error for models
    that state none outside classification, as there)."""
    known_error = row.task == "classification" or row.error is not None
    return [row.task, row.model, size_text(row), readable_memory(row.param_bytes),
            readable_memory(row.feature_bytes), readable_flops(row.flops), row.src or "",
            error_text(row) if known_error else ""]


def render_csv(rows: list[TableRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_cells(r) for r in ordered(rows))
    return out.getvalue()


def render_json(rows: list[TableRow]) -> str:
    records = []
    for r in ordered(rows):
        top1, top5 = r.error if r.error is not None else (None, None)
        records.append({
            "task": r.task, "model": r.model, "input_size": list(r.input_size),
            "param_bytes": r.param_bytes, "feature_bytes": r.feature_bytes, "flops": r.flops,
            "param_mem": readable_memory(r.param_bytes), "feat_mem": readable_memory(r.feature_bytes),
            "flops_readable": readable_flops(r.flops), "src": r.src, "top1_error": top1, "top5_error": top5,
        })
    return json.dumps(records, indent=1) + "\n"


def embed(readme: str, table: str) -> str:
    """The README text with the table between the model-table markers."""
    start, end = readme.find(START_MARKER), readme.find(END_MARKER)
    if start < 0 or end < start:
        raise ArchError(f"the README has no {START_MARKER} ... {END_MARKER} section",
                        hint="add the two marker lines where the model table belongs")
    return readme[:start + len(START_MARKER)] + "\n" + table + readme[end:]


def embedded(readme: str) -> str:
    """The table currently between the markers (for checking it is current)."""
    start, end = readme.find(START_MARKER), readme.find(END_MARKER)
    if start < 0 or end < start:
        raise ArchError(f"the README has no {START_MARKER} ... {END_MARKER} section")
    return readme[start + len(START_MARKER) + 1:end]
