"""MNASNet (specs/modern/mnasnet*.arch) against torchvision.

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
    ("mnasnet0_5", (224, 224), 2_218_512, 20_624, 104_455_968, 1000),
    ("mnasnet0_5", (193, 257), 2_218_512, 20_624, 119_276_504, 1000),
    ("mnasnet0_75", (224, 224), 3_170_208, 29_808, 215_493_104, 1000),
    ("mnasnet0_75", (193, 257), 3_170_208, 29_808, 245_737_448, 1000),
    ("mnasnet1_0", (224, 224), 4_383_312, 37_920, 314_415_872, 1000),
    ("mnasnet1_0", (193, 257), 4_383_312, 37_920, 363_766_472, 1000),
    ("mnasnet1_3", (224, 224), 6_282_256, 48_816, 526_362_432, 1000),
    ("mnasnet1_3", (193, 257), 6_282_256, 48_816, 606_822_776, 1000),
]
# the family's parameters for each builder (torchvision's _mnasnet(alpha, ...))
MEMBERS: dict[str, dict[str, object]] = {
    "mnasnet0_5": {"alpha": 0.5}, "mnasnet0_75": {"alpha": 0.75}, "mnasnet1_0": {}, "mnasnet1_3": {"alpha": 1.3},
}
# MNASNet(alpha) at multipliers no builder uses (tools/torch_figures_mobile.py)
OPTIONS = [
    ({"alpha": 0.35}, (224, 224), 1_788_232, 14_976, 58_878_912),
    ({"alpha": 0.35}, (193, 257), 1_788_232, 14_976, 66_821_024),
    ({"alpha": 0.1}, (224, 224), 1_393_112, 7_488, 22_919_968),
    ({"alpha": 0.1}, (193, 257), 1_393_112, 7_488, 24_646_448),
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
    totals = analyze(load(MODERN / "mnasnet.arch", **MEMBERS[builder]), size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (classes, 1, 1)


@pytest.mark.parametrize("overrides, size, params, buffers, macs", OPTIONS)
def test_family_at_other_settings_matches_torchvision(overrides: dict[str, object], size: tuple[int, int],
                                                      params: int, buffers: int, macs: int) -> None:
    totals = analyze(load(MODERN / "mnasnet.arch", **overrides), size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (1000, 1, 1)


def test_set_on_the_command_line_builds_a_member() -> None:
    result = CliRunner().invoke(app, ["analyze", str(MODERN / "mnasnet.arch"), "--set", "alpha=0.75",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert (totals["params"], totals["buffers"], totals["macs"]) == (3_170_208, 29_808, 215_493_104)


def test_error_is_the_default_weights_accuracy() -> None:
    # MNASNet*_Weights.IMAGENET1K_V1 (acc@1, acc@5): 0_5 67.734, 87.49; 0_75 71.18, 90.496;
    # 1_0 73.456, 91.51; 1_3 76.506, 93.522; @error is 100 minus each, to two decimals
    errors = {"mnasnet0_5": (32.27, 12.51), "mnasnet0_75": (28.82, 9.50), "mnasnet1_0": (26.54, 8.49),
              "mnasnet1_3": (23.49, 6.48)}
    for builder, error in errors.items():
        assert load(MODERN / f"{builder}.arch").metadata.error == error


def test_depths_round_up_when_the_nearest_multiple_is_more_than_10_percent_short() -> None:
    # _round_to_multiple_of(d · 0.1, 8) for the stacks' d = 24, 40, 80, 96, 192, 320:
    # 2.4, 4 and 8 → 8 (never below 8); 9.6 → 8 is below 0.9 · 9.6 = 8.64, so 16;
    # 19.2 → 16 is below 17.28, so 24; 32 → 32.  The last convolution stays 1280.
    widths: dict[str, int] = {}
    for cost in analyze(load(MODERN / "mnasnet.arch", alpha=0.1)).layers:
        widths[cost.name.split(".")[1]] = cost.output_shape[0]  # each statement's last layer wins
    assert [widths[f"stack{i}"] for i in range(1, 7)] == [8, 8, 8, 16, 24, 32]
    assert widths["head"] == 1280


# Each tool's own total for the builder (tools/torch_figures.py, the same run: FlopCounterMode,
# fvcore 0.1.5.post20221221, ptflops 0.7.5 pytorch backend, thop 0.1.1.post2209072238,
# calflops 0.3.2 FLOPs).
PEERS = [
    ("mnasnet0_5", (224, 224), {"flops": 208_911_936, "fvcore": 110_586_848, "ptflops": 115_966_088,
                                "thop": 116_717_728, "calflops": 217_731_936}),
    ("mnasnet0_5", (193, 257), {"flops": 238_553_008, "fvcore": 125_800_616, "ptflops": 131_536_944,
                                "thop": 132_324_728, "calflops": 247_944_784}),
    ("mnasnet0_75", (224, 224), {"flops": 430_986_208, "fvcore": 225_023_408, "ptflops": 233_339_512,
                                 "thop": 234_553_712, "calflops": 444_674_064}),
    ("mnasnet0_75", (193, 257), {"flops": 491_474_896, "fvcore": 255_839_576, "ptflops": 264_673_920,
                                 "thop": 265_941_704, "calflops": 505_993_696}),
    ("mnasnet1_0", (224, 224), {"flops": 628_831_744, "fvcore": 325_329_152, "ptflops": 334_926_312,
                                "thop": 336_242_432, "calflops": 644_543_104}),
    ("mnasnet1_0", (193, 257), {"flops": 727_532_944, "fvcore": 375_398_120, "ptflops": 385_645_680,
                                "thop": 387_029_768, "calflops": 744_287_872}),
    ("mnasnet1_3", (224, 224), {"flops": 1_052_724_864, "fvcore": 541_067_136, "ptflops": 553_944_552,
                                "thop": 555_771_840, "calflops": 1_073_867_776}),
    ("mnasnet1_3", (193, 257), {"flops": 1_213_645_552, "fvcore": 622_462_056, "ptflops": 636_184_528,
                                "thop": 638_101_336, "calflops": 1_236_145_568}),
]


@pytest.mark.parametrize("builder, size, totals", PEERS)
@pytest.mark.parametrize("convention", ["flops", "fvcore", "ptflops", "thop", "calflops"])
def test_each_tool_gives_the_tools_total(builder: str, size: tuple[int, int], totals: dict[str, int],
                                         convention: str) -> None:
    assert analyze(MODERN / f"{builder}.arch", size=size, convention=convention).totals.flops == totals[convention]


@pytest.mark.parametrize("convention", ["fvcore", "ptflops", "thop", "calflops"])
def test_the_mean_pool_is_seen_by_no_tool(convention: str) -> None:
    """MNASNet.forward pools with x.mean([2, 3]): no tool hooks or patches a tensor
    method, and fvcore's aten::mean has no handle.  As nn.AdaptiveAvgPool2d it would
    count 1280·7·7 = 62,720 (fvcore, calflops), 2 × 62,720 (ptflops), (49 + 1)·1280 (thop)."""
    pools = [c for c in analyze(MODERN / "mnasnet1_0.arch", convention=convention).layers if c.kind == "gavgpool"]
    assert [(c.layer.form, c.flops) for c in pools] == [("mean", 0)]
