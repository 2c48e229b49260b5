"""`archspec sweep`: costs over a grid of sizes, batches and parameter values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import convention_option, dtype_option, fail, format_option


def sweep(
    spec: Annotated[Path, typer.Argument(help="the .arch file, or the name of a model shipped with archspec (archspec zoo)")],
    size: Annotated[str, typer.Option(metavar="SIZES", help="sizes: 224, 600x850, start:stop[:step] (stop included), "
                                      "comma-separated")] = "112:672:32",
    batch: Annotated[Optional[str], typer.Option(metavar="BATCHES", help="batches, comma-separated: 1,32,128")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", metavar="NAME=V1,V2", help="every combination "
                                                      "of the values is swept (repeatable)")] = None,
    upto: Annotated[Optional[str], typer.Option(metavar="LAYER", help="analyse up to and including this layer")] = None,
    dtype: Annotated[str, dtype_option()] = "float32",
    convention: Annotated[str, convention_option()] = "burden",
    format: Annotated[str, format_option("text", "json", "csv", "markdown")] = "text",
    plot: Annotated[Optional[Path], typer.Option(metavar="FILE", help="also draw FLOPs and feature memory against "
                                                 "size to this image (needs matplotlib)")] = None,
) -> None:
    """Costs over a grid of sizes, batches and parameter values, vectorised.

    Every figure equals `archspec analyze` at that point.  A size at which the
    network does not run (a layer's output would be empty, or branches that
    meet disagree in size) comes back as a row that says why, as analyze
    does, with no figures; the rest of the grid is still evaluated.
    """
    from ..costs.sweep import sweep as run
    from ..errors import ArchError
    from ..views.sweep import render_rows
    from .options import parse_batches, parse_set_grid, parse_sizes

    try:
        if plot is not None:
            from ..files import figure_format

            figure_format(plot, "plot")  # a name matplotlib cannot write is refused before the work
        rows = run(str(spec), parse_sizes(size), parse_batches(batch), parse_set_grid(set_),
                   upto, dtype, convention)
        text = render_rows(rows, format, convention)
        if plot is not None:
            from ..views.sweep import plot_rows

            plot_rows(rows, plot, spec.stem)
    except ArchError as exc:
        fail(exc)
    typer.echo(text, nl=False)
