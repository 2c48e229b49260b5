"""MobileNetV2 (specs/modern/mobilenet_v2.arch) against torchvision.

The figures were made with tools/torch_figures.py: torchvision 0.29.1 / torch
2.14.1, weights=None, eval, batch 1; params = sum of parameters' numel,
buffers = running_mean + running_var, MACs = FlopCounterMode / 2 (= conv,
transposed conv and linear multiply-accumulates).  Configurations no named
builder uses were measured the same way by tools/torch_figures_mobile.py.
archspec's own output is never the source of an expected figure.
"""

from __future__ import annotations

import json

import pytest
from reference import SPECS
from typer.testing import CliRunner

from archspec import analyze, load
from archspec.cli import app

MODERN = SPECS / "modern"

# builder, (H, W), params, buffers, MACs, classes (torch's output (1, C) is C x 1 x 1 here)
TORCH = [
    ("mobilenet_v2", (224, 224), 3_504_872, 34_112, 300_774_272, 1000),
    ("mobilenet_v2", (193, 257), 3_504_872, 34_112, 338_647_616, 1000),
]
# the family and its one member are the same file
MEMBERS: dict[str, dict[str, object]] = {"mobilenet_v2": {}}
# settings no builder uses (tools/torch_figures_mobile.py): mobilenet_v2(width_mult=...), and
# MobileNetV2(width_mult=0.75, round_nearest=4) with the setting's n = 1, 1, 2, 3, 2, 2, 1
OPTIONS = [
    ({"width": 1.4}, (224, 224), 6_108_776, 47_936, 582_195_824),
    ({"width": 1.4}, (193, 257), 6_108_776, 47_936, 656_023_648),
    ({"width": 0.35}, (224, 224), 1_677_128, 14_080, 59_285_808),
    ({"width": 0.35}, (193, 257), 1_677_128, 14_080, 65_740_544),
    ({"width": 0.75, "round_nearest": 4, "n": (1, 1, 2, 3, 2, 2, 1)}, (224, 224), 2_333_000, 18_944, 132_274_640),
    ({"width": 0.75, "round_nearest": 4, "n": (1, 1, 2, 3, 2, 2, 1)}, (193, 257), 2_333_000, 18_944, 149_459_072),
]


@pytest.mark.parametrize("builder, size, params, buffers, macs, classes", TORCH)
def test_named_member_matches_torchvision(builder: str, size: tuple[int, int], params: int, buffers: int,
                                          macs: int, classes: int) -> None:
    totals = analyze(MODERN / f"{builder}.arch", size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (classes, 1, 1)


@pytest.mark.parametrize("builder, size, params, buffers, macs, classes", TORCH)
def test_family_builds_the_member(builder: str, size: tuple[int, int], params: int, buffers: int,
                                  macs: int, classes: int) -> None:
    totals = analyze(load(MODERN / "mobilenet_v2.arch", **MEMBERS[builder]), size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (classes, 1, 1)


@pytest.mark.parametrize("overrides, size, params, buffers, macs", OPTIONS)
def test_family_at_other_settings_matches_torchvision(overrides: dict[str, object], size: tuple[int, int],
                                                      params: int, buffers: int, macs: int) -> None:
    totals = analyze(load(MODERN / "mobilenet_v2.arch", **overrides), size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (1000, 1, 1)


def test_set_on_the_command_line_scales_the_width() -> None:
    result = CliRunner().invoke(app, ["analyze", str(MODERN / "mobilenet_v2.arch"), "--set", "width=1.4",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert (totals["params"], totals["buffers"], totals["macs"]) == (6_108_776, 47_936, 582_195_824)


def test_error_is_the_default_weights_accuracy() -> None:
    # MobileNet_V2_Weights.IMAGENET1K_V2: acc@1 72.154, acc@5 90.822
    assert load(MODERN / "mobilenet_v2.arch").metadata.error == (27.85, 9.18)  # 100 − 72.154, 100 − 90.822


def test_activations_are_relu6() -> None:
    # torchvision's Conv2dNormActivation(..., activation_layer=nn.ReLU6) after the stem, every
    # expansion and depthwise convolution, and the last convolution: 1 + 16 + 17 + 1 = 35
    # (the first unit has no expansion), the 35 aten::hardtanh_ fvcore reports
    kinds = [c.kind for c in analyze(MODERN / "mobilenet_v2.arch").layers]
    assert kinds.count("relu6") == 35 and "relu" not in kinds


# Each tool's own total for the builder (tools/torch_figures.py, the same run: FlopCounterMode,
# fvcore 0.1.5.post20221221, ptflops 0.7.5 pytorch backend, thop 0.1.1.post2209072238,
# calflops 0.3.2 FLOPs).
PEERS = [
    ((224, 224), {"flops": 601_548_544, "fvcore": 314_193_216, "ptflops": 320_300_008, "thop": 327_486_720,
                  "calflops": 614_967_488}),
    ((193, 257), {"flops": 677_295_232, "fvcore": 352_798_464, "ptflops": 359_231_656, "thop": 366_788_032,
                  "calflops": 691_446_080}),
]


@pytest.mark.parametrize("size, totals", PEERS)
@pytest.mark.parametrize("convention", ["flops", "fvcore", "ptflops", "thop", "calflops"])
def test_each_tool_gives_the_tools_total(size: tuple[int, int], totals: dict[str, int], convention: str) -> None:
    assert analyze(MODERN / "mobilenet_v2.arch", size=size, convention=convention).totals.flops == totals[convention]


def test_the_pool_is_the_functional_form() -> None:
    """MobileNetV2._forward_impl pools with nn.functional.adaptive_avg_pool2d(x, (1, 1)) on
    1280 x 7 x 7 = 62,720 elements: fvcore's aten::adaptive_avg_pool2d and the patches of
    ptflops and calflops count it once each, thop (no module to hook) not at all."""
    for convention, count in {"fvcore": 62_720, "ptflops": 62_720, "thop": 0, "calflops": 62_720}.items():
        pools = [c for c in analyze(MODERN / "mobilenet_v2.arch", convention=convention).layers
                 if c.kind == "gavgpool"]
        assert [(c.layer.form, c.flops) for c in pools] == [("functional", count)], convention
