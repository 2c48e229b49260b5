"""The modern layer kinds (issue 13), checked by hand: shapes, parameters, the
burden convention's rules by analogy (docs/conventions.md) and each peer
tool's count.

Peer figures marked "tool output" are what each tool printed for the
torchvision module named, on a batch-1 input of the shape given (fvcore
FlopCountAnalysis(...).total(); ptflops get_model_complexity_info, pytorch
backend; thop.profile; calflops calculate_flops FLOPs; FlopCounterMode), as
recorded in the peer-rules study (torch 2.14.1, fvcore 0.1.5.post20221221,
ptflops 0.7.5, thop 0.1.1.post2209072238, calflops 0.3.2).  The `macs` and
`flops` profiles are the multiply-accumulates once and twice.
"""

from __future__ import annotations

import pytest

from archspec import analyze, loads
from archspec.conventions import CONVENTIONS
from archspec.costs.memory import liveness
from archspec.costs.training import training
from archspec.errors import ArchError


def figures(text: str, size: tuple[int, int] | None = None) -> dict[str, int]:
    """Total FLOPs of a spec under every convention."""
    spec = loads(text)
    return {name: analyze(spec, size=size, convention=name).totals.flops for name in CONVENTIONS}


def last(text: str, size: tuple[int, int] | None = None):  # type: ignore[no-untyped-def]
    return analyze(loads(text), size=size).layers[-1]


# --- linear ----------------------------------------------------------------------------

def test_linear_on_tokens() -> None:
    """nn.Linear(16, 32) on 5 tokens of 16 (held as 16 x 5 x 1).  MACs 5·16·32 = 2,560;
    bias 5·32 = 160.  Tool output on a [1, 5, 16] input: fvcore 2,560, ptflops 2,720,
    thop 2,560, calflops 5,120, FlopCounterMode 5,120.  burden: MACs + bias = 2,720.
    Parameters 16·32 + 32 = 544."""
    assert figures("input 16 x 5 x 1\nx = linear(32)\n") == {
        "burden": 2720, "macs": 2560, "flops": 5120, "fvcore": 2560, "ptflops": 2720, "thop": 2560,
        "calflops": 5120}
    layer = last("input 16 x 5 x 1\nx = linear(32)\n")
    assert (layer.output_shape, layer.params) == ((32, 5, 1), 544)
    # without a bias every MAC-based count is 2,560 (tool output: ptflops 2,560)
    assert figures("input 16 x 5 x 1\nx = linear(32, bias=false)\n")["ptflops"] == 2560
    assert last("input 16 x 5 x 1\nx = linear(32, bias=false)\n").params == 512


def test_linear_on_a_vector_and_channels_last() -> None:
    """nn.Linear(16, 32) on a [1, 16] vector: tool output fvcore 512, ptflops 544, thop 512,
    calflops 1,024.  nn.Linear(8, 32) on an NHWC 1x5x7x8 tensor (ConvNeXt's MLP after a
    permute): 35 positions x 8 x 32 = 8,960 MACs; tool output fvcore 8,960, ptflops 10,080
    (+ 35·32 bias), thop 8,960, calflops 17,920, FlopCounterMode 17,920."""
    vector = figures("input 16\nx = linear(32)\n")
    assert (vector["fvcore"], vector["ptflops"], vector["thop"], vector["calflops"]) == (512, 544, 512, 1024)
    nhwc = figures("input 8 x 5 x 7\nx = linear(32)\n")
    assert (nhwc["fvcore"], nhwc["ptflops"], nhwc["thop"], nhwc["calflops"], nhwc["flops"]) == (
        8960, 10080, 8960, 17920, 17920)


def test_linear_refuses_other_input_features() -> None:
    """conv(4) on 32 x 32, flattened: 4·32·32 = 4,096 features fix the weights.  At 64 x 64
    the flatten gives 4·64·64 = 16,384: nn.Linear would raise; so does archspec, naming
    the expected features and the cure."""
    spec = loads("input 3 x 32 x 32\nfeatures = conv(4, 3, pad=1)\nhead = flatten > linear(10)\n")
    assert analyze(spec).layers[-1].params == 4096 * 10 + 10
    with pytest.raises(ArchError, match=r"linear 'head.linear' at line 3: expects 4,096 input features "
                                        r"\(its weights\), got 16,384; put an adaptiveavgpool"):
        analyze(spec, size=(64, 64))
    # an adaptive pool keeps the head's input at 4·2·2 = 16 features at every size
    pooled = loads("input 3 x 32 x 32\nfeatures = conv(4, 3, pad=1)\n"
                   "head = adaptiveavgpool(2) > flatten > linear(10)\n")
    for size in ((32, 32), (64, 64), (45, 71)):
        assert analyze(pooled, size=size).layers[-1].params == 16 * 10 + 10


