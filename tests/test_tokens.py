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
