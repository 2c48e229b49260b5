"""`archspec analyze` and `archspec sweep` with plain options, run without typer.

Building typer's command tree (typer, its vendored click, the annotations of
every command) costs several times what analysing ResNet-50 does, and the
commonest commands need none of it.  `run_plain` reads a command line that
typer would read to the same plain call of `analyze` (a spec and any of
--size, --batch, --upto, --set, --dtype, --format, --convention) or of
`sweep` (the same but --plot), each option written `--opt VALUE` or
`--opt=VALUE`, and runs it; for anything else (help, another option, a value
typer would refuse, an option given twice) it returns False and typer runs
the command as usual, so every message and exit code stays typer's own.
The output is written as typer.echo writes it.  tests/test_direct.py runs
both ways on the same command lines and compares.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection
from typing import Any, NamedTuple

# --format's names and the earlier names still accepted for them, as
# commands/options.py's format_option gives them to analyze and sweep
# (tests/test_direct.py checks).
FORMATS = ("text", "json", "csv", "markdown")
FORMAT_ALIASES = {"table": "text"}


class Plain(NamedTuple):
    """A command's plain options: option -> parameter, and each parameter's
    default as the command's signature gives it (tests/test_direct.py checks)."""

    options: dict[str, str]
    defaults: dict[str, Any]
    whole: tuple[str, ...]  # parameters typer reads as whole numbers
    choices: tuple[str, ...]  # parameters typer checks against a table of names


_SHARED = {"--size": "size", "--batch": "batch", "--upto": "upto", "--set": "set_", "--dtype": "dtype",
           "--format": "format", "--convention": "convention"}
COMMANDS = {
    "analyze": Plain(_SHARED, {"size": None, "batch": 1, "upto": None, "set_": None, "dtype": "float32",
                               "format": "text", "convention": "burden"},
                     whole=("batch",), choices=("dtype", "convention", "format")),
    "sweep": Plain(_SHARED, {"size": "112:672:32", "batch": None, "upto": None, "set_": None, "dtype": "float32",
                             "format": "text", "convention": "burden"},
                   whole=(), choices=("dtype", "convention", "format")),
}
# click.echo removes these when the stream is not a terminal (click's own pattern)
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def _known(parameter: str, value: str) -> bool:
    from ..conventions import CONVENTIONS
    from ..costs.catalogue import DTYPE_BYTES

    tables: dict[str, Collection[str]] = {"dtype": DTYPE_BYTES, "convention": CONVENTIONS, "format": FORMATS}
    return value in tables[parameter]


def read_plain(argv: list[str]) -> tuple[str, str, dict[str, Any]] | None:
    """(command, spec, parameters) of `argv` (the arguments after the program
    name), if it is a plain `analyze` or `sweep`; None if typer should read it."""
    if not argv or argv[0] not in COMMANDS:
        return None
    plain = COMMANDS[argv[0]]
    values: dict[str, Any] = dict(plain.defaults)
    given: set[str] = set()
    sets: list[str] = []
    spec: str | None = None
    rest = argv[1:]
    i = 0
    while i < len(rest):
        word = rest[i]
        if not word.startswith("-"):
            if spec is not None:
                return None  # an extra argument: typer's message
            spec = word
            i += 1
            continue
        option, equals, value = word.partition("=")
        name = plain.options.get(option)
        if name is None:
            return None  # --help, the other options, a misspelling, `--`, `-x`
        if not equals:
            if i + 1 >= len(rest) or rest[i + 1].startswith("-"):
                return None  # a missing value, or one click might read otherwise
            value = rest[i + 1]
            i += 1
        i += 1
        if name == "set_":
            sets.append(value)
            continue
        if name in given:
            return None
        given.add(name)
        values[name] = value
    if not spec:
        return None
    values["set_"] = sets or None
    for name in plain.whole:
        if isinstance(values[name], str):
            if not (values[name].isascii() and values[name].isdigit()):
                return None  # typer says why it is not a whole number
            values[name] = int(values[name])
    values["format"] = FORMAT_ALIASES.get(values["format"], values["format"])
    if not all(_known(name, values[name]) for name in plain.choices):
        return None  # typer lists the choices
    return argv[0], spec, values


def _echo(text: str, stream: Any) -> None:
    """Write as click.echo does: ANSI codes removed unless a terminal shows them."""
    isatty = getattr(stream, "isatty", None)
    if not (isatty is not None and isatty()):
        text = _ANSI.sub("", text)
    stream.write(text)
    stream.flush()


def _plain_streams() -> bool:
    """Whether stdout and stderr are text streams click.echo would write to as
    they are (it re-wraps a stream whose encoding is ASCII)."""
    import codecs

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        try:
            if not encoding or codecs.lookup(encoding).name == "ascii":
                return False
        except LookupError:
            return False
    return True


def _analyze(spec: str, p: dict[str, Any]) -> str:
    from pathlib import Path

    from ..costs.engine import analyze
    from ..gc_pause import resume_after_start_up
    from ..graph.load import load_graph
    from ..views import render
    from .parsing import parse_overrides, parse_size

    graph = load_graph(Path(spec), parse_overrides(p["set_"]))
    resume_after_start_up()
    result = analyze(graph, parse_size(p["size"]), p["batch"], p["upto"], p["dtype"], p["convention"])
    return render(result, p["format"])


def _sweep(spec: str, p: dict[str, Any]) -> str:
    # as commands/sweep.py does it, without --plot
    from pathlib import Path

    from ..costs.sweep import sweep
    from ..gc_pause import resume_after_start_up
    from ..views.sweep import render_rows
    from .parsing import parse_batches, parse_set_grid, parse_sizes

    resume_after_start_up()
    rows = sweep(str(Path(spec)), parse_sizes(p["size"]), parse_batches(p["batch"]), parse_set_grid(p["set_"]),
                 p["upto"], p["dtype"], p["convention"])
    return render_rows(rows, p["format"], p["convention"])


def run_plain(argv: list[str]) -> bool:
    """Run a plain `archspec analyze` or `sweep` command line; False if it is
    not one (typer then reads it).  Exits with code 2 on a user error, as the command does."""
    call = read_plain(argv)
    if call is None or not _plain_streams():
        return False
    command, spec, parameters = call
    from ..errors import ArchError
    from .parsing import user_error_text

    try:
        text = (_analyze if command == "analyze" else _sweep)(spec, parameters)
    except ArchError as exc:
        _echo(user_error_text(exc) + "\n", sys.stderr)
        sys.exit(2)
    try:
        _echo(text, sys.stdout)
    except BrokenPipeError:  # `archspec analyze ... | head`: click exits 1, quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    return True
