"""AlexNet, CaffeNet, the VGG families and SqueezeNet: AlexNet's example report,
exact parameter counts derived by hand from the public definitions, the VGG
family parameters overridden, and shapes at a non-reference size worked out
with the pooling formula (where MatConvNet's asymmetric pads matter)."""

from __future__ import annotations

import pytest
from reference import SPECS

from archspec import analyze, load

# ---------------------------------------------------------------------------
# (2) Exact learnable parameters, by hand from the layer shapes of the public
#     definitions (SOURCES.md sections 1, 2, 3 and 5).  All convolutions and
#     fully connected layers have a bias; none of these nets has batch norm.


def conv(cin: int, cout: int, k: int = 1, groups: int = 1) -> int:
    """Weights plus bias of a k x k convolution (an fc is one whose k covers its input)."""
    return cout * (cin // groups) * k * k + cout


# AlexNet (MatConvNet beta17 cnn_imagenet_init.m) and CaffeNet (BVLC
# imagenet_deploy.prototxt): the same layers, groups 2 on conv2, conv4, conv5.
#   conv1   96 * 3*11*11   + 96   =     34,944
#   conv2  256 * 48*5*5    + 256  =    307,456
#   conv3  384 * 256*3*3   + 384  =    885,120
#   conv4  384 * 192*3*3   + 384  =    663,936
#   conv5  256 * 192*3*3   + 256  =    442,624
#   fc6   4096 * 256*6*6   + 4096 = 37,752,832
#   fc7   4096 * 4096      + 4096 = 16,781,312
#   fc8   1000 * 4096      + 1000 =  4,097,000
#                                  ------------
#                                   60,965,224   (x 4 B = 232.6 MB, table 233 MB)
ALEXNET = 60_965_224


def squeezenet(conv1: int, fires: list[tuple[int, int, int]]) -> int:
    """conv1 + fire modules (in, squeeze, expand: 1x1 squeeze, 1x1 and 3x3
    expands) + the 1x1 classifier conv 512 -> 1000."""
    total = conv1 + conv(512, 1000)
    for cin, s, e in fires:
        total += conv(cin, s) + conv(s, e) + conv(s, e, 3)
    return total


# torchvision squeezenet.py: the fire widths of both versions from fire2 on.
FIRES = [(128, 16, 64), (128, 32, 128), (256, 32, 128), (256, 48, 192),
         (384, 48, 192), (384, 64, 256), (512, 64, 256)]


def vgg_vd(stages: list[int]) -> int:
    """13 or 16 3x3 convolutions, fc6 a 7x7 convolution over pool5, fc7, fc8."""
    total, cin = 0, 3
    for n, width in zip(stages, (64, 128, 256, 512, 512)):
        for _ in range(n):
            total += conv(cin, width, 3)
            cin = width
    return total + conv(512, 4096, 7) + conv(4096, 4096) + conv(4096, 1000)


def vgg_m(bottleneck: int) -> int:
    """CNN-M: conv1 7x7 96, conv2 5x5 256, three 3x3 512, fc6 6x6 4096,
    fc7 `bottleneck`, fc8 1000."""
    return (conv(3, 96, 7) + conv(96, 256, 5) + conv(256, 512, 3) + 2 * conv(512, 512, 3)
            + conv(512, 4096, 6) + conv(4096, bottleneck) + conv(bottleneck, 1000))


EXACT_PARAMETERS = {
    "alexnet": ALEXNET,
    "caffenet": ALEXNET,
    # 1,248,424 and 1,235,496: torchvision's own num_params for these weights
    "squeezenet1-0": squeezenet(conv(3, 96, 7), [(96, 16, 64)] + FIRES),
    "squeezenet1-1": squeezenet(conv(3, 64, 3), [(64, 16, 64)] + FIRES),
    # 138,357,544 and 143,667,240: torchvision's vgg16 / vgg19 num_params
    "vgg-vd-16": vgg_vd([2, 2, 3, 3, 3]),
    "vgg-vd-19": vgg_vd([2, 2, 4, 4, 4]),
    # VGG-16 convs (14,714,688) + fc6 3x3x512 -> 1024 + fc7 1x1 1024 + fc8 1x1 1000
    "vgg-vd-16-atrous": vgg_vd([2, 2, 3, 3, 3]) - conv(512, 4096, 7) - conv(4096, 4096) - conv(4096, 1000)
    + conv(512, 1024, 3) + conv(1024, 1024) + conv(1024, 1000),
    # CNN-F: 11x11 64, 5x5 256, three 3x3 256, fc6 6x6 over 256 channels
    "vgg-f": conv(3, 64, 11) + conv(64, 256, 5) + 3 * conv(256, 256, 3)
    + conv(256, 4096, 6) + conv(4096, 4096) + conv(4096, 1000),
    # CNN-S has CNN-M's shapes (conv2 5x5 stride 1, pool5 gives 6x6 as well)
    "vgg-s": vgg_m(4096),
    "vgg-m": vgg_m(4096),
    "vgg-m-2048": vgg_m(2048),
    "vgg-m-1024": vgg_m(1024),
    "vgg-m-128": vgg_m(128),
}


def test_hand_counts_are_the_published_ones() -> None:
    """The hand formulas above give the figures the definitions publish."""
    assert EXACT_PARAMETERS["squeezenet1-0"] == 1_248_424
    assert EXACT_PARAMETERS["squeezenet1-1"] == 1_235_496
    assert EXACT_PARAMETERS["vgg-vd-16"] == 138_357_544
    assert EXACT_PARAMETERS["vgg-vd-19"] == 143_667_240

    # SOURCES.md's param checks, in MiB of 4-byte parameters
    def mib(model: str) -> float:
        return 4 * EXACT_PARAMETERS[model] / 2**20

    assert round(mib("vgg-vd-16-atrous"), 2) == 82.05
    assert [round(mib(m), 1) for m in ("vgg-m", "vgg-m-2048", "vgg-m-1024", "vgg-m-128", "vgg-f", "alexnet")] == \
        [392.6, 352.7, 332.8, 315.4, 232.1, 232.6]


@pytest.mark.parametrize("model", sorted(EXACT_PARAMETERS))
def test_exact_parameters(model: str) -> None:
    totals = analyze(load(SPECS / f"{model}.arch")).totals
    assert (totals.params, totals.buffers) == (EXACT_PARAMETERS[model], 0)


# ---------------------------------------------------------------------------
# (3) Family parameters: the VGG-M variants are one definition (fc7 width
#     `bottleneck`), VGG-16/19 one trunk (`convs` per stage 3 to 5).


def test_vgg_m_bottleneck_override_builds_a_hypothetical_variant() -> None:
    for variant, width in [("vgg-m-2048", 2048), ("vgg-m-1024", 1024), ("vgg-m-128", 128)]:
        assert analyze(load(SPECS / "vgg-m.arch", bottleneck=width)).totals.params == \
            analyze(load(SPECS / f"{variant}.arch")).totals.params == vgg_m(width)
    spec = load(SPECS / "vgg-m.arch", bottleneck=512)
    result = analyze(spec)
    fc7 = next(cost for cost in result.layers if cost.name.endswith("fc7"))
    assert fc7.output_shape == (512, 1, 1)
    # vgg-m less its fc7 and fc8: 102,908,520 - 16,781,312 - 4,097,000 = 82,030,208;
    # fc7 512 * 4096 + 512 = 2,097,664; fc8 1000 * 512 + 1000 = 513,000
    assert result.totals.params == vgg_m(512) == 82_030_208 + 2_097_664 + 513_000


def test_vgg_vd_depth_override() -> None:
    assert analyze(load(SPECS / "vgg-vd-16.arch", convs=4)).totals.params == vgg_vd([2, 2, 4, 4, 4])
    assert analyze(load(SPECS / "vgg-vd-16.arch", convs=5)).totals.params == vgg_vd([2, 2, 5, 5, 5])


# ---------------------------------------------------------------------------
# (4) Shapes away from the reference size.  A floor window gives
#     out = floor((in + pad_before + pad_after - kernel) / stride) + 1.
#     MatConvNet stores Caffe's ceil pooling as floor pooling with bottom/right
#     pad min(pad + stride - 1, kernel - 1) at every size (matconvnet
#     utils/layers.py, CaffePooling), so a 3x3/2 pool gets (0, 1, 0, 1) and a
#     3x3/3 pool (0, 2, 0, 2).  mcnPyTorch instead adds 1 only where ceil and
#     floor differed at 224.


def sides(model: str, side: int, names: list[str]) -> list[int]:
    result = analyze(load(SPECS / f"{model}.arch"), size=(side, side), upto=names[-1])
    shapes = {cost.name: cost.output_shape for cost in result.layers}
    out = []
    for name in names:
        _, h, w = shapes[name]
        assert h == w
        out.append(h)
    return out


def test_caffenet_at_half_size() -> None:
    """CaffeNet at 0.5 x 224 = 112:
      conv1 11/4:       floor((112 - 11) / 4) + 1     = 26
      pool1 3/2 (0,1):  floor((26 + 1 - 3) / 2) + 1   = 13   (no pad: 12)
      conv2 5 pad 2:    13;  pool2: floor((13 + 1 - 3) / 2) + 1 = 6
      conv3-5 pad 1:    6;   pool5: floor((6 + 1 - 3) / 2) + 1  = 3"""
    assert sides("caffenet", 112, ["conv1.conv", "pool1", "conv2.conv", "pool2", "conv5.conv", "pool5"]) == \
        [26, 13, 13, 6, 6, 3]
    # Feature memory to pool5, one image: every output but the in-place ReLUs.
    elements = (26 * 26 * 96 + 13 * 13 * 96 * 2       # conv1, pool1, norm1
                + 13 * 13 * 256 + 6 * 6 * 256 * 2     # conv2, pool2, norm2
                + 6 * 6 * 384 * 2 + 6 * 6 * 256       # conv3, conv4, conv5
                + 3 * 3 * 256)                        # pool5
    # FLOPs (burden.m): conv out * (k*k*cin/groups + 1); ReLU 2 * out;
    # max pool 2 * out * stride^2; LRN out + (2 + 2C) * H * W.
    flops = (26 * 26 * 96 * (11 * 11 * 3 + 1) + 2 * 26 * 26 * 96
             + 2 * 13 * 13 * 96 * 4 + 13 * 13 * 96 + (2 + 2 * 96) * 13 * 13
             + 13 * 13 * 256 * (5 * 5 * 48 + 1) + 2 * 13 * 13 * 256
             + 2 * 6 * 6 * 256 * 4 + 6 * 6 * 256 + (2 + 2 * 256) * 6 * 6
             + 6 * 6 * 384 * (3 * 3 * 256 + 1) + 2 * 6 * 6 * 384
             + 6 * 6 * 384 * (3 * 3 * 192 + 1) + 2 * 6 * 6 * 384
             + 6 * 6 * 256 * (3 * 3 * 192 + 1) + 2 * 6 * 6 * 256
             + 2 * 3 * 3 * 256 * 4)
    totals = analyze(load(SPECS / "caffenet.arch"), size=(112, 112), upto="pool5").totals
    assert (totals.output_shape, totals.feature_bytes, totals.flops) == ((256, 3, 3), 4 * elements, flops)
    assert elements == 198_208


def test_vgg_s_at_half_size() -> None:
    """VGG-S at 112:
      conv1 7/2:          floor((112 - 7) / 2) + 1     = 53
      pool1 3/3 (0,2):    floor((53 + 2 - 3) / 3) + 1  = 18
      conv2 5, no pad:    18 - 5 + 1                   = 14
      pool2 2/2 (0,1):    floor((14 + 1 - 2) / 2) + 1  = 7
      conv3-5 pad 1:      7
      pool5 3/3 (0,2):    floor((7 + 2 - 3) / 3) + 1   = 3
    (Caffe's ceil gives 3 too; cnn_imagenet_init.m's pad (0,1) would give 2.)"""
    assert sides("vgg-s", 112, ["conv1.conv", "pool1", "conv2.conv", "pool2", "conv5.conv", "pool5"]) == \
        [53, 18, 14, 7, 7, 3]


def test_vgg_vd_pools_at_one_and_a_half() -> None:
    """VGG-16 at 336: the 2x2/2 pools get pad (0,1,0,1), which shows at the
    odd 21: pool5 = floor((21 + 1 - 2) / 2) + 1 = 11 (unpadded: 10)."""
    assert sides("vgg-vd-16", 336, ["features.pool1", "features.pool4", "features.pool5"]) == [168, 21, 11]


def test_squeezenet_pools_at_half_size() -> None:
    """SqueezeNet 1.0 at 112: conv1 floor((112 - 7) / 2) + 1 = 53;
    features_2 (no pad) floor((53 - 3) / 2) + 1 = 26; features_6, padded
    (0,1,0,1) at import because 224 gave 54 -> 26.5: floor((26 + 1 - 3) / 2) + 1 = 13;
    features_11 floor((13 - 3) / 2) + 1 = 6; the trunk features_12_cat is
    6 x 6 x (256 + 256)."""
    assert sides("squeezenet1-0", 112, ["features_0", "features_2", "features_6", "features_11"]) == \
        [53, 26, 13, 6]
    totals = analyze(load(SPECS / "squeezenet1-0.arch"), size=(112, 112), upto="features_12_cat").totals
    assert totals.output_shape == (512, 6, 6)
