"""`archspec report`: the reference report's layout, the example reports'
figures, committed reports kept current, figures and the no-matplotlib path.

Expected figures come from tests/data/example_reports.json (the reference's
own reports for six models) or from hand arithmetic, said where used."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from reference import ROOT, SPECS, example_reports, trunks
from typer.testing import CliRunner

from archspec import load, loads
from archspec.cli import app
from archspec.costs.model_table import model_specs
from archspec.costs.report import DEFAULT_SCALES, compute_report, scaled_size
from archspec.views.report_markdown import PLOT_HINT, render_report_markdown

REPORTS = ROOT / "reports"
EXAMPLES = example_reports()
MODEL_SPECS = model_specs([SPECS])
runner = CliRunner()

ROW = re.compile(r"^\| (\d+ x \d+) \| (\d+ x \d+ x \d+) \| ([^|]+?) \| ([^|]+?) \|$", re.MULTILINE)


def parse_report(markdown: str) -> dict[str, object]:
    """A generated report read back into example_reports.json's fields."""

    def one(pattern: str) -> str:
        match = re.search(pattern, markdown)
        assert match, f"no match for {pattern!r} in the report"
        return match.group(1)

    return {
        "params_mem": one(r"Model params (.+?) \n"),
        "input_size": one(r"single full pass of model at input size (\d+ x \d+): \n"),
        "feat_mem": one(r"\* Memory required for features: (.+?) \n"),
        "flops": one(r"\* Flops: (.+?) \n"),
        "trunk": one(r"burden of computing the `(.+?)` features"),
        "batch": int(one(r"using a batch size of (\d+): ")),
        "scales": [{"input": i, "feature": f, "feat_mem": m, "flops": fl} for i, f, m, fl in ROW.findall(markdown)],
    }


@pytest.mark.parametrize("model", list(EXAMPLES))
def test_generated_report_reproduces_the_reference_report(model: str) -> None:
    report = compute_report(load(SPECS / f"{model}.arch"))
    assert parse_report(render_report_markdown(report)) == EXAMPLES[model]


TRUNKS = trunks()


@pytest.mark.parametrize("model", list(TRUNKS))
def test_report_measures_the_reference_trunk_at_the_reference_scales(model: str) -> None:
    """Feature layer and scales of every reference report (tests/data/trunks.csv),
    so the generated rows line up with the held-back reports row for row."""
    report = compute_report(load(SPECS / f"{model}.arch"))
    layer, scales = TRUNKS[model]
    assert (report.feature_layer, tuple(r.scale for r in report.rows)) == (layer, scales)


def test_report_layout_is_the_references() -> None:
    """The lines of burden.m's printReport, trailing spaces included (a
    two-layer toy: conv 3->8, 3x3, on 3 x 4 x 4 gives 8 x 2 x 2)."""
    spec = loads("model toy\n@features c\ninput 3 x 4 x 4\nc = conv(8, 3)\n", "toy.arch")
    text = render_report_markdown(compute_report(spec, scales=(1,)))
    # params (3*9*8 + 8) * 4 B = 896 B; features 8*2*2*4 B = 128 B;
    # FLOPs 32 outputs * 27 + 32 bias = 896; at batch 128: 16 KB, 115 KFLOPs
    assert text.startswith(
        "### Report for toy\n"
        "Model params 896 B \n\n"
        "Estimates for a single full pass of model at input size 4 x 4: \n"
        "\n"
        "* Memory required for features: 128 B \n"
        "* Flops: 896 FLOPs \n"
        "\n"
        "Estimates are given below of the burden of computing the `c` features in the network for "
        "different input sizes using a batch size of 128: \n\n"
        "| input size | feature size | feature memory | flops | \n"
        "|------------|--------------|----------------|-------| \n"
        "| 4 x 4 | 2 x 2 x 8 | 16 KB | 115 KFLOPs |\n"
    )
    assert text.endswith("![toy profile](figs/toy.png)\n")


def test_scaled_sizes_round_halves_away_from_zero() -> None:
    # 227 x 0.5 = 113.5 -> 114 and 227 x 1.5 = 340.5 -> 341 (the alexnet example report's rows)
    assert scaled_size((227, 227), 0.5) == (114, 114)
    assert scaled_size((227, 227), 1.5) == (341, 341)
    assert scaled_size((600, 850), 2.5) == (1500, 2125)


