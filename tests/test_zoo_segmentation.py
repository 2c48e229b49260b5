"""Segmentation and keypoint models (FCN, DeepLab-v2, OpenPose) and the layer
kinds they need: transposed convolution, crop and bilinear resize.

Figures come from tests/data/example_reports.json (pascal-fcn32s's report) or
from hand arithmetic, worked out in the comments."""

from __future__ import annotations

import pytest
from reference import SPECS, scaled

from archspec import ArchError, analyze, load, loads
from archspec.kinds.conv import Deconv
from archspec.kinds.segmentation import Crop, Interp
from archspec.kinds.shape import ShapeError

SCALES = (0.5, 1, 1.5, 2, 2.5, 3)


def site(layer, inputs):  # type: ignore[no-untyped-def]
    return layer.site(list(inputs))


def burden(s):  # type: ignore[no-untyped-def]
    return s.layer.flops_under("burden")(s)


@pytest.mark.parametrize("model", ["pascal-fcn16s", "pascal-fcn8s", "deeplab-vggvd-v2",
                                   "deeplab-res101-v2", "multipose-mpi", "multipose-coco"])
def test_whole_network_runs_at_every_report_scale(model: str) -> None:
    """Not only the trunk: the crops, skips, resizes and the max fusion must
    fit at every input size of the reports."""
    spec = load(SPECS / f"{model}.arch")
    _, h, w = spec.nodes[spec.input_ids[0]].shape  # type: ignore[misc]
    for scale in SCALES:
        assert analyze(spec, size=scaled((h, w), scale)).totals.flops > 0


# ---- transposed convolution ------------------------------------------------

def test_deconv_4x4_stride_2_by_hand() -> None:
    # FCN's upscore2 on 12x12x21: (12 - 1) * 2 + 4 = 26 per side.
    layer = Deconv(out=21, kernel=4, stride=2, bias=False)
    s = site(layer, [(21, 12, 12)])
    assert s.output == (21, 26, 26)
    # weights 21 in x 21 out x 4 x 4 = 7,056, no bias
    assert layer.parameters([(21, 12, 12)]) == {"weight": 7056}
    # in_elements x (kh kw out / groups) = 12*12*21 x 4*4*21 = 3,024 x 336
    assert burden(s) == 1_016_064
    assert s.layer.macs(s) == 1_016_064
    # with a bias, one addition per output element: + 26*26*21 = 14,196
    biased = Deconv(out=21, kernel=4, stride=2)
    assert burden(site(biased, [(21, 12, 12)])) == 1_016_064 + 14_196


def test_deconv_groups_and_pad() -> None:
    # 4 groups, 8 -> 8 channels, 3x3/2 with Caffe pad 1: (5 - 1) * 2 + 3 - 2 = 9
    layer = Deconv(out=8, kernel=3, stride=2, pad=1, groups=4, bias=False)
    s = site(layer, [(8, 5, 5)])
    assert s.output == (8, 9, 9)
    assert layer.parameters([(8, 5, 5)]) == {"weight": 8 * 2 * 3 * 3}
    assert burden(s) == 8 * 5 * 5 * 3 * 3 * 2  # in_elements x kh kw out/groups


# ---- crop ------------------------------------------------------------------

def test_crop_takes_the_reference_size_and_costs_nothing() -> None:
    # FCN-32s: upscore 448x448x21 cropped to the 384x384 image at offset 19
    s = site(Crop(offset=19), [(21, 448, 448), (3, 384, 384)])
    assert s.output == (21, 384, 384)
    assert burden(s) == 0
    # the offset places the window, it never changes its size (vl_nncrop_wrapper
    # cuts min(offset, surplus) at the top/left, the rest at the bottom/right)
    assert Crop(offset=(200, 0)).output_shape([(21, 448, 448), (3, 384, 384)]) == (21, 384, 384)


