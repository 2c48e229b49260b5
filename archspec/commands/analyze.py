"""`archspec analyze`: the per-layer table and totals of one spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .beyond import Memory
from .options import DEVICE_NAMES, Convention, DType, Format, Optimizer, chosen, fail, parse_overrides, parse_size


def analyze(
    spec: Annotated[Path, typer.Argument(help="the .arch file")],
    size: Annotated[Optional[str], typer.Option(help="input side (224) or HxW (600x850); default: the spec's")] = None,
    batch: Annotated[int, typer.Option(help="images per batch; scales feature memory and FLOPs")] = 1,
    upto: Annotated[Optional[str], typer.Option(help="analyse up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="override a spec parameter: NAME=VALUE")] = None,
    dtype: Annotated[DType, typer.Option(help="bytes per element of parameters and features")] = "float32",
    format: Annotated[Format, typer.Option(help="output format")] = Format.table,
    convention: Annotated[Convention, typer.Option(help="how FLOPs are counted (burden: the reference table's rules; docs/conventions.md)")] = "burden",
    memory: Annotated[Optional[Memory], typer.Option(help="peak: also the peak activation memory of inference, by liveness")] = None,
    training: Annotated[bool, typer.Option("--training", help="also the memory and backward cost of a training step")] = False,
    optimizer: Annotated[Optimizer, typer.Option(help="optimizer state kept in training")] = "sgd",
    fit: Annotated[Optional[str], typer.Option(help="largest training batch that fits in this memory (24GB); implies --training")] = None,
    device: Annotated[Optional[str], typer.Option(help=f"roofline time on a device: {DEVICE_NAMES}")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="with --device: write a roofline plot (PNG, SVG, PDF; needs matplotlib)")] = None,
) -> None:
    """Per-layer shapes, parameters, feature memory and FLOPs of a spec."""
    from ..costs.engine import analyze as run
    from ..errors import ArchError
    from ..graph.load import load_graph
    from ..views import render

    dtype, convention, optimizer = chosen(dtype), chosen(convention), chosen(optimizer)
    try:
        graph = load_graph(spec, parse_overrides(set_))
        if fit is None and memory is None and not training and device is None and plot is None:
            result = run(graph, parse_size(size), batch, upto, dtype, convention)
            typer.echo(render(result, format.value), nl=False)
            return
        from .beyond import beyond

        result, extras = beyond(graph, parse_size(size), batch, upto, dtype, convention,
                                memory is not None, training, optimizer, fit, device, plot)
    except ArchError as exc:
        fail(exc)
    from ..views.beyond import render_beyond

    typer.echo(render_beyond(result, extras, format.value), nl=False)
