"""Every spec of the zoo exported to ONNX and imported back gives the same
parameters, buffers, MACs and output shape (the importer's written spec,
loaded by the normal loader, against the spec itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("onnx")

from archspec import analyze, load, loads
from archspec.bridges.onnx_export import export_onnx
from archspec.bridges.onnx_import import import_model

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p for p in list((ROOT / "specs").glob("*.arch")) + list((ROOT / "specs").glob("*/*.arch"))
               if p.parent.name != "lib")


def statements(text: str) -> int:
    return sum(1 for line in text.splitlines()
               if line.strip() and not line.startswith(("block ", "}", "#", "@", "model ", "input ")))


@pytest.mark.parametrize("path", SPECS, ids=[str(p.relative_to(ROOT / "specs")) for p in SPECS])
def test_onnx_round_trip_keeps_every_figure(path: Path) -> None:
    graph = load(path)
    imported = import_model(export_onnx(graph), path.name + ".onnx")
    before, after = analyze(graph).totals, analyze(loads(imported.text, "imported.arch")).totals
    assert (after.params, after.buffers, after.macs, after.output_shape) == \
        (before.params, before.buffers, before.macs, before.output_shape)


def test_the_zoo_is_all_there() -> None:
    folders = {p.parent.name for p in SPECS}
    assert len([p for p in SPECS if p.parent.name == "specs"]) == 49  # the reference zoo
    assert {"examples", "modern", "transformers"} <= folders


def test_repeated_units_come_back_as_blocks() -> None:
    """ResNet-50's 16 bottlenecks: two blocks (with and without a projection),
    each stage one line, `x n` for the repeats."""
    text = import_model(export_onnx(load(ROOT / "specs" / "resnet50.arch")), "resnet50.onnx").text
    assert text.count("\nblock ") == 2
    assert "> residual(128) x 3" in text and "> residual(256) x 5" in text
    assert statements(text) <= 40
