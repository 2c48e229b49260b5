"""Figures are written as the reference table writes them (the reference's num2str and round)."""

from archspec.views.units import readable_flops, readable_memory


def test_memory_units_divide_by_1024_and_round_to_no_decimals() -> None:
    assert readable_memory(0) == "0 B"
    assert readable_memory(1023) == "1023 B"
    assert readable_memory(1024) == "1 KB"
    assert readable_memory(97.7 * 2**20) == "98 MB"
    assert readable_memory(0.6 * 2**30) == "614 MB"  # the unit follows the number: never "1 GB"
    assert readable_memory(1.5 * 2**30) == "2 GB"
    assert readable_memory(3 * 2**40) == "3 TB"


def test_flop_prefixes_divide_by_1000() -> None:
    assert readable_flops(727_000_000) == "727 MFLOPs"
    assert readable_flops(4_089_184_256) == "4 GFLOPs"
    assert readable_flops(2.4e12) == "2 TFLOPs"
    assert readable_flops(999) == "999 FLOPs"
    assert readable_flops(1000) == "1 KFLOPs"


def test_an_exact_tie_goes_to_the_even_neighbour_as_printf_rounds() -> None:
    """The reference prints with num2str(x, '%.0f'), C's printf: ssd-pascal-vggvd-512's
    relu4_3 features for a batch of 128 are exactly 36.5 GiB at 512 x 512 and 328.5 GiB at
    1536 x 1536, printed `36 GB` and `328 GB`; 37.5 goes up to 38, the even neighbour."""
    assert readable_memory(36.5 * 2**30) == "36 GB"
    assert readable_memory(328.5 * 2**30) == "328 GB"
    assert readable_memory(37.5 * 2**30) == "38 GB"
    assert readable_flops(2.5e9) == "2 GFLOPs"
