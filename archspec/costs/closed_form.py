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

Attention makes costs grow faster: tokens made from an image are H·W per
image, and attention's score matrix is N² of them.  A class whose totals are
not bilinear is fitted as a polynomial of degree <= 2 in each of H and W (9
sizes, checked at 8 more).  A network whose sides do not each follow one axis
(tokens from H x W, windows) has no side model; its sizes are priced from the
layers' own shape rules (`probe_costs`) and its working sizes found by trying
them (`ProbeModel`).  A token sequence's one size is its length N: its totals
are polynomials in N, over the lengths at which it runs (a learnt position
table bounds them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from math import comb
from typing import Any, Protocol

import numpy as np

from ..errors import ArchError
from ..graph.layer_graph import Graph
from ..graph.shapes import propagate_many, works
from ..graph.sides import SideModel, total_stride
from ..kinds.shape import TOKENS
from ..limits import MAX_STRIDE
from .engine import analysed_nodes
from .sweep import grid_costs, probe_costs, side_model

QUANTITIES = ("flops", "macs", "feature_bytes")
FIT = [(0, 0), (1, 0), (0, 1), (1, 1)]  # (u, v) steps of S the coefficients come from
CHECK = [(2, 0), (0, 2), (2, 1), (1, 2), (2, 2)]  # further sizes that must agree
FIT_POINTS = 2048  # sizes evaluated per call while fitting (bounds memory)
SHIFTS = 4  # steps of S up from the probes at which a class's form may start
# degree 2 in each axis: 9 sizes give the coefficients, 8 more must agree
FIT2 = [(u, v) for u in range(3) for v in range(3)]
CHECK2 = [(3, 0), (0, 3), (3, 1), (1, 3), (3, 3), (4, 2), (2, 4), (4, 4)]
# a token sequence: one size, N
FIT_N1, CHECK_N1 = [0, 1], [2, 3, 4]
FIT_N2, CHECK_N2 = [0, 1, 2], [3, 4, 5, 6]
SUPERSCRIPTS = {1: "", 2: "²", 3: "³", 4: "⁴"}


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


@dataclass(frozen=True)
class Polynomial:
    """Σ c·H^i·W^j (or Σ c·N^i for a token sequence), exact rational
    coefficients keyed by their exponents, highest degree first."""

    variables: tuple[str, ...]
    terms: tuple[tuple[tuple[int, ...], Fraction], ...]

    def __call__(self, *sizes: int) -> Fraction:
        total = Fraction(0)
        for powers, coefficient in self.terms:
            value = coefficient
            for size, power in zip(sizes, powers):
                value *= size ** power
            total += value
        return total

    def monomial(self, powers: tuple[int, ...]) -> str:
        return "·".join(f"{name}{SUPERSCRIPTS[p]}" for name, p in zip(self.variables, powers) if p)

    def render(self, terms: Any = None) -> str:
        """Written out, highest powers first (`terms` is ignored: a polynomial
        names its own variables)."""
        parts = []
        for powers, coefficient in self.terms:
            if coefficient == 0:
                continue
            body, value = self.monomial(powers), _number(coefficient)
            text = body if value == "1" and body else f"{value}·{body}" if body else value
            parts.append(("−" if coefficient < 0 else "+", text))
        if not parts:
            return "0"
        first_sign, first = parts[0]
        return ("−" if first_sign == "−" else "") + first + "".join(f" {sign} {body}" for sign, body in parts[1:])

    def square(self) -> Polynomial:
        """The same total for N x N inputs: a polynomial in N."""
        if len(self.variables) == 1:
            return self
        merged: dict[tuple[int, ...], Fraction] = {}
        for powers, coefficient in self.terms:
            key = (sum(powers),)
            merged[key] = merged.get(key, Fraction(0)) + coefficient
        return polynomial(("N",), merged)

    def as_strings(self) -> dict[str, str]:
        """Coefficients keyed by their monomial, written `H^2*W`, `N^2`, `1`."""
        def key(powers: tuple[int, ...]) -> str:
            named = [name if p == 1 else f"{name}^{p}" for name, p in zip(self.variables, powers) if p]
            return "*".join(named) or "1"
        return {key(powers): str(c) for powers, c in self.terms if c != 0}


def polynomial(variables: tuple[str, ...], coefficients: dict[tuple[int, ...], Fraction]) -> Polynomial:
    ordered = sorted(coefficients.items(), key=lambda item: (-sum(item[0]), tuple(-p for p in item[0])))
    return Polynomial(variables, tuple((k, v) for k, v in ordered if v != 0))


Form = Bilinear | Polynomial


class SizeModel(Protocol):
    """What the closed form needs to know of a network's sizes (graph/sides.py's
    SideModel, or a ProbeModel)."""

    @property
    def nodes(self) -> list[int]: ...

    @property
    def stride(self) -> int: ...

    @property
    def base(self) -> int: ...

    @property
    def min_size(self) -> tuple[int, int]: ...

    @property
    def runs(self) -> np.ndarray: ...

    @property
    def square_start(self) -> int: ...

    def works(self, heights: Any, widths: Any, graph: Graph) -> np.ndarray: ...

    def failure(self, height: int, width: int) -> str: ...


@dataclass(frozen=True)
class ProbeModel:
    """The working sizes of a network without a per-axis side model, found by
    trying square sizes (a token sequence: lengths) with the layers' own shape
    rules.  `upper`: the largest size at which it runs, when it stops running
    above it (a position table's rows)."""

    nodes: list[int]
    stride: int
    base: int
    min_size: tuple[int, int]
    runs: np.ndarray
    square_start: int
    upper: int | None

    def works(self, heights: Any, widths: Any, graph: Graph) -> np.ndarray:
        hs, ws = np.asarray(heights, dtype=np.int64), np.asarray(widths, dtype=np.int64)
        return np.array([works(graph, self.nodes, (int(h), int(w))) for h, w in zip(hs, ws)], dtype=bool)

    def failure(self, height: int, width: int) -> str:
        if self.upper is not None and max(height, width) > self.upper:
            return f"it runs only up to {self.upper} (its largest working size)"
        return f"some layer cannot take it (it runs from {self.square_start} up)"


PROBE_STEPS = 12  # steps of S beyond the spec's size over which working sizes are found


def build_probe_model(graph: Graph, nodes: list[int], tokens: bool) -> ProbeModel:
    stride = total_stride(graph, nodes)
    if stride > MAX_STRIDE:
        raise ArchError(f"the total stride {stride} is too large for a per-size model")
    first = graph.nodes[graph.input_ids[0]].shape
    assert first is not None
    top = max(first[1], first[2]) + PROBE_STEPS * stride
    sides = np.arange(1, top + 1, dtype=np.int64)
    _, failed = propagate_many(graph, nodes, np.stack([sides, sides], axis=1))
    ok = ~failed
    if not ok.any():
        raise ArchError(f"the network runs at no size from 1 to {top}")
    upper = None
    end = top
    if not ok[-1]:  # it stops running: the formula holds up to the last working size
        end = int(sides[np.flatnonzero(ok)[-1]])
        upper = end
    # residues that run at the end of the range, and from where every size of them does
    runs = np.array([bool(ok[n - 1]) for n in range(end - stride + 1, end + 1)], dtype=bool)
    runs = np.roll(runs, (end + 1) % stride) if stride > 1 else runs
    in_class = runs[sides[:end] % stride]
    bad = np.flatnonzero(in_class & ~ok[:end])
    start = int(sides[bad[-1]]) + 1 if len(bad) else 1
    base = stride * max(0, (start - 1) // stride)
    both = np.stack([runs, runs])
    return ProbeModel(nodes, stride, base, (start, start), both, start, upper)


@dataclass
class ClosedForm:
    graph: Graph
    upto: str | None
    dtype: str
    convention: str
    model: SizeModel
    tokens: bool = False  # the input is a token sequence: one size, its length N
    _forms: dict[tuple[int, int], dict[str, Form]] = field(default_factory=dict)
    starts: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    @property
    def upper(self) -> int | None:
        """The largest size at which the network runs, when there is one."""
        return self.model.upper if isinstance(self.model, ProbeModel) else None

    def totals(self, hs: np.ndarray, ws: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The engine's figures at these sizes, and the sizes where it does not run."""
        if isinstance(self.model, SideModel):
            costs = grid_costs(self.graph, hs, ws, self.upto, self.dtype, self.convention)
            return costs.totals, np.zeros(len(hs), dtype=bool)
        costs, failed = probe_costs(self.graph, hs, ws if not self.tokens else hs, self.upto, self.dtype,
                                    self.convention)
        if self.upper is not None:
            failed = failed | (np.maximum(hs, ws) > self.upper)
        return costs.totals, failed

    @property
    def stride(self) -> int:
        return self.model.stride

    def runs(self, rh: int, rw: int) -> bool:
        """Whether the network runs at all in this residue class."""
        return bool(self.model.runs[0][rh] and self.model.runs[1][rw])

    def forms(self, pairs: list[tuple[int, int]]) -> list[dict[str, Form]]:
        """The coefficients of every quantity for each residue class (H mod S,
        W mod S); empty for a class in which the network does not run."""
        for p in pairs:
            if not self.runs(*p):
                self._forms[p] = {}
        missing = sorted({p for p in pairs if p not in self._forms})
        if missing:
            self._fit(missing)
        return [self._forms[p] for p in pairs]

    def form(self, quantity: str, h: int, w: int) -> Form:
        return self.forms([(h % self.stride, w % self.stride)])[0][quantity]

    def evaluate(self, quantity: str, h: int, w: int, batch: int = 1) -> int:
        if not self.model.works(np.array([h]), np.array([w]), self.graph)[0]:
            raise ArchError(f"the network does not run at {h} x {w}: {self.model.failure(h, w)}")
        start = self.start(h % self.stride, w % self.stride)
        if h < start[0] or w < start[1]:
            raise ArchError(f"at {h} x {w} a counting rule differs from its form at larger sizes; "
                            f"the formula of this class holds from {start[0]} x {start[1]}")
        form = self.form(quantity, h, w)
        value = (form(h) if isinstance(form, Polynomial) and self.tokens else form(h, w)) * batch
        assert value.denominator == 1
        return int(value)

    def _fit(self, pairs: list[tuple[int, int]]) -> None:
        """Coefficients from the engine's figures at 4 sizes of each class,
        checked at 5 more.  A rule that switches form at some size (a pool
        priced as global while its window covers the input) is fitted from
        the first steps of S at which all 9 sizes agree; the class's form then
        holds from there (`starts`)."""
        s = self.stride
        fitters: list[tuple[list[Any], list[Any]]] = (
            [(FIT_N1, CHECK_N1), (FIT_N2, CHECK_N2)] if self.tokens else [(FIT, CHECK), (FIT2, CHECK2)])
        pending = list(pairs)
        for degree, (fit, check) in enumerate(fitters, start=1):
            steps: list[Any] = fit + check
            per_call = max(1, FIT_POINTS // len(steps))
            left: list[tuple[int, int]] = []
            for first in range(0, len(pending), per_call):
                left += self._fit_degree(pending[first:first + per_call], steps, degree)
            pending = left
            if not pending:
                return
        rh, rw = pending[0]
        upper = self.upper
        if upper is not None and (upper - self.model.square_start) // s < 2 * SHIFTS:
            raise ArchError(f"the network runs only from {self.model.square_start} to {upper} per side: too "
                            "few sizes of each class for a formula (a learnt positional embedding fixes the "
                            "number of tokens, hence the input size)")
        if self.tokens:
            raise ArchError("the totals are not a polynomial of degree 2 or less in the sequence length N "
                            f"(N ≡ {rh} mod {s}), or the network runs at too few lengths to tell")
        raise ArchError(f"the totals are not of the form a·H·W + b·H + c·W + d in the class "
                        f"H ≡ {rh}, W ≡ {rw} (mod {s}), nor a polynomial of degree 2 or less in each of "
                        "H and W (or the network runs at too few sizes of the class to tell)")

    def _fit_degree(self, pending: list[tuple[int, int]], steps: list[Any], degree: int) -> list[tuple[int, int]]:
        """Fit each class at this degree from the first steps of S at which its
        sizes agree with it; the classes left unfitted."""
        s, base = self.stride, self.model.base
        count = len(steps)
        for k in range(SHIFTS):
            if self.tokens:
                hs = np.array([base + rh + s * (u + k) for rh, _ in pending for u in steps], dtype=np.int64)
                ws = hs
            else:
                hs = np.array([base + rh + s * (u + k) for rh, _ in pending for u, _ in steps], dtype=np.int64)
                ws = np.array([base + rw + s * (v + k) for _, rw in pending for _, v in steps], dtype=np.int64)
            totals, failed = self.totals(hs, ws)
            unfitted = []
            for n, (rh, rw) in enumerate(pending):
                h0, w0 = base + rh + s * k, base + rw + s * k
                forms = None
                if not failed[n * count:(n + 1) * count].any():
                    if self.tokens:
                        forms = _forms_in_n(totals, n * count, h0, s, degree)
                    elif degree == 1:
                        forms = _forms_from(totals, n * count, h0, w0, s)
                    else:
                        forms = _quadratic_forms(totals, n * count, h0, w0, s)
                if forms is None:
                    unfitted.append((rh, rw))
                    continue
                self._forms[(rh, rw)] = forms
                if k:
                    self.starts[(rh, rw)] = (h0, w0)
            pending = unfitted
            if not pending:
                break
        return pending

    def start(self, rh: int, rw: int) -> tuple[int, int]:
        """The smallest height and width of the class from which its form holds."""
        self.forms([(rh, rw)])
        h0, w0 = self.starts.get((rh, rw), self.model.min_size)
        return first_at_least(h0, self.stride, rh), first_at_least(w0, self.stride, rw)

    def square_groups(self, quantity: str) -> list[tuple[list[int], Form, int]]:
        """N x N inputs: residues N mod S with the same a*N² + e*N + f, grouped,
        with the smallest N of the group from which its form holds."""
        forms = self.forms([(r, r) for r in range(self.stride)])
        groups: dict[Form, list[int]] = {}
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
                s: int) -> dict[str, Form] | None:
    """Each quantity's form from its 9 figures at `first`, or None if they
    are not of the form."""
    forms: dict[str, Form] = {}
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


def _differences(values: list[Any]) -> list[Any]:
    """Forward differences f(0), Δf(0), Δ²f(0), ... of equally spaced values."""
    out, row = [], list(values)
    while row:
        out.append(row[0])
        row = [b - a for a, b in pairwise(row)]
    return out


def _choose(k: int) -> list[Fraction]:
    """The binomial coefficient C(u, k) as a polynomial in u (coefficients of u^0, u^1, ...)."""
    poly = [Fraction(1)]
    for j in range(k):  # times (u − j)/(j + 1)
        poly = [Fraction(0)] + poly
        for i in range(len(poly) - 1):
            poly[i] -= j * poly[i + 1]
        poly = [c / (j + 1) for c in poly]
    return poly


def _newton(differences: list[Any]) -> list[Fraction]:
    """The polynomial in u through equally spaced values, from their differences."""
    poly = [Fraction(0)] * len(differences)
    for k, d in enumerate(differences):
        for i, c in enumerate(_choose(k)):
            poly[i] += d * c
    return poly


def _in_size(poly_u: list[Fraction], start: int, s: int) -> list[Fraction]:
    """Rewrite p(u), u = (X − start)/S, as a polynomial in X."""
    out = [Fraction(0)] * len(poly_u)
    for i, c in enumerate(poly_u):
        for a in range(i + 1):  # ((X − start)/S)^i = Σ C(i, a) X^a (−start)^(i−a) / S^i
            out[a] += c * comb(i, a) * Fraction((-start) ** (i - a), s ** i)
    return out


def _forms_in_n(totals: dict[str, np.ndarray], first: int, n0: int, s: int,
                degree: int) -> dict[str, Form] | None:
    """Each quantity as a polynomial of `degree` in the sequence length N, from
    its figures at N = n0 + S·u (u = 0, 1, ...), or None if they disagree."""
    fit = degree + 1
    forms: dict[str, Form] = {}
    for quantity in QUANTITIES:
        t = [int(v) for v in totals[quantity][first:first + fit + len(CHECK_N2 if degree == 2 else CHECK_N1)]]
        poly_u = _newton(_differences(t[:fit]))
        for u, value in enumerate(t[fit:], start=fit):
            if sum(c * u ** i for i, c in enumerate(poly_u)) != value:
                return None
        forms[quantity] = polynomial(("N",), {(i,): c for i, c in enumerate(_in_size(poly_u, n0, s))})
    return forms


def _quadratic_forms(totals: dict[str, np.ndarray], first: int, h0: int, w0: int,
                     s: int) -> dict[str, Form] | None:
    """Each quantity as a polynomial of degree <= 2 in each of H and W, from its
    figures at the 9 sizes FIT2 and checked at CHECK2, or None."""
    forms: dict[str, Form] = {}
    for quantity in QUANTITIES:
        t = [int(v) for v in totals[quantity][first:first + len(FIT2) + len(CHECK2)]]
        grid = {step: value for step, value in zip(FIT2, t)}
        # differences along u for each v, then along v: the 2-D Newton form
        along_u = {v: _newton(_differences([grid[(u, v)] for u in range(3)])) for v in range(3)}
        coefficients: dict[tuple[int, int], Fraction] = {}
        for i in range(3):
            for j, c in enumerate(_newton(_differences([along_u[v][i] for v in range(3)]))):
                coefficients[(i, j)] = c
        for (u, v), value in zip(CHECK2, t[len(FIT2):]):
            if sum((c * u ** i * v ** j for (i, j), c in coefficients.items()), Fraction(0)) != value:
                return None
        in_h: dict[tuple[int, ...], Fraction] = {}
        for (i, j), c in coefficients.items():
            for a, ch in enumerate(_in_size([Fraction(0)] * i + [Fraction(1)], h0, s)):
                for b, cw in enumerate(_in_size([Fraction(0)] * j + [Fraction(1)], w0, s)):
                    in_h[(a, b)] = in_h.get((a, b), Fraction(0)) + c * ch * cw
        forms[quantity] = polynomial(("H", "W"), in_h)
    return forms


def closed_form(graph: Graph, upto: str | None = None, dtype: str = "float32",
                convention: str = "burden") -> ClosedForm:
    nodes = analysed_nodes(graph, upto)
    tokens = graph.nodes[graph.input_ids[0]].layout == TOKENS
    try:
        model: SizeModel = side_model(graph, upto)
    except ArchError:
        model = build_probe_model(graph, nodes, tokens)
    return ClosedForm(graph, upto, dtype, convention, model, tokens)


def first_at_least(value: int, stride: int, residue: int) -> int:
    """The smallest size >= value that is congruent to residue modulo stride."""
    return value + (residue - value) % stride
