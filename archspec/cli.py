"""The `archspec` command line: its entry point and error boundary.

The typer app and its commands are in archspec/app.py, imported only when a
command needs them: a plain `archspec analyze` or `sweep` runs without
typer (commands/direct.py), which makes the commonest commands start much
faster.
"""

from __future__ import annotations

import sys
from typing import Any

# The command line does no matrix products, but numpy's OpenBLAS starts a
# thread per core when numpy is imported (a sweep, a figure), and on two
# cores their start and spin cost a sweep of 1,000 sizes about a sixth of its
# time (benchmarks/results.md).  A value the user set is kept.
SINGLE_THREADED_BLAS = {"OPENBLAS_NUM_THREADS": "1"}


def main() -> None:
    """Entry point: user errors end in one message and exit code 2, never a traceback."""
    import os

    from .gc_pause import pause_for_start_up, resume_after_start_up

    for name, value in SINGLE_THREADED_BLAS.items():
        os.environ.setdefault(name, value)
    pause_for_start_up()
    try:
        from .commands.direct import run_plain

        if not run_plain(sys.argv[1:]):
            from .app import app

            resume_after_start_up()
            app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except RecursionError:
        sys.stderr.write("error: the spec is nested too deeply to process\n")
        sys.exit(2)
    except Exception as exc:  # a bug in archspec, not in the user's spec
        sys.stderr.write(f"internal error: {type(exc).__name__}: {exc}\n"
                         "this is a bug in archspec; please report it with the spec that caused it\n")
        sys.exit(70)


def __getattr__(name: str) -> Any:
    # `from archspec.cli import app` (tests, tools): the typer app, built on first use
    if name == "app":
        from .app import app

        return app
    raise AttributeError(name)


if __name__ == "__main__":
    main()
