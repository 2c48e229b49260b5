"""Property-based tests: random valid specs always analyse and obey the
engine's invariants; random and mutated text only ever ends in archspec's own
located error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archspec import analyze, loads
from archspec.errors import ArchError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def layer_text(draw: st.DrawFn, channels: int) -> tuple[str, int, int]:
    """One random shape-preserving-or-downsampling layer: (text, out channels, stride)."""
    kind = draw(st.sampled_from(["conv", "conv", "dwconv", "pool", "relu", "bn", "lrn", "dropout", "sigmoid"]))
    if kind == "conv":
        out = draw(st.integers(1, 24))
        k = draw(st.sampled_from([1, 3, 5]))
        s = draw(st.sampled_from([1, 1, 2]))
        d = draw(st.sampled_from([1, 1, 2]))
        bias = draw(st.booleans())
        return (f"conv({out}, {k}, stride={s}, pad={d * (k // 2)}, dilation={d}, "
                f"bias={'true' if bias else 'false'})", out, s)
    if kind == "dwconv":
        return f"conv({channels}, 3, pad=1, groups={channels}, bias=false)", channels, 1
    if kind == "pool":
        op = draw(st.sampled_from(["maxpool", "avgpool"]))
        ceil = draw(st.booleans())
        return f"{op}(2, stride=2, ceil={'true' if ceil else 'false'})", channels, 2
    return {"relu": "relu", "bn": "bn", "lrn": "lrn(5)", "dropout": "dropout(0.5)",
            "sigmoid": "sigmoid"}[kind], channels, 1


@st.composite
def network(draw: st.DrawFn) -> str:
    """A random DAG: a chain of statements, some with residual adds or concats."""
    channels = draw(st.integers(1, 8))
    lines = [f"input {channels} x 64 x 64"]
    strides = 1
    for i in range(draw(st.integers(1, 8))):
        text, out, s = draw(layer_text(channels))
        if strides * s > 16:  # keep every size non-empty at the sizes we test
            text, out, s = "relu", channels, 1
        strides *= s
        lines.append(f"t{i} = {text}")
        shape = draw(st.sampled_from(["plain", "plain", "residual", "concat"]))
        if shape == "residual":
            lines.append(f"r{i} = t{i} > conv({out}, 3, pad=1) > bn")
            lines.append(f"a{i} = add(t{i}, r{i}) > relu")
        elif shape == "concat":
            lines.append(f"c{i} = t{i} > conv(4, 1)")
            lines.append(f"j{i} = concat(t{i}, c{i})")
            out += 4
        channels = out
    return "\n".join(lines)


@SETTINGS
@given(network(), st.sampled_from([64, 80, 96]), st.integers(1, 9))
def test_random_networks_obey_the_invariants(text: str, side: int, batch: int) -> None:
    spec = loads(text)
    one = analyze(spec, size=side)
    many = analyze(spec, size=side, batch=batch)
    other = analyze(spec, size=side + 16)
    # parameters depend on neither input size nor batch
    assert one.totals.params == many.totals.params == other.totals.params
    assert one.totals.buffers == other.totals.buffers
    # FLOPs and feature memory are exactly linear in the batch
    assert many.totals.flops == batch * one.totals.flops
    assert many.totals.feature_bytes == batch * one.totals.feature_bytes
    # --upto the last layer is the full analysis
    last = one.layers[-1].name
    upto = analyze(spec, size=side, upto=last)
    assert (upto.totals.flops, upto.totals.feature_bytes, upto.totals.params) == (
        one.totals.flops, one.totals.feature_bytes, one.totals.params)


@SETTINGS
@given(network())
def test_a_block_called_once_equals_its_inlined_body(text: str) -> None:
    header, *body = text.splitlines()
    wrapped = "\n".join([header, "block body() {", *("  " + line for line in body), "}", "net = body"])
    inline, block = analyze(loads(text)), analyze(loads(wrapped))
    assert [(a.kind, a.output_shape, a.params, a.flops) for a in inline.layers] == [
        (b.kind, b.output_shape, b.params, b.flops) for b in block.layers]


def textbook(n: int, k: int, s: int, p: int, d: int) -> int:
    """floor((n + 2p - d(k - 1) - 1) / s) + 1, the formula of every textbook and framework."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@SETTINGS
@given(st.integers(8, 300), st.integers(1, 7), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3))
def test_convolution_shapes_follow_the_textbook_formula(n: int, k: int, s: int, p: int, d: int) -> None:
    expected = textbook(n, k, s, p, d)
    text = f"input 3 x {n} x {n}\nconv(4, {k}, stride={s}, pad={p}, dilation={d})"
    if expected < 1:
        try:
            analyze(loads(text))
        except ArchError as exc:
            assert "input too small" in str(exc)
            return
        raise AssertionError("an empty output must be an error")
    assert analyze(loads(text)).totals.output_shape == (4, expected, expected)


