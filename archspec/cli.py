"""The `archspec` command line.  Each command imports only what it needs."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="How much memory and compute does this network need?")


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
    from .errors import ArchError

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


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`--set width=2 --set project=false --set mode=max`."""
    from .errors import ArchError

    overrides: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name.isidentifier() or not text:
            raise ArchError(f"--set {item!r}: expected NAME=VALUE")
        overrides[name] = parse_literal(text)
    return overrides


def parse_literal(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    for convert in (int, float):
        try:
            value = convert(text)
        except ValueError:
            continue
        if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
            break
        return value
    return text.strip('"')


def fail(exc: BaseException) -> None:
    typer.echo(str(exc), err=True)
    raise typer.Exit(2)


@app.command()
def analyze(
    spec: Annotated[Path, typer.Argument(help="the .arch file")],
    size: Annotated[Optional[str], typer.Option(help="input side (224) or HxW (600x850); default: the spec's")] = None,
    batch: Annotated[int, typer.Option(help="images per batch; scales feature memory and FLOPs")] = 1,
    upto: Annotated[Optional[str], typer.Option(help="analyse up to and including this layer")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="override a spec parameter: NAME=VALUE")] = None,
    dtype: Annotated[DType, typer.Option(help="bytes per element of parameters and features")] = DType.float32,
    format: Annotated[Format, typer.Option(help="output format")] = Format.table,
    convention: Annotated[str, typer.Option(help="how FLOPs are counted (burden = the reference table)")] = "burden",
) -> None:
    """Per-layer shapes, parameters, feature memory and FLOPs of a spec."""
    from .errors import ArchError

    try:
        from .engine import analyze as run
        from .spec import load_graph

        graph = load_graph(spec, parse_overrides(set_ or []))
        result = run(graph, parse_size(size), batch, upto, dtype.value, convention)
    except ArchError as exc:
        fail(exc)
        return
    from .views import render

    typer.echo(render(result, format.value), nl=False)


@app.command()
def kinds() -> None:
    """List the layer kinds the language knows."""
    from .layers import REGISTRY

    for name in sorted(REGISTRY):
        cls = REGISTRY[name]
        args = ", ".join(cls.positional)
        typer.echo(f"{name:10} {('(' + args + ')') if args else '':18} {cls.summary}")


def main() -> None:
    """Entry point: user errors end in one message and exit code 2, never a traceback."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except RecursionError:
        sys.stderr.write("error: the spec is nested too deeply to process\n")
        sys.exit(2)
    except Exception as exc:  # a bug in archspec, not in the user's spec
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc}\n"
                         "this is a bug in archspec; please report it with the spec that caused it\n")
        sys.exit(70)


if __name__ == "__main__":
    main()
