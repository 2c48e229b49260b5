"""Training memory and backward cost, by hand on a three-layer network; the
batch solver's answer fits and the next batch does not."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from reference import every_spec, spec_id

from archspec import analyze, load, loads
from archspec.costs.training import fit_batch, parse_bytes, training
from archspec.errors import ArchError

SPECS = Path(__file__).parent.parent / "specs"

# 1x4x4 input; conv 1 -> 2 channels, 3x3 pad 1, with bias (2x4x4 = 32 outputs);
# ReLU in place; fc to 3 (weights 3 x 32, bias 3).
# Parameters: 2*1*3*3 + 2 = 20 and 3*32 + 3 = 99: 119 floats = 476 bytes.
THREE_LAYERS = "input 1 x 4 x 4\nx = conv(2, 3, pad=1) > relu > fc(3)\n"


@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    return loads(THREE_LAYERS)


def test_three_layer_memory_by_hand(net) -> None:  # type: ignore[no-untyped-def]
    """Batch 2, float32.
    weights 476, gradients 476, Adam's two moments 952;
    the input batch 16 * 4 * 2 = 128;
    kept for backward: the conv keeps its input (the batch, counted above),
    the ReLU its output, which is the conv's buffer (in place) and also what
    the fc keeps: one buffer, 32 * 4 * 2 = 256;
    workspace: the ReLU's output and input gradients, 64 floats * 4 * 2 = 512
    (the conv needs no input gradient: 32; the fc 3 + 32 = 35)."""
    t = training(analyze(net, batch=2), "adam")
    assert (t.weight_bytes, t.gradient_bytes, t.optimizer_bytes) == (476, 476, 952)
    assert (t.input_bytes, t.activation_bytes, t.workspace_bytes) == (128, 256, 512)
    assert t.total_bytes == 476 + 476 + 952 + 128 + 256 + 512 == 2800
    assert training(analyze(net, batch=2), "sgd").total_bytes == 2800 - 952
    assert training(analyze(net, batch=2), "momentum").optimizer_bytes == 476


def test_three_layer_backward_flops_by_hand(net) -> None:  # type: ignore[no-untyped-def]
    """Per image: conv MACs 32 * 9 = 288; fc MACs 3 * 32 = 96.
    conv: no input gradient (the image needs none); weights 288 + bias 32 = 320.
    ReLU: 32 (dy where y > 0).  fc: input 96; weights 96 + bias 3 = 99.
    Input gradients 32 + 96 = 128, weight gradients 320 + 99 = 419; batch 2 doubles.
    Forward (burden): 288 + 32 + 2 * 32 + 96 + 3 = 483 per image."""
    t = training(analyze(net, batch=2))
    assert [(x.backward_input_flops, x.backward_weight_flops) for x in t.layers] == [
        (0, 640), (64, 0), (192, 198)]
    assert (t.backward_input_flops, t.backward_weight_flops, t.forward_flops) == (256, 838, 966)


def test_fit_by_hand(net) -> None:  # type: ignore[no-untyped-def]
    """With SGD: fixed 476 + 476 = 952 bytes, per image 64 + 128 + 256 = 448
    (input, kept activations, workspace).  In 10,000 bytes: (10,000 - 952) // 448 = 20
    (952 + 20 * 448 = 9,912; 21 images need 10,360)."""
    batch, t = fit_batch(net, 10_000)
    assert batch == 20 and t.total_bytes == 9_912


def test_resnet50_fit_answer_fits_and_the_next_does_not() -> None:
    graph = load(SPECS / "resnet50.arch")
    budget = parse_bytes("24GB")
    batch, t = fit_batch(graph, budget, optimizer="adam")
    assert batch > 1 and t.total_bytes <= budget
    assert training(analyze(graph, batch=batch + 1), "adam").total_bytes > budget


def test_nothing_fits_is_a_clear_error(net) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArchError, match="even a batch of 1"):
        fit_batch(net, 1000)


@pytest.mark.parametrize("text,expected", [("24GB", 24 * 1024**3), ("24 GiB", 24 * 1024**3),
                                           ("512MB", 512 * 1024**2), ("1.5T", int(1.5 * 1024**4)),
                                           ("1000B", 1000), ("1000 B", 1000)])
def test_parse_bytes(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "GB", "-3GB", "24XB", "nanGB"])
def test_parse_bytes_rejects(text: str) -> None:
    with pytest.raises(ArchError):
        parse_bytes(text)


def test_a_size_without_its_unit_is_refused_not_read_as_bytes() -> None:
    # `--fit 24` meant 24 GB to the user who typed it; 24 bytes fits no network
    with pytest.raises(ArchError, match="'24' has no unit") as refused:
        parse_bytes("24")
    assert refused.value.argument == "memory" and "24GB" in (refused.value.hint or "")


def test_unknown_optimizer(net) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArchError, match="unknown optimizer"):
        training(analyze(net), "lbfgs")


@pytest.mark.parametrize("path", every_spec(), ids=spec_id)
def test_every_spec_trains(path: Path) -> None:
    """Invariants every network obeys: what a step keeps grows by the same amount per
    image; backward costs are exactly linear in the batch; and every convolution or
    fully-connected layer learns, so its weight gradient costs at least its MACs (each
    of its multiply-adds has a weight for a factor).  Attention's products of queries,
    keys and probabilities multiply activations, not weights: no weight gradient
    repeats them, so the network's MACs bound the weight gradients only without them."""
    graph = load(path)
    steps = [training(analyze(graph, batch=b), "adam") for b in (1, 2, 3)]
    per_image = [b.total_bytes - a.total_bytes for a, b in pairwise(steps)]
    assert per_image[0] == per_image[1] > 0
    one, two = steps[0], steps[1]
    assert two.backward_input_flops == 2 * one.backward_input_flops
    assert two.backward_weight_flops == 2 * one.backward_weight_flops
    forward = analyze(graph)
    weight_products = {c.name: c.macs for c in forward.layers if c.kind in ("conv", "deconv", "fc", "linear")}
    for layer in one.layers:
        if layer.name in weight_products:
            assert layer.backward_weight_flops >= weight_products[layer.name], layer.name
    assert one.backward_weight_flops >= sum(weight_products.values())
    if not any(c.kind == "attention" for c in forward.layers):
        assert one.backward_weight_flops >= forward.totals.macs