SPECS = Path(__file__).resolve().parent.parent / "specs"
SAMPLE = (SPECS / "resnet-50.arch").read_text()
FRAGMENTS = ["(", ")", "{", "}", ">", "x", "=", "?", ":", ",", "@", '"', "#", "\n", "in", "as", "block",
             "conv", "relu", "x 99999999", "999999999999999999", "\x00", "é", "\\", "-", "//", "0"]


def mutated(data: st.DataObject, text: str) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["cut", "insert", "truncate"]))
        if op == "cut":
            text = text[:i] + text[i + data.draw(st.integers(1, 30)):]
        elif op == "insert":
            text = text[:i] + data.draw(st.sampled_from(FRAGMENTS)) + text[i:]
        else:
            text = text[:i]
    return text


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_specs_end_in_a_located_error_or_analyse(data: st.DataObject) -> None:
    text = mutated(data, SAMPLE)
    text = text.replace('import "lib/resnet.arch"', (SPECS / "lib" / "resnet.arch").read_text())
    try:
        analyze(loads(text, path="mutant.arch"))
    except ArchError as exc:
        assert str(exc).startswith("error: ")


# A family spec of each newer folder (parameters, a family block from lib/, @members), mutated in its
# own folder so that its imports still resolve: ShuffleNet V2 (chunk, shuffle, tuples of widths) and
# Swin (token windows, attention); fewer examples each, as every one reads and expands its libraries.
NEWER = [SPECS / "modern" / "shufflenet_v2.arch", SPECS / "transformers" / "swin.arch"]


