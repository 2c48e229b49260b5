"""torchvision's ConvNeXt (specs/modern/convnext*.arch) against PyTorch.

Figures made with tools/torch_figures.py: torchvision 0.29.1 / torch 2.14.1,
weights=None, eval, batch 1; params = sum of parameters' numel, buffers =
running_mean + running_var, MACs = FlopCounterMode / 2 (= conv, transposed conv
and linear multiply-accumulates).  Peer totals from the same script, each
tool on a fresh copy of the model: FlopCounterMode's total (2 per MAC),
fvcore 0.1.5 FlopCountAnalysis(...).total(), ptflops 0.7.5
get_model_complexity_info(backend='pytorch'), thop 0.1.1 profile and calflops
0.3.2 calculate_flops (its FLOPs).  Accuracies are the default weights' meta.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest
from reference import SPECS

from archspec import analyze, load

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
    "convnext_base": {
        "193x257": Torch(88_591_464, 0, 15_041_388_544, 1000),
        "224x224": Torch(88_591_464, 0, 15_354_729_472, 1000),
    },
    "convnext_large": {
        "193x257": Torch(197_767_336, 0, 33_660_211_200, 1000),
        "224x224": Torch(197_767_336, 0, 34_361_433_600, 1000),
    },
    "convnext_small": {
        "193x257": Torch(50_223_688, 0, 8_506_509_312, 1000),
        "224x224": Torch(50_223_688, 0, 8_683_712_256, 1000),
    },
    "convnext_tiny": {
        "193x257": Torch(28_589_128, 0, 4_364_617_728, 1000),
        "224x224": Torch(28_589_128, 0, 4_455_531_264, 1000),
    },
}
PEERS = {
    "convnext_base": {
        "193x257": Peers(30_082_777_088, 15_069_705_216, 15_110_792_168, 15_059_723_264, 30_134_686_720),
        "224x224": Peers(30_709_458_944, 15_383_635_968, 15_425_578_984, 15_373_446_144, 30_762_449_920),
    },
    "convnext_large": {
        "193x257": Peers(67_320_422_400, 33_702_686_208, 33_764_316_136, 33_687_713_280, 67_398_286_848),
        "224x224": Peers(68_722_867_200, 34_404_793_344, 34_467_707_368, 34_389_508_608, 68_802_353_664),
    },
    "convnext_small": {
        "193x257": Peers(17_013_018_624, 8_527_746_816, 8_558_562_280, 8_520_260_352, 17_051_950_848),
        "224x224": Peers(17_367_424_512, 8_705_392_128, 8_736_849_640, 8_697_749_760, 17_407_167_744),
    },
    "convnext_tiny": {
        "193x257": Peers(8_729_235_456, 4_379_219_712, 4_396_764_136, 4_373_060_352, 8_754_896_640),
        "224x224": Peers(8_911_062_528, 4_470_437_376, 4_488_347_368, 4_464_149_760, 8_937_258_240),
    },
}
ACCURACY = {
    "convnext_base": (84.062, 96.87, 224),
    "convnext_large": (84.414, 96.976, 224),
    "convnext_small": (83.616, 96.65, 224),
    "convnext_tiny": (82.52, 96.146, 224),
}

SIZES = {"224x224": (224, 224), "193x257": (193, 257)}
MEMBERS = {  # torchvision's CNBlockConfig widths and layers, stochastic_depth_prob
    "convnext_tiny": (96, (3, 3, 9, 3), 0.1),
    "convnext_small": (96, (3, 3, 27, 3), 0.4),
    "convnext_base": (128, (3, 3, 27, 3), 0.5),
    "convnext_large": (192, (3, 3, 27, 3), 0.5),
}
CASES = [(name, size) for name in sorted(TORCH) for size in SIZES]


@pytest.mark.parametrize("name, size", CASES)
def test_member_matches_torchvision(name: str, size: str) -> None:
    totals = analyze(MODERN / f"{name}.arch", size=SIZES[size]).totals
    expected = TORCH[name][size]
    assert (totals.params, totals.buffers, totals.macs) == (expected.params, expected.buffers, expected.macs)
    assert totals.output_shape == (expected.classes, 1, 1)  # torch's (1, 1000) logits


@pytest.mark.parametrize("name, size", CASES)
@pytest.mark.parametrize("convention", ["flops", "fvcore", "ptflops", "thop", "calflops"])
def test_each_peer_convention_gives_the_tools_own_total(name: str, size: str, convention: str) -> None:
    totals = analyze(MODERN / f"{name}.arch", size=SIZES[size], convention=convention).totals
    assert totals.flops == getattr(PEERS[name][size], convention)


def test_convnext_tiny_parameters_by_hand() -> None:
    # stem: 4x4 conv 3 -> 96 with bias + LayerNorm2d (2C): 3*96*16 + 96 + 192 = 4,896.
    # A CNBlock of width d: depthwise 7x7 with bias 50d, LayerNorm 2d, linear
    # d -> 4d with bias 4d^2 + 4d, linear 4d -> d with bias 4d^2 + d, layer
    # scale d: 8d^2 + 58d.  Downsampling d -> 2d: LayerNorm2d 2d, 2x2 conv with
    # bias 8d^2 + 2d: 8d^2 + 4d.  Head: LayerNorm2d 2*768, linear 768*1000 + 1000.
    def block(d: int) -> int:
        return 8 * d * d + 58 * d

    def down(d: int) -> int:
        return 8 * d * d + 4 * d

    total = 4_896 + 3 * block(96) + down(96) + 3 * block(192) + down(192) + 9 * block(384) \
        + down(384) + 3 * block(768) + 2 * 768 + 768 * 1000 + 1000
    assert total == 28_589_128 == TORCH["convnext_tiny"]["224x224"].params
    assert analyze(MODERN / "convnext_tiny.arch").totals.params == total


@pytest.mark.parametrize("name", sorted(MEMBERS))
@pytest.mark.parametrize("size", SIZES)
def test_the_family_spec_builds_every_member_with_set(name: str, size: str) -> None:
    width, depths, rate = MEMBERS[name]
    graph = load(MODERN / "convnext.arch", width=width, depths=depths, rate=rate)
    totals = analyze(graph, size=SIZES[size]).totals
    expected = TORCH[name][size]
    assert (totals.params, totals.buffers, totals.macs) == (expected.params, expected.buffers, expected.macs)


def test_the_family_spec_defaults_to_convnext_tiny() -> None:
    totals = analyze(MODERN / "convnext.arch").totals
    assert (totals.params, totals.macs) == (28_589_128, 4_455_531_264)


def test_stochastic_depth_starts_each_stage_at_torchvisions_probability() -> None:
    # torchvision: block k of 18 has 0.1 * k / 17; the stages start at k = 0, 3, 6, 15
    result = analyze(MODERN / "convnext_tiny.arch")
    firsts = [layer.layer.p for layer in result.layers if layer.name.endswith("cnblock1.branch.droppath")]
    assert firsts == [0.1 * k / 17 for k in (0, 3, 6, 15)]


@pytest.mark.parametrize("name", sorted(MEMBERS))
def test_every_block_has_torchvisions_stochastic_depth_probability(name: str) -> None:
    # torchvision's ConvNeXt: sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0),
    # stage_block_id counting the blocks 0, 1, ... over the whole network (the
    # same float operations, in the same order, as the library's repeat index)
    width, depths, rate = MEMBERS[name]
    total = sum(depths)
    result = analyze(load(MODERN / "convnext.arch", width=width, depths=depths, rate=rate))
    found = [layer.layer.p for layer in result.layers if layer.kind == "droppath"]
    assert found == [rate * k / (total - 1.0) for k in range(total)]


@pytest.mark.parametrize("name", sorted(ACCURACY))
def test_metadata_states_torchvisions_error_and_evaluation_size(name: str) -> None:
    graph = load(MODERN / f"{name}.arch")
    top1, top5, crop = ACCURACY[name]
    meta = graph.metadata
    assert (meta.model, meta.task, meta.src) == (name, "classification", "TV")
    assert meta.error == (round(100 - top1, 2), round(100 - top5, 2))
    assert graph.reference_shapes[graph.input_ids[0]] == (3, crop, crop)
