"""The Python API: everything the command line computes, as typed results.

    >>> from archspec import load, analyze
    >>> spec = load("specs/resnet50.arch")
    >>> result = analyze(spec, size=224, batch=128, upto="features_7.bottleneck2")
    >>> result.totals.flops

Each function takes a spec as a loaded `Graph` (from `load` or `loads`) or a
path, and returns the dataclass the analysis itself produces.  Errors are
`ArchError`s whose `argument` names the argument they are about, in these
functions' words (`upto`, `overrides`, `memory`), never a command-line option.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .costs.engine import Analysis, check_size
from .costs.engine import analyze as _analyze
from .errors import ArchError
from .graph.layer_graph import Graph
from .graph.load import load_graph, load_graph_from_text

if TYPE_CHECKING:
    from .bridges.onnx_import import Imported
    from .costs.closed_form import ClosedForm
    from .costs.compare_conventions import Comparison
    from .costs.diff import Diff
    from .costs.explain import Explanation
    from .costs.memory import Liveness
    from .costs.model_table import TableRow
    from .costs.report import ModelReport
    from .costs.roofline import Roofline
    from .costs.sweep import SweepRow
    from .costs.training import Training

Size = int | tuple[int, int] | None
Spec = Graph | str | Path


def load(path: str | Path, allow_imports: list[str | Path] | None = None, **overrides: Any) -> Graph:
    """Read and expand a spec file; keyword arguments override its `param`s.
    Imports stay in the spec's folder tree; `allow_imports` names more folders
    they may read (docs/threat-model.md)."""
    return load_graph(path, overrides, _folders(allow_imports))


def loads(text: str, path: str = "<string>", allow_imports: list[str | Path] | None = None,
          **overrides: Any) -> Graph:
    """Like `load`, from the text of a spec; `path` names it in error messages
    and its folder is where imports resolve from."""
    return load_graph_from_text(text, path, overrides, _folders(allow_imports))


def _folders(allow_imports: list[str | Path] | None) -> list[Path]:
    if allow_imports is None:
        return []
    if isinstance(allow_imports, (str, Path)) or not all(isinstance(f, (str, Path)) for f in allow_imports):
        raise ArchError("expected a list of folders", argument="allow_imports")
    return [Path(folder) for folder in allow_imports]


def _graph(spec: Spec) -> Graph:
    return spec if isinstance(spec, Graph) else load(spec)


def _size(size: Size, argument: str = "size") -> tuple[int, int] | None:
    """A side or (height, width), in range (the engine's own check, so the
    functions that reach a size without the engine refuse it alike)."""
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    if size is None or (isinstance(size, tuple) and len(size) == 2
                        and all(isinstance(s, int) and not isinstance(s, bool) for s in size)):
        try:
            check_size(size)
        except ArchError as exc:
            raise ArchError(exc.message, argument=argument) from None
        return size
    raise ArchError(f"expected a side or (height, width) in whole pixels, got {size!r}", argument=argument)


def analyze(spec: Spec, size: Size = None, batch: int = 1, upto: str | None = None,
            dtype: str = "float32", convention: str = "burden") -> Analysis:
    """Per-layer and total cost of one forward pass.  `size` is a side (224)
    or (height, width); None uses the spec's own input size."""
    return _analyze(_graph(spec), _size(size), batch, upto, dtype, convention)


def peak_memory(spec: Spec, size: Size = None, batch: int = 1,
                upto: str | None = None, dtype: str = "float32") -> Liveness:
    """Peak activation memory of inference by liveness (`.peak_bytes`), next to
    the reference's no-reuse sum (`.no_reuse_bytes`); `.steps` is the per-layer curve."""
    from .costs.memory import liveness

    return liveness(analyze(spec, size, batch, upto, dtype))


def train(spec: Spec, size: Size = None, batch: int = 1, upto: str | None = None,
          dtype: str = "float32", optimizer: str = "sgd", convention: str = "burden") -> Training:
    """Memory (`.total_bytes` and its parts) and backward cost of one training step."""
    from .costs.training import training

    return training(analyze(spec, size, batch, upto, dtype, convention), optimizer)


def fit(spec: Spec, memory: str | int, size: Size = None, upto: str | None = None,
        dtype: str = "float32", optimizer: str = "sgd") -> int:
    """The largest training batch whose step fits in `memory`: a size with its
    unit ("24GB", binary: 1 GB = 1024^3 bytes) or a number of bytes.
    `train(spec, batch=fit(...))` gives that step's figures."""
    from .costs.training import fit_batch, parse_bytes

    budget = parse_bytes(memory) if isinstance(memory, str) else memory
    return fit_batch(_graph(spec), budget, _size(size), upto, dtype, optimizer=optimizer)[0]


