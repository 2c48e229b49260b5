"""Token sequences: the ways in and out of them that vision transformers and
language models use, and the rearrangements Swin makes of an image.

A sequence of N tokens of dimension D is held as (D, N, 1) -- the token
dimension plays the channels' part, so per-position layers (`linear`,
`layernorm`, a 1x1 `conv`) act on each token.  M independent sequences of N
tokens (Swin's windows, attention's batch of windows) are (D, N, M).  See
kinds/shape.py.

None of these layers computes anything a FLOP counter counts (the positional
embedding's add and the token mean excepted, which only `burden` counts): the
peers see views, `torch.cat`, `torch.roll`, `F.pad`, indexing and Python's `+`,
none of which they price.
"""

from __future__ import annotations

from math import isqrt
from typing import Any

from pydantic import PrivateAttr

from .base import NEW, ONE, VIEW, Arity, Backward, Example, Layer, per_convention
from .families import KeepsShape, NoParameters
from .fields import NonNegative, Positive
from .formula import ZERO, Choice, Factors, Formula, Term, Test, Uncounted
from .shape import IMAGE, SAME, TOKENS, Shape, ShapeError, show
from .terms import INP, INPUTS, OUT

# --- names ----------------------------------------------------------------------------

D = Term("D", lambda s: s.inputs[0][0], meaning="token dimension (the input's channels)")
COUNT = Term("count", lambda s: s.layer.count, meaning="learnt tokens prepended")
POSITIONS = Term("positions", lambda s: s.layer.table_rows(s.inputs[0]),
                 meaning="rows of the positional table")
VOCAB = Term("vocab", lambda s: s.layer.vocab, meaning="rows of the embedding table (the vocabulary)")
DIM = Term("dim", lambda s: s.layer.dim, meaning="columns of the embedding table (the token dimension)")
LEARNED = Test("learned", lambda s: s.layer.learned, "fixed (sinusoidal)")

NOTHING_COUNTED = "a view or copy: no arithmetic"
PASSES_GRADIENT = Backward(input_grad=ZERO, weight_grad=ZERO)


def _unseen(reason: str) -> Any:
    return per_convention(burden=Uncounted("moves values; no arithmetic"), fvcore=Uncounted(reason),
                          ptflops=Uncounted(reason), thop=Uncounted(reason), calflops=Uncounted(reason))


class _Move(NoParameters, Layer):
    """What the rearrangements share: no arithmetic, no gradient work of
    their own (the gradient is rearranged back)."""

    category = "data movement"
    arity = ONE
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = _unseen(NOTHING_COUNTED)
    backward = PASSES_GRADIENT
    work = ZERO

    def downsampling(self) -> tuple[int, int]:
        return 1, 1


# --- images to tokens and back -----------------------------------------------------------

class ToTokens(_Move):
    """An image C x H x W as H·W tokens of dimension C, in row-major order
    (ViT's `x.reshape(n, C, h·w).permute(0, 2, 1)`: views)."""

    kind = "to_tokens"
    summary = "image C x H x W -> H·W tokens of dimension C (a view)"
    positional = ()
    layout = TOKENS
    example = Example(((8, 3, 5),))
    storage = VIEW
    traffic = ZERO  # a view: it moves nothing

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        return c, h * w, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        _, h, w = inputs[0]
        return [f"N = H·W = {h}·{w} = {output[1]} tokens"]


class ToGrid(_Move):
    """N tokens back to an image C x h x w (N = h·w): `to_grid(h, w)`, or
    `to_grid(x, ref)` for the height and width of the image `ref`."""

    kind = "to_grid"
    summary = "N tokens -> image C x h x w (to_grid(h, w) or to_grid(x, ref)); a view"
    positional = ("h", "w")
    arity = Arity(1, 2)
    layout = IMAGE
    example = Example(((8, 15, 1), (3, 3, 5)))
    storage = VIEW
    traffic = ZERO

    h: Positive | None = None
    w: Positive | None = None

    def target(self, inputs: list[Shape]) -> tuple[Any, Any]:
        if len(inputs) == 2:
            if self.h is not None or self.w is not None:
                raise ShapeError("give either the grid's h and w or a reference image, not both")
            return inputs[1][1], inputs[1][2]
        if self.h is None or self.w is None:
            raise ShapeError("needs the grid's height and width: to_grid(h, w) or to_grid(x, ref)")
        return self.h, self.w

    def output_shape(self, inputs: list[Shape]) -> Shape:
        d, n, m = inputs[0]
        h, w = self.target(inputs)
        if m != 1 or n != h * w:
            raise ShapeError(f"{show(inputs[0], TOKENS)} do not fill a {h} x {w} grid ({h * w} tokens)")
        return d, h, w

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"{inputs[0][1]} tokens = {output[1]}·{output[2]} positions"]


