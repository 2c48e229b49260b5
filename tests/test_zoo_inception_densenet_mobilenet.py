"""GoogLeNet, Inception-v3, SE-BN-Inception, the DenseNets and MobileNet:
the reference's example report, exact parameter counts derived by hand from
the public definitions, the trunk layers at every report scale, and a
hypothetical DenseNet built by overriding the family's parameters."""

from __future__ import annotations

import pytest
from reference import SPECS, scaled, table, trunks

from archspec import analyze, load
from archspec.errors import ArchError

# ---------------------------------------------------------------------------
# (2) Exact learnable parameters and BN statistics (running mean + variance,
#     2 per BN channel; MatConvNet stores them as a C x 2 moments array).


def counts(model: str, **overrides: object) -> tuple[int, int]:
    totals = analyze(load(SPECS / f"{model}.arch", **overrides)).totals
    return totals.params, totals.buffers


def test_googlenet_counts() -> None:
    # Main net: 6,998,552, the published count of the BVLC GoogLeNet deploy net
    # (same inception shapes as the Princeton one; SOURCES.md section 4).
    # Each aux head, kept at 1000 classes: 1x1 conv 128 with bias on 512 (cls1,
    # icp3_out) or 528 (cls2, icp6_out) channels, fc1 on 4x4x128 to 1024, fc2
    # 1024 to 1000:
    #   cls1 = 512*128+128 + 2048*1024+1024 + 1024*1000+1000 = 3,188,840
    #   cls2 = 528*128+128 + 2048*1024+1024 + 1024*1000+1000 = 3,190,888
    # No BN.  Total 13,378,280 x 4 B = 51.0 MB, SOURCES' param check (table 51).
    assert counts("googlenet") == (6_998_552 + 3_188_840 + 3_190_888, 0)


def test_inception_v3_counts() -> None:
    # torchvision's inception_v3 has 27,161,264 learnable parameters; its
    # AuxLogits (removed by mcnPyTorch) hold 768*128 + 2*128 (conv0 + BN)
    # + 128*768*25 + 2*768 (conv1 + BN) + 768*1000+1000 (fc) = 3,326,696,
    # leaving 23,834,568 (SOURCES.md section 4: 23.83M).
    # BN channels = the sum of all conv widths: stem 32+32+64+80+192 = 400;
    # A blocks (432 + pool features 32/64/64) 1,456; B 640; C blocks
    # (768 + 6*c7, c7 = 128/160/160/192) 6,912; D 1,280; E blocks 2*3,264;
    # total 17,216, so 2 x 17,216 statistics (SOURCES: 91.05 MB).
    assert counts("inception-v3") == (27_161_264 - 3_326_696, 2 * 17_216)


def test_se_bn_inception_counts() -> None:
    # BN channels = the sum of the 69 conv widths of SE-BN-Inception.prototxt:
    # stem 64+64+192 = 320; per module (1x1 + 3x3 reduce + 3x3 + double reduce
    # + 2 x double + pool proj): 3a 480, 3b 544, 3c 544, 4a 864, 4b 896,
    # 4c 1024, 4d 1088, 4e 1024, 5a 1600, 5b 1632; total 10,016.
    params, buffers = counts("SE-BN-Inception")
    assert buffers == 2 * 10_016
    # SOURCES.md section 7's param check: 45.6 MB (MiB) under MCN rules.
    assert round((params + buffers) * 4 / 2**20, 1) == 45.6


def test_mcn_mobilenet_counts() -> None:
    # shicai MobileNet: conv1 3*32*9 = 864; depthwise 9 x (32+64+128+128+256
    # +256+6*512+1024 = 4,960) = 44,640; pointwise 32*64 + 64*128 + 128*128
    # + 128*256 + 256*256 + 256*512 + 5*512*512 + 512*1024 + 1024*1024
    # = 3,139,584; fc7 1024*1000+1000 = 1,025,000; BN on 32 + 4,960 + 5,952
    # = 10,944 channels: 21,888 learnt + 21,888 statistics (16.23 MB, SOURCES).
    assert counts("mcn-mobilenet") == (864 + 44_640 + 3_139_584 + 1_025_000 + 21_888, 21_888)


