"""`archspec draw`: the network as an SVG graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import choice_parser, convention_option, fail, parse_overrides, parse_size


def draw(
    spec: Annotated[Path, typer.Argument(help="the .arch file, or the name of a model shipped with archspec (archspec zoo)")],
    output: Annotated[Path, typer.Option("-o", "--output", metavar="FILE", help="the .svg file to write")],
    expand: Annotated[Optional[int], typer.Option(metavar="DEPTH", help="open block calls to this depth (1: the top-level calls' layers, each call a box); default: collapsed, opening a call that is nearly the whole network")] = None,
    shade: Annotated[str, typer.Option(metavar="BY", parser=choice_parser("--shade", ["flops", "memory"]), help="shade nodes by their share of flops or memory (feature memory)")] = "flops",
    size: Annotated[Optional[str], typer.Option(metavar="SIZE", help="input side (224) or HxW (600x850); default: the spec's")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", metavar="NAME=VALUE", help="override a spec parameter (repeatable)")] = None,
    convention: Annotated[str, convention_option("how FLOPs are counted for the shading")] = "burden",
) -> None:
    """Draw the network: layers (or block calls) as nodes with their kind and output shape,
    edges labelled with tensor sizes, each node shaded by its share of FLOPs or memory."""
    from ..costs.engine import analyze
    from ..errors import ArchError
    from ..files import write_text_atomic
    from ..graph.load import load_graph
    from ..views.draw import draw_svg

    try:
        if expand is not None and expand < 0:
            raise ArchError(f"--expand {expand}: expected 0 or more")
        graph = load_graph(spec, parse_overrides(set_))
        analysis = analyze(graph, parse_size(size), convention=convention)
        text = draw_svg(graph, analysis, expand, shade)
        write_text_atomic(output, text)
    except ArchError as exc:
        fail(exc)
    typer.echo(f"{output}: {len(text):,} bytes", err=True)
