"""`archspec explain`: every figure written out as arithmetic, or the totals
as closed-form formulas in the input size (`--formula`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import convention_option, dtype_option, fail, format_option, parse_overrides, parse_size


def explain(
    spec: Annotated[Path, typer.Argument(help="the .arch file, or the name of a model shipped with archspec (archspec zoo)")],
    layer: Annotated[Optional[str], typer.Option(metavar="LAYER", help="explain only this layer (subtotals still cover all)")] = None,
    size: Annotated[Optional[str], typer.Option(metavar="SIZE", help="input side (224) or HxW (600x850); default: the spec's")] = None,
    batch: Annotated[int, typer.Option(metavar="N", help="images per batch")] = 1,
    upto: Annotated[Optional[str], typer.Option(metavar="LAYER", help="analyse up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", metavar="NAME=VALUE", help="override a spec parameter (repeatable)")] = None,
    dtype: Annotated[str, dtype_option()] = "float32",
    convention: Annotated[str, convention_option()] = "burden",
    formula: Annotated[bool, typer.Option("--formula", help="total FLOPs, MACs and feature memory as exact "
                                          "formulas in input height H, width W and batch B")] = False,
    classes: Annotated[bool, typer.Option("--classes", help="with --formula: list the formula of every class "
                                          "of square sizes, however many there are")] = False,
    subtotals: Annotated[bool, typer.Option(help="per-kind and per-stage shares")] = True,
    format: Annotated[str, format_option("text", "json")] = "text",
) -> None:
    """Each figure's arithmetic, or the totals as formulas in the input size.

    Each layer's arithmetic with the numbers substituted (output size,
    parameters, FLOPs, MACs, feature memory) and where the FLOPs go; or, with
    --formula, the totals as exact formulas in H, W and B: first for sizes
    that are multiples of the total stride, then what the other sizes share
    (--classes lists them all).
    """
    from ..errors import ArchError
    from ..graph.load import load_graph

    try:
        if formula:
            # a formula covers every size and batch: these would be ignored
            for given, option in ((layer, "--layer"), (size, "--size"), (batch != 1, "--batch")):
                if given:
                    raise ArchError(f"{option} is not used with --formula, whose totals hold at every "
                                    "size and batch", hint=f"leave out {option}, or --formula")
        elif classes:
            raise ArchError("--classes lists the classes of --formula", hint="add --formula")
        graph = load_graph(spec, parse_overrides(set_))
        name = graph.metadata.model or spec.stem
        if formula:
            from ..costs.closed_form import closed_form
            from ..views.closed_form import render_json, render_text

            cf = closed_form(graph, upto, dtype, convention)
            text = (json.dumps(render_json(cf, name), indent=1) + "\n" if format == "json"
                    else render_text(cf, name, classes))
        else:
            from ..costs import explain as explaining
            from ..views import explain as explain_view

            result = explaining.explain(graph, parse_size(size), batch, upto, dtype,
                                        convention, layer)
            text = (json.dumps(explain_view.render_json(result), indent=1) + "\n" if format == "json"
                    else explain_view.render_text(result, subtotals))
    except ArchError as exc:
        fail(exc)
    typer.echo(text, nl=False)
