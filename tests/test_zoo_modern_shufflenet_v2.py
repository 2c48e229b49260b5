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


# Each tool's own total for the builder (tools/torch_figures.py, the same run: FlopCounterMode,
# fvcore 0.1.5.post20221221, ptflops 0.7.5 pytorch backend, thop 0.1.1.post2209072238,
# calflops 0.3.2 FLOPs).
PEERS = [
    ("shufflenet_v2_x0_5", (224, 224), {"flops": 80_952_896, "fvcore": 42_524_256, "ptflops": 44_770_632,
                                        "thop": 44_572_064, "calflops": 84_123_392}),
    ("shufflenet_v2_x0_5", (193, 257), {"flops": 91_813_280, "fvcore": 48_113_248, "ptflops": 50_472_056,
                                        "thop": 50_319_856, "calflops": 95_198_792}),
    ("shufflenet_v2_x1_0", (224, 224), {"flops": 289_815_984, "fvcore": 148_808_392, "ptflops": 152_387_568,
                                        "thop": 152_708_792, "calflops": 295_505_472}),
    ("shufflenet_v2_x1_0", (193, 257), {"flops": 332_828_128, "fvcore": 170_656_932, "ptflops": 174_471_416,
                                        "thop": 174_899_800, "calflops": 338_977_738}),
    ("shufflenet_v2_x1_5", (224, 224), {"flops": 591_518_784, "fvcore": 301_294_432, "ptflops": 306_049_608,
                                        "thop": 306_829_472, "calflops": 599_430_912}),
    ("shufflenet_v2_x1_5", (193, 257), {"flops": 679_193_248, "fvcore": 345_636_192, "ptflops": 350_735_096,
                                        "thop": 351_675_760, "calflops": 687_781_768}),
    ("shufflenet_v2_x2_0", (224, 224), {"flops": 1_166_506_928, "fvcore": 590_741_448, "ptflops": 596_929_776,
                                        "thop": 598_229_432, "calflops": 1_177_088_576}),
    ("shufflenet_v2_x2_0", (193, 257), {"flops": 1_351_248_096, "fvcore": 683_828_900, "ptflops": 690_512_504,
                                        "thop": 692_033_752, "calflops": 1_362_794_250}),
]


@pytest.mark.parametrize("builder, size, totals", PEERS)
@pytest.mark.parametrize("convention", ["flops", "fvcore", "ptflops", "thop", "calflops"])
def test_each_tool_gives_the_tools_total(builder: str, size: tuple[int, int], totals: dict[str, int],
                                         convention: str) -> None:
    assert analyze(MODERN / f"{builder}.arch", size=size, convention=convention).totals.flops == totals[convention]


@pytest.mark.parametrize("convention", ["fvcore", "ptflops", "thop", "calflops"])
def test_the_mean_pool_is_seen_by_no_tool(convention: str) -> None:
    """ShuffleNetV2._forward_impl pools with x.mean([2, 3]), which no tool counts; as
    nn.AdaptiveAvgPool2d it would count 1024·7·7 = 50,176 (fvcore, calflops), twice that
    (ptflops) and (49 + 1)·1024 = 51,200 (thop): the gaps the module form left."""
    pools = [c for c in analyze(MODERN / "shufflenet_v2_x1_0.arch", convention=convention).layers
             if c.kind == "gavgpool"]
    assert [(c.layer.form, c.flops) for c in pools] == [("mean", 0)]
