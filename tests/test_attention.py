"""Attention and the token kinds by hand: shapes, parameters, MACs with their N²
term, what is held in memory with and without a materialised score matrix, the
roofline, explain's arithmetic, closed forms in N (and in H, W) and the sweep."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from reference import arithmetic

from archspec import analyze, load, loads
from archspec.costs.closed_form import Polynomial, closed_form
from archspec.costs.explain import explain
from archspec.costs.memory import liveness
from archspec.costs.roofline import roofline
from archspec.costs.sweep import sweep_graph
from archspec.costs.training import training
from archspec.errors import ArchError
from archspec.views.closed_form import render_text

SPECS = Path(__file__).resolve().parent.parent / "specs" / "transformers"


def one(text: str, **kwargs: object) -> object:
    (layer,) = [layer for layer in analyze(loads(text), **kwargs).layers  # type: ignore[arg-type]
                if layer.name == "a"]
    return layer


# --- attention: parameters and MACs -------------------------------------------------------

def test_self_attention_parts() -> None:
    """8 tokens of 32, 4 heads of 8.  Parameters: fused q/k/v 3·32·32 = 3,072 + bias 96,
    output 32·32 + 32: 4,224.  MACs: projections 8·32·32 × 4 = 32,768, Q·Kᵀ and A·V
    4·8·8·8 = 2,048 each: 36,864."""
    a = one("input tokens 8 x 32\na = attention(4)\n")
    assert (a.output_shape, a.params, a.macs) == ((32, 8, 1), 4_224, 36_864)  # type: ignore[attr-defined]


def test_grouped_and_multi_query_attention() -> None:
    """8 query heads of 16 on 128 dimensions, 2 key/value heads: k and v project to
    2·16 = 32 each.  Weights q 128·128 + k, v 2·32·128 + out 128·128 = 40,960 (no bias);
    MACs per token 128·128 + 2·128·32 + 128·128 = 40,960, and each product 8·N·N·16
    (every query head still scores every key): N = 10: 409,600 + 2·12,800 = 435,200.
    One key/value head (multi-query): k, v 16 wide: 36,864 weights."""
    gqa = one("input tokens 10 x 128\na = attention(8, kv_heads=2, qkv_bias=false, out_bias=false, fused=false)\n")
    assert (gqa.params, gqa.macs) == (40_960, 435_200)  # type: ignore[attr-defined]
    mqa = one("input tokens 10 x 128\na = attention(8, kv_heads=1, qkv_bias=false, out_bias=false)\n")
    assert mqa.params == 128 * 128 + 2 * 16 * 128 + 128 * 128 == 36_864  # type: ignore[attr-defined]


def test_head_dim_need_not_divide_the_model_dimension() -> None:
    """3 heads of 20 on 48 dimensions: inner width 60.  Weights 3·60·48 + 48·60 = 11,520
    (+ 180 + 48 bias); MACs on 5 tokens 5·48·60 × 4 = 57,600 + 2·3·5·5·20 = 3,000."""
    a = one("input tokens 5 x 48\na = attention(3, head_dim=20)\n")
    assert (a.params, a.macs) == (11_520 + 180 + 48, 60_600)  # type: ignore[attr-defined]


def test_causal_attention_costs_what_full_attention_costs() -> None:
    full = one("input tokens 16 x 64\na = attention(4)\n")
    causal = one("input tokens 16 x 64\na = attention(4, causal=true)\n")
    assert causal.macs == full.macs  # type: ignore[attr-defined]


def test_relative_position_bias_of_swin() -> None:
    """Windows of 7 x 7 (49 tokens), 3 heads: a table of 13·13·3 = 507 learnt biases
    and an index of 49·49 = 2,401 (a buffer)."""
    a = one("input tokens 49 x 96\na = attention(3, form=\"swin\", rel_pos=7)\n")
    assert a.buffers == 2_401  # type: ignore[attr-defined]
    assert a.params == 3 * 96 * 96 + 3 * 96 + 96 * 96 + 96 + 507  # type: ignore[attr-defined]
    with pytest.raises(ArchError, match="needs 49 tokens per sequence, got 50"):
        analyze(loads("input tokens 50 x 96\na = attention(3, form=\"swin\", rel_pos=7)\n"))


@pytest.mark.parametrize("text, words", [
    ("input tokens 5 x 30\na = attention(4)\n", "do not split into 4 heads"),
    ("input tokens 5 x 32\na = attention(4, kv_heads=3)\n", "multiple of kv_heads=3"),
    ("input tokens 5 x 32\na = attention(4, kv_heads=2, form=\"mha\")\n", "grouped-query attention is form"),
    ("input tokens 5 x 32\na = attention(4, flash=true, form=\"swin\")\n", "materialises its scores"),
    ("input q: tokens 5 x 32\ninput kv: tokens 7 x 24\na = attention(q, kv, 4)\n", "say fused=false"),
    ("input tokens 5 x 32\na = attention(4, form=\"flash\")\n", "form"),
])
def test_attention_that_cannot_be_built_is_a_located_error(text: str, words: str) -> None:
    with pytest.raises(ArchError, match=words) as caught:
        analyze(loads(text))
    assert caught.value.location is not None


# --- memory: the score matrix only when it is materialised ---------------------------------

def test_feature_and_peak_memory_hold_the_scores_only_when_materialised() -> None:
    """64 tokens of 32, 4 heads, float32.  Made inside: q, k, v 3·64·32 and the heads'
    output 64·32 (8,192 floats) and, materialised, scores and probabilities 2·4·64·64 =
    32,768 floats.  Feature memory: output 64·32 + those: (2,048 + 8,192 + 32,768)·4 =
    172,032 B, or 40,960 B fused; the peak while it runs: the same plus its input, which
    is the caller's (not counted)."""
    eager = one("input tokens 64 x 32\na = attention(4)\n")
    fused = one("input tokens 64 x 32\na = attention(4, flash=true)\n")
    assert (eager.feature_bytes, fused.feature_bytes) == (172_032, 40_960)  # type: ignore[attr-defined]
    spec = "input tokens 64 x 32\na = attention(4{})\n"
    assert liveness(analyze(loads(spec.format("")))).peak_bytes == 172_032
    assert liveness(analyze(loads(spec.format(", flash=true")))).peak_bytes == 40_960


