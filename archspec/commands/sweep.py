"""`archspec sweep`: costs over a grid of sizes, batches and parameter values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import Convention, DType, chosen, fail


def sweep(
    spec: Annotated[Path, typer.Argument(help="the .arch file")],
    size: Annotated[str, typer.Option(help="sizes: 224, 600x850, start:stop[:step] (stop included), "
                                      "comma-separated")] = "112:672:32",
    batch: Annotated[Optional[str], typer.Option(help="batches, comma-separated: 1,32,128")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="NAME=V1,V2,...: every combination "
                                                      "of the values is swept")] = None,
    upto: Annotated[Optional[str], typer.Option(help="analyse up to and including this layer")] = None,
    dtype: Annotated[DType, typer.Option(help="bytes per element of parameters and features")] = "float32",
    convention: Annotated[Convention, typer.Option(help="how FLOPs are counted (burden: the reference table's rules; docs/conventions.md)")] = "burden",
    format: Annotated[str, typer.Option(help="table, csv or json")] = "table",
    plot: Annotated[Optional[Path], typer.Option(help="also draw FLOPs and feature memory against "
                                                 "size to this image (needs matplotlib)")] = None,
) -> None:
    """Evaluate the cost over a grid of sizes, batches and --set values, vectorised; every
    figure equals `archspec analyze` at that point.  Sizes at which the network does not
    run (a layer's output would be empty, or branches that meet disagree in size) come
    back as rows with an error and no figures; the rest of the grid is still evaluated."""
    from ..costs.sweep import sweep as run
    from ..errors import ArchError
    from ..views.sweep import render_rows
    from .options import parse_batches, parse_set_grid, parse_sizes

    dtype, convention = chosen(dtype), chosen(convention)
    try:
        if format not in ("table", "csv", "json"):
            raise ArchError(f"--format {format!r}: expected table, csv or json")
        if plot is not None:
            from ..files import figure_format

            figure_format(plot, "plot")  # a name matplotlib cannot write is refused before the work
        rows = run(str(spec), parse_sizes(size), parse_batches(batch), parse_set_grid(set_),
                   upto, dtype, convention)
        text = render_rows(rows, format)
        if plot is not None:
            from ..views.sweep import plot_rows

            plot_rows(rows, plot, spec.stem)
    except ArchError as exc:
        fail(exc)
    typer.echo(text, nl=False)
