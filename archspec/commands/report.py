"""`archspec report`: one markdown report and profile figure per model, the
accuracy-vs-FLOPs chart of the classifiers, and optionally the README table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .options import about_file, fail

if TYPE_CHECKING:
    from ..costs.model_table import TableRow
    from ..costs.spec_collections import Collection

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
    specs: Annotated[list[Path], typer.Argument(metavar="SPEC", help="model specs (files or names of shipped models), or folders of them (e.g. specs/ specs/modern)")],
    out: Annotated[Path, typer.Option(metavar="DIR", help="folder for <model>.md (a collection's, such as specs/modern's, in its subfolder); figures go to figs/ beside them")] = Path("reports"),
    batch: Annotated[int, typer.Option(metavar="N", help="images per batch in the scale table")] = 128,
    scales: Annotated[str | None, typer.Option(metavar="SCALES", help="input scales, e.g. 0.5,1,2 (default: the spec's @scales, else 0.5 to 3)")] = None,
    features: Annotated[str | None, typer.Option(metavar="LAYER", help="feature layer of the scale table (default: the spec's @features)")] = None,
    figures: Annotated[bool, typer.Option(help="draw the profile figures and the accuracy-vs-FLOPs chart")] = True,
    svg: Annotated[bool, typer.Option(help="also write the profile figures as SVG (the chart always has one)")] = False,
    readme: Annotated[Path | None, typer.Option(metavar="FILE", help="also rewrite the tables of the specs' folders between this README's markers (model-table; a collection's: modern-table, ...)")] = None,
) -> None:
    """Write a report and profile figure for each model.

    reports/<model>.md in the reference report's layout and rounding, its
    profile figure, and the accuracy-vs-FLOPs chart of the classifiers.
    """
    from ..costs.model_table import model_specs, table_row
    from ..costs.report import compute_report
    from ..costs.spec_collections import collection_of
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
        of_folder: dict[Path, Collection] = {}
        where: dict[Path, Collection] = {}
        for path in paths:
            folder = path.parent.resolve()
            where[path] = of_folder.get(folder) or of_folder.setdefault(folder, collection_of(folder))
        reported = sorted(of_folder.values(), key=lambda c: (str(c.top), c.parts))
        if readme is not None:  # a README without a table's markers is refused before any work
            from .table import check_readme_markers

            check_readme_markers(readme, [c.name for c in reported])
        for collection in reported:
            folder = collection.reports(out)
            folder.mkdir(parents=True, exist_ok=True)
            if draw:
                (folder / "figs").mkdir(exist_ok=True)
        if draw:
            (out / "figs").mkdir(parents=True, exist_ok=True)  # the chart's
    except ArchError as exc:
        fail(exc)
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
            typer.echo(about_file(path, exc), err=True)
            failed += 1
            continue
        folder = where[path].reports(out)
        try:
            write_text_atomic(file_in(folder, f"{result.model}.md"), render_report_markdown(result, figure=draw))
            if draw:
                from ..views.figures import draw_profile

                draw_profile(result, file_in(folder / "figs", f"{result.model}.png"), svg)
        except ArchError as exc:
            fail(exc)
    if (draw or readme is not None) and rows:
        # The chart covers every collection of the specs' trees and a README table
        # its whole folder, so reporting on a few models never leaves them with only those few.
        try:
            if draw:
                _draw_chart(_chart_collections(reported, out), rows, out / "figs" / CHART_NAME)
            if readme is not None:
                _write_readme(readme, reported, rows)
        except ArchError as exc:
            fail(exc)
    written = len(paths) - failed
    typer.echo(f"{out}: {written} report{'' if written == 1 else 's'}" + (f", {failed} failed" if failed else ""),
               err=True)
    if failed:
        raise typer.Exit(2)


def _rows_of(folder: Path, done: dict[Path, TableRow], note: str) -> list[TableRow]:
    """Table rows of every model spec in `folder`, reusing those already computed
    (`done`, by resolved path, gains the others)."""
    from ..costs.model_table import model_specs, table_row
    from ..errors import ArchError
    from ..graph.load import load_graph

    rows = []
    for path in model_specs([folder]):
        key = path.resolve()
        if key not in done:
            try:
                done[key] = table_row(load_graph(path))
            except ArchError as exc:
                typer.echo(f"{path}: left out of the {note}: {exc}", err=True)
                continue
        rows.append(done[key])
    return rows


def _write_readme(readme: Path, reported: list[Collection], done: dict[Path, TableRow]) -> None:
    """Each reported collection's table between its markers: the outermost
    folder's in the reference's layout, a collection's in the detailed one."""
    from ..costs.spec_collections import families
    from ..views import collection_table, model_table
    from .table import write_readme_tables

    sections: dict[str, str] = {}
    for collection in reported:
        rows = _rows_of(collection.folder, done, "README table")
        link = collection.link("reports/")
        if collection.nested:
            order, failed = families(collection.folder)
            for path, exc in failed:
                typer.echo(f"{path}: its members are listed in file order: {exc}", err=True)
            sections[collection.name] = collection_table.render_markdown(rows, order, link)
        else:
            sections[collection.name] = model_table.render_markdown(rows, link)
    write_readme_tables(readme, sections)


def _chart_collections(reported: list[Collection], out: Path) -> list[Collection]:
    """The collections of the reported ones' trees that have reports: reported
    now, or earlier into `out` (a tutorial folder never reported stays off the chart)."""
    from ..costs.spec_collections import collections_under

    every: dict[Path, Collection] = {c.folder: c for c in reported}
    for collection in reported:
        for found in collections_under(collection):
            if found.folder not in every and any(found.reports(out).glob("*.md")):
                every[found.folder] = found
    return sorted(every.values(), key=lambda c: (str(c.top), c.parts))


def _draw_chart(collections: list[Collection], done: dict[Path, TableRow], png: Path) -> None:
    """Top-1 error against FLOPs for the classifiers with a known top-1 error,
    each marked by its collection, the members of a family joined."""
    from ..costs.spec_collections import families
    from ..views.figures import ClassifierPoint, draw_accuracy_vs_flops

    points = []
    for collection in collections:
        order, _ = families(collection.folder) if collection.nested else ({}, [])
        label = "/".join((collection.top.name, *collection.parts)) + "/"
        for r in _rows_of(collection.folder, done, "chart"):
            if r.task == "classification" and r.error is not None and r.error[0] is not None:
                family = order.get(r.model, (None, 0))
                points.append(ClassifierPoint(r.model, r.flops, r.error[0], r.param_bytes, label, family[0], family[1]))
    if len(points) >= 2:
        draw_accuracy_vs_flops(points, png)


def _plotting_available() -> bool:
    from ..views.figures import plotting_available

    return plotting_available()
