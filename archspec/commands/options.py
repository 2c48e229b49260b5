"""What the commands share: the help's layout, the one vocabulary of
`--format`, the options that name something from the code's own tables
(dtypes, conventions, optimizers, devices), parsing of sizes and overrides,
and the error exit."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from ..conventions import CONVENTIONS
from ..costs.catalogue import DTYPE_BYTES, OPTIMIZER_STATES
from ..costs.devices import DEVICES

if TYPE_CHECKING:
    from pathlib import Path

    from ..errors import ArchError

# --- the help ------------------------------------------------------------------------------


def paragraphs(text: str | None) -> str | None:
    """A docstring as help: each paragraph one line (the terminal wraps it
    at its own width), paragraphs still apart."""
    if text is None:
        return None
    return "\n\n".join(" ".join(part.split()) for part in inspect.cleandoc(text).split("\n\n"))


class Command(TyperCommand):
    """A command whose help names things as a reader types them: its
    arguments in capitals on the usage line (`archspec analyze [OPTIONS] SPEC`),
    each option's value by a short name (`--dtype DTYPE`, its choices in the
    help text, so no list of choices is broken across lines) and flags with
    no value at all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                param.metavar = param.metavar or (param.name or "").upper()
                # the argument's name says what it is; no `<path>` type beside it
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
            elif getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""  # a flag takes no value: no `<bool>` beside it

    def get_help_option(self, ctx: Any) -> Any:
        return _valueless(super().get_help_option(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar or (param.name or "").upper()
                name = name if param.required else f"[{name}]"
                pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces


class Group(TyperGroup):
    """The app's own help, laid out as its commands' are."""

    def get_help_option(self, ctx: Any) -> Any:
        return _valueless(super().get_help_option(ctx))


def _valueless(option: Any) -> Any:
    """`--help` takes no value: no `<bool>` beside it."""
    if option is not None:
        option.metavar = ""
    return option


def register(app: typer.Typer, function: Callable[..., Any], name: str | None = None) -> None:
    """Add a command to the app with the shared help layout."""
    app.command(name=name, cls=Command, help=paragraphs(function.__doc__))(function)


def _listed(names: Sequence[str], last: str = "or") -> str:
    """`a, b or c`."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def choice_parser(option: str, names: Sequence[str], aliases: dict[str, str] | None = None) -> Callable[[str], str]:
    """A parser that accepts `names` (and `aliases` of them) and refuses
    anything else with the names it would accept."""
    from ..errors import suggest

    def parse(value: str) -> str:
        value = (aliases or {}).get(value, value)
        if value in names:
            return value
        hint = suggest(value, names)
        raise typer.BadParameter(f"{value!r} is not one of {_listed(list(names))}" + (f"; {hint}" if hint else ""),
                                 param_hint=option)

    return parse


# --- --format: one vocabulary for every command ---------------------------------------------

# `text` is the human-readable output of every command that has one; the
# others are offered where they make sense, always by these names.
FORMATS = ("text", "json", "csv", "markdown")
# Earlier names, still accepted so old commands keep working.
FORMAT_ALIASES = {"table": "text"}


def format_option(*offered: str) -> Any:
    """The `--format` option of a command that offers `offered` (names of
    FORMATS, in its order; the command's default is the first it lists in its signature)."""
    unknown = [name for name in offered if name not in FORMATS]
    assert not unknown, unknown  # a name outside the vocabulary is a bug here
    names = [name for name in FORMATS if name in offered]
    aliases = {old: new for old, new in FORMAT_ALIASES.items() if new in names}
    return typer.Option("--format", metavar="FORMAT", parser=choice_parser("--format", names, aliases),
                        help="output format: " + _listed(names))


# --- options naming entries of the code's own tables ------------------------------------------

def _choices(name: str, table: Any) -> Any:
    """An option whose values are a table's names (typer offers an Enum's values)."""
    return Enum(name, [(key, key) for key in table], type=str)


if TYPE_CHECKING:  # to the type checker each choice is its name, a str
    DType: TypeAlias = str
    Convention: TypeAlias = str
    Optimizer: TypeAlias = str
else:  # kept for commands that still annotate with them
    DType = _choices("DType", DTYPE_BYTES)
    Convention = _choices("Convention", CONVENTIONS)
    Optimizer = _choices("Optimizer", OPTIMIZER_STATES)
DEVICE_NAMES = ", ".join(DEVICES)


def dtype_option() -> Any:
    return typer.Option("--dtype", metavar="DTYPE", parser=choice_parser("--dtype", list(DTYPE_BYTES)),
                        help="bytes per element of parameters and features: " + _listed(list(DTYPE_BYTES)))


def convention_option(purpose: str = "how FLOPs are counted") -> Any:
    return typer.Option("--convention", metavar="NAME", parser=choice_parser("--convention", list(CONVENTIONS)),
                        help=f"{purpose}: {_listed(list(CONVENTIONS))} (burden: the reference "
                             "table's rules; docs/conventions.md)")


def optimizer_option() -> Any:
    return typer.Option("--optimizer", metavar="NAME", parser=choice_parser("--optimizer", list(OPTIMIZER_STATES)),
                        help="optimizer state kept in training: " + _listed(list(OPTIMIZER_STATES))
                             + " (with --training or --fit; default: sgd)")


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


def about_file(path: Path, exc: ArchError) -> str:
    """An error met while working through several files, named by its file:
    a located error already starts with it (`specs/x.arch:1:7: ...`); any other
    error, or one located in a file the spec imports, is prefixed with it."""
    if exc.location is not None and exc.location.path == str(path):
        return str(exc)
    return f"{path}: {exc}"


def fail(exc: BaseException) -> NoReturn:
    """Print a user error (an ArchError renders itself, naming the option it
    is about as the command line spells it) and exit with code 2."""
    argument = getattr(exc, "argument", None)
    if argument in OPTIONS:
        exc.argument = OPTIONS[argument]  # type: ignore[attr-defined]
    typer.echo(str(exc), err=True)
    raise typer.Exit(2)
