"""Every command's output on every spec, written to a folder, so two versions
of archspec can be compared byte for byte (`diff -r before/ after/`).

    python tools/snapshot_outputs.py OUT_DIR [--only NAME,...]

Each file is one command line's stdout (and, if it failed, its stderr and exit
code), named after the spec and the command.  The commands run in-process
through typer's test runner, several specs at a time.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAIRS = [("resnet-50", "resnet50"), ("vgg-m", "vgg-m-1024"), ("densenet121", "densenet169")]


def spec_paths() -> list[Path]:
    found = sorted((ROOT / "specs").glob("*.arch")) + sorted((ROOT / "specs").glob("*/*.arch"))
    return [p for p in found if "lib" not in p.parent.parts[-1:]]


def label(spec: Path) -> str:
    """The file-name stem of a spec's outputs: its stem, prefixed with its
    folder below specs/ (`modern.resnet50`), so that specs of one name in two
    folders (specs/resnet50.arch, specs/modern/resnet50.arch) do not overwrite
    each other's outputs."""
    folder = spec.parent.relative_to(ROOT / "specs")
    return spec.stem if folder == Path(".") else f"{'.'.join(folder.parts)}.{spec.stem}"


def commands(spec: Path) -> dict[str, list[str]]:
    s = str(spec.relative_to(ROOT))
    runs = {
        "analyze": ["analyze", s],
        "analyze.json": ["analyze", s, "--format", "json"],
        "analyze.csv": ["analyze", s, "--format", "csv"],
        "analyze.md": ["analyze", s, "--format", "markdown"],
        "analyze.odd.json": ["analyze", s, "--size", "333x271", "--batch", "3", "--format", "json"],
        "beyond.json": ["analyze", s, "--memory", "peak", "--training", "--device", "a100", "--format", "json"],
        "beyond.txt": ["analyze", s, "--memory", "peak", "--training", "--optimizer", "adam",
                       "--device", "l4", "--dtype", "float16"],
        "beyond.csv": ["analyze", s, "--training", "--device", "h100", "--format", "csv"],
        "conventions": ["conventions", s],
        "conventions.json": ["conventions", s, "--json"],
        "explain": ["explain", s, "--batch", "2"],
        "explain.json": ["explain", s, "--format", "json"],
        "formula": ["explain", s, "--formula"],
        "formula.json": ["explain", s, "--formula", "--format", "json"],
        "sweep.json": ["sweep", s, "--size", "100:400:37,300x200", "--batch", "1,8", "--format", "json"],
        "sweep": ["sweep", s, "--size", "64:512:64"],
    }
    for convention in ("macs", "flops", "fvcore", "ptflops", "thop", "calflops"):
        runs[f"analyze.{convention}.csv"] = ["analyze", s, "--convention", convention, "--format", "csv"]
    return runs


def run_spec(spec: Path, out: Path) -> str:
    from typer.testing import CliRunner

    from archspec.cli import app

    runner = CliRunner()
    for name, argv in commands(spec).items():
        result = runner.invoke(app, argv, catch_exceptions=True)
        text = result.stdout
        if result.exit_code != 0:
            text += f"\n--- exit {result.exit_code}\n{result.stderr}"
            if result.exception and not isinstance(result.exception, SystemExit):
                text += f"\n--- exception {type(result.exception).__name__}: {result.exception}"
        (out / f"{label(spec)}.{name}").write_text(text, encoding="utf-8")
    return label(spec)


def run_global(out: Path) -> None:
    from typer.testing import CliRunner

    from archspec.cli import app

    runner = CliRunner()
    runs = {"kinds": ["kinds"]}
    for folder in ("specs", "specs/modern", "specs/transformers", "specs/examples"):
        name = "table" if folder == "specs" else f"table.{folder.split('/')[1]}"
        runs[f"{name}.md"] = ["table", folder]
        runs[f"{name}.csv"] = ["table", folder, "--format", "csv"]
        runs[f"{name}.json"] = ["table", folder, "--format", "json"]
    for a, b in PAIRS:
        runs[f"diff.{a}.{b}"] = ["diff", f"specs/{a}.arch", f"specs/{b}.arch"]
        runs[f"diff.{a}.{b}.json"] = ["diff", f"specs/{a}.arch", f"specs/{b}.arch", "--format", "json", "--all"]
    for name, argv in runs.items():
        result = runner.invoke(app, argv, catch_exceptions=True)
        (out / f"_global.{name}").write_text(result.stdout + (f"\n--- exit {result.exit_code}\n{result.stderr}"
                                                               if result.exit_code else ""), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    import os

    os.chdir(ROOT)
    specs = spec_paths()
    if args.only:
        wanted = set(args.only.split(","))
        specs = [p for p in specs if p.stem in wanted or label(p) in wanted]
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run_spec, p, args.out) for p in specs]
        futures.append(pool.submit(run_global, args.out))
        for f in futures:
            done = f.result()
            if done:
                print(done, file=sys.stderr)


if __name__ == "__main__":
    main()
