"""A model report as markdown, in the layout of convnet-burden's `printReport`
(core/burden.m), byte for byte where the reference wrote the same thing --
including its trailing spaces -- so reports read like the originals."""

from __future__ import annotations

from ..costs.report import ModelReport
from .units import readable_flops, readable_memory

PLOT_HINT = "pip install 'archspec[plot]'"

# The reference says its x-axis has no labels; ours marks stages and names the
# heaviest layers, so this paragraph says so instead.
FIGURE_DESCRIPTION = (
    "\nA rough outline of where in the network memory is allocated to parameters and features "
    "and where the greatest computational cost lies is shown below.  Each bar is one layer, in "
    "execution order, so the x-axis depicts increasing depth from left to right; dashed lines "
    "mark the boundaries between the top-level stages of the spec and the heaviest layers are "
    "named.  The goal is simply to give some idea of the overall profile of the model: \n\n"
)


def size_text(size: tuple[int, int], tokens: bool = False) -> str:
    return f"{size[0]} tokens" if tokens else f"{size[0]} x {size[1]}"


def render_report_markdown(report: ModelReport, figure: bool = True) -> str:
    """The report; `figure` False (matplotlib missing) replaces the image with
    one line saying how to get it."""
    base = size_text(report.input_size, report.tokens)
    parts = [
        f"### Report for {report.model}\n",
        f"Model params {readable_memory(report.param_bytes)} \n\n",
        f"Estimates for a single full pass of model at input size {base}: \n",
        "\n",
        f"* Memory required for features: {readable_memory(report.feature_bytes)} \n",
        f"* Flops: {readable_flops(report.flops)} \n",
        "\n",
        (f"Estimates are given below of the burden of computing the `{report.feature_layer}` features "
         f"in the network for different input sizes using a batch size of {report.batch}: \n\n"),
        "| input size | feature size | feature memory | flops | \n",
        "|------------|--------------|----------------|-------| \n",
    ]
    for row in report.rows:
        c, h, w = row.feature_shape
        feature = f"{h} tokens x {c}" if row.feature_tokens else f"{h} x {w} x {c}"
        parts.append(f"| {size_text(row.input_size, report.tokens)} | {feature} | "
                     f"{readable_memory(row.feature_bytes)} | {readable_flops(row.flops)} |\n")
    if figure:
        parts.append(FIGURE_DESCRIPTION)
        parts.append(f"![{report.model} profile](figs/{report.model}.png)\n")
    else:
        parts.append(f"\nThe profile figure needs matplotlib: `{PLOT_HINT}`, then run `archspec report` again.\n")
    return "".join(parts)
