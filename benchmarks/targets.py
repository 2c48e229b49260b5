"""The speed targets (start-up, scale, sweeps, the zoo), measured before and
after a change: two checkouts of archspec timed side by side in one session.

    python benchmarks/targets.py [--before PATH] [--rounds N] [--only NAME,...] [--largest N]

PATH is another checkout (a `git worktree` or an unpacked `git archive`) run
with the same interpreter and packages; without it only this checkout is
measured.  Every measurement is a separate process run through `probe` (this
file, run with the checkout's folder first on the path) or a whole command,
and the two checkouts' runs alternate (A, B, A, B, ...), so a shared machine
whose load changes slows both alike; medians of wall and CPU time are kept,
with the load average.  Each checkout's modules are compiled to .pyc first,
as an install does: where PYTHONDONTWRITEBYTECODE is set (as on some CI
machines), an editable checkout is otherwise compiled again on every run,
which adds a third to the example's start-up.  Not a test: timings depend on
the machine.  benchmarks/results.md records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# ---- probes: run inside a fresh process, with one checkout first on the path ----


def _flat(layers: int) -> str:
    """A flat spec: one layer a line, no blocks or repeats (2 tokens a layer)."""
    return "input 16 x 32 x 32\n" + "relu\n" * layers


def _blocks(layers: int) -> str:
    """A block-built network: a 3-layer unit called layers/3 times."""
    return (f"input 16 x 32 x 32\nblock unit() {{\n  conv(16, 3, pad=1) > bn > relu\n}}\n"
            f"unit x {layers // 3}\n")


def _repeat(layers: int) -> str:
    """One layer repeated: `relu x N` (a repeat of a layer, not of a block)."""
    return f"input 16 x 32 x 32\nrelu x {layers}\n"


def probe(name: str, size: int) -> dict[str, float]:
    """One measurement in this process: wall and CPU seconds of the work."""
    import resource

    from archspec import analyze, loads

    clock, cpu = time.perf_counter, time.process_time
    if name in ("flat", "blocks", "repeat"):
        import archspec.syntax.parser as parser

        parser.MAX_TOKENS = max(parser.MAX_TOKENS, 3 * size)  # the speed of parsing, not the limit, is measured
        text = {"flat": _flat, "blocks": _blocks, "repeat": _repeat}[name](size)
        w, c = clock(), cpu()
        graph = loads(text)
        load_wall, load_cpu = clock() - w, cpu() - c
        analysis = analyze(graph)
        assert len(analysis.layers) >= size - 3
        return {"wall": clock() - w, "cpu": cpu() - c, "load_wall": load_wall, "load_cpu": load_cpu,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if name == "zoo":
        sys.path.insert(0, str(HERE))
        from run import zoo_all_scales

        w, c = clock(), cpu()
        zoo_all_scales(Path(os.environ.get("BENCHMARK_SPECS_FROM", ROOT)))
        return {"wall": clock() - w, "cpu": cpu() - c}
    raise SystemExit(f"unknown probe {name}")


# ---- the driver ----


# The checkout whose specs/ every command reads (--specs-from): both checkouts
# must analyse the same files, in a language both of them read.
SPECS_FROM = ROOT


def environment(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    env["BENCHMARK_SPECS_FROM"] = str(SPECS_FROM)
    return env


def run_once(command: list[str], tree: Path) -> tuple[float, float, int, str, str]:
    """Wall and CPU seconds (user + system, the child's own, to the microsecond),
    exit code, stdout and stderr of one run."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=SPECS_FROM, env=environment(tree), stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, child.returncode, out.read().decode(), err.read().decode()


def timed_runs(commands: dict[str, list[str]], trees: dict[str, Path], rounds: int,
               skip: frozenset[tuple[str, str]] = frozenset()) -> dict[tuple[str, str], Any]:
    """{(tree, label): {"wall": [...], "cpu": [...], "peak_mb": x, "probe": [...]}} with every
    command run once per tree per round, interleaved (but the (tree, label) pairs in `skip`)."""
    results: dict[tuple[str, str], Any] = {}
    for _ in range(rounds):
        for label, command in commands.items():
            for tree_name, tree in trees.items():
                if (tree_name, label) in skip:
                    results.setdefault((tree_name, label), {"wall": [], "cpu": [], "probe": []})
                    continue
                wall, cpu, code, out, err = run_once(command, tree)
                if code != 0:
                    raise SystemExit(f"{' '.join(command)} failed ({code}) with {tree}:\n{err[-2000:]}")
                entry = results.setdefault((tree_name, label), {"wall": [], "cpu": [], "probe": []})
                entry["wall"].append(wall)
                entry["cpu"].append(cpu)
                if command[1:3] == [str(HERE / "targets.py"), "--probe"]:
                    entry["probe"].append(json.loads(out))
    return results


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def compile_tree(tree: Path) -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "archspec")], check=True,
                   stdout=subprocess.DEVNULL)


