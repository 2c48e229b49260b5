"""Vision transformers, Swin, GPT-2 and the convolution–attention hybrid, against
PyTorch.

torchvision figures: made with tools/torch_figures.py (torchvision 0.29.1 / torch
2.14.1, weights=None, eval, batch 1): params = sum of the parameters' numel;
buffers = every other buffer's numel (Swin's relative_position_index, V2's
relative_coords_table, and MaxViT's BatchNorm running mean and var); MACs = FlopCounterMode / 2
with torch's SDPA formula registered for the CPU kernel (the stock registry lacks
it) -- multiply-accumulates of convolutions, linear layers and attention's Q·Kᵀ
and attention·V, which torchvision's published `_ops` follow; output (1, 1000),
which archspec shows as a vector 1000 x 1 x 1.  Peer totals: each tool run by the
same script on the same model (fvcore FlopCountAnalysis.total(); ptflops
get_model_complexity_info, pytorch backend; thop.profile; calflops
calculate_flops FLOPs; `flops` = the corrected FlopCounterMode).  Second sizes: the
same script with `--models vit_b_16,vit_b_32,vit_l_32 --sizes 384`, `--models vit_l_16
--sizes 512x512` and `--models maxvit_t --sizes 448x448,672x672` (`--no-tools`), each
model built for the size (ViT's image_size=, MaxViT's input_size=).  Stochastic depth
rates: tools/torch_figures_transformers2.py reads them off the modules.

GPT-2: transformers 5.24.0 GPT2LMHeadModel(GPT2Config()), random init, by the same
script: 124,439,808 unique parameters; FlopCounterMode totals for 1, 128 and
1,024 token ids.

The hybrid, a cross-attention nn.MultiheadAttention and GPT2Attention: made with
tools/torch_attention_checks.py (its JSON beside it), which writes the hybrid as a
PyTorch module layer for layer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archspec import analyze, load, loads
from archspec.costs.memory import liveness
from archspec.costs.training import training
from archspec.errors import ArchError

SPECS = Path(__file__).resolve().parent.parent / "specs" / "transformers"

# (builder, (H, W), params, buffers, MACs)
TORCHVISION = [
    ("vit_b_16", (224, 224), 86_567_656, 0, 17_563_828_224),
    ("vit_b_32", (224, 224), 88_224_232, 0, 4_409_186_304),
    ("vit_l_16", (224, 224), 304_326_632, 0, 61_554_712_576),
    ("vit_l_32", (224, 224), 306_535_400, 0, 15_377_539_072),
    ("vit_h_14", (224, 224), 632_045_800, 0, 167_295_109_120),
    ("vit_h_14", (518, 518), 633_470_440, 0, 1_016_716_764_160),
    # second sizes, each ViT built for it (torchvision's image_size=; the positional
    # embedding then holds (384/16)² + 1 = 577 rows, and so on) -- 384 as ViT-B/16's SWAG
    # weights, 512 as ViT-L/16's; tools/torch_figures.py --sizes 384 / 512x512
    ("vit_b_16", (384, 384), 86_859_496, 0, 55_484_350_464),
    ("vit_b_32", (384, 384), 88_297_192, 0, 13_043_564_544),
    ("vit_l_32", (384, 384), 306_632_680, 0, 45_275_963_392),
    ("vit_l_16", (512, 512), 305_174_504, 0, 361_986_285_568),
    ("swin_t", (193, 257), 28_288_354, 28_812, 5_130_027_264),
    ("swin_t", (224, 224), 28_288_354, 28_812, 4_490_566_656),
    ("swin_t", (231, 199), 28_288_354, 28_812, 5_134_379_136),
    ("swin_s", (193, 257), 49_606_258, 57_624, 10_061_601_024),
    ("swin_s", (224, 224), 49_606_258, 57_624, 8_740_875_264),
    ("swin_s", (231, 199), 49_606_258, 57_624, 10_108_420_224),
    ("swin_b", (193, 257), 87_768_224, 57_624, 17_740_516_352),
    ("swin_b", (224, 224), 87_768_224, 57_624, 15_430_946_816),
    ("swin_b", (231, 199), 87_768_224, 57_624, 17_827_190_272),
    ("swin_v2_t", (193, 257), 28_351_570, 54_552, 4_783_635_456),
    ("swin_v2_t", (224, 224), 28_351_570, 54_552, 4_938_464_256),
    ("swin_v2_t", (231, 199), 28_351_570, 54_552, 4_958_141_952),
    ("swin_v2_t", (256, 256), 28_351_570, 54_552, 5_939_690_496),
    ("swin_v2_s", (193, 257), 49_737_442, 109_104, 9_483_832_320),
    ("swin_v2_s", (224, 224), 49_737_442, 109_104, 9_695_284_224),
    ("swin_v2_s", (231, 199), 49_737_442, 109_104, 9_700_806_144),
    ("swin_v2_s", (256, 256), 49_737_442, 109_104, 11_545_857_024),
    ("swin_v2_b", (193, 257), 87_930_848, 109_104, 16_678_187_008),
    ("swin_v2_b", (224, 224), 87_930_848, 109_104, 17_047_678_976),
    ("swin_v2_b", (231, 199), 87_930_848, 109_104, 17_053_304_832),
    ("swin_v2_b", (256, 256), 87_930_848, 109_104, 20_325_134_336),
    # MaxViT: 47,616 BN statistics + 22 relative position indexes of 49·49 = 52,822
    ("maxvit_t", (224, 224), 30_919_624, 47_616 + 52_822, 5_558_046_720),
    # built for the size (torchvision's input_size=, which its partitions are checked
    # against); tools/torch_figures.py --sizes 448x448 / 672x672
    ("maxvit_t", (448, 448), 30_919_624, 47_616 + 52_822, 22_224_506_880),
    ("maxvit_t", (672, 672), 30_919_624, 47_616 + 52_822, 50_001_940_480),
]


def member(name: str, size: tuple[int, int]) -> object:
    """The thin spec; a ViT is built for its size (its positional embedding has a row per patch)."""
    if name.startswith("vit"):
        return analyze(load(SPECS / f"{name}.arch", image=size[0]))
    return analyze(load(SPECS / f"{name}.arch"), size=size)


@pytest.mark.parametrize("name, size, params, buffers, macs", TORCHVISION,
                         ids=[f"{r[0]}-{r[1][0]}x{r[1][1]}" for r in TORCHVISION])
def test_torchvision_transformers_exactly(name: str, size: tuple[int, int], params: int, buffers: int,
                                          macs: int) -> None:
    totals = member(name, size).totals  # type: ignore[attr-defined]
    assert (totals.params, totals.buffers, totals.macs) == (params, buffers, macs)
    assert totals.output_shape == (1000, 1, 1)


PEERS = [
    ("vit_b_16", (224, 224), {"fvcore": 16_867_412_736, "ptflops": 17_606_030_584, "thop": 11_286_254_592,
                              "calflops": 33_723_326_208, "flops": 35_127_656_448}),
    ("swin_t", (193, 257), {"fvcore": 5_148_311_808, "ptflops": 3_110_337_292, "thop": 2_917_337_856,
                            "calflops": 10_287_089_700, "flops": 10_260_054_528}),
    ("swin_t", (224, 224), {"fvcore": 4_509_232_128, "ptflops": 3_128_183_416, "thop": 2_978_099_712,
                            "calflops": 9_008_009_616, "flops": 8_981_133_312}),
    ("swin_t", (231, 199), {"fvcore": 5_152_048_224, "ptflops": 3_139_076_770, "thop": 2_952_941_184,
                            "calflops": 10_294_846_842, "flops": 10_268_758_272}),
    ("swin_v2_t", (224, 224), {"fvcore": 4_955_812_608, "ptflops": 3_119_506_408, "thop": 2_995_708_416,
                               "calflops": 9_689_564_928, "flops": 9_876_928_512}),
    ("swin_v2_t", (256, 256), {"fvcore": 5_962_349_568, "ptflops": 4_045_391_848, "thop": 3_906_813_696,
                               "calflops": 11_675_947_008, "flops": 11_879_380_992}),
    # torch.einsum: fvcore and calflops read numpy's einsum_path count, rounded to 4 digits
    ("maxvit_t", (224, 224), {"fvcore": 5_608_201_264, "ptflops": 5_483_328_960, "thop": 5_456_315_648,
                              "calflops": 11_192_032_800, "flops": 11_116_093_440}),
]


@pytest.mark.parametrize("name, size, tools", PEERS, ids=[f"{r[0]}-{r[1][0]}x{r[1][1]}" for r in PEERS])
def test_each_peer_tools_total(name: str, size: tuple[int, int], tools: dict[str, int]) -> None:
    """ViT's nn.MultiheadAttention: fvcore and calflops see the projections only (SDPA
    has no handle), ptflops its module hook, thop nothing; Swin's F.linear + matmul +
    F.softmax: thop sees none of it, ptflops only the matmuls and the softmax."""
    graph = load(SPECS / f"{name}.arch", **({"image": size[0]} if name.startswith("vit") else {}))
    for convention, total in tools.items():
        assert analyze(graph, size=size, convention=convention).totals.flops == total, convention


def test_the_stock_flopcounter_misses_what_the_attention_products_add() -> None:
    """Stock FlopCounterMode on CPU under no_grad (tools/torch_figures.py,
    `flopcounter_stock`): ViT-B/16 22,542,249,984 -- its nn.MultiheadAttention takes
    the fused fast path, which has no formula, so every projection and product of
    the 12 attention layers is missing.  By hand: the attention's MACs per layer are
    4·197·768² (projections) + 2·12·197·197·64 (products) = 524,391,936; the whole
    model's FLOPs are 35,127,656,448, less 2 × 12 × 524,391,936 = 22,542,249,984."""
    macs = analyze(load(SPECS / "vit_b_16.arch")).totals.macs
    attention = 4 * 197 * 768 ** 2 + 2 * 12 * 197 * 197 * 64
    assert attention == 524_391_936
    assert 2 * macs - 2 * 12 * attention == 22_542_249_984