def test_linear_with_stated_features_must_match() -> None:
    with pytest.raises(ArchError, match="expects 12 input features"):
        analyze(loads("input 16 x 5 x 1\nx = linear(32, in_features=12)\n"))


# --- adaptive pooling -------------------------------------------------------------------

@pytest.mark.parametrize("shape,size,expected", [
    # tool output for nn.AdaptiveAvgPool2d (fvcore, ptflops, thop, calflops)
    ((8, 5, 7), 1, (280, 560, 288, 280)),      # thop: (5·7 + 1) x 8 = 288
    ((8, 13, 13), 6, (1352, 2704, 1639, 1352)),  # thop: float64 ((13/6)² + 1)·288 = 1639.99…, truncated
    ((8, 7, 7), 7, (392, 784, 784, 392)),      # thop: (1 + 1) x 392
    ((8, 10, 10), 7, (800, 1600, 1192, 800)),  # thop: ((10/7)² + 1)·392 = 1192.0 in float64
])
def test_adaptive_average_pooling_as_each_tool_counts_it(shape: tuple[int, int, int], size: int,
                                                         expected: tuple[int, int, int, int]) -> None:
    c, h, w = shape
    got = figures(f"input {c} x {h} x {w}\nx = adaptiveavgpool({size})\n")
    assert (got["fvcore"], got["ptflops"], got["thop"], got["calflops"]) == expected
    assert got["burden"] == c * h * w  # one per input element, as global pooling
    assert (got["macs"], got["flops"]) == (0, 0)
    assert last(f"input {c} x {h} x {w}\nx = adaptiveavgpool({size})\n").output_shape == (c, size, size)


def test_thop_adaptive_pooling_truncates_its_float_product() -> None:
    """8 x 8 → 7 x 7 over 64 channels: exactly ((8/7)² + 1)·3,136 = 7,232, but thop's
    float64 product gives 7,231.999…, truncated to 7,231 (confirmed by running thop)."""
    assert figures("input 64 x 8 x 8\nx = adaptiveavgpool(7)\n")["thop"] == 7231


def test_adaptive_max_pooling() -> None:
    """nn.AdaptiveMaxPool2d(1) on 1x8x5x7, tool output: fvcore 0, ptflops 560, thop 0,
    calflops 280.  A (6, 4) output of 8 x 13 x 13: 8 x 6 x 4."""
    got = figures("input 8 x 5 x 7\nx = adaptivemaxpool(1)\n")
    assert (got["burden"], got["fvcore"], got["ptflops"], got["thop"], got["calflops"]) == (280, 0, 560, 0, 280)
    assert last("input 8 x 13 x 13\nx = adaptivemaxpool((6, 4))\n").output_shape == (8, 6, 4)


def test_adaptive_windows_overlap_in_the_backward() -> None:
    """13 rows into 6 windows: window i covers floor(13i/6) to ceil(13(i+1)/6):
    0-3, 2-5, 4-7, 6-9, 8-11, 10-13, 3 rows each, 18 in all (13 rows, 5 of them twice).
    The input gradient spreads each output gradient over its window: 8 x 18 x 18 = 2,592."""
    spec = loads("input 8 x 13 x 13\nx = conv(8, 1) > adaptiveavgpool(6)\n")
    pool = training(analyze(spec)).layers[1]
    assert pool.backward_input_flops == 8 * 18 * 18


# --- activations ------------------------------------------------------------------------

@pytest.mark.parametrize("kind,burden,ptflops,calflops", [
    # tool output on 1x8x5x7 (280 elements): fvcore, thop and FlopCounterMode 0 for all four
    ("relu6", 2 * 280, 280, 0),     # ptflops: module hook only; calflops: F.hardtanh not patched
    ("hardsigmoid", 2 * 280, 0, 0),  # piecewise linear: priced like ReLU
    ("hardswish", 3 * 280, 0, 0),   # a hard sigmoid times x: one multiply more
    ("silu", 280, 280, 280),        # σ not counted, the multiply by x is; ptflops: the patched F.silu
])
def test_activations_as_each_tool_counts_them(kind: str, burden: int, ptflops: int, calflops: int) -> None:
    assert figures(f"input 8 x 5 x 7\nx = {kind}\n") == {
        "burden": burden, "macs": 0, "flops": 0, "fvcore": 0, "ptflops": ptflops, "thop": 0,
        "calflops": calflops}


def test_in_place_activations_at_inference_and_in_training() -> None:
    """relu6, hardswish and silu overwrite their input at inference (torchvision runs
    them inplace=True): a conv's 8 x 5 x 7 output (1,120 B) then a ReLU6 peak at 1,120 B.
    hardsigmoid makes a new tensor: 2,240 B.  In training autograd keeps the
    activation's input (it copies it before an in-place op), so the ReLU6 allocates:
    its backward keeps 1,120 B."""
    for kind, peak in (("relu6", 1120), ("hardswish", 1120), ("silu", 1120), ("hardsigmoid", 2240)):
        spec = loads(f"input 8 x 5 x 7\nx = conv(8, 1) > {kind}\n")
        assert liveness(analyze(spec)).peak_bytes == peak, kind
    spec = loads("input 8 x 5 x 7\nx = conv(8, 1) > relu6\n")
    relu6 = training(analyze(spec)).layers[1]
    assert (relu6.backward_input_flops, relu6.saved_bytes) == (280, 1120)


