"""Views format an Analysis; they never recompute it."""

from __future__ import annotations

from ..engine import Analysis


def render(analysis: Analysis, fmt: str) -> str:
    if fmt == "json":
        from .json_view import render_json

        return render_json(analysis)
    if fmt == "csv":
        from .csv_view import render_csv

        return render_csv(analysis)
    from .table_view import render_table

    return render_table(analysis, markdown=fmt == "markdown")
