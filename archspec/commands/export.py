"""`archspec export`: a spec as PyTorch code or as an ONNX graph."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import choice_parser, fail, parse_overrides, parse_size


class Target(str, Enum):
    pytorch = "pytorch"
    onnx = "onnx"


def export(
    spec: Annotated[Path, typer.Argument(help="the .arch file, or the name of a model shipped with archspec (archspec zoo)")],
    to: Annotated[str, typer.Option("--to", metavar="TARGET", parser=choice_parser("--to", [t.value for t in Target]), help="pytorch: a self-contained nn.Module file; onnx: the graph (operators and shapes, weights as inputs without data)")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", metavar="FILE", help="write here (default: the PyTorch code to the screen; an ONNX file needs -o)")] = None,
    size: Annotated[Optional[str], typer.Option(metavar="SIZE", help="input side (224) or HxW (600x850) for the ONNX graph's shapes; default: the spec's")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", metavar="NAME=VALUE", help="override a spec parameter (repeatable)")] = None,
    stand_ins: Annotated[bool, typer.Option("--stand-ins", help="PyTorch: build layers torch has no module for (SSD's priors, region proposals, ROI pooling) as stand-ins of their output shape that compute nothing")] = False,
) -> None:
    """Write the spec as a PyTorch nn.Module (one class per block, the spec's names kept;
    its parameters, buffers and output shape are archspec's) or as an ONNX graph."""
    from ..errors import ArchError
    from ..files import write_atomic
    from ..graph.load import load_graph

    try:
        graph = load_graph(spec, parse_overrides(set_))
        if to == Target.onnx.value:
            from ..bridges.onnx_export import export_onnx

            if output is None:
                raise ArchError("an ONNX graph is binary: give the file to write with -o")
            data: bytes | str = export_onnx(graph, parse_size(size), str(spec)).SerializeToString()
        else:
            from ..bridges.pytorch_export import export_pytorch

            data = export_pytorch(graph, parse_size(size), stand_ins)
        if output is not None:
            target = output

            def write(temporary: Path) -> None:
                if isinstance(data, bytes):
                    temporary.write_bytes(data)
                else:
                    temporary.write_text(data, encoding="utf-8")

            write_atomic(target, write)
    except ArchError as exc:
        fail(exc)
    if output is None:
        typer.echo(data, nl=False)
    else:
        typer.echo(f"{output}: {len(data):,} bytes", err=True)
