"""The `archspec` command line's typer app: every sub-command, registered.

Each sub-command lives in archspec/commands/<name>.py; register it below.
The entry point and error boundary is archspec/cli.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .commands.analyze import analyze
from .commands.conventions import conventions
from .commands.diff import diff
from .commands.draw import draw
from .commands.explain import explain
from .commands.export import export
from .commands.import_ import import_
from .commands.kinds import kinds
from .commands.options import Group, register
from .commands.report import report
from .commands.sweep import sweep
from .commands.table import table
from .commands.zoo import zoo

app = typer.Typer(cls=Group, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="How much memory and compute does this network need?")


@app.callback()
def options(
    allow_imports: Annotated[Optional[list[Path]], typer.Option(  # noqa: UP045  (typer reads the annotation)
        "--allow-imports", metavar="DIR",
        help="let imports also read this folder's tree (they stay in the spec's own folder tree otherwise)")] = None,
) -> None:
    """How much memory and compute does this network need?"""
    from .graph.load import allow_imports_from

    allow_imports_from(list(allow_imports or []))


for command in (analyze, conventions, diff, draw, explain, export, kinds, report, sweep, table, zoo):
    register(app, command)
register(app, import_, name="import")