def test_training_keeps_the_probabilities_or_a_row_statistic() -> None:
    """Backward keeps q, k, v, the heads' outputs (8,192 floats) and the probabilities
    4·64·64 = 16,384, or with a fused kernel one log-sum-exp per row, 4·64 = 256; and
    the input (the network's own, not counted)."""
    for flash, kept in (("false", 8_192 + 16_384), ("true", 8_192 + 256)):
        t = training(analyze(loads(f"input tokens 64 x 32\na = attention(4, flash={flash})\n")))
        assert t.activation_bytes == kept * 4


# --- the token kinds ------------------------------------------------------------------------

def test_image_to_tokens_and_back() -> None:
    """A 14 x 14 x 768 map is 196 tokens; a class token makes 197 (768 parameters), a
    learnt positional embedding 197·768 more; the class token's vector is picked."""
    spec = loads("""input 768 x 14 x 14
t = to_tokens > classtoken > posembed
c = pick(0)
g = t > concat_tokens(t) > tokenmean
""")
    layers = {layer.name: layer for layer in analyze(spec).layers}
    assert layers["t.to_tokens"].output_shape == (768, 196, 1)
    assert (layers["t.classtoken"].output_shape, layers["t.classtoken"].params) == ((768, 197, 1), 768)
    assert layers["t.posembed"].params == 197 * 768
    assert (layers["c"].output_shape, layers["c"].layout) == ((768, 1, 1), "image")
    assert layers["g.concat_tokens"].output_shape == (768, 394, 1)
    assert layers["g.tokenmean"].output_shape == (768, 1, 1)
    grid = loads("input 8 x 6 x 4\nt = to_tokens > to_grid(in)\nu = t > to_tokens > to_grid(3, 8)\n")
    assert [layer.output_shape for layer in analyze(grid).layers] == [(8, 24, 1), (8, 6, 4), (8, 24, 1), (8, 3, 8)]


