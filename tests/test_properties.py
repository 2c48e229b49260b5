"""Property-based tests: random valid specs always analyse and obey the
engine's invariants; random and mutated text only ever ends in archspec's own
located error."""

from __future__ import annotations

from pathlib import Path

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


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_specs_end_in_a_located_error_or_analyse(data: st.DataObject) -> None:
    text = SAMPLE
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["cut", "insert", "truncate"]))
        if op == "cut":
            text = text[:i] + text[i + data.draw(st.integers(1, 30)):]
        elif op == "insert":
            text = text[:i] + data.draw(st.sampled_from(FRAGMENTS)) + text[i:]
        else:
            text = text[:i]
    text = text.replace('import "lib/resnet.arch"', (SPECS / "lib" / "resnet.arch").read_text())
    try:
        analyze(loads(text, path="mutant.arch"))
    except ArchError as exc:
        assert str(exc).startswith("error: ")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_ends_in_a_located_error_or_analyses(text: str) -> None:
    try:
        analyze(loads(text, path="random.arch"))
    except ArchError as exc:
        message = str(exc)
        assert message.startswith("error: ")
        assert "random.arch:" in message or "no input" in message
