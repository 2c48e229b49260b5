"""Each layer kind's arithmetic, checked by hand: shapes, parameters and the
burden convention's FLOPs (the reference's core/burden.m rules)."""

from __future__ import annotations

import pytest

from archspec import analyze, loads
from archspec.errors import ArchError
from archspec.kinds.shape import sliding_output


def one(spec: str, size: tuple[int, int] | None = None):  # type: ignore[no-untyped-def]
    """The last layer of a small spec."""
    return analyze(loads(spec), size=size).layers[-1]


@pytest.mark.parametrize("size,kernel,stride,pads,dilation,ceil,expected", [
    (224, 7, 2, (3, 3), 1, False, 112),   # floor((224 + 6 - 7) / 2) + 1 = 112
    (112, 3, 2, (0, 1), 1, False, 56),    # MatConvNet form of Caffe ceil pooling: floor((112 + 1 - 3)/2) + 1
    (112, 3, 2, (0, 0), 1, True, 56),     # ceil((112 - 3) / 2) + 1 = 56
    (113, 3, 2, (0, 0), 1, True, 56),     # ceil(110 / 2) + 1 = 56
    (114, 3, 2, (0, 0), 1, True, 57),     # ceil(111 / 2) + 1 = 57
    (13, 3, 2, (1, 1), 1, True, 7),       # ceil(12 / 2) + 1 = 7, last window starts at 12 < 13 + 1: kept
    (6, 2, 2, (1, 1), 1, True, 4),        # ceil(6 / 2) + 1 = 4; window 3 starts at 6 >= 6 + 1? no: kept
    (5, 2, 2, (1, 1), 1, True, 3),        # ceil(5 / 2) + 1 = 4, but window 3 starts at 6 >= 5 + 1: dropped
    (65, 3, 1, (12, 12), 12, False, 65),  # dilated: effective kernel 25; 65 + 24 - 25 + 1 = 65
])
def test_sliding_window_sizes(size: int, kernel: int, stride: int, pads: tuple[int, int], dilation: int,
                              ceil: bool, expected: int) -> None:
    assert sliding_output(size, kernel, stride, pads[0], pads[1], dilation, ceil) == expected


def test_convolution_parameters_flops_and_macs() -> None:
    conv = one("input 3 x 224 x 224\nconv(64, 7, stride=2, pad=3)")
    assert conv.output_shape == (64, 112, 112)
    assert conv.params == 64 * 3 * 7 * 7 + 64  # 9,472
    # burden: out elements x (7·7·3) + out elements for the bias
    assert conv.macs == 112 * 112 * 64 * 7 * 7 * 3 == 118_013_952
    assert conv.flops == 118_013_952 + 112 * 112 * 64