def roofline_time(spec: Spec, device: str, size: Size = None, batch: int = 1,
                  upto: str | None = None, dtype: str = "float32") -> Roofline:
    """Roofline estimate on a catalogued device (`.seconds`, `.layers`)."""
    from .costs.roofline import roofline

    return roofline(analyze(spec, size, batch, upto, dtype), device)


def compare_conventions(spec: Spec, size: Size = None, batch: int = 1, upto: str | None = None) -> Comparison:
    """Totals under every counting convention side by side (`.totals`,
    `.params`, keyed by convention), per layer kind (`.kinds`), and the kinds
    behind each convention's gap (`.gaps(convention)`)."""
    from .costs.compare_conventions import compare

    return compare(_graph(spec), _size(size), batch, upto)


def explain(spec: Spec, size: Size = None, batch: int = 1, upto: str | None = None,
            dtype: str = "float32", convention: str = "burden", layer: str | None = None) -> Explanation:
    """Every figure written out as arithmetic: `.layers` (each with its
    `.lines` of label and text), and where the FLOPs, parameters and memory go
    (`.by_category`, `.by_kind`, `.by_stage`).  `layer` explains that one only."""
    from .costs.explain import explain as explaining

    return explaining(_graph(spec), _size(size), batch, upto, dtype, convention, layer)


def closed_form(spec: Spec, upto: str | None = None, dtype: str = "float32",
                convention: str = "burden") -> ClosedForm:
    """The totals as exact formulas in the input height, width and batch:
    `.evaluate("flops", h, w, batch)`, `.form("macs", h, w)` (its coefficients),
    `.stride` (the formulas repeat with the input size modulo it)."""
    from .costs.closed_form import closed_form as forms

    return forms(_graph(spec), upto, dtype, convention)


def sweep(spec: Spec, sizes: Iterable[int | tuple[int, int]], batches: Iterable[int] | int = (1,),
          upto: str | None = None, dtype: str = "float32", convention: str = "burden",
          values: Mapping[str, Sequence[Any]] | None = None) -> list[SweepRow]:
    """Costs over a grid, vectorised: every size x batch, and every
    combination of the parameter `values` ({"width": [1, 1.5]}, which needs the
    spec's path).  A size at which the network does not run is a row with
    `.error` (saying why, as `analyze` would) and no `.figures`."""
    from .costs.sweep import sweep as run
    from .costs.sweep import sweep_graph
    from .limits import MAX_POINTS

    grid = _sizes(sizes)
    counts = _batches(batches)
    if values:
        if isinstance(spec, Graph):
            raise ArchError("sweeping parameter values reads the spec again for each: give its path, "
                            "not a loaded spec", argument="values")
        import itertools

        names = list(values)
        choices = [list(values[name]) for name in names]
        if any(not c for c in choices):
            raise ArchError("each parameter needs at least one value", argument="values")
        combinations = 1
        for c in choices:
            combinations *= len(c)
        if combinations > MAX_POINTS:
            raise ArchError(f"{combinations:,} combinations; at most {MAX_POINTS:,} are swept", argument="values")
        try:
            return run(str(spec), grid, counts, [dict(zip(names, combo)) for combo in itertools.product(*choices)],
                       upto, dtype, convention)
        except ArchError as exc:  # a value the spec's parameters refuse: this function calls them `values`
            if exc.argument == "overrides":
                exc.argument = "values"
            raise
    if len(grid) * len(counts) > MAX_POINTS:
        raise ArchError(f"the grid has {len(grid) * len(counts):,} points; at most {MAX_POINTS:,} are swept",
                        argument="sizes")
    return sweep_graph(_graph(spec), grid, counts, upto, dtype, convention)


def _sizes(sizes: Iterable[int | tuple[int, int]]) -> list[tuple[int, int]]:
    from .limits import MAX_POINTS, MAX_SIDE

    if isinstance(sizes, (int, tuple)):
        raise ArchError("expected a list of sizes, e.g. [160, 224, (600, 850)] or range(112, 673, 32)",
                        argument="sizes")
    grid = []
    for size in sizes:
        pair = _size(size, "sizes")
        if pair is None or not all(1 <= side <= MAX_SIDE for side in pair):
            raise ArchError(f"{size!r}: sides must be between 1 and {MAX_SIDE}", argument="sizes")
        grid.append(pair)
        if len(grid) > MAX_POINTS:
            raise ArchError(f"more than {MAX_POINTS:,} sizes", argument="sizes")
    if not grid:
        raise ArchError("no sizes to sweep", argument="sizes")
    return grid