def test_python_api(net) -> None:  # type: ignore[no-untyped-def]
    from archspec.api import fit, peak_memory, roofline_time, train

    assert fit(net, 10_000) == 20  # as in test_fit_by_hand
    assert train(net, batch=2, optimizer="adam").total_bytes == 2800  # as in the memory test
    assert peak_memory(net).peak_bytes == 32 * 4 + 3 * 4  # conv output (relu in place) + fc output
    # every layer of the three is memory-bound on an H100 (3,350 GB/s): conv 48 floats moved
    # + 20 parameters = 272 B; ReLU 64 floats = 256 B; fc 35 floats + 99 parameters = 536 B
    assert roofline_time(net, "h100").seconds == pytest.approx((272 + 256 + 536) / 3350e9, rel=1e-12)


def test_lrn_and_batch_norm_backward_by_hand() -> None:
    """conv(8, 1) on 8 x 4 x 4, then LRN(5), then BN, batch 1 (the conv learns, so every
    later layer needs its input gradient).
    LRN: 128 outputs; its forward (burden) is 128 + (2 + 2·8)·4·4 = 416, its input
    gradient about twice that, 832; no weights.
    BN (affine): input gradient 3 per element, 384; weight gradient (x-hat, the sums of
    dy·x-hat and dy) 3 per element, 384."""
    spec = loads("input 8 x 4 x 4\nx = conv(8, 1) > lrn(5) > bn\n")
    conv, lrn, bn = training(analyze(spec)).layers
    assert (lrn.backward_input_flops, lrn.backward_weight_flops) == (832, 0)
    assert (bn.backward_input_flops, bn.backward_weight_flops) == (384, 384)
    # the conv's input is the image: no input gradient; weights 128·8 MACs + 128 bias sums
    assert (conv.backward_input_flops, conv.backward_weight_flops) == (0, 128 * 8 + 128)


def test_dropout_makes_a_new_tensor_in_training() -> None:
    """conv to 2x4x4 (32 floats), dropout, fc to 3; batch 1.  At inference the
    dropout is a view; in training its output is a new tensor.  Kept for
    backward: the dropout's 1-byte mask (32 B) and its output, which the fc
    keeps (128 B); the conv keeps only the network input (counted as input),
    and nothing keeps the conv's output.  160 bytes."""
    spec = loads("input 1 x 4 x 4\nx = conv(2, 1) > dropout > fc(3)\n")
    assert training(analyze(spec)).activation_bytes == 32 + 128


def test_a_tensor_read_twice_sums_its_gradients() -> None:
    """a = 1x1 conv to 2x4x4 (32 elements) read by the second conv and by the
    add: its two gradients are added, 32 additions per image (batch 3: 96).
    The second conv's output is read once: nothing to add."""
    spec = loads("input 2 x 4 x 4\na = conv(2, 1)\nb = conv(2, 1)\nc = add(a, b)\n")
    t = training(analyze(spec, batch=3))
    assert [x.gradient_sum_flops for x in t.layers] == [96, 0, 0]
    assert t.backward_flops == t.backward_input_flops + t.backward_weight_flops + 96


def test_in_place_relu_does_not_overwrite_a_kept_tensor() -> None:
    """1x1 conv to 2x4x4 (128 B), sigmoid (128 B, kept: its backward needs its
    output), ReLU.  An in-place ReLU would overwrite the sigmoid's output, so in
    training it allocates.  Kept: the sigmoid's output and the ReLU's output,
    256 B (the conv keeps only the network input).  At inference the ReLU is
    in place."""
    spec = loads("input 2 x 4 x 4\nx = conv(2, 1) > sigmoid > relu\n")
    assert training(analyze(spec)).activation_bytes == 256
    from archspec.costs.memory import liveness

    assert [s.allocated_bytes for s in liveness(analyze(spec)).steps] == [128, 128, 0]
