"""EfficientNet facts that tools/torch_figures.json does not record, read from
torchvision's own modules: per member, the units of each stage, which units
keep their shape (and so run stochastic depth and the residual add), each such
unit's drop probability, the batch-norm eps and the classifier's dropout.

Not part of archspec and never imported by it or its tests (it needs torch);
tests/test_zoo_modern_efficientnet.py copies its figures.  Run from the
repository root with the torch environment:

    /work/torchenv/bin/python tools/torch_figures_efficientnet.py

(torch 2.14.1, torchvision 0.29.1, weights=None; the output is JSON on stdout.)
"""

from __future__ import annotations

import json
from typing import Any

import torch.nn as nn
import torchvision
import torchvision.models as tvm
from torchvision.models.efficientnet import FusedMBConv, MBConv

MEMBERS = [f"efficientnet_b{i}" for i in range(8)] + [f"efficientnet_v2_{v}" for v in "sml"]


def facts(name: str) -> dict[str, Any]:
    model = getattr(tvm, name)(weights=None).eval()
    stages = [stage for stage in model.features[1:-1]]  # stem first, the 1x1 head conv last
    units = [unit for stage in stages for unit in stage]
    assert all(isinstance(unit, (MBConv, FusedMBConv)) for unit in units)
    residual = [(i, unit.stochastic_depth.p) for i, unit in enumerate(units) if unit.use_res_connect]
    return {
        "stage_units": [len(stage) for stage in stages],
        "fused_stages": [isinstance(stage[0], FusedMBConv) for stage in stages],
        "total_units": len(units),
        # (unit number from 0 over the whole network, drop probability)
        "residual_units": residual,
        # torchvision's rule: stochastic_depth_prob (0.2) x unit number / total units
        "drop_rule_holds": all(p == 0.2 * i / len(units) for i, p in residual),
        "bn_eps": sorted({m.eps for m in model.modules() if isinstance(m, nn.BatchNorm2d)}),
        "classifier_dropout": [m.p for m in model.classifier if isinstance(m, nn.Dropout)],
        "head_channels": model.features[-1][0].out_channels,
    }


def main() -> None:
    out = {"versions": {"torchvision": torchvision.__version__},
           "models": {name: facts(name) for name in MEMBERS}}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