def test_a_vit_at_another_size_is_a_vit_built_for_it() -> None:
    """A ViT's position table is fixed when it is built (torchvision's image_size=), so
    the spec's `image` parameter builds the model and `--size` alone cannot stretch it:
    vit_b_16 built for 384 has (384/16)² + 1 = 577 rows of 768 where it had 14² + 1 = 197:
    (577 − 197) · 768 = 291,840 more parameters (86,567,656 + 291,840 = 86,859,496,
    torch's figure)."""
    assert analyze(load(SPECS / "vit_b_16.arch", image=384)).totals.params == 86_567_656 + 380 * 768 == 86_859_496
    with pytest.raises(ArchError, match=r"holds 197 positions .* got 577 tokens"):
        analyze(load(SPECS / "vit_b_16.arch"), size=384)


def test_maxvit_takes_only_sides_its_partitions_divide() -> None:
    """torchvision refuses 193 x 257 (tools/torch_figures.json: "shape '[1, 64, 7, 7, 9, 7]'
    is invalid"): after the stem and the first stride the map is 49 x 65, and 65 is no
    multiple of the 7 x 7 partition."""
    with pytest.raises(ArchError, match="unpadded windows of 7 x 7 need sides divisible by 7, got 49x65x64"):
        analyze(load(SPECS / "maxvit_t.arch"), size=(193, 257))


