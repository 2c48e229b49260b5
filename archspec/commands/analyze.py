"""`archspec analyze`: the per-layer table and totals of one spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .beyond import Memory, Optimizer
from .options import DType, Format, fail, parse_overrides, parse_size


def analyze(
    spec: Annotated[Path, typer.Argument(help="the .arch file")],
    size: Annotated[Optional[str], typer.Option(help="input side (224) or HxW (600x850); default: the spec's")] = None,
    batch: Annotated[int, typer.Option(help="images per batch; scales feature memory and FLOPs")] = 1,
    upto: Annotated[Optional[str], typer.Option(help="analyse up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="override a spec parameter: NAME=VALUE")] = None,
    dtype: Annotated[DType, typer.Option(help="bytes per element of parameters and features")] = DType.float32,
    format: Annotated[Format, typer.Option(help="output format")] = Format.table,
    convention: Annotated[str, typer.Option(help="how FLOPs are counted: burden (the reference table), macs, flops, fvcore, ptflops, thop, calflops")] = "burden",
    memory: Annotated[Optional[Memory], typer.Option(help="peak: also the peak activation memory of inference, by liveness")] = None,
    training: Annotated[bool, typer.Option("--training", help="also the memory and backward cost of a training step")] = False,
    optimizer: Annotated[Optimizer, typer.Option(help="optimizer state kept in training")] = Optimizer.sgd,
    fit: Annotated[Optional[str], typer.Option(help="largest training batch that fits in this memory (24GB); implies --training")] = None,
    device: Annotated[Optional[str], typer.Option(help="roofline time on a device: a100, h100, l4, rtx4090, epyc9654")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="with --device: write a roofline plot (PNG, SVG, PDF; needs matplotlib)")] = None,
) -> None:
    """Per-layer shapes, parameters, feature memory and FLOPs of a spec."""
    from ..costs.engine import analyze as run
    from ..errors import ArchError
    from ..graph.load import load_graph
    from ..views import render

    try:
        graph = load_graph(spec, parse_overrides(set_))
        if fit is None and memory is None and not training and device is None and plot is None:
            result = run(graph, parse_size(size), batch, upto, dtype.value, convention)
            typer.echo(render(result, format.value), nl=False)
            return
        from .beyond import beyond

        result, extras = beyond(graph, parse_size(size), batch, upto, dtype.value, convention,
                                memory is not None, training, optimizer.value, fit, device, plot)
    except ArchError as exc:
        fail(exc)
    from ..views.beyond import render_beyond

    typer.echo(render_beyond(result, extras, format.value), nl=False)
