"""`archspec analyze`: the per-layer table and totals of one spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import DType, Format, fail, parse_overrides, parse_size


def analyze(
    spec: Annotated[Path, typer.Argument(help="the .arch file")],
    size: Annotated[Optional[str], typer.Option(help="input side (224) or HxW (600x850); default: the spec's")] = None,
    batch: Annotated[int, typer.Option(help="images per batch; scales feature memory and FLOPs")] = 1,
    upto: Annotated[Optional[str], typer.Option(help="analyse up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="override a spec parameter: NAME=VALUE")] = None,
    dtype: Annotated[DType, typer.Option(help="bytes per element of parameters and features")] = DType.float32,
    format: Annotated[Format, typer.Option(help="output format")] = Format.table,
    convention: Annotated[str, typer.Option(help="how FLOPs are counted (burden = the reference table)")] = "burden",
) -> None:
    """Per-layer shapes, parameters, feature memory and FLOPs of a spec."""
    from ..engine import analyze as run
    from ..errors import ArchError
    from ..spec import load_graph
    from ..views import render

    try:
        graph = load_graph(spec, parse_overrides(set_))
        result = run(graph, parse_size(size), batch, upto, dtype.value, convention)
    except ArchError as exc:
        fail(exc)
    typer.echo(render(result, format.value), nl=False)
