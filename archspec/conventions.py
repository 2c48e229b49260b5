"""Counting conventions: how FLOPs are counted, as each tool counts them.

A convention here is only its description; the formulas live with the layer
kinds (each kind states its FLOPs under every convention, beside its other
facts, as `torch/utils/flop_counter.py` registers a formula beside each op).
Two conventions need no row of their own: `macs` is every kind's
multiply-accumulates and `flops` twice that.

`burden` is the reference table's rule set (convnet-burden's core/burden.m).
The other profiles say what a well-known tool reports for the same network
written as its PyTorch equivalent (docs/conventions.md has the table and the
sources):

* `macs`     torchvision's published figures: multiply-accumulates of conv,
             transposed conv and fully-connected layers, no bias;
* `flops`    torch.utils.flop_counter.FlopCounterMode: 2 x those MACs;
* `fvcore`   facebookresearch/fvcore FlopCountAnalysis (jit_handles.py);
* `ptflops`  sovrasov/flops-counter.pytorch, its `pytorch` backend;
* `thop`     Lyken17/pytorch-OpCounter `profile` (vision/basic_hooks.py);
* `calflops` MrYxJ/calculate-flops.pytorch `calculate_flops` (pytorch_ops.py).

A new convention is one more entry here; registering the kinds then fails,
naming each kind that does not yet say its FLOPs under it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Convention:
    name: str
    description: str
    unit: str  # what one count is: FLOPs (a multiply-add is 2) or MACs
    source: str  # where the rules were read
    counts_buffers: bool  # its parameter count includes BN running statistics
    macs_multiple: int | None = None  # defined as this multiple of the MACs; None: each kind says
    # a tool whose count of an op depends on how the PyTorch model's code writes
    # it (a module, a torch.nn.functional call, a tensor method): a kind may
    # price it by the layer's `form` (kinds/forms.py).  burden counts the
    # reference's layers; macs and flops (FlopCounterMode) only convolutions and
    # matrix products, which no form changes.
    form_dependent: bool = False


CONVENTIONS: dict[str, Convention] = {c.name: c for c in (
    Convention("burden", "the reference table's rules (convnet-burden core/burden.m); "
               "a fused multiply-add is one FLOP", "FLOPs (multiply-add = 1)",
               "albanie/convnet-burden core/burden.m", counts_buffers=True),
    Convention("macs", "multiply-accumulates of convolution, transposed convolution and "
               "fully-connected layers, no bias (torchvision's published figures)", "MACs",
               "pytorch/vision docs (GFLOPS column = MACs); torchvision/models/*.py",
               counts_buffers=False, macs_multiple=1),
    Convention("flops", "torch.utils.flop_counter.FlopCounterMode: 2 FLOPs per multiply-add of "
               "convolution (aten.convolution) and matrix products (aten.addmm/mm); "
               "bias and every other op uncounted", "FLOPs",
               "pytorch/pytorch torch/utils/flop_counter.py", counts_buffers=False, macs_multiple=2),
    Convention("fvcore", "fvcore FlopCountAnalysis (a multiply-add is one flop): conv and linear "
               "MACs without bias; eval batch norm 2 per element (1 without affine); "
               "adaptive_avg_pool2d 1 per input element; bilinear upsampling 4 per output; "
               "ReLU, max/avg_pool2d, add, mul, softmax, cat: ignored or unsupported (0)", "MACs",
               "facebookresearch/fvcore fvcore/nn/flop_count.py, jit_handles.py, jit_analysis.py",
               counts_buffers=False, form_dependent=True),
    Convention("ptflops", "ptflops, pytorch backend (MACs): conv and linear with bias; BN 2 per element; "
               "ReLU and every pooling counted twice (the module hook and the patched "
               "torch.nn.functional call inside its forward); softmax 1 per element; "
               "`+`, `*`, cat, sigmoid uncounted", "MACs",
               "sovrasov/flops-counter.pytorch ptflops/pytorch_ops.py, pytorch_engine.py", counts_buffers=False,
               form_dependent=True),
    Convention("thop", "thop profile (MACs): conv and linear without bias; BN 4 per element "
               "(2 without affine); ReLU and max pooling 0; avg pooling 1 per output, "
               "adaptive avg pooling (window area + 1) per output; softmax 3C - 1 per position", "MACs",
               "Lyken17/pytorch-OpCounter thop/profile.py, thop/vision/basic_hooks.py, calc_func.py",
               counts_buffers=False, form_dependent=True),
    Convention("calflops", "calflops calculate_flops (FLOPs, a multiply-add is 2): conv 2 x MACs + bias, "
               "linear 2 x MACs without bias; eval BN 2 per element; ReLU, softmax and every "
               "pooling 1 per element (of its input for pools); `+`, `*`, cat uncounted", "FLOPs",
               "MrYxJ/calculate-flops.pytorch calflops/pytorch_ops.py", counts_buffers=False, form_dependent=True),
)}

# The conventions each layer kind states a formula for.
PRICED_BY_KIND = tuple(name for name, c in CONVENTIONS.items() if c.macs_multiple is None)


def get_convention(name: str) -> Convention:
    from .errors import ArchError, suggest

    if name not in CONVENTIONS:
        raise ArchError(f"unknown convention '{name}'; known: {', '.join(CONVENTIONS)}",
                        hint=suggest(name, CONVENTIONS), argument="convention")
    return CONVENTIONS[name]