# --- layer norm and layer scale -----------------------------------------------------------

def test_layernorm_on_tokens() -> None:
    """nn.LayerNorm(16) on 5 tokens of 16 (80 elements); tool output fvcore 400, ptflops 80,
    thop 320, calflops 400; without affine weights 320, 80, 160, 320.  burden, as LRN:
    out + (2 + 2C)·H·W = 80 + (2 + 32)·5 = 250.  Parameters 16 + 16."""
    got = figures("input 16 x 5 x 1\nx = layernorm\n")
    assert got == {"burden": 250, "macs": 0, "flops": 0, "fvcore": 400, "ptflops": 80, "thop": 320,
                   "calflops": 400}
    plain = figures("input 16 x 5 x 1\nx = layernorm(affine=false)\n")
    assert (plain["fvcore"], plain["ptflops"], plain["thop"], plain["calflops"]) == (320, 80, 160, 320)
    assert [last(f"input 16 x 5 x 1\nx = {t}\n").params
            for t in ("layernorm", "layernorm(bias=false)", "layernorm(affine=false)")] == [32, 16, 0]
    assert last("input 16 x 5 x 1\nx = layernorm\n").buffers == 0


def test_layernorm2d_as_torchvision_writes_it() -> None:
    """torchvision's LayerNorm2d on 1x8x5x7 (280 elements), tool output: fvcore 1,400,
    calflops 1,400 (both see F.layer_norm: 5 per element), ptflops 0 and thop 0 (a
    subclass of nn.LayerNorm: their hooks match exact types).  burden:
    280 + (2 + 16)·35 = 910."""
    assert figures('input 8 x 5 x 7\nx = layernorm(form="layernorm2d")\n') == {
        "burden": 910, "macs": 0, "flops": 0, "fvcore": 1400, "ptflops": 0, "thop": 0, "calflops": 1400}
    with pytest.raises(ArchError, match="form"):
        analyze(loads('input 8 x 5 x 7\nx = layernorm(form="groupnorm")\n'))


def test_layerscale_and_droppath() -> None:
    """layer_scale * x on 8 x 5 x 7: 8 parameters, 280 multiplies for burden (like mul),
    0 for every tool (a Python `*`; tool output 0).  StochasticDepth at inference: the
    identity, 0 everywhere (tool output 0), a view: no memory of its own at the peak."""
    assert figures("input 8 x 5 x 7\nx = layerscale\n") == {
        "burden": 280, "macs": 0, "flops": 0, "fvcore": 0, "ptflops": 0, "thop": 0, "calflops": 0}
    assert last("input 8 x 5 x 7\nx = layerscale(init=0.1)\n").params == 8
    assert set(figures("input 8 x 5 x 7\nx = droppath(0.2)\n").values()) == {0}
    spec = loads("input 8 x 5 x 7\nx = conv(8, 1) > droppath(0.2)\n")
    assert liveness(analyze(spec)).peak_bytes == 280 * 4  # the conv's output, shared by the view
    # in training it is a new tensor and keeps one mask element per image
    step = training(analyze(spec, batch=2)).layers[1]
    assert (step.backward_input_flops, step.saved_bytes) == (2 * 280, 2 * 4)


def test_convnext_block_as_each_tool_counts_it() -> None:
    """torchvision's ConvNeXt CNBlock(dim=8) on 1x8x5x7: a depth-wise 7x7 conv, then
    channels-last nn.LayerNorm, Linear(8, 32), GELU, Linear(32, 8), layer scale,
    StochasticDepth and `result += input`.  Tool output: fvcore 33,040, ptflops 35,840,
    thop 32,760, calflops 66,080, FlopCounterMode 63,280.  By hand:
    dwconv 280·49 = 13,720 MACs + 280 bias; LN 280 elements; linear1 35·8·32 = 8,960 MACs
    + 1,120 bias; GELU 1,120 elements; linear2 8,960 MACs + 280 bias.
      fvcore   13,720 + 5·280 + 8,960 + 8,960                       = 33,040
      ptflops  14,000 + 280 + 10,080 + 2·1,120 + 9,240                = 35,840
      thop     13,720 + 4·280 + 8,960 + 8,960                       = 32,760
      calflops 2·13,720 + 280 + 5·280 + 17,920 + 1,120 + 17,920       = 66,080
      flops    2·(13,720 + 8,960 + 8,960)                           = 63,280"""
    text = ("input 8 x 5 x 7\n"
            "branch = conv(8, 7, pad=3, groups=8) > layernorm > linear(32) > gelu > linear(8) "
            "> layerscale > droppath(0.1)\n"
            "out = add(branch, in)\n")
    got = figures(text)
    assert {k: got[k] for k in ("fvcore", "ptflops", "thop", "calflops", "flops", "macs")} == {
        "fvcore": 33040, "ptflops": 35840, "thop": 32760, "calflops": 66080, "flops": 63280, "macs": 31640}