def _batches(batches: Iterable[int] | int) -> list[int]:
    counts: list[int] = [batches] if isinstance(batches, int) else list(batches)
    if not counts or not all(isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in counts):
        raise ArchError(f"expected whole numbers of images, at least 1, got {batches!r}", argument="batches")
    return counts


def diff(a: Spec, b: Spec, size: Size = None, batch: int = 1, dtype: str = "float32",
         convention: str = "burden") -> Diff:
    """Two specs aligned layer by layer (`.pairs`, each with `.changes` and
    `.delta(figure)`), with both analyses (`.a`, `.b`) for the totals."""
    from .costs.diff import diff_specs

    return diff_specs(_graph(a), _graph(b), _size(size), batch, dtype, convention)


def report(spec: Spec, batch: int = 128, scales: Sequence[float] | None = None,
           features: str | None = None) -> ModelReport:
    """The figures of a model's report (`archspec report`): the full pass at
    its own size, and the feature layer's cost at each input scale for a batch
    (`.rows`).  Scales default to the spec's `@scales`, else 0.5 to 3; the
    feature layer to its `@features`."""
    from .costs.report import compute_report

    if scales is not None and (isinstance(scales, (int, float, str))
                               or not all(isinstance(s, (int, float)) and not isinstance(s, bool) for s in scales)):
        raise ArchError(f"expected a list of numbers, got {scales!r}", argument="scales")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ArchError(f"expected a whole number of images, at least 1, got {batch!r}", argument="batch")
    return compute_report(_graph(spec), batch, scales, features)


def table(folder: str | Path) -> list[TableRow]:
    """The model table's rows (`archspec table`) of every model spec in a folder, in the table's order."""
    from .costs.model_table import model_specs, ordered, table_row

    path = Path(folder)
    if not path.is_dir():
        raise ArchError(f"{folder} is not a folder of specs", argument="folder")
    return ordered([table_row(load(p)) for p in model_specs([path])])


def export_pytorch(spec: Spec, size: Size = None, stand_ins: bool = False) -> str:
    """The spec as the text of a self-contained Python file defining its
    `nn.Module` (`archspec export --to pytorch`): one class per block, the
    spec's names kept; its parameters, buffers and output shape are archspec's.
    `stand_ins` builds the detection layers torch has no module for as modules
    of their output shape that compute nothing."""
    from .bridges.pytorch_export import export_pytorch as write

    return write(_graph(spec), _size(size), stand_ins)


def export_onnx(spec: Spec, size: Size = None) -> bytes:
    """The spec as a serialised ONNX graph (`archspec export --to onnx`):
    operators and shapes at `size`, weights as graph inputs without data.
    Needs the `onnx` package (`pip install 'archspec[onnx]'`)."""
    from .bridges.onnx_export import export_onnx as write

    source = str(spec) if isinstance(spec, (str, Path)) else ""  # named in the graph's description
    return bytes(write(_graph(spec), _size(size), source).SerializeToString())


def import_onnx(model: str | Path, opaque: bool = False, size: Size = None) -> Imported:
    """An ONNX file as a readable spec (`archspec import`): `.text` is the
    spec, checked by loading it; `.notes` says what was read as an opaque
    layer (with `opaque`) or otherwise needs a reader's attention."""
    from .bridges.onnx_import import import_onnx as read

    if not isinstance(model, (str, Path)):
        raise ArchError(f"an ONNX model is named by a path, not {type(model).__name__}", argument="model")
    return read(Path(model), opaque, _size(size))


def draw(spec: Spec, size: Size = None, expand: int | None = None, shade: str = "flops",
         convention: str = "burden") -> str:
    """The network as SVG text (`archspec draw`): layers or block calls as
    nodes with kind and output shape, edges labelled with tensor sizes, nodes
    shaded by their share of `shade` ("flops" or "memory"); `expand` opens
    block calls to that depth.  Needs python-igraph (`archspec[draw]`)."""
    from .views.draw import draw_svg

    if shade not in ("flops", "memory"):
        raise ArchError(f"expected 'flops' or 'memory', got {shade!r}", argument="shade")
    if expand is not None and (isinstance(expand, bool) or not isinstance(expand, int) or expand < 0):
        raise ArchError(f"expected a depth of 0 or more, got {expand!r}", argument="expand")
    graph = _graph(spec)
    return draw_svg(graph, _analyze(graph, _size(size), convention=convention), expand, shade)
