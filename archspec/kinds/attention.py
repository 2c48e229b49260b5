"""Multi-head attention, one kind with its parts visible.

`attention(heads)` on (D, N, M): M independent sequences of N tokens of
dimension D (M = 1 for a plain sequence, the number of windows for Swin).
With a second input (D_k, N_k, M) it is cross-attention: queries from the
first input, keys and values from the second.  Its parts:

* projections: queries D -> h·d_h, keys and values D_k -> h_kv·d_h (fewer
  key/value heads: grouped-query, or multi-query with one), fused into one
  weight (`fused=true`: PyTorch's `in_proj_weight`, Swin's `qkv`) or
  separate, each with or without a bias; the output projection h·d_h -> D;
* the two products per head: Q·Kᵀ (N x N_k scores) and attention·V -- the
  N² term; a `causal` mask leaves them whole (PyTorch computes, and
  FlopCounterMode counts, every score; the mask only hides some);
* a relative position bias (Swin's and MaxViT's `rel_pos=w`: a learnt table
  of (2w − 1)² x h and an index buffer of N² for windows of w x w tokens;
  Swin V2's continuous bias, `form="swin_v2"`, computes it with a small MLP);
* `flash`: whether the N x N_k score matrix is ever held in memory.  Without
  it (eager attention, Swin) the scores and the probabilities are tensors of
  M·h·N·N_k elements; a fused kernel (FlashAttention, PyTorch's SDPA on most
  backends) keeps them in on-chip tiles and stores a row statistic instead;
* `dropout=p`: dropout on the attention probabilities in training (GPT-2's
  attn_pdrop), the identity at inference.  With the probabilities held, the
  dropped copy is a second score-sized tensor that the A·V product keeps for
  its backward, besides a 1-byte mask; a fused kernel drops within its tiles
  and regenerates the mask from its random seed (nothing more is kept).

MACs are the multiply-accumulates of all of these: torchvision's published
`_ops` for ViT include the two products (FlopCounterMode counts them through
the SDPA kernels' formula).

How a peer FLOP counter sees attention depends on the PyTorch code that
implements it, which `form` names (docs/conventions.md has each rule and its
source):

* `mha`     nn.MultiheadAttention(batch_first=True) called with
            need_weights=False, as torchvision's ViT: F.multi_head_attention_forward
            -> F.linear projections + F.scaled_dot_product_attention;
* `swin`    torchvision's shifted_window_attention: F.linear with the `qkv`
            and `proj` weights, `q.matmul(k.transpose)`, F.softmax, `attn.matmul(v)`;
* `swin_v2` the same with cosine attention (`F.normalize(q) @ F.normalize(k)ᵀ`,
            a Python `@`) and the continuous position bias MLP (nn.Linear modules);
* `sdpa`    nn.Linear projection modules + F.scaled_dot_product_attention
            (the common modern writing);
* `gpt2`    Hugging Face transformers' GPT2Attention: Conv1D projections
            (torch.addmm); eager attention (torch.matmul, F.softmax,
            torch.matmul) when the scores are materialised, SDPA with `flash`;
* `einsum`  torchvision's MaxViT (RelativePositionalMultiHeadAttention):
            nn.Linear projections, torch.einsum for both products, F.softmax.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .base import NEW, Arity, Backward, Example, Layer, per_convention
from .fields import Positive
from .formula import ZERO, Cases, Choice, Factors, Formula, Named, Term, Test, Uncounted
from .shape import SAME, TOKENS, Shape, ShapeError, show
from .terms import INPUTS, OUT

FORMS = ("mha", "swin", "swin_v2", "sdpa", "gpt2", "einsum")

# --- names ----------------------------------------------------------------------------

N = Term("N", lambda s: s.inputs[0][1], meaning="query tokens per sequence")
NK = Term("N_k", lambda s: s.inputs[-1][1], meaning="key and value tokens per sequence (N for self-attention)")
M = Term("M", lambda s: s.inputs[0][2], meaning="sequences (windows) attended independently")
D = Term("D", lambda s: s.inputs[0][0], meaning="query token dimension (and the output's)")
DK = Term("D_k", lambda s: s.inputs[-1][0], meaning="key/value source token dimension (D for self-attention)")
HEADS = Term("h", lambda s: s.layer.heads, meaning="query heads")
KV_HEADS = Term("h_kv", lambda s: s.layer.kv_count(), meaning="key/value heads (h; fewer: grouped-query)")
DH = Term("d_h", lambda s: s.layer.head_size(s.inputs[0][0]), meaning="dimension of one head")
TABLE_SIDE = Term("2w−1", lambda s: 2 * s.layer.rel_pos - 1 if s.layer.rel_pos else 0,
                  meaning="relative offsets along one side of a w x w window")
CPB = Term("cpb", lambda s: s.layer.cpb, meaning="hidden width of Swin V2's position-bias MLP")

FLASH = Test("flash", lambda s: s.layer.flash, "scores materialised")
MATERIALISED = Test("scores materialised", lambda s: not s.layer.flash, "flash")
# eager attention's F.dropout on the held probabilities (training only)
DROPPED = Test("dropout on the held probabilities", lambda s: not s.layer.flash and s.layer.dropout > 0,
               "no dropout on held probabilities")
DROPOUT = Test("dropout on the probabilities", lambda s: s.layer.dropout > 0, "no dropout on the probabilities")
QKV_BIAS = Test("q/k/v bias", lambda s: s.layer.qkv_bias, "no q/k/v bias")
OUT_BIAS = Test("output bias", lambda s: s.layer.out_bias, "no output bias")

# the parts' multiply-accumulates
Q_PROJ = Factors(M, N, D, HEADS, DH)
KV_PROJ = 2 * Factors(M, NK, DK, KV_HEADS, DH)
OUT_PROJ = Factors(M, N, HEADS, DH, D)
PRODUCT = Factors(M, HEADS, N, NK, DH)  # Q·Kᵀ, and again attention·V
SCORES = Factors(M, HEADS, N, NK)  # elements of the score matrix
# Swin V2's position-bias MLP, run once per forward on the (2w−1)² relative offsets
CPB_HIDDEN = Factors(TABLE_SIDE, TABLE_SIDE, CPB)  # the MLP's hidden elements
CPB_MACS = CPB_HIDDEN * (2 + HEADS)

PROJECTIONS = Named("projections", Q_PROJ + KV_PROJ + OUT_PROJ)
SCORE_PRODUCT = Named("Q·Kᵀ", PRODUCT)
VALUE_PRODUCT = Named("A·V", PRODUCT)
PRODUCTS = SCORE_PRODUCT + VALUE_PRODUCT
POSITION_MLP = Named("position MLP", CPB_MACS)


def _bias_kind(s: Any) -> str:
    """Which position bias the layer has: none, a learnt table, or Swin V2's MLP."""
    if s.layer.rel_pos is None:
        return "none"
    return "mlp" if s.layer.form == "swin_v2" else "table"


