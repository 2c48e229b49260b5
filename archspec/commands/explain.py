"""`archspec explain`: every figure written out as arithmetic, or the totals
as closed-form formulas in the input size (`--formula`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import Convention, DType, chosen, fail, parse_overrides, parse_size


def explain(
    spec: Annotated[Path, typer.Argument(help="the .arch file")],
    layer: Annotated[Optional[str], typer.Option(help="explain only this layer (subtotals still cover all)")] = None,
    size: Annotated[Optional[str], typer.Option(help="input side (224) or HxW (600x850); default: the spec's")] = None,
    batch: Annotated[int, typer.Option(help="images per batch")] = 1,
    upto: Annotated[Optional[str], typer.Option(help="analyse up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="override a spec parameter: NAME=VALUE")] = None,
    dtype: Annotated[DType, typer.Option(help="bytes per element of parameters and features")] = "float32",
    convention: Annotated[Convention, typer.Option(help="how FLOPs are counted (burden: the reference table's rules; docs/conventions.md)")] = "burden",
    formula: Annotated[bool, typer.Option("--formula", help="total FLOPs, MACs and feature memory as exact "
                                          "formulas in input height H, width W and batch B")] = False,
    subtotals: Annotated[bool, typer.Option(help="per-kind and per-stage shares")] = True,
    format: Annotated[str, typer.Option(help="text or json")] = "text",
) -> None:
    """Each layer's arithmetic with the numbers substituted (output size, parameters, FLOPs,
    MACs, feature memory) and where the FLOPs go; or, with --formula, closed-form totals."""
    from ..errors import ArchError
    from ..graph.load import load_graph

    dtype, convention = chosen(dtype), chosen(convention)
    try:
        if format not in ("text", "json"):
            raise ArchError(f"--format {format!r}: expected text or json")
        graph = load_graph(spec, parse_overrides(set_))
        name = graph.metadata.model or spec.stem
        if formula:
            from ..costs.closed_form import closed_form
            from ..views.closed_form import render_json, render_text

            cf = closed_form(graph, upto, dtype, convention)
            text = (json.dumps(render_json(cf, name), indent=1) + "\n" if format == "json"
                    else render_text(cf, name))
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
