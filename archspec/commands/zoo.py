"""`archspec zoo`: the models that come with archspec, by the names every command takes."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .options import fail, format_option


def zoo(
    folder: Annotated[Optional[str], typer.Argument(help="only this folder: reference, modern, transformers or examples")] = None,
    format: Annotated[str, format_option("text", "json")] = "text",
) -> None:
    """List the shipped models (name, task, folder, source): each NAME works
    wherever a command takes a spec (`archspec analyze resnet50`)."""
    from ..errors import ArchError, suggest
    from ..graph.zoo import FOLDERS, zoo_entries, zoo_root
    from ..views.zoo import render_zoo_json, render_zoo_table

    try:
        root = zoo_root()
        if root is None:
            raise ArchError("this archspec is installed without its zoo of specs; reinstall it")
        if folder is not None and folder not in FOLDERS:
            raise ArchError(f"no zoo folder '{folder}'; the folders: {', '.join(FOLDERS)}",
                            hint=suggest(folder, FOLDERS))
        entries = zoo_entries(folder)
    except ArchError as exc:
        fail(exc)
    where = f"the {folder} folder of {root}" if folder else str(root)
    typer.echo(render_zoo_json(entries) if format == "json" else render_zoo_table(entries, where), nl=False)
