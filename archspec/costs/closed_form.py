"""Total FLOPs, MACs and feature memory as exact formulas in the input size.

Within one residue class of (H, W) modulo the total stride S every layer's
output side is affine in the input side (see side_model.py), and every
counting rule multiplies at most one height by one width, so each total is
exactly

    T(H, W) = B * (a*H*W + b*H + c*W + d)      (a, b, c, d rational)

per class, for every size at which the network runs.  The coefficients are
found exactly from the engine's own figures at four sizes of the class
(H = h0 + S*u, W = w0 + S*v with u, v in {0, 1}) and checked at five more,
so a rule that is not of this form is reported, never silently fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..errors import ArchError
from ..graph.layer_graph import Graph
from ..graph.sides import SideModel
from .sweep import grid_costs, side_model

QUANTITIES = ("flops", "macs", "feature_bytes")
FIT = [(0, 0), (1, 0), (0, 1), (1, 1)]  # (u, v) steps of S the coefficients come from
CHECK = [(2, 0), (0, 2), (2, 1), (1, 2), (2, 2)]  # further sizes that must agree
FIT_POINTS = 2048  # sizes evaluated per call while fitting (bounds memory)
SHIFTS = 4  # steps of S up from the probes at which a class's form may start


def _number(x: Fraction) -> str:
    text = f"{abs(x.numerator):,}"
    return text if x.denominator == 1 else f"{text}/{x.denominator:,}"


@dataclass(frozen=True)
class Bilinear:
    """a*H*W + b*H + c*W + d."""

    a: Fraction
    b: Fraction
    c: Fraction
    d: Fraction

    def __call__(self, h: int, w: int) -> Fraction:
        return self.a * h * w + self.b * h + self.c * w + self.d

    def render(self, terms: tuple[str, str, str] = ("H·W", "H", "W")) -> str:
        parts = []
        for coefficient, term in zip((self.a, self.b, self.c, self.d), terms + ("",)):
            if coefficient == 0:
                continue
            sign = "−" if coefficient < 0 else "+"
            value = _number(coefficient)
            body = (term if value == "1" and term else f"{value}·{term}" if term else value)
            parts.append((sign, body))
        if not parts:
            return "0"
        first_sign, first = parts[0]
        text = ("−" if first_sign == "−" else "") + first
        return text + "".join(f" {sign} {body}" for sign, body in parts[1:])

    def square(self) -> Bilinear:
        """The same total for N x N inputs, as a*N² + (b+c)*N + d (c slot unused)."""
        return Bilinear(self.a, self.b + self.c, Fraction(0), self.d)

    def as_strings(self) -> dict[str, str]:
        return {k: str(getattr(self, k)) for k in "abcd"}


@dataclass
class ClosedForm:
    graph: Graph
    upto: str | None
    dtype: str
    convention: str
    model: SideModel
    _forms: dict[tuple[int, int], dict[str, Bilinear]] = field(default_factory=dict)
    starts: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    @property
    def stride(self) -> int:
        return self.model.stride

    def runs(self, rh: int, rw: int) -> bool:
        """Whether the network runs at all in this residue class."""
        return bool(self.model.runs[0][rh] and self.model.runs[1][rw])

    def forms(self, pairs: list[tuple[int, int]]) -> list[dict[str, Bilinear]]:
        """The coefficients of every quantity for each residue class (H mod S,
        W mod S); empty for a class in which the network does not run."""
        for p in pairs:
            if not self.runs(*p):
                self._forms[p] = {}
        missing = sorted({p for p in pairs if p not in self._forms})
        if missing:
            self._fit(missing)
        return [self._forms[p] for p in pairs]

    def form(self, quantity: str, h: int, w: int) -> Bilinear:
        return self.forms([(h % self.stride, w % self.stride)])[0][quantity]

    def evaluate(self, quantity: str, h: int, w: int, batch: int = 1) -> int:
        if not self.model.works(np.array([h]), np.array([w]), self.graph)[0]:
            raise ArchError(f"the network does not run at {h} x {w}: {self.model.failure(h, w)}")
        start = self.start(h % self.stride, w % self.stride)
        if h < start[0] or w < start[1]:
            raise ArchError(f"at {h} x {w} a counting rule differs from its form at larger sizes; "
                            f"the formula of this class holds from {start[0]} x {start[1]}")
        value = self.form(quantity, h, w)(h, w) * batch
        assert value.denominator == 1
        return int(value)

    def _fit(self, pairs: list[tuple[int, int]]) -> None:
        """Coefficients from the engine's figures at 4 sizes of each class,
        checked at 5 more.  A rule that switches form at some size (a pool
        priced as global while its window covers the input) is fitted from
        the first steps of S at which all 9 sizes agree; the class's form then
        holds from there (`starts`)."""
        s, base = self.stride, self.model.base
        steps = FIT + CHECK
        count = len(steps)
        per_call = max(1, FIT_POINTS // count)
        for first in range(0, len(pairs), per_call):
            pending = pairs[first:first + per_call]
            for k in range(SHIFTS):
                hs = np.array([base + rh + s * (u + k) for rh, _ in pending for u, _ in steps], dtype=np.int64)
                ws = np.array([base + rw + s * (v + k) for _, rw in pending for _, v in steps], dtype=np.int64)
                totals = grid_costs(self.graph, hs, ws, self.upto, self.dtype, self.convention).totals
                unfitted = []
                for n, (rh, rw) in enumerate(pending):
                    forms = _forms_from(totals, n * count, base + rh + s * k, base + rw + s * k, s)
                    if forms is None:
                        unfitted.append((rh, rw))
                        continue
                    self._forms[(rh, rw)] = forms
                    if k:
                        self.starts[(rh, rw)] = (base + rh + s * k, base + rw + s * k)
                pending = unfitted
                if not pending:
                    break
            if pending:
                rh, rw = pending[0]
                raise ArchError(f"the totals are not of the form a·H·W + b·H + c·W + d in the class "
                                f"H ≡ {rh}, W ≡ {rw} (mod {s}); some layer's rule is not bilinear "
                                "in the input size")

    def start(self, rh: int, rw: int) -> tuple[int, int]:
        """The smallest height and width of the class from which its form holds."""
        self.forms([(rh, rw)])
        h0, w0 = self.starts.get((rh, rw), self.model.min_size)
        return first_at_least(h0, self.stride, rh), first_at_least(w0, self.stride, rw)

    def square_groups(self, quantity: str) -> list[tuple[list[int], Bilinear, int]]:
        """N x N inputs: residues N mod S with the same a*N² + e*N + f, grouped,
        with the smallest N of the group from which its form holds."""
        forms = self.forms([(r, r) for r in range(self.stride)])
        groups: dict[Bilinear, list[int]] = {}
        for r, f in enumerate(forms):
            if f:
                groups.setdefault(f[quantity].square(), []).append(r)
        out = []
        for form, residues in groups.items():
            start = min(max(self.start(r, r)[0], self.start(r, r)[1],
                            first_at_least(self.model.square_start, self.stride, r)) for r in residues)
            out.append((residues, form, start))
        return out


def _forms_from(totals: dict[str, np.ndarray], first: int, h0: int, w0: int,
                s: int) -> dict[str, Bilinear] | None:
    """Each quantity's form from its 9 figures at `first`, or None if they
    are not of the form."""
    forms = {}
    for quantity in QUANTITIES:
        t = [int(v) for v in totals[quantity][first:first + len(FIT) + len(CHECK)]]
        # T(u, v) = A*u*v + B*u + C*v + D, with integers
        d, b, c = t[0], t[1] - t[0], t[2] - t[0]
        a = t[3] - t[1] - t[2] + t[0]
        if any(a * u * v + b * u + c * v + d != value for (u, v), value in zip(CHECK, t[len(FIT):])):
            return None
        forms[quantity] = _to_sizes(a, b, c, d, h0, w0, s)
    return forms


def _to_sizes(a: int, b: int, c: int, d: int, h0: int, w0: int, s: int) -> Bilinear:
    """Rewrite A*u*v + B*u + C*v + D with u = (H - h0)/S, v = (W - w0)/S in H and W."""
    A, B, C, D = (Fraction(x) for x in (a, b, c, d))
    return Bilinear(
        A / s**2,
        B / s - A * w0 / s**2,
        C / s - A * h0 / s**2,
        D - B * h0 / s - C * w0 / s + A * h0 * w0 / s**2,
    )


def closed_form(graph: Graph, upto: str | None = None, dtype: str = "float32",
                convention: str = "burden") -> ClosedForm:
    return ClosedForm(graph, upto, dtype, convention, side_model(graph, upto))


def first_at_least(value: int, stride: int, residue: int) -> int:
    """The smallest size >= value that is congruent to residue modulo stride."""
    return value + (residue - value) % stride
