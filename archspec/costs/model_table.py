"""The model table: one row per model spec, as convnet-burden's README lists
them (grouped by task, the reference's models in the reference's order).

A file is a model spec when it has a `model` line; files in `lib/` folders and
files without one are libraries.  Views format `TableRow`s; they never analyse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..graph.layer_graph import Graph
from ..kinds.shape import TOKENS
from .engine import analyze
from .memory import liveness

TASK_ORDER = ("classification", "detection", "segmentation", "keypoints")

# The reference README's rows, in its order (tests check this against
# tests/data/burden_table.csv).  Models it does not list come after them.
REFERENCE_ORDER = (
    "alexnet", "caffenet", "squeezenet1-0", "squeezenet1-1", "vgg-f", "vgg-m", "vgg-s",
    "vgg-m-2048", "vgg-m-1024", "vgg-m-128", "vgg-vd-16-atrous", "vgg-vd-16", "vgg-vd-19",
    "googlenet", "resnet18", "resnet34", "resnet-50", "resnet-101", "resnet-152",
    "resnext-50-32x4d", "resnext-101-32x4d", "resnext-101-64x4d", "inception-v3",
    "SE-ResNet-50", "SE-ResNet-101", "SE-ResNet-152", "SE-ResNeXt-50-32x4d",
    "SE-ResNeXt-101-32x4d", "SENet", "SE-BN-Inception", "densenet121", "densenet161",
    "densenet169", "densenet201", "mcn-mobilenet",
    "rfcn-res50-pascal", "rfcn-res101-pascal", "ssd-pascal-vggvd-300", "ssd-pascal-vggvd-512",
    "ssd-pascal-mobilenet-ft", "faster-rcnn-vggvd-pascal",
    "pascal-fcn32s", "pascal-fcn16s", "pascal-fcn8s", "deeplab-vggvd-v2", "deeplab-res101-v2",
    "multipose-mpi", "multipose-coco",
)

_MODEL_LINE = re.compile(r"^[ \t]*model[ \t]+\S", re.MULTILINE)
_MEMBERS_LINE = re.compile(r"^[ \t]*@members\b", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class TableRow:
    task: str
    model: str
    input_size: tuple[int, int]  # H, W at the reference size
    param_bytes: int
    feature_bytes: int  # one image, full network
    flops: int  # one image, full network
    src: str | None
    error: tuple[float | None, float | None] | None  # top-1 / top-5, %
    params: int  # learnable parameters (no buffers)
    macs: int  # multiply-accumulates, one image, full network
    peak_bytes: int  # the most live at once, one image, each tensor freed after its last use
    tokens: bool = False  # the input is a token sequence of input_size[0] tokens


def _spec_text(path: Path) -> str | None:
    if path.suffix != ".arch" or "lib" in path.parent.parts[-1:]:
        return None
    from ..files import read_limited
    from ..limits import MAX_FILE_BYTES

    try:  # a bounded read of a regular file: a pipe or device named *.arch is no model
        return read_limited(path, MAX_FILE_BYTES).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def is_model_spec(path: Path) -> bool:
    """A spec file that defines a model (not a library of blocks)."""
    text = _spec_text(path)
    return text is not None and _MODEL_LINE.search(text) is not None


def is_family_spec(path: Path) -> bool:
    """A model spec that names its members (`@members`): it stands for them."""
    text = _spec_text(path)
    return text is not None and _MODEL_LINE.search(text) is not None and _MEMBERS_LINE.search(text) is not None


def model_specs(paths: list[Path]) -> list[Path]:
    """The model specs among files and folders (a folder: its *.arch files,
    not its subfolders such as lib/, and not a family spec, which its members
    stand for), sorted by name within each folder.  A name that is no path
    but a zoo model's (`resnet50`) stands for its file."""
    from ..graph.zoo import find_model

    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += [p for p in sorted(path.glob("*.arch")) if is_model_spec(p) and not is_family_spec(p)]
        elif not path.exists() and (shipped := find_model(str(path))) is not None:
            found.append(shipped)
        else:
            found.append(path)  # named explicitly: the caller reports a library or a typo
    return found


def table_row(graph: Graph) -> TableRow:
    """The row of one model: a full pass at its reference input size."""
    meta = graph.metadata
    full = analyze(graph)
    _, h, w = full.input_shape
    return TableRow(meta.task or "other", meta.model or "", (h, w), full.totals.param_bytes,
                    full.totals.feature_bytes, full.totals.flops, meta.src, meta.error,
                    full.totals.params, full.totals.macs, liveness(full).peak_bytes,
                    full.input_layout == TOKENS)


def sort_key(row: TableRow) -> tuple[int, str, int, str]:
    task_rank = TASK_ORDER.index(row.task) if row.task in TASK_ORDER else len(TASK_ORDER)
    position = REFERENCE_ORDER.index(row.model) if row.model in REFERENCE_ORDER else len(REFERENCE_ORDER)
    return task_rank, row.task, position, row.model.lower()


def ordered(rows: list[TableRow]) -> list[TableRow]:
    return sorted(rows, key=sort_key)
