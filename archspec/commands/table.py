"""`archspec table`: the reference's model table, regenerated from the specs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import fail, format_option


def table(
    spec_dir: Annotated[Path, typer.Argument(help="folder of model specs (lib/ and files without `model` are skipped)")] = Path("specs"),
    format: Annotated[str, format_option("markdown", "csv", "json")] = "markdown",
    reports: Annotated[str, typer.Option(metavar="PREFIX", help="link prefix of the model reports (markdown)")] = "reports/",
    readme: Annotated[Path | None, typer.Option(metavar="FILE", help="rewrite the markdown table between this README's model-table markers instead of printing")] = None,
) -> None:
    """The reference's model table, regenerated from the specs.

    Param mem, feat. mem, FLOPs, src and error of every model spec, grouped by
    task, rounded as the reference table rounds them (whole numbers; its MB is
    1024 x 1024 bytes).
    """
    from ..costs.model_table import model_specs, table_row
    from ..errors import ArchError
    from ..graph.load import load_graph
    from ..views import model_table
    from .progress import progress

    if not spec_dir.is_dir():
        fail(ArchError(f"{spec_dir} is not a folder of specs"))
    paths = model_specs([spec_dir])
    if not paths:
        fail(ArchError(f"no model specs in {spec_dir}"))
    rows, failed = [], 0
    for path in progress(paths, len(paths), "table"):
        try:
            rows.append(table_row(load_graph(path)))
        except ArchError as exc:
            typer.echo(f"{path}: {exc}", err=True)
            failed += 1
    if format == "csv":
        text = model_table.render_csv(rows)
    elif format == "json":
        text = model_table.render_json(rows)
    else:
        text = model_table.render_markdown(rows, reports)
    if readme is None:
        typer.echo(text, nl=False)
    else:
        try:
            write_readme_table(readme, model_table.render_markdown(rows, reports))
        except ArchError as exc:
            fail(exc)
        typer.echo(f"{readme}: model table of {len(rows)} model{'' if len(rows) == 1 else 's'}", err=True)
    if failed:
        raise typer.Exit(2)


README_LIMIT = 10_000_000  # bytes of a README whose table is rewritten


def write_readme_table(readme: Path, table_markdown: str) -> None:
    """Rewrite the table between the README's markers, atomically."""
    from ..errors import ArchError
    from ..files import NotARegularFile, read_limited, write_text_atomic
    from ..views.model_table import embed

    try:
        data = read_limited(readme, README_LIMIT)
    except NotARegularFile as exc:
        raise ArchError(f"cannot read {readme}: it is {exc.kind}") from None
    except OSError as exc:
        raise ArchError(f"cannot read {readme}: {exc.strerror or exc}") from None
    if len(data) > README_LIMIT:
        raise ArchError(f"{readme} is more than {README_LIMIT:,} bytes; not a README to rewrite")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchError(f"{readme} is not UTF-8 text; its table is not rewritten") from None
    write_text_atomic(readme, embed(text, table_markdown))