def test_a_vit_takes_only_the_size_its_positional_embedding_was_made_for() -> None:
    graph = load(SPECS / "vit_b_16.arch")
    with pytest.raises(ArchError, match=r"holds 197 positions .* got 257 tokens") as caught:
        analyze(graph, size=256)
    assert caught.value.location is not None
    # with fixed sinusoids it takes any multiple of the patch: (256/16)² + 1 = 257 tokens
    fixed = analyze(load(SPECS / "vit.arch", learned_pos=False), size=256)
    assert fixed.totals.params == 86_567_656 - 197 * 768


@pytest.mark.parametrize("family, values, member_name", [
    ("vit", {"layers": 24, "heads": 16, "hidden": 1024}, "vit_l_16"),
    ("vit", {"patch": 32}, "vit_b_32"),
    ("swin", {"embed": 128, "depths": (2, 2, 18, 2)}, "swin_b"),
    ("swin", {"side": 8, "v2": True}, "swin_v2_t"),
])
def test_the_family_spec_builds_its_members(family: str, values: dict[str, object], member_name: str) -> None:
    expected = {r[0]: r for r in TORCHVISION if r[1] == (224, 224)}[member_name]
    totals = analyze(load(SPECS / f"{family}.arch", **values), size=224).totals
    assert (totals.params, totals.buffers, totals.macs) == expected[2:]


