"""Option parsing shared by the commands: sizes, overrides, error exits."""

from __future__ import annotations

from enum import Enum
from typing import Any, NoReturn

import typer


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class DType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"


def parse_size(text: str | None) -> tuple[int, int] | None:
    """`224` or `600x850` (height x width)."""
    from ..errors import ArchError

    if text is None:
        return None
    parts = text.lower().replace(" ", "").split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(p.isdigit() and len(p) < 9 for p in parts):
        raise ArchError(f"--size {text!r}: expected a side (224) or height x width (600x850)")
    h, w = int(parts[0]), int(parts[1])
    if h < 1 or w < 1:
        raise ArchError(f"--size {text!r}: sides must be at least 1")
    return h, w


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """`--set width=2 --set project=false --set mode=max`."""
    from ..errors import ArchError

    overrides: dict[str, Any] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name.isidentifier() or not text:
            raise ArchError(f"--set {item!r}: expected NAME=VALUE")
        overrides[name] = parse_literal(text)
    return overrides


def parse_literal(text: str) -> Any:
    """A --set value: true/false, an integer, a finite float, a tuple written
    `6,12,24,16` or `(6, 12, 24, 16)`, or else a string."""
    if "," in text:
        items = text.strip().removeprefix("(").removesuffix(")")
        return tuple(parse_literal(item.strip()) for item in items.split(",") if item.strip())
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
        if value == value and abs(value) != float("inf"):
            return value
    except ValueError:
        pass
    return text.strip('"')


def fail(exc: BaseException) -> NoReturn:
    """Print a user error (an ArchError renders itself) and exit with code 2."""
    typer.echo(str(exc), err=True)
    raise typer.Exit(2)
