"""`archspec report`: one markdown report and profile figure per model, the
accuracy-vs-FLOPs chart of the classifiers, and optionally the README table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .options import fail

if TYPE_CHECKING:
    from ..costs.model_table import TableRow

CHART_NAME = "accuracy-vs-flops.png"


def parse_scales(text: str | None) -> tuple[float, ...] | None:
    """`0.5,1,2` or `"0.5 1 2"`."""
    from ..errors import ArchError

    if text is None:
        return None
    parts = text.replace(",", " ").split()
    try:
        scales = tuple(float(p) for p in parts)
    except ValueError:
        raise ArchError(f"--scales {text!r}: expected numbers such as 0.5,1,1.5") from None
    if not scales or not all(0 < s < 1000 for s in scales):
        raise ArchError(f"--scales {text!r}: expected positive numbers such as 0.5,1,1.5")
    return scales


def report(
    specs: Annotated[list[Path], typer.Argument(metavar="SPEC", help="model specs, or folders of them (e.g. specs/)")],
    out: Annotated[Path, typer.Option(metavar="DIR", help="folder for <model>.md; figures go to its figs/")] = Path("reports"),
    batch: Annotated[int, typer.Option(metavar="N", help="images per batch in the scale table")] = 128,
    scales: Annotated[str | None, typer.Option(metavar="SCALES", help="input scales, e.g. 0.5,1,2 (default: the spec's @scales, else 0.5 to 3)")] = None,
    features: Annotated[str | None, typer.Option(metavar="LAYER", help="feature layer of the scale table (default: the spec's @features)")] = None,
    figures: Annotated[bool, typer.Option(help="draw the profile figures and the accuracy-vs-FLOPs chart")] = True,
    svg: Annotated[bool, typer.Option(help="also write the profile figures as SVG (the chart always has one)")] = False,
    readme: Annotated[Path | None, typer.Option(metavar="FILE", help="also rewrite the model table between this README's markers")] = None,
) -> None:
    """Write a report and profile figure for each model.

    reports/<model>.md in the reference report's layout and rounding, its
    profile figure, and the accuracy-vs-FLOPs chart of the classifiers.
    """
    from ..costs.model_table import model_specs, table_row
    from ..costs.report import compute_report
    from ..errors import ArchError
    from ..files import file_in, write_text_atomic
    from ..graph.load import load_graph
    from ..views.report_markdown import PLOT_HINT, render_report_markdown
    from .progress import progress

    try:
        chosen_scales = parse_scales(scales)
    except ArchError as exc:
        fail(exc)
    if batch < 1:
        fail(ArchError(f"--batch must be at least 1, got {batch}"))
    draw = figures and _plotting_available()
    if figures and not draw:
        typer.echo(f"note: no figures without matplotlib; for them: {PLOT_HINT}", err=True)
    paths = model_specs(specs)
    if not paths:
        fail(ArchError(f"no model specs in {', '.join(str(s) for s in specs)}"))
    try:
        out.mkdir(parents=True, exist_ok=True)
        if draw:
            (out / "figs").mkdir(exist_ok=True)
    except OSError as exc:
        fail(ArchError(f"cannot write reports to {out}: {exc.strerror or exc}"))
    rows: dict[Path, TableRow] = {}
    failed = 0
    for path in progress(paths, len(paths), "reports"):
        try:
            graph = load_graph(path)
            if not graph.metadata.model:
                raise ArchError("has no `model` line: a library, not a model")
            result = compute_report(graph, batch, chosen_scales, features)
            rows[path.resolve()] = table_row(graph)
        except ArchError as exc:
            typer.echo(f"{path}: {exc}", err=True)
            failed += 1
            continue
        try:
            write_text_atomic(file_in(out, f"{result.model}.md"), render_report_markdown(result, figure=draw))
            if draw:
                from ..views.figures import draw_profile

                draw_profile(result, file_in(out / "figs", f"{result.model}.png"), svg)
        except ArchError as exc:
            fail(exc)
    if (draw or readme is not None) and rows:
        # The chart and the README table cover every model in the specs' folders,
        # so reporting on a few models never leaves them with only those few.
        everything = _rows_of_folders({p.parent for p in paths}, rows)
        if draw:
            try:
                _draw_chart(list(everything.values()), out / "figs" / CHART_NAME)
            except ArchError as exc:
                fail(exc)
        if readme is not None:
            from ..views.model_table import render_markdown
            from .table import write_readme_table

            try:
                write_readme_table(readme, render_markdown(list(everything.values())))
            except ArchError as exc:
                fail(exc)
    written = len(paths) - failed
    typer.echo(f"{out}: {written} report{'' if written == 1 else 's'}" + (f", {failed} failed" if failed else ""),
               err=True)
    if failed:
        raise typer.Exit(2)


def _rows_of_folders(folders: set[Path], done: dict[Path, TableRow]) -> dict[Path, TableRow]:
    """Table rows of every model spec in `folders`, reusing those already computed."""
    from ..costs.model_table import model_specs, table_row
    from ..errors import ArchError
    from ..graph.load import load_graph

    rows = dict(done)
    for path in model_specs(sorted(folders)):
        key = path.resolve()
        if key not in rows:
            try:
                rows[key] = table_row(load_graph(path))
            except ArchError as exc:
                typer.echo(f"{path}: left out of the chart and table: {exc}", err=True)
    return rows


def _draw_chart(rows: list[TableRow], png: Path) -> None:
    """Top-1 error against FLOPs for the classifiers with a known top-1 error."""
    from ..views.figures import ClassifierPoint, draw_accuracy_vs_flops

    points = [ClassifierPoint(r.model, r.flops, r.error[0], r.param_bytes) for r in rows
              if r.task == "classification" and r.error is not None and r.error[0] is not None]
    if len(points) >= 2:
        draw_accuracy_vs_flops(points, png)


def _plotting_available() -> bool:
    from ..views.figures import plotting_available

    return plotting_available()