# --- stochastic depth as torchvision sets it --------------------------------------------

def drop_rates(graph: object) -> list[float]:
    """Every droppath's p, in the order the layers run."""
    return [n.layer.p for n in graph.nodes if n.layer is not None and n.layer.kind == "droppath"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name, rate, total", [
    ("swin_t", 0.2, 12), ("swin_s", 0.3, 24), ("swin_b", 0.5, 24),
    ("swin_v2_t", 0.2, 12), ("swin_v2_s", 0.3, 24), ("swin_v2_b", 0.5, 24),
])
def test_swin_stochastic_depth_grows_over_the_blocks(name: str, rate: float, total: int) -> None:
    """torchvision's SwinTransformer: block k of all `total` blocks (k from 0, over every
    stage) gets sd_prob = stochastic_depth_prob · k / (total − 1), 0.2 tiny, 0.3 small,
    0.5 base, V2 alike; its one StochasticDepth module serves both branches (attention
    and MLP).  tools/torch_figures_transformers2.py read the same values off the
    modules (swin_t: 0.0, 0.018181818181818184, ..., 0.2)."""
    expected = [rate * float(k) / (total - 1) for k in range(total) for _branch in range(2)]
    assert drop_rates(load(SPECS / f"{name}.arch")) == expected
    if name == "swin_t":
        assert expected[:3] == [0.0, 0.0, 0.2 / 11] and expected[-1] == 0.2


def test_maxvit_stochastic_depth_grows_over_the_layers() -> None:
    """torchvision's MaxVit: p_stochastic = np.linspace(0, 0.2, 11), layer k's p, which
    np.linspace forms as k · (0.2/10) with the last set to 0.2.  Each layer's MBConv
    drops its branch (nn.Identity where p = 0: layer 0 has none) and each of its two
    partition layers drops both branches with one module: 10 + 2 · 2 · 11 = 54
    droppaths (tools/torch_figures_transformers2.py: 32 modules, the same p)."""
    p = [k * (0.2 / 10) for k in range(10)] + [0.2]
    expected = [p[0]] * 4 + [q for q in p[1:] for _use in range(5)]
    assert drop_rates(load(SPECS / "maxvit_t.arch")) == expected
    assert len(expected) == 54


def with_rate(name: str, rate: float) -> object:
    """The thin spec with another stochastic_depth_prob (0: every block's p is 0)."""
    path = SPECS / f"{name}.arch"
    text = path.read_text()
    default = {"swin_t": "rate=0.2", "maxvit_t": "rate=0.2"}[name]
    assert default in text
    return loads(text.replace(default, f"rate={rate}"), path=str(path))


