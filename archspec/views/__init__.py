"""Views format an Analysis; they never recompute it."""

from __future__ import annotations

from ..costs.engine import Analysis


def render(analysis: Analysis, fmt: str) -> str:
    if fmt == "json":
        from .analysis_json import render_json

        return render_json(analysis)
    if fmt == "csv":
        from .analysis_csv import render_csv

        return render_csv(analysis)
    from .analysis_table import render_table

    return render_table(analysis, markdown=fmt == "markdown")
