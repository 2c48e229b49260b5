"""`archspec kinds`: the layer kinds the language knows."""

from __future__ import annotations

from typing import Annotated

import typer

from .options import format_option


def kinds(format: Annotated[str, format_option("text", "json")] = "text") -> None:
    """List the layer kinds the language knows, with their positional arguments."""
    from ..kinds import REGISTRY

    if format == "json":
        import json

        records = [{"kind": name, "positional": list(REGISTRY[name].positional), "summary": REGISTRY[name].summary}
                   for name in sorted(REGISTRY)]
        typer.echo(json.dumps(records, indent=1))
        return
    width = max(len(name) for name in REGISTRY)  # the longest kind name sets the column
    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        args = "(" + ", ".join(cls.positional) + ")" if cls.positional else ""
        typer.echo(f"{name:{width}} {args:18} {cls.summary}")
