"""The tutorial's TinyMix (specs/examples/tinymix.arch) written in PyTorch, to
check archspec's figures for it: parameters, BN statistics, MACs and output
shape at two sizes, and each peer tool's total.

    /work/torchenv/bin/python tools/torch_tutorial_tinymix.py   (any venv with torch,
    torchvision, fvcore, ptflops, thop and calflops)

Built from torchvision's own pieces where it has them (SqueezeExcitation,
ConvNeXt's LayerNorm2d and CNBlock layout, _make_divisible); MACs are
FlopCounterMode / 2 (convolution and linear multiply-accumulates).
"""

from __future__ import annotations

import json

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models._utils import _make_divisible
from torchvision.models.convnext import LayerNorm2d
from torchvision.ops import SqueezeExcitation
from torchvision.ops.misc import Permute


class MBConv(nn.Module):
    def __init__(self, c: int, out: int, expand: int = 4, kernel: int = 3, stride: int = 1) -> None:
        super().__init__()
        hidden = c * expand
        self.block = nn.Sequential(
            nn.Conv2d(c, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.Hardswish(inplace=True),
            nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.Hardswish(inplace=True),
            SqueezeExcitation(hidden, _make_divisible(hidden / 4, 8), scale_activation=nn.Hardsigmoid),
            nn.Conv2d(hidden, out, 1, bias=False), nn.BatchNorm2d(out))
        self.shortcut = stride == 1 and c == out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return y + x if self.shortcut else y


class Mixer(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, 7, padding=3, groups=dim), Permute([0, 2, 3, 1]), nn.LayerNorm(dim, eps=1e-6),
            nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * 1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_scale * self.block(x) + x


def tinymix(width: float = 1.0, mixers: int = 2, classes: int = 1000) -> nn.Module:
    def d(v: float) -> int:
        return _make_divisible(v, 8)

    c1, c2, c3, c4, c5 = d(16 * width), d(24 * width), d(48 * width), d(96 * width), d(192 * width)
    return nn.Sequential(
        nn.Conv2d(3, c1, 3, 2, 1, bias=False), nn.BatchNorm2d(c1), nn.Hardswish(inplace=True),
        MBConv(c1, c2, stride=2), MBConv(c2, c2),
        MBConv(c2, c3, kernel=5, stride=2), MBConv(c3, c3, kernel=5),
        MBConv(c3, c4, stride=2), *[Mixer(c4) for _ in range(mixers)],
        LayerNorm2d(c4, eps=1e-6), nn.Conv2d(c4, c5, 2, 2), *[Mixer(c5) for _ in range(mixers)],
        nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(c5, classes)).eval()


def figures(model: nn.Module, h: int, w: int) -> dict[str, object]:
    x = torch.zeros(1, 3, h, w)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = model(x)
    buffers = sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
    result: dict[str, object] = {"params": sum(p.numel() for p in model.parameters()), "buffers": buffers,
                                 "macs": counter.get_total_flops() // 2, "output_shape": list(out.shape)}
    try:
        from fvcore.nn import FlopCountAnalysis
        result["fvcore"] = int(FlopCountAnalysis(tinymix(), x).unsupported_ops_warnings(False).total())
        from ptflops import get_model_complexity_info
        result["ptflops"] = int(get_model_complexity_info(tinymix(), (3, h, w), as_strings=False,
                                                          print_per_layer_stat=False, backend="pytorch")[0])
        from thop import profile
        result["thop"] = int(profile(tinymix(), inputs=(x,), verbose=False)[0])
        from calflops import calculate_flops
        result["calflops"] = int(calculate_flops(tinymix(), input_shape=(1, 3, h, w), output_as_string=False,
                                                 print_results=False, print_detailed=False)[0])
    except ImportError as exc:
        result["peer_tools"] = f"not installed: {exc}"
    return result


if __name__ == "__main__":
    print(json.dumps({f"{h}x{w}": figures(tinymix(), h, w) for h, w in ((224, 224), (160, 160))}, indent=1))