# --- group, instance and RMS norm --------------------------------------------------------

def test_groupnorm() -> None:
    """nn.GroupNorm(2, 8) on 1x8x5x7 (280 elements), tool output: fvcore 1,400, ptflops 560,
    thop 0 (not registered), calflops 1,400.  Without affine weights (GroupNorm(4, 8,
    affine=False), tools/peer_counts.py): fvcore 1,120, ptflops 280, thop 0, calflops 1,120.
    burden, as LRN: 280 + (2 + 2·8)·5·7 = 910.  Parameters: scale and shift, 2 x 8."""
    assert figures("input 8 x 5 x 7\nx = groupnorm(2)\n") == {
        "burden": 910, "macs": 0, "flops": 0, "fvcore": 1400, "ptflops": 560, "thop": 0, "calflops": 1400}
    plain = figures("input 8 x 5 x 7\nx = groupnorm(4, affine=false)\n")
    assert (plain["fvcore"], plain["ptflops"], plain["thop"], plain["calflops"]) == (1120, 280, 0, 1120)
    assert last("input 8 x 5 x 7\nx = groupnorm(2)\n").params == 16
    with pytest.raises(ArchError, match="8 channels do not split into groups=3"):
        analyze(loads("input 8 x 5 x 7\nx = groupnorm(3)\n"))


def test_instancenorm() -> None:
    """nn.InstanceNorm2d(8) on 1x8x5x7, tool output: fvcore 1,120, ptflops 280, thop 560,
    calflops 1,120; with affine=True 1,400, 560, 1,120, 1,400.  No parameters by default
    (PyTorch's), 2 x 8 with affine; never running statistics."""
    assert figures("input 8 x 5 x 7\nx = instancenorm\n") == {
        "burden": 910, "macs": 0, "flops": 0, "fvcore": 1120, "ptflops": 280, "thop": 560, "calflops": 1120}
    affine = figures("input 8 x 5 x 7\nx = instancenorm(affine=true)\n")
    assert (affine["fvcore"], affine["ptflops"], affine["thop"], affine["calflops"]) == (1400, 560, 1120, 1400)
    plain, learnt = (last(f"input 8 x 5 x 7\nx = {t}\n") for t in ("instancenorm", "instancenorm(affine=true)"))
    assert (plain.params, plain.buffers, learnt.params, learnt.buffers) == (0, 0, 16, 0)


def test_rmsnorm() -> None:
    """nn.RMSNorm(16) on 5 tokens of 16: tool output 0 in every tool.  burden, as LRN:
    80 + (2 + 32)·5 = 250.  A scale of 16, no bias."""
    assert figures("input 16 x 5 x 1\nx = rmsnorm\n") == {
        "burden": 250, "macs": 0, "flops": 0, "fvcore": 0, "ptflops": 0, "thop": 0, "calflops": 0}
    assert [last(f"input 16 x 5 x 1\nx = {t}\n").params for t in ("rmsnorm", "rmsnorm(affine=false)")] == [16, 0]


# --- upsampling and pixel shuffle ----------------------------------------------------------

@pytest.mark.parametrize("text,shape,output,expected", [
    # tool output on 1x8x5x7 for nn.Upsample(scale_factor=2) (the peer-rules study): 1,120 outputs;
    # ptflops: its hook (1,120) + the patched F.interpolate, 280 x 2² = 1,120
    ("upsample", (8, 5, 7), (8, 10, 14),
     {"burden": 0, "fvcore": 1120, "ptflops": 2240, "thop": 1120, "calflops": 280}),
    ('upsample(2, mode="bilinear")', (8, 5, 7), (8, 10, 14),
     {"burden": 4480, "fvcore": 4480, "ptflops": 2240, "thop": 12320, "calflops": 280}),
    # tools/peer_counts.py: Upsample(scale_factor=1.5, bilinear): floor(7.5) x floor(10.5) = 7 x 10,
    # 560 outputs; ptflops 560 + 280 x 2.25 = 1,190; thop 11 x 560 = 6,160
    ('upsample(1.5, mode="bilinear")', (8, 5, 7), (8, 7, 10),
     {"burden": 2240, "fvcore": 2240, "ptflops": 1190, "thop": 6160, "calflops": 280}),
    # tools/peer_counts.py: scale (1.5, 2.5): 7 x 17, 952 outputs; ptflops 952 + 280 x int(1.5)·int(2.5)
    # = 1,512; calflops fails (TypeError) on a per-side scale: 0, with the reason in explain
    ("upsample((1.5, 2.5))", (8, 5, 7), (8, 7, 17),
     {"burden": 0, "fvcore": 952, "ptflops": 1512, "thop": 952, "calflops": 0}),
    # tools/peer_counts.py: scale 0.5 on 6 x 8: 3 x 4, 96 outputs; ptflops 96 + 384/4 = 192; calflops 384
    ("upsample(0.5)", (8, 6, 8), (8, 3, 4),
     {"burden": 0, "fvcore": 96, "ptflops": 192, "thop": 96, "calflops": 384}),
])
def test_upsample_by_a_factor_as_each_tool_counts_nn_upsample(text: str, shape: tuple[int, int, int],
                                                                output: tuple[int, int, int],
                                                                expected: dict[str, int]) -> None:
    c, h, w = shape
    spec = f"input {c} x {h} x {w}\nx = {text}\n"
    got = figures(spec)
    assert {k: got[k] for k in expected} == expected
    assert (got["macs"], got["flops"]) == (0, 0)
    assert last(spec).output_shape == output


