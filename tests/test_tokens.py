"""Token sequences as tensors: declared as input, shown as N x D, sized by
their length alone."""

from __future__ import annotations

import pytest

from archspec import analyze, loads
from archspec.errors import ArchError
from archspec.views import render

EMBEDDED = "input tokens 16 x 32\nx = conv(64, 1) > relu\n"


def test_a_token_input_is_n_tokens_of_dimension_d() -> None:
    """16 tokens of dimension 32, a per-token projection to 64 (a 1x1 convolution):
    weights 64·32 + bias 64 = 2,112; 16 tokens × 32·64 = 32,768 MACs."""
    a = analyze(loads(EMBEDDED))
    assert a.input_shape == (32, 16, 1) and a.input_layout == "tokens"
    conv = a.layers[0]
    assert (conv.output_shape, conv.layout, conv.params, conv.macs) == ((64, 16, 1), "tokens", 2112, 32_768)


def test_token_ids_are_n_numbers() -> None:
    a = analyze(loads("input tokens 1024\nx = relu\n"))
    assert a.input_shape == (1, 1024, 1) and a.layers[0].layout == "tokens"


def test_the_size_of_a_sequence_is_its_length() -> None:
    graph = loads(EMBEDDED)
    assert analyze(graph, size=20).layers[0].output_shape == (64, 20, 1)  # 20 tokens
    assert analyze(graph, size=20).totals.macs == 20 * 32 * 64
    with pytest.raises(ArchError, match="token sequence, whose one size is its length"):
        analyze(graph, size=(20, 30))


def test_tokens_are_shown_as_n_by_d() -> None:
    text = render(analyze(loads(EMBEDDED)), "table")
    assert "16 tokens x 64" in text and "input:     16 tokens x 32" in text


def test_a_token_input_is_one_or_two_numbers() -> None:
    with pytest.raises(ArchError, match="a token input is N"):
        loads("input tokens 3 x 16 x 32\n")


# --- shared weights ----------------------------------------------------------------

TIED = """input 8 x 4 x 4
a = conv(8, 3, pad=1)
b = a > conv(8, 3, pad=1, shares=a)
c = b > conv(8, 3, pad=1, bias=false, shares=a)
"""


def test_a_layer_that_shares_weights_counts_them_once() -> None:
    """Three 3x3 convolutions 8 -> 8 on 8 x 4 x 4, the second and third applying the
    first one's weights: weight 8·8·3·3 = 576 and bias 8, counted once (584); every
    application still computes, 16·8 × 3·3·8 = 9,216 MACs each."""
    a = analyze(loads(TIED))
    assert [layer.params for layer in a.layers] == [584, 0, 0]
    assert [layer.shared_params for layer in a.layers] == [0, 584, 576]
    assert a.totals.params == 584 and a.totals.macs == 3 * 9216


def test_every_application_of_shared_weights_computes_their_gradient() -> None:
    """Training: the weights are stored, graded and kept by the optimizer once (584
    floats each), but each of the three applications adds its weight gradient:
    9,216 MACs (+ 128 bias sums where there is a bias): 9,344 + 9,344 + 9,216."""
    from archspec.costs.training import training

    t = training(analyze(loads(TIED)), "adam")
    assert (t.weight_bytes, t.gradient_bytes, t.optimizer_bytes) == (584 * 4, 584 * 4, 2 * 584 * 4)
    assert [x.backward_weight_flops for x in t.layers] == [9344, 9344, 9216]


def test_a_block_applied_again_shares_every_weight() -> None:
    """A detection-style head (conv 3x3 16 -> 16, BN, conv 1x1 16 -> 4) applied to two
    feature maps with one set of weights: 16·16·9 + 16 + 2·16 + 16·4 + 4 = 2,420 learnable
    and 2·16 BN statistics, all counted once."""
    spec = loads("""input 16 x 8 x 8
block head() {
    conv(16, 3, pad=1) > bn > conv(4, 1)
}
p3 = conv(16, 1)
p4 = p3 > maxpool(2)
h3 = p3 > head
h4 = p4 > head(shares=h3)
""")
    a = analyze(spec)
    assert (a.totals.params, a.totals.buffers) == (16 + 16 * 16 + 2420, 32)
    assert [layer.params for layer in a.layers if layer.name.startswith("h4")] == [0, 0, 0]


@pytest.mark.parametrize("text, words", [
    ("input 8 x 4 x 4\na = conv(8, 3, pad=1)\nb = a > conv(16, 3, pad=1, shares=a)\n", "cannot share bias: .b. needs 16 elements, .a. holds 8"),
    ("input 8 x 4 x 4\na = relu\nb = a > conv(8, 1, shares=a)\n", "no weights in common"),
    ("input 8 x 4 x 4\nb = conv(8, 1, shares=in)\n", "shares= names the input"),
    ("input 8 x 4 x 4\nb = conv(8, 1, shares=3)\n", "not the number 3"),
    ("input 8 x 4 x 4\nblock h() { conv(8, 1) }\na = conv(8, 1)\nb = a > h(shares=a)\n", "earlier call of block 'h'"),
])
def test_sharing_what_cannot_be_shared_is_a_located_error(text: str, words: str) -> None:
    with pytest.raises(ArchError, match=words) as caught:
        loads(text)
    assert caught.value.location is not None


def test_a_sweep_counts_shared_weights_once_as_analyze_does() -> None:
    from archspec.costs.sweep import sweep_graph

    graph = loads(TIED)
    rows = sweep_graph(graph, [(4, 4), (6, 6), (9, 7)], [1])
    assert [row.figures["params"] for row in rows] == [584, 584, 584]  # type: ignore[index]
    # three applications of 3·3·8 = 72 MACs per output element, H·W·8 outputs each
    assert [row.figures["macs"] for row in rows] == [3 * 16 * 8 * 72, 3 * 36 * 8 * 72, 3 * 63 * 8 * 72]  # type: ignore[index]
