"""`archspec table`: the reference's model table, regenerated from the specs."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .options import about_file, fail, format_option

if TYPE_CHECKING:
    from ..costs.model_table import TableRow
    from ..errors import ArchError


class TableLayout(str, Enum):
    reference = "reference"
    detailed = "detailed"


def table(
    spec_dir: Annotated[Path, typer.Argument(help="folder of model specs (lib/, family specs and files without `model` are skipped)")] = Path("specs"),
    format: Annotated[str, format_option("markdown", "csv", "json")] = "markdown",
    reports: Annotated[str, typer.Option(metavar="PREFIX", help="link prefix of the reports folder (a collection's reports are in its subfolder)")] = "reports/",
    readme: Annotated[Path | None, typer.Option(metavar="FILE", help="rewrite the markdown table between this README's markers (model-table; a collection's: modern-table, ...) instead of printing")] = None,
    layout: Annotated[TableLayout | None, typer.Option(metavar="LAYOUT", help="reference: convnet-burden's columns and rounding; detailed: params, MACs, feature and peak memory, top-1 in fixed units (default: reference for an outermost folder of specs, detailed for a collection inside one, such as specs/modern)")] = None,
) -> None:
    """The model table of every model spec in a folder, grouped by task.

    The reference layout has param mem, feat. mem, FLOPs, src and error of
    every model spec, rounded as the reference table rounds them (whole
    numbers; its MB is 1024 x 1024 bytes); the detailed layout gives three
    significant figures in fixed units.
    """
    from ..costs.model_table import model_specs, table_row
    from ..costs.spec_collections import collection_of
    from ..errors import ArchError
    from ..graph.load import load_graph
    from .progress import progress

    if not spec_dir.is_dir():
        fail(ArchError(f"{spec_dir} is not a folder of specs"))
    try:
        collection = collection_of(spec_dir)
    except ArchError as exc:
        fail(exc)
    paths = model_specs([spec_dir])
    if not paths:
        fail(ArchError(f"no model specs in {spec_dir}"))
    rows, failed = [], 0
    for path in progress(paths, len(paths), "table"):
        try:
            rows.append(table_row(load_graph(path)))
        except ArchError as exc:
            typer.echo(about_file(path, exc), err=True)
            failed += 1
    detailed = layout is TableLayout.detailed or (layout is None and collection.nested)
    render, failed_families = _renderer(detailed, spec_dir)
    for family, problem in failed_families:
        typer.echo(f"{family}: {problem}", err=True)
        failed += 1
    link = collection.link(reports)
    if readme is None:
        typer.echo(render(rows, format, link), nl=False)
    else:
        try:
            write_readme_table(readme, render(rows, "markdown", link), collection.name)
        except ArchError as exc:
            fail(exc)
        typer.echo(f"{readme}: {collection.name} table of {len(rows)} model{'' if len(rows) == 1 else 's'}", err=True)
    if failed:
        raise typer.Exit(2)


def _renderer(detailed: bool, folder: Path) -> tuple[Callable[[list[TableRow], str, str], str],
                                                     list[tuple[Path, ArchError]]]:
    """The table's text in a format, for the layout chosen; and the family specs
    that could not be read for the detailed layout's order."""
    from ..costs.spec_collections import families
    from ..views import collection_table, model_table

    if not detailed:
        def reference(rows: list[TableRow], format: str, link: str) -> str:
            if format == "csv":
                return model_table.render_csv(rows)
            if format == "json":
                return model_table.render_json(rows)
            return model_table.render_markdown(rows, link)
        return reference, []
    order, failed = families(folder)

    def collection(rows: list[TableRow], format: str, link: str) -> str:
        if format == "csv":
            return collection_table.render_csv(rows, order)
        if format == "json":
            return collection_table.render_json(rows, order)
        return collection_table.render_markdown(rows, order, link)
    return collection, failed


README_LIMIT = 10_000_000  # bytes of a README whose table is rewritten


def _read_readme(readme: Path) -> str:
    from ..errors import ArchError
    from ..files import NotARegularFile, read_limited

    try:
        data = read_limited(readme, README_LIMIT)
    except NotARegularFile as exc:
        raise ArchError(f"cannot read {readme}: it is {exc.kind}") from None
    except OSError as exc:
        raise ArchError(f"cannot read {readme}: {exc.strerror or exc}") from None
    if len(data) > README_LIMIT:
        raise ArchError(f"{readme} is more than {README_LIMIT:,} bytes; not a README to rewrite")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchError(f"{readme} is not UTF-8 text; its table is not rewritten") from None


def check_readme_markers(readme: Path, names: list[str]) -> None:
    """Refuse, before any work, a README that lacks the markers of a table to rewrite."""
    from ..views.collection_table import embed

    text = _read_readme(readme)
    for name in names:
        embed(text, "", name)


def write_readme_tables(readme: Path, tables: dict[str, str]) -> None:
    """Rewrite each table (by marker name) between the README's markers, in one atomic write."""
    from ..files import write_text_atomic
    from ..views.collection_table import embed

    text = _read_readme(readme)
    for name, table_markdown in tables.items():
        text = embed(text, table_markdown, name)
    write_text_atomic(readme, text)


def write_readme_table(readme: Path, table_markdown: str, name: str = "model") -> None:
    """Rewrite the table between the README's `name` markers, atomically."""
    write_readme_tables(readme, {name: table_markdown})
