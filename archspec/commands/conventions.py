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
    from ..compare import compare
    from ..errors import ArchError
    from ..spec import load_graph

    try:
        graph = load_graph(spec, parse_overrides(set_))
        result = compare(graph, parse_size(size), batch, upto)
    except ArchError as exc:
        fail(exc)
    typer.echo(render_json(result) if json else render(result), nl=False)


def render_json(c) -> str:  # type: ignore[no-untyped-def]
    import json

    doc = {
        "model": c.model, "input": {"size": list(c.size), "batch": c.batch},
        "conventions": {conv.name: {"unit": conv.unit, "source": conv.source, "total": c.totals[conv.name],
                                    "params": c.params[conv.name], "baseline": c.baseline(conv),
                                    "gaps": dict(c.gaps(conv))} for conv in c.conventions},
        "kinds": [{"kind": r.kind, "layers": r.layers, "counts": r.counts} for r in c.kinds],
    }
    return json.dumps(doc, indent=1) + "\n"


def render(c) -> str:  # type: ignore[no-untyped-def]
    names = [conv.name for conv in c.conventions]
    header = ["kind", "layers"] + names
    rows = [[r.kind, str(r.layers)] + [f"{r.counts[n]:,}" for n in names] for r in c.kinds]
    rows.append(["total", str(sum(r.layers for r in c.kinds))] + [f"{c.totals[n]:,}" for n in names])
    rows.append(["unit", ""] + ["FLOP*" if conv.unit.startswith("FLOPs (") else conv.unit
                                for conv in c.conventions])
    rows.append(["params", ""] + [f"{c.params[n]:,}" for n in names])
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                         for i, cell in enumerate(row)).rstrip()

    h, w = c.size
    out = [f"{c.model or '(unnamed)'}: {h} x {w}, batch {c.batch}", "",
           line(header), "  ".join("-" * x for x in widths)]
    out += [line(r) for r in rows]
    out += ["", ("FLOP* = the reference's FLOPs, a multiply-add counted once; "
                 "params of the peers leave out BN running statistics"), "", "gaps, per layer kind:"]
    for conv in c.conventions:
        base = c.baseline(conv)
        if conv.name == base:
            continue
        gaps = c.gaps(conv)
        terms = " ".join(f"{'+' if d >= 0 else '-'} {abs(d):,} {kind}" for kind, d in gaps)
        out.append(f"  {conv.name:9} = {base} {terms}".rstrip())
    return "\n".join(out) + "\n"
