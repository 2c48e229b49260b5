"""Figures: a model's per-layer profile and the accuracy-vs-FLOPs chart.

matplotlib is an optional extra (`pip install 'archspec[plot]'`) and is
imported only inside the drawing functions, so reports and every other
command work (and start fast) without it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..costs.engine import LayerCost
from ..costs.report import ModelReport
from .units import MEMORY_UNITS, readable_flops, readable_memory

FLOP_UNITS = ("", "K", "M", "G", "T", "P", "E")
PANELS = (  # (title, LayerCost field, colour): the reference's blue, red and magenta, opaque
    ("Parameter memory", "param_bytes", "#5b9bd5"),
    ("Feature memory", "feature_bytes", "#e06666"),
    ("FLOPs", "flops", "#b07cc6"),
)
HEAVIEST_LABELLED = 3  # layers named per panel
MAX_BOUNDARIES = 40  # beyond this many stage changes, coarser stages are marked instead
FIG_WIDTH, PANEL_HEIGHT, DPI = 12.0, 2.6, 100
DENSE = 120  # beyond this many layers, bars are a filled outline a pixel or two wide each, and a solid
DENSE_LEADER = {"linestyle": (0, (1, 2))}  # leader line would read as one more bar: leaders are dotted


def plotting_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "archspec"  # stable ids: SVGs change only when the figure does
    return plt


def _save(fig: Any, png: Path, svg: bool) -> list[Path]:
    from ..errors import ArchError
    from ..files import write_atomic

    try:
        png.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArchError(f"cannot write {png}: {exc.strerror or exc}") from None
    write_atomic(png, lambda temporary: fig.savefig(temporary, format="png", dpi=DPI, metadata={"Software": None}))
    written = [png]
    if svg:
        write_atomic(png.with_suffix(".svg"), lambda temporary: fig.savefig(
            temporary, format="svg", metadata={"Date": None, "Creator": None}))
        written.append(png.with_suffix(".svg"))
    return written


# ---------------------------------------------------------------- stages

@dataclass(frozen=True, slots=True)
class Stage:
    name: str  # the label: the last component of its name prefix
    start: int  # first layer index
    stop: int  # one past the last
    depth: int  # how many name components identify it


DOMINANT = 0.5  # a stage holding more than this share of the layers is split into its parts,
MAX_PARTS = 16  # if they are few enough to mark (36 residual units of res4 are not)


def _runs(names: Sequence[list[str]], start: int, stop: int, depth: int) -> list[Stage]:
    runs: list[Stage] = []
    previous: tuple[str, ...] | None = None
    for i in range(start, stop):
        key = tuple(names[i][:depth])
        if runs and key == previous:
            runs[-1] = Stage(runs[-1].name, runs[-1].start, i + 1, depth)
        else:
            runs.append(Stage(key[-1], i, i + 1, depth))
        previous = key
    return runs


def _coarse(name: str) -> str:
    """`res4b22` -> `res4`, `features_7_2` -> `features_7`, `icp3_in` -> `icp3`:
    the stage a statement name belongs to when statements are too many to mark."""
    match = re.match(r"[A-Za-z]+[_-]?\d*", name)
    return match.group(0).rstrip("_-") if match else name


def stages(layers: Sequence[LayerCost]) -> list[Stage]:
    """Runs of consecutive layers written by the same top-level statement (the
    first component of the hierarchical names).  A statement holding most of
    the network (DenseNet's `features_0`) is split by its next component
    (denseblock1, transition1, ...); when statements are too many to mark
    legibly, neighbours with the same stem (res4a, res4b1, ...) are merged."""
    names = [layer.name.split(".") for layer in layers]
    n = len(names)
    runs = _runs(names, 0, n, 1)
    while True:
        refined: list[Stage] = []
        for run in runs:
            parts = _runs(names, run.start, run.stop, run.depth + 1)
            big = run.stop - run.start > DOMINANT * n
            refined += parts if big and 1 < len(parts) <= MAX_PARTS else [run]
        if len(refined) == len(runs):
            break
        runs = refined
    if len(runs) > MAX_BOUNDARIES:
        merged: list[Stage] = []
        for run in runs:
            stem = _coarse(run.name)
            if merged and merged[-1].name == stem:
                merged[-1] = Stage(stem, merged[-1].start, run.stop, run.depth)
            else:
                merged.append(Stage(stem, run.start, run.stop, run.depth))
        runs = merged
    return runs


def short_name(name: str, limit: int = 48) -> str:
    """A layer name short enough to label a bar: the first component (which
    branch or stage) and as many trailing ones as fit, the middle elided."""
    parts = name.split(".")
    if len(name) <= limit or len(parts) <= 2:
        return name
    tail: list[str] = []
    for part in reversed(parts[1:]):
        if tail and len(parts[0]) + 2 + len(".".join([part, *tail])) > limit:
            break
        tail.insert(0, part)
    return f"{parts[0]}.…{'.'.join(tail)}" if len(tail) < len(parts) - 1 else name


def shared_prefix(layers: Sequence[LayerCost]) -> str:
    """The leading name components every layer shares, with their dot: a network
    written as one block call names every layer `efficientnet.…`, which says
    nothing on a label.  The last component of a name always stays."""
    names = [layer.name.split(".") for layer in layers]
    if not names:
        return ""
    common = 0
    while all(len(n) > common + 1 and n[common] == names[0][common] for n in names):
        common += 1
    return "".join(f"{part}." for part in names[0][:common])


# ---------------------------------------------------------------- units

def _scale(kind: str, peak: float) -> tuple[float, str]:
    """Divisor and unit for an axis whose largest value is `peak`, chosen as
    the report's readable units choose them."""
    if kind == "flops":
        unit = readable_flops(peak).split(" ", 1)[1]
        return 1000.0 ** FLOP_UNITS.index(unit[:-5]), unit
    unit = readable_memory(peak).split(" ", 1)[1]
    return 1024.0 ** MEMORY_UNITS.index(unit), unit


def _short(value: float, kind: str) -> str:
    return readable_flops(value) if kind == "flops" else readable_memory(value)


# ---------------------------------------------------------------- profile

def draw_profile(report: ModelReport, png: Path, svg: bool = False) -> list[Path]:
    """The profile figure of `profile_figure`, written to `png` (and an SVG beside it)."""
    plt = _pyplot()
    fig = profile_figure(report)
    try:
        return _save(fig, png, svg)
    finally:
        plt.close(fig)


def profile_figure(report: ModelReport) -> Any:
    """Three stacked panels over depth: parameter memory, feature memory and
    FLOPs of every layer at the reference input size (batch 1).  Over the
    feature-memory bars (each layer's output, never freed: the reference's
    count) runs the live memory while each layer runs, from `report.live`."""
    plt = _pyplot()
    layers = report.layers
    n = len(layers)
    marks = stages(layers)
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(FIG_WIDTH, PANEL_HEIGHT * 3 + 0.9))
    positions = list(range(n))
    edges = [p - 0.5 for p in positions] + [n - 0.5]
    axes[0].set_xlim(-0.5, n - 0.5)  # shared; fixed first so labels are measured where they will be drawn
    totals = {"param_bytes": report.param_bytes, "feature_bytes": report.feature_bytes, "flops": report.flops}
    for ax, (title, field_name, colour) in zip(axes, PANELS):
        values = [float(getattr(layer, field_name)) for layer in layers]
        live = _live_curve(report) if field_name == "feature_bytes" else []
        kind = "flops" if field_name == "flops" else "memory"
        divisor, unit = _scale(kind, max(values + live + [1.0]))
        scaled = [v / divisor for v in values]
        if n <= DENSE:
            ax.bar(positions, scaled, width=0.8, color=colour, linewidth=0, zorder=2)
        else:  # hundreds of bars: one outline is as legible and far faster to draw
            ax.stairs(scaled, edges, fill=True, color=colour, zorder=2)
        ax.set_title(f"{title} per layer  (total {_short(totals[field_name], kind)})", fontsize=10, loc="left")
        ax.set_ylabel(unit if kind == "flops" else f"memory ({unit})", fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.tick_params(axis="x", length=0)
        ax.grid(axis="y", alpha=0.25)
        ax.set_axisbelow(True)
        for stage in marks[1:]:
            ax.axvline(stage.start - 0.5, color="0.55", linewidth=0.6, linestyle=(0, (3, 3)), zorder=0)
        live_scaled = [v / divisor for v in live]
        top = max(scaled + live_scaled, default=0.0) or 1.0  # an all-zero panel (no parameters) keeps a 0..1 axis
        ax.set_ylim(0, top * 1.42)
        avoid = _draw_live(ax, report, live_scaled, edges, colour) if live else []
        _label_heaviest(ax, layers, scaled, values, kind, n, top, avoid)
    _label_stages(fig, axes[-1], marks, n)
    prefix = shared_prefix(layers)
    within = f"; names within `{prefix[:-1]}`" if prefix else ""
    axes[-1].set_xlabel(f"depth: {n} layers in execution order (labels: stages, from the spec's layer names{within})",
                        fontsize=9)
    from .report_markdown import size_text

    fig.suptitle(f"{report.model}: per-layer profile at {size_text(report.input_size, report.tokens)}, batch 1",
                 fontsize=12, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


LIVE_COLOUR = "#7f1d1d"  # a dark red: the feature panel's own hue, distinct from its bars
LIVE_GID = "live-memory"  # the live curve's artist id (tests and SVG readers find it by this)


def _live_curve(report: ModelReport) -> list[float]:
    """Bytes live while each layer runs, one per layer, as liveness() found them."""
    if report.live is None or report.live.peak_bytes == 0 or len(report.live.steps) != len(report.layers):
        return []  # nothing live (or no curve computed): the panel shows its bars alone
    return [float(step.live_bytes) for step in report.live.steps]


def _draw_live(ax: Any, report: ModelReport, live: list[float], edges: list[float], colour: str) -> list[Any]:
    """The live-memory step line over the bars, its peak marked, and a legend
    saying what each of the two shows.  Returns the legend's pixel box, which
    the bar labels must keep clear of."""
    from matplotlib.patches import Patch

    assert report.live is not None  # only called with a curve
    peak = report.live.peak_bytes
    at = [layer.name for layer in report.layers].index(report.live.peak_layer)
    width = 1.1 if len(live) <= 300 else 0.8  # hundreds of steps: a thinner line stays a readable envelope
    line = ax.stairs(live, edges, fill=False, color=LIVE_COLOUR, linewidth=width, zorder=3, gid=LIVE_GID,
                     label=f"live while each layer runs, freed after last use (peak {readable_memory(peak)} at "
                           f"{short_name(report.live.peak_layer.removeprefix(shared_prefix(report.layers)), 60)})")
    ax.plot([at], [live[at]], marker="o", markersize=3.5, color=LIVE_COLOUR, zorder=4)
    bars = Patch(color=colour, label="each layer's output, nothing freed (the reference's count)")
    legend = ax.legend(handles=[line, bars], loc="upper right", fontsize=7.5, frameon=True, framealpha=0.9,
                       handlelength=1.6, borderpad=0.4, labelspacing=0.3)
    legend.set_zorder(5)
    return [legend.get_window_extent(ax.figure.canvas.get_renderer())]


def _label_heaviest(ax: Any, layers: Sequence[LayerCost], scaled: list[float], values: list[float],
                    kind: str, n: int, top: float, avoid: Sequence[Any] = ()) -> None:
    """Name the few largest bars, in rows above `top` (the panel's highest
    value).  Labels that would overlap are stacked in rows, clear of `avoid`
    (pixel boxes such as a legend's)."""
    ranked: list[int] = []
    for i in sorted((i for i in range(n) if values[i] > 0), key=lambda i: -values[i]):
        if any(values[j] == values[i] for j in ranked):
            continue  # ties (36 identical residual units) are named once, with their count
        ranked.append(i)
        if len(ranked) == HEAVIEST_LABELLED:
            break
    # a conv and its batch norm tie in feature memory; only the same kind is "alike"
    alike = {i: sum(1 for j in range(n) if values[j] == values[i] and layers[j].kind == layers[i].kind) - 1
             for i in ranked}
    peak = top  # label rows start just above the panel's highest value

    def align(i: int) -> str:
        return "left" if i < n * 0.2 else "right" if i > n * 0.8 else "center"

    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    renderer = ax.figure.canvas.get_renderer()
    prefix = shared_prefix(layers)
    taken_text: list[Any] = list(avoid)  # pixel boxes of the labels placed so far, and the legend's
    taken_leaders: list[Any] = []  # and of their leader lines
    # Text runs away from its bar (rightwards, or leftwards at the right edge):
    # the label farthest along that way is placed first, lowest, so leaders never cross text.
    for i in sorted(ranked, key=lambda i: i if align(i) == "right" else -i):
        ha = align(i)
        more = f" (+{alike[i]} alike)" if alike[i] else ""
        text = ax.annotate(f"{short_name(layers[i].name.removeprefix(prefix))}  {_short(values[i], kind)}{more}",
                           xy=(i, scaled[i]),
                           xytext=(i, peak * 1.04), fontsize=7.5, ha=ha, va="bottom", color="0.15",
                           arrowprops={"arrowstyle": "-", "color": "0.5", "linewidth": 0.6, "shrinkA": 0,
                                       "shrinkB": 1, **(DENSE_LEADER if n > DENSE else {}),
                                       "relpos": ({"left": 0.0, "center": 0.5, "right": 1.0}[ha], 0.0)})
        if n > DENSE:  # the bar a dotted leader ends at, marked
            ax.plot([i], [scaled[i]], marker="v", markersize=3.5, color="0.2", zorder=4)
        best: tuple[int, Any, Any, float] | None = None
        for row in range(HEAVIEST_LABELLED):  # rows of 0.12 x peak fit under the panel's 1.42 x peak
            y = peak * (1.04 + 0.12 * row)
            text.set_position((i, y))
            text.update_positions(renderer)  # an annotation's text transform is set only when drawn
            box = Text.get_window_extent(text, renderer)  # the text alone, not its leader line
            box = Bbox.from_extents(box.x0 - 6, box.y0, box.x1 + 6, box.y1)  # some air between neighbours
            (bar_x, bar_top), (_, text_bottom) = ax.transData.transform([(i, scaled[i]), (i, y)])
            leader = Bbox.from_extents(bar_x - 1, bar_top, bar_x + 1, text_bottom)
            clashes = (sum(box.overlaps(b) for b in taken_text + taken_leaders)
                       + sum(leader.overlaps(b) for b in taken_text))
            if best is None or clashes < best[0]:
                best = (clashes, box, leader, y)
            if clashes == 0:
                break
        assert best is not None
        _, box, leader, y = best
        text.set_position((i, y))
        taken_text.append(box)
        taken_leaders.append(leader)


def _label_stages(fig: Any, ax: Any, marks: list[Stage], n: int) -> None:
    """Stage names as x tick labels at each stage's centre; the widest stages
    win when labels would collide (their widths measured once drawn)."""
    renderer = fig.canvas.get_renderer()  # measures text without drawing the figure
    pixels_per_layer = ax.get_window_extent(renderer).width / max(n, 1)
    chosen: list[tuple[float, float, Stage]] = []  # (left px, right px, stage)
    for stage in sorted(marks, key=lambda s: -(s.stop - s.start)):
        centre = (stage.start + stage.stop - 1) / 2 * pixels_per_layer
        text = ax.text(0, 0, stage.name, fontsize=7.5, rotation=0)
        half = text.get_window_extent(renderer).width / 2 + 4
        text.remove()
        left, right = centre - half, centre + half
        if any(left < taken_right and taken_left < right for taken_left, taken_right, _ in chosen):
            continue
        chosen.append((left, right, stage))
    chosen.sort(key=lambda c: c[2].start)
    ax.set_xticks([(s.start + s.stop - 1) / 2 for _, _, s in chosen])
    ax.set_xticklabels([s.name for _, _, s in chosen], fontsize=7.5)
    ax.tick_params(axis="x", length=0)


# ---------------------------------------------------------------- accuracy vs FLOPs

@dataclass(frozen=True, slots=True)
class ClassifierPoint:
    model: str
    flops: int
    top1_error: float
    param_bytes: int
    collection: str  # the folder of specs it comes from, as the legend names it (`specs/modern/`)
    family: str | None = None  # the family spec that lists it (`@members`), if any
    place: int = 0  # its place in the family's list


# One colour and marker per collection, in the order the collections come (the outermost folder first).
COLLECTION_STYLES = (("#4c72b0", "o"), ("#dd8452", "s"), ("#55a868", "^"), ("#c44e52", "D"), ("#8172b3", "v"),
                     ("#937860", "P"), ("#da8bc3", "X"), ("#8c8c8c", "h"))
LARGEST_MARKER = 1200.0  # pt^2: the area of the largest model's marker


def family_runs(points: Sequence[ClassifierPoint]) -> list[list[ClassifierPoint]]:
    """The members of each family in the family's order, cut where the list
    starts over at lower FLOPs (RegNetX's members, then RegNetY's): each run
    is a line on the chart.  Models outside a family are runs of one."""
    by_family: dict[tuple[str, str], list[ClassifierPoint]] = {}
    runs: list[list[ClassifierPoint]] = []
    for p in points:
        if p.family is None:
            runs.append([p])
        else:
            by_family.setdefault((p.collection, p.family), []).append(p)
    for members in by_family.values():
        members.sort(key=lambda p: p.place)
        run = [members[0]]
        for p in members[1:]:
            if p.flops < run[-1].flops:
                runs.append(run)
                run = []
            run.append(p)
        runs.append(run)
    return runs


def run_label(run: Sequence[ClassifierPoint]) -> str:
    """A run's name: `resnet18–152`, `efficientnet_b0–b7`, `regnet_x_400mf–32gf`;
    the model's own name for a run of one."""
    first, last = run[0].model, run[-1].model
    if len(run) == 1:
        return first
    common = 0
    while common < min(len(first), len(last)) and first[common] == last[common]:
        common += 1
    # cut back to the last word boundary: after a `_`, or where a word of two or
    # more letters meets a digit (`resnet|18`, `wide_resnet|50_2`, but `efficientnet_|b0`)
    cut = 0
    for i in range(1, common + 1):
        word = first[:i].rsplit("_", 1)[-1]
        if first[i - 1] == "_" or (i < len(first) and first[i].isdigit() and len(word) >= 2 and word.isalpha()):
            cut = i
    return f"{first}–{last[cut:]}"


def draw_accuracy_vs_flops(points: Sequence[ClassifierPoint], png: Path, svg: bool = True) -> list[Path]:
    """The chart of `accuracy_figure`, written to `png` (and an SVG beside it)."""
    plt = _pyplot()
    fig = accuracy_figure(points)
    try:
        return _save(fig, png, svg)
    finally:
        plt.close(fig)


def accuracy_figure(points: Sequence[ClassifierPoint]) -> Any:
    """Top-1 error against FLOPs (log scale), marker area proportional to
    parameter memory, colour and marker shape by collection, a family's members
    joined by a line and named once, every other model named: the chart of
    Canziani et al., "An analysis of deep neural network models for practical
    applications", with the collections side by side."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(15, 9.5))
    largest = max(p.param_bytes for p in points)
    area_per_byte = LARGEST_MARKER / largest
    collections = list(dict.fromkeys(p.collection for p in points))
    style = {c: COLLECTION_STYLES[k % len(COLLECTION_STYLES)] for k, c in enumerate(collections)}
    runs = family_runs(points)
    for run in runs:
        if len(run) > 1:
            colour, _ = style[run[0].collection]
            ax.plot([p.flops / 1e9 for p in run], [p.top1_error for p in run], color=colour, linewidth=1.1,
                    alpha=0.8, zorder=1.5)
    for p in sorted(points, key=lambda p: -p.param_bytes):  # big markers underneath
        colour, marker = style[p.collection]
        ax.scatter(p.flops / 1e9, p.top1_error, s=p.param_bytes * area_per_byte, color=colour, marker=marker,
                   alpha=0.45, edgecolors=colour, linewidths=0.9, zorder=2)
    ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel("FLOPs per image at the model's input size (G, log scale; the reference table's count)")
    ax.set_ylabel("top-1 error on ILSVRC 2012 validation (%)")
    ax.set_title("Top-1 error against compute; marker area proportional to parameter memory; "
                 "lines join a family's members", loc="left")
    ax.grid(alpha=0.25, which="both")
    xs = [p.flops / 1e9 for p in points]
    ys = [p.top1_error for p in points]
    ax.set_xlim(min(xs) / 1.8, max(xs) * 1.8)
    ax.set_ylim(min(ys) - 2.0, max(ys) + 2.0)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], linestyle="none", marker=style[c][1], markersize=9, markerfacecolor=style[c][0],
                      markeredgecolor=style[c][0], alpha=0.7,
                      label=f"{c}  ({sum(1 for p in points if p.collection == c)} models)") for c in collections]
    kinds = ax.legend(handles=handles, title="specs", loc="upper right", frameon=True, fontsize=9,
                      title_fontsize=9)
    ax.add_artist(kinds)
    sizes = [ax.scatter([], [], s=reference * area_per_byte, color="0.85", edgecolors="0.35", linewidths=0.6,
                        label=readable_memory(reference)) for reference in _size_legend_values(largest)]
    ax.legend(handles=sizes, title="parameter memory", loc="lower left", labelspacing=2.2, borderpad=1.4,
              handletextpad=2.8, frameon=True, fontsize=8.5, title_fontsize=8.5, ncol=len(sizes), columnspacing=3.0)
    fig.tight_layout()
    labelled = [(run[-1], run_label(run)) for run in runs]
    _place_labels(fig, ax, points, labelled, area_per_byte, [kinds],
                  {c: _darker(colour) for c, (colour, _) in style.items()})
    return fig


def _darker(colour: str) -> str:
    """The colour at 60% of its brightness: names in a collection's hue that read on white."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{int(c * 0.6):02x}" for c in (red, green, blue))


def _size_legend_values(largest: int) -> list[int]:
    mb = 1024 * 1024
    return [v * mb for v in (10, 100, 500, 2000) if v * mb <= largest * 1.2] or [largest]


def _place_labels(fig: Any, ax: Any, points: Sequence[ClassifierPoint],
                  labelled: Sequence[tuple[ClassifierPoint, str]], area_per_byte: float,
                  legends: Sequence[Any] = (), colours: dict[str, str] | None = None) -> None:
    """Put each name next to its marker where it overlaps no other name, no
    legend and no other marker's centre; try offsets in rings of growing
    distance and draw a leader line when the name had to move away."""
    import math

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    frame = ax.get_window_extent(renderer)
    px_per_pt = fig.dpi / 72.0
    centres = [to_px((p.flops / 1e9, p.top1_error)) for p in points]
    radii = [math.sqrt(p.param_bytes * area_per_byte / math.pi) * px_per_pt for p in points]
    index = {id(p): k for k, p in enumerate(points)}
    taken: list[Any] = [legend.get_window_extent(renderer) for legend in (*legends, ax.get_legend())]
    for p, name in sorted(labelled, key=lambda item: (item[0].flops, item[0].top1_error)):
        k = index[id(p)]
        text = ax.annotate(name, xy=(p.flops / 1e9, p.top1_error), fontsize=7.5, ha="left", va="center",
                           xytext=(0, 0), textcoords="offset points", zorder=4,
                           color=(colours or {}).get(p.collection, "0.1"))
        best = None
        for ring in range(8):
            distance = radii[k] / px_per_pt + 2.5 + ring * 8
            for angle in (0, 180, 35, -35, 145, -145, 90, -90, 60, -60, 120, -120):
                dx = distance * math.cos(math.radians(angle))
                dy = distance * math.sin(math.radians(angle))
                ha = "left" if dx > 1 else "right" if dx < -1 else "center"
                text.set_ha(ha)
                text.set_position((dx, dy))
                box = text.get_window_extent(renderer)
                collisions = sum(box.overlaps(t) for t in taken)
                collisions += sum(1 for j, c in enumerate(centres) if j != k and box.contains(c[0], c[1]))
                collisions += sum(0.5 for j, c in enumerate(centres)
                                  if j != k and _overlaps_disc(box, c, radii[j] * 0.8))
                inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
                score = collisions + (0 if inside else 10)
                if best is None or score < best[0]:
                    best = (score, dx, dy, ha, ring)
                if score == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        _, dx, dy, ha, ring = best
        text.set_ha(ha)
        text.set_position((dx, dy))
        if ring > 0:
            ax.annotate("", xy=(p.flops / 1e9, p.top1_error), xytext=(dx, dy), textcoords="offset points",
                        arrowprops={"arrowstyle": "-", "color": "0.5", "linewidth": 0.5, "shrinkA": 0,
                                    "shrinkB": 0}, zorder=3)
        taken.append(text.get_window_extent(renderer))


def _overlaps_disc(box: Any, centre: Any, radius: float) -> bool:
    """Whether a text box and a marker (a disc, in pixels) overlap."""
    nearest_x = min(max(centre[0], box.x0), box.x1)
    nearest_y = min(max(centre[1], box.y0), box.y1)
    return bool((nearest_x - centre[0]) ** 2 + (nearest_y - centre[1]) ** 2 < radius ** 2)
