"""README.md runs as written: every `archspec` command of its sh blocks exits
0 and prints the text block that follows it, and every Python example gives
the output it shows."""

from __future__ import annotations

import doctest
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def blocks() -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in
            re.finditer(r"^```(\w*)\n(.*?)^```", README.read_text(), re.DOTALL | re.MULTILINE)]


def commands(body: str) -> list[str]:
    """The `archspec ...` commands of a sh block, also those after `&&` (the
    install-and-run line of the quick start)."""
    found = []
    for line in body.splitlines():
        for part in line.split("&&"):
            if part.strip().startswith("archspec "):
                found.append(part.strip())
    return found


def plotting_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def run(command: str, folder: Path) -> str:
    words = shlex.split(command, comments=True)  # a reader pastes the line, comment and all
    # the installed entry point as a reader types it, run with this interpreter
    # so the test uses the checked-out package
    result = subprocess.run([sys.executable, "-c", "from archspec.cli import main; main()", *words[1:]],
                            cwd=folder, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_readme_commands_run_and_print_what_it_shows(tmp_path: Path) -> None:
    # the commands name specs/ as a reader in a clone does; the files they write
    # (export, import, draw) land in a scratch folder, not in the repository
    (tmp_path / "specs").symlink_to(ROOT / "specs", target_is_directory=True)
    output = None
    ran = 0
    for language, body in blocks():
        if language == "sh" and commands(body):  # (the test command of CI runs no archspec)
            output = ""
            for command in commands(body):
                if "--plot" in command and not plotting_available():  # CI installs matplotlib (the dev extra)
                    continue
                output += run(command, tmp_path)
                ran += 1
        elif language == "text":
            assert output is not None, "an output block must follow a command block"
            for line in body.splitlines():
                if line.strip():
                    assert line.rstrip() in output, f"not in the output: {line!r}"
    assert ran >= 12


def test_readme_set_examples_name_parameters_the_specs_have() -> None:
    # every `--set NAME=...` the README shows, with the spec it shows it on, loads
    from archspec import load

    text = README.read_text()
    shown = re.findall(r"`--set (\w+)=([^`]+)` on `([^`]+\.arch)`", text)
    assert shown
    for name, value, spec in shown:
        values = tuple(float(v) if "." in v else int(v) for v in value.split(","))
        load(ROOT / spec, **{name: values if len(values) > 1 else values[0]})


def test_readme_python_examples_give_what_they_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples name specs from the repository's root
    # the blocks run in order in one namespace, as a reader pastes them into one session
    namespace: dict[str, object] = {}
    examples = [body for language, body in blocks() if language == "python"]
    for number, body in enumerate(examples, start=1):
        test = doctest.DocTestParser().get_doctest(body, namespace, f"README.md Python example {number}",
                                                   str(README), 0)
        assert test.examples, f"Python example {number} has no >>> lines to check"
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test, clear_globs=False)
        namespace = test.globs
        assert runner.failures == 0, f"README.md Python example {number} fails (see the report above)"
    assert len(examples) >= 4
