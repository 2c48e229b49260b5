"""`archspec analyze` with plain options, run without typer.

Building typer's command tree (typer, its vendored click, the annotations of
every command) costs several times what analysing ResNet-50 does, and the
most common command needs none of it.  `run_plain_analyze` reads a command
line that typer would read to the same plain call of `analyze` (a spec and
any of --size, --batch, --upto, --set, --dtype, --format, --convention, each
written `--opt VALUE` or `--opt=VALUE`) and runs it; for anything else (help,
another option, a value typer would refuse, an option given twice) it
returns False and typer runs the command as usual, so every message and exit
code stays typer's own.  The output is written as typer.echo writes it.
tests/test_direct.py runs both ways on the same command lines and compares.
"""

from __future__ import annotations

import os
import re
import sys
from typing import NamedTuple

# The options of `archspec analyze` (commands/analyze.py) read here, with the
# defaults its signature gives them; tests/test_direct.py checks they agree.
FORMATS = ("table", "json", "csv", "markdown")
DEFAULTS: dict[str, object] = {"size": None, "batch": 1, "upto": None, "set_": None, "dtype": "float32",
                               "format": "table", "convention": "burden"}
_OPTIONS = {"--size": "size", "--batch": "batch", "--upto": "upto", "--set": "set_", "--dtype": "dtype",
            "--format": "format", "--convention": "convention"}
# click.echo removes these when the stream is not a terminal (click's own pattern)
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


class PlainAnalyze(NamedTuple):
    spec: str
    size: str | None
    batch: int
    upto: str | None
    set_: list[str] | None
    dtype: str
    format: str
    convention: str


def read_plain_analyze(argv: list[str]) -> PlainAnalyze | None:
    """The call `argv` (the arguments after the program name) makes, if it is
    a plain `analyze`; None if typer should read it."""
    from ..conventions import CONVENTIONS
    from ..costs.catalogue import DTYPE_BYTES

    if not argv or argv[0] != "analyze":
        return None
    values: dict[str, object] = dict(DEFAULTS)
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
        name = _OPTIONS.get(option)
        if name is None:
            return None  # --help, the beyond options, a misspelling, `--`, `-x`
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
    if spec is None or not spec:
        return None
    batch = values["batch"]
    if isinstance(batch, str):
        if not (batch.isascii() and batch.isdigit()):
            return None  # typer says why it is not a whole number
        values["batch"] = int(batch)
    if (values["dtype"] not in DTYPE_BYTES or values["convention"] not in CONVENTIONS
            or values["format"] not in FORMATS):
        return None  # typer lists the choices
    return PlainAnalyze(spec, values["size"], values["batch"], values["upto"], sets or None,  # type: ignore[arg-type]
                        str(values["dtype"]), str(values["format"]), str(values["convention"]))


def _echo(text: str, stream: object) -> None:
    """Write as click.echo does: ANSI codes removed unless a terminal shows them."""
    isatty = getattr(stream, "isatty", None)
    if not (isatty is not None and isatty()):
        text = _ANSI.sub("", text)
    stream.write(text)  # type: ignore[attr-defined]
    stream.flush()  # type: ignore[attr-defined]


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


def run_plain_analyze(argv: list[str]) -> bool:
    """Run a plain `archspec analyze` command line; False if it is not one
    (typer then reads it).  Exits with code 2 on a user error, as the command does."""
    call = read_plain_analyze(argv)
    if call is None or not _plain_streams():
        return False
    from pathlib import Path

    from ..costs.engine import analyze
    from ..errors import ArchError
    from ..gc_pause import resume_after_start_up
    from ..graph.load import load_graph
    from ..views import render
    from .parsing import parse_overrides, parse_size, user_error_text

    try:
        graph = load_graph(Path(call.spec), parse_overrides(call.set_))
        resume_after_start_up()
        result = analyze(graph, parse_size(call.size), call.batch, call.upto, call.dtype, call.convention)
        text = render(result, call.format)
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
