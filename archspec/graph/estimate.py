"""How many layers a block call will make, known before it is expanded.

The expander refuses a network past MAX_LAYERS; without an estimate it finds
out only after making the layers, and a few lines of blocks that each call
the next twice make 2^n of them.  `LayerEstimate` reads a block's body as
syntax, with the call's argument values, and returns a LOWER bound of the
layers the call makes: repeat counts and conditions it can compute from
numbers, arguments and the file's values are used; one it cannot (a count
taken from a tensor's channels, say) counts as the smallest choice (zero
repeats, the smaller branch).  A lower bound above the limit is a certain
refusal, so no network within the limit is ever refused on an estimate.

Results are remembered per (block, arguments), so the estimate of nested
blocks costs one pass per distinct call, however often each is called.
"""

from __future__ import annotations

from typing import Any

from ..kinds import REGISTRY
from ..limits import MAX_ARITHMETIC, MAX_CALL_DEPTH
from ..syntax import tree as ast
from .builtins import BUILTINS
from .values import Block, FileNames

UNKNOWN = object()  # a value the estimate cannot compute without expanding
MAX_ESTIMATES = 100_000  # distinct calls estimated per spec; past this, calls count as zero


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    operations = {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                  "/": lambda: left / right, "//": lambda: left // right, "%": lambda: left % right,
                  "<": lambda: left < right, "<=": lambda: left <= right, ">=": lambda: left >= right,
                  "==": lambda: left == right, "!=": lambda: left != right}
    if op not in operations:
        return UNKNOWN
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    if op in ("==", "!="):
        if not all(isinstance(v, (int, float, str, bool, tuple)) for v in (left, right)):
            return UNKNOWN
    elif not numbers:
        return UNKNOWN
    try:
        result = operations[op]()
    except (ArithmeticError, TypeError, ValueError):
        return UNKNOWN
    if isinstance(result, (int, float)) and not isinstance(result, bool) and abs(result) > MAX_ARITHMETIC:
        return UNKNOWN
    return result


