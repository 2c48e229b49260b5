"""The reference figures (copied from the convnet-burden table into tests/data)
and helpers to compare archspec's analyses with them."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from archspec.graph.builtins import round_half_away

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


@dataclass(frozen=True)
class Row:
    task: str
    model: str
    input_size: tuple[int, int]
    param_mem: str
    feat_mem: str
    flops: str  # normalised to "FLOPs" (the table writes both FLOPs and FLOPS)


def table() -> list[Row]:
    rows = []
    with open(DATA / "burden_table.csv", newline="") as f:
        for r in csv.DictReader(f):
            h, w = (int(p) for p in r["input_size"].split(" x "))
            rows.append(Row(r["task"], r["model"], (h, w), r["param_mem"], r["feat_mem"],
                            r["flops"].replace("FLOPS", "FLOPs")))
    return rows


def trunks() -> dict[str, tuple[str, tuple[float, ...]]]:
    with open(DATA / "trunks.csv", newline="") as f:
        return {r["model"]: (r["feature_layer"], tuple(float(s) for s in r["scales"].split()))
                for r in csv.DictReader(f)}


def example_reports() -> dict[str, dict]:  # type: ignore[type-arg]
    with open(DATA / "example_reports.json") as f:
        return json.load(f)  # type: ignore[no-any-return]


def scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """round(size x scale) per side, halves away from zero (MATLAB's round)."""
    return round_half_away(size[0] * scale), round_half_away(size[1] * scale)


def arithmetic(text: str) -> int:
    """Evaluate arithmetic written out for people, as a reader would: `·` and
    `×` multiply, `−` subtracts, `a/b` is a whole-number quotient, `,`
    groups digits and words in brackets are comments."""
    plain = re.sub(r" \([^()]*[A-Za-z][^()]*\)", "", text)
    plain = plain.replace("·", "*").replace("×", "*").replace("−", "-").replace(",", "").replace("/", "//")
    assert re.fullmatch(r"[\d\s*+\-/()max]*", plain.replace("max(", "max(")), text
    value: int = eval(plain, {"max": max})
    return value


# ------------------------------------------------------------ every spec, and a sample of the large families

# The folders of specs: the reference zoo, the tutorial's, torchvision's CNNs and the transformers.
SPEC_FOLDERS = (SPECS, SPECS / "examples", SPECS / "modern", SPECS / "transformers")


def spec_id(path: Path) -> str:
    """`resnet50` for specs/resnet50.arch, `modern/resnet50` for specs/modern/resnet50.arch."""
    folder = path.parent.relative_to(SPECS)
    return path.stem if folder == Path(".") else f"{folder.as_posix()}/{path.stem}"


def every_spec() -> list[Path]:
    """Every model spec of every folder, family specs included."""
    from archspec.costs.model_table import is_model_spec

    return [p for folder in SPEC_FOLDERS for p in sorted(folder.glob("*.arch")) if is_model_spec(p)]


def sampled_specs() -> list[Path]:
    """The specs the slow spec-wide checks run on: every spec outside a family
    (the whole reference zoo, the tutorial's, GoogLeNet, GPT-2, ...) and of each
    family (`@members`) the family spec at its defaults and its first and last
    members (efficientnet: the family, b0 and b7; regnet: the family, regnet_x_400mf
    and regnet_y_128gf), whose layers span the family's rules; the members between
    differ from those only in widths and repeats."""
    from archspec.costs.spec_collections import families

    chosen = []
    models = set(every_spec())
    for folder in SPEC_FOLDERS:
        order, failed = families(folder)
        assert not failed, failed
        last = {}
        for family, place in order.values():
            last[family] = max(last.get(family, 0), place)
        for path in sorted(folder.glob("*.arch")):
            if path not in models:
                continue
            member = path.stem  # thin specs are named as their model
            if member not in order or order[member][1] in (0, last[order[member][0]]):
                chosen.append(path)
    return chosen
