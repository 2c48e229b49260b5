"""Ground truth for the mobile families' scaling options that no named
torchvision builder uses (tools/torch_figures.json has every named member).

Not part of archspec and never imported by it or by its tests: it needs torch
and torchvision (run it with a Python that has them).  It prints JSON; the
figures are copied into tests/test_zoo_modern_{mobilenet_v2,mobilenet_v3,
mnasnet,shufflenet_v2}.py.

Each configuration is built from torchvision's own classes and builders with
weights=None, in eval mode, at batch 1, and measured as tools/torch_figures.py
measures the named members:

  params   sum of numel over model.parameters()
  buffers  numel of every BatchNorm's running_mean and running_var
           (num_batches_tracked left out)
  macs     torch.utils.flop_counter.FlopCounterMode's total / 2 under no_grad
           (2 FLOPs per multiply-accumulate of convolutions and matrix
           products; biases and every other op are not counted)
  output   the output tensor's shape
"""

from __future__ import annotations

import json
import sys

import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models import mnasnet, mobilenetv2, mobilenetv3, shufflenetv2

SIZES = ((224, 224), (193, 257))

# name -> builder; the names are how the test refers to them
CONFIGS = {
    "mobilenet_v2(width_mult=1.4)": lambda: mobilenetv2.mobilenet_v2(weights=None, width_mult=1.4),
    "mobilenet_v2(width_mult=0.35)": lambda: mobilenetv2.mobilenet_v2(weights=None, width_mult=0.35),
    "MobileNetV2(width_mult=0.75, round_nearest=4, n=(1, 1, 2, 3, 2, 2, 1))": lambda: mobilenetv2.MobileNetV2(
        inverted_residual_setting=[[1, 16, 1, 1], [6, 24, 1, 2], [6, 32, 2, 2], [6, 64, 3, 2],
                                   [6, 96, 2, 1], [6, 160, 2, 2], [6, 320, 1, 1]],
        round_nearest=4, width_mult=0.75),
    "mobilenet_v3_large(reduced_tail=True, dilated=True)": lambda: mobilenetv3.mobilenet_v3_large(
        weights=None, reduced_tail=True, dilated=True),
    "mobilenet_v3_small(width_mult=0.75)": lambda: mobilenetv3.mobilenet_v3_small(weights=None, width_mult=0.75),
    "mobilenet_v3_small(reduced_tail=True, width_mult=1.25)": lambda: mobilenetv3.mobilenet_v3_small(
        weights=None, reduced_tail=True, width_mult=1.25),
    "MNASNet(alpha=0.35)": lambda: mnasnet.MNASNet(0.35),
    "MNASNet(alpha=0.1)": lambda: mnasnet.MNASNet(0.1),
    "ShuffleNetV2([2, 3, 2], [16, 40, 80, 160, 512])": lambda: shufflenetv2.ShuffleNetV2(
        [2, 3, 2], [16, 40, 80, 160, 512]),
}


def measure(model: nn.Module, height: int, width: int) -> dict[str, object]:
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(m.running_mean.numel() + m.running_var.numel()
                  for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm))
    x = torch.zeros(1, 3, height, width)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        out = model(x)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return {"params": params, "buffers": buffers, "macs": flops // 2, "output_shape": list(out.shape)}


def main() -> None:
    torch.manual_seed(0)
    figures: dict[str, object] = {
        "_about": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                   "python": sys.version.split()[0]},
    }
    for name, build in CONFIGS.items():
        model = build()
        figures[name] = {f"{h}x{w}": measure(model, h, w) for h, w in SIZES}
    json.dump(figures, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