def test_stochastic_depth_costs_training_only_where_p_is_above_zero() -> None:
    """A droppath with p > 0 keeps one element per image (its row mask, 4 B in float32)
    and multiplies the gradient (one op per element); at p = 0 StochasticDepth returns
    its input (a view, no backward).  Params and MACs do not change.

    swin_t at 224 (22 of its 24 droppaths have p > 0; block 0 has p = 0): 22 · 4 = 88 B,
    and the gradient products 2 · 56·56·96 (block 1) + 2·2 · 28·28·192 + 6·2 · 14·14·384
    + 2·2 · 7·7·768 = 602,112 + 602,112 + 903,168 + 150,528 = 2,257,920.  Its feature
    memory is the same (every block has its two droppaths either way).

    maxvit_t at 224 (50 droppaths with p > 0; maps 56²·64, 28²·128, 14²·256, 7²·512 =
    200,704, 100,352, 50,176, 25,088 elements, as windows or grids alike): 200 B, and
    5 · 200,704 + 10 · 100,352 + 25 · 50,176 + 10 · 25,088 = 3,512,320 products.  With
    p = 0 the MBConv has no droppath at all (nn.Identity), so feature memory loses the
    10 MBConv droppaths' outputs: 4 B · (200,704 + 2 · 100,352 + 5 · 50,176 + 2 · 25,088)
    = 2,809,856 B."""
    for name, kept, products, features in (("swin_t", 88, 2_257_920, 0),
                                           ("maxvit_t", 200, 3_512_320, 2_809_856)):
        ramp, none = analyze(with_rate(name, 0.2)), analyze(with_rate(name, 0))
        assert (ramp.totals.params, ramp.totals.macs) == (none.totals.params, none.totals.macs)
        t_ramp, t_none = training(ramp), training(none)
        assert t_ramp.activation_bytes - t_none.activation_bytes == kept, name
        assert t_ramp.backward_input_flops - t_none.backward_input_flops == products, name
        assert t_ramp.total_bytes - t_none.total_bytes == kept, name
        assert ramp.totals.feature_bytes - none.totals.feature_bytes == features, name
    assert 2 * 56 * 56 * 96 + 4 * 28 * 28 * 192 + 12 * 14 * 14 * 384 + 4 * 7 * 7 * 768 == 2_257_920
    assert 5 * 200_704 + 10 * 100_352 + 25 * 50_176 + 10 * 25_088 == 3_512_320


# --- GPT-2 ------------------------------------------------------------------------------

def gpt2(**values: object) -> object:
    return load(SPECS / "gpt2.arch", **values)


def test_gpt2_parameters() -> None:
    """Token table 50,257·768 = 38,597,376; position table 1,024·768 = 786,432; each of
    12 blocks: two layer norms 2·2·768 = 3,072, qkv 768·2,304 + 2,304 = 1,771,776, output
    768·768 + 768 = 590,592, MLP 768·3,072 + 3,072 + 3,072·768 + 768 = 4,722,432 --
    7,087,872; the final norm 1,536; the head shares the token table: 124,439,808."""
    a = analyze(gpt2())
    blocks = 12 * (3_072 + 1_771_776 + 590_592 + 4_722_432)
    assert a.totals.params == 38_597_376 + 786_432 + blocks + 1_536 == 124_439_808
    head = next(layer for layer in a.layers if layer.name == "gpt2.lm_head")
    assert (head.params, head.shared_params, head.shares) == (0, 38_597_376, "gpt2.wte")
    assert a.totals.output_shape == (50_257, 1_024, 1) and a.totals.output_layout == "tokens"


