"""Whole-process timings measured side by side: commands run interleaved
(A, B, C, A, B, C, ...) in one session, so a machine whose load changes while
it runs (a shared 2-core machine) slows every command alike, and medians
are compared.  Besides wall time, each run's CPU time (user + system, from
the kernel's accounting of the child) is kept: it moves much less than wall
time when other work shares the cores.

    python benchmarks/paired.py [--rounds N] 'LABEL=COMMAND' ...
    python benchmarks/paired.py 'pass=python -c pass' \\
        'example=python -m archspec analyze specs/resnet50.arch --size 224'

Each COMMAND is split like a shell would (no shell runs it); `python` is
this interpreter.  The first command is the baseline the others are given
as ratios of.  Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Timing:
    label: str
    command: list[str]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_kb: int = 0

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def run_once(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak resident KB of one run."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 2):
        raise SystemExit(f"{shlex.join(command)} failed with exit code {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def paired(commands: dict[str, list[str]], rounds: int, env: dict[str, str] | None = None,
           warm_up: int = 1) -> list[Timing]:
    """Run every command once per round, in turn, for `rounds` rounds (after
    `warm_up` untimed rounds that fill the file cache)."""
    timings = [Timing(label, command) for label, command in commands.items()]
    for _ in range(warm_up):
        for t in timings:
            run_once(t.command, env)
    for _ in range(rounds):
        for t in timings:
            wall, cpu, peak = run_once(t.command, env)
            t.wall.append(wall)
            t.cpu.append(cpu)
            t.peak_kb = max(t.peak_kb, peak)
    return timings


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def table(timings: list[Timing]) -> list[str]:
    base = timings[0]
    lines = ["| command | wall (median) | x baseline | CPU (median) | x baseline | peak RSS |",
             "|---|---|---|---|---|---|"]
    for t in timings:
        lines.append(f"| {t.label} | {t.wall_median * 1000:.0f} ms | {t.wall_median / base.wall_median:.1f}x | "
                     f"{t.cpu_median * 1000:.0f} ms | {t.cpu_median / base.cpu_median:.1f}x | "
                     f"{t.peak_kb / 1024:.0f} MB |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("commands", nargs="+", help="LABEL=COMMAND")
    args = parser.parse_args()
    commands = {}
    for item in args.commands:
        label, _, text = item.partition("=")
        argv = shlex.split(text)
        commands[label] = [sys.executable if a == "python" else a for a in argv]
    before = load_average()
    timings = paired(commands, args.rounds)
    print(f"{args.rounds} rounds interleaved; load average before {before}, after {load_average()}")
    print("\n".join(table(timings)))


if __name__ == "__main__":
    main()
