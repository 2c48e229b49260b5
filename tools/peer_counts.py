"""What each peer tool counts for a few one-layer PyTorch modules, to check
archspec's peer profiles where the recorded tool outputs have no case.

    python tools/peer_counts.py            # every tool, a table (needs torch and the tools)
    python tools/peer_counts.py relu       # the cases whose name contains "relu"

Not part of the package or the test suite (torch is never a dependency):
run it in an environment with torch, torchvision, fvcore, ptflops, thop and
calflops installed.  Each tool counts each case in a process of its own:
a tool that fails half-way may leave its monkey-patches in place (calflops
does, and then counts every later call twice).  The numbers it printed are
quoted, with this script named, in the tests that use them.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
import sys
import warnings

TOOLS = ("fvcore", "ptflops", "thop", "calflops", "flopcounter")


def cases() -> dict[str, tuple[object, tuple[int, ...]]]:
    """name -> (module, input shape)."""
    from torch import nn
    from torch.nn import functional as F

    class Call(nn.Module):
        """A forward that calls a function, as a model's own forward does
        (torchvision's BasicConv2d calls F.relu): `F.relu` is looked up when
        it runs, so a tool's patch of torch.nn.functional is what it calls."""

        def __init__(self, function: object) -> None:
            super().__init__()
            self.function = function

        def forward(self, x: object) -> object:
            return self.function(x)  # type: ignore[operator]

    return {
        # forms (archspec/kinds/forms.py): one op as a module, a function and a tensor method
        "nn.ReLU(inplace)": (nn.ReLU(inplace=True), (1, 8, 5, 7)),
        "F.relu(inplace)": (Call(lambda x: F.relu(x, inplace=True)), (1, 8, 5, 7)),
        "nn.ReLU6(inplace)": (nn.ReLU6(inplace=True), (1, 8, 5, 7)),
        "F.relu6": (Call(lambda x: F.relu6(x)), (1, 8, 5, 7)),
        "nn.Hardtanh(0, 6)": (nn.Hardtanh(0.0, 6.0), (1, 8, 5, 7)),
        "nn.MaxPool2d(3, 2)": (nn.MaxPool2d(3, 2), (1, 8, 9, 11)),
        "F.max_pool2d(3, 2)": (Call(lambda x: F.max_pool2d(x, kernel_size=3, stride=2)), (1, 8, 9, 11)),
        "nn.AvgPool2d(3, 1, 1)": (nn.AvgPool2d(3, 1, 1), (1, 8, 5, 7)),
        "F.avg_pool2d(3, 1, 1)": (Call(lambda x: F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)),
                                  (1, 8, 5, 7)),
        "nn.AdaptiveAvgPool2d(1)": (nn.AdaptiveAvgPool2d(1), (1, 8, 5, 7)),
        "F.adaptive_avg_pool2d(1)": (Call(lambda x: F.adaptive_avg_pool2d(x, (1, 1))), (1, 8, 5, 7)),
        "x.mean([2, 3])": (Call(lambda x: x.mean([2, 3])), (1, 8, 5, 7)),
        "nn.AdaptiveAvgPool2d(2) on 5x7": (nn.AdaptiveAvgPool2d(2), (1, 8, 5, 7)),
        "F.adaptive_avg_pool2d(2) on 5x7": (Call(lambda x: F.adaptive_avg_pool2d(x, 2)), (1, 8, 5, 7)),
        # other cases

        "Upsample(scale=1.5, bilinear)": (nn.Upsample(scale_factor=1.5, mode="bilinear"), (1, 8, 5, 7)),
        "Upsample(scale=(1.5, 2.5), nearest)": (nn.Upsample(scale_factor=(1.5, 2.5), mode="nearest"), (1, 8, 5, 7)),
        "Upsample(scale=0.5, nearest)": (nn.Upsample(scale_factor=0.5, mode="nearest"), (1, 8, 6, 8)),
        "PReLU(8)": (nn.PReLU(8), (1, 8, 5, 7)),
        "ELU(alpha=0.5)": (nn.ELU(alpha=0.5), (1, 8, 5, 7)),
        "LeakyReLU(0.2, inplace)": (nn.LeakyReLU(0.2, inplace=True), (1, 8, 5, 7)),
        "Softplus(beta=2)": (nn.Softplus(beta=2), (1, 8, 5, 7)),
        "GroupNorm(4, 8, affine=False)": (nn.GroupNorm(4, 8, affine=False), (1, 8, 5, 7)),
    }


class _Holder:
    """Wraps a case's module with one unused parameter (calflops needs a parameter)."""

    @staticmethod
    def wrap(module: object) -> object:
        import torch
        from torch import nn

        class Holder(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.inner = module
                self.unused = nn.Parameter(torch.zeros(1))

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.inner(x)  # type: ignore[operator, no-any-return]

        return Holder().eval()


def count(tool: str, module: object, shape: tuple[int, ...]) -> float:
    import torch

    model = _Holder.wrap(module)
    x = torch.randn(*shape)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        if tool == "fvcore":
            from fvcore.nn import FlopCountAnalysis

            analysis = FlopCountAnalysis(model, (x,))
            analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
            return float(analysis.total())
        if tool == "ptflops":
            from ptflops import get_model_complexity_info

            macs, _ = get_model_complexity_info(model, tuple(shape[1:]), input_constructor=lambda _: x,
                                                as_strings=False, print_per_layer_stat=False,
                                                backend="pytorch", ost=sink)
            return float(macs)
        if tool == "thop":
            from thop import profile

            macs, _ = profile(model, inputs=(x,), verbose=False)
            return float(macs)
        if tool == "calflops":
            from calflops import calculate_flops

            flops, _, _ = calculate_flops(model, args=[x], print_results=False, print_detailed=False,
                                          output_as_string=False)
            return float(flops)
        from torch.utils.flop_counter import FlopCounterMode

        counter = FlopCounterMode(display=False)
        with counter:
            model(x)  # type: ignore[operator]
        return float(counter.get_total_flops())


def run_one(tool: str, name: str) -> object:
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)
    module, shape = cases()[name]
    try:
        return count(tool, module, shape)
    except Exception as exc:  # a tool that fails on a case: report it, do not hide it
        return f"{type(exc).__name__}: {exc}"[:200]


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--run":
        json.dump(run_one(sys.argv[2], sys.argv[3]), sys.stdout)
        return
    only = sys.argv[1] if len(sys.argv) == 2 else ""  # a part of the case names to run
    print("| case | " + " | ".join(TOOLS) + " |")
    print("|---|" + "---|" * len(TOOLS))
    for name in (n for n in cases() if only in n):
        cells = [json.loads(subprocess.run([sys.executable, __file__, "--run", tool, name], check=True,
                                           capture_output=True, text=True).stdout) for tool in TOOLS]
        print(f"| {name} | " + " | ".join(str(cell) for cell in cells) + " |")


if __name__ == "__main__":
    main()
