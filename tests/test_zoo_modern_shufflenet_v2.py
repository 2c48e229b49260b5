"""ShuffleNet V2 (specs/modern/shufflenet_v2*.arch) against torchvision.

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
    ("shufflenet_v2_x0_5", (224, 224), 1_366_792, 7_952, 40_476_448, 1000),
    ("shufflenet_v2_x0_5", (193, 257), 1_366_792, 7_952, 45_906_640, 1000),
    ("shufflenet_v2_x1_0", (224, 224), 2_278_604, 16_180, 144_907_992, 1000),
    ("shufflenet_v2_x1_0", (193, 257), 2_278_604, 16_180, 166_414_064, 1000),
    ("shufflenet_v2_x1_5", (224, 224), 3_503_624, 23_440, 295_759_392, 1000),
    ("shufflenet_v2_x1_5", (193, 257), 3_503_624, 23_440, 339_596_624, 1000),
    ("shufflenet_v2_x2_0", (224, 224), 7_393_996, 33_716, 583_253_464, 1000),
    ("shufflenet_v2_x2_0", (193, 257), 7_393_996, 33_716, 675_624_048, 1000),
]
# the family's parameters for each builder (torchvision's stages_out_channels)
MEMBERS: dict[str, dict[str, object]] = {
    "shufflenet_v2_x0_5": {"widths": (24, 48, 96, 192, 1024)},
    "shufflenet_v2_x1_0": {},
    "shufflenet_v2_x1_5": {"widths": (24, 176, 352, 704, 1024)},
    "shufflenet_v2_x2_0": {"widths": (24, 244, 488, 976, 2048)},
}
# ShuffleNetV2([2, 3, 2], [16, 40, 80, 160, 512]), which no builder makes (tools/torch_figures_mobile.py)
OPTIONS = [
    ({"repeats": (2, 3, 2), "widths": (16, 40, 80, 160, 512)}, (224, 224), 648_024, 3_528, 18_568_304),
    ({"repeats": (2, 3, 2), "widths": (16, 40, 80, 160, 512)}, (193, 257), 648_024, 3_528, 20_690_696),
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
    totals = analyze(load(MODERN / "shufflenet_v2.arch", **MEMBERS[builder]), size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (classes, 1, 1)


@pytest.mark.parametrize("overrides, size, params, buffers, macs", OPTIONS)
def test_family_at_other_settings_matches_torchvision(overrides: dict[str, object], size: tuple[int, int],
                                                      params: int, buffers: int, macs: int) -> None:
    totals = analyze(load(MODERN / "shufflenet_v2.arch", **overrides), size=size).totals
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (1000, 1, 1)


def test_set_on_the_command_line_builds_a_member() -> None:
    result = CliRunner().invoke(app, ["analyze", str(MODERN / "shufflenet_v2.arch"), "--set",
                                      "widths=24,48,96,192,1024", "--format", "json"])
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert (totals["params"], totals["buffers"], totals["macs"]) == (1_366_792, 7_952, 40_476_448)


def test_error_is_the_default_weights_accuracy() -> None:
    # ShuffleNet_V2_*_Weights.IMAGENET1K_V1 (acc@1, acc@5): x0_5 60.552, 81.746; x1_0 69.362,
    # 88.316; x1_5 72.996, 91.086; x2_0 76.23, 93.006; @error is 100 minus each, to two decimals
    errors = {"shufflenet_v2_x0_5": (39.45, 18.25), "shufflenet_v2_x1_0": (30.64, 11.68),
              "shufflenet_v2_x1_5": (27.00, 8.91), "shufflenet_v2_x2_0": (23.77, 6.99)}
    for builder, error in errors.items():
        assert load(MODERN / f"{builder}.arch").metadata.error == error
