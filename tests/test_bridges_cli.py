"""The bridges' commands: files written whole, user errors as one message with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from archspec.cli import app

pytest.importorskip("onnx")
pytest.importorskip("igraph")

ROOT = Path(__file__).resolve().parent.parent
SPEC = str(ROOT / "specs" / "resnet50.arch")


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_export_import_round_trip_through_files(tmp_path: Path) -> None:
    onnx_file, spec_file = tmp_path / "net.onnx", tmp_path / "net.arch"
    assert run("export", SPEC, "--to", "onnx", "-o", str(onnx_file)).exit_code == 0  # type: ignore[attr-defined]
    assert run("import", str(onnx_file), "-o", str(spec_file)).exit_code == 0  # type: ignore[attr-defined]
    result = run("analyze", str(spec_file), "--format", "json")
    assert '"params": 25557032' in result.output  # type: ignore[attr-defined]


def test_export_pytorch_to_the_screen() -> None:
    result = run("export", SPEC, "--to", "pytorch")
    assert result.exit_code == 0 and "class Resnet50(nn.Module):" in result.output  # type: ignore[attr-defined]


def test_onnx_export_needs_a_file() -> None:
    result = run("export", SPEC, "--to", "onnx")
    assert result.exit_code == 2 and "give the file to write with -o" in result.output  # type: ignore[attr-defined]


def test_import_of_a_file_that_is_not_onnx_writes_nothing(tmp_path: Path) -> None:
    bad, out = tmp_path / "bad.onnx", tmp_path / "out.arch"
    bad.write_text("model x\n")
    result = run("import", str(bad), "-o", str(out))
    assert result.exit_code == 2 and "is not an ONNX model" in result.output  # type: ignore[attr-defined]
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_draw_writes_an_svg(tmp_path: Path) -> None:
    out = tmp_path / "net.svg"
    assert run("draw", SPEC, "-o", str(out)).exit_code == 0  # type: ignore[attr-defined]
    assert out.read_text().startswith("<svg ")
    bad = run("draw", SPEC, "-o", str(out), "--expand", "-1")
    assert bad.exit_code == 2  # type: ignore[attr-defined]
