"""What each peer tool counts for a few one-layer PyTorch modules, to check
archspec's peer profiles where the recorded tool outputs have no case.

    python tools/peer_counts.py            # every tool, a table (needs torch and the tools)

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

    return {
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
    if len(sys.argv) == 3:
        json.dump(run_one(sys.argv[1], sys.argv[2]), sys.stdout)
        return
    print("| case | " + " | ".join(TOOLS) + " |")
    print("|---|" + "---|" * len(TOOLS))
    for name in cases():
        cells = [json.loads(subprocess.run([sys.executable, __file__, tool, name], check=True,
                                           capture_output=True, text=True).stdout) for tool in TOOLS]
        print(f"| {name} | " + " | ".join(str(cell) for cell in cells) + " |")


if __name__ == "__main__":
    main()
