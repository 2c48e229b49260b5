"""torchvision's RegNet rule and RegNets outside torchvision's list, from real PyTorch.

NOT part of archspec: it needs torch and torchvision (run it with the separate
environment that has them, e.g. `/path/to/torchenv/bin/python
tools/torch_figures_regnet.py > tools/torch_figures_regnet.json`).  archspec's
tests read the JSON it prints; they never import torch.

It records, with torchvision's own code (weights=None, eval, batch 1):

  members   for each regnet_x_* / regnet_y_* builder: the arguments it passes
            to BlockParams.from_init_params and the stages that computes
            (widths, depths, group widths);
  sweep     BlockParams.from_init_params on settings drawn from a fixed seed
            over the design space (depth 1..40, w0 a multiple of 8 up to 512,
            wa 0..250, wm 1.05..3.5, group width 1..256, bottleneck 1, 0.5,
            0.25 or 2): the settings and torch's stages, to check archspec's
            `regnet_stages` builtin against torchvision beyond the named
            members;
  designs   whole RegNets built with torchvision's RegNet class from settings
            that are not torchvision builders (the paper's 200MF points and
            a bottleneck-0.5 point): params (sum of numel), buffers (BN
            running_mean + running_var), MACs (FlopCounterMode / 2) and the
            output shape at 224x224 and 193x257.
"""

from __future__ import annotations

import inspect
import json
import random
import re
import sys
from typing import Any

import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models import regnet

SIZES = ((224, 224), (193, 257))

# Points of the design space that torchvision does not build by name:
# RegNetX-200MF and RegNetY-200MF of the paper (pycls's configs), and a
# bottleneck-0.5 member to exercise the group-width adjustment.
DESIGNS: dict[str, dict[str, Any]] = {
    "regnetx_200mf": dict(depth=13, w_0=24, w_a=36.44, w_m=2.49, group_width=8),
    "regnety_200mf": dict(depth=13, w_0=24, w_a=36.44, w_m=2.49, group_width=8, se_ratio=0.25),
    "regnety_bottleneck_half": dict(depth=14, w_0=56, w_a=38.84, w_m=2.4, group_width=16,
                                    bottleneck_multiplier=0.5, se_ratio=0.25),
}


def builder_arguments() -> dict[str, dict[str, Any]]:
    """The keyword arguments each regnet_* builder passes to from_init_params,
    read from torchvision's source (so a changed builder shows up here)."""
    source = inspect.getsource(regnet)
    found: dict[str, dict[str, Any]] = {}
    pattern = re.compile(r"def (regnet_[xy]_\w+)\(.*?from_init_params\((.*?)\*\*kwargs", re.S)
    for match in pattern.finditer(source):
        pairs = re.findall(r"(\w+)=([\d.]+)", match.group(2))
        found[match.group(1)] = {k: (float(v) if "." in v else int(v)) for k, v in pairs}
    return found


def stages(params: regnet.BlockParams) -> dict[str, list[int]]:
    return {"widths": list(params.widths), "depths": list(params.depths),
            "group_widths": list(params.group_widths)}


def sweep(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    while len(rows) < count:
        setting = dict(depth=rng.randint(1, 40), w_0=8 * rng.randint(1, 64),
                       w_a=round(rng.uniform(0, 250), rng.choice([0, 1, 2])),
                       w_m=round(rng.uniform(1.05, 3.5), rng.choice([1, 2])),
                       group_width=rng.randint(1, 256),
                       bottleneck_multiplier=rng.choice([1.0, 1.0, 0.5, 0.25, 2.0]))
        try:
            params = regnet.BlockParams.from_init_params(**setting)
        except (ValueError, ZeroDivisionError):
            continue
        rows.append({"settings": setting, **stages(params)})
    return rows


def measure(model: nn.Module, size: tuple[int, int]) -> dict[str, Any]:
    model.eval()
    x = torch.zeros(1, 3, *size)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        out = model(x)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    buffers = sum(b.numel() for name, b in model.named_buffers()
                  if name.endswith(("running_mean", "running_var")))
    return {"params": sum(p.numel() for p in model.parameters()), "buffers": buffers,
            "macs": flops // 2, "output_shape": list(out.shape)}


def main() -> None:
    members = {}
    for name, arguments in sorted(builder_arguments().items()):
        params = regnet.BlockParams.from_init_params(**arguments)
        members[name] = {"arguments": arguments, **stages(params)}
    designs = {}
    for name, arguments in DESIGNS.items():
        params = regnet.BlockParams.from_init_params(**arguments)
        model = regnet.RegNet(params, norm_layer=nn.BatchNorm2d)
        designs[name] = {"arguments": arguments, **stages(params),
                         "sizes": {f"{h}x{w}": measure(model, (h, w)) for h, w in SIZES}}
    about = {"generated_by": "tools/torch_figures_regnet.py",
             "versions": {"torch": torch.__version__.split("+")[0], "torchvision": torchvision.__version__,
                          "python": sys.version.split()[0]}}
    head = json.dumps({"_about": about, "designs": designs, "members": members}, indent=1, sort_keys=True)
    rows = ",\n  ".join(json.dumps(row, sort_keys=True) for row in sweep(1000, seed=13))
    # one sweep setting per line keeps the file short and diffable
    print(head[:-2] + ',\n "sweep": [\n  ' + rows + "\n ]\n}")


if __name__ == "__main__":
    main()
