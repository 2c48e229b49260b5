"""What the command line reads besides its option names: sizes, batches,
`--set` values and grids, and the text of a user error naming the option it
is about.  No typer here: a plain `archspec analyze` or `sweep` reads its
options with this alone (commands/direct.py); commands/options.py gives the
same functions to the typer commands."""

from __future__ import annotations

import itertools
from typing import Any


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


def parse_literal(text: str, depth: int = 0) -> Any:
    """A --set value: true/false, an integer, a finite float, a tuple written
    `6,12,24,16` or `(6, 12, 24, 16)`, tuples of tuples written with
    parentheses, `((1,16,1,1),(6,24,2,2))`, or else a string."""
    from ..errors import ArchError
    from ..limits import MAX_NESTING

    text = text.strip()
    if "," in text or text.startswith("("):
        if depth >= MAX_NESTING:
            raise ArchError(f"--set value: tuples nested deeper than {MAX_NESTING}")
        enclosed = _enclosed(text)
        items = top_level_items(text[1:-1] if enclosed else text)
        if items is None:
            raise ArchError(f"--set value {text!r}: unbalanced parentheses")
        return tuple(parse_literal(item, depth + 1) for item in items if item.strip())
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
    if any(bracket in text for bracket in "()"):
        raise ArchError(f"--set value {text!r}: unbalanced parentheses")
    return text.strip('"')


def _enclosed(text: str) -> bool:
    """Whether the whole text is one parenthesised group: `(a, (b))`, not `(a), (b)`."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for position, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return position == len(text) - 1
    return False


def top_level_items(text: str) -> list[str] | None:
    """`text` cut at the commas outside parentheses; None if they do not balance."""
    items, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
        elif char == "," and depth == 0:
            items.append(text[start:position])
            start = position + 1
    if depth:
        return None
    items.append(text[start:])
    return items


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
        values = top_level_items(text)  # `(3,3,9,3),(3,3,27,3)`: two tuples to sweep
        if values is None:
            raise _error(f"--set {item!r}: unbalanced parentheses")
        names.append(name)
        choices.append([parse_literal(v.strip()) for v in values])
    from math import prod

    from ..limits import MAX_POINTS

    if prod(len(c) for c in choices) > MAX_POINTS:  # counted before the combinations are made
        raise _error(f"--set gives {prod(len(c) for c in choices):,} combinations; at most {MAX_POINTS:,} are swept")
    return [dict(zip(names, combo)) for combo in itertools.product(*choices)]


def _error(message: str) -> Exception:
    from ..errors import ArchError

    return ArchError(message)


# The API's argument names, as the command line spells them.
OPTIONS = {"upto": "--upto", "overrides": "--set", "values": "--set", "memory": "--fit", "size": "--size",
           "sizes": "--size", "batch": "--batch", "batches": "--batch", "dtype": "--dtype",
           "convention": "--convention", "optimizer": "--optimizer", "device": "--device", "plot": "--plot",
           "allow_imports": "--allow-imports", "layer": "--layer", "features": "--features", "scales": "--scales"}


def user_error_text(exc: BaseException) -> str:
    """A user error as the command line shows it: an ArchError renders itself,
    naming the option it is about as the command line spells it."""
    argument = getattr(exc, "argument", None)
    if argument in OPTIONS:
        exc.argument = OPTIONS[argument]  # type: ignore[attr-defined]
    return str(exc)
