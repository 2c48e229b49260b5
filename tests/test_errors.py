"""Bad input ends in one clear message with file, line and column, exit code 2,
no traceback and nothing written (DESIGN.md, "Errors are part of the interface")."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archspec.cli import app

HEADER = "model t\ninput 3 x 32 x 32\n"

CASES = {
    # name: (spec text, expected location "line:col", words the message must contain)
    "syntax": (HEADER + "x = conv(16, 3) >> relu\n", "3:18", ["unexpected '>'", "expected"]),
    "unexpected end": (HEADER + "x = conv(16, 3) >\n", "3:18", ["unexpected end of file"]),
    "bad character": (HEADER + "x = conv(16, 3) $ relu\n", "3:17", ["unexpected character '$'"]),
    "unknown kind": (HEADER + "x = conv(16, 3) > rleu\n", "3:19", ["unknown name 'rleu'", "did you mean 'relu'"]),
    "unknown call": (HEADER + "x = convv(16, 3)\n", "3:5", ["unknown layer, block or function 'convv'"]),
    "unknown option": (HEADER + "x = conv(16, 3, strid=2)\n", "3:17", ["no option 'strid'", "'stride'"]),
    "unknown metadata": (HEADER + "@sauce \"x\"\n", "3:1", ["unknown metadata '@sauce'", "'source'"]),
    "duplicate name": (HEADER + "x = conv(16, 3)\nx = relu\n", "4:1", ["'x' is already defined (line 3)"]),
    "duplicate layer name": (HEADER + "a = conv(16, 3) as c\nb = conv(16, 1) as c\n", "4:5", ["'c' is already used"]),
    "duplicate block": (HEADER + "block b() {\n relu\n}\nblock b() {\n relu\n}\n", "6:7", ["block 'b' is already defined"]),
    "too many positional": (HEADER + "x = conv(16, 3, 1, 2)\n", "3:5", ["at most 2 positional arguments (out, kernel), got 4"]),
    "block arity": (HEADER + "block b(w) {\n conv(w, 1)\n}\nx = b(1, 2)\n", "6:5", ["takes 1 arguments, got 2"]),
    "block missing argument": (HEADER + "block b(w) {\n conv(w, 1)\n}\nx = b()\n", "6:5", ["needs a value for 'w'"]),
    "add inputs": (HEADER + "a = conv(8, 3, pad=1)\nb = in > conv(8, 3, stride=2, pad=1)\nc = add(a, b)\n", "5:5",
                   ["add 'c' at line 5", "inputs 32x32x8 and 16x16x8 differ"]),
    "concat sizes": (HEADER + "a = conv(8, 1)\nb = in > conv(8, 3)\nconcat(a, b)\n", "5:1", ["differ in height or width"]),
    "groups": (HEADER + "x = conv(16, 3, groups=2)\n", "3:5", ["divisible by groups=2"]),
    "input too small": (HEADER + "x = conv(16, 3) > maxpool(2) x 6\n", "3:19",
                        ["input too small", "x.maxpool5", "smallest square input that works is 66 x 66"]),
    "recursion": (HEADER + "block a() {\n b\n}\nblock b() {\n a\n}\nx = a\n", "7:2", ["calls itself (a -> b -> a)"]),
    "expansion": (HEADER + "x = relu x 2000000\n", "3:12", ["expands past 1,000,000"]),
    "nested expansion": (HEADER + "block r(n) {\n relu x n\n}\nx = r(1000) x 2000\n", "6:1", ["expands past 1,000,000"]),
    "negative channels": (HEADER + "x = conv(-3, 3)\n", "3:5", ["greater than 0"]),
    "absurd channels": (HEADER + "x = conv(100000000000, 3)\n", "3:5", ["beyond any real network"]),
    "zero input": ("model t\ninput 3 x 0 x 32\nconv(1, 1)\n", "2:11", ["input sizes must be whole numbers"]),
    "division by zero": (HEADER + "w = 3 // 0\n", "3:7", ["division by zero"]),
    "repeat count": (HEADER + "n = 0 - 1\nx = relu x n\n", "4:12", ["repeat count is a whole number >= 0"]),
    "tensor as value": (HEADER + "a = conv(8, 1)\nb = conv(a, 1)\n", "4:5", ["takes its input from the chain"]),
    "no input": ("model t\nx = conv(8, 1)\n", "2:1", ["no input"]),
    "value does nothing": (HEADER + "3 + 4\n", "3:1", ["does nothing"]),
    # Python only warns about an escape it does not know; the language refuses it where it is
    "unknown escape": (HEADER + "@source \"a\\/b\"\n", "3:9", ["bad escape sequence"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_error_message(tmp_path: Path, name: str) -> None:
    text, where, words = CASES[name]
    spec = tmp_path / "bad.arch"
    spec.write_text(text)
    result = CliRunner().invoke(app, ["analyze", str(spec)])
    assert result.exit_code == 2, result.output
    message = result.stderr if hasattr(result, "stderr") else result.output
    assert message.startswith(f"error: {spec}:{where}: "), message
    for word in words:
        assert word in message, message
    assert "Traceback" not in message
    assert "^" in message  # the offending text is underlined
    assert result.stdout == ""  # nothing written


def test_import_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.arch").write_text('import "b.arch"\n')
    (tmp_path / "b.arch").write_text('import "a.arch"\n')
    (tmp_path / "net.arch").write_text('model n\ninput 3 x 8 x 8\nimport "a.arch"\n')
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "net.arch")])
    assert result.exit_code == 2
    assert "import cycle: a.arch -> b.arch -> a.arch" in result.stderr


def test_missing_import_names_the_importing_line(tmp_path: Path) -> None:
    (tmp_path / "net.arch").write_text('model n\ninput 3 x 8 x 8\nimport "nope.arch"\n')
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "net.arch")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'net.arch'}:3:8: no such spec file" in result.stderr


@pytest.mark.parametrize("args,words", [
    (["--size", "0"], "sides must be at least 1"),
    (["--size", "abc"], "expected a side"),
    (["--set", "nope=3"], "no parameter 'nope'"),
    (["--set", "width"], "expected NAME=VALUE"),
    (["--upto", "res5c_rleu"], "no layer named 'res5c_rleu'"),
    (["--size", "8"], "input too small"),
    (["--convention", "nope"], "'nope' is not one of"),
])
def test_bad_command_line_values(args: list[str], words: str) -> None:
    spec = Path(__file__).resolve().parent.parent / "specs" / "resnet-50.arch"
    result = CliRunner().invoke(app, ["analyze", str(spec), *args])
    assert result.exit_code == 2
    assert words in result.stderr
    assert result.stdout == ""


def test_binary_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "b.arch"
    binary.write_bytes(b"\x00\xff\xfe")
    for path, words in ((binary, "binary file"), (tmp_path / "none.arch", "no such spec file"),
                        (tmp_path, "is a directory")):
        result = CliRunner().invoke(app, ["analyze", str(path)])
        assert result.exit_code == 2 and words in result.stderr


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "bad.arch"
    spec.write_text(HEADER + "x = conv(16, 3) >> relu\n")
    run = subprocess.run([sys.executable, "-m", "archspec.cli", "analyze", str(spec)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert run.stderr.count("error:") == 1


@pytest.mark.parametrize("call,words", [
    ("conv(4, 3, pad=(1, 2, 3))", "pad must be p, (ph, pw) or (top, bottom, left, right)"),
    ("conv(4, (3, 0))", "kernel must be a positive whole number or (height, width) (got (3, 0))"),
    ("conv(4, 3, bias=1)", "bias: input should be a valid boolean (got 1)"),
])
def test_bad_layer_arguments_name_the_forms_they_take(call: str, words: str) -> None:
    from archspec import loads
    from archspec.errors import ArchError

    with pytest.raises(ArchError, match=re.escape(words)):
        loads("input 3 x 8 x 8\n" + call)


def test_an_empty_layer_name_and_an_unwritable_report_folder() -> None:
    spec = str(Path(__file__).resolve().parent.parent / "specs" / "resnet-50.arch")
    result = CliRunner().invoke(app, ["analyze", spec, "--upto", ""])
    assert result.exit_code == 2 and "error: --upto: give a layer name" in result.stderr
    result = CliRunner().invoke(app, ["report", spec, "--out", "/proc/archspec-cannot-write", "--no-figures"])
    assert result.exit_code == 2 and "cannot write reports to" in result.stderr


def test_python_dash_m_runs_the_command_line() -> None:
    import subprocess
    import sys

    spec = Path(__file__).resolve().parent.parent / "specs" / "resnet50.arch"
    done = subprocess.run([sys.executable, "-m", "archspec", "analyze", str(spec), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"macs": 4089184256' in done.stdout  # torchvision's published ResNet-50 figure
    bad = subprocess.run([sys.executable, "-m", "archspec", "analyze", str(spec), "--upto", ""],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --upto")