def densenet_by_hand(growth: int, width: int, blocks: tuple[int, ...], classes: int = 1000,
                     bn_size: int = 4) -> tuple[int, int]:
    """(learnable, BN statistics) of torchvision's DenseNet, from its
    definition: conv0 7x7 (no bias) + norm0; per dense layer BN(c), 1x1
    c -> bn_size*k, BN(bn_size*k), 3x3 -> k; per transition BN(c), 1x1 c -> c//2;
    norm5; Linear c -> classes with bias.  No archspec involved."""
    weights = 3 * width * 49
    bn_channels = width
    c = width
    for index, layers in enumerate(blocks):
        for _ in range(layers):
            weights += c * bn_size * growth + bn_size * growth * growth * 9
            bn_channels += c + bn_size * growth
            c += growth
        if index < len(blocks) - 1:
            weights += c * (c // 2)
            bn_channels += c
            c //= 2
    bn_channels += c  # norm5
    weights += c * classes + classes
    return weights + 2 * bn_channels, 2 * bn_channels


# Learnable counts are torchvision's published figures; statistics come from
# densenet_by_hand (for densenet121: 41,824 BN channels, summed by hand as
# 64 + block1 1,632 + 256 + block2 5,184 + 512 + block3 18,048 + 1,024
# + block4 14,080 + norm5 1,024).  With 4C per BN they give SOURCES' param
# checks 30.8 / 110.3 / 54.6 / 77.2 MB.
DENSENETS = {
    "densenet121": (32, 64, (6, 12, 24, 16), 7_978_856),
    "densenet161": (48, 96, (6, 12, 36, 24), 28_681_000),
    "densenet169": (32, 64, (6, 12, 32, 32), 14_149_480),
    "densenet201": (32, 64, (6, 12, 48, 32), 20_013_928),
}


@pytest.mark.parametrize("model", list(DENSENETS))
def test_densenet_counts(model: str) -> None:
    growth, width, blocks, published = DENSENETS[model]
    assert densenet_by_hand(growth, width, blocks)[0] == published
    assert counts(model) == densenet_by_hand(growth, width, blocks)
    if model == "densenet121":
        assert counts(model)[1] == 2 * 41_824


# ---------------------------------------------------------------------------
# (3) The trunks of trunks.csv: which import layer each name is, and its
#     output at every report scale.


def test_trunk_layers_are_the_imports_layers() -> None:
    kinds = {"googlenet": "concat", "inception-v3": "dropout", "SE-BN-Inception": "mul",
             "densenet121": "avgpool", "mcn-mobilenet": "conv"}
    for model, kind in kinds.items():
        spec = load(SPECS / f"{model}.arch")
        assert spec.nodes[spec.find(trunks()[model][0])].kind == kind, model


# Hand arithmetic of the feature side at each trunks.csv scale.
# DenseNet (224 x s): conv0 /2, pool0 /2, three transitions /2 (floor), then
# mcnPyTorch's AvgPool(7), stride 7: 224 -> 7 -> 1; 336 -> 10 -> 1;
# 448 -> 14 -> 2; 560 -> 17 -> 2; 672 -> 21 -> 3.
# Inception-v3 (299 x s): 299 -> 8 -> 1; 449 -> 12 -> 1; 598 -> 17 -> 2;
# 748 -> 22 -> 2; 897 -> 26 -> 3 before and after the 8x8 average pool.
# MobileNet: global pooling, so fc7 is 1 x 1 at every scale.
TRUNK_SIDES = {
    "densenet121": (1024, [1, 1, 2, 2, 3]),
    "densenet161": (2208, [1, 1, 2, 2, 3]),
    "densenet169": (1664, [1, 1, 2, 2, 3]),
    "densenet201": (1920, [1, 1, 2, 2, 3]),
    "inception-v3": (2048, [1, 1, 2, 2, 3]),
    "mcn-mobilenet": (1000, [1, 1, 1, 1, 1]),
    "SE-BN-Inception": (1024, [7]),
}


@pytest.mark.parametrize("model", list(TRUNK_SIDES))
def test_trunk_at_every_report_scale(model: str) -> None:
    spec = load(SPECS / f"{model}.arch")
    layer, scales = trunks()[model]
    size = next(row.input_size for row in table() if row.model == model)
    channels, sides = TRUNK_SIDES[model]
    assert len(scales) == len(sides)
    for scale, side in zip(scales, sides):
        shape = analyze(spec, size=scaled(size, scale), batch=128, upto=layer).totals.output_shape
        assert shape == (channels, side, side), scale


@pytest.mark.parametrize("model, side", [("densenet121", 112), ("inception-v3", 150)])
def test_half_scale_breaks_where_the_reports_start_at_1x(model: str, side: int) -> None:
    # trunks.csv starts these reports at 1x: at 0.5x the last block is 3 x 3
    # (DenseNet: 112 -> 56 -> 28 -> 14 -> 7 -> 3; Inception-v3: 150 -> ... -> 3),
    # smaller than the final 7x7 / 8x8 average pool.
    spec = load(SPECS / f"{model}.arch")
    with pytest.raises(ArchError, match="input too small"):
        analyze(spec, size=(side, side), upto=spec.metadata.features)


# ---------------------------------------------------------------------------
# (4) One DenseNet definition: growth, initial width and block lengths are
#     spec parameters, so a hypothetical DenseNet is an override away.


def test_hypothetical_densenet_by_override() -> None:
    spec = load(SPECS / "densenet121.arch", growth=12, width=24, b1=4, b2=4, b3=4, b4=4)
    assert spec.params == {"growth": 12, "width": 24, "b1": 4, "b2": 4, "b3": 4, "b4": 4}
    result = analyze(spec)
    # The first dense layer of block 2 reads the transition's (24 + 4*12) // 2
    # = 36 channels: BN 2*36, 1x1 36 -> 48 (= 4*12), BN 2*48, 3x3 48 -> 12:
    # 72 + 1,728 + 96 + 5,184 = 7,080 learnt, 2*36 + 2*48 = 168 statistics;
    # its concat holds 36 + 12 = 48 channels at 28 x 28.
    prefix = "features_0.denseblock2.denselayer1."
    layer = [c for c in result.layers if c.name.startswith(prefix)]
    assert sum(c.params for c in layer) == 72 + 1_728 + 96 + 5_184
    assert sum(c.buffers for c in layer) == 168
    assert layer[-1].output_shape == (48, 28, 28)
    assert (result.totals.params, result.totals.buffers) == densenet_by_hand(12, 24, (4, 4, 4, 4))


def test_growth_override_from_the_command_line_form() -> None:
    # `archspec analyze specs/densenet121.arch --set growth=48`: DenseNet-121's
    # blocks with DenseNet-161's growth but a 64-wide stem.
    assert counts("densenet121", growth=48) == densenet_by_hand(48, 64, (6, 12, 24, 16))