SUMMARY = ("<!-- speed-summary:start -->", "<!-- speed-summary:end -->")


def copy_summary_to_readme() -> None:
    """The README's speed table is results.md's summary, copied between the same markers."""
    def block(text: str, where: str) -> tuple[int, int]:
        start, end = text.find(SUMMARY[0]), text.find(SUMMARY[1])
        if start < 0 or end < start:
            raise SystemExit(f"{where} has no {SUMMARY[0]} ... {SUMMARY[1]} block")
        return start, end + len(SUMMARY[1])

    results = (HERE / "results.md").read_text(encoding="utf-8")
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text(encoding="utf-8")
    a, b = block(results, "benchmarks/results.md")
    c, d = block(readme, "README.md")
    readme_path.write_text(readme[:c] + results[a:b] + readme[d:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", nargs=2, metavar=("NAME", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--specs-from", type=Path, help="the checkout whose specs/ are read (default: --before's)")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--only", default="", help="start-up,sweep,zoo,flat,blocks,curve,repeat")
    parser.add_argument("--largest", type=int, default=1_000_000, help="the largest block-built network")
    parser.add_argument("--readme", action="store_true",
                        help="copy results.md's summary table into the README's Speed section, and stop")
    args = parser.parse_args()
    if args.readme:
        copy_summary_to_readme()
        return
    if args.probe:
        print(json.dumps(probe(args.probe[0], int(args.probe[1]))))
        return
    global SPECS_FROM
    trees = {"after": ROOT}
    if args.before:
        trees = {"before": args.before.resolve(), "after": ROOT}
    SPECS_FROM = (args.specs_from or args.before or ROOT).resolve()
    for tree in trees.values():
        compile_tree(tree)
    only = set(args.only.split(",")) if args.only else {"start-up", "sweep", "zoo", "flat", "blocks", "curve", "repeat"}
    py = sys.executable
    # -P: the checkout on PYTHONPATH, not the current folder, provides archspec
    cli = [py, "-P", "-m", "archspec"]
    lines = [f"Specs read from {SPECS_FROM}.",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', 'unset')} "
             "(both checkouts compiled to .pyc first).",
             f"Load average at the start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}."]

    def report(title: str, commands: dict[str, list[str]], rounds: int, base: str | None = None,
               skip: frozenset[tuple[str, str]] = frozenset()) -> None:
        loads_before = os.getloadavg()[0]
        results = timed_runs(commands, trees, rounds, skip)
        lines.extend(["", f"### {title}", "",
                      f"{rounds} rounds, interleaved; load average {loads_before:.1f} -> {os.getloadavg()[0]:.1f}.",
                      "", "| what | " + " | ".join(f"{t} wall | {t} CPU" for t in trees) + " |",
                      "|---|" + "---|---|" * len(trees)])
        for label in commands:
            cells = []
            for tree_name in trees:
                entry = results[tree_name, label]
                if not entry["wall"]:
                    cells += ["not run", "not run"]
                    continue
                wall, cpu = median(entry["wall"]), median(entry["cpu"])
                ratio = ""
                if base is not None and label != base:
                    b = results[tree_name, base]
                    ratio = f" ({wall / median(b['wall']):.1f}x)", f" ({cpu / median(b['cpu']):.1f}x)"
                cells.append(f"{wall * 1000:,.0f} ms{ratio[0] if ratio else ''}")
                cells.append(f"{cpu * 1000:,.0f} ms{ratio[1] if ratio else ''}")
                if entry["probe"]:
                    probes = entry["probe"]
                    extra = {k: median([p[k] for p in probes]) for k in probes[0]}
                    cells[-2] += f" (work {extra['wall']:.2f} s)"
                    cells[-1] += f" (work {extra['cpu']:.2f} s" + (
                        f", peak {extra['peak_mb']:.0f} MB)" if "peak_mb" in extra else ")")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        print("\n".join(lines[-len(commands) - 6:]), flush=True)

    def probe_command(name: str, size: int) -> list[str]:
        return [py, str(HERE / "targets.py"), "--probe", name, str(size)]

    if "start-up" in only:
        report("Start-up (x: of `python -c pass`, same tree, same session)", {
            "`python -c pass`": [py, "-c", "pass"],
            "`from pydantic import BaseModel` (the floor)": [py, "-c", "from pydantic import BaseModel"],
            "`archspec analyze specs/resnet50.arch --size 224`": cli + ["analyze", "specs/resnet50.arch",
                                                                       "--size", "224"],
            "`archspec --help`": cli + ["--help"],
        }, args.rounds, base="`python -c pass`")
    if "sweep" in only:
        report("Sweeps as whole commands (x: of one `analyze`)", {
            "`archspec analyze specs/resnet50.arch`": cli + ["analyze", "specs/resnet50.arch"],
            "`archspec sweep specs/resnet50.arch --size 224:1223` (1,000 sizes)":
                cli + ["sweep", "specs/resnet50.arch", "--size", "224:1223", "--format", "json"],
            "`archspec sweep specs/modern/efficientnet.arch`, 100 sizes x 5 batches x 4 widths x 5 depths "
            "(10,000 points)": cli + ["sweep", "specs/modern/efficientnet.arch", "--size", "224:520:3",
                                      "--batch", "1,8,32,64,128", "--set", "width=1.0,1.1,1.2,1.4",
                                      "--set", "depth=1.0,1.1,1.2,1.4,1.8", "--format", "json"],
        }, max(3, args.rounds // 2), base="`archspec analyze specs/resnet50.arch`")
    if "zoo" in only:
        report("The whole zoo at every report scale, one process", {"zoo": probe_command("zoo", 0)},
               max(3, args.rounds // 3))
    if "flat" in only:
        # (before the work, numbering repeated names was quadratic: 100,000 lines took many minutes)
        report("Flat specs (`relu` lines), loaded and analysed",
               {"flat 20,000": probe_command("flat", 20_000), "flat 100,000": probe_command("flat", 100_000)}, 3,
               skip=frozenset({("before", "flat 100,000")}))
    if "curve" in only:
        sizes = [n for n in (1_000, 10_000, 100_000) if n <= args.largest]
        report("Block-built networks, 1k to 100k layers (the curve: time per layer should stay flat)",
               {f"blocks {n:,}": probe_command("blocks", n) for n in sizes}, 3)
    if "blocks" in only:
        report(f"A block-built network of {args.largest:,} layers", {
            f"blocks {args.largest:,}": probe_command("blocks", args.largest)}, 1)
    if "repeat" in only:
        report(f"One layer repeated: `relu x {args.largest - 1:,}`", {
            f"relu x {args.largest - 1:,}": probe_command("repeat", args.largest - 1)}, 1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
