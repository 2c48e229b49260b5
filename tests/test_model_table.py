"""`archspec table`: the reference README's model table regenerated from the
specs, cell for cell (reference cells from tests/data/burden_table.csv)."""

from __future__ import annotations

import csv
import json

import pytest
from reference import DATA, ROOT, SPECS
from typer.testing import CliRunner

from archspec import load
from archspec.cli import app
from archspec.costs.model_table import REFERENCE_ORDER, TableRow, model_specs, ordered, table_row
from archspec.errors import ArchError
from archspec.views.model_table import (
    CSV_COLUMNS,
    embed,
    embedded,
    markdown_row,
    render_csv,
    render_markdown,
)

with open(DATA / "burden_table.csv", newline="") as f:
    REFERENCE_ROWS = list(csv.DictReader(f))
runner = CliRunner()


def reference_cells(ref: dict[str, str]) -> list[str]:
    """The reference README's cells of a row (its links point at reports/)."""
    cells = [f"[{ref['model']}](reports/{ref['model']}.md)", ref["input_size"], ref["param_mem"],
             ref["feat_mem"], ref["flops"].replace("FLOPS", "FLOPs")]  # the README writes both
    if ref["task"] == "classification":
        cells += [ref["src"], ref["top1_top5_error"]]
    return cells


def cells(markdown_line: str) -> list[str]:
    assert markdown_line.startswith("| ") and markdown_line.endswith(" |\n")
    return [c.strip() for c in markdown_line[2:-3].split(" | ")]


@pytest.mark.parametrize("ref", REFERENCE_ROWS, ids=[r["model"] for r in REFERENCE_ROWS])
def test_generated_row_equals_the_reference_row(ref: dict[str, str]) -> None:
    row = table_row(load(SPECS / f"{ref['model']}.arch"))
    assert row.task == ref["task"]
    assert cells(markdown_row(row)) == reference_cells(ref)
    expected_csv = dict(ref, flops=ref["flops"].replace("FLOPS", "FLOPs"))
    assert dict(zip(CSV_COLUMNS, render_csv([row]).splitlines()[1].split(","))) == expected_csv


def test_reference_order_is_the_reference_tables() -> None:
    assert list(REFERENCE_ORDER) == [r["model"] for r in REFERENCE_ROWS]


def test_readme_table_is_current() -> None:
    """Regenerate with: archspec table specs/ --readme README.md"""
    rows = [table_row(load(p)) for p in model_specs([SPECS])]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert embedded(readme) == render_markdown(rows), \
        "README model table is stale: run `archspec table specs/ --readme README.md`"


def _row(model: str, task: str, error: tuple[float | None, float | None] | None = None,
         src: str | None = None) -> TableRow:
    return TableRow(task, model, (224, 224), 4 * 1024 ** 2, 3 * 1024 ** 2, 2_000_000_000, src, error,
                    params=1_000_000, macs=1_000_000_000, peak_bytes=1024 ** 2)


def test_rows_are_grouped_by_task_in_the_references_order_others_after() -> None:
    rows = [_row("zeta-net", "classification"), _row("multipose-mpi", "keypoints"),
            _row("resnet-50", "classification"), _row("alexnet", "classification"),
            _row("odd-one", "counting"), _row("pascal-fcn8s", "segmentation")]
    assert [r.model for r in ordered(rows)] == ["alexnet", "resnet-50", "zeta-net", "pascal-fcn8s",
                                                "multipose-mpi", "odd-one"]


def test_markdown_sections_and_unknown_errors() -> None:
    text = render_markdown([_row("x-net", "classification", (29.4, None), "AU"), _row("y-net", "classification"),
                            _row("det-net", "detection")])
    assert "### Image Classification Architectures\n\n| model | input size | param mem | feat. mem | flops | src | performance |\n" in text
    # 4 MiB = 4 MB, 3 MiB = 3 MB, 2e9 FLOPs = 2 GFLOPs; the reference writes `29.40 / -` and `- / -`
    assert "| [x-net](reports/x-net.md) | 224 x 224 | 4 MB | 3 MB | 2 GFLOPs | AU | 29.40 / - |\n" in text
    assert "| [y-net](reports/y-net.md) | 224 x 224 | 4 MB | 3 MB | 2 GFLOPs | - | - / - |\n" in text
    assert "### Object Detection Architectures\n\n| model | input size | param memory | feature memory | flops |\n" in text
    assert "| [det-net](reports/det-net.md) | 224 x 224 | 4 MB | 3 MB | 2 GFLOPs |\n" in text


def test_embed_replaces_only_the_marked_section() -> None:
    readme = "# t\n\nbefore\n<!-- model-table:start -->\nold\n<!-- model-table:end -->\nafter\n"
    assert embed(readme, "new\n") == "# t\n\nbefore\n<!-- model-table:start -->\nnew\n<!-- model-table:end -->\nafter\n"
    with pytest.raises(ArchError, match="model-table"):
        embed("# no markers\n", "new\n")


def test_library_files_are_not_models(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "blocks.arch").write_text("block b() {\n  conv(4, 1)\n}\n")
    (tmp_path / "blocks.arch").write_text("block b() {\n  conv(4, 1)\n}\n")
    (tmp_path / "net.arch").write_text("model net\ninput 3 x 8 x 8\nconv(4, 1)\n")
    assert [p.name for p in model_specs([tmp_path])] == ["net.arch"]


def test_table_command_formats(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "net.arch").write_text("model net\n@task classification\n@error 30.5 / 10.25\n"
                                       "input 3 x 8 x 8\nc = conv(4, 1)\n")
    out = runner.invoke(app, ["table", str(tmp_path), "--format", "csv"])
    assert out.exit_code == 0, out.output
    # conv 3->4, 1x1 on 8 x 8: params (3*4 + 4) * 4 B = 64 B; features 4*8*8*4 B = 1 KB;
    # FLOPs 256 * 3 + 256 = 1024 -> 1 KFLOPs
    assert out.output.splitlines() == [",".join(CSV_COLUMNS),
                                       "classification,net,8 x 8,64 B,1 KB,1 KFLOPs,,30.50 / 10.25"]
    out = runner.invoke(app, ["table", str(tmp_path), "--format", "json"])
    (record,) = json.loads(out.output)
    assert (record["model"], record["flops"], record["top1_error"]) == ("net", 1024, 30.5)
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- model-table:start -->\n<!-- model-table:end -->\n")
    out = runner.invoke(app, ["table", str(tmp_path), "--readme", str(readme)])
    assert out.exit_code == 0, out.output
    assert "| [net](reports/net.md) | 8 x 8 | 64 B | 1 KB | 1 KFLOPs | - | 30.50 / 10.25 |" in readme.read_text()


def test_table_of_a_missing_folder_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = runner.invoke(app, ["table", str(tmp_path / "nope")])
    assert out.exit_code == 2 and "not a folder" in out.output


def test_a_folder_of_libraries_only_is_a_clear_error() -> None:
    for command in ("table", "report"):
        out = runner.invoke(app, [command, str(SPECS / "lib")])
        assert out.exit_code == 2 and "no model specs" in out.output