# --- learnt and fixed tokens ------------------------------------------------------------

class ClassToken(Layer):
    """`count` learnt tokens prepended to each sequence (ViT's class token,
    register tokens): count·D parameters; torch.cat makes a new tensor."""

    kind = "classtoken"
    summary = "prepend count learnt tokens (ViT's class token): count·D parameters"
    category = "data movement"
    positional = ("count",)
    arity = ONE
    layout = SAME
    example = Example(((8, 15, 1),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = _unseen("torch.cat: no arithmetic")
    # the gradient of the prepended tokens is summed over the batch: count·D adds
    backward = Backward(input_grad=ZERO, weight_grad=Factors(COUNT, D))
    work = ZERO
    traffic = INPUTS + OUT

    count: Positive = 1

    def output_shape(self, inputs: list[Shape]) -> Shape:
        d, n, m = inputs[0]
        return d, n + self.count, m

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"N' = {inputs[0][1]} + {self.count} = {output[1]} tokens"]

    def learnable(self) -> dict[str, Formula]:
        return {"token": Factors(COUNT, D)}

    def buffers(self) -> dict[str, Formula]:
        return {}


POSITION_ADD_UNSEEN = Uncounted("`x + pos_embedding` is a Python operator, which no tool counts")


class PositionalEmbedding(KeepsShape, Layer):
    """A positional embedding added to every token.

    * `posembed` -- learnt, one row per token of the sequence at the spec's
      reference size (ViT's `pos_embedding`, added by broadcasting): a
      sequence of another length does not run, as in PyTorch.
    * `posembed(positions=P)` -- a learnt table of P rows of which a
      sequence of N <= P tokens uses the first N (GPT-2's `wpe`).
    * `posembed(learned=false)` -- fixed sinusoids: no parameters, any length.

    The add is the only arithmetic: `burden` counts it (1 per element, as
    `add`); the peers see a Python `+` and an embedding lookup: 0."""

    kind = "posembed"
    summary = "add a positional embedding: learnt (positions·D parameters) or fixed (learned=false)"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((8, 15, 1),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(burden=OUT, fvcore=POSITION_ADD_UNSEEN, ptflops=POSITION_ADD_UNSEEN,
                           thop=POSITION_ADD_UNSEEN, calflops=POSITION_ADD_UNSEEN)
    # the gradient passes through the add; a learnt table sums it over the batch
    backward = Backward(input_grad=ZERO, weight_grad=Choice(LEARNED, OUT, ZERO))
    work = OUT
    traffic = INPUTS + OUT

    positions: Positive | None = None
    learned: bool = True
    _exact: bool = PrivateAttr(default=False)  # rows fixed by the reference sequence: N must equal them

    def bind_reference(self, inputs: list[Shape]) -> Layer:
        if self.positions is not None or not self.learned:
            return self
        bound = self.model_copy(update={"positions": inputs[0][1]})
        bound._exact = True
        return bound

    def table_rows(self, inputs: Shape) -> Any:
        return inputs[1] if self.positions is None else self.positions

    def output_shape(self, inputs: list[Shape]) -> Shape:
        n = inputs[0][1]
        if self.learned and self.positions is not None:
            if self._exact and n != self.positions:
                raise ShapeError(f"holds {self.positions:,} positions (its parameters, the reference "
                                 f"sequence's), got {int(n):,} tokens; a learnt embedding added to the "
                                 "sequence fits one length only")
            if n > self.positions:
                raise ShapeError(f"holds {self.positions:,} positions, fewer than the {int(n):,} tokens")
        return inputs[0]

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        if not self.learned:
            return ["fixed sinusoids: no parameters"]
        rows = self.table_rows(inputs[0])
        used = f"the first {inputs[0][1]} of {rows} rows" if rows != inputs[0][1] else f"{rows} rows, one per token"
        return [f"learnt table: {used}"]

    def learnable(self) -> dict[str, Formula]:
        return {"weight": Factors(POSITIONS, D)} if self.learned else {}

    def buffers(self) -> dict[str, Formula]:
        return {}


class Embedding(Layer):
    """A table of `vocab` rows of `dim`, looked up by token id (nn.Embedding):
    token ids (1 x N) -> N tokens of dimension `dim`; vocab·dim parameters,
    no arithmetic."""

    kind = "embedding"
    summary = "token ids -> tokens by table lookup (nn.Embedding): vocab·dim parameters, no MACs"
    category = "data movement"
    positional = ("vocab", "dim")
    arity = ONE
    layout = TOKENS
    example = Example(((1, 15, 1),), {"vocab": 100, "dim": 8})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("a table lookup: no arithmetic"),
        fvcore=Uncounted("aten::embedding has no handle"),
        ptflops=Uncounted("nn.Embedding has no hook"),
        thop=Uncounted("nn.Embedding counts zero"),
        calflops=Uncounted("F.embedding is patched with a rule of 0"),
    )
    # the ids are kept; each looked-up row's gradient is added into the table
    backward = Backward(keeps_inputs=True, input_grad=ZERO, weight_grad=OUT)
    work = ZERO
    traffic = INPUTS + OUT

    vocab: Positive
    dim: Positive

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, n, m = inputs[0]
        if c != 1:
            raise ShapeError(f"looks up token ids (1 channel), got {show(inputs[0], TOKENS)}")
        return self.dim, n, m

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"{inputs[0][1]} ids -> {output[1]} rows of {self.dim} from a table of {self.vocab:,}"]

    def learnable(self) -> dict[str, Formula]:
        return {"weight": Factors(VOCAB, DIM)}

    def buffers(self) -> dict[str, Formula]:
        return {}


