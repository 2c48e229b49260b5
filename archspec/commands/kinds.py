"""`archspec kinds`: the layer kinds the language knows."""

from __future__ import annotations

import typer


def kinds() -> None:
    """List the layer kinds the language knows, with their positional arguments."""
    from ..kinds import REGISTRY

    width = max(len(name) for name in REGISTRY)  # the longest kind name sets the column
    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        args = "(" + ", ".join(cls.positional) + ")" if cls.positional else ""
        typer.echo(f"{name:{width}} {args:18} {cls.summary}")