def test_gpt2_macs_per_token_at_1024_by_hand() -> None:
    """Per token and layer: projections 4·768² = 2,359,296 and MLP 2·768·3,072 =
    4,718,592; attention's two products 2·12·1,024·64 = 1,572,864 (each token meets
    all 1,024 -- causal masking hides scores, PyTorch still computes them): 8,650,752;
    12 layers 103,809,024; the head 768·50,257 = 38,597,376: 142,406,400 MACs per
    token, 145,824,153,600 for 1,024 tokens."""
    per_token = 12 * (2_359_296 + 4_718_592 + 2 * 12 * 1_024 * 64) + 768 * 50_257
    assert per_token == 142_406_400
    assert analyze(gpt2()).totals.macs == 1_024 * per_token == 145_824_153_600


@pytest.mark.parametrize("tokens, flopcounter", [(1, 247_100_928), (128, 32_228_179_968),
                                                 (1024, 291_648_307_200)])
@pytest.mark.parametrize("flash", [True, False])
def test_gpt2_flopcounter_at_every_length(tokens: int, flopcounter: int, flash: bool) -> None:
    """FlopCounterMode with the SDPA formula, transformers' sdpa and eager attention
    alike (tools/torch_figures.py, gpt2 seq1/seq128/seq1024)."""
    assert analyze(gpt2(flash=flash), size=tokens, convention="flops").totals.flops == flopcounter


def test_gpt2_runs_up_to_its_context() -> None:
    with pytest.raises(ArchError, match="holds 1,024 positions, fewer than the 1,025 tokens"):
        analyze(gpt2(), size=1025)


NO_DROPOUT = {"embd_pdrop": 0, "resid_pdrop": 0, "attn_pdrop": 0}


def test_gpt2_memory_with_and_without_a_score_matrix() -> None:
    """1,024 tokens, float32.  Materialised, each of the 12 attention layers also makes
    its scores and probabilities, 2 × 12·1,024² floats = 100,663,296 B: feature memory
    grows by 12 × that = 1,207,959,552 B; while the attention runs, 100,663,296 B more
    are live (the peak itself is the head's 1,024 x 50,257 logits either way:
    205,852,672 B + its 3,145,728 B input); for training each layer keeps its
    probabilities (12·1,024² floats) where the fused kernel keeps one statistic per
    row (12·1,024): 12 × (12,582,912 − 12,288) × 4 B = 603,389,952 B more -- and, with
    attn_pdrop = 0.1, the dropped copy of the probabilities (A·V's operand) and its
    1-byte mask, 12 × 12,582,912 × (4 + 1) B = 754,974,720 B more still, which the
    fused kernel (dropping within its tiles, the mask regenerated from its seed) never
    stores."""
    for values, kept in (({}, 603_389_952 + 754_974_720), (NO_DROPOUT, 603_389_952)):
        fused, eager = analyze(gpt2(flash=True, **values)), analyze(gpt2(flash=False, **values))
        assert eager.totals.feature_bytes - fused.totals.feature_bytes == 1_207_959_552
        live = [{s.name: s.live_bytes for s in liveness(a).steps} for a in (fused, eager)]
        attn = "gpt2.h.gpt2_block1.attn"
        assert live[1][attn] - live[0][attn] == 100_663_296
        assert liveness(fused).peak_bytes == liveness(eager).peak_bytes == 205_852_672 + 3_145_728
        assert liveness(eager).peak_layer == "gpt2.lm_head"
        t_fused, t_eager = training(fused, "adam"), training(eager, "adam")
        assert t_eager.activation_bytes - t_fused.activation_bytes == kept
        assert t_fused.weight_bytes == 124_439_808 * 4  # the tied table stored once
    assert 12 * (12 * 1_024 ** 2 - 12 * 1_024) * 4 == 603_389_952
    assert 12 * 12 * 1_024 ** 2 * (4 + 1) == 754_974_720


