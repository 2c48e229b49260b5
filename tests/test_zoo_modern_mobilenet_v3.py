"""MobileNetV3 (specs/modern/mobilenet_v3*.arch) against torchvision.

The figures were made with tools/torch_figures.py: torchvision 0.29.1 / torch
2.14.1, weights=None, eval, batch 1; params = sum of parameters' numel,
buffers = running_mean + running_var, MACs = FlopCounterMode / 2 (= conv,
transposed conv and linear multiply-accumulates).  The peer tools' totals come
from the same script (fvcore 0.1.5.post20221221, ptflops 0.7.5 pytorch
backend, thop 0.1.1.post2209072238, calflops 0.3.2).  The options no named
builder uses (reduced_tail, dilated, other widths) were measured the same way
by tools/torch_figures_mobile.py.  archspec's own output is never the source of
an expected figure.
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
    ("mobilenet_v3_small", (224, 224), 2_542_856, 12_112, 56_510_400, 1000),
    ("mobilenet_v3_small", (193, 257), 2_542_856, 12_112, 64_268_584, 1000),
    ("mobilenet_v3_large", (224, 224), 5_483_032, 24_400, 216_589_760, 1000),
    ("mobilenet_v3_large", (193, 257), 5_483_032, 24_400, 242_846_440, 1000),
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
    totals = analyze(load(MODERN / "mobilenet_v3.arch", arch=builder), size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (classes, 1, 1)


# _mobilenet_v3_conf's options at values no builder uses (tools/torch_figures_mobile.py)
OPTIONS = [
    ({"reduced_tail": True, "dilated": True}, (224, 224), 2_569_352, 19_120, 224_427_040),
    ({"reduced_tail": True, "dilated": True}, (193, 257), 2_569_352, 19_120, 244_683_240),
    ({"arch": "mobilenet_v3_small", "width": 0.75}, (224, 224), 1_653_920, 9_200, 39_115_576),
    ({"arch": "mobilenet_v3_small", "width": 0.75}, (193, 257), 1_653_920, 9_200, 43_879_680),
    ({"arch": "mobilenet_v3_small", "reduced_tail": True, "width": 1.25}, (224, 224), 1_567_008, 11_344, 69_119_128),
    ({"arch": "mobilenet_v3_small", "reduced_tail": True, "width": 1.25}, (193, 257), 1_567_008, 11_344, 76_075_384),
]


@pytest.mark.parametrize("overrides, size, params, buffers, macs", OPTIONS)
def test_family_options_match_torchvision(overrides: dict[str, object], size: tuple[int, int], params: int,
                                          buffers: int, macs: int) -> None:
    totals = analyze(load(MODERN / "mobilenet_v3.arch", **overrides), size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (1000, 1, 1)


def test_set_on_the_command_line_builds_the_small_network() -> None:
    result = CliRunner().invoke(app, ["analyze", str(MODERN / "mobilenet_v3.arch"), "--set",
                                      "arch=mobilenet_v3_small", "--format", "json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert (totals["params"], totals["buffers"], totals["macs"]) == (2_542_856, 12_112, 56_510_400)


def test_an_unknown_table_is_an_error_naming_the_choices() -> None:
    result = CliRunner().invoke(app, ["analyze", str(MODERN / "mobilenet_v3.arch"), "--set", "arch=medium"])
    assert result.exit_code == 2
    # the library's own error() message, naming the choices and the value given
    assert 'arch is "mobilenet_v3_large" or "mobilenet_v3_small", not "medium"' in result.output
    assert "lib/mobilenet_v3.arch:" in result.output


# Each tool's own total for torchvision's mobilenet_v3_large (tools/torch_figures.py):
# FlopCounterMode, fvcore, ptflops (pytorch backend), thop, calflops (FLOPs).
PEERS = [
    ((224, 224), {"flops": 433_179_520, "fvcore": 226_033_824, "ptflops": 231_316_416, "thop": 234_838_456,
                  "calflops": 444_944_056}),
    ((193, 257), {"flops": 485_692_880, "fvcore": 252_893_264, "ptflops": 258_334_920, "thop": 262_209_336,
                  "calflops": 498_094_048}),
]


@pytest.mark.parametrize("size, totals", PEERS)
@pytest.mark.parametrize("convention", ["flops", "fvcore", "ptflops", "thop", "calflops"])
def test_large_under_each_tool_gives_the_tools_total(size: tuple[int, int], totals: dict[str, int],
                                                     convention: str) -> None:
    analysis = analyze(MODERN / "mobilenet_v3_large.arch", size=size, convention=convention)
    assert analysis.totals.flops == totals[convention]


def test_error_is_the_default_weights_accuracy() -> None:
    # MobileNet_V3_Large_Weights.IMAGENET1K_V2: acc@1 75.274, acc@5 92.566;
    # MobileNet_V3_Small_Weights.IMAGENET1K_V1: acc@1 67.668, acc@5 87.402
    assert load(MODERN / "mobilenet_v3_large.arch").metadata.error == (24.73, 7.43)  # 100 − 75.274, 100 − 92.566
    assert load(MODERN / "mobilenet_v3_small.arch").metadata.error == (32.33, 12.60)  # 100 − 67.668, 100 − 87.402


def test_squeeze_width_and_classifier_by_hand() -> None:
    # large, row 4 (k 5, exp 72, SE): squeeze divisible(72 // 4, 8) = divisible(18, 8): the
    # nearest multiple, 16, is below 90% of 18 (16.2), so 24.  The SE's convolutions have
    # biases: 72·24 + 24 + 24·72 + 72 = 3,552.  Classifier: the last conv is 6 · 160 = 960
    # wide; 960·1280 + 1280 + 1280·1000 + 1000 = 2,510,080.
    layers = analyze(MODERN / "mobilenet_v3_large.arch").layers
    se = sum(c.params for c in layers if c.name.startswith("mobilenet_v3.body.b4.attend."))
    assert se == 72 * 24 + 24 + 24 * 72 + 72
    head = sum(c.params for c in layers if c.name.startswith("mobilenet_v3.classifier."))
    assert head == 960 * 1280 + 1280 + 1280 * 1000 + 1000