def test_embedding_is_a_table_without_macs() -> None:
    a = one("input tokens 12\na = embedding(1000, 64)\n")
    assert (a.output_shape, a.params, a.macs, a.layout) == ((64, 12, 1), 64_000, 0, "tokens")  # type: ignore[attr-defined]
    with pytest.raises(ArchError, match="looks up token ids"):
        analyze(loads("input tokens 12 x 3\na = embedding(1000, 64)\n"))


def test_a_position_table_serves_shorter_sequences() -> None:
    spec = loads("input tokens 100 x 16\na = posembed(positions=128)\n")
    assert analyze(spec, size=7).totals.params == 128 * 16
    with pytest.raises(ArchError, match="holds 128 positions, fewer than the 129 tokens"):
        analyze(spec, size=129)
    fixed = loads("input tokens 100 x 16\na = posembed(learned=false)\n")
    assert analyze(fixed, size=4096).totals.params == 0


def test_swin_windows_pad_to_a_multiple_of_the_window() -> None:
    """A 57 x 49 map in 7 x 7 windows: padded to 63 x 49, 9·7 = 63 windows of 49
    tokens; back to 57 x 49 after.  Patch merging: 4C x ceil(57/2) x ceil(49/2)."""
    spec = loads("""input 96 x 57 x 49
w = window(7, shift=3)
a = attention(3, form="swin", rel_pos=7)
u = a > unwindow(in, shift=3)
m = patchmerge
""")
    shapes = [layer.output_shape for layer in analyze(spec).layers]
    assert shapes == [(96, 49, 63), (96, 49, 63), (96, 57, 49), (384, 29, 25)]
    text = explain(spec, layer="w").layers[0].lines
    assert ("output", "57x49 padded to 63x49: 9·7 = 63 windows of 7·7 = 49 tokens") in text
    # windows cut from a 57 x 49 map cannot be a 64 x 49 image (10 rows of windows, not 9)
    with pytest.raises(ArchError, match="are not the windows of a 64x49 image"):
        loads("input 96 x 57 x 49\nref = conv(96, 1, pad=(0, 7, 0, 0))\nw = in > window(7)\nu = unwindow(w, ref)\n")


def test_tokens_are_shown_as_sequences() -> None:
    from archspec.views import render

    text = render(analyze(loads("input 8 x 14 x 14\nw = window(7)\n")), "table")
    assert "4 x 49 tokens x 8" in text


# --- explain: the N² term in writing --------------------------------------------------------

@pytest.mark.parametrize("flash, said", [
    (False, "p = 0.1 on the probabilities in training, the dropped copy of the probabilities and a 1-byte mask kept"),
    (True, "p = 0.1 on the probabilities in training, within the kernel's tiles (nothing more kept)"),
])
def test_explain_says_where_the_attention_dropout_goes(flash: bool, said: str) -> None:
    graph = load(SPECS / "gpt2.arch", flash=flash)
    (item,) = explain(graph, layer="gpt2.h.gpt2_block1.attn", convention="macs").layers
    assert dict(item.lines)["dropout"] == said


def test_explain_writes_the_attention_arithmetic() -> None:
    """ViT-B/16's first attention: 197 tokens, 12 heads of 64; the products
    12·197·197·64 = 29,805,312 MACs each; every written line is arithmetic that gives
    the figure."""
    graph = load(SPECS / "vit_b_16.arch")
    name = "vit_b_16.encoder.encoder_layer1.self_attention"
    result = explain(graph, layer=name, convention="macs")
    (item,) = result.layers
    lines = dict(item.lines)
    assert lines["heads"] == "12 × d_h 64 = 768"
    assert lines["products"].startswith("Q·Kᵀ and A·V each M·h·N·N_k·d_h = 1·12·197·197·64 = 29,805,312")
    assert "never held" in lines["scores"]
    assert "dropout" not in lines  # ViT's attention dropout is p = 0
    macs = lines["MACs"]
    assert "1·12·197·197·64 + 1·12·197·197·64" in macs
    numbers, value = macs.rsplit(" = ", 1)
    assert arithmetic(numbers) == int(value.replace(",", "")) == 524_391_936
    assert item.formula_value == item.cost.flops


