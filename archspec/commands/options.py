"""Option parsing shared by the commands: sizes, overrides, error exits, and
the choices of the options that name something from the code's own tables
(dtypes, conventions, optimizers, devices)."""

from __future__ import annotations

import itertools
from enum import Enum
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

import typer

from ..conventions import CONVENTIONS
from ..costs.catalogue import DTYPE_BYTES, OPTIMIZER_STATES
from ..costs.devices import DEVICES


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def _choices(name: str, table: Any) -> Any:
    """An option whose values are a table's names (typer offers an Enum's values)."""
    return Enum(name, [(key, key) for key in table], type=str)


if TYPE_CHECKING:  # to the type checker each choice is its name, a str
    DType: TypeAlias = str
    Convention: TypeAlias = str
    Optimizer: TypeAlias = str
else:
    DType = _choices("DType", DTYPE_BYTES)
    Convention = _choices("Convention", CONVENTIONS)
    Optimizer = _choices("Optimizer", OPTIMIZER_STATES)
DEVICE_NAMES = ", ".join(DEVICES)


def chosen(value: Any) -> str:
    """A choice option's value as the name the API takes."""
    return str(getattr(value, "value", value))


def parse_size(text: str | None) -> tuple[int, int] | None:
    """`224` or `600x850` (height x width)."""
    from ..errors import ArchError

    if text is None:
        return None
    parts = text.lower().replace(" ", "").split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) < 9 for p in parts):
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
    `6,12,24,16` or `(6, 12, 24, 16)`, or else a string.  Tuples do not nest."""
    from ..errors import ArchError

    if "," in text or text.startswith("("):
        items = text.strip().removeprefix("(").removesuffix(")")
        if any(bracket in items for bracket in "()"):
            raise ArchError(f"--set value {text!r}: a tuple of plain values, e.g. 6,12,24,16 (tuples do not nest)")
        return tuple(parse_literal(item.strip()) for item in items.split(",") if item.strip())
    if text in ("true", "false"):
        return text == "true"
    if text.isascii():
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


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """`224`, `600x850`, `112:672:32` (start:stop[:step], stop included), or a
    comma-separated list of these.  Sides and the number of sizes are checked
    before any list is built."""
    from ..limits import MAX_POINTS, MAX_SIDE

    def side(part: str) -> int:
        if not (part.isascii() and part.isdigit()):
            raise ValueError(part)
        if len(part) > 9 or not 1 <= int(part) <= MAX_SIDE:
            raise _error(f"--size {text!r}: sides (and steps) must be between 1 and {MAX_SIDE}")
        return int(part)

    pieces: list[range | tuple[int, int]] = []  # in the order written
    count = 0
    for item in text.replace(" ", "").lower().split(","):
        try:
            if ":" in item:
                parts = item.split(":")
                if len(parts) not in (2, 3):
                    raise ValueError(item)
                step = side(parts[2]) if len(parts) == 3 else 1
                piece: range | tuple[int, int] = range(side(parts[0]), side(parts[1]) + 1, step)
            elif "x" in item:
                h, w = item.split("x")
                piece = (side(h), side(w))
            else:
                piece = (side(item), side(item))
        except ValueError:
            raise _error(f"--size {text!r}: expected sides (224), HxW (600x850) or "
                         "ranges start:stop:step (112:672:32), comma-separated") from None
        count += len(piece) if isinstance(piece, range) else 1
        if count > MAX_POINTS:
            raise _error(f"--size {text!r} gives more than {MAX_POINTS:,} sizes")
        pieces.append(piece)
    sizes = [pair for piece in pieces
             for pair in ([(s, s) for s in piece] if isinstance(piece, range) else [piece])]
    if not sizes:
        raise _error(f"--size {text!r} gives no sizes")
    return sizes


def parse_batches(text: str | None) -> list[int]:
    if text is None:
        return [1]
    try:
        batches = [int(b) for b in text.split(",")]
    except ValueError:
        raise _error(f"--batch {text!r}: expected whole numbers, comma-separated") from None
    if not batches or any(b < 1 for b in batches):
        raise _error(f"--batch {text!r}: batches must be at least 1")
    return batches


def parse_set_grid(items: list[str] | None) -> list[dict[str, Any]]:
    """`--set width=1,1.5,2 --set depth=1,2`: every combination."""
    names: list[str] = []
    choices: list[list[Any]] = []
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not text.strip():
            raise _error(f"--set {item!r}: expected NAME=VALUE[,VALUE...]")
        names.append(name)
        choices.append([parse_literal(v.strip()) for v in text.split(",")])
    from math import prod

    from ..limits import MAX_POINTS

    if prod(len(c) for c in choices) > MAX_POINTS:  # counted before the combinations are made
        raise _error(f"--set gives {prod(len(c) for c in choices):,} combinations; at most {MAX_POINTS:,} are swept")
    return [dict(zip(names, combo)) for combo in itertools.product(*choices)]


def _error(message: str) -> Exception:
    from ..errors import ArchError

    return ArchError(message)


# The API's argument names, as the command line spells them.
OPTIONS = {"upto": "--upto", "overrides": "--set", "memory": "--fit", "size": "--size", "batch": "--batch",
           "dtype": "--dtype", "convention": "--convention", "optimizer": "--optimizer", "device": "--device",
           "plot": "--plot", "allow_imports": "--allow-imports"}


def fail(exc: BaseException) -> NoReturn:
    """Print a user error (an ArchError renders itself, naming the option it
    is about as the command line spells it) and exit with code 2."""
    argument = getattr(exc, "argument", None)
    if argument in OPTIONS:
        exc.argument = OPTIONS[argument]  # type: ignore[attr-defined]
    typer.echo(str(exc), err=True)
    raise typer.Exit(2)
