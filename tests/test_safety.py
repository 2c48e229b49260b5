"""Hostile input (docs/threat-model.md): no file written outside the output, no
text echoed from a file that is not a spec, no code loaded from a shared
folder, no hang, no wrong figure, and every failure one located message with
exit code 2 (exit 70 is left for real bugs).

Cases that could hang or exhaust memory run the command in a child process
with a memory cap and a generous time-out: the time-out is a hang detector
(a broken version never ends), not a speed requirement; speed is measured in
benchmarks/."""

from __future__ import annotations

import math
import os
import pickle
import resource
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from archspec import analyze, load, loads
from archspec.cli import main
from archspec.costs.sweep import sweep_graph
from archspec.errors import ArchError, suggest
from archspec.limits import MAX_INT, MAX_LAYERS, MAX_NESTING, MAX_SIDE

ROOT = Path(__file__).resolve().parent.parent
HANG = 120  # seconds: far beyond any honest run, far short of a hang


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The installed command's entry point in this process: (exit code, stdout, stderr)."""
    saved = sys.argv
    sys.argv = ["archspec", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    out, err = capsys.readouterr()
    return code, out, err


def _cap_memory() -> None:
    limit = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def child(args: list[str], cwd: Path, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    """The command in a child process, at most 2 GB of memory and HANG seconds."""
    return subprocess.run([sys.executable, "-m", "archspec.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=HANG, preexec_fn=_cap_memory, stdin=stdin)


def one_located_error(err: str, where: str) -> None:
    assert err.startswith(f"error: {where}"), err
    assert err.count("error:") == 1 and "Traceback" not in err and "internal error" not in err, err


# ---------------------------------------------------------------- where report writes

@pytest.mark.parametrize("name", ['"../README"', '"/tmp/archspec-owned"', '"a\\u0000b"', '"a/b"', '"' + "a" * 300 + '"',
                                  '"x | y](http://evil)<script>"'])
def test_a_model_name_cannot_choose_where_report_writes(tmp_path: Path, name: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (tmp_path / "README.md").write_text("the project's own readme\n")
    (specs / "evil.arch").write_text(f"model {name}\ninput 3 x 8 x 8\nrelu\n")
    Path("/tmp/archspec-owned.md").unlink(missing_ok=True)  # left by a version that wrote it
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    code, _, err = cli(["report", str(specs), "--out", str(tmp_path / "reports"), "--no-figures"], capsys)
    assert code == 2
    # located at the name, the file named once: the location starts the message
    assert err.startswith(f"error: {specs / 'evil.arch'}:1:7: model names are 1 to 100 letters"), err
    assert (tmp_path / "README.md").read_text() == "the project's own readme\n"
    assert not Path("/tmp/archspec-owned.md").exists()
    after = sorted(str(p) for p in tmp_path.rglob("*"))
    assert after == sorted(before + [str(tmp_path / "reports")])  # the output folder, empty


def test_the_readme_table_escapes_what_a_spec_wrote() -> None:
    from archspec.costs.model_table import TableRow
    from archspec.views.model_table import markdown_row

    row = TableRow("classification", "net", (8, 8), 0, 0, 0, '<b>|</b> ](http://evil) `x`', (1.0, 2.0),
                   params=0, macs=0, peak_bytes=0)
    text = markdown_row(row)
    # 7 cells: 8 column bars, and no bar, bracket, angle bracket or backtick left unescaped
    unescaped = [c for i, c in enumerate(text) if c in "|[]()<>`" and (i == 0 or text[i - 1] != "\\")]
    assert unescaped.count("|") == 8
    assert unescaped.count("<") == unescaped.count(">") == unescaped.count("`") == 0
    assert unescaped.count("[") == unescaped.count("]") == 1  # the link to the model's report
    # a collection's detailed table, the same row: 8 cells (the task's title line and the note aside)
    from archspec.views.collection_table import render_markdown

    line = render_markdown([row], {}, "reports/modern/").splitlines()[4]
    unescaped = [c for i, c in enumerate(line) if c in "|[]()<>`" and (i == 0 or line[i - 1] != "\\")]
    assert unescaped.count("|") == 9
    assert unescaped.count("<") == unescaped.count(">") == unescaped.count("`") == 0
    assert unescaped.count("[") == unescaped.count("]") == 1


# ---------------------------------------------------------------- the parser loads no pickle

def test_the_parser_is_built_from_shipped_tables_without_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    from archspec.syntax import parser

    calls: list[str] = []
    monkeypatch.setattr(pickle, "load", lambda *a, **k: calls.append("load"))
    monkeypatch.setattr(pickle, "dump", lambda *a, **k: calls.append("dump"))
    folder = Path(tempfile.gettempdir())
    before = {p.name for p in folder.glob(".lark*")}
    parser._parser.cache_clear()
    try:
        assert loads("input 3 x 8 x 8\nrelu").nodes[-1].name == "relu"
        assert parser._parser().source_path == "<deserialized>"  # Lark's mark of a parser built from data
    finally:
        parser._parser.cache_clear()
    assert calls == []
    assert {p.name for p in folder.glob(".lark*")} == before


def test_the_shipped_parser_tables_match_the_grammar() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "generate_parser.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    from archspec.syntax import parser_tables
    from archspec.syntax.parser import grammar_digest

    assert grammar_digest() == parser_tables.GRAMMAR_SHA256


# ---------------------------------------------------------------- what imports may read

def _project(tmp_path: Path) -> Path:
    spec_dir = tmp_path / "project"
    (spec_dir / "lib").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "lib.arch").write_text("w = 3\nblock ba() {\n conv(w, 1)\n}\n")
    (tmp_path / "outside" / "secret.env").write_text('KEY="hunter2"\n')
    return spec_dir


@pytest.mark.parametrize("target,words", [
    ("/etc/passwd", "an import names a spec file (*.arch), not '/etc/passwd'"),
    ("../outside/secret.env", "an import names a spec file (*.arch)"),
    ("../outside/lib.arch", "cannot import ../outside/lib.arch: it is outside"),
    ("../../../../../../../../etc/hostname.arch", "it is outside"),
    ("lib/escape.arch", "it is outside"),  # a symbolic link inside the tree pointing out of it
])
def test_imports_stay_in_the_spec_tree(tmp_path: Path, target: str, words: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    spec_dir = _project(tmp_path)
    (spec_dir / "lib" / "escape.arch").symlink_to(tmp_path / "outside" / "lib.arch")
    spec = spec_dir / "net.arch"
    spec.write_text(f'import "{target}"\ninput 3 x 8 x 8\nblock b() {{\n conv(KEY, 1)\n}}\nb\n')
    code, _, err = cli(["analyze", str(spec)], capsys)
    assert code == 2
    one_located_error(err, f"{spec}:1:8: ")
    assert words in err
    assert "hunter2" not in err and "root:" not in err


def test_a_spec_named_link_to_another_file_is_never_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a shared folder (git keeps symbolic links) carries `lib/x.arch -> ../.env` beside its spec:
    # inside the tree, named as a spec, but a dotenv file whose value an error would quote
    spec_dir = tmp_path / "project"
    (spec_dir / "lib").mkdir(parents=True)
    (spec_dir / ".env").write_text('API_KEY="sk_live_abc123"\n')
    (spec_dir / "lib" / "x.arch").symlink_to(spec_dir / ".env")
    spec = spec_dir / "net.arch"
    spec.write_text('import "lib/x.arch"\ninput 3 x 8 x 8\nconv(API_KEY, 1)\n')
    code, _, err = cli(["analyze", str(spec)], capsys)
    assert code == 2
    one_located_error(err, f"{spec}:1:8: ")
    assert "is a link to a file that is not a spec" in err and "sk_live" not in err
    # the same link named on the command line is not read either
    code, _, err = cli(["analyze", str(spec_dir / "lib" / "x.arch")], capsys)
    assert code == 2 and "is a link to a file that is not a spec" in err and "sk_live" not in err
    # a link to a spec is a spec: lib/y.arch -> ../real.arch imports as the file it names
    (spec_dir / "real.arch").write_text("w = 3\n")
    (spec_dir / "lib" / "y.arch").symlink_to(spec_dir / "real.arch")
    spec.write_text('import "lib/y.arch"\ninput 3 x 8 x 8\nconv(w, 1)\n')
    # conv(3, 1) on 3 channels: 3 * 3 weights + 3 biases
    assert analyze(load(spec)).totals.params == 12


def test_allowing_a_folder_lets_imports_read_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_dir = _project(tmp_path)
    spec = spec_dir / "net.arch"
    spec.write_text('import "../outside/lib.arch"\ninput 3 x 8 x 8\nba\n')
    # conv(3, 1) on 3 channels: 3 * 3 weights + 3 biases = 12 parameters
    assert analyze(load(spec, allow_imports=[tmp_path / "outside"])).totals.params == 12
    code, out, _ = cli(["--allow-imports", str(tmp_path / "outside"), "analyze", str(spec), "--format", "json"],
                       capsys)
    assert code == 0 and '"params": 12' in out


def test_a_file_that_is_not_a_spec_is_never_quoted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_dir = tmp_path / "project"
    spec_dir.mkdir()
    (spec_dir / "notes.arch").write_text('password: "hunter2" (do not share)\n')
    spec = spec_dir / "net.arch"
    spec.write_text('import "notes.arch"\ninput 3 x 8 x 8\n')
    code, _, err = cli(["analyze", str(spec)], capsys)
    assert code == 2
    one_located_error(err, f"{spec}:1:8: cannot import notes.arch: it is not a spec (line 1, column 9)")
    assert "hunter2" not in err and "password" not in err


# ---------------------------------------------------------------- no hang, no exhaustion

def test_blank_lines_are_read_in_linear_time(tmp_path: Path) -> None:
    # 2 MB of blank and comment lines, then a continued chain: every line is read
    # once (a quadratic look-ahead takes hours on this much)
    spec = tmp_path / "blank.arch"
    spec.write_text("input 3 x 8 x 8\nx = relu\n" + "\n  # note\n" * 180_000 + "  > bn\n")
    run = child(["analyze", str(spec), "--format", "csv"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert "x.bn,bn" in run.stdout


@pytest.mark.parametrize("name", ["/dev/zero", "/dev/urandom", "fifo.arch", "/dev/stdin"])
def test_only_regular_files_are_read(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / "fifo.arch")
    run = child(["analyze", name], tmp_path, stdin=subprocess.PIPE if name == "/dev/stdin" else None)
    assert run.returncode == 2, run.stderr
    assert "is a device, not a spec file" in run.stderr or "is a pipe, not a spec file" in run.stderr


def test_a_file_that_grows_past_the_limit_is_not_read_past_it(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from archspec import files
    from archspec.limits import MAX_FILE_BYTES

    spec = tmp_path / "big.arch"
    spec.write_text("#" * (3 * MAX_FILE_BYTES))
    asked: list[int] = []
    real_read = os.read
    monkeypatch.setattr(files.os, "read", lambda fd, n: asked.append(n) or real_read(fd, n))
    with pytest.raises(ArchError, match="spec files are limited to"):
        load(spec)
    assert sum(asked) <= MAX_FILE_BYTES + 1


def test_fit_searches_a_bounded_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "tiny.arch"
    spec.write_text("input 3 x 8 x 8\nrelu\n")
    run = child(["analyze", str(spec), "--fit", "4TB"], tmp_path)
    assert run.returncode == 2
    # 4 TB holds billions of 192-float images: the search stops at its limit, 2^30, and says so
    assert f"every batch up to {2**30:,} fits" in run.stderr


def test_sweep_sizes_are_counted_before_they_are_listed(tmp_path: Path) -> None:
    spec = tmp_path / "net.arch"
    spec.write_text("input 3 x 8 x 8\nrelu\n")
    run = child(["sweep", str(spec), "--size", "1:1000000000000"], tmp_path)
    assert run.returncode == 2 and f"between 1 and {MAX_SIDE}" in run.stderr
    run = child(["sweep", str(spec), "--size", "1:1048576,1:1048576"], tmp_path)
    assert run.returncode == 2 and "gives more than 1,000,000 sizes" in run.stderr


def test_exponential_blocks_are_refused_before_any_layer_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    from archspec.graph.expand import Expander

    made: list[str] = []
    real = Expander.add_node
    monkeypatch.setattr(Expander, "add_node", lambda self, name, *a, **k: made.append(name) or real(self, name, *a, **k))
    # b0 calls b1 twice, ..., b23 calls b24 twice: 2^24 = 16,777,216 relus
    blocks = [f"block b{i}() {{\n b{i + 1} > b{i + 1}\n}}" for i in range(24)]
    text = "input 3 x 8 x 8\n" + "\n".join(blocks) + "\nblock b24() {\n relu\n}\nb0\n"
    with pytest.raises(ArchError, match=f"expands past {MAX_LAYERS:,} layers") as info:
        loads(text, path="exp.arch")
    assert str(info.value).startswith("error: exp.arch:77:1: ")
    assert made == ["input"]  # refused before the first relu


def test_a_repeat_count_from_an_argument_is_priced_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from archspec.graph.expand import Expander

    made: list[str] = []
    real = Expander.add_node
    monkeypatch.setattr(Expander, "add_node", lambda self, name, *a, **k: made.append(name) or real(self, name, *a, **k))
    text = ("input 3 x 8 x 8\nn = 1000\nblock unit(k) {\n m = k * 2\n relu x m\n}\n"
            "block stage(k) {\n unit(k) x k\n}\nstage(n)\n")  # 1000 units of 2,000 relus: 2,000,000
    with pytest.raises(ArchError, match="expands past"):
        loads(text)
    assert made == ["input"]


# ---------------------------------------------------------------- no wrong figure

def test_sweep_figures_past_int64_are_exact() -> None:
    # two 10^9 zooms: 8 * 10^18 + ... pixels a side; the engine's exact figures are the truth
    spec = loads("input 3 x 8 x 8\ninterp(zoom=1000000000) > interp(zoom=1000000000)\n")
    for size in (8, 9):
        row = sweep_graph(spec, [(size, size)], [1])[0]
        truth = analyze(spec, size=size).totals
        assert row.figures is not None
        assert row.figures["feature_bytes"] == truth.feature_bytes > 2**63
        assert row.figures["flops"] == truth.flops


def test_sweep_flops_of_wide_convolutions_are_exact() -> None:
    spec = loads("input 3 x 64 x 64\nconv(1000000, 1) > conv(1000000, 1)\n")
    row = sweep_graph(spec, [(4096, 4096)], [1])[0]
    # burden counts a multiply-add as one FLOP, plus one bias add per output:
    # per pixel, conv1 10^6 x (3 + 1), conv2 10^6 x (10^6 + 1); 4096^2 pixels
    pixels = 4096 * 4096
    expected = pixels * (10**6 * (3 + 1) + 10**6 * (10**6 + 1))  # 1.68e19, past int64's 9.2e18
    assert row.figures is not None
    assert row.figures["flops"] == expected == analyze(spec, size=4096).totals.flops


def test_each_file_keeps_its_own_values(tmp_path: Path) -> None:
    (tmp_path / "a.arch").write_text("w = 3\nblock ba() {\n conv(w, 1)\n}\n")
    (tmp_path / "b.arch").write_text("w = 5\nblock bb() {\n conv(w, 1)\n}\n")
    spec = tmp_path / "net.arch"
    spec.write_text('import "a.arch"\nimport "b.arch"\ninput 3 x 8 x 8\nba > bb\n')
    layers = analyze(load(spec)).layers
    # ba's conv uses a.arch's w = 3, bb's uses b.arch's w = 5
    assert [cost.output_shape[0] for cost in layers] == [3, 5]
    # and the importer reaches an imported value right after the import
    spec.write_text('import "a.arch"\ninput 3 x 8 x 8\nconv(w, 1)\n')
    assert analyze(load(spec)).totals.output_shape == (3, 8, 8)


def test_a_name_two_imports_define_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "a.arch").write_text("w = 3\n")
    (tmp_path / "b.arch").write_text("w = 5\n")
    spec = tmp_path / "net.arch"
    spec.write_text('import "a.arch"\nimport "b.arch"\ninput 3 x 8 x 8\nconv(w, 1)\n')
    with pytest.raises(ArchError) as info:
        load(spec)
    message = str(info.value)
    assert message.startswith(f"error: {spec}:4:6: 'w' is ambiguous")
    assert str(tmp_path / "a.arch") in message and str(tmp_path / "b.arch") in message
    # the importer's own definition decides
    spec.write_text('import "a.arch"\nimport "b.arch"\nw = 4\ninput 3 x 8 x 8\nconv(w, 1)\n')
    assert analyze(load(spec)).totals.output_shape == (4, 8, 8)


# ---------------------------------------------------------------- located errors, not exit 70

def test_a_huge_integer_literal_is_a_located_error() -> None:
    with pytest.raises(ArchError) as info:
        loads("input 3 x 8 x 8\nn = " + "9" * 5000, path="n.arch")
    assert str(info.value).startswith("error: n.arch:2:5: a number of 5,000 characters is too large")


def test_a_symlink_loop_import_is_a_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "loop.arch").symlink_to("loop.arch")
    spec = tmp_path / "net.arch"
    spec.write_text('input 3 x 8 x 8\nimport "loop.arch"\n')
    code, _, err = cli(["analyze", str(spec)], capsys)
    assert code == 2
    one_located_error(err, f"{spec}:2:8: cannot import loop.arch")


@pytest.mark.parametrize("args,words", [
    (["analyze", "SPEC", "--size", "²²"], "--size '²²': expected a side"),
    (["sweep", "SPEC", "--size", "8", "--plot", "x.garbage"], "--plot: cannot draw x.garbage: name a .png, .svg or .pdf"),
    (["analyze", "SPEC", "--set", "t=((1,2)"], "--set value '((1,2)': unbalanced parentheses"),  # tuples nest; brackets balance
    (["report", "SPEC", "--out", "/proc/self", "--no-figures"], "cannot write /proc/self/t.md"),
    (["report", "SPEC", "--out", "SPEC", "--no-figures"], "cannot write reports to"),
])
def test_bad_options_are_located_errors(tmp_path: Path, args: list[str], words: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "t.arch"
    spec.write_text("model t\nparam t = (1, 2)\ninput 3 x 8 x 8\nrelu\n")
    code, _, err = cli([str(spec) if a == "SPEC" else a for a in args], capsys)
    assert code == 2, err
    assert words in err and err.count("error:") == 1 and "internal error" not in err, err
    assert not (tmp_path / "x.garbage").exists()


def test_a_readme_that_is_not_utf8_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "t.arch"
    spec.write_text("model t\ninput 3 x 8 x 8\nrelu\n")
    readme = tmp_path / "README.md"
    readme.write_bytes(b"\xff\xfe\n<!-- model-table:start -->\n<!-- model-table:end -->\n")
    code, _, err = cli(["report", str(spec), "--out", str(tmp_path / "r"), "--no-figures", "--readme", str(readme)],
                       capsys)
    assert code == 2 and f"{readme} is not UTF-8 text" in err
    assert readme.read_bytes().startswith(b"\xff\xfe")


def test_runaway_channels_are_refused_where_they_grow() -> None:
    lines = ["input 3 x 8 x 8", "t0 = relu"]
    lines += [f"t{i} = concat(t{i - 1}, t{i - 1})" for i in range(1, 1101)]
    with pytest.raises(ArchError) as info:
        loads("\n".join(lines), path="c.arch")
    # 3 * 2^28 = 805,306,368 channels fit; 3 * 2^29 = 1,610,612,736 do not: t29, on line 31
    assert str(info.value).startswith("error: c.arch:31:7: 't29' would have 1,610,612,736 channels")
    assert f"limited to {MAX_INT:,}" in str(info.value)


# ---------------------------------------------------------------- atomic writes

class Killed(BaseException):
    """Stands for a kill in the middle of a write (nothing catches it)."""


def test_a_run_killed_while_writing_leaves_the_old_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import matplotlib.figure

    spec = tmp_path / "t.arch"
    spec.write_text("model t\ninput 3 x 8 x 8\nconv(4, 3) > relu\n")
    out = tmp_path / "reports"
    readme = tmp_path / "README.md"
    readme.write_text("old\n<!-- model-table:start -->\nold table\n<!-- model-table:end -->\n")
    code, _, _ = cli(["report", str(spec), "--out", str(out), "--svg", "--readme", str(readme)], capsys)
    assert code == 0
    written = [out / "t.md", out / "figs" / "t.png", out / "figs" / "t.svg", readme]
    good = {path: path.read_bytes() for path in written}
    assert all(good.values())

    def half_then_killed(self: object, target: object, *args: object, **kwargs: object) -> None:
        Path(str(target)).write_bytes(b"half")
        raise Killed

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", half_then_killed)
    with pytest.raises(Killed):
        cli(["report", str(spec), "--out", str(out), "--svg"], capsys)
    real_write_text = Path.write_text

    def text_half_then_killed(self: Path, data: str, *args: object, **kwargs: object) -> int:
        real_write_text(self, data[:10])
        raise Killed

    monkeypatch.setattr(Path, "write_text", text_half_then_killed)
    with pytest.raises(Killed):
        cli(["report", str(spec), "--out", str(out), "--no-figures", "--readme", str(readme)], capsys)
    assert {path: path.read_bytes() for path in written} == good
    leftovers = [p.name for p in tmp_path.rglob(".*.tmp*")]
    assert leftovers == []


def test_an_atomic_write_keeps_the_permissions_of_an_ordinary_write(tmp_path: Path) -> None:
    from archspec.files import write_text_atomic

    umask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "new.md", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o644


# ---------------------------------------------------------------- the rest of the list

def test_nesting_errors_point_at_the_token() -> None:
    cases = {
        "x = " + "-" * 200 + "1": f"2:{5 + MAX_NESTING}: more than {MAX_NESTING} prefix operators",
        "x = " + "not " * 200 + "true": f"2:{5 + 4 * MAX_NESTING}: more than {MAX_NESTING} prefix operators",
        "x = " + "true ? 1 : " * 200 + "2": f"2:{5 + 11 * MAX_NESTING + 5}: conditionals nested deeper",
        "x = 1" + "[0]" * 3000: "2:1: this statement is nested too deeply",
        "x = " + " and ".join(["true"] * 5000): "2:1: this statement is nested too deeply",
    }
    for text, where in cases.items():
        with pytest.raises(ArchError) as info:
            loads("input 3 x 8 x 8\n" + text, path="n.arch")
        message = str(info.value)
        assert message.startswith(f"error: n.arch:{where}"), message
        assert "\n   2 | " in message  # with its excerpt


def test_input_sides_are_limited_in_the_spec_too() -> None:
    with pytest.raises(ArchError, match=f"from 1 to {MAX_SIDE}, got 1000000000"):
        loads("input 3 x 1000000000 x 1000000000\nrelu")


def test_a_byte_order_mark_is_not_part_of_the_text(tmp_path: Path) -> None:
    spec = tmp_path / "bom.arch"
    spec.write_bytes("\ufeffinput 3 x 8 x 8\nconv(4, 1)\n".encode())
    assert analyze(load(spec)).totals.params == 4 * 3 + 4  # 1x1 weights and biases
    assert analyze(loads("\ufeffinput 3 x 8 x 8\nrelu")).totals.output_shape == (3, 8, 8)


def test_suggestions_are_not_repeated() -> None:
    assert suggest("x.cx", ["x.c", "x.c", "y"]) == "did you mean 'x.c'?"
    spec = loads("input 3 x 8 x 8\nblock b() {\n c = relu\n}\ny = b as c\n")
    with pytest.raises(ArchError) as info:
        analyze(spec, upto="c.cx")
    assert info.value.hint == "did you mean 'c.c'?"


@pytest.mark.parametrize("call,words", [
    (lambda g: analyze(g, batch=math.nan), "expected a whole number of images"),
    (lambda g: analyze(g, batch=1.5), "expected a whole number of images"),
    (lambda g: analyze(g, batch=True), "expected a whole number of images"),
    (lambda g: analyze(g, size=(224.5, 224)), "in whole pixels"),
    (lambda g: analyze(g, size=224.0), "in whole pixels"),
    (lambda g: loads(123), "a spec's text is a string, not int"),
    (lambda g: load(123), "a spec is named by a path, not int"),
])
def test_the_api_checks_its_arguments(call: object, words: str) -> None:
    graph = loads("input 3 x 8 x 8\nrelu")
    with pytest.raises(ArchError, match=words):
        call(graph)  # type: ignore[operator]
