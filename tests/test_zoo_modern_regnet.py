"""torchvision's RegNets (specs/modern/regnet*.arch) against PyTorch.

Figures made with tools/torch_figures.py: torchvision 0.29.1 / torch 2.14.1,
weights=None, eval, batch 1; params = sum of parameters' numel, buffers =
running_mean + running_var, MACs = FlopCounterMode / 2 (= conv, transposed conv
and linear multiply-accumulates).  Peer totals from the same script, each
tool on a fresh copy of the model: FlopCounterMode's total (2 per MAC),
fvcore 0.1.5 FlopCountAnalysis(...).total(), ptflops 0.7.5
get_model_complexity_info(backend='pytorch'), thop 0.1.1 profile and calflops
0.3.2 calculate_flops (its FLOPs).  Accuracies and evaluation crops are the
default weights' meta.  DESIGNS (RegNets torchvision has no builder for) were
made the same way by tools/torch_figures_regnet.py, with torchvision's RegNet
class on BlockParams.from_init_params.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest
from reference import SPECS

from archspec import analyze, load
from archspec.errors import ArchError

MODERN = SPECS / "modern"


class Torch(NamedTuple):
    params: int
    buffers: int
    macs: int
    classes: int


class Peers(NamedTuple):
    flops: int  # FlopCounterMode
    fvcore: int
    ptflops: int
    thop: int
    calflops: int


TORCH = {
    "regnet_x_16gf": {
        "193x257": Torch(54_278_536, 111_168, 17_285_347_168, 1000),
        "224x224": Torch(54_278_536, 111_168, 15_940_755_456, 1000),
    },
    "regnet_x_1_6gf": {
        "193x257": Torch(9_190_136, 43_504, 1_780_877_856, 1000),
        "224x224": Torch(9_190_136, 43_504, 1_602_849_792, 1000),
    },
    "regnet_x_32gf": {
        "193x257": Torch(107_811_560, 162_016, 34_478_453_280, 1000),
        "224x224": Torch(107_811_560, 162_016, 31_735_929_792, 1000),
    },
    "regnet_x_3_2gf": {
        "193x257": Torch(15_296_552, 62_560, 3_503_369_184, 1000),
        "224x224": Torch(15_296_552, 62_560, 3_176_621_952, 1000),
    },
    "regnet_x_400mf": {
        "193x257": Torch(5_495_976, 37_856, 492_244_704, 1000),
        "224x224": Torch(5_495_976, 37_856, 413_812_608, 1000),
    },
    "regnet_x_800mf": {
        "193x257": Torch(7_259_656, 37_312, 914_593_888, 1000),
        "224x224": Torch(7_259_656, 37_312, 799_699_712, 1000),
    },
    "regnet_x_8gf": {
        "193x257": Torch(39_572_648, 90_464, 8_891_254_112, 1000),
        "224x224": Torch(39_572_648, 90_464, 7_995_132_416, 1000),
    },
    "regnet_y_128gf": {
        "193x257": Torch(644_812_894, 415_072, 140_986_984_416, 1000),
        "224x224": Torch(644_812_894, 415_072, 127_517_815_680, 1000),
        "384x384": Torch(644_812_894, 415_072, 374_570_006_400, 1000),
    },
    "regnet_y_16gf": {
        "193x257": Torch(83_590_140, 122_816, 17_572_601_184, 1000),
        "224x224": Torch(83_590_140, 122_816, 15_911_510_272, 1000),
    },
    "regnet_y_1_6gf": {
        "193x257": Torch(11_202_430, 52_672, 1_803_591_840, 1000),
        "224x224": Torch(11_202_430, 52_672, 1_612_076_160, 1000),
    },
    "regnet_y_32gf": {
        "193x257": Torch(145_046_770, 158_288, 35_379_222_368, 1000),
        "224x224": Torch(145_046_770, 158_288, 32_279_552_832, 1000),
    },
    "regnet_y_3_2gf": {
        "193x257": Torch(19_436_338, 66_160, 3_533_514_336, 1000),
        "224x224": Torch(19_436_338, 66_160, 3_176_482_752, 1000),
    },
    "regnet_y_400mf": {
        "193x257": Torch(4_344_144, 27_152, 457_330_048, 1000),
        "224x224": Torch(4_344_144, 27_152, 401_842_848, 1000),
    },
    "regnet_y_800mf": {
        "193x257": Torch(6_432_512, 30_432, 931_567_712, 1000),
        "224x224": Torch(6_432_512, 30_432, 833_856_256, 1000),
    },
    "regnet_y_8gf": {
        "193x257": Torch(39_381_472, 86_528, 9_257_574_240, 1000),
        "224x224": Torch(39_381_472, 86_528, 8_473_070_592, 1000),
    },
}
PEERS = {
    "regnet_x_16gf": {
        "193x257": Peers(34_570_694_336, 17_339_538_848, 17_390_601_928, 17_393_603_552, 34_650_352_544),
        "224x224": Peers(31_881_510_912, 15_991_884_800, 16_040_054_760, 16_042_915_840, 31_956_674_560),
    },
    "regnet_x_1_6gf": {
        "193x257": Peers(3_561_755_712, 1_797_862_272, 1_813_816_600, 1_814_790_144, 3_586_688_064),
        "224x224": Peers(3_205_699_584, 1_618_759_504, 1_633_705_896, 1_634_625_440, 3_229_059_648),
    },
    "regnet_x_32gf": {
        "193x257": Peers(68_956_906_560, 34_555_680_840, 34_628_748_712, 34_632_752_160, 69_070_588_176),
        "224x224": Peers(63_471_859_584, 31_808_655_592, 31_877_447_496, 31_881_260_432, 63_578_919_096),
    },
    "regnet_x_3_2gf": {
        "193x257": Peers(7_006_738_368, 3_527_743_440, 3_550_872_424, 3_552_055_200, 7_042_644_864),
        "224x224": Peers(6_353_243_904, 3_199_404_208, 3_221_016_168, 3_222_138_080, 6_386_806_944),
    },
    "regnet_x_400mf": {
        "193x257": Peers(984_489_408, 499_264_688, 505_855_112, 506_259_872, 994_791_504),
        "224x224": Peers(827_625_216, 420_179_472, 426_144_360, 426_527_136, 836_964_224),
    },
    "regnet_x_800mf": {
        "193x257": Peers(1_829_187_776, 925_693_440, 935_963_144, 936_751_328, 1_845_400_512),
        "224x224": Peers(1_599_399_424, 810_028_128, 819_576_680, 820_324_288, 1_614_485_152),
    },
    "regnet_x_8gf": {
        "193x257": Peers(17_782_508_224, 8_921_787_584, 8_950_856_296, 8_952_202_016, 17_827_515_072),
        "224x224": Peers(15_990_264_832, 8_023_343_872, 8_050_207_848, 8_051_463_168, 16_031_860_736),
    },
    "regnet_y_128gf": {
        "193x257": Peers(281_973_968_832, 141_162_114_744, 141_330_033_946, 141_316_014_192, 282_222_446_356),
        "224x224": Peers(255_035_631_360, 127_680_318_496, 127_836_100_698, 127_823_386_424, 255_266_310_868),
    },
    "regnet_y_16gf": {
        "193x257": Peers(35_145_202_368, 17_628_057_008, 17_680_452_868, 17_677_253_376, 35_223_726_360),
        "224x224": Peers(31_823_020_544, 15_963_307_584, 16_012_249_892, 16_009_364_336, 31_896_418_696),
    },
    "regnet_y_1_6gf": {
        "193x257": Peers(3_607_183_680, 1_823_279_160, 1_842_217_210, 1_840_645_728, 3_635_179_636),
        "224x224": Peers(3_224_152_320, 1_630_259_080, 1_647_748_938, 1_646_335_568, 3_250_026_940),
    },
    "regnet_y_32gf": {
        "193x257": Peers(70_758_444_736, 35_452_354_072, 35_521_817_430, 35_517_005_712, 70_862_068_316),
        "224x224": Peers(64_559_105_664, 32_347_836_096, 32_412_704_358, 32_408_326_248, 64_655_926_732),
    },
    "regnet_y_3_2gf": {
        "193x257": Peers(7_067_028_672, 3_560_905_128, 3_587_053_558, 3_585_112_656, 7_105_901_884),
        "224x224": Peers(6_352_965_504, 3_201_896_896, 3_226_164_582, 3_224_408_648, 6_389_062_132),
    },
    "regnet_y_400mf": {
        "193x257": Peers(914_660_096, 466_526_864, 475_107_072, 474_848_240, 927_709_056),
        "224x224": Peers(803_685_696, 410_406_088, 418_388_672, 418_183_352, 815_847_000),
    },
    "regnet_y_800mf": {
        "193x257": Peers(1_863_135_424, 944_384_896, 956_325_104, 955_933_312, 1_881_287_920),
        "224x224": Peers(1_667_712_512, 845_841_264, 857_005_328, 856_675_280, 1_684_703_648),
    },
    "regnet_y_8gf": {
        "193x257": Peers(18_515_148_480, 9_304_418_272, 9_348_468_816, 9_346_138_080, 18_581_455_568),
        "224x224": Peers(16_946_141_184, 8_517_250_560, 8_558_796_976, 8_556_682_176, 17_008_720_080),
    },
}
ACCURACY = {
    "regnet_x_16gf": (82.716, 96.196, 224),
    "regnet_x_1_6gf": (79.668, 94.922, 224),
    "regnet_x_32gf": (83.014, 96.288, 224),
    "regnet_x_3_2gf": (81.196, 95.43, 224),
    "regnet_x_400mf": (74.864, 92.322, 224),
    "regnet_x_800mf": (77.522, 93.826, 224),
    "regnet_x_8gf": (81.682, 95.678, 224),
    "regnet_y_128gf": (88.228, 98.682, 384),
    "regnet_y_16gf": (82.886, 96.328, 224),
    "regnet_y_1_6gf": (80.876, 95.444, 224),
    "regnet_y_32gf": (83.368, 96.498, 224),
    "regnet_y_3_2gf": (81.982, 95.972, 224),
    "regnet_y_400mf": (75.804, 92.742, 224),
    "regnet_y_800mf": (78.828, 94.502, 224),
    "regnet_y_8gf": (82.828, 96.33, 224),
}

MEMBERS = {  # torchvision's BlockParams.from_init_params arguments: depth, w_0, w_a, w_m, group_width, se_ratio
    "regnet_x_16gf": (22, 216, 55.59, 2.1, 128, 0),
    "regnet_x_1_6gf": (18, 80, 34.01, 2.25, 24, 0),
    "regnet_x_32gf": (23, 320, 69.86, 2.0, 168, 0),
    "regnet_x_3_2gf": (25, 88, 26.31, 2.25, 48, 0),
    "regnet_x_400mf": (22, 24, 24.48, 2.54, 16, 0),
    "regnet_x_800mf": (16, 56, 35.73, 2.28, 16, 0),
    "regnet_x_8gf": (23, 80, 49.56, 2.88, 120, 0),
    "regnet_y_128gf": (27, 456, 160.83, 2.52, 264, 0.25),
    "regnet_y_16gf": (18, 200, 106.23, 2.48, 112, 0.25),
    "regnet_y_1_6gf": (27, 48, 20.71, 2.65, 24, 0.25),
    "regnet_y_32gf": (20, 232, 115.89, 2.53, 232, 0.25),
    "regnet_y_3_2gf": (21, 80, 42.63, 2.66, 24, 0.25),
    "regnet_y_400mf": (16, 48, 27.89, 2.09, 8, 0.25),
    "regnet_y_800mf": (14, 56, 38.84, 2.4, 16, 0.25),
    "regnet_y_8gf": (17, 192, 76.82, 2.19, 56, 0.25),
}
DESIGNS = {  # (depth, w_0, w_a, w_m, group_width, bottleneck, se_ratio): {size: Torch}
    "regnetx_200mf": ((13, 24, 36.44, 2.49, 8, 1.0, 0), {
        "224x224": Torch(2_684_792, 20_848, 199_039_872, 1000),
        "193x257": Torch(2_684_792, 20_848, 234_679_328, 1000),
    }),
    "regnety_200mf": ((13, 24, 36.44, 2.49, 8, 1.0, 0.25), {
        "224x224": Torch(3_162_996, 20_848, 199_514_080, 1000),
        "193x257": Torch(3_162_996, 20_848, 235_153_536, 1000),
    }),
    "regnety_bottleneck_half": ((14, 56, 38.84, 2.4, 16, 0.5, 0.25), {
        "224x224": Torch(3_671_328, 20_800, 420_849_152, 1000),
        "193x257": Torch(3_671_328, 20_800, 470_685_536, 1000),
    }),
}

SIZES = {"224x224": (224, 224), "193x257": (193, 257)}
CASES = [(name, size) for name in sorted(TORCH) for size in SIZES]


@pytest.mark.parametrize("name, size", CASES)
def test_member_matches_torchvision(name: str, size: str) -> None:
    totals = analyze(MODERN / f"{name}.arch", size=SIZES[size]).totals
    expected = TORCH[name][size]
    assert (totals.params, totals.buffers, totals.macs) == (expected.params, expected.buffers, expected.macs)
    assert totals.output_shape == (expected.classes, 1, 1)  # torch's (1, 1000) logits


def test_regnet_y_128gf_at_its_evaluation_size() -> None:
    # the SWAG weights are evaluated at 384 x 384, the thin spec's input
    totals = analyze(MODERN / "regnet_y_128gf.arch").totals
    expected = TORCH["regnet_y_128gf"]["384x384"]
    assert (totals.params, totals.buffers, totals.macs) == (expected.params, expected.buffers, expected.macs)


@pytest.mark.parametrize("name, size", CASES)
@pytest.mark.parametrize("convention", ["flops", "fvcore", "ptflops", "thop", "calflops"])
def test_each_peer_convention_gives_the_tools_own_total(name: str, size: str, convention: str) -> None:
    totals = analyze(MODERN / f"{name}.arch", size=SIZES[size], convention=convention).totals
    assert totals.flops == getattr(PEERS[name][size], convention)


@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_the_family_spec_builds_every_member_with_set(name: str) -> None:
    depth, w0, wa, wm, group_width, se_ratio = MEMBERS[name]
    graph = load(MODERN / "regnet.arch", depth=depth, w0=w0, wa=wa, wm=wm, group_width=group_width,
                 se_ratio=se_ratio)
    for size, hw in SIZES.items():
        totals = analyze(graph, size=hw).totals
        expected = TORCH[name][size]
        assert (totals.params, totals.buffers, totals.macs) == (expected.params, expected.buffers, expected.macs)


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_the_family_spec_builds_regnets_torchvision_does_not_name(name: str) -> None:
    (depth, w0, wa, wm, group_width, bottleneck, se_ratio), figures = DESIGNS[name]
    graph = load(MODERN / "regnet.arch", depth=depth, w0=w0, wa=wa, wm=wm, group_width=group_width,
                 bottleneck=bottleneck, se_ratio=se_ratio)
    for size, hw in SIZES.items():
        totals = analyze(graph, size=hw).totals
        expected = figures[size]
        assert (totals.params, totals.buffers, totals.macs) == (expected.params, expected.buffers, expected.macs)


def test_the_family_spec_defaults_to_regnet_y_400mf() -> None:
    totals = analyze(MODERN / "regnet.arch").totals
    assert (totals.params, totals.buffers, totals.macs) == (4_344_144, 27_152, 401_842_848)


def test_regnet_x_400mf_first_block_by_hand() -> None:
    # Stage 1 of regnet_x_400mf: 1 block, 32 -> 32 channels (widths (32, 64, 160, 400)),
    # group width 16: 1x1 32*32 = 1,024, 3x3 in 2 groups 32*16*9 = 4,608, 1x1 1,024,
    # projection (stride 2) 1,024: 7,680 weights; four BNs of 32 = 256 learnt + 256 statistics.
    result = analyze(MODERN / "regnet_x_400mf.arch", upto="block1")
    stem = 3 * 32 * 9 + 2 * 32  # 3x3 conv 3 -> 32 without bias, BN
    assert result.totals.params == stem + 7_680 + 256
    assert result.totals.buffers == 2 * 32 + 256
    assert result.totals.output_shape == (32, 56, 56)  # 224 -> stem 112 -> stage 1 56


def test_a_setting_with_other_than_four_stages_is_refused_with_its_stages() -> None:
    with pytest.raises(ArchError, match=r"give 9 stage\(s\) of widths \(48, 80, 104"):
        load(MODERN / "regnet.arch", wm=1.3)


@pytest.mark.parametrize("name", sorted(ACCURACY))
def test_metadata_states_torchvisions_error_and_evaluation_size(name: str) -> None:
    graph = load(MODERN / f"{name}.arch")
    top1, top5, crop = ACCURACY[name]
    meta = graph.metadata
    assert (meta.model, meta.task, meta.src) == (name, "classification", "TV")
    assert meta.error == (round(100 - top1, 2), round(100 - top5, 2))
    assert graph.reference_shapes[graph.input_ids[0]] == (3, crop, crop)
