"""The residual families (ResNet, ResNeXt, SE-ResNet/ResNeXt, SENet-154):
the reference's example reports, exact parameter counts derived by hand, and
family parameters overridden from Python."""

from __future__ import annotations

from pathlib import Path

import pytest
from reference import SPECS

from archspec import analyze, load
from archspec.costs.engine import LayerCost

# ---------------------------------------------------------------------------
# (2) Exact parameter counts.  `count` is plain arithmetic on the layer shapes
#     of the public definitions (no archspec): every conv without bias except
#     where noted, a BN (2C learnt + 2C statistics) after every conv of the
#     trunk, a 2048 -> 1000 classifier with bias.

Stage = tuple[int, int, int, int, int, int]  # units, reduce, 3x3 width, groups, out, shortcut kernel


def count(stem: list[tuple[int, int, int]], stages: list[Stage], se: bool = False,
          stem_bias: int = 0) -> tuple[int, int]:
    """(learnable, BN statistics) of a bottleneck network.  `stem` lists
    (in, out, kernel) convs; a stage's first unit has a projection shortcut;
    `se` adds the SE gate (C -> C/16 -> C 1x1 convs, both with bias)."""
    weights = sum(i * o * k * k for i, o, k in stem) + stem_bias
    bn = sum(o for _, o, _ in stem)
    cin = stem[-1][1]
    for units, reduce, width, groups, out, kernel in stages:
        for unit in range(units):
            weights += cin * reduce + 9 * (reduce // groups) * width + width * out
            bn += reduce + width + out
            if se:
                weights += 2 * out * (out // 16) + out // 16 + out
            if unit == 0:
                weights += kernel * kernel * cin * out
                bn += out
            cin = out
    weights += 2048 * 1000 + 1000
    return weights + 2 * bn, 2 * bn


def count_basic(blocks: list[int]) -> tuple[int, int]:
    """(learnable, BN statistics) of torchvision's ResNet-18/34 (two 3x3 convs a
    unit, 1x1 projections where the width or stride changes, fc 512 -> 1000)."""
    weights, bn, cin = 7 * 7 * 3 * 64, 64, 64
    for stage, units in enumerate(blocks):
        width = 64 * 2**stage
        for unit in range(units):
            weights += 9 * cin * width + 9 * width * width
            bn += 2 * width
            if unit == 0 and cin != width:
                weights += cin * width
                bn += width
            cin = width
    weights += 512 * 1000 + 1000
    return weights + 2 * bn, 2 * bn


def bottleneck_stages(blocks: list[int], cardinality: int = 1, group_width: int = 64,
                      expansion: int = 4) -> list[Stage]:
    """torchvision/ResNeXt stages: stage s has a 3x3 of cardinality * group_width * 2^s
    channels (the 1x1 reduce as wide) and 256 * 2^s outputs."""
    return [(units, cardinality * group_width * 2**s, cardinality * group_width * 2**s, cardinality,
             256 * 2**s, 1) for s, units in enumerate(blocks)]


STEM = [(3, 64, 7)]
HAND_COUNTS = {
    # torchvision's resnet50: 25,557,032 parameters (its published figure); 53,120 = 2 x 26,560
    # BN channels, the running mean and variance MatConvNet stores as moments.
    "resnet50": ((25_557_032, 53_120), count(STEM, bottleneck_stages([3, 4, 6, 3]))),
    # MSRA's Caffe ResNet-50: the same shapes, plus the 64 biases of conv1.
    "resnet-50": ((25_557_096, 53_120), count(STEM, bottleneck_stages([3, 4, 6, 3]), stem_bias=64)),
    # torchvision's published counts for resnet18 and resnet34.
    "resnet18": ((11_689_512, 9_600), count_basic([2, 2, 2, 2])),
    "resnet34": ((21_797_672, 17_024), count_basic([3, 4, 6, 3])),
    # torchvision's published count for resnext50_32x4d (the same shapes as the Torch model).
    "resnext-50-32x4d": ((25_028_904, 68_224), count(STEM, bottleneck_stages([3, 4, 6, 3], 32, 4))),
    # Derived from the conv shapes of Cadene's resnext101_32x4d_features.py and
    # resnext101_64x4d_features.py (32 or 64 groups; 3x3 widths 128..1024 or 256..2048;
    # 3-4-23-3 units); they give 169.05 MB and 319.13 MB with the statistics (table: 169, 319).
    "resnext-101-32x4d": ((44_177_704, 137_856), count(STEM, bottleneck_stages([3, 4, 23, 3], 32, 4))),
    "resnext-101-64x4d": ((83_455_272, 202_880), count(STEM, bottleneck_stages([3, 4, 23, 3], 64, 4))),
    # hujie-frank/SENet prototxts: SE-ResNet-50 adds the gates to ResNet-50 (no conv1 bias);
    # SENet-154 has a 3-conv stem, 64 groups, a 1x1 reduce to half the 3x3 width and 3x3
    # projections on the strided stages.
    "SE-ResNet-50": ((28_088_024, 53_120), count(STEM, bottleneck_stages([3, 4, 6, 3]), se=True)),
    "SENet": ((115_088_984, 247_552),
              count([(3, 64, 3), (64, 64, 3), (64, 128, 3)],
                    [(3, 128, 256, 64, 256, 1), (8, 256, 512, 64, 512, 3),
                     (36, 512, 1024, 64, 1024, 3), (3, 1024, 2048, 64, 2048, 3)], se=True)),
}


@pytest.mark.parametrize("model", list(HAND_COUNTS))
def test_parameter_counts(model: str) -> None:
    stated, derived = HAND_COUNTS[model]
    assert derived == stated  # the hand derivation reproduces the stated figure
    totals = analyze(load(SPECS / f"{model}.arch")).totals
    assert (totals.params, totals.buffers) == stated


# ---------------------------------------------------------------------------
# (3) Family parameters overridden from Python (the `--set` of the CLI).

RESNEXT50 = SPECS / "resnext-50-32x4d.arch"
FIRST_3X3 = "features_4.resnext1.main.conv2"


def layer(spec_path: Path, name: str, **overrides: int) -> LayerCost:
    result = analyze(load(spec_path, **overrides))
    return next(cost for cost in result.layers if cost.name == name)


def test_wider_resnext_by_cardinality() -> None:
    # 32x4d: the first 3x3 has 32 x 4 = 128 channels in 32 groups of 4:
    # 128 x 4 x 3 x 3 = 4,608 weights; at 56 x 56, 56 x 56 x 128 x 36 = 14,450,688 FLOPs.
    base = layer(RESNEXT50, FIRST_3X3)
    assert (base.params, base.flops) == (4_608, 14_450_688)
    # 64x4d: 256 channels in 64 groups of 4: 256 x 4 x 9 = 9,216 weights and
    # 56 x 56 x 256 x 36 = 28,901,376 FLOPs.
    wide = layer(RESNEXT50, FIRST_3X3, cardinality=64)
    assert (wide.output_shape, wide.params, wide.flops) == ((256, 56, 56), 9_216, 28_901_376)


def test_group_width_override() -> None:
    # 32x8d: 256 channels in 32 groups of 8: 256 x 8 x 9 = 18,432 weights.
    assert layer(RESNEXT50, FIRST_3X3, group_width=8).params == 18_432


def test_resnext_101_64x4d_is_32x4d_with_cardinality_64() -> None:
    totals = analyze(load(SPECS / "resnext-101-32x4d.arch", cardinality=64)).totals
    assert (totals.params, totals.buffers) == HAND_COUNTS["resnext-101-64x4d"][0]


# ---------------------------------------------------------------------------
# The SE trunk `conv5_3`: in the prototxts the Axpy layer is named conv5_3 and
# its ReLU conv5_3/relu (split into a layer of its own at import), so the trunk
# ends at the Axpy.


@pytest.mark.parametrize("model", ["SE-ResNet-50", "SE-ResNeXt-50-32x4d", "SENet"])
def test_se_trunk_ends_at_the_axpy(model: str) -> None:
    result = analyze(load(SPECS / f"{model}.arch"), upto="conv5_3")
    last = result.layers[-1]
    # 7 x 7 x 2048 at 224: 100,352 elements, 2 FLOPs each (scale and add fused).
    assert (last.kind, last.output_shape, last.flops) == ("axpy", (2048, 7, 7), 200_704)
    assert not any(cost.name.startswith("conv5_3_relu") for cost in result.layers)


def test_se_gate_and_senet_projection_by_hand() -> None:
    se = analyze(load(SPECS / "SE-ResNet-50.arch"))
    by_name = {cost.name: cost for cost in se.layers}
    # conv2's first gate: 256 -> 16 with bias = 4,112; 16 -> 256 with bias = 4,352;
    # the global pool reads 56 x 56 x 256 = 802,816 elements.
    assert by_name["conv2.se_unit1.gate.conv1"].params == 4_112
    assert by_name["conv2.se_unit1.gate.conv2"].params == 4_352
    assert by_name["conv2.se_unit1.gate.gavgpool"].flops == 802_816
    senet = {cost.name: cost for cost in analyze(load(SPECS / "SENet.arch")).layers}
    # conv3_1's shortcut: a 3x3 stride-2 conv 256 -> 512 = 1,179,648 weights, 28 x 28 out.
    shortcut = senet["conv3.se_unit1.skip.conv"]
    assert (shortcut.params, shortcut.output_shape) == (1_179_648, (512, 28, 28))
