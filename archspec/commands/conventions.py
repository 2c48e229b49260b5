"""`archspec conventions`: one spec under every counting convention."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import fail, parse_overrides, parse_size


def conventions(
    spec: Annotated[Path, typer.Argument(help="the .arch file")],
    size: Annotated[Optional[str], typer.Option(help="input side (224) or HxW; default: the spec's")] = None,
    batch: Annotated[int, typer.Option(help="images per batch")] = 1,
    upto: Annotated[Optional[str], typer.Option(help="count up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="override a spec parameter: NAME=VALUE")] = None,
    json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Totals under every convention (burden, macs, flops, fvcore, ptflops,
    thop, calflops), per layer kind, and the kinds that explain each gap."""
    from ..costs.compare_conventions import compare
    from ..errors import ArchError
    from ..graph.load import load_graph
    from ..views.conventions import render, render_json

    try:
        graph = load_graph(spec, parse_overrides(set_))
        result = compare(graph, parse_size(size), batch, upto)
    except ArchError as exc:
        fail(exc)
    typer.echo(render_json(result) if json else render(result), nl=False)
