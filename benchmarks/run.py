"""archspec's speed, measured (not asserted): writes benchmarks/run_results.md
(the speed targets, before and after a change: benchmarks/targets.py, benchmarks/results.md).

    python benchmarks/run.py           # full run
    python benchmarks/run.py --quick   # CI: fewer repeats, no 100k chain

Measures the example command end to end against the interpreter's own
start-up, the whole specs/ zoo at every report scale in one process, generated
chains of 1k/10k/100k layers (time should grow linearly), parse-only and
analyse-only times for ResNet-50, and 2 MB hostile specs (docs/threat-model.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wall(command: list[str], repeats: int) -> float:
    """Median wall time of a command, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed(fn, repeats: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def zoo_all_scales(root: Path = ROOT) -> tuple[int, int]:
    """Every spec with a feature layer, analysed up to it at each report scale
    (plus one full pass), in this process.  Returns (specs, analyses)."""
    from archspec import analyze, load
    from archspec.graph.builtins import round_half_away

    specs = analyses = 0
    for path in sorted((root / "specs").glob("*.arch")):
        graph = load(path)
        if not graph.metadata.model or not graph.input_ids:
            continue
        specs += 1
        analyze(graph)
        analyses += 1
        shape = graph.nodes[graph.input_ids[0]].shape
        assert shape is not None
        scales = graph.metadata.scales or (0.5, 1, 1.5, 2, 2.5, 3)
        if graph.metadata.features:
            for scale in scales:
                size = (round_half_away(shape[1] * scale), round_half_away(shape[2] * scale))
                analyze(graph, size=size, batch=128, upto=graph.metadata.features)
                analyses += 1
    return specs, analyses


def chain_text(layers: int) -> str:
    """A generated network of `layers` layers, one statement per line."""
    lines = ["model chain", "input 16 x 32 x 32"]
    for i in range(layers // 2):
        lines.append(f"c{i} = conv(16, 3, pad=1)")
        lines.append(f"r{i} = relu")
    return "\n".join(lines) + "\n"


def transformer_sweeps() -> list[tuple[str, str]]:
    """Sweeps of 1,000 sizes over networks with no per-axis side model (priced
    from the layers' shape rules on arrays), and a closed form fitted the same way."""
    from archspec import load
    from archspec.costs.closed_form import closed_form
    from archspec.costs.sweep import sweep_graph
    from archspec.views.closed_form import render_json

    folder = ROOT / "specs" / "transformers"
    if not folder.exists():
        return []
    rows = []
    cases = [("gpt2.arch", {}, [(n, n) for n in range(1, 1001)], "lengths 1..1,000"),
             ("vit.arch", {"learned_pos": False}, [(16 * (1 + k % 40), 16 * (1 + k // 40)) for k in range(1000)],
              "1,000 sizes (fixed positions)"),
             ("swin_t.arch", {}, [(100 + k, 300 - k // 5) for k in range(1000)], "1,000 sizes")]
    for name, values, sizes, said in cases:
        graph = load(folder / name, **values)
        seconds = timed(lambda graph=graph, sizes=sizes: sweep_graph(graph, sizes, [1]), 3)
        rows.append((f"sweep {name}, {said}", f"{seconds * 1000:.0f} ms"))
    graph = load(folder / "swin_t.arch")
    seconds = timed(lambda: render_json(closed_form(graph), "swin_t"), 1)
    rows.append(("closed form swin_t (S = 224, every square class)", f"{seconds:.2f} s"))
    return rows


def repeated_chain_text(layers: int) -> str:
    """The same network as `chain_text`, its units written as one repeat."""
    return f"model chain\ninput 16 x 32 x 32\n(conv(16, 3, pad=1) > relu) x {layers // 2}\n"


# 2 MB of one kind of content each (the size limit): the hostile-input cases of
# docs/threat-model.md, which should end, refused or analysed, within seconds.
HOSTILE = {
    "blank lines": "\n",
    "comment lines": "  # a comment\n",
    "one chain, `relu > ` repeated": "relu > ",
    "tiny statements, `x = (((1)))`": "x = (((1)))\n",
    "a block defined again and again": "block b() {\n relu\n}\n",
}
QUICK_HOSTILE = ("blank lines", "tiny statements, `x = (((1)))`")


def hostile(quick: bool) -> list[tuple[str, str]]:
    """Wall time of `archspec analyze` on each 2 MB hostile spec."""
    import tempfile

    from archspec.limits import MAX_FILE_BYTES

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for what, unit in HOSTILE.items():
            if quick and what not in QUICK_HOSTILE:
                continue
            spec = Path(folder) / "hostile.arch"
            text = "input 3 x 8 x 8\n" + unit * (MAX_FILE_BYTES // len(unit.encode()))
            spec.write_bytes(text.encode()[:MAX_FILE_BYTES])
            start = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "archspec.cli", "analyze", str(spec), "--format", "csv"],
                                 cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            rows.append((f"2 MB of {what}", f"{seconds:.1f} s (exit {run.returncode})"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 100k chain (for CI)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "run_results.md"))
    args = parser.parse_args()
    repeats = 3 if args.quick else 7

    from archspec import analyze, loads
    from archspec.syntax.parser import parse

    rows: list[tuple[str, str]] = []
    interpreter = wall([sys.executable, "-c", "pass"], repeats)
    example = [sys.executable, "-m", "archspec.cli", "analyze", "specs/resnet50.arch", "--size", "224"]
    if not (ROOT / "specs" / "resnet50.arch").exists():
        example[4] = "specs/resnet-50.arch"
    command = wall(example, repeats)
    rows.append(("`python -c pass`", f"{interpreter * 1000:.0f} ms"))
    rows.append((f"`archspec analyze {example[4]} --size 224`",
                 f"{command * 1000:.0f} ms ({command / interpreter:.1f}x the interpreter)"))

    start = time.perf_counter()
    specs, analyses = zoo_all_scales()
    rows.append((f"whole zoo: {specs} specs, {analyses} analyses (every report scale), one process",
                 f"{(time.perf_counter() - start) * 1000:.0f} ms"))

    text = (ROOT / "specs" / "resnet-50.arch").read_text().replace(
        'import "lib/resnet.arch"', (ROOT / "specs" / "lib" / "resnet.arch").read_text())
    rows.append(("parse only, resnet-50", f"{timed(lambda: parse(text, 'r.arch')) * 1000:.1f} ms"))
    graph = loads(text)
    rows.append(("load (parse + expand), resnet-50", f"{timed(lambda: loads(text)) * 1000:.1f} ms"))
    rows.append(("analyse only, resnet-50 at 224", f"{timed(lambda: analyze(graph, size=224)) * 1000:.1f} ms"))

    rows += transformer_sweeps()

    for n in (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000):
        # past 10,000 layers a file written out passes the token limit: the chain is a repeat
        chain = chain_text(n) if n <= 10_000 else repeated_chain_text(n)
        load_time = timed(lambda chain=chain: loads(chain), 1)
        big = loads(chain)
        analyse_time = timed(lambda big=big: analyze(big), 1)
        rows.append((f"generated chain of {n:,} layers: load + analyse",
                     f"{load_time:.2f} s + {analyse_time:.2f} s = {load_time + analyse_time:.2f} s"))

    rows += hostile(args.quick)

    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
    lines = ["# Benchmarks", "", f"Machine: {machine}.", f"Mode: {'quick' if args.quick else 'full'}; "
             f"wall times are medians (commands) or best of runs (in-process).", "",
             "| what | time |", "|---|---|"]
    lines += [f"| {what} | {value} |" for what, value in rows]
    report = "\n".join(lines) + "\n"
    print(report)
    if not args.quick:
        Path(args.out).write_text(report)


if __name__ == "__main__":
    main()