class LayerEstimate:
    """Lower bounds of the layers block calls make (see the module docstring)."""

    def __init__(self) -> None:
        self.memo: dict[tuple[Any, ...], int] = {}
        self.active: list[Block] = []

    def call(self, block: Block, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
        """Layers that `block(*args, **kwargs)` makes, at least."""
        if any(caller is block for caller in self.active) or len(self.active) >= MAX_CALL_DEPTH:
            return 0  # recursion or runaway depth: the expander reports it
        key = (id(block), _frozen(args), _frozen(tuple(sorted(kwargs.items()))))
        if key in self.memo:
            return self.memo[key]
        if len(self.memo) >= MAX_ESTIMATES:
            return 0
        env = self._arguments(block, args, kwargs)
        self.active.append(block)
        try:
            total = 0
            for stmt in block.definition.body:
                total += self.size(stmt.value, env, block.home)
                if isinstance(stmt, ast.Assign):
                    env[stmt.name] = self.value(stmt.value, env, block.home)
        finally:
            self.active.pop()
        self.memo[key] = total
        return total

    def _arguments(self, block: Block, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        env: dict[str, Any] = {}
        for i, param in enumerate(block.definition.params):
            if i < len(args):
                env[param.name] = args[i]
            elif param.name in kwargs:
                env[param.name] = kwargs[param.name]
            elif param.default is not None:
                env[param.name] = self.value(param.default, env, block.home)
            else:
                env[param.name] = UNKNOWN
        return env

    # ---- layers an expression makes ------------------------------------
    def size(self, expr: ast.Expr, env: dict[str, Any], home: FileNames) -> int:
        if isinstance(expr, ast.Chain):
            return sum(self.size(step, env, home) for step in expr.steps)
        if isinstance(expr, ast.Named):
            return self.size(expr.expr, env, home)
        if isinstance(expr, ast.Repeat):
            count = self.value(expr.count, env, home)
            if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
                return 0
            if expr.index is not None:  # `x n with i`: the least any one repeat makes, n times
                env = {**env, expr.index: UNKNOWN}
            return self.size(expr.expr, env, home) * count
        if isinstance(expr, ast.Conditional):
            test = self.value(expr.test, env, home)
            if isinstance(test, bool):
                return self.size(expr.then if test else expr.otherwise, env, home)
            return min(self.size(expr.then, env, home), self.size(expr.otherwise, env, home))
        if isinstance(expr, ast.Name):
            return self._named(expr.id, (), {}, env, home, call=False)
        if isinstance(expr, ast.Call):
            args = tuple(self.value(a, env, home) for a in expr.args)
            kwargs = {k.name: self.value(k.value, env, home) for k in expr.kwargs}
            made = self._named(expr.func, args, kwargs, env, home, call=True)
            if made and expr.func in REGISTRY:  # a layer: and the chains written inline as its inputs
                made += sum(self.size(a, env, home) for a in expr.args if isinstance(a, ast.Chain))
            return made
        return 0

    def _named(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], env: dict[str, Any],
               home: FileNames, call: bool) -> int:
        if name in env or name in home.values:
            return 0  # a value or a tensor
        if call and name in BUILTINS:
            return 0  # a function of numbers (or, with a tensor, maybe a layer: at least none)
        block = home.blocks.get(name)
        if block is None:
            offers = [value for _, value in home.offered(name)]
            block = offers[0] if len(offers) == 1 and isinstance(offers[0], Block) else None
        if block is not None:
            return self.call(block, args, kwargs)
        return 1 if name in REGISTRY else 0

    # ---- values the estimate can compute -------------------------------
    def value(self, expr: ast.Expr, env: dict[str, Any], home: FileNames) -> Any:
        if isinstance(expr, (ast.Number, ast.String, ast.Bool)):
            return expr.value
        if isinstance(expr, ast.Name):
            if expr.id in env:
                return env[expr.id]
            if expr.id in home.values:
                return home.values[expr.id]
            offers = [value for _, value in home.offered(expr.id)]
            return offers[0] if len(offers) == 1 and not isinstance(offers[0], Block) else UNKNOWN
        if isinstance(expr, ast.TupleExpr):
            items = tuple(self.value(item, env, home) for item in expr.items)
            return UNKNOWN if any(item is UNKNOWN for item in items) else items
        if isinstance(expr, ast.Unary):
            operand = self.value(expr.operand, env, home)
            if expr.op == "not":
                return (not operand) if isinstance(operand, bool) else UNKNOWN
            numeric = isinstance(operand, (int, float)) and not isinstance(operand, bool)
            return -operand if numeric else UNKNOWN
        if isinstance(expr, ast.Binary):
            left, right = self.value(expr.left, env, home), self.value(expr.right, env, home)
            if expr.op in ("and", "or"):
                if not (isinstance(left, bool) and isinstance(right, bool)):
                    return UNKNOWN
                return (left and right) if expr.op == "and" else (left or right)
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            return _arithmetic(expr.op, left, right)
        if isinstance(expr, ast.Conditional):
            test = self.value(expr.test, env, home)
            if not isinstance(test, bool):
                return UNKNOWN
            return self.value(expr.then if test else expr.otherwise, env, home)
        if isinstance(expr, ast.Index):
            items, index = self.value(expr.value, env, home), self.value(expr.index, env, home)
            if isinstance(items, tuple) and isinstance(index, int) and not isinstance(index, bool) \
                    and -len(items) <= index < len(items):
                return items[index]
        return UNKNOWN


def _frozen(value: Any) -> Any:
    """A hashable stand-in for an argument value (tensors and unknowns alike are opaque)."""
    if isinstance(value, tuple):
        return tuple(_frozen(v) for v in value)
    if value is UNKNOWN or not isinstance(value, (int, float, str, bool)):
        return ("opaque", id(value) if value is UNKNOWN else type(value).__name__)
    return (type(value).__name__, value)
