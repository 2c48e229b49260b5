"""`archspec diff`: layer-by-layer and total differences between two specs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import Convention, DType, chosen, fail, parse_overrides, parse_size


def diff(
    first: Annotated[Path, typer.Argument(help="the first .arch file (A)")],
    second: Annotated[Path, typer.Argument(help="the second .arch file (B)")],
    size: Annotated[Optional[str], typer.Option(help="input side (224) or HxW; default: each spec's own")] = None,
    batch: Annotated[int, typer.Option(help="images per batch")] = 1,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="override a parameter of both specs")] = None,
    dtype: Annotated[DType, typer.Option(help="bytes per element of parameters and features")] = "float32",
    convention: Annotated[Convention, typer.Option(help="how FLOPs are counted (burden: the reference table's rules; docs/conventions.md)")] = "burden",
    all_layers: Annotated[bool, typer.Option("--all", help="list unchanged layers too")] = False,
    format: Annotated[str, typer.Option(help="text or json")] = "text",
) -> None:
    """Align two specs layer by layer (by name, else by kind and order) and show what
    changed: shapes, strides, parameters, FLOPs and feature memory, with totals."""
    import json

    from ..costs.diff import diff_specs
    from ..errors import ArchError
    from ..graph.load import load_graph
    from ..views.diff import render_json, render_text

    dtype, convention = chosen(dtype), chosen(convention)
    try:
        if format not in ("text", "json"):
            raise ArchError(f"--format {format!r}: expected text or json")
        overrides = parse_overrides(set_)
        a, b = load_graph(first, overrides), load_graph(second, overrides)
        result = diff_specs(a, b, parse_size(size), batch, dtype, convention)
        text = (json.dumps(render_json(result), indent=1) + "\n" if format == "json"
                else render_text(result, all_layers))
    except ArchError as exc:
        fail(exc)
    typer.echo(text, nl=False)
