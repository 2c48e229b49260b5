"""Collections (specs/modern, specs/transformers): their tables, reports, README
sections and the accuracy chart.

Exact counts come from tools/torch_figures.json, made with tools/torch_figures.py
(torchvision 0.29.1 / torch 2.14.1, transformers 5.24.0; weights=None, eval,
batch 1; params = sum of the parameters' numel, MACs = FlopCounterMode / 2 =
conv, transposed conv and linear multiply-accumulates, and attention's products
for the transformers); accuracies are torchvision's published acc@1 of each
model's default weights (its weights' meta, the numbers quoted beside each
spec's @error); the units and the toys' figures are worked out by hand here."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from reference import ROOT, SPECS
from typer.testing import CliRunner

from archspec import load
from archspec.cli import app
from archspec.costs.model_table import model_specs, table_row
from archspec.costs.report import compute_report
from archspec.costs.spec_collections import collection_of, collections_under, families
from archspec.errors import ArchError
from archspec.views import collection_table
from archspec.views.report_markdown import render_report_markdown
from archspec.views.units import significant

FIGURES = json.loads((ROOT / "tools" / "torch_figures.json").read_text())
REPORTS = ROOT / "reports"
runner = CliRunner()


# ------------------------------------------------------------ three significant figures

def test_three_significant_figures_by_hand() -> None:
    assert significant(25_557_032, 10**6) == "25.6"  # 25.557032 -> 25.6
    assert significant(4_089_184_256, 10**9) == "4.09"  # 4.089... -> 4.09
    assert significant(56_510_400, 10**9) == "0.0565"  # 0.0565104 -> 0.0565
    assert significant(1_016_716_764_160, 10**9) == "1,020"  # 1016.7 -> 1,020 (three figures, grouped)
    assert significant(644_812_894, 10**6) == "645"  # 644.8 -> 645
    assert significant(9_996, 1000) == "10.0"  # 9.996 rounds up to 10.0, still three figures
    assert significant(1_005, 1000) == "1.01"  # an exact tie rounds up
    assert significant(2 * 1024**2, 1024**2) == "2.00"
    assert significant(0, 10**6) == "0"


# ------------------------------------------------------------ the modern and transformer rows

# (spec, its input size as torch_figures.json keys it, the row's cells from params to top-1, by hand)
ROWS = [
    # 25,557,032 params; 4,089,184,256 MACs (torchvision publishes 4.09 GFLOPS); acc@1 80.858 (V2 weights)
    ("modern/resnet50", "224x224", ["25.6", "4.09", "80.86"]),
    # at its 600 x 600 crop: 66,347,960; 37,745,884,192 (published 37.75); acc@1 84.122
    ("modern/efficientnet_b7", "600x600", ["66.3", "37.7", "84.12"]),
    # 2,542,856; 56,510,400 (published 0.06); acc@1 67.668
    ("modern/mobilenet_v3_small", "224x224", ["2.54", "0.0565", "67.67"]),
    # SWAG weights at 384 x 384: 644,812,894; 374,570,006,400 (published 374.57); acc@1 88.228
    ("modern/regnet_y_128gf", "384x384", ["645", "375", "88.23"]),
    # SWAG weights at 518 x 518: 633,470,440; 1,016,716,764,160 (published 1016.72); acc@1 88.552
    ("transformers/vit_h_14", "518x518", ["633", "1,020", "88.55"]),
    # at 256 x 256: 28,351,570; 5,939,690,496 (published 5.94); acc@1 82.072
    ("transformers/swin_v2_t", "256x256", ["28.4", "5.94", "82.07"]),
]


@pytest.mark.parametrize(("spec", "size", "cells"), ROWS, ids=[r[0] for r in ROWS])
def test_rows_are_pytorchs_counts_and_torchvisions_accuracy(spec: str, size: str, cells: list[str]) -> None:
    row = table_row(load(SPECS / f"{spec}.arch"))
    torch = FIGURES["models"][row.model]["sizes"][size]
    assert f"{row.input_size[0]}x{row.input_size[1]}" == size
    assert (row.params, row.macs) == (torch["params"], torch["macs"])
    line = collection_table.render_markdown([row], {}, "reports/x/").splitlines()[4]
    columns = [c.strip() for c in line.strip("|").split("|")]
    h, w = size.split("x")
    assert columns[1] == f"{h} x {w}" and columns[7] == "TV"
    assert [columns[2], columns[3], columns[6]] == cells


def test_gpt2_row_is_a_sequence_without_an_accuracy() -> None:
    row = table_row(load(SPECS / "transformers" / "gpt2.arch"))
    # 124,439,808 parameters (the tied head counted once); MACs at 1,024 tokens: FlopCounterMode's
    # 291,648,307,200 for the eager attention, halved: 145,824,153,600
    assert row.params == FIGURES["gpt2"]["params"] == 124_439_808
    assert 2 * row.macs == FIGURES["gpt2"]["attn_implementations"]["eager"]["seq1024"]["flopcounter"]
    text = collection_table.render_markdown([row], {}, "reports/transformers/")
    assert text.startswith("### Language Models\n\n"
                           "| model | input size | params (M) | MACs (G) | feat. mem (MiB) | peak mem (MiB) |\n")
    assert "| [gpt2](reports/transformers/gpt2.md) | 1024 tokens | 124 | 146 |" in text


# ------------------------------------------------------------ a toy collection, by hand

TOY = """model {name}
@task classification
{meta}input 3 x 64 x 64
c1 = conv({width}, 3, pad=1) > relu
c2 = conv({width}, 1)
c3 = conv(8, 1)
"""


@pytest.fixture
def zoo(tmp_path: Path) -> Path:
    """top/ref.arch (so top/sub is a collection inside it) and top/sub: a family
    listing net_b before net_a, the two members and a library folder."""
    top = tmp_path / "top"
    (top / "sub" / "lib").mkdir(parents=True)
    (top / "ref.arch").write_text("model ref\ninput 3 x 8 x 8\nconv(2, 1)\n")
    (top / "sub" / "lib" / "blocks.arch").write_text("block b() {\n  conv(4, 1)\n}\n")
    (top / "sub" / "fam.arch").write_text(TOY.format(name="fam", width="width", meta='@members ("net_b", "net_a")\n')
                                          .replace("input", "param width = 16\ninput"))
    (top / "sub" / "net_b.arch").write_text(TOY.format(name="net_b", width=16, meta="@src XY\n@error 30.5 / 10.25\n"))
    (top / "sub" / "net_a.arch").write_text(TOY.format(name="net_a", width=8, meta=""))
    return top


def test_a_collections_table_by_hand(zoo: Path) -> None:
    """net_b on 3 x 64 x 64 (4,096 positions), float32:
    c1 conv 3->16, 3x3: params 3·9·16 + 16 = 448, MACs 4,096·16·27 = 1,769,472, output 4,096·16·4 B = 262,144 B
        (its ReLU in place: no more memory);
    c2 conv 16->16, 1x1: params 272, MACs 4,096·16·16 = 1,048,576, output 262,144 B;
    c3 conv 16->8, 1x1: params 136, MACs 4,096·8·16 = 524,288, output 131,072 B.
    params 856 -> 0.000856 M; MACs 3,342,336 -> 0.00334 G; feature memory 655,360 B = 0.625 MiB;
    peak: while c2 runs c1 is its input, 262,144 + 262,144 = 524,288 B = 0.5 MiB (c3's 262,144 + 131,072 is less).
    net_a (width 8): params 3·9·8 + 8 + 8·8 + 8 + 8·8 + 8 = 368; MACs 4,096·8·(27 + 8 + 8) = 1,409,024;
    features 4,096·4·(8 + 8 + 8) B = 393,216 B = 0.375 MiB; peak 4,096·4·16 = 262,144 B = 0.25 MiB."""
    result = runner.invoke(app, ["table", str(zoo / "sub")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        "### Image Classification",
        "",
        "| model | input size | params (M) | MACs (G) | feat. mem (MiB) | peak mem (MiB) | top-1 (%) | src |",
        "|---|---|---|---|---|---|---|---|",
        # the family lists net_b first; the family spec itself has no row
        "| [net\\_b](reports/sub/net_b.md) | 64 x 64 | 0.000856 | 0.00334 | 0.625 | 0.500 | 69.50 | XY |",
        "| [net\\_a](reports/sub/net_a.md) | 64 x 64 | 0.000368 | 0.00141 | 0.375 | 0.250 | - | - |",
    ]
    assert "not the reference table's rounding" in result.stdout
    records = list(csv.DictReader(io.StringIO(runner.invoke(app, ["table", str(zoo / "sub"), "--format", "csv"]).stdout)))
    assert [(r["model"], r["params"], r["macs"], r["feature_bytes"], r["peak_bytes"], r["top1_accuracy"])
            for r in records] == [("net_b", "856", "3342336", "655360", "524288", "69.50"),
                                  ("net_a", "368", "1409024", "393216", "262144", "")]
    (first, _) = json.loads(runner.invoke(app, ["table", str(zoo / "sub"), "--format", "json"]).stdout)
    assert (first["top1_accuracy"], first["top5_accuracy"], first["peak_bytes"]) == (69.5, 89.75, 524_288)
    reference = runner.invoke(app, ["table", str(zoo / "sub"), "--layout", "reference"]).stdout
    assert "| model | input size | param mem | feat. mem | flops | src | performance |" in reference
    top = runner.invoke(app, ["table", str(zoo)]).stdout  # the outermost folder: the reference's layout
    assert "| [ref](reports/ref.md) | 8 x 8 |" in top and "performance" not in top  # ref has no task


def test_collections_and_where_their_reports_go(zoo: Path, tmp_path: Path) -> None:
    sub = collection_of(zoo / "sub")
    top = collection_of(zoo)
    assert (sub.parts, sub.name, sub.top, sub.nested) == (("sub",), "sub", zoo.resolve(), True)
    assert (top.parts, top.name, top.nested) == ((), "model", False)
    assert sub.reports(tmp_path / "out") == tmp_path / "out" / "sub"
    assert sub.link("reports/") == "reports/sub/"
    # lib/ holds libraries, not a collection; a linked folder is not followed
    (zoo / "elsewhere").symlink_to(zoo / "sub")
    assert [c.parts for c in collections_under(sub)] == [(), ("sub",)]
    order, failed = families(zoo / "sub")
    assert (order, failed) == ({"net_b": ("fam", 0), "net_a": ("fam", 1)}, [])
    assert [p.name for p in model_specs([zoo / "sub"])] == ["net_a.arch", "net_b.arch"]  # not fam.arch
    assert [p.name for p in model_specs([zoo / "sub" / "fam.arch"])] == ["fam.arch"]  # unless named


def test_a_collection_folder_must_make_a_plain_reports_folder_name(zoo: Path) -> None:
    odd = zoo / "odd name"
    odd.mkdir()
    (odd / "net.arch").write_text("model net\ninput 3 x 8 x 8\nconv(2, 1)\n")
    with pytest.raises(ArchError, match="'odd name' names its reports folder"):
        collection_of(odd)
    result = runner.invoke(app, ["table", str(odd)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_members_metadata_names_specs() -> None:
    from archspec import loads

    assert loads('model f\n@members "a_1"\ninput 3 x 8 x 8\nconv(4, 1)\n').metadata.members == ("a_1",)
    assert loads('model f\n@members ("a", "b")\ninput 3 x 8 x 8\nconv(4, 1)\n').metadata.members == ("a", "b")
    for bad in ("(1, 2)", '("../x",)'):
        with pytest.raises(ArchError, match="@members names model specs") as caught:
            loads(f"model f\n@members {bad}\ninput 3 x 8 x 8\nconv(4, 1)\n", path="f.arch")
        assert caught.value.location is not None and (caught.value.location.line, caught.value.location.column) == (2, 1)


def test_every_family_lists_specs_of_its_folder() -> None:
    for folder in (SPECS / "modern", SPECS / "transformers"):
        order, failed = families(folder)
        assert not failed
        for member in order:
            assert load(folder / f"{member}.arch").metadata.model == member


# ------------------------------------------------------------ reports of a collection

def test_a_collections_reports_never_overwrite_the_outer_folders(zoo: Path, tmp_path: Path) -> None:
    (zoo / "sub" / "ref.arch").write_text("model ref\ninput 3 x 16 x 16\nconv(4, 1)\n")  # the same name as top's
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- model-table:start -->\n<!-- model-table:end -->\n"
                      "<!-- sub-table:start -->\n<!-- sub-table:end -->\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(zoo), str(zoo / "sub"), "--out", str(out), "--no-figures",
                                 "--readme", str(readme)])
    assert result.exit_code == 0, result.output
    assert "input size 8 x 8" in (out / "ref.md").read_text()
    assert "input size 16 x 16" in (out / "sub" / "ref.md").read_text()
    assert sorted(p.name for p in (out / "sub").glob("*.md")) == ["net_a.md", "net_b.md", "ref.md"]
    text = readme.read_text()
    assert "[ref](reports/ref.md) | 8 x 8 |" in text  # the reference's layout for the outer folder
    assert "[net\\_b](reports/sub/net_b.md) | 64 x 64 | 0.000856 |" in text


def test_a_readme_without_a_collections_markers_is_refused_before_any_work(zoo: Path, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("<!-- model-table:start -->\n<!-- model-table:end -->\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(zoo / "sub"), "--out", str(out), "--no-figures", "--readme", str(readme)])
    assert result.exit_code == 2 and "<!-- sub-table:start --> ... <!-- sub-table:end -->" in result.output
    assert not out.exists()
    assert readme.read_text() == "<!-- model-table:start -->\n<!-- model-table:end -->\n"


def test_token_features_read_as_tokens() -> None:
    """ViT-B/16's feature layer (@features ln): 224/16 = 14 patches a side, 14² + 1 class
    token = 197 tokens of 768; GPT-2's (ln_f) at 128 tokens: 128 tokens of 768."""
    vit = compute_report(load(SPECS / "transformers" / "vit_b_16.arch"))
    assert "| 224 x 224 | 197 tokens x 768 |" in render_report_markdown(vit)
    gpt2 = compute_report(load(SPECS / "transformers" / "gpt2.arch"))
    assert "| 128 tokens | 128 tokens x 768 |" in render_report_markdown(gpt2)


# ------------------------------------------------------------ committed reports and README sections

COLLECTIONS = [SPECS / "modern", SPECS / "transformers"]
COLLECTION_SPECS = model_specs(COLLECTIONS)


@pytest.mark.parametrize("spec", COLLECTION_SPECS, ids=[f"{p.parent.name}/{p.stem}" for p in COLLECTION_SPECS])
def test_committed_collection_report_is_current(spec: Path) -> None:
    """Regenerate with: archspec report specs/ specs/modern specs/transformers --readme README.md"""
    report = compute_report(load(spec))
    folder = REPORTS / spec.parent.name
    committed = folder / f"{report.model}.md"
    assert committed.is_file() and committed.read_text(encoding="utf-8") == render_report_markdown(report), \
        f"{committed} is missing or stale: run `archspec report specs/ specs/modern specs/transformers --readme README.md`"
    assert (folder / "figs" / f"{report.model}.png").is_file()


def test_every_committed_collection_report_has_a_spec() -> None:
    for folder in COLLECTIONS:
        models = {load(p).metadata.model for p in model_specs([folder])}
        orphans = sorted(p.name for p in (REPORTS / folder.name).glob("*.md") if p.stem not in models)
        assert not orphans, f"reports without a spec: {orphans}"


@pytest.mark.parametrize("folder", COLLECTIONS, ids=[f.name for f in COLLECTIONS])
def test_readme_collection_table_is_current(folder: Path) -> None:
    """Regenerate with: archspec report specs/ specs/modern specs/transformers --readme README.md"""
    rows = [table_row(load(p)) for p in model_specs([folder])]
    order, _ = families(folder)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = collection_table.render_markdown(rows, order, f"reports/{folder.name}/")
    assert collection_table.embedded(readme, folder.name) == expected, f"README {folder.name} table is stale"


# ------------------------------------------------------------ the chart

def test_family_runs_and_their_names() -> None:
    from archspec.views.figures import ClassifierPoint, family_runs, run_label

    def point(model: str, gflops: float, family: str | None = None, place: int = 0) -> ClassifierPoint:
        return ClassifierPoint(model, int(gflops * 1e9), 20.0, 10**6, "specs/modern/", family, place)

    # RegNet's list: the X models, then the Y models from a lower FLOPs again: two lines
    points = [point("regnet_x_400mf", 0.4, "regnet", 0), point("regnet_x_32gf", 32, "regnet", 1),
              point("regnet_y_400mf", 0.4, "regnet", 2), point("regnet_y_128gf", 375, "regnet", 3),
              point("googlenet", 1.5)]
    runs = family_runs(points)
    assert [[p.model for p in run] for run in runs] == [["googlenet"], ["regnet_x_400mf", "regnet_x_32gf"],
                                                        ["regnet_y_400mf", "regnet_y_128gf"]]
    assert [run_label(run) for run in runs] == ["googlenet", "regnet_x_400mf–32gf", "regnet_y_400mf–128gf"]
    assert run_label([point("resnet18", 1), point("resnet152", 2)]) == "resnet18–152"
    assert run_label([point("wide_resnet50_2", 1), point("wide_resnet101_2", 2)]) == "wide_resnet50_2–101_2"
    assert run_label([point("efficientnet_b0", 1), point("efficientnet_b7", 2)]) == "efficientnet_b0–b7"


def test_chart_marks_each_collection_with_its_own_marker_in_the_legend() -> None:
    import matplotlib.pyplot as plt

    from archspec.views.figures import ClassifierPoint, accuracy_figure

    points = [ClassifierPoint("a-net", 2 * 10**9, 30.0, 100 * 2**20, "specs/"),
              ClassifierPoint("b-net", 4 * 10**9, 25.0, 50 * 2**20, "specs/"),
              ClassifierPoint("c_1", 10**9, 28.0, 20 * 2**20, "specs/modern/", "c", 0),
              ClassifierPoint("c_2", 8 * 10**9, 22.0, 90 * 2**20, "specs/modern/", "c", 1)]
    fig = accuracy_figure(points)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    legend = next(a for a in ax.artists if hasattr(a, "get_texts"))  # the collections' legend
    assert [t.get_text() for t in legend.get_texts()] == ["specs/  (2 models)", "specs/modern/  (2 models)"]
    assert [h.get_marker() for h in legend.legend_handles] == ["o", "s"]
    names = {t.get_text() for t in ax.texts}
    assert {"a-net", "b-net", "c_1–2"} <= names and "c_1" not in names  # the family is named once
    assert [line for line in ax.get_lines() if len(line.get_xdata()) == 2]  # the family's line
    plt.close(fig)


def test_profile_names_leave_out_the_networks_own_prefix() -> None:
    import matplotlib.pyplot as plt

    from archspec.views.figures import profile_figure, shared_prefix

    report = compute_report(load(SPECS / "transformers" / "gpt2.arch"), scales=(1,))
    assert shared_prefix(report.layers) == "gpt2."  # GPT-2 is one block call, gpt2 = gpt2_lm(...)
    fig = profile_figure(report)
    assert fig._suptitle.get_text() == "gpt2: per-layer profile at 1024 tokens, batch 1"
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(label.startswith("lm_head  ") for label in labels) and not any("gpt2." in label for label in labels)
    plt.close(fig)


def test_report_of_a_collection_draws_the_chart_of_every_reported_folder(zoo: Path, tmp_path: Path) -> None:
    """Reporting on the sub-collection alone keeps the outer folder's classifiers on the
    chart once they have reports: the chart summarises the reports folder."""
    (zoo / "ref.arch").write_text("model ref\n@task classification\n@error 40.0 / 20.0\ninput 3 x 8 x 8\nconv(2, 1)\n")
    out = tmp_path / "out"
    assert runner.invoke(app, ["report", str(zoo), "--out", str(out), "--no-figures"]).exit_code == 0
    from archspec.commands.report import _chart_collections

    assert [c.parts for c in _chart_collections([collection_of(zoo / "sub")], out)] == [(), ("sub",)]
    os.remove(out / "ref.md")
    assert [c.parts for c in _chart_collections([collection_of(zoo / "sub")], out)] == [("sub",)]
