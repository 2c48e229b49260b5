"""A progress bar for long runs (many specs, many sizes) on stderr; silent
when stderr is not a terminal, so pipes, logs and tests see nothing."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield `items`, showing how far along they are when worth showing."""
    if total < 2 or not sys.stderr.isatty():
        yield from items
        return
    from rich.console import Console  # typer's dependency; imported only when drawn
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        for item in items:
            yield item
            bar.advance(task)
