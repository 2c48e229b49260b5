"""`archspec diff`: layer-by-layer and total differences between two specs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import convention_option, dtype_option, fail, format_option, parse_overrides, parse_size


def diff(
    first: Annotated[Path, typer.Argument(metavar="A", help="the first .arch file or shipped model")],
    second: Annotated[Path, typer.Argument(metavar="B", help="the second .arch file or shipped model")],
    size: Annotated[Optional[str], typer.Option(metavar="SIZE", help="input side (224) or HxW; default: each spec's own")] = None,
    batch: Annotated[int, typer.Option(metavar="N", help="images per batch")] = 1,
    set_: Annotated[Optional[list[str]], typer.Option("--set", metavar="NAME=VALUE", help="override a parameter of both specs (repeatable)")] = None,
    dtype: Annotated[str, dtype_option()] = "float32",
    convention: Annotated[str, convention_option()] = "burden",
    all_layers: Annotated[bool, typer.Option("--all", help="list unchanged layers too")] = False,
    format: Annotated[str, format_option("text", "json")] = "text",
) -> None:
    """Align two specs layer by layer and show what changed.

    Layers are aligned by name, else by kind and order; the output lists the
    changed shapes, strides, parameters, buffers, FLOPs and feature memory, then the totals.
    """
    import json

    from ..costs.diff import diff_specs
    from ..errors import ArchError
    from ..graph.load import load_graph
    from ..views.diff import render_json, render_text

    try:
        overrides = parse_overrides(set_)
        a, b = load_graph(first, overrides), load_graph(second, overrides)
        result = diff_specs(a, b, parse_size(size), batch, dtype, convention)
        text = (json.dumps(render_json(result), indent=1) + "\n" if format == "json"
                else render_text(result, all_layers))
    except ArchError as exc:
        fail(exc)
    typer.echo(text, nl=False)
