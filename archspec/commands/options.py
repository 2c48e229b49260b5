"""What the commands share: the help's layout, the one vocabulary of
`--format`, the options that name something from the code's own tables
(dtypes, conventions, optimizers, devices), parsing of sizes and overrides,
and the error exit."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from ..conventions import CONVENTIONS
from ..costs.catalogue import DTYPE_BYTES, OPTIMIZER_STATES
from ..costs.devices import DEVICES
from .parsing import OPTIONS as OPTIONS  # the commands import these from here
from .parsing import parse_batches as parse_batches
from .parsing import parse_literal as parse_literal
from .parsing import parse_overrides as parse_overrides
from .parsing import parse_set_grid as parse_set_grid
from .parsing import parse_size as parse_size
from .parsing import parse_sizes as parse_sizes
from .parsing import top_level_items as top_level_items
from .parsing import user_error_text

if TYPE_CHECKING:
    from pathlib import Path

    from ..errors import ArchError

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
    typer.echo(user_error_text(exc), err=True)
    raise typer.Exit(2)