def test_upsample_to_a_reference_as_f_interpolate() -> None:
    """F.interpolate(x, size=(10, 14)) in a forward, on 1x8x5x7, tool output: fvcore 1,120,
    ptflops 1,120 (the patched functional: prod(size) x N x C), thop 0 (no module),
    calflops 140 (prod(size) alone).  Bilinear: fvcore and burden 4 x 1,120."""
    head = "input 8 x 5 x 7\ninput ref: 1 x 10 x 14 fixed\n"
    spec = loads(head + 'x = upsample(in, ref)\n')
    got = {c: analyze(spec, convention=c).layers[-1].flops for c in CONVENTIONS}
    assert got == {"burden": 0, "macs": 0, "flops": 0, "fvcore": 1120, "ptflops": 1120, "thop": 0, "calflops": 140}
    assert analyze(spec).layers[-1].output_shape == (8, 10, 14)
    bilinear = loads(head + 'x = upsample(in, ref, mode="bilinear")\n')
    assert analyze(bilinear).layers[-1].flops == 4 * 1120
    with pytest.raises(ArchError, match="takes no scale"):
        analyze(loads(head + "x = upsample(in, ref, scale=2)\n"))


def test_upsample_scales_must_be_exact_in_floating_point() -> None:
    """PyTorch computes floor(n·1.15) in double precision (floor(100 x 1.15) = 114, not 115):
    archspec takes only scales that are whole numbers of 1/256ths, where both agree."""
    with pytest.raises(ArchError, match="not a whole number of 1/256ths"):
        loads("input 8 x 5 x 7\nx = upsample(1.15)\n")
    assert last("input 8 x 100 x 100\nx = upsample(1.25)\n").output_shape == (8, 125, 125)


def test_pixel_shuffle_and_unshuffle() -> None:
    """nn.PixelShuffle(2) on 8 x 5 x 7: 8/4 = 2 channels of 10 x 14; PixelUnshuffle(2) on
    8 x 6 x 8: 32 channels of 3 x 4.  Tool output 0 in every tool; new tensors."""
    shuffled = last("input 8 x 5 x 7\nx = pixelshuffle(2)\n")
    unshuffled = last("input 8 x 6 x 8\nx = pixelunshuffle(2)\n")
    assert (shuffled.output_shape, unshuffled.output_shape) == ((2, 10, 14), (32, 3, 4))
    assert (shuffled.feature_bytes, unshuffled.feature_bytes) == (280 * 4, 384 * 4)
    assert set(figures("input 8 x 6 x 8\nx = pixelunshuffle(2) > pixelshuffle(2)\n").values()) == {0}
    with pytest.raises(ArchError, match="does not divide into 2 x 2 blocks"):
        analyze(loads("input 8 x 5 x 7\nx = pixelunshuffle(2)\n"))
    with pytest.raises(ArchError, match="not a multiple of 3²"):
        analyze(loads("input 8 x 5 x 7\nx = pixelshuffle(3)\n"))


# --- channel operations: shuffle, slice, chunk, split ---------------------------------------

def test_shufflenet_v2_unit() -> None:
    """ShuffleNetV2's stride-1 unit on 8 x 5 x 7: x.chunk(2, dim=1), the right half through a
    1x1 conv, concatenated with the left half, channel_shuffle(2).  Tool output for chunk and
    channel_shuffle: 0 in every tool.  The halves are views named after the statement."""
    text = ("input 8 x 5 x 7\nx = conv(8, 1)\nhalves = x > chunk(2)\n"
            "right = halves[1] > conv(4, 1, bias=false)\nout = concat(halves[0], right) > shuffle(2)\n")
    result = analyze(loads(text))
    assert [(c.name, c.kind, c.output_shape) for c in result.layers] == [
        ("x", "conv", (8, 5, 7)), ("halves.0", "slice", (4, 5, 7)), ("halves.1", "slice", (4, 5, 7)),
        ("right", "conv", (4, 5, 7)), ("out.concat", "concat", (8, 5, 7)), ("out.shuffle", "shuffle", (8, 5, 7))]
    # only the convolutions count: 280·(8 + 1) and 140·4
    assert result.totals.flops == 280 * 9 + 140 * 4
    # peak: x (1,120 B, still read through the views) + right (560 B) + the concat (1,120 B)
    assert liveness(result).peak_bytes == 1120 + 560 + 1120