def test_crop_larger_than_its_input_is_a_shape_error() -> None:
    with pytest.raises(ShapeError, match="cannot crop 10x10x21 to the larger 16x16"):
        Crop(offset=5).output_shape([(21, 10, 10), (3, 16, 16)])
    # in a spec: a located error (at load, where the reference-size shapes are made)
    text = "model t\ninput 3 x 16 x 16\nsmall = conv(21, 7)\nbig = crop(small, in, offset=5)\n"
    with pytest.raises(ArchError, match="crop 'big' at line 4: cannot crop"):
        analyze(loads(text))


# ---- bilinear resize (vl_nninterp) -----------------------------------------

def test_interp_zoom_8_of_65_gives_513() -> None:
    # vl_nninterp: n = (65 - 1) / 1 + 1 = 65; round(65 + 64 * 7) = 513
    s = site(Interp(zoom=8), [(21, 65, 65)])
    assert s.output == (21, 513, 513)
    assert burden(s) == 4 * 513 * 513 * 21 == 22_106_196
    assert s.layer.macs(s) == 0


def test_interp_shrink_then_zoom_in_one_layer() -> None:
    # DeepLab's 0.75 input: n = (513 - 1) / 4 + 1 = 129; round(129 + 128 * 2) = 385
    assert Interp(shrink=4, zoom=3).output_shape([(3, 513, 513)]) == (3, 385, 385)
    # its 49x49 scores back to 65: n = 48 / 3 + 1 = 17; round(17 + 16 * 3) = 65
    assert Interp(zoom=4, shrink=3).output_shape([(21, 49, 49)]) == (21, 65, 65)
    # at 1283 (2.5 x 513): n = 1282 / 4 + 1 = 321.5; 321.5 + 320.5 * 2 = 962.5,
    # and MATLAB's round takes halves away from zero: 963
    assert Interp(shrink=4, zoom=3).side(1283) == 963
    # pads widen the input first: (10 + 1 + 1 - 1) / 2 + 1 = 6.5 -> 7
    assert Interp(shrink=2, pad_beg=1, pad_end=1).side(10) == 7


def test_interp_to_a_reference_tensor() -> None:
    assert Interp().output_shape([(21, 49, 49), (21, 65, 65)]) == (21, 65, 65)
    with pytest.raises(ShapeError, match="takes no zoom"):
        Interp(zoom=2).output_shape([(21, 49, 49), (21, 65, 65)])


# ---- the models' particular figures -----------------------------------------

def test_deeplab_res101_fuses_three_scales_by_max() -> None:
    spec = load(SPECS / "deeplab-res101-v2.arch")
    layers = {c.name: c for c in analyze(spec).layers}
    # scores at 513, 385 and 257: 65, 49 and 33 per side (output stride 8)
    assert layers["fc1_voc12_res075_interp"].output_shape == (21, 65, 65)
    assert layers["fc1_voc12_res05_interp"].output_shape == (21, 65, 65)
    # element-wise max of 3 inputs: out_elements x 3 = 65*65*21*3
    assert layers["fc_fusion"].flops == 266_175
    assert layers["fc1_interp"].output_shape == (21, 513, 513)


def test_multipose_last_relu_is_not_in_place() -> None:
    """The importer leaves the last layer reading Mconv6_stage6_L2 before its
    ReLU, so that ReLU's output is a 46x46x128 tensor of its own (4 bytes each:
    1,083,392 B); the same ReLU of stage 5 writes over its input."""
    layers = {c.name: c for c in analyze(load(SPECS / "multipose-coco.arch")).layers}
    assert layers["Mconv6_stage6_L2.Mrelu6_L2"].feature_bytes == 46 * 46 * 128 * 4
    assert layers["stage5.Mrelu6_L2"].feature_bytes == 0


def test_deeplab_vgg_dropout_keeps_mask_and_output() -> None:
    # each of the 8 dropouts on 65x65x1024 keeps two tensors: 2 * 65*65*1024*4 B
    layers = analyze(load(SPECS / "deeplab-vggvd-v2.arch")).layers
    dropouts = [c for c in layers if c.kind == "dropout"]
    assert len(dropouts) == 8
    assert {c.feature_bytes for c in dropouts} == {2 * 65 * 65 * 1024 * 4}
