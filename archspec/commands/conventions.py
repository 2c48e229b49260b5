"""`archspec conventions`: one spec under every counting convention."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import fail, format_option, parse_overrides, parse_size


def conventions(
    spec: Annotated[Path, typer.Argument(help="the .arch file, or the name of a model shipped with archspec (archspec zoo)")],
    size: Annotated[Optional[str], typer.Option(metavar="SIZE", help="input side (224) or HxW; default: the spec's")] = None,
    batch: Annotated[int, typer.Option(metavar="N", help="images per batch")] = 1,
    upto: Annotated[Optional[str], typer.Option(metavar="LAYER", help="count up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", metavar="NAME=VALUE", help="override a spec parameter (repeatable)")] = None,
    format: Annotated[str, format_option("text", "json")] = "text",
    json: Annotated[bool, typer.Option("--json", hidden=True, help="the same as --format json")] = False,
) -> None:
    """Totals under every counting convention side by side.

    Totals under burden, macs, flops, fvcore, ptflops, thop and calflops, per
    layer kind, and the kinds that explain each gap.
    """
    from ..costs.compare_conventions import compare
    from ..errors import ArchError
    from ..graph.load import load_graph
    from ..views.conventions import render, render_json

    try:
        graph = load_graph(spec, parse_overrides(set_))
        result = compare(graph, parse_size(size), batch, upto)
    except ArchError as exc:
        fail(exc)
    typer.echo(render_json(result) if json or format == "json" else render(result), nl=False)