def test_grouped_and_depthwise_convolution() -> None:
    grouped = one("input 256 x 14 x 14\nconv(256, 3, pad=1, groups=32, bias=false)")
    assert grouped.params == 256 * (256 // 32) * 3 * 3  # 18,432
    assert grouped.flops == 14 * 14 * 256 * (3 * 3 * 8)
    depthwise = one("input 32 x 112 x 112\nconv(32, 3, pad=1, groups=32, bias=false)")
    assert depthwise.params == 32 * 9
    assert depthwise.flops == 112 * 112 * 32 * 9


def test_asymmetric_padding_and_rectangular_kernels() -> None:
    conv = one("input 8 x 17 x 17\nconv(4, (1, 7), pad=(0, 3))")
    assert conv.output_shape == (4, 17, 17)
    assert conv.params == 4 * 8 * 1 * 7 + 4
    pool = one("input 8 x 224 x 224\nmaxpool(3, stride=2, pad=(0, 1, 0, 1))")
    assert pool.output_shape == (8, 112, 112)  # floor((224 + 1 - 3) / 2) + 1 = 112


def test_batch_norm_has_two_learnables_and_two_statistics_per_channel() -> None:
    bn = one("input 64 x 8 x 8\nbn")
    assert (bn.params, bn.buffers, bn.flops) == (128, 128, 0)  # BN merged into the conv at test time


def test_relu_is_in_place_and_costs_two_flops_per_element() -> None:
    relu = one("input 64 x 8 x 8\nrelu")
    assert (relu.feature_bytes, relu.flops) == (0, 2 * 64 * 8 * 8)


def test_pooling_counts_the_stride_not_the_window() -> None:
    pool = one("input 64 x 112 x 112\nmaxpool(3, stride=2, pad=(0, 1, 0, 1))")
    assert pool.flops == 2 * (56 * 56 * 64) * (2 * 2)
    avg = one("input 2048 x 7 x 7\navgpool(7, stride=1)")
    assert avg.flops == 2 * 2048 * 1 * 1  # stride 1 x 1
    glob = one("input 2048 x 7 x 7\ngavgpool")
    assert (glob.output_shape, glob.flops) == ((2048, 1, 1), 2048 * 7 * 7)  # one per input element


def test_lrn_cost() -> None:
    lrn = one("input 96 x 55 x 55\nlrn(5, alpha=0.0001, beta=0.75)")
    # out elements + (2 + 2C) x H x W
    assert lrn.flops == 96 * 55 * 55 + (2 + 2 * 96) * 55 * 55


def test_merges() -> None:
    spec = "input 16 x 4 x 4\na = conv(16, 1)\nb = in > conv(16, 1)\ng = in > gavgpool > sigmoid\n"
    assert one(spec + "add(a, b, in)").flops == 16 * 4 * 4  # a sum costs one per output element
    assert one(spec + "max(a, b, in)").flops == 3 * 16 * 4 * 4  # N inputs: N per output element
    assert one(spec + "mul(a, g)").flops == 16 * 4 * 4
    assert one(spec + "axpy(g, a, b)").flops == 2 * 16 * 4 * 4
    cat = one(spec + "concat(a, b, in)")
    assert (cat.output_shape, cat.flops) == ((48, 4, 4), 0)


def test_free_layers_still_allocate() -> None:
    for kind in ("softmax", "sigmoid", "flatten"):
        layer = one(f"input 10 x 2 x 2\n{kind}")
        assert (layer.flops, layer.feature_bytes) == (0, 40 * 4), kind
    # autonn turns a kept dropout into a mask layer (vl_nnmask) and the dropout
    # itself: two variables of the output's size, both counted by burden.m
    dropout = one("input 10 x 2 x 2\ndropout")
    assert (dropout.flops, dropout.feature_bytes) == (0, 2 * 40 * 4)
    assert one("input 12 x 2 x 2\nreshape(3, -1, 4)").output_shape == (3, 4, 4)


def test_fully_connected_weights_cover_the_reference_input() -> None:
    spec = loads("input 256 x 6 x 6\nfc(4096)")
    ref = analyze(spec).layers[-1]
    assert ref.params == 4096 * 256 * 6 * 6 + 4096
    assert ref.output_shape == (4096, 1, 1)
    # as in MatConvNet, at a larger input the same weights slide: 13 - 6 + 1 = 8
    big = analyze(spec, size=(13, 13)).layers[-1]
    assert (big.output_shape, big.params) == ((4096, 8, 8), ref.params)
    assert big.flops == 8 * 8 * 4096 * (256 * 6 * 6) + 8 * 8 * 4096


def test_gelu_by_hand_and_as_each_tool_counts_it() -> None:
    """GELU on 8 x 5 x 7 (280 elements), the figures each tool printed for
    torch.nn.GELU on a 1 x 8 x 5 x 7 input (both approximations): ptflops 560 (its
    module hook and the patched F.gelu both count), calflops 280, fvcore, thop and
    FlopCounterMode 0.  The reference's rules leave erf out, as they leave a sigmoid's
    exponential out.  Its output is a new tensor: 280 x 4 B."""
    for text in ("gelu", 'gelu(approximate="tanh")'):
        spec = loads(f"input 8 x 5 x 7\nx = {text}\n")
        figures = {c: analyze(spec, convention=c).totals.flops
                   for c in ("burden", "macs", "flops", "fvcore", "ptflops", "thop", "calflops")}
        assert figures == {"burden": 0, "macs": 0, "flops": 0, "fvcore": 0, "ptflops": 560, "thop": 0,
                           "calflops": 280}
        assert analyze(spec).totals.feature_bytes == 280 * 4


def test_gelu_backward_keeps_its_input() -> None:
    """conv(8, 1) > gelu on 8 x 5 x 7: the GELU's input gradient dy·(Φ(x) + x·φ(x)) is a
    multiply, an add and a multiply per element, 3 x 280 = 840; it keeps its input (the
    conv's output, 280 x 4 B), which the conv's weight gradient does not need."""
    from archspec.costs.training import training

    spec = loads("input 8 x 5 x 7\nx = conv(8, 1) > gelu\n")
    t = training(analyze(spec))
    assert (t.layers[1].backward_input_flops, t.layers[1].saved_bytes) == (840, 280 * 4)


def test_gelu_rejects_an_unknown_approximation() -> None:
    from archspec.errors import ArchError

    with pytest.raises(ArchError, match="approximate"):
        analyze(loads('input 8 x 5 x 7\nx = gelu(approximate="fast")\n'))


def test_a_ceil_mode_window_larger_than_its_input_gives_one_position() -> None:
    """Caffe and PyTorch: ceil((n + pads − k) / s) + 1, less one only if that window would
    start in the trailing padding.  maxpool(3, stride=2, ceil) on 2 x 2: ceil(−1/2) + 1 = 1;
    avgpool((2, 3), stride=(2, 3), ceil) on 4 x 1: heights ceil(2/2) + 1 = 2, widths
    ceil(−2/3) + 1 = 1; on 1 x 1 a 3-window with stride 2: ceil(−2/2) + 1 = 0, still empty."""
    assert one("input 1 x 2 x 2\nmaxpool(3, stride=2, ceil=true)").output_shape == (1, 1, 1)
    assert one("input 1 x 4 x 1\navgpool((2, 3), stride=(2, 3), ceil=true)").output_shape == (1, 2, 1)
    with pytest.raises(ArchError, match="smallest square input that works is 2 x 2"):
        analyze(loads("input 1 x 1 x 1\nmaxpool(3, stride=2, ceil=true)"))


def test_size_replaces_a_reference_input_that_is_too_small() -> None:
    """The spec's own 2 x 2 is too small for a floor-mode 3-window, but --size 9 x 9
    works: floor((9 − 3) / 2) + 1 = 4 per side."""
    graph = loads("input 1 x 2 x 2\nmaxpool(3, stride=2)")
    assert analyze(graph, size=(9, 9)).totals.output_shape == (1, 4, 4)
    with pytest.raises(ArchError, match="smallest square input that works is 3 x 3"):
        analyze(graph)
