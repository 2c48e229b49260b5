"""Figures for the classic torchvision families that tools/torch_figures.json lacks.

Not part of archspec and never imported by it or by its tests: it needs torch and
torchvision (run it with the separate environment that has them), and prints JSON
whose integers the tests under tests/test_zoo_modern_*.py copy, with a note.

    /work/torchenv/bin/python tools/torch_figures_classic.py

Models (batch 1, 3 channels, eval mode, weights=None -- counts do not depend on weights):
  resnext101_32x8d, resnext101_64x4d   torchvision's builders as shipped;
  googlenet_5x5                        torchvision's GoogLeNet (aux_logits=False,
                                       transform_input=False) with the paper's 5x5
                                       convolution in every inception's third branch
                                       (torchvision's BasicConv2d(k=5, padding=2) in
                                       place of its 3x3, pytorch/vision issue 906).
  alexnet, vgg16, googlenet           at the smallest input their weights' meta states
                                       (min_size: 63, 32 and 15), where every pool
                                       still has an output, and whether one pixel less
                                       runs at all.
Figures, defined as in tools/torch_figures.py:
  params        sum of numel over model.parameters();
  buffers       numel of every BatchNorm running_mean and running_var;
  macs          torch.utils.flop_counter.FlopCounterMode total / 2 (convolution and
                matrix-product multiply-accumulates; no attention in these models);
  output_shape  the output tensor's shape;
and for torchvision's builders the DEFAULT weights' published acc@1 / acc@5 and crop size
(read offline from the weights enum, for the thin specs' @error).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import torch
import torch.nn as nn
import torchvision
import torchvision.models as tvm
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models.googlenet import BasicConv2d, Inception

SIZES = [(224, 224), (193, 257)]


GOOGLENET_INFERENCE = {"aux_logits": False, "transform_input": False, "init_weights": False}


def googlenet_5x5() -> nn.Module:
    model = tvm.googlenet(weights=None, **GOOGLENET_INFERENCE)
    for module in model.modules():
        if isinstance(module, Inception):
            reduce = module.branch3[0].conv.out_channels
            out = module.branch3[1].conv.out_channels
            module.branch3[1] = BasicConv2d(reduce, out, kernel_size=5, padding=2)
    return model


BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "resnext101_32x8d": lambda: tvm.resnext101_32x8d(weights=None),
    "resnext101_64x4d": lambda: tvm.resnext101_64x4d(weights=None),
    "googlenet_5x5": googlenet_5x5,
}


def figures(model: nn.Module, size: tuple[int, int]) -> dict[str, object]:
    model.eval()
    x = torch.zeros(1, 3, *size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(x)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    buffers = sum(b.numel() for name, b in model.named_buffers()
                  if name.endswith(("running_mean", "running_var")))
    return {"params": sum(p.numel() for p in model.parameters()), "buffers": buffers,
            "macs": flops // 2, "output_shape": list(y.shape)}


def smallest(name: str) -> dict[str, object]:
    """Figures at the weights' min_size, and the error torch raises one pixel below it."""
    model = getattr(tvm, name)(weights=None, **GOOGLENET_INFERENCE if name == "googlenet" else {})
    side = tvm.get_model_weights(name).DEFAULT.meta["min_size"][0]
    try:
        figures(model, (side - 1, side - 1))
        below = "runs"
    except RuntimeError as error:
        below = str(error).splitlines()[0]
    return {"min_size": side, f"{side}x{side}": figures(model, (side, side)), f"{side - 1}x{side - 1}": below}


def weights_meta(name: str) -> dict[str, object]:
    default = tvm.get_model_weights(name).DEFAULT
    metrics = default.meta["_metrics"]["ImageNet-1K"]
    return {"enum": str(default), "acc@1": metrics["acc@1"], "acc@5": metrics["acc@5"],
            "crop_size": list(default.transforms().crop_size)}


def main() -> None:
    out: dict[str, object] = {"versions": {"torch": torch.__version__, "torchvision": torchvision.__version__}}
    for name, build in BUILDERS.items():
        model = build()
        out[name] = {f"{h}x{w}": figures(model, (h, w)) for h, w in SIZES}
        if hasattr(tvm, name):
            out[name]["weights"] = weights_meta(name)  # type: ignore[index]
    out["smallest"] = {name: smallest(name) for name in ("alexnet", "vgg16", "googlenet")}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
