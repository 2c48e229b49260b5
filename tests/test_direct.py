"""A plain `archspec analyze` or `sweep` runs without typer
(archspec/commands/direct.py) and must behave exactly as typer's command does: the same output, the same
messages and exit codes.  Each command line below is run both ways and the
results compared byte for byte; command lines typer must read (help, other
options, values it refuses) are checked to be left to it."""

from __future__ import annotations

import inspect
import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archspec.cli import app
from archspec.commands import direct, options
from archspec.commands.analyze import analyze as typer_analyze
from archspec.commands.sweep import sweep as typer_sweep

ROOT = Path(__file__).resolve().parent.parent

SAME = [
    ["analyze", "specs/resnet50.arch", "--size", "224"],
    ["analyze", "--format=json", "specs/alexnet.arch", "--batch", "3"],
    ["analyze", "specs/densenet121.arch", "--format", "csv", "--set", "growth=16", "--set", "b4=8"],
    ["analyze", "specs/vgg-vd-16.arch", "--format", "markdown", "--dtype", "float16", "--size", "300x200"],
    ["analyze", "specs/resnet50.arch", "--convention", "fvcore", "--upto", "features_7_2_id_relu"],
    ["analyze", "specs/googlenet.arch", "--batch=007", "--convention=calflops", "--format=csv"],
    ["analyze", "specs/alexnet.arch", "--format", "text"],
    ["analyze", "specs/alexnet.arch", "--format=table"],  # the earlier name of text
    # user errors: one message, exit code 2, both ways
    ["analyze", "specs/no-such-spec.arch"],
    ["analyze", "specs/resnet50.arch", "--size", "22x"],
    ["analyze", "specs/resnet50.arch", "--size", "0"],
    ["analyze", "specs/resnet50.arch", "--upto", "no_such_layer"],
    ["analyze", "specs/resnet50.arch", "--upto", ""],
    ["analyze", "specs/densenet121.arch", "--set", "growht=16"],
    ["analyze", "specs/densenet121.arch", "--set", "growth"],
    ["analyze", "specs/resnet50.arch", "--batch", "0"],
    ["analyze", "specs"],
    ["sweep", "specs/resnet50.arch", "--size", "224:300:19,300x200", "--batch", "1,8"],
    ["sweep", "specs/alexnet.arch", "--format=json", "--upto", "fc6", "--dtype", "float16"],
    ["sweep", "specs/densenet121.arch", "--size", "224", "--set", "growth=16,32", "--set", "b4=8,16", "--format", "csv"],
    ["sweep", "./specs//vgg-vd-16.arch", "--size=64:512:64", "--convention", "thop"],
    ["sweep", "specs/alexnet.arch", "--size", "100:400:50", "--format", "markdown", "--convention", "macs"],
    ["sweep", "specs/alexnet.arch", "--size", "224", "--format", "table"],
    ["sweep", "specs/resnet50.arch", "--size", "0:10"],
    ["sweep", "specs/resnet50.arch", "--batch", "0"],
    ["sweep", "specs/resnet50.arch", "--set", "nothing=1,2"],
]

LEFT_TO_TYPER = [
    ["analyze"],
    ["analyze", "--help"],
    ["analyze", "specs/resnet50.arch", "--help"],
    ["analyze", "specs/resnet50.arch", "--batch", "-1"],
    ["analyze", "specs/resnet50.arch", "--batch", "two"],
    ["analyze", "specs/resnet50.arch", "--batch", "1.5"],
    ["analyze", "specs/resnet50.arch", "--dtype", "float8"],
    ["analyze", "specs/resnet50.arch", "--format", "yaml"],
    ["analyze", "specs/resnet50.arch", "--convention", "Burden"],
    ["analyze", "specs/resnet50.arch", "--size", "224", "--size", "300"],
    ["analyze", "specs/resnet50.arch", "--size"],
    ["analyze", "specs/resnet50.arch", "specs/alexnet.arch"],
    ["analyze", "specs/resnet50.arch", "--memory", "peak"],
    ["analyze", "specs/resnet50.arch", "--training"],
    ["analyze", "specs/resnet50.arch", "--sizes", "224"],
    ["analyze", "--", "specs/resnet50.arch"],
    ["analyze", "-"],
    ["--allow-imports", "specs", "analyze", "specs/resnet50.arch"],
    ["sweep", "specs/resnet50.arch", "--plot", "x.png"],
    ["sweep", "specs/resnet50.arch", "--dtype", "float8"],
    ["sweep", "specs/resnet50.arch", "--format", "yaml"],
    ["sweep", "specs/resnet50.arch", "--format", "Text"],
    ["sweep", "--help"],
    ["explain", "specs/resnet50.arch"],
    ["--help"],
    [],
]