# --- combining and reducing sequences ----------------------------------------------------

class ConcatTokens(_Move):
    """Sequences joined along N (torch.cat on the token axis); their token
    dimensions and sequence counts must agree."""

    kind = "concat_tokens"
    summary = "concatenate token sequences along N"
    positional = ()
    arity = Arity(2, None)
    layout = SAME
    example = Example(((8, 15, 1), (8, 4, 1)))
    storage = NEW
    flops = _unseen("torch.cat: no arithmetic")
    traffic = INPUTS + OUT

    def output_shape(self, inputs: list[Shape]) -> Shape:
        d, _, m = inputs[0]
        for other in inputs[1:]:
            if other[0] != d or other[2] != m:
                shown = " and ".join(show(s, TOKENS) for s in inputs)
                raise ShapeError(f"sequences {shown} differ in token dimension or count")
        return d, sum(s[1] for s in inputs), m

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"N' = {' + '.join(str(s[1]) for s in inputs)} = {output[1]} tokens"]


MEAN_UNSEEN = Uncounted("`x.mean(dim=1)` is a tensor method no tool counts")


class TokenMean(NoParameters, Layer):
    """The mean over all tokens: N tokens of D (or M sequences of them) ->
    a vector D x 1 x 1.  `burden` prices it as a global average pool."""

    kind = "tokenmean"
    summary = "mean over tokens -> D x 1 x 1 (global average pooling of a sequence)"
    category = "pooling"
    positional = ()
    arity = ONE
    layout = IMAGE
    example = Example(((8, 15, 1),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(burden=INP, fvcore=MEAN_UNSEEN, ptflops=MEAN_UNSEEN, thop=MEAN_UNSEEN,
                           calflops=MEAN_UNSEEN)
    backward = Backward(input_grad=INP, weight_grad=ZERO)  # dy/N to every token
    work = INP
    traffic = INPUTS + OUT

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0][0], 1, 1

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        _, n, m = inputs[0]
        return [f"mean of {n * m} tokens"]


class Pick(_Move):
    """One token of a sequence, as a vector D x 1 x 1 (ViT's `x[:, 0]`, the
    class token): a view."""

    kind = "pick"
    summary = "one token of a sequence (x[:, i]) -> D x 1 x 1; a view"
    positional = ("index",)
    layout = IMAGE
    example = Example(((8, 15, 1),))
    storage = VIEW
    traffic = ZERO

    index: NonNegative = 0

    def output_shape(self, inputs: list[Shape]) -> Shape:
        d, n, m = inputs[0]
        if m != 1:
            raise ShapeError(f"picks from one sequence, got {show(inputs[0], TOKENS)}")
        if self.index >= n:
            raise ShapeError(f"token {self.index} of {int(n)} tokens", empty=True)
        return d, 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"token {self.index} of {inputs[0][1]}"]


# --- Swin's windows -------------------------------------------------------------------