def _bias_adds(s: Any) -> Any:
    layer = s.layer
    m, n, nk = s.inputs[0][2], s.inputs[0][1], s.inputs[-1][1]
    d, dh, h, hkv = s.inputs[0][0], layer.head_size(s.inputs[0][0]), layer.heads, layer.kv_count()
    total = 0
    if layer.qkv_bias:
        total = total + m * n * h * dh + 2 * m * nk * hkv * dh
    if layer.out_bias:
        total = total + m * n * d
    return total


def _bias_shown(s: Any) -> str:
    layer = s.layer
    m, n, nk = s.inputs[0][2], s.inputs[0][1], s.inputs[-1][1]
    d, dh, h, hkv = s.inputs[0][0], layer.head_size(s.inputs[0][0]), layer.heads, layer.kv_count()
    parts = []
    if layer.qkv_bias:
        parts += [f"{m}·{n}·{h}·{dh}", f"2 × {m}·{nk}·{hkv}·{dh}"]
    if layer.out_bias:
        parts.append(f"{m}·{n}·{d}")
    return " + ".join(parts) if parts else "0"


BIAS = Term("bias", _bias_adds, _bias_shown, "one addition per element of each projection that has a bias")


def _addmm_bias(s: Any) -> Any:
    """torch.addmm's bias as ptflops and calflops count it: the bias vector's
    elements, once per call (not per token)."""
    layer = s.layer
    d, dh = s.inputs[0][0], layer.head_size(s.inputs[0][0])
    inner = layer.heads * dh + 2 * layer.kv_count() * dh
    return (inner if layer.qkv_bias else 0) + (d if layer.out_bias else 0)


