"""Formulas: integer arithmetic over a layer where it sits, written once and
read three ways.

A layer kind states each of its costs as a `Formula` built from `Term`s
(`2 * OUT`, `MACS + BIAS`).  The same object

* computes the figure (`formula(site)`), on plain ints or, in a sweep, on
  numpy arrays holding the figure at many input sizes;
* writes itself out for people (`formula.written()`: `2·out`), and
* writes itself out with the layer's numbers substituted
  (`formula.substituted(site)`: `2 × 112·112·64`),

so `archspec explain` can never show arithmetic that differs from the
figure it explains.  Python's operators build the tree, so a formula reads
as it is written: `OUT + (2 + 2 * C) * H * W`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .site import Site

# Binding strength when written out: a looser child of a tighter parent is bracketed.
_SUM, _PRODUCT, _ATOM = 1, 2, 3


class Formula:
    """An integer expression over a `Site`."""

    binding = _ATOM

    def __call__(self, site: Site) -> Any:
        raise NotImplementedError

    def written(self) -> str:
        """The formula in names: `2·out·stride_area`."""
        raise NotImplementedError

    def substituted(self, site: Site) -> str:
        """The formula in the layer's numbers: `2 × 56·56·64 × 2·2`."""
        raise NotImplementedError

    def written_at(self, site: Site) -> str:
        """The formula in names as it applies at this site (a formula that
        chooses between cases writes only the case taken)."""
        return self.written()

    def uncounted(self, site: Site) -> str | None:
        """Why the cost is not counted at this site (a convention that does not
        count it), or None when it is."""
        return None

    def parts(self) -> tuple[Formula, ...]:
        """The formulas this one is made of."""
        return ()

    def notes(self, site: Site) -> list[str]:
        """What its terms say about themselves at this site (e.g. how groups
        split the channels), for a reader of the numbers."""
        return [note for part in self.parts() for note in part.notes(site)]

    # Python's operators build the tree, in Python's own precedence.
    def __add__(self, other: Formula | int) -> Formula:
        return Sum(self, lift(other), "+")

    def __radd__(self, other: int) -> Formula:
        return Sum(lift(other), self, "+")

    def __sub__(self, other: Formula | int) -> Formula:
        return Sum(self, lift(other), "-")

    def __rsub__(self, other: int) -> Formula:
        return Sum(lift(other), self, "-")

    def __mul__(self, other: Formula | int) -> Formula:
        return Product(self, lift(other))

    def __rmul__(self, other: int) -> Formula:
        return Product(lift(other), self)

    def __floordiv__(self, other: Formula | int) -> Formula:
        return Quotient(self, lift(other))


def lift(value: Formula | int) -> Formula:
    return value if isinstance(value, Formula) else Const(value)


def _bracket(text: str, needed: bool) -> str:
    return f"({text})" if needed else text


class Const(Formula):
    def __init__(self, value: int) -> None:
        self.value = value

    def __call__(self, site: Site) -> Any:
        return self.value

    def written(self) -> str:
        return str(self.value)

    def substituted(self, site: Site) -> str:
        return str(self.value)


class Uncounted(Const):
    """A cost a convention does not count, and why (`explain` says so)."""

    def __init__(self, reason: str) -> None:
        super().__init__(0)
        self.reason = reason

    def uncounted(self, site: Site) -> str | None:
        return self.reason


class Term(Formula):
    """A named quantity of the site: `out`, `C`, `bias`.  `show` writes its
    numbers (`112·112·64` for the elements of a 112 x 112 x 64 tensor)."""

    # A term reads whatever its kind offers (`s.layer.groups`), so it takes the site untyped.
    def __init__(self, name: str, value: Callable[[Any], Any], show: Callable[[Any], str] | None = None,
                 meaning: str = "", note: Callable[[Any], str | None] | None = None) -> None:
        self.name = name
        self.value = value
        self.show = show or (lambda site: str(value(site)))
        self.meaning = meaning  # for the docs: what the name stands for
        self.note = note

    def notes(self, site: Site) -> list[str]:
        said = self.note(site) if self.note else None
        return [said] if said else []

    def __call__(self, site: Site) -> Any:
        return self.value(site)

    def written(self) -> str:
        return self.name

    def substituted(self, site: Site) -> str:
        return self.show(site)


class Named(Formula):
    """A formula known by a name where it is used (`macs`), written out in
    full when its numbers are substituted."""

    def __init__(self, name: str, formula: Formula) -> None:
        self.name = name
        self.formula = formula

    def __call__(self, site: Site) -> Any:
        return self.formula(site)

    def written(self) -> str:
        return self.name

    def substituted(self, site: Site) -> str:
        return self.formula.substituted(site)

    def parts(self) -> tuple[Formula, ...]:
        return (self.formula,)


class Factors(Formula):
    """A product of small numbers written tight, `7·7·3`: the shape of one
    array or the work of one output element."""

    def __init__(self, *factors: Formula | int) -> None:
        self.factors = tuple(lift(f) for f in factors)

    def __call__(self, site: Site) -> Any:
        value: Any = 1
        for factor in self.factors:
            value = value * factor(site)
        return value

    def written(self) -> str:
        return "·".join(_bracket(f.written(), f.binding < _ATOM) for f in self.factors)

    def substituted(self, site: Site) -> str:
        return "·".join(_bracket(f.substituted(site), f.binding < _ATOM) for f in self.factors)

    def parts(self) -> tuple[Formula, ...]:
        return self.factors


