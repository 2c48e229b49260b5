"""`archspec import`: an ONNX model as a readable spec."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import fail, parse_size


def import_(
    model: Annotated[Path, typer.Argument(help="the .onnx file")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", metavar="FILE", help="write the spec here (default: print it)")] = None,
    opaque: Annotated[bool, typer.Option("--opaque", help="import an operator archspec has no kind for as an opaque layer of the output shape the graph declares, counting nothing (reported), instead of stopping")] = False,
    size: Annotated[Optional[str], typer.Option(metavar="SIZE", help="height x width to import at when the graph's input size is not fixed (224 or 600x850)")] = None,
) -> None:
    """Read an ONNX graph (no weights needed beyond their shapes) and write it as a spec:
    named statements, repeated structure as blocks, the model's metadata. The spec is
    checked by loading it: its parameters, buffers and output shape are the graph's."""
    from ..bridges.onnx_import import import_onnx
    from ..errors import ArchError
    from ..files import write_text_atomic

    try:
        imported = import_onnx(model, opaque, parse_size(size))
        if output is not None:
            write_text_atomic(output, imported.text)
    except ArchError as exc:
        fail(exc)
    for note in imported.notes:
        typer.echo(f"note: {note}", err=True)
    if output is None:
        typer.echo(imported.text, nl=False)
    else:
        typer.echo(f"{output}: {len(imported.text.splitlines())} lines", err=True)