@pytest.mark.parametrize("text,sizes", [
    ("chunk(2)", [4, 4]),
    ("chunk(3)", [3, 3, 2]),        # torch.chunk: pieces of ceil(8/3) = 3
    ("chunk(5)", [2, 2, 2, 2]),     # ceil(8/5) = 2: four pieces, fewer than 5, as torch.chunk gives
    ("split(3)", [3, 3, 2]),        # torch.split(x, 3)
    ("split((2, 6))", [2, 6]),
    ("split((1, 2, 5))", [1, 2, 5]),
])
def test_chunk_and_split_cut_like_torch(text: str, sizes: list[int]) -> None:
    result = analyze(loads(f"input 8 x 5 x 7\nparts = {text}\n"))
    assert [c.output_shape[0] for c in result.layers] == sizes
    assert [c.name for c in result.layers] == [f"parts.{i}" for i in range(len(sizes))]
    assert all(c.layer.storage.inference == "view" for c in result.layers)


def test_chunk_with_the_tensor_first_and_its_errors() -> None:
    spec = loads("input 8 x 5 x 7\nx = conv(6, 1)\nh = chunk(x, 2)\ny = add(h[0], h[1])\n")
    assert analyze(spec).layers[-1].output_shape == (3, 5, 7)
    for text, message in [
        ("h = x > chunk(2) > relu", "chunk makes 2 tensors and a chain passes on one"),
        ("x > chunk(2)", "computes a tuple of 2 tensors but does nothing with it"),
        ("h = x > split((2, 2))", r"split sizes \(2, 2\) add up to 4, but the tensor has 6 channels"),
        ("h = x > chunk(0)", "chunk needs whole numbers of at least 1"),
        ("h = x > chunk", "chunk needs to know how to cut"),
        ("h = x > chunk(2)\ny = h > relu", "got a tuple of 2 tensors"),
        ("h = x > chunk(2)\ny = h[2] > relu", "index 2 is outside a tuple of 2 tensors"),
    ]:
        with pytest.raises(ArchError, match=message):
            loads(f"input 8 x 5 x 7\nx = conv(6, 1)\n{text}\n")


def test_shuffle_and_slice() -> None:
    """channel_shuffle: a new tensor (view, transpose, contiguous), 0 FLOPs; the groups must
    divide the channels.  slice(2, 6): channels 2 to 5."""
    shuffled = last("input 8 x 5 x 7\nx = shuffle(4)\n")
    assert (shuffled.output_shape, shuffled.flops, shuffled.feature_bytes) == ((8, 5, 7), 0, 280 * 4)
    with pytest.raises(ArchError, match="8 channels do not split into groups=3"):
        analyze(loads("input 8 x 5 x 7\nx = shuffle(3)\n"))
    assert last("input 8 x 5 x 7\nx = slice(2, 6)\n").output_shape == (4, 5, 7)
    with pytest.raises(ArchError, match="channels 6 to 10 are not all in"):
        analyze(loads("input 8 x 5 x 7\nx = slice(6, 10)\n"))


# --- padding -------------------------------------------------------------------------------

def test_pad_by_named_sides_and_like_a_conv() -> None:
    """F.pad(x, (left=1, right=2, top=0, bottom=1)) on 4 x 3 x 5: 4 x (3 + 0 + 1) x (5 + 1 + 2)
    = 4 x 4 x 8.  pad((1, 2, 3, 4)) is (top, bottom, left, right) as a conv's pad: 4 x 6 x 12.
    Tool output for F.pad, ZeroPad2d and ReflectionPad2d: 0 in every tool.  Reflect padding's
    backward adds each copied position's gradient back: 128 − 60 = 68 additions."""
    named = last("input 4 x 3 x 5\nx = pad(left=1, right=2, top=0, bottom=1)\n")
    assert (named.output_shape, named.flops) == ((4, 4, 8), 0)
    assert last("input 4 x 3 x 5\nx = pad((1, 2, 3, 4))\n").output_shape == (4, 6, 12)
    assert last("input 4 x 3 x 5\nx = pad(1)\n").output_shape == (4, 5, 7)
    assert set(figures('input 4 x 3 x 5\nx = pad(2, mode="replicate")\n').values()) == {0}
    spec = loads('input 4 x 3 x 5\nx = conv(4, 1) > pad(left=1, right=2, bottom=1, mode="reflect")\n')
    assert training(analyze(spec)).layers[1].backward_input_flops == 4 * 4 * 8 - 4 * 3 * 5
    with pytest.raises(ArchError, match="reflect padding"):
        analyze(loads('input 4 x 3 x 5\nx = pad(3, mode="reflect")\n'))
    with pytest.raises(ArchError, match="not both"):
        loads("input 4 x 3 x 5\nx = pad(1, left=2)\n")


