"""Limits that keep archspec responsive on hostile input; each ends in a clear
message naming the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from archspec import analyze, load, loads
from archspec.errors import ArchError
from archspec.limits import MAX_CALL_DEPTH, MAX_FILE_BYTES, MAX_LAYERS, MAX_NESTING


def error_of(text: str) -> str:
    with pytest.raises(ArchError) as info:
        analyze(loads(text, path="hostile.arch"))
    return str(info.value)


def test_expansion_past_a_million_layers() -> None:
    assert f"{MAX_LAYERS:,}" in error_of("input 3 x 8 x 8\nrelu x 1000001")
    # the same through a repeated block: found once the block's size is known
    text = "input 3 x 8 x 8\nblock a() {\n relu x 1000\n}\nblock b() {\n a x 1000\n}\nb x 2"
    assert "expands past" in error_of(text)


def test_call_depth() -> None:
    blocks = [f"block b{i}() {{\n b{i + 1}\n}}" for i in range(MAX_CALL_DEPTH + 5)]
    blocks.append(f"block b{MAX_CALL_DEPTH + 5}() {{\n relu\n}}")
    message = error_of("input 3 x 8 x 8\n" + "\n".join(blocks) + "\nb0")
    assert f"nested deeper than {MAX_CALL_DEPTH}" in message


def test_parenthesis_nesting() -> None:
    deep = "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1)
    assert f"nested deeper than {MAX_NESTING}" in error_of(f"input 3 x 8 x 8\nx = {deep}")


def test_long_flat_chains_and_sums_are_fine() -> None:
    # 5,000 steps in one chain, and a 5,000-term sum: flat in the parse tree
    chain = " > ".join(["relu"] * 5000)
    result = analyze(loads(f"input 3 x 8 x 8\nn = {' + '.join(['1'] * 5000)}\nx = conv(n, 1) > {chain}"))
    assert len(result.layers) == 5001 and result.totals.output_shape == (5000, 8, 8)


def test_deep_unary_nesting_is_an_error_not_a_crash() -> None:
    assert "error: " in error_of("input 3 x 8 x 8\nx = " + "-" * 20000 + "1")


def test_huge_numbers() -> None:
    assert "number too large" in error_of("input 3 x 8 x 8\nn = " + " * ".join(["1000000"] * 8))
    assert "beyond any real network" in error_of("input 3 x 8 x 8\nconv(2000000000, 1)")
    assert "input sizes must be whole numbers" in error_of("input 3 x 8 x 99999999999")


def test_file_size(tmp_path: Path) -> None:
    big = tmp_path / "big.arch"
    big.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    with pytest.raises(ArchError, match="spec files are limited to"):
        load(big)


def test_input_size_range() -> None:
    spec = loads("input 3 x 8 x 8\nrelu")
    with pytest.raises(ArchError, match="out of range"):
        analyze(spec, size=(1 << 21, 8))