ADDMM_BIAS = Term("bias_vectors", _addmm_bias, meaning="elements of the Conv1D bias vectors (torch.addmm's input)")

MACS = Named("macs", Cases("macs", _bias_kind, {"none": PROJECTIONS + PRODUCTS, "table": PROJECTIONS + PRODUCTS,
                                                 "mlp": PROJECTIONS + PRODUCTS + POSITION_MLP}))

# the hook splits each input's dimension into the heads, rounding down
D_PER_HEAD = Term("D/h", lambda s: s.inputs[0][0] // s.layer.heads, meaning="query dimension per head, rounded down")
DK_PER_HEAD = Term("D_k/h", lambda s: s.inputs[-1][0] // s.layer.heads,
                   meaning="key/value dimension per head, rounded down")
# ptflops' hook for nn.MultiheadAttention (multihead_attention_counter_hook), per sequence:
# the q scaling, three D² projections (k and v with the key source's dimension), the
# in-projection bias, per head Q·Kᵀ, a softmax and A·V, and the output projection with a bias
MHA_HOOK = (Factors(M, N, D) + Factors(M, N, D, D) + 2 * Factors(M, NK, DK, DK)
            + Choice(QKV_BIAS, Factors(M, N + 2 * NK, D), ZERO)
            + Factors(M, HEADS, N, NK, D_PER_HEAD) + Factors(M, HEADS, N, NK) + Factors(M, HEADS, N, NK, DK_PER_HEAD)
            + Factors(M, N, DK, DK + 1))

def _numpy_flop_count(products: Any) -> Any:
    """numpy's einsum_path "Optimized FLOP count" for a product of `products`
    multiply-adds (2 per multiply-add, plus 1), as it prints it: 4 significant
    digits.  fvcore and calflops read their einsum counts from that line."""
    def printed(n: int) -> int:
        return int(float(f"{2 * int(n) + 1:.3e}"))
    if hasattr(products, "shape"):
        import numpy as np

        return np.frompyfunc(printed, 1, 1)(products).astype(products.dtype)
    return printed(products)


# torch.einsum for one product, as each tool reads numpy's rounded line
EINSUM_PRINTED = Term("einsum_count", lambda s: _numpy_flop_count(PRODUCT(s)),
                      meaning="numpy's einsum_path count of one product: 2·M·h·N·N_k·d_h + 1, to 4 significant digits")
EINSUM_FVCORE = Term("einsum_count/2", lambda s: _numpy_flop_count(PRODUCT(s)) // 2,
                     meaning="fvcore's einsum count: half numpy's rounded count, rounded down")

MHA_UNSEEN = "nn.MultiheadAttention is not a registered module (its out_proj is never called as one)"
SWIN_UNSEEN = "F.linear and Tensor.matmul are not modules"
CONV1D_UNSEEN = "transformers' Conv1D is not a registered module, and torch.matmul is not a module"


def _form(s: Any) -> str:
    form: str = s.layer.form
    return form


ATTENTION_FLOPS = per_convention(
    # as the reference would price the parts: projections like fc (MACs + bias), the
    # products their MACs, the position bias 1 add per score; softmax and scaling
    # (exponentials, a constant) are not counted
    burden=Cases("burden", _bias_kind, {"none": MACS + BIAS, "table": MACS + BIAS + SCORES,
                                        "mlp": MACS + BIAS + SCORES}),
    fvcore=Cases("fvcore", _form, {
        "mha": PROJECTIONS,  # aten::linear twice; aten::scaled_dot_product_attention has no handle
        "swin": MACS,  # aten::linear and aten::matmul, no bias
        "swin_v2": MACS,  # the `@` traces to aten::matmul too; the MLP's nn.Linear to aten::linear
        "sdpa": PROJECTIONS,
        "gpt2": Choice(FLASH, PROJECTIONS, PROJECTIONS + PRODUCTS),  # aten::addmm, aten::matmul
        # aten::linear; an einsum outside fvcore's two patterns: numpy's rounded count, halved
        "einsum": PROJECTIONS + 2 * EINSUM_FVCORE,
    }),
    ptflops=Cases("ptflops", _form, {
        "mha": MHA_HOOK,
        # F.linear is not patched; Tensor.matmul and F.softmax are
        "swin": PRODUCTS + SCORES,
        # `@` is not patched: only attn.matmul(v); the MLP: nn.Linear hooks (the first with its
        # bias) and its nn.ReLU twice (hook and patched F.relu)
        "swin_v2": VALUE_PRODUCT + SCORES + CPB_HIDDEN * (5 + HEADS),
        "sdpa": PROJECTIONS + BIAS,  # nn.Linear hooks with their bias; SDPA not patched
        # torch.addmm patched (its bias vector once); eager: torch.matmul and F.softmax
        "gpt2": PROJECTIONS + ADDMM_BIAS + Choice(FLASH, ZERO, PRODUCTS + SCORES),
        "einsum": PROJECTIONS + BIAS + SCORES,  # nn.Linear hooks and F.softmax; torch.einsum not patched
    }),
    thop=Cases("thop", _form, {
        "mha": Uncounted(MHA_UNSEEN),
        "swin": Uncounted(SWIN_UNSEEN),
        "swin_v2": CPB_MACS,  # only the MLP's nn.Linear modules (count_linear); ReLU is zero_ops
        "sdpa": PROJECTIONS,  # count_linear, no bias
        "gpt2": Uncounted(CONV1D_UNSEEN),
        "einsum": PROJECTIONS,  # count_linear on the nn.Linear projections
    }),
    calflops=Cases("calflops", _form, {
        "mha": 2 * PROJECTIONS,  # the patched F.linear inside F.multi_head_attention_forward, no bias
        "swin": 2 * MACS + SCORES,  # F.linear, Tensor.matmul (2 per MAC), F.softmax
        # `@` is not patched; F.linear (the MLP's too), attn.matmul(v), F.softmax and the
        # MLP's F.relu are
        "swin_v2": 2 * (PROJECTIONS + VALUE_PRODUCT + CPB_MACS) + SCORES + CPB_HIDDEN,
        "sdpa": 2 * PROJECTIONS,
        "gpt2": 2 * PROJECTIONS + ADDMM_BIAS + Choice(FLASH, ZERO, 2 * PRODUCTS + SCORES),
        # F.linear; the patched torch.einsum returns numpy's rounded count; F.softmax
        "einsum": 2 * PROJECTIONS + 2 * EINSUM_PRINTED + SCORES,
    }),
)

QKV = Factors(M, N, HEADS, DH) + 2 * Factors(M, NK, KV_HEADS, DH)  # q, k and v
CONTEXT = Factors(M, N, HEADS, DH)  # the heads' outputs before the output projection
ROW_STATISTIC = Factors(M, HEADS, N)  # a fused kernel's log-sum-exp per query row


class Attention(Layer):
    kind = "attention"
    summary = "multi-head attention (heads, d_h, kv_heads, fused q/k/v, causal, flash, rel_pos, cross)"
    category = "attention"
    positional = ("heads",)
    arity = Arity(1, 2)
    layout = SAME
    example = Example(((16, 5, 2),), {"heads": 2})
    storage = NEW
    feature_arrays = 1
    # q, k, v and the heads' outputs, and the scores and probabilities unless fused
    intermediates = QKV + CONTEXT + Choice(MATERIALISED, 2 * SCORES, ZERO)
    macs = MACS
    flops = ATTENTION_FLOPS
    # Backward keeps what PyTorch keeps: the input (for the projections' weight
    # gradients), q, k, v, the heads' outputs, and the probabilities -- or, fused, a
    # row statistic instead (the kernel recomputes the scores).  Input gradients: each
    # projection's MACs again; dP = dO·Vᵀ, dV = Pᵀ·dO, dQ = dS·K, dK = dSᵀ·Q (four
    # products); the softmax's backward, 3 per score; fused: Q·Kᵀ recomputed.  Dropout
    # on held probabilities keeps the dropped copy (A·V's operand) and a 1-byte mask;
    # either way its backward multiplies each score's gradient by the mask (a fused
    # kernel regenerates it from its seed).
    backward = Backward(
        keeps_inputs=True,
        saved_elements=QKV + CONTEXT + Choice(MATERIALISED, SCORES, ROW_STATISTIC) + Choice(DROPPED, SCORES, ZERO),
        saved_bytes=Choice(DROPPED, SCORES, ZERO),
        input_grad=PROJECTIONS + 4 * PRODUCT + 3 * SCORES + Choice(FLASH, PRODUCT, ZERO)
        + Choice(DROPOUT, SCORES, ZERO),
        weight_grad=Cases("weight gradient", _bias_kind, {
            "none": PROJECTIONS + BIAS, "table": PROJECTIONS + BIAS + SCORES,
            "mlp": PROJECTIONS + BIAS + SCORES + POSITION_MLP}),
    )
    work = 2 * MACS + BIAS
    # inputs and output; q, k, v and the heads' outputs written and read back; the
    # scores written, read by the softmax, the probabilities written and read -- unless fused
    traffic = INPUTS + OUT + 2 * QKV + 2 * CONTEXT + Choice(MATERIALISED, 4 * SCORES, ZERO)

    heads: Positive
    head_dim: Positive | None = None
    kv_heads: Positive | None = None
    qkv_bias: bool = True
    out_bias: bool = True
    fused: bool = True
    causal: bool = False
    flash: bool = False
    dropout: Annotated[float | int, Field(ge=0, lt=1)] = 0.0
    rel_pos: Positive | None = None
    cpb: Positive = 512
    form: Literal["mha", "swin", "swin_v2", "sdpa", "gpt2", "einsum"] = "sdpa"

    @model_validator(mode="after")
    def _form_fits(self) -> Attention:
        if self.kv_heads is not None and self.heads % self.kv_heads:
            raise ValueError(f"heads={self.heads} must be a multiple of kv_heads={self.kv_heads}")
        grouped = self.kv_heads is not None and self.kv_heads != self.heads
        if self.form != "sdpa" and grouped:
            raise ValueError(f"form={self.form!r} has as many key/value heads as query heads; "
                             "grouped-query attention is form=\"sdpa\"")
        if self.form in ("swin", "swin_v2", "gpt2") and not self.fused:
            raise ValueError(f"form={self.form!r} projects q, k and v with one fused weight")
        if self.form in ("swin", "swin_v2", "einsum") and (self.flash or self.causal):
            raise ValueError(f"form={self.form!r} materialises its scores and has no causal mask")
        if self.form == "swin_v2" and self.rel_pos is None:
            raise ValueError("form=\"swin_v2\" needs rel_pos=w, its windows' side")
        if self.form == "mha" and self.rel_pos is not None:
            raise ValueError("nn.MultiheadAttention has no relative position bias")
        return self

    # --- sizes -------------------------------------------------------------------------
    def kv_count(self) -> int:
        return self.heads if self.kv_heads is None else self.kv_heads

    def head_size(self, d: Any) -> Any:
        return d // self.heads if self.head_dim is None else self.head_dim

    def output_shape(self, inputs: list[Shape]) -> Shape:
        d, n, m = inputs[0]
        dk, nk, mk = inputs[-1]
        cross = len(inputs) == 2
        if self.head_dim is None and d % self.heads:
            raise ShapeError(f"{int(d):,} dimensions do not split into {self.heads} heads; give head_dim")
        if self.form in ("mha", "gpt2") and self.head_dim is not None and self.head_dim * self.heads != d:
            raise ShapeError(f"form={self.form!r} splits the {int(d):,} dimensions into the heads: "
                             f"head_dim must be {int(d) // self.heads}")
        if cross:
            if self.form in ("swin", "swin_v2", "gpt2", "einsum"):
                raise ShapeError(f"form={self.form!r} is self-attention: one input")
            if mk != m:
                raise ShapeError(f"queries {show(inputs[0], TOKENS)} and keys {show(inputs[1], TOKENS)} "
                                 "are not the same number of sequences")
            if self.fused and dk != d:
                raise ShapeError(f"one fused q/k/v weight needs keys of the queries' dimension {int(d):,}, "
                                 f"got {int(dk):,}; say fused=false")
        if self.rel_pos is not None and (n != self.rel_pos ** 2 or nk != n):
            raise ShapeError(f"a relative position bias for {self.rel_pos} x {self.rel_pos} windows needs "
                             f"{self.rel_pos ** 2} tokens per sequence, got {int(n)}")
        return d, n, m

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        d, n, m = inputs[0]
        nk = inputs[-1][1]
        h, hkv, dh = self.heads, self.kv_count(), self.head_size(d)
        heads = f"heads: {h} × d_h {dh} = {h * dh}"
        if hkv != h:
            heads += f"; {hkv} key/value head{'s' if hkv > 1 else ''}, each shared by {h // hkv} query heads"
        lines = [heads]
        if m > 1:
            lines.append(f"windows: {m} sequences of {n} tokens, attended independently")
        if len(inputs) == 2:
            lines.append(f"cross: keys and values from {nk} tokens of {inputs[1][0]}")
        product = m * h * n * nk * dh
        lines.append(f"products: Q·Kᵀ and A·V each M·h·N·N_k·d_h = {m}·{h}·{n}·{nk}·{dh} = {product:,} "
                     "MACs (the N² term)")
        scores = m * h * n * nk
        held = ("held, with the probabilities (2 arrays)" if not self.flash else
                "never held (flash: computed in tiles)")
        lines.append(f"scores: M·h·N·N_k = {m}·{h}·{n}·{nk} = {scores:,} elements, {held}")
        if self.causal:
            lines.append("mask: causal; every score is still computed (as PyTorch does and FlopCounterMode counts)")
        if self.dropout > 0:
            kept = ("the dropped copy of the probabilities and a 1-byte mask kept" if not self.flash else
                    "within the kernel's tiles (nothing more kept)")
            lines.append(f"dropout: p = {self.dropout:g} on the probabilities in training, {kept}")
        return lines

    # --- parameters ------------------------------------------------------------------------
    def learnable(self) -> dict[str, Formula]:
        arrays: dict[str, Formula] = {}
        if self.fused:
            arrays["in_proj_weight"] = Factors(HEADS, DH, D) + 2 * Factors(KV_HEADS, DH, D)
            if self.qkv_bias:
                arrays["in_proj_bias"] = Factors(HEADS, DH) + 2 * Factors(KV_HEADS, DH)
        else:
            arrays["q_weight"] = Factors(HEADS, DH, D)
            arrays["k_weight"] = Factors(KV_HEADS, DH, DK)
            arrays["v_weight"] = Factors(KV_HEADS, DH, DK)
            if self.qkv_bias:
                arrays.update(q_bias=Factors(HEADS, DH), k_bias=Factors(KV_HEADS, DH),
                              v_bias=Factors(KV_HEADS, DH))
        arrays["out_weight"] = Factors(D, HEADS, DH)
        if self.out_bias:
            arrays["out_bias"] = D
        if self.rel_pos is not None:
            if self.form == "swin_v2":
                # cpb_mlp: Linear(2, cpb) with bias, ReLU, Linear(cpb, h) without; logit_scale
                arrays["cpb_weight1"] = Factors(CPB, 2)
                arrays["cpb_bias1"] = CPB
                arrays["cpb_weight2"] = Factors(HEADS, CPB)
                arrays["logit_scale"] = HEADS
            else:
                arrays["rel_pos_table"] = Factors(TABLE_SIDE, TABLE_SIDE, HEADS)
        return arrays

    def buffers(self) -> dict[str, Formula]:
        if self.rel_pos is None:
            return {}
        arrays: dict[str, Formula] = {"rel_pos_index": Factors(N, N)}  # N² offsets into the table
        if self.form == "swin_v2":
            arrays["rel_coords_table"] = Factors(TABLE_SIDE, TABLE_SIDE, 2)
        return arrays


__all__ = ["FORMS", "Attention"]
