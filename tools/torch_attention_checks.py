"""PyTorch figures for archspec's attention checks that tools/torch_figures.json lacks.

Not part of archspec (it needs torch, torchvision, transformers and the peer FLOP
counters: run it with the separate environment, /work/torchenv in development):

    /work/torchenv/bin/python tools/torch_attention_checks.py > tools/torch_attention_checks.json

It writes, as JSON on stdout:

* `hybrid`: specs/transformers/conv_attention_hybrid.arch written as a PyTorch
  module (HybridTwin below: the same layers in the same order) at 224 x 224,
  193 x 257 and 64 x 96 -- learnable parameters, BatchNorm running statistics
  (mean + var), the output shape, MACs = FlopCounterMode / 2 (with torch's SDPA
  formula registered for the CPU kernel, which the stock registry lacks), and
  each peer tool's total (fvcore, ptflops pytorch backend, thop, calflops FLOPs);
* `mha_cross`: nn.MultiheadAttention(32, 4, kdim=24, vdim=24, batch_first=True)
  with queries of 5 tokens and keys/values of 7 tokens of 24, called with
  need_weights=False: parameters, MACs and each peer tool's total;
* `gpt2_attention`: one transformers GPT2Attention (n_embd 64, 4 heads) on 9
  tokens, eager and SDPA: parameters, MACs and each peer tool's total.

Batch 1, eval mode, random initialisation (counts do not depend on the weights).
Each tool gets its own deep copy of the module, since they attach hooks and
attributes.  Versions used for the committed JSON: see its "_versions" entry.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.metadata
import io
import json
import math
import sys
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils import flop_counter
from torch.utils.flop_counter import FlopCounterMode

warnings.filterwarnings("ignore")


# --- archspec's hybrid, written in PyTorch ---------------------------------------------

class CBR(nn.Sequential):
    def __init__(self, cin: int, out: int, stride: int = 1) -> None:
        super().__init__(nn.Conv2d(cin, out, 3, stride, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True))


class Down(nn.Module):
    def __init__(self, cin: int, out: int) -> None:
        super().__init__()
        self.main = nn.Sequential(CBR(cin, out, 2), nn.Conv2d(out, out, 3, 1, 1, bias=False), nn.BatchNorm2d(out))
        self.skip = nn.Sequential(nn.Conv2d(cin, out, 1, 2, bias=False), nn.BatchNorm2d(out))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.main(x) + self.skip(x))


class GQALayer(nn.Module):
    """Pre-norm layer: grouped-query attention (nn.Linear projections, SDPA) and a
    SwiGLU MLP, as lib/hybrid.arch's gqa_layer."""

    def __init__(self, dim: int, heads: int, kv_heads: int, hidden: int) -> None:
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.norm1 = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, heads * self.head_dim, bias=False)
        self.k = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.v = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.out = nn.Linear(heads * self.head_dim, dim, bias=False)
        self.norm2 = nn.LayerNorm(dim)
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.act = nn.SiLU(inplace=True)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        y = self.norm1(x)
        q = self.q(y).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(y).view(b, n, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(y).view(b, n, self.kv_heads, self.head_dim).transpose(1, 2)
        a = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
        x = self.out(a.transpose(1, 2).reshape(b, n, -1)) + x
        y = self.norm2(x)
        return self.down(self.act(self.gate(y)) * self.up(y)) + x


def sinusoids(n: int, dim: int) -> torch.Tensor:
    """A fixed 1-D sinusoidal table, computed per call (no parameter, no buffer)."""
    position = torch.arange(n, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(n, dim)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)
    return table


class HybridTwin(nn.Module):
    def __init__(self, width: int = 32, dim: int = 256, layers: int = 4, heads: int = 8, kv_heads: int = 2,
                 hidden: int = 683, classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(CBR(3, width, 2), Down(width, 2 * width), Down(2 * width, 4 * width),
                                  Down(4 * width, dim))
        self.mixer = nn.Sequential(*[GQALayer(dim, heads, kv_heads, hidden) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Sequential(nn.Conv2d(dim, 4 * dim, 1, bias=False), nn.BatchNorm2d(4 * dim),
                                  nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(1),
                                  nn.Linear(4 * dim, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        b, d, h, w = x.shape
        t = x.flatten(2).transpose(1, 2)
        t = t + sinusoids(h * w, d)
        t = self.norm(self.mixer(t))
        return self.head(t.transpose(1, 2).reshape(b, d, h, w))


class CrossMHA(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mha = nn.MultiheadAttention(32, 4, kdim=24, vdim=24, batch_first=True)

    def forward(self, q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
        return self.mha(q, kv, kv, need_weights=False)[0]


class GPT2AttentionOnly(nn.Module):
    def __init__(self, implementation: str) -> None:
        super().__init__()
        from transformers import GPT2Config
        from transformers.models.gpt2.modeling_gpt2 import GPT2Attention

        config = GPT2Config(n_embd=64, n_head=4, n_layer=1, n_positions=32, vocab_size=100)
        config._attn_implementation = implementation
        self.attn = GPT2Attention(config, layer_idx=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x)[0]


# --- counting ---------------------------------------------------------------------------

def _sdpa_formula(query_shape: Any, key_shape: Any, value_shape: Any, *args: Any, out_shape: Any = None,
                  **kwargs: Any) -> int:
    return int(flop_counter.sdpa_flop_count(query_shape, key_shape, value_shape))


def flopcounter(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[int, list[int]]:
    """FlopCounterMode total with torch's SDPA formula for the CPU kernel, and the output shape."""
    mapping = {}
    for name in ("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_fused_attention_overrideable"):
        op = getattr(torch.ops.aten, name, None)
        if op is not None and op not in flop_counter.flop_registry:
            mapping[op] = _sdpa_formula
    old = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)  # nn.MultiheadAttention's fused op has no formula
    try:
        counter = FlopCounterMode(display=False, custom_mapping=mapping)
        with torch.no_grad(), counter:
            out = module(*inputs)
    finally:
        torch.backends.mha.set_fastpath_enabled(old)
    return int(counter.get_total_flops()), list(out.shape)


def peers(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> dict[str, int]:
    """Each peer tool's total, called as a user would call it."""
    import thop
    from calflops import calculate_flops
    from fvcore.nn import FlopCountAnalysis
    from ptflops import get_model_complexity_info

    found: dict[str, int] = {}
    quiet = contextlib.redirect_stdout(io.StringIO())
    with quiet:
        m = copy.deepcopy(module)
        found["fvcore"] = int(FlopCountAnalysis(m, inputs).unsupported_ops_warnings(False)
                              .uncalled_modules_warnings(False).total())
        m = copy.deepcopy(module)
        named = {"x": inputs[0]} if len(inputs) == 1 else {"q": inputs[0], "kv": inputs[1]}
        macs, _ = get_model_complexity_info(m, tuple(inputs[0].shape[1:]), as_strings=False,
                                            print_per_layer_stat=False, backend="pytorch",
                                            input_constructor=lambda _: named)
        found["ptflops"] = int(macs)
        m = copy.deepcopy(module)
        macs, _ = thop.profile(m, inputs=inputs, verbose=False)
        found["thop"] = int(macs)
        m = copy.deepcopy(module)
        flops, macs, _ = calculate_flops(m, args=list(inputs), output_as_string=False, print_results=False,
                                         print_detailed=False)
        found["calflops_flops"] = int(flops)
    return found


def figures(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> dict[str, Any]:
    module.eval()
    params = sum(p.numel() for p in module.parameters())
    bn = sum(b.numel() for name, b in module.named_buffers()
             if name.endswith("running_mean") or name.endswith("running_var"))
    total, shape = flopcounter(module, inputs)
    assert total % 2 == 0
    return {"params": params, "bn_buffers": bn, "output_shape": shape, "macs": total // 2,
            **peers(module, inputs)}


def main() -> None:
    torch.manual_seed(0)
    result: dict[str, Any] = {"_versions": {
        name: importlib.metadata.version(name)
        for name in ("torch", "torchvision", "transformers", "fvcore", "ptflops", "thop", "calflops")}}
    result["_versions"]["python"] = sys.version.split()[0]
    hybrid = HybridTwin()
    result["hybrid"] = {f"{h}x{w}": figures(hybrid, (torch.randn(1, 3, h, w),))
                        for h, w in ((224, 224), (193, 257), (64, 96))}
    result["mha_cross"] = figures(CrossMHA(), (torch.randn(1, 5, 32), torch.randn(1, 7, 24)))
    result["gpt2_attention"] = {impl: figures(GPT2AttentionOnly(impl), (torch.randn(1, 9, 64),))
                                for impl in ("eager", "sdpa")}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