def test_scales_batch_and_feature_layer_are_overridable() -> None:
    spec = loads("model toy\n@features a\n@scales (1, 2)\ninput 3 x 8 x 8\n"
                 "a = conv(4, 1)\nb = conv(2, 1)\n", "toy.arch")
    assert [r.scale for r in compute_report(spec).rows] == [1, 2]  # the spec's @scales
    report = compute_report(spec, batch=2, scales=(0.5,), feature_layer="b")
    (row,) = report.rows
    # b's trunk at 4 x 4, batch 2: outputs 2*(4*4*4 + 2*4*4) = 192 floats = 768 B;
    # FLOPs 2*(64*3 + 64 + 32*4 + 32) = 832
    assert (row.input_size, row.feature_shape, row.feature_bytes, row.flops) == ((4, 4), (2, 4, 4), 768, 832)
    assert report.feature_layer == "b"


def test_default_scales_are_the_references() -> None:
    assert DEFAULT_SCALES == (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # burden.m: opts.scales = 0.5:0.5:3


# ------------------------------------------------------------ committed reports

@pytest.mark.parametrize("spec", MODEL_SPECS, ids=[p.stem for p in MODEL_SPECS])
def test_committed_report_is_current(spec: Path) -> None:
    """Regenerate with: archspec report specs/ specs/modern specs/transformers --readme README.md"""
    report = compute_report(load(spec))
    committed = REPORTS / f"{report.model}.md"
    assert committed.is_file(), f"{committed} missing: run `archspec report specs/ specs/modern specs/transformers --readme README.md`"
    assert committed.read_text(encoding="utf-8") == render_report_markdown(report), \
        f"{committed} is stale: run `archspec report specs/ specs/modern specs/transformers --readme README.md`"
    assert (REPORTS / "figs" / f"{report.model}.png").is_file()


def test_every_committed_report_has_a_spec() -> None:
    models = {load(p).metadata.model for p in MODEL_SPECS}
    orphans = sorted(p.name for p in REPORTS.glob("*.md") if p.stem not in models)
    assert not orphans, f"reports without a spec: {orphans}"


def test_accuracy_chart_is_committed() -> None:
    assert (REPORTS / "figs" / "accuracy-vs-flops.png").stat().st_size > 10_000
    assert (REPORTS / "figs" / "accuracy-vs-flops.svg").is_file()


# ------------------------------------------------------------ the command

def test_report_command_writes_reports_figures_and_chart(tmp_path: Path) -> None:
    specs = [str(SPECS / "resnet-50.arch"), str(SPECS / "googlenet.arch")]
    result = runner.invoke(app, ["report", *specs, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "resnet-50.md").read_text().startswith("### Report for resnet-50\n")
    for name in ("resnet-50.png", "googlenet.png", "accuracy-vs-flops.png", "accuracy-vs-flops.svg"):
        assert (tmp_path / "figs" / name).read_bytes()[:4] in (b"\x89PNG", b"<?xm")


def test_report_command_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(SPECS / "resnet-50.arch"), "--out", str(tmp_path), "--no-figures",
                                 "--batch", "1", "--scales", "1,2", "--features", "pool1"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "resnet-50.md").read_text()
    # pool1 at 224: 224 -> conv1 (stride 2) 112 -> pool1 (3, stride 2, pad 0/1) 56; 64 channels
    assert "| 224 x 224 | 56 x 56 x 64 |" in text and "| 448 x 448 | 112 x 112 x 64 |" in text
    assert "using a batch size of 1: " in text
    assert not (tmp_path / "figs").exists()


def test_without_matplotlib_reports_are_written_with_one_hint(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    result = runner.invoke(app, ["report", str(SPECS / "resnet-50.arch"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "resnet-50.md").read_text()
    assert PLOT_HINT in text and "![" not in text
    assert result.output.count(PLOT_HINT) == 1  # one note on the terminal
    assert not (tmp_path / "figs").exists()


def test_a_library_or_broken_spec_is_reported_and_the_rest_still_written(tmp_path: Path) -> None:
    broken = tmp_path / "broken.arch"
    broken.write_text("model broken\ninput 3 x 8 x 8\nx = conv(4, 9)\n")  # a 9x9 kernel on 8 x 8
    result = runner.invoke(app, ["report", str(SPECS / "lib" / "resnet.arch"), str(broken),
                                 str(SPECS / "resnet-50.arch"), "--out", str(tmp_path / "out"), "--no-figures"])
    assert result.exit_code == 2
    assert "resnet.arch" in result.output and "library" in result.output
    assert "broken.arch" in result.output and "Traceback" not in result.output
    assert (tmp_path / "out" / "resnet-50.md").is_file()


def test_bad_scales_are_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(SPECS / "resnet-50.arch"), "--out", str(tmp_path), "--scales", "a,1"])
    assert result.exit_code == 2 and "--scales" in result.output


def test_progress_is_silent_when_not_a_terminal(tmp_path: Path) -> None:
    from archspec.commands.progress import progress

    assert list(progress(iter([1, 2, 3]), 3, "x")) == [1, 2, 3]
    result = runner.invoke(app, ["report", str(SPECS / "resnet-50.arch"), str(SPECS / "googlenet.arch"),
                                 "--out", str(tmp_path), "--no-figures"])
    assert result.output == f"{tmp_path}: 2 reports\n"


# ------------------------------------------------------------ figures

def test_stage_marks_follow_the_top_level_names() -> None:
    from archspec.views.figures import stages

    layers = compute_report(load(SPECS / "resnet-50.arch")).layers
    assert [s.name for s in stages(layers)] == ["conv1", "pool1", "res2", "res3", "res4", "res5a", "res5b",
                                                "res5c", "pool5", "fc1000", "prob"]


def test_a_statement_holding_most_layers_is_split_into_its_parts() -> None:
    from archspec.views.figures import stages

    spec = loads("model toy\ninput 3 x 8 x 8\nblock unit() {\n  a = conv(4, 1) > relu\n  b = conv(4, 1) > relu\n}\n"
                 "stem = conv(4, 1)\nbody = unit > unit > unit\nhead = gavgpool\n", "toy.arch")
    layers = compute_report(spec).layers
    assert [s.name for s in stages(layers)] == ["stem", "unit1", "unit2", "unit3", "head"]


def test_profile_figure_is_drawn(tmp_path: Path) -> None:
    from archspec.views.figures import draw_profile

    report = compute_report(load(SPECS / "resnet-50.arch"))
    written = draw_profile(report, tmp_path / "resnet-50.png", svg=True)
    assert [p.name for p in written] == ["resnet-50.png", "resnet-50.svg"]
    assert written[0].read_bytes()[:4] == b"\x89PNG"


def test_a_partial_run_keeps_the_chart_and_readme_table_whole(tmp_path: Path) -> None:
    for name, width, error in (("net-a", 4, "30.00 / 10.00"), ("net-b", 8, "25.00 / 8.00")):
        (tmp_path / f"{name}.arch").write_text(f"model {name}\n@task classification\n@error {error}\n"
                                               f"input 3 x 8 x 8\nc = conv({width}, 1)\n")
    readme = tmp_path / "README.md"
    readme.write_text("<!-- model-table:start -->\n<!-- model-table:end -->\n")
    result = runner.invoke(app, ["report", str(tmp_path / "net-a.arch"), "--out", str(tmp_path / "reports"),
                                 "--readme", str(readme)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "reports").glob("*.md")) == ["net-a.md"]
    table = readme.read_text()
    assert "[net-a](reports/net-a.md)" in table and "[net-b](reports/net-b.md)" in table
    assert (tmp_path / "reports" / "figs" / "accuracy-vs-flops.png").is_file()  # two classifiers


def test_a_network_without_parameters_still_gets_a_profile(tmp_path: Path) -> None:
    from archspec.views.figures import draw_profile

    report = compute_report(loads("model pool\ninput 3 x 8 x 8\nmaxpool(2)\n", "pool.arch"))
    assert report.param_bytes == 0  # a max pooling has no parameters
    assert draw_profile(report, tmp_path / "pool.png")[0].read_bytes()[:4] == b"\x89PNG"


def test_profile_draws_the_live_memory_curve_with_the_liveness_peak() -> None:
    from archspec import analyze
    from archspec.costs.memory import liveness
    from archspec.views.figures import LIVE_GID, profile_figure

    spec = loads("model chain\ninput 3 x 4 x 4\na = conv(4, 1) > relu\nb = conv(2, 1)\n", "chain.arch")
    report = compute_report(spec, scales=(1,))
    # By hand (float32, batch 1; the input is the caller's): a (4 x 4 x 4) allocates 256 B; the relu
    # writes over a, which nothing else reads, so 256 B live; b (2 x 4 x 4, 128 B) runs while a's
    # buffer is still its input: 256 + 128 = 384 B, the peak, at b.
    peak = liveness(analyze(spec)).peak_bytes
    assert peak == 384
    fig = profile_figure(report)
    feature_panel = fig.axes[1]
    (curve,) = [a for a in feature_panel.get_children() if a.get_gid() == LIVE_GID]
    # the panel's largest value is 384 B, so its axis is in bytes (no scaling)
    assert feature_panel.get_ylabel() == "memory (B)"
    assert list(curve.get_data().values) == [256, 256, 384]
    assert max(curve.get_data().values) == peak
    assert "peak 384 B at b" in curve.get_label()
    import matplotlib.pyplot as plt

    plt.close(fig)
