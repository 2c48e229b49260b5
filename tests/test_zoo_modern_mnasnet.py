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
