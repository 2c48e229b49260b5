"""archspec diff: alignment by name and, when names differ, by kind and
order; the MSRA ResNet-50 against torchvision's (the stride moves from the
first 1x1 convolution to the 3x3 one in the first unit of stages 3-5)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from archspec import load, loads
from archspec.cli import app
from archspec.costs.diff import diff_specs
from archspec.views.diff import render_text

ROOT = Path(__file__).resolve().parent.parent
MSRA = ROOT / "specs" / "resnet-50.arch"
TORCHVISION = ROOT / "specs" / "resnet50.arch"


def test_resnet50_msra_against_torchvision() -> None:
    d = diff_specs(load(MSRA), load(TORCHVISION))
    assert not d.by_name  # the two imports name every layer differently
    moved = [p for p in d.pairs if any(c.startswith("stride ") for c in p.changes)
             and p.a is not None and p.a.kind == "conv"]
    # stages 3, 4, 5: MSRA's first 1x1 conv has stride 2, torchvision's has 1; the 3x3 the reverse
    assert [c for p in moved for c in p.changes if c.startswith("stride ")] == \
        ["stride 2 → 1", "stride 1 → 2"] * 3
    first_1x1 = moved[0::2]
    # by hand: the 1x1 conv (C_in 4·64 = 256 → 128, stage 3) now runs at 56x56 instead of 28x28:
    # 56·56·128·256 − 28·28·128·256 = 102,760,448 − 25,690,112 = 77,070,336 more MACs (no bias);
    # stages 4 (28² vs 14², 512 → 256) and 5 (14² vs 7², 1024 → 512) cost the same difference
    assert [p.delta("flops") for p in first_1x1] == [77_070_336] * 3
    # the 3x3 convs keep their output size, so their cost does not change
    assert [p.delta("flops") for p in moved[1::2]] == [0] * 3
    # torchvision's conv1 has no bias: 64 parameters fewer; its published count is 25,557,032
    # (pytorch/vision torchvision/models/resnet.py, ResNet50_Weights num_params)
    assert d.b.totals.params == 25_557_032
    assert d.a.totals.params - d.b.totals.params == 64
    text = render_text(d)
    assert "stride changes:" in text and "by kind and order" in text


def test_diff_aligns_by_name_and_reports_added_layers() -> None:
    a = loads("input 3 x 32 x 32\nc1 = conv(8, 3, pad=1) > relu\nc2 = conv(16, 3, stride=2, pad=1)")
    b = loads("input 3 x 32 x 32\nc1 = conv(8, 3, pad=1) > relu\nextra = conv(8, 1)\n"
              "c2 = conv(16, 3, stride=1, pad=1)")
    d = diff_specs(a, b)
    assert d.by_name
    changed = {(p.a.name if p.a else None, p.b.name if p.b else None): p for p in d.pairs if p.changed}
    assert set(changed) == {(None, "extra"), ("c2", "c2")}
    c2 = changed[("c2", "c2")]
    assert c2.changes == ["stride 2 → 1"]
    # by hand: c2 at 32x32 instead of 16x16: (32·32 − 16·16)·16 outputs × (3·3·8 MACs + 1 bias)
    assert c2.delta("flops") == (32 * 32 - 16 * 16) * 16 * (3 * 3 * 8 + 1)
    # extra: 32·32·8 × (1·1·8) + 32·32·8 bias adds
    assert changed[(None, "extra")].delta("flops") == 32 * 32 * 8 * 9


def test_identical_specs_differ_nowhere() -> None:
    d = diff_specs(load(MSRA), load(MSRA))
    assert d.by_name and not any(p.changed for p in d.pairs)
    assert "(no layer differs)" in render_text(d)


def test_cli() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["diff", str(MSRA), str(TORCHVISION), "--size", "448"])
    assert result.exit_code == 0, result.output
    assert "stride 2 → 1" in result.output
    # at 448 every side doubles, so each moved 1x1 conv costs four times 77,070,336
    assert "+308,281,344" in result.output
    result = runner.invoke(app, ["diff", str(MSRA), str(TORCHVISION), "--format", "json"])
    data = json.loads(result.output)
    assert data["b"]["totals"]["params"] == 25_557_032 and not data["aligned_by_name"]
    result = runner.invoke(app, ["diff", str(MSRA), "missing.arch"])
    assert result.exit_code == 2
