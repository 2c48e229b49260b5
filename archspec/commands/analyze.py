"""`archspec analyze`: the per-layer table and totals of one spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .beyond import Memory
from .options import (
    DEVICE_NAMES,
    convention_option,
    dtype_option,
    fail,
    format_option,
    optimizer_option,
    parse_overrides,
    parse_size,
)


def analyze(
    spec: Annotated[Path, typer.Argument(help="the .arch file, or the name of a model shipped with archspec (archspec zoo)")],
    size: Annotated[Optional[str], typer.Option(metavar="SIZE", help="input side (224) or HxW (600x850); default: the spec's")] = None,
    batch: Annotated[int, typer.Option(metavar="N", help="images per batch; scales feature memory and FLOPs")] = 1,
    upto: Annotated[Optional[str], typer.Option(metavar="LAYER", help="analyse up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", metavar="NAME=VALUE", help="override a spec parameter (repeatable)")] = None,
    dtype: Annotated[str, dtype_option()] = "float32",
    format: Annotated[str, format_option("text", "json", "csv", "markdown")] = "text",
    convention: Annotated[str, convention_option()] = "burden",
    memory: Annotated[Optional[Memory], typer.Option(metavar="peak", help="peak: also the peak activation memory of inference, by liveness")] = None,
    training: Annotated[bool, typer.Option("--training", help="also the memory and backward cost of a training step")] = False,
    optimizer: Annotated[Optional[str], optimizer_option()] = None,
    fit: Annotated[Optional[str], typer.Option(metavar="MEMORY", help="the largest training batch that fits in this memory, with its unit (24GB, 512MiB; binary: 1 GB = 1024^3 bytes); implies --training")] = None,
    device: Annotated[Optional[str], typer.Option(metavar="NAME", help=f"roofline time on a device: {DEVICE_NAMES}")] = None,
    plot: Annotated[Optional[Path], typer.Option(metavar="FILE", help="with --device: write a roofline plot (PNG, SVG, PDF; needs matplotlib)")] = None,
) -> None:
    """Per-layer shapes, parameters, feature memory and FLOPs of a spec.

    The totals are given to three significant figures (memory in binary units,
    KiB and MiB; counts with decimal prefixes, k, M and G), next to the same
    figures as the reference table rounds them.
    """
    from ..costs.engine import analyze as run
    from ..errors import ArchError
    from ..graph.load import load_graph
    from ..views import render

    try:
        if optimizer is not None and not training and fit is None:
            raise ArchError("only a training step keeps optimizer state", argument="optimizer",
                            hint="add --training (or --fit MEMORY) to price a training step with this optimizer")
        graph = load_graph(spec, parse_overrides(set_))
        if fit is None and memory is None and not training and device is None and plot is None:
            result = run(graph, parse_size(size), batch, upto, dtype, convention)
            typer.echo(render(result, format), nl=False)
            return
        from .beyond import beyond

        result, extras = beyond(graph, parse_size(size), batch, upto, dtype, convention,
                                memory is not None, training, optimizer or "sgd", fit, device, plot)
    except ArchError as exc:
        fail(exc)
    from ..views.beyond import render_beyond

    typer.echo(render_beyond(result, extras, format), nl=False)