class Stream(io.StringIO):
    encoding = "utf-8"  # as a terminal's or a pipe's (io.StringIO has none)


def run_direct(argv: list[str]) -> tuple[str, str, int]:
    out, err = Stream(), Stream()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            assert direct.run_plain(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return out.getvalue(), err.getvalue(), code


@pytest.mark.parametrize("argv", SAME, ids=" ".join)
def test_the_direct_command_prints_what_typer_prints(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    typer_run = CliRunner().invoke(app, argv)
    assert direct.read_plain(argv) is not None
    assert run_direct(argv) == (typer_run.stdout, typer_run.stderr, typer_run.exit_code)


def test_the_cases_cover_output_and_errors() -> None:
    """The comparison above is not vacuous: it sees outputs and user errors."""
    codes = [CliRunner().invoke(app, argv).exit_code for argv in (SAME[0], SAME[-1])]
    assert codes == [0, 2]


@pytest.mark.parametrize("argv", LEFT_TO_TYPER, ids=" ".join)
def test_anything_else_is_left_to_typer(argv: list[str]) -> None:
    assert direct.read_plain(argv) is None
    assert direct.run_plain(argv) is False


@pytest.mark.parametrize("command", sorted(direct.COMMANDS))
def test_the_direct_options_are_the_commands_options(command: str) -> None:
    """Every option the direct path reads is the command's, with the default
    typer's command gives it; the command's other options are left to typer."""
    function = {"analyze": typer_analyze, "sweep": typer_sweep}[command]
    signature = inspect.signature(function).parameters
    plain = direct.COMMANDS[command]
    for name, default in plain.defaults.items():
        value = signature[name].default
        assert getattr(value, "value", value) == default, name
    assert set(plain.defaults) == set(plain.options.values())
    assert set(signature) - {"spec"} - set(plain.defaults) == (
        {"memory", "training", "optimizer", "fit", "device", "plot"} if command == "analyze" else {"plot"})
    assert direct.FORMATS == options.FORMATS and direct.FORMAT_ALIASES == options.FORMAT_ALIASES


def test_a_sweep_without_typer_gives_what_typer_gives_through_the_entry_point() -> None:
    argv = ["sweep", "specs/resnet50.arch", "--size", "224:230", "--format", "csv"]
    run = subprocess.run([sys.executable, "-m", "archspec", *argv], cwd=ROOT, capture_output=True, text=True)
    typer_run = CliRunner().invoke(app, argv)
    assert (run.stdout, run.returncode) == (typer_run.stdout, 0)
    assert run.stdout.count("\n") == 1 + 7  # a header and sizes 224 to 230


def test_the_example_imports_neither_typer_nor_numpy_nor_rich() -> None:
    script = ("import runpy, sys\nsys.argv = ['archspec', 'analyze', 'specs/resnet50.arch', '--size', '224']\n"
              "try:\n    runpy.run_module('archspec', run_name='__main__')\nexcept SystemExit:\n    pass\n"
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'numpy', 'rich'}),"
              " file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "GFLOPs" in run.stdout
    assert run.stderr.strip().splitlines()[-1] == "[]"


def test_python_dash_m_archspec_runs_the_command_line() -> None:
    run = subprocess.run([sys.executable, "-m", "archspec", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0 and "analyze" in run.stdout
    run = subprocess.run([sys.executable, "-m", "archspec", "analyze", "specs/no-such.arch"], cwd=ROOT,
                         capture_output=True, text=True)
    assert (run.returncode, run.stderr) == (2, "error: no such spec file: specs/no-such.arch\n")


def test_the_command_line_keeps_blas_to_one_thread_unless_told_otherwise() -> None:
    # what the environment says when the sweep has run (numpy was imported under it)
    script = ("import os, sys\nfrom archspec.cli import main\nsys.argv = ['archspec', 'sweep', "
              "'specs/resnet50.arch', '--size', '224', '--format', 'csv']\ntry:\n    main()\n"
              "except SystemExit:\n    pass\nprint('numpy' in sys.modules, os.environ['OPENBLAS_NUM_THREADS'], "
              "file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    for given, seen in ((None, "True 1"), ("2", "True 2")):
        run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                             env=env if given is None else {**env, "OPENBLAS_NUM_THREADS": given})
        assert run.stderr.splitlines()[-1] == seen