def test_gpt2_dropouts_where_transformers_applies_them() -> None:
    """GPT2Config: embd_pdrop = resid_pdrop = attn_pdrop = 0.1 (transformers 5.24.0;
    tools/torch_figures_transformers2.py lists the modules: transformer.drop, and per
    block attn.attn_dropout, attn.resid_dropout, mlp.dropout -- 37 nn.Dropout).  As
    layers: one after the embeddings' sum, two per block after the output projections:
    25 dropouts on 1,024 x 768 = 786,432 elements.  Counts do not change; feature memory
    counts a dropout's output twice (docs/memory.md): 25 · 2 · 786,432 · 4 B =
    157,286,400 B; training keeps each one's 1-byte mask, 25 · 786,432 = 19,660,800 B
    (fused attention: the attention's own dropout keeps nothing), and its backward
    multiplies by the mask: 19,660,800 ops, plus 12 · 12·1,024² = 150,994,944 for the
    attention probabilities' masks."""
    graph = gpt2()
    drops = [(n.name, n.layer.p) for n in graph.nodes if n.layer is not None and n.layer.kind == "dropout"]
    assert len(drops) == 25 and {p for _, p in drops} == {0.1}
    assert drops[:3] == [("gpt2.drop", 0.1), ("gpt2.h.gpt2_block1.resid_dropout", 0.1),
                         ("gpt2.h.gpt2_block1.mlp_dropout", 0.1)]
    attns = [n.layer for n in graph.nodes if n.layer is not None and n.layer.kind == "attention"]
    assert len(attns) == 12 and {a.dropout for a in attns} == {0.1}
    with_drops, without = analyze(graph), analyze(gpt2(**NO_DROPOUT))
    assert (with_drops.totals.params, with_drops.totals.macs) == (without.totals.params, without.totals.macs)
    assert with_drops.totals.feature_bytes - without.totals.feature_bytes == 25 * 2 * 786_432 * 4 == 157_286_400
    t_with, t_without = training(with_drops), training(without)
    assert t_with.activation_bytes - t_without.activation_bytes == 25 * 786_432 == 19_660_800
    assert t_with.backward_input_flops - t_without.backward_input_flops == 19_660_800 + 150_994_944
    assert 12 * 12 * 1_024 ** 2 == 150_994_944


def test_gpt2_backward_recomputes_one_product_per_layer_when_fused() -> None:
    """The backward of one attention layer (1,024 tokens, 12 heads of 64): the eager path
    holds the probabilities P and forms dV = Pᵀ·dO, dP = dO·Vᵀ, dQ = dS·K, dK = dSᵀ·Q --
    four products of 12·1,024·1,024·64 = 805,306,368 MACs; the fused kernel stored only
    a row statistic, so it first recomputes S = Q·Kᵀ from Q and K: a fifth product.  The
    whole backward pass differs by 12 × 805,306,368 = 9,663,676,416 operations, with or
    without dropout (both paths multiply by the probabilities' mask)."""
    product = 12 * 1_024 * 1_024 * 64
    assert product == 805_306_368
    for values in ({}, NO_DROPOUT):
        fused, eager = (training(analyze(gpt2(flash=flash, **values))) for flash in (True, False))
        assert fused.backward_input_flops - eager.backward_input_flops == 12 * product == 9_663_676_416
        assert fused.backward_weight_flops == eager.backward_weight_flops
        assert fused.backward_flops - eager.backward_flops == 9_663_676_416


# --- the hybrid and single attention modules, against their PyTorch twins ------------------

HYBRID = {  # tools/torch_attention_checks.json, "hybrid"
    (224, 224): {"macs": 1_221_103_616, "fvcore": 1_148_197_888, "ptflops": 1_149_737_880,
                 "thop": 1_151_058_944, "calflops": 2_292_465_584},
    (193, 257): {"macs": 1_352_971_104, "fvcore": 1_259_166_496, "ptflops": 1_260_678_340,
                 "thop": 1_262_107_872, "calflops": 2_514_073_756},
    (64, 96): {"macs": 141_967_360, "fvcore": 141_494_272, "ptflops": 141_683_720,
               "thop": 141_845_504, "calflops": 282_507_296},
}