def test_the_sweep_prices_the_new_kinds_as_the_engine_does() -> None:
    """Upsampling by 1.5 and 1.25 makes sides floor(n·p/q), affine within each residue of q;
    pixel unshuffle divides by 2; adaptive pools are constant: the sweep's side model must
    give, at every size, exactly the engine's figures (and fail where the engine fails)."""
    from archspec.costs.sweep import sweep_graph

    spec = loads("input 8 x 32 x 32\nx = conv(8, 3, stride=2, pad=1)\nhalves = x > chunk(2)\n"
                 "right = halves[1] > conv(4, 1)\ny = concat(halves[0], right) > shuffle(2)\n"
                 'z = y > upsample((1.5, 1.25), mode="bilinear") > pad(left=1, right=2, bottom=1, mode="reflect")\n'
                 "u = z > pad((1, 0, 1, 0)) > pixelunshuffle(2) > groupnorm(2) > adaptiveavgpool(5) > adaptivemaxpool((3, 2))\n")
    sizes = [(h, w) for h in range(6, 50, 5) for w in range(7, 50, 6)]
    for convention in ("burden", "ptflops", "thop"):
        for row in sweep_graph(spec, sizes, [1], convention=convention):
            try:
                totals = analyze(spec, size=(row.height, row.width), convention=convention).totals
            except ArchError:
                assert row.figures is None, (row.height, row.width)
                continue
            assert row.figures is not None, (row.height, row.width, row.error)
            assert (row.figures["flops"], row.figures["feature_bytes"]) == (totals.flops, totals.feature_bytes)


# --- more activations ----------------------------------------------------------------------

@pytest.mark.parametrize("kind,burden,ptflops,thop,calflops", [
    # tool output on 1x8x5x7 (280 elements); fvcore and FlopCounterMode 0 for all
    ("leaky_relu", 2 * 280, 280, 0, 280),       # ptflops: hook only; thop: calculate_relu_flops is 0
    ("leaky_relu(0.2)", 2 * 280, 280, 0, 280),  # tools/peer_counts.py: LeakyReLU(0.2, inplace=True)
    ("prelu", 2 * 280, 560, 280, 280),          # ptflops: hook + F.prelu; thop count_prelu: input elements
    ("prelu(per_channel=true)", 2 * 280, 560, 280, 280),  # tools/peer_counts.py: PReLU(8)
    ("elu", 0, 560, 0, 280),                    # exp not counted; ptflops: hook + F.elu
    ("elu(alpha=0.5)", 0, 560, 0, 280),         # tools/peer_counts.py: ELU(alpha=0.5)
    ("mish", 280, 0, 0, 0),                     # the multiply by x
    ("tanh", 0, 0, 0, 0),
    ("softplus(beta=2)", 0, 0, 0, 0),           # tools/peer_counts.py: Softplus(beta=2)
])
def test_more_activations_as_each_tool_counts_them(kind: str, burden: int, ptflops: int, thop: int,
                                                   calflops: int) -> None:
    assert figures(f"input 8 x 5 x 7\nx = {kind}\n") == {
        "burden": burden, "macs": 0, "flops": 0, "fvcore": 0, "ptflops": ptflops, "thop": thop,
        "calflops": calflops}


def test_prelu_learns_its_slopes_and_leaky_relu_is_in_place() -> None:
    """PReLU: 1 slope, or 8 per channel; its weight gradient sums dy·x where x < 0: 280.
    LeakyReLU runs in place: no feature memory of its own."""
    assert [last(f"input 8 x 5 x 7\nx = {t}\n").params for t in ("prelu", "prelu(per_channel=true)")] == [1, 8]
    step = training(analyze(loads("input 8 x 5 x 7\nx = conv(8, 1) > prelu\n"))).layers[1]
    assert (step.backward_input_flops, step.backward_weight_flops) == (280, 280)
    assert last("input 8 x 5 x 7\nx = leaky_relu\n").feature_bytes == 0
    assert last("input 8 x 5 x 7\nx = elu\n").feature_bytes == 280 * 4


# --- transposed convolution: output padding and dilation ------------------------------------