def _windows(n: Any, size: int) -> Any:
    return -(-n // size)


class Window(_Move):
    """An image C x H x W cut into windows of size x size tokens, as
    torchvision's Swin does it: H and W padded at the bottom and right to
    multiples of `size`, optionally rolled by -`shift` first (the shifted
    windows; torchvision does not roll an axis whose padded side is no more
    than one window), then partitioned: ceil(H/size)·ceil(W/size) sequences
    of size² tokens, held as (C, size², nW).  `pad=false` takes only sides
    that are multiples of `size` (MaxViT's window partition, a reshape);
    `grid=true` is MaxViT's grid partition (the same shape: size² tokens
    strided across the image; sides multiples of `size`)."""

    kind = "window"
    summary = "image -> windows of size² tokens (Swin: padded, optionally shifted), C x size² x nW"
    positional = ("size",)
    layout = TOKENS
    example = Example(((8, 9, 5),), {"size": 3, "shift": 1})
    storage = NEW  # pad, roll and partition copy
    traffic = INPUTS + OUT
    flops = _unseen("F.pad, torch.roll and the partition's reshape: no arithmetic")

    size: Positive
    shift: NonNegative = 0
    grid: bool = False
    pad: bool = True

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        if (self.grid or not self.pad) and (h % self.size or w % self.size):
            what = "a grid of windows" if self.grid else "unpadded windows"
            raise ShapeError(f"{what} of {self.size} x {self.size} need sides divisible by {self.size}, "
                             f"got {show(inputs[0])}")
        if self.shift >= self.size:
            raise ShapeError(f"shift {self.shift} must be less than the window {self.size}")
        return c, self.size * self.size, _windows(h, self.size) * _windows(w, self.size)

    def downsampling(self) -> tuple[int, int]:
        return self.size, self.size  # a side's window count is ceil(side / size)

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        _, h, w = inputs[0]
        s = self.size
        rows, cols = _windows(h, s), _windows(w, s)
        lines = [f"{h}x{w} padded to {rows * s}x{cols * s}: {rows}·{cols} = {output[2]} windows "
                 f"of {s}·{s} = {output[1]} tokens"]
        if self.shift:
            rolled = [axis for axis, n in (("H", rows * s), ("W", cols * s)) if n > s]
            lines.append(f"cyclic shift by {self.shift} along {' and '.join(rolled)}" if rolled else
                         "no shift: the padded map is one window")
        return lines


class Unwindow(_Move):
    """Windows (C x size² x nW) back to an image of the height and width of
    `ref` (the image they were cut from): `unwindow(x, ref)`, with the same
    `shift` rolled back; the padding is cropped."""

    kind = "unwindow"
    summary = "windows -> the image C x H x W of ref (unwindow(x, ref)): roll back, crop the padding"
    positional = ()
    arity = Arity(2, 2)
    layout = IMAGE
    example = Example(((8, 9, 4), (3, 4, 5)), {"shift": 1})
    storage = NEW
    traffic = INPUTS + OUT
    flops = _unseen("reshape, torch.roll and the crop: no arithmetic")

    shift: NonNegative = 0

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, n, m = inputs[0]
        _, h, w = inputs[1]
        size = isqrt(n) if isinstance(n, int) else 0
        if size * size != n or _windows(h, size) * _windows(w, size) != m:
            raise ShapeError(f"{show(inputs[0], TOKENS)} are not the windows of a {h}x{w} image")
        return c, h, w

    def side_inputs(self, count: int) -> tuple[int, ...]:
        return (1,)  # the image it restores; its windows' count is not a side of it

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"{inputs[0][2]} windows -> {output[1]}x{output[2]}"]


class PatchMerge(_Move):
    """Swin's patch merging rearrangement: H and W padded to even sides, and
    each 2 x 2 block's four C-vectors concatenated: 4C x ceil(H/2) x ceil(W/2)
    (torchvision's `_patch_merging_pad`; its layer norm and linear reduction
    are layers of their own)."""

    kind = "patchmerge"
    summary = "Swin's 2x2 patch merging: pad to even sides, 4C x ceil(H/2) x ceil(W/2)"
    positional = ()
    layout = SAME
    example = Example(((8, 5, 4),))
    storage = NEW
    traffic = INPUTS + OUT
    flops = _unseen("F.pad, strided slices and torch.cat: no arithmetic")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        return 4 * c, _windows(h, 2), _windows(w, 2)

    def downsampling(self) -> tuple[int, int]:
        return 2, 2

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        _, h, w = inputs[0]
        return [f"H' = ceil({h}/2) = {output[1]}, W' = ceil({w}/2) = {output[2]}, "
                f"C' = 4·{inputs[0][0]} = {output[0]}"]


__all__ = [
    "ClassToken",
    "ConcatTokens",
    "Embedding",
    "PatchMerge",
    "Pick",
    "PositionalEmbedding",
    "ToGrid",
    "ToTokens",
    "TokenMean",
    "Unwindow",
    "Window",
]