@pytest.mark.parametrize("spec", NEWER, ids=[f"{p.parent.name}/{p.stem}" for p in NEWER])
def test_mutated_newer_specs_end_in_a_located_error_or_analyse(spec: Path) -> None:
    @settings(max_examples=80, deadline=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        text = mutated(data, spec.read_text())
        try:
            analyze(loads(text, path=str(spec.parent / "mutant.arch")))
        except ArchError as exc:
            assert str(exc).startswith("error: ")

    check()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_ends_in_a_located_error_or_analyses(text: str) -> None:
    try:
        analyze(loads(text, path="random.arch"))
    except ArchError as exc:
        message = str(exc)
        assert message.startswith("error: ")
        assert "random.arch:" in message or "no input" in message


# ---- hostile projects: imports, file kinds and options, through the command line ----

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

from archspec.cli import main  # noqa: E402
from archspec.limits import MAX_FILE_BYTES  # noqa: E402

_PROJECT: list[Path] = []


def hostile_project() -> Path:
    """One folder of every kind of file a spec may name, made once: libraries,
    a file that is not a spec, a binary, a pipe, a folder, a symlink loop, a
    link out of the tree, a spec-named link to a dotenv file inside it, a file over
    the size limit, and a secret outside."""
    if _PROJECT:
        return _PROJECT[0]
    root = Path(tempfile.mkdtemp(prefix="archspec-hostile-"))
    tree = root / "tree"
    (tree / "lib").mkdir(parents=True)
    (root / "outside").mkdir()
    (root / "outside" / "secret.arch").write_text('KEY = "hunter2"\nblock leak() {\n conv(KEY, 1)\n}\n')
    (tree / "lib" / "resnet.arch").write_text((SPECS / "lib" / "resnet.arch").read_text())
    (tree / "lib" / "values.arch").write_text("w = 8\nblock unit(k=3) {\n conv(w, k, pad=k // 2) > relu\n}\n")
    (tree / "lib" / "other.arch").write_text("w = 4\nblock unit2() {\n conv(w, 1)\n}\n")
    (tree / "notes.arch").write_text('password: "hunter2"\n')
    (tree / "binary.arch").write_bytes(b"\x00\x01hunter2")
    (tree / "latin1.arch").write_bytes("w = 1 # caf\xe9\n".encode("latin-1"))
    os.mkfifo(tree / "fifo.arch")
    (tree / "folder.arch").mkdir()
    (tree / "loop.arch").symlink_to("loop.arch")
    (tree / "out.arch").symlink_to(root / "outside" / "secret.arch")
    (tree / ".env").write_text('KEY="hunter2"\n')  # a dotenv file inside the tree, and a spec-named link to it
    (tree / "env.arch").symlink_to(tree / ".env")
    (tree / "huge.arch").write_text("# x\n" * (MAX_FILE_BYTES // 4 + 1))
    (tree / "cycle.arch").write_text('import "cycle.arch"\n')
    _PROJECT.append(root)
    return root


IMPORTS = ["lib/resnet.arch", "lib/values.arch", "lib/other.arch", "./lib/../lib/values.arch", "notes.arch",
           "binary.arch", "latin1.arch", "fifo.arch", "folder.arch", "loop.arch", "out.arch", "env.arch", "huge.arch",
           "cycle.arch", "missing.arch", "../outside/secret.arch", "/etc/passwd", "/dev/zero", "lib", "",
           "../../../../../../../../../etc/hostname.arch", "lib/values.arch\\u0000.arch"]
BODIES = ["unit", "unit(5)", "unit2", "conv(w, 1)", "leak", "conv(KEY, 1)", "bottleneck(64)", "relu x 3",
          "conv(8, 3) > bn > relu"]
OPTIONS = [[], ["--size", "64"], ["--size", "0"], ["--size", "²²"], ["--size", "99999999x3"], ["--batch", "0"],
           ["--batch", "4"], ["--upto", "x"], ["--set", "n=3"], ["--set", "t=(1,(2,3))"], ["--fit", "1KB"],
           ["--fit", "4TB"], ["--format", "json"], ["--training"], ["--memory", "peak"], ["--dtype", "float16"]]
SWEEP_OPTIONS = [["--size", "16:64:16"], ["--size", "1:1000000000000"], ["--size", "8x"], ["--batch", "1,2"],
                 ["--plot", "x.garbage"], ["--set", "n=1,2"], ["--format", "csv"]]


def _run(args: list[str]) -> tuple[int, str]:
    saved, sys.argv = sys.argv, ["archspec", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return code, ""


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_projects_end_in_exit_0_or_2(capsys: object, data: st.DataObject) -> None:
    root = hostile_project()
    tree = root / "tree"
    imports = data.draw(st.lists(st.sampled_from(IMPORTS), max_size=3))
    body = data.draw(st.sampled_from(BODIES))
    lines = [f'import "{target}"' for target in imports] + ["model m", "input 3 x 32 x 32", f"x = {body}"]
    if data.draw(st.booleans()):  # and a mutation of the text itself
        i = data.draw(st.integers(0, len(lines)))
        lines.insert(i, data.draw(st.sampled_from(FRAGMENTS)))
    spec = tree / "net.arch"
    spec.write_text("\n".join(lines) + "\n")
    command = data.draw(st.sampled_from(["analyze", "sweep", "explain", "report"]))
    if command == "sweep":
        options = data.draw(st.sampled_from(SWEEP_OPTIONS))
    elif command == "report":
        options = ["--out", str(root / "reports"), "--no-figures"]
    else:
        options = data.draw(st.sampled_from(OPTIONS)) if command == "analyze" else []
    before = {p for p in root.rglob("*") if "reports" not in p.parts}
    code, _ = _run([command, str(spec), *options])
    _, err = capsys.readouterr()  # type: ignore[attr-defined]
    assert code in (0, 2), (code, err)
    assert "internal error" not in err and "Traceback" not in err, err
    assert "hunter2" not in err and "root:x" not in err, err  # nothing echoed from a file that is not a spec
    # nothing written outside the output folder, and no plot of a bad name
    assert {p for p in root.rglob("*") if "reports" not in p.parts} == before


# Each of these, repeated to 2 MB, is read, refused or analysed, and the run ends.
TWO_MB_UNITS = ["\n", "  # a comment\n", " \t \n", "relu > ", "x = (((1)))\n", '"' + "s" * 1000 + '"\n', "-",
                "1 + ", "(", "9" * 70, "block b() {\n relu\n}\n", "a" * 999 + "\n", "input 3 x 8 x 8\n",
                "\n> relu", "x", "é", "?", "{", "x\n", "relu\n", "\\\n"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TWO_MB_UNITS), st.text(max_size=20))
def test_a_2mb_spec_of_any_content_ends(unit: str, noise: str) -> None:
    # the time-out only detects a hang; how long these take is measured in benchmarks/
    text = ("input 3 x 8 x 8\n" + noise + unit * (MAX_FILE_BYTES // max(1, len(unit.encode())))).encode()
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "big.arch"
        spec.write_bytes(text[:MAX_FILE_BYTES])
        run = subprocess.run([sys.executable, "-m", "archspec.cli", "analyze", str(spec), "--format", "csv"],
                             capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 2), run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr, run.stderr[-2000:]