@pytest.mark.parametrize("text,output,expected", [
    # tool output for ConvTranspose2d(8, 4, 3, stride 2, padding 1, ...) on 1x8x5x7 (the peer-rules study)
    # MACs: 280 inputs x 3·3 x 4/groups; output (5 − 1)·2 − 2 + 2 + 1 + 1 = 10 by (7 − 1)·2 − 2 + 2 + 1 + 1 = 14
    ("deconv(4, 3, stride=2, pad=1, output_padding=1, groups=2)", (4, 10, 14),
     {"macs": 5040, "fvcore": 5040, "ptflops": 5600, "thop": 20160, "calflops": 5064, "flops": 10080,
      "burden": 5040 + 560}),
    ("deconv(4, 3, stride=2, pad=1, output_padding=1)", (4, 10, 14),
     {"macs": 10080, "fvcore": 10080, "ptflops": 10640, "thop": 40320, "calflops": 20208, "flops": 20160,
      "burden": 10080 + 560}),
    # dilation 2: (5 − 1)·2 − 2 + 2·(3 − 1) + 1 + 1 = 12 by 16 = 768 outputs; thop 768 x 8 x 9 = 55,296;
    # calflops' bias over conv-formula positions (5 + 2 − 4 − 1)//2 + 1 = 2 by 3: 4 x 6 = 24
    ("deconv(4, 3, stride=2, pad=1, output_padding=1, dilation=2)", (4, 12, 16),
     {"macs": 10080, "fvcore": 10080, "ptflops": 10848, "thop": 55296, "calflops": 20184, "flops": 20160,
      "burden": 10080 + 768}),
    ("deconv(4, 3, stride=2, pad=1, output_padding=1, bias=false)", (4, 10, 14),
     {"macs": 10080, "fvcore": 10080, "ptflops": 10080, "thop": 40320, "calflops": 20160, "flops": 20160,
      "burden": 10080}),
])
def test_deconv_output_padding_and_dilation(text: str, output: tuple[int, int, int], expected: dict[str, int]) -> None:
    spec = f"input 8 x 5 x 7\nx = {text}\n"
    got = figures(spec)
    assert {k: got[k] for k in expected} == expected
    layer = last(spec)
    assert layer.output_shape == output
    assert layer.params == 8 * (4 // layer.layer.groups) * 9 + (4 if layer.layer.bias else 0)


def test_deconv_output_padding_below_stride_or_dilation() -> None:
    with pytest.raises(ArchError, match="output_padding 2 along the height must be below the stride"):
        loads("input 8 x 5 x 7\nx = deconv(4, 3, stride=2, output_padding=2)\n")
    # below the dilation is enough, as in PyTorch: stride 1, dilation 2, output padding 1
    assert last("input 8 x 5 x 7\nx = deconv(4, 3, dilation=2, output_padding=(1, 0))\n").output_shape == (4, 10, 11)


def test_dilated_max_pooling() -> None:
    """MaxPool2d(3, stride=1, dilation=2) on 1x8x5x7: a window spanning 2·(3 − 1) + 1 = 5, so
    5 − 5 + 1 = 1 by 7 − 5 + 1 = 3.  Tool output: fvcore 0, ptflops 560, thop 0, calflops 280.
    burden, the reference's pooling rule: 2 x 24 outputs x stride area 1 = 48."""
    got = figures("input 8 x 5 x 7\nx = maxpool(3, stride=1, dilation=2)\n")
    assert (got["burden"], got["fvcore"], got["ptflops"], got["thop"], got["calflops"]) == (48, 0, 560, 0, 280)
    assert last("input 8 x 5 x 7\nx = maxpool(3, stride=1, dilation=2)\n").output_shape == (8, 1, 3)
    with pytest.raises(ArchError, match="dilation"):
        loads("input 8 x 5 x 7\nx = avgpool(3, dilation=2)\n")


def test_explain_writes_the_dilated_transposed_convolution_rule() -> None:
    """(5 − 1)·2 + 2·(3 − 1) + 1 + 1 − 1 − 1 = 8 + 4 + 1 + 1 − 2 = 12, and for the width
    (7 − 1)·2 + 4 + 1 + 1 − 2 = 16."""
    layer = last("input 8 x 5 x 7\nx = deconv(4, 3, stride=2, pad=1, output_padding=1, dilation=2)\n")
    assert layer.layer.size_lines(list(layer.input_shapes), layer.output_shape) == [
        "H' = (5 − 1)·2 + 2·(3 − 1) + 1 + 1 − 1 − 1 = 12", "W' = (7 − 1)·2 + 2·(3 − 1) + 1 + 1 − 1 − 1 = 16"]


def test_a_cut_into_more_slices_than_a_network_has_layers_is_refused_at_once() -> None:
    """A flattened 1,000 x 1,000 x 3 map has 3,000,000 channels: chunk(3,000,000) would make
    3,000,000 one-channel slices, past the 1,000,000-layer limit; refused before making any."""
    with pytest.raises(ArchError, match="chunk would make 3,000,000 slices"):
        loads("input 3 x 1000 x 1000\nflat = flatten\nparts = flat > chunk(3000000)\n")
