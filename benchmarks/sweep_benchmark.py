"""How fast is `archspec sweep`?  1,000 input sizes of a ResNet-50, in-process.

    python benchmarks/sweep_benchmark.py [SPEC ...]

For each spec: the cold time (side model built from scratch: the layers' rules
run once on arrays of probe sizes) and the warm time (model cached on the
loaded graph, as for a second sweep of the same spec), best of several runs,
for sizes 224..1223 x batch 1; loading (parsing) the spec is not timed.  The
target is 1,000 sizes of ResNet-50 within 100 ms on a 2-core machine.  Not a
test: timings depend on the machine.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archspec import load  # noqa: E402  (after the path set-up above)
from archspec.costs import sweep as sweeping  # noqa: E402

SIZES = [(s, s) for s in range(224, 1224)]


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main(paths: list[str]) -> None:
    for path in paths:
        def cold(path: str = path) -> None:
            graph = load(path)
            start = time.perf_counter()
            rows = sweeping.sweep_graph(graph, SIZES, [1])
            cold.elapsed = time.perf_counter() - start  # type: ignore[attr-defined]
            assert len(rows) == len(SIZES)

        colds = []
        for _ in range(5):
            cold()
            colds.append(cold.elapsed)  # type: ignore[attr-defined]
        graph = load(path)
        sweeping.sweep_graph(graph, SIZES, [1])
        warm = best_of(5, lambda graph=graph: sweeping.sweep_graph(graph, SIZES, [1]))
        print(f"{Path(path).stem:<16} {len(SIZES)} sizes: cold {1000 * min(colds):6.1f} ms, "
              f"warm {1000 * warm:6.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:] or [str(ROOT / "specs" / "resnet-50.arch"), str(ROOT / "specs" / "resnet50.arch")])
