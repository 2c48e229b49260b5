"""Transformer facts that tools/torch_figures.json does not record, read from
torchvision's and transformers' own modules: the stochastic depth probability
of every StochasticDepth module of the Swin and MaxViT builders, in module
order, and GPT-2's dropout probabilities and where its nn.Dropout modules sit.

Not part of archspec and never imported by it or its tests (it needs torch);
tests/test_transformers.py compares its figures with the specs' and with
torchvision's rules worked by hand.  Run from the repository root with the
torch environment:

    /work/torchenv/bin/python tools/torch_figures_transformers2.py

(torch 2.14.1, torchvision 0.29.1, transformers 5.24.0, weights=None; the
output is JSON on stdout.)  The MACs of the second input sizes (MaxViT-T at
448 x 448, the ViTs at 384 x 384 and 512 x 512) are in tools/torch_figures.json,
made by tools/torch_figures.py with `--sizes 448x448` / `--sizes 384`.
"""

from __future__ import annotations

import json
from typing import Any

import torch.nn as nn
import torchvision
import torchvision.models as tvm
from torchvision.ops import StochasticDepth

SWIN = ["swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]


def stochastic_depth(name: str) -> dict[str, Any]:
    model = getattr(tvm, name)(weights=None)
    modules = [(qname, m.p) for qname, m in model.named_modules() if isinstance(m, StochasticDepth)]
    return {"modules": len(modules), "p": [p for _, p in modules], "names": [q for q, _ in modules]}


def gpt2() -> dict[str, Any]:
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config()
    model = GPT2LMHeadModel(cfg)
    drops = [(qname, m.p) for qname, m in model.named_modules() if isinstance(m, nn.Dropout)]
    first = [(q, p) for q, p in drops if q.startswith(("transformer.drop", "transformer.h.0."))]
    return {"transformers": transformers.__version__,
            "config": {k: getattr(cfg, k) for k in ("embd_pdrop", "resid_pdrop", "attn_pdrop")},
            "dropout_modules": len(drops), "first_block": first}


def main() -> None:
    out = {"versions": {"torchvision": torchvision.__version__},
           "stochastic_depth": {name: stochastic_depth(name) for name in SWIN + ["maxvit_t"]},
           "gpt2": gpt2()}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