# --- closed forms ---------------------------------------------------------------------------

def test_gpt2_totals_are_polynomials_in_the_sequence_length() -> None:
    """MACs = 18,432·N² + 123,532,032·N: the N² term is 12 layers × 2 products × 12
    heads × 64; the N term is 12 × (4·768² + 2·768·3,072) + 768·50,257 per token.
    Feature memory with the scores held: 12 layers × 2 × 12 heads × 4 B = 1,152·N²
    more; with a fused kernel it is linear."""
    eager = closed_form(load(SPECS / "gpt2.arch", flash=False))
    assert eager.tokens and eager.upper == 1024 and eager.start(0, 0) == (1, 1)
    macs = eager.form("macs", 1, 1)
    assert isinstance(macs, Polynomial)
    assert macs.terms == (((2,), Fraction(18_432)), ((1,), Fraction(123_532_032)))
    assert dict(eager.form("feature_bytes", 1, 1).terms)[(2,)] == 1_152  # type: ignore[union-attr]
    fused = closed_form(load(SPECS / "gpt2.arch"))
    assert (2,) not in dict(fused.form("feature_bytes", 1, 1).terms)  # type: ignore[union-attr]
    graph = load(SPECS / "gpt2.arch", flash=False)
    for n in (1, 2, 77, 513, 1024):
        totals = analyze(graph, size=n).totals
        assert eager.evaluate("macs", n, n) == totals.macs
        assert eager.evaluate("feature_bytes", n, n, 3) == 3 * totals.feature_bytes
    with pytest.raises(ArchError, match="does not run at 1025"):
        eager.evaluate("macs", 1025, 1025)
    assert "each holds at every length N from 1 to 1,024" in render_text(eager, "gpt2")


def test_a_vit_with_fixed_positions_is_a_polynomial_in_h_and_w() -> None:
    """ViT-B/16 with sinusoids: N = H·W/256 + 1 tokens for sides multiple of 16; the
    products 12 layers × 2 × 12 heads × 64 = 18,432·N², whose H²W² coefficient is
    18,432/65,536 = 9/32; per token 12 × (4·768² + 2·768·3,072) = 84,934,656."""
    graph = load(SPECS / "vit.arch", learned_pos=False)
    cf = closed_form(graph, convention="macs")
    macs = cf.form("macs", 224, 224)
    assert isinstance(macs, Polynomial)
    terms = dict(macs.terms)
    assert terms[(2, 2)] == Fraction(9, 32)
    # H·W: 2·18,432/256 (the class token's cross term) + 84,934,656/256 + the patch embedding 768·768/256
    assert terms[(1, 1)] == Fraction(2 * 18_432 + 84_934_656 + 768 * 768, 256) == 334_224
    for h, w in ((224, 224), (160, 320), (229, 301), (48, 16)):
        assert cf.evaluate("macs", h, w) == analyze(graph, (h, w), convention="macs").totals.macs
    with pytest.raises(ArchError, match="runs only from 224 to 239 per side"):
        closed_form(load(SPECS / "vit_b_16.arch")).forms([(0, 0)])


def test_swin_is_bilinear_in_each_class_of_its_total_stride() -> None:
    """4 (patch) · 2³ (merging) · 7 (window) = 224: within a class every window count
    is affine in each side."""
    graph = load(SPECS / "swin_t.arch")
    cf = closed_form(graph, convention="macs")
    assert cf.stride == 224
    for h, w in ((224, 224), (231, 199), (193, 257), (448, 300)):
        assert cf.evaluate("macs", h, w) == analyze(graph, (h, w), convention="macs").totals.macs


