"""Checks that the test suite notices a wrong rule: each mutation below breaks
one fact of one layer kind, and the suite must fail with it in place.

    python tools/mutations.py [--suite tests/]

Each mutation is applied to the working tree, the suite is run (stopping at
the first failure), and the file is restored whatever happens.  The report
names the tests that caught each mutation; a mutation no test catches is a
hole in the tests and makes this script exit 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (what it breaks, file, text, replacement)
MUTATIONS = [
    ("explain's written size rule of a transposed convolution", "archspec/kinds/conv.py",
     'f"{side}\' = ({n} − 1)·{stride} + {span}{added} − {before} − {after} = {size}"',
     'f"{side}\' = ({n} − 1)·{stride} + {span}{added} − {before} = {size}"'),
    ("training: the LRN's input-gradient rule", "archspec/kinds/normalization.py",
     "input_grad=2 * NORMALISE_ACROSS_CHANNELS", "input_grad=NORMALISE_ACROSS_CHANNELS"),
    ("roofline: batch norm's work", "archspec/kinds/normalization.py",
     "work = 2 * INP  # run as its own kernel", "work = INP  # run as its own kernel"),
    ("fvcore's price of a bilinear resize", "archspec/kinds/segmentation.py",
     "fvcore=4 * OUT,", "fvcore=OUT,"),
    ("ptflops' single count of ReLU6 (its forward calls the unpatched F.hardtanh)", "archspec/kinds/piecewise.py",
     "ptflops=OUT,  # relu_flops_counter_hook only: the F.hardtanh",
     "ptflops=2 * OUT,  # relu_flops_counter_hook only: the F.hardtanh"),
    ("thop's float64 adaptive-average rule", "archspec/kinds/pooling.py",
     "return int((float(hi) / ho * (float(wi) / wo) + 1) * float(s.out))",
     "return (hi * wi // (ho * wo) + 1) * s.out"),
    ("ptflops' F.interpolate count inside nn.Upsample", "archspec/kinds/resampling.py",
     "ptflops=Choice(TO_REFERENCE, OUT, OUT + PTFLOPS_INTERPOLATE_BY_SCALE),",
     "ptflops=Choice(TO_REFERENCE, OUT, 2 * OUT),"),
    ("the dilation in a transposed convolution's output size", "archspec/kinds/conv.py",
     "return dh * (kh - 1) + 1, dw * (kw - 1) + 1", "return kh, kw"),
]


def run_suite(suite: str) -> tuple[bool, str]:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", suite],
                            cwd=ROOT, capture_output=True, text=True)
    failed = [line.split(" ", 1)[1].split(" - ")[0] for line in result.stdout.splitlines()
              if line.startswith("FAILED ")]
    return result.returncode != 0, ", ".join(failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="tests/")
    args = parser.parse_args()
    holes = 0
    for what, name, text, replacement in MUTATIONS:
        path = ROOT / name
        original = path.read_text(encoding="utf-8")
        if original.count(text) != 1:
            print(f"cannot apply '{what}': its text is not in {name} exactly once")
            return 2
        try:
            path.write_text(original.replace(text, replacement), encoding="utf-8")
            caught, tests = run_suite(args.suite)
        finally:
            path.write_text(original, encoding="utf-8")
        print(f"{'caught' if caught else 'MISSED'}: {what}" + (f" (by {tests})" if tests else ""))
        holes += not caught
    return 1 if holes else 0


if __name__ == "__main__":
    sys.exit(main())