@pytest.mark.parametrize("size", list(HYBRID), ids=[f"{h}x{w}" for h, w in HYBRID])
def test_the_hybrid_against_its_pytorch_twin(size: tuple[int, int]) -> None:
    """5,255,176 parameters and 4,800 BN statistics at every size; grouped-query
    attention (8 query heads, 2 key/value heads) through nn.Linear + SDPA."""
    graph = load(SPECS / "conv_attention_hybrid.arch")
    totals = analyze(graph, size=size).totals
    assert (totals.params, totals.buffers, totals.output_shape) == (5_255_176, 4_800, (1000, 1, 1))
    for convention, value in HYBRID[size].items():
        assert analyze(graph, size=size, convention=convention).totals.flops == value, convention


def test_cross_attention_as_nn_multiheadattention() -> None:
    """nn.MultiheadAttention(32, 4, kdim=24, vdim=24, batch_first=True), queries of 5
    tokens, keys and values from 7 tokens of 24 (tools/torch_attention_checks.json
    "mha_cross"): 3,712 parameters = q 32·32 + k, v 2·32·24 + in-projection bias 96 +
    output 32·32 + 32; MACs 5·32·32 + 2·7·24·32 + 2·4·5·7·8 + 5·32·32 = 23,232."""
    spec = loads("input q: tokens 5 x 32\ninput kv: tokens 7 x 24\nx = attention(q, kv, 4, fused=false, form=\"mha\")\n")
    totals = analyze(spec).totals
    assert (totals.params, totals.macs, totals.output_shape) == (3_712, 23_232, (32, 5, 1))
    assert 5 * 32 * 32 + 2 * 7 * 24 * 32 + 2 * 4 * 5 * 7 * 8 + 5 * 32 * 32 == 23_232
    tools = {"fvcore": 20_992, "ptflops": 19_052, "thop": 0, "calflops": 41_984}
    for convention, value in tools.items():
        assert analyze(spec, convention=convention).totals.flops == value, convention


@pytest.mark.parametrize("flash, tools", [
    (False, {"fvcore": 157_824, "ptflops": 158_404, "thop": 0, "calflops": 316_228}),  # eager
    (True, {"fvcore": 147_456, "ptflops": 147_712, "thop": 0, "calflops": 295_168}),  # sdpa
])
def test_gpt2_attention_as_transformers_writes_it(flash: bool, tools: dict[str, int]) -> None:
    """One GPT2Attention, 64 dimensions, 4 heads, 9 tokens: 16,640 parameters, MACs
    9·64·256 + 2·4·9·9·16 = 157,824 (tools/torch_attention_checks.json "gpt2_attention")."""
    spec = loads(f"input tokens 9 x 64\nx = attention(4, form=\"gpt2\", causal=true, flash={str(flash).lower()})\n")
    totals = analyze(spec).totals
    assert (totals.params, totals.macs) == (16_640, 157_824)
    for convention, value in tools.items():
        assert analyze(spec, convention=convention).totals.flops == value, convention


def test_reports_and_the_model_table_speak_of_tokens() -> None:
    """GPT-2's report at its @scales (0.125 to 1 of its 1,024 tokens) and its row of the
    model table give lengths, not H x W."""
    from archspec.costs.model_table import table_row
    from archspec.costs.report import compute_report
    from archspec.views.model_table import markdown_row
    from archspec.views.report_markdown import render_report_markdown

    graph = gpt2()
    text = render_report_markdown(compute_report(graph), figure=False)
    # the feature layer is GPT-2's last hidden states (@features ln_f): 768 per token
    assert "at input size 1024 tokens" in text and "| 128 tokens | 128 tokens x 768 |" in text
    assert "| 1024 tokens |" in markdown_row(table_row(graph))