# --- the sweep ------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, sizes", [
    ("gpt2", [(n, n) for n in (1, 5, 64, 500, 1024, 1025)]),
    ("vit_b_16", [(224, 224), (239, 230), (240, 224), (96, 96)]),
    ("swin_t", [(224, 224), (231, 199), (57, 300), (3, 3)]),
    ("conv_attention_hybrid", [(224, 224), (65, 97), (1, 1)]),
])
def test_the_sweep_gives_the_engines_figures(spec: str, sizes: list[tuple[int, int]]) -> None:
    graph = load(SPECS / f"{spec}.arch")
    for row in sweep_graph(graph, sizes, [1, 4]):
        try:
            totals = analyze(graph, (row.height, row.width), batch=row.batch).totals
        except ArchError:
            assert row.figures is None and row.error
            continue
        assert row.figures == {"params": totals.params, "buffers": totals.buffers,
                               "param_bytes": totals.param_bytes, "feature_bytes": totals.feature_bytes,
                               "flops": totals.flops, "macs": totals.macs}


# --- the roofline ---------------------------------------------------------------------------

PEAK32, PEAK16, BANDWIDTH = 19.5e12, 312e12, 2039e9  # A100 SXM4 80GB datasheet


def test_attention_is_memory_bound_for_a_short_sequence() -> None:
    """One token of 768, 12 heads, float32, fused: work 2 × (4·768² + 2·12·64) MACs +
    the biases 4·768 = 4,724,736; bytes: input and output 2·768, q, k, v and the heads'
    output written and read 2·4·768 floats, and the weights 4·768² + 4·768 once:
    (7,680 + 2,362,368) × 4 = 9,480,192.  Intensity 0.5 < the ridge 19.5e12/2.039e12."""
    (layer,) = roofline(analyze(loads("input tokens 1 x 768\na = attention(12, flash=true)\n")), "a100").layers
    assert (layer.work, layer.bytes_moved, layer.bound) == (4_724_736, 9_480_192, "memory")
    assert layer.seconds == pytest.approx(9_480_192 / BANDWIDTH, rel=1e-12)


def test_attention_becomes_compute_bound_unless_its_scores_go_through_memory() -> None:
    """4,096 tokens, float16.  Work: 2 × (4,096·4·768² + 2·12·4,096²·64) + the biases
    4,096·4·768 = 70,879,543,296 either way.  Fused, it moves (4,096·768·(2 + 8)) × 2 B +
    the weights 2,362,368 × 2 B = 67,639,296 B: intensity 1,048, compute-bound.  With
    the scores materialised, 4 × 12·4,096² elements more are written and read:
    + 1,610,612,736 B; intensity 42 < the ridge 312e12/2.039e12 = 153: memory-bound."""
    spec = "input tokens 4096 x 768\na = attention(12, flash={})\n"
    fused = roofline(analyze(loads(spec.format("true")), dtype="float16"), "a100").layers[0]
    eager = roofline(analyze(loads(spec.format("false")), dtype="float16"), "a100").layers[0]
    work = 2 * (4096 * 4 * 768 ** 2 + 2 * 12 * 4096 ** 2 * 64) + 4096 * 4 * 768
    assert fused.work == eager.work == work == 70_879_543_296
    assert fused.bytes_moved == (4096 * 768 * 10 + 2_362_368) * 2 == 67_639_296
    assert eager.bytes_moved - fused.bytes_moved == 4 * 12 * 4096 ** 2 * 2
    assert (fused.bound, eager.bound) == ("compute", "memory")
    assert fused.seconds == pytest.approx(work / PEAK16, rel=1e-12)


def test_a_cached_decode_step_cannot_be_written() -> None:
    """docs/language.md (Attention): written as cross-attention of 1 query over 1,024
    cached tokens, the layer projects every cached token again -- 768² (q) +
    2·1,024·768² (k, v) + 768² (output) + 2·12·1·1,024·64 (the products) =
    1,210,712,064 MACs, where a real cached step costs 4·768² + 2·12·1,024·64 =
    3,932,160."""
    spec = loads("input new: tokens 1 x 768\ninput cache: tokens 1024 x 768\n"
                 "x = attention(new, cache, 12, fused=false)\n")
    macs = analyze(spec, convention="macs").totals.macs
    assert macs == 768 ** 2 + 2 * 1_024 * 768 ** 2 + 768 ** 2 + 2 * 12 * 1_024 * 64 == 1_210_712_064
    assert 4 * 768 ** 2 + 2 * 12 * 1_024 * 64 == 3_932_160