class Sum(Formula):
    binding = _SUM

    def __init__(self, left: Formula, right: Formula, op: str) -> None:
        self.left, self.right, self.op = left, right, op

    def __call__(self, site: Site) -> Any:
        left, right = self.left(site), self.right(site)
        return left + right if self.op == "+" else left - right

    def _join(self, left: str, right: str) -> str:
        # a difference brackets a sum on its right: a − (b + c)
        if self.op == "-" and self.right.binding == _SUM:
            right = f"({right})"
        return f"{left} {'+' if self.op == '+' else '−'} {right}"

    def written(self) -> str:
        return self._join(self.left.written(), self.right.written())

    def substituted(self, site: Site) -> str:
        return self._join(self.left.substituted(site), self.right.substituted(site))

    def parts(self) -> tuple[Formula, ...]:
        return self.left, self.right


class Product(Formula):
    """a × b: written `a·b`; with numbers `a × b`, each side bracketed when
    its own numbers hold a sum or a product of their own."""

    binding = _PRODUCT

    def __init__(self, left: Formula, right: Formula) -> None:
        self.left, self.right = left, right

    def __call__(self, site: Site) -> Any:
        return self.left(site) * self.right(site)

    def written(self) -> str:
        return "·".join(_bracket(f.written(), f.binding < _PRODUCT) for f in (self.left, self.right))

    def substituted(self, site: Site) -> str:
        parts = []
        for side in (self.left, self.right):
            text = side.substituted(site)
            if isinstance(side, Product):
                parts.append(text)  # a × b × c reads left to right
            else:
                # a tight product among wide ones is one group: 112·112·64 × (7·7·3)
                grouped = isinstance(side, Factors) and len(side.factors) > 1
                loose = grouped or side.binding < _PRODUCT or ("+" in text or "×" in text or "−" in text)
                parts.append(_bracket(text, loose))
        return " × ".join(parts)

    def parts(self) -> tuple[Formula, ...]:
        return self.left, self.right


class Quotient(Formula):
    """floor(a / b), exact on integers."""

    def __init__(self, left: Formula, right: Formula) -> None:
        self.left, self.right = left, right

    def __call__(self, site: Site) -> Any:
        return self.left(site) // self.right(site)

    def written(self) -> str:
        return f"{_bracket(self.left.written(), self.left.binding < _ATOM)}/{self.right.written()}"

    def substituted(self, site: Site) -> str:
        return f"{_bracket(self.left.substituted(site), self.left.binding < _ATOM)}/{self.right.substituted(site)}"

    def parts(self) -> tuple[Formula, ...]:
        return self.left, self.right


class Larger(Formula):
    """max(a, b), element by element on arrays."""

    def __init__(self, left: Formula | int, right: Formula | int) -> None:
        self.left, self.right = lift(left), lift(right)

    def __call__(self, site: Site) -> Any:
        left, right = self.left(site), self.right(site)
        if hasattr(left, "shape") or hasattr(right, "shape"):
            import numpy as np

            return np.maximum(left, right)
        return max(left, right)

    def written(self) -> str:
        return f"max({self.left.written()}, {self.right.written()})"

    def substituted(self, site: Site) -> str:
        return f"max({self.left.substituted(site)}, {self.right.substituted(site)})"

    def parts(self) -> tuple[Formula, ...]:
        return self.left, self.right


class Choice(Formula):
    """`then` where `test` holds at the site, else `otherwise` (e.g. a pooling
    window that covers its whole input is priced as a global pool).  With
    numbers, only the branch taken is written, with the test that chose it."""

    def __init__(self, test: Test, then: Formula | int, otherwise: Formula | int) -> None:
        self.test, self.then, self.otherwise = test, lift(then), lift(otherwise)

    def branch(self, site: Site) -> Formula:
        return self.then if self.test(site) else self.otherwise

    def __call__(self, site: Site) -> Any:
        return self.branch(site)(site)

    def written(self) -> str:
        return f"({self.then.written()} if {self.test.name} else {self.otherwise.written()})"

    def substituted(self, site: Site) -> str:
        taken = self.branch(site)
        said = self.test.name if taken is self.then else self.test.negation
        return f"{taken.substituted(site)} ({said})"

    def uncounted(self, site: Site) -> str | None:
        return self.branch(site).uncounted(site)

    def notes(self, site: Site) -> list[str]:
        return self.branch(site).notes(site)

    def parts(self) -> tuple[Formula, ...]:
        return self.then, self.otherwise


class Cases(Formula):
    """One of several formulas, chosen by a property of the site (`key`): an
    attention layer is counted by a peer tool according to the PyTorch code
    it stands for (its `form`).  Written out, only the case taken appears."""

    def __init__(self, name: str, key: Callable[[Any], str], cases: dict[str, Formula | int]) -> None:
        self.name = name
        self.key = key
        self.cases = {label: lift(formula) for label, formula in cases.items()}

    def branch(self, site: Site) -> Formula:
        return self.cases[self.key(site)]

    def __call__(self, site: Site) -> Any:
        return self.branch(site)(site)

    def written(self) -> str:
        return "; ".join(f"{label}: {formula.written()}" for label, formula in self.cases.items())

    def written_at(self, site: Site) -> str:
        return self.branch(site).written_at(site)

    def substituted(self, site: Site) -> str:
        return self.branch(site).substituted(site)

    def uncounted(self, site: Site) -> str | None:
        return self.branch(site).uncounted(site)

    def notes(self, site: Site) -> list[str]:
        return self.branch(site).notes(site)

    def parts(self) -> tuple[Formula, ...]:
        return tuple(self.cases.values())


class Test:
    """A yes/no property of a site, named for the written formula."""

    def __init__(self, name: str, holds: Callable[[Any], bool], negation: str = "") -> None:
        self.name = name
        self.negation = negation or f"not: {name}"
        self.holds = holds

    def __call__(self, site: Site) -> bool:
        return bool(self.holds(site))


ZERO = Const(0)
