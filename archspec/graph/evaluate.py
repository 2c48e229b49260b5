"""Expressions of the spec language: values, arithmetic, names, calls, chains.

An expression evaluates to a plain value (int, float, bool, str, tuple), a
`Tensor`, or a `Pipe` of steps (layers and block calls not yet applied to any
tensor).  Evaluating never creates layers; the expander applies pipes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, NoReturn

from pydantic import ValidationError

from ..errors import ArchError, suggest
from ..kinds import REGISTRY, Layer
from ..kinds.fields import FORMS
from ..limits import MAX_ARITHMETIC, MAX_INT, MAX_LAYERS
from ..syntax import tree as ast
from .builtins import BUILTINS
from .layer_graph import Graph
from .values import Block, BlockStep, GroupStep, LayerStep, Pipe, Scope, SplitStep, Step, Tensor, describe

# Language sugar over the `slice` kind: a tensor cut along its channels into a
# tuple of views, as torch.chunk and torch.split do (ShuffleNetV2's halves).
SPLITTERS = {
    "chunk": "chunk(n) or chunk(x, n): n pieces of ceil(C/n) channels (the last may be smaller)",
    "split": "split(size) or split(x, size): pieces of `size` channels (the last may be smaller); "
             "or split((a, b, ...)): pieces of a, b, ... channels, adding up to C",
}

MISSING = object()  # what `resolve` returns for a name the spec does not define
MAX_MESSAGE = 500  # characters of a spec's own error() message that are shown


class Evaluator:
    """Evaluates expressions in a scope (the expander's half that makes no layers)."""

    graph: Graph
    _layer_cache: dict[tuple[Any, ...], Layer]

    def error(self, message: str, module: ast.Module, pos: ast.Pos, hint: str | None = None) -> ArchError:
        return ArchError(message, module.location(pos), module.source, hint)

    def import_hint(self, name: str, scope: Scope) -> str | None:
        """The import that would define `name`, for an unknown name (the expander knows the files)."""
        return None

    def evaluate(self, expr: ast.Expr, scope: Scope) -> Any:
        return _EVALUATORS[type(expr)](self, expr, scope)

    def eval_Number(self, expr: ast.Number, scope: Scope) -> Any:
        return expr.value

    def eval_String(self, expr: ast.String, scope: Scope) -> Any:
        return expr.value

    def eval_Bool(self, expr: ast.Bool, scope: Scope) -> Any:
        return expr.value

    def eval_InputRef(self, expr: ast.InputRef, scope: Scope) -> Any:
        if scope.input is None:
            raise self.error("`in` has no tensor yet: declare the input first", scope.module, expr.pos)
        return scope.input

    def eval_Index(self, expr: ast.Index, scope: Scope) -> Any:
        value = self.value_of(expr.value, scope)
        index = self.evaluate(expr.index, scope)
        if not isinstance(value, tuple):
            raise self.error(f"only a tuple can be indexed, not {describe(value)}", scope.module, expr.pos)
        if isinstance(index, bool) or not isinstance(index, int) or not -len(value) <= index < len(value):
            raise self.error(f"index {index!r} is outside {describe(value)} (0 to {len(value) - 1})",
                             scope.module, expr.pos)
        return value[index]

    def eval_TupleExpr(self, expr: ast.TupleExpr, scope: Scope) -> Any:
        return tuple(self.value_of(item, scope) for item in expr.items)

    def resolve(self, name: str, scope: Scope, pos: ast.Pos) -> Any:
        """What a name denotes where `scope` runs: a value or tensor, a Block,
        or MISSING (then it may still be a layer kind or a function).  Local
        names first, then the file's own top level (a block body sees the file
        that defined the block), then what the file imports."""
        if name in scope.values:
            return scope.values[name]
        home = scope.file
        if not scope.top and name in home.values:
            return home.values[name]
        if name in home.blocks:
            return home.blocks[name]
        offers = home.offered(name)
        if not offers:
            return MISSING
        files = list({id(file): file for file, _ in offers}.values())
        if len(files) > 1:
            where = " and ".join(file.module.path for file in files[:2])
            raise self.error(f"'{name}' is ambiguous: it is defined by both {where}", scope.module, pos,
                             hint=f"define '{name}' in {scope.module.path}, or rename it in one of them")
        return offers[0][1]

    def eval_Name(self, expr: ast.Name, scope: Scope) -> Any:
        name = expr.id
        value = self.resolve(name, scope, expr.pos)
        if isinstance(value, Block):
            return Pipe([BlockStep(value, (), {}, expr.pos, scope.module)])
        if value is not MISSING:
            return value
        if name in REGISTRY:
            return Pipe([self.make_layer(name, [], [], expr.pos, scope)])
        if name in SPLITTERS:
            raise self.error(f"{name} needs to know how to cut: {SPLITTERS[name]}", scope.module, expr.pos)
        known = list(scope.values) + scope.file.names() + list(REGISTRY)
        raise self.error(f"unknown name '{name}'", scope.module, expr.pos,
                         hint=self.import_hint(name, scope) or suggest(name, known))

    def eval_Call(self, expr: ast.Call, scope: Scope) -> Any:
        args = [self.evaluate(a, scope) for a in expr.args]
        kwargs = [(k, self.value_of(k.value, scope)) for k in expr.kwargs]
        name = expr.func
        target = self.resolve(name, scope, expr.pos)
        if target is not MISSING and not isinstance(target, Block):
            raise self.error(f"'{name}' is {describe(target)}, not something to call", scope.module, expr.pos)
        if name == "channels" and target is MISSING:
            return self.channels_of(args, kwargs, expr, scope)
        if name == "error" and target is MISSING:
            self.refuse(args, kwargs, expr, scope)
        if name in SPLITTERS and target is MISSING:
            return self.splitter(name, args, kwargs, expr, scope)
        wants_tensor = any(isinstance(a, (Tensor, Pipe)) for a in args)
        if name in BUILTINS and not (name in REGISTRY and wants_tensor):
            return self.call_builtin(name, args, kwargs, expr, scope)
        shares, kwargs = self.shared_weights(kwargs, scope)
        if isinstance(target, Block):
            keywords = {}
            for k, v in kwargs:
                if k.name in keywords:
                    raise self.error(f"'{k.name}' is given twice", scope.module, k.pos)
                keywords[k.name] = v
            for a in list(args) + [v for _, v in kwargs]:
                if isinstance(a, Pipe):
                    raise self.error(f"block arguments are values or tensors; got {describe(a)} (name the "
                                     "chain's output first: `t = ...`, then pass `t`)", scope.module, expr.pos)
            return Pipe([BlockStep(target, tuple(args), keywords, expr.pos, scope.module, shares=shares)])
        if name in REGISTRY:
            step = self.make_layer(name, args, kwargs, expr.pos, scope)
            step.shares = shares
            return Pipe([step])
        known = scope.file.names() + list(REGISTRY) + list(BUILTINS) + ["channels", "error"]
        raise self.error(f"unknown layer, block or function '{name}'", scope.module, expr.pos,
                         hint=self.import_hint(name, scope) or suggest(name, known))

    def channels_of(self, args: list[Any], kwargs: list[Any], expr: ast.Call, scope: Scope) -> int:
        """`channels(t)`: a tensor's channel count, which no input size changes."""
        if len(args) != 1 or kwargs or not isinstance(args[0], Tensor):
            raise self.error("channels() takes one tensor, e.g. channels(in)", scope.module, expr.pos)
        return int(self.graph.reference_shapes[args[0].node][0])

    def refuse(self, args: list[Any], kwargs: list[Any], expr: ast.Call, scope: Scope) -> NoReturn:
        """`error("message")`: the spec refuses what it was asked (an unknown
        setting, say), in its own words, at the call."""
        if len(args) != 1 or kwargs or not isinstance(args[0], str):
            raise self.error("error() takes one message string, e.g. error(\"arch is b or v2_s\")",
                             scope.module, expr.pos)
        message = args[0].strip()[:MAX_MESSAGE] or "the spec refuses this setting"
        # a spec is not trusted: its message shows no control characters (a terminal's escapes)
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        raise self.error(shown, scope.module, expr.pos)

    def splitter(self, how: str, args: list[Any], kwargs: list[Any], expr: ast.Call, scope: Scope) -> Pipe:
        """`chunk(n)`, `split(sizes)`, or with the tensor first, `chunk(x, n)`: a
        step that cuts the chain's tensor into channel slices (expand.py)."""
        usage = SPLITTERS[how]
        if kwargs:
            raise self.error(f"{how} takes no options: {usage}", scope.module, kwargs[0][0].pos)
        source = args[0] if args and isinstance(args[0], Tensor) else None
        rest = args[1:] if source is not None else args
        if len(rest) != 1:
            raise self.error(f"{how} takes one {'count' if how == 'chunk' else 'size or tuple of sizes'}: "
                             f"{usage}", scope.module, expr.pos)
        value = rest[0]
        items = value if isinstance(value, tuple) and how == "split" else (value,)
        if not items or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in items):
            raise self.error(f"{how} needs whole numbers of at least 1, got {describe(value)}: {usage}",
                             scope.module, expr.pos)
        self.check_magnitude(value, how, scope.module, expr.pos)
        return Pipe([SplitStep(how, value, expr.pos, scope.module)], source)

    def call_builtin(self, name: str, args: list[Any], kwargs: list[tuple[ast.Keyword, Any]],
                     expr: ast.Call, scope: Scope) -> Any:
        for a in args:
            if isinstance(a, (Tensor, Pipe)):
                raise self.error(f"{name}() takes numbers, got {describe(a)}", scope.module, expr.pos)
        try:
            return BUILTINS[name](*args, **{k.name: v for k, v in kwargs})
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
            raise self.error(f"{name}(): {exc}", scope.module, expr.pos) from None

    def make_layer(self, kind: str, args: list[Any], kwargs: list[tuple[ast.Keyword, Any]],
                   pos: ast.Pos, scope: Scope) -> LayerStep:
        cls = REGISTRY[kind]
        many = cls.arity.most != 1
        # a layer of several inputs takes tensors, and chains from a tensor written inline
        tensors = tuple(a for a in args if isinstance(a, (Tensor, Pipe))) if many else ()
        values = [a for a in args if not (many and isinstance(a, (Tensor, Pipe)))]
        for a in tensors:
            if isinstance(a, Pipe) and (a.source is None or not a.steps):
                raise self.error(f"a chain given to {kind} starts from a tensor (`{kind}(d, d > gavgpool > "
                                 "conv(8, 1) > sigmoid)`); this one has no tensor to start from",
                                 scope.module, pos)
        for a in values:
            if isinstance(a, (Tensor, Pipe)):
                raise self.error(f"{kind} takes its input from the chain; an argument here is {describe(a)}",
                                 scope.module, pos)
        if len(values) > len(cls.positional):
            names = ", ".join(cls.positional) or "none"
            raise self.error(f"{kind} takes at most {len(cls.positional)} positional arguments "
                             f"({names}), got {len(values)}", scope.module, pos)
        fields = dict(zip(cls.positional, values))
        options = _options(cls)
        for keyword, value in kwargs:
            if keyword.name not in options:
                raise self.error(f"{kind} has no option '{keyword.name}'", scope.module, keyword.pos,
                                 hint=suggest(keyword.name, options) or f"its options: {', '.join(options) or 'none'}")
            if keyword.name in fields:
                raise self.error(f"'{keyword.name}' is given twice", scope.module, keyword.pos)
            fields[keyword.name] = value
        for key, value in fields.items():
            self.check_magnitude(value, f"{kind} {key}", scope.module, pos)
        cache_key = (kind, tuple(sorted(fields.items())))
        layer = self._layer_cache.get(cache_key)
        if layer is None:
            try:
                layer = cls(**fields)
            except ValidationError as exc:
                raise self.error(f"{kind}: {self.explain_validation(exc, cls)}", scope.module, pos) from None
            self._layer_cache[cache_key] = layer
        return LayerStep(layer, tensors, pos, scope.module)

    def shared_weights(self, kwargs: list[tuple[ast.Keyword, Any]],
                       scope: Scope) -> tuple[Tensor | None, list[tuple[ast.Keyword, Any]]]:
        """`shares=t`, said of a layer or a block call: use the weights of the
        layer (or block instance) whose output is `t`, counted once."""
        shares: Tensor | None = None
        rest = []
        for keyword, value in kwargs:
            if keyword.name != "shares":
                rest.append((keyword, value))
            elif not isinstance(value, Tensor):
                raise self.error(f"shares= names the output of the layer (or block call) whose weights to "
                                 f"use, not {describe(value)}", scope.module, keyword.pos)
            else:
                shares = value
        return shares, rest

    def check_magnitude(self, value: Any, what: str, module: ast.Module, pos: ast.Pos) -> None:
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, (int, float)) and not isinstance(item, bool) and abs(item) > MAX_INT:
                raise self.error(f"{what} = {item} is beyond any real network (limit {MAX_INT:,})", module, pos)

    @staticmethod
    def explain_validation(exc: ValidationError, cls: type[Layer]) -> str:
        """One readable line per bad argument.  A field that may take several
        forms (k or (kh, kw)) fails once per form; say which forms it takes."""
        by_field: dict[str, list[Any]] = {}
        for err in exc.errors():
            by_field.setdefault(str(err["loc"][0]) if err["loc"] else "value", []).append(err)
        parts = []
        for name, errors in by_field.items():
            got = errors[0].get("input")
            # a kind's own check (a validator) says what is wrong in its words
            own = [err for err in errors if err["type"] == "value_error"]
            if len(own) == 1:
                said = str(own[0]["ctx"]["error"]) if "ctx" in own[0] else own[0]["msg"]
                parts.append(said if name == "value" else f"{name}: {said}")
            elif len(errors) > 1:
                annotation = cls.model_fields[name].annotation if name in cls.model_fields else None
                forms = FORMS.get(annotation, "a valid value")
                parts.append(f"{name} must be {forms} (got {got!r})")
            else:
                parts.append(f"{name}: {errors[0]['msg'].lower()} (got {got!r})")
        return "; ".join(parts)

    def value_of(self, expr: ast.Expr, scope: Scope) -> Any:
        value = self.evaluate(expr, scope)
        if isinstance(value, Pipe):
            raise self.error(f"expected a value, got {describe(value)}", scope.module, expr.pos)
        return value

    def number(self, expr: ast.Expr, scope: Scope) -> Any:
        value = self.evaluate(expr, scope)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"expected a number, got {describe(value)}", scope.module, expr.pos)
        return value

    def eval_Unary(self, expr: ast.Unary, scope: Scope) -> Any:
        if expr.op == "not":
            return not self.boolean(expr.operand, scope)
        return -self.number(expr.operand, scope)

    def boolean(self, expr: ast.Expr, scope: Scope) -> bool:
        value = self.evaluate(expr, scope)
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {describe(value)}", scope.module, expr.pos)
        return value

    def eval_Binary(self, expr: ast.Binary, scope: Scope) -> Any:
        op = expr.op
        if op == "and":
            return self.boolean(expr.left, scope) and self.boolean(expr.right, scope)
        if op == "or":
            return self.boolean(expr.left, scope) or self.boolean(expr.right, scope)
        if op in ("==", "!="):
            return (self.value_of(expr.left, scope) == self.value_of(expr.right, scope)) == (op == "==")
        # `1 + 1 + ... + 1` is a left-deep tree: walk its spine in a loop, not by recursion
        spine = []
        node: ast.Expr = expr
        while isinstance(node, ast.Binary) and node.op in _ARITHMETIC:
            spine.append(node)
            node = node.left
        value = self.value_of(node, scope)
        for step in reversed(spine):
            value = self.arithmetic(step, value, self.value_of(step.right, scope), scope)
        return value

    def arithmetic(self, expr: ast.Binary, left: Any, right: Any, scope: Scope) -> Any:
        op = expr.op
        if isinstance(left, str) and isinstance(right, str) and op == "+":
            return left + right
        for operand, node in ((left, expr.left), (right, expr.right)):
            if isinstance(operand, bool) or not isinstance(operand, (int, float)):
                raise self.error(f"'{op}' needs numbers, got {describe(operand)}", scope.module, node.pos)
        try:
            result = _ARITHMETIC[op](left, right)
        except ZeroDivisionError:
            raise self.error("division by zero", scope.module, expr.pos) from None
        except OverflowError:
            raise self.error("number too large", scope.module, expr.pos) from None
        if isinstance(result, (int, float)) and abs(result) > MAX_ARITHMETIC:
            raise self.error("number too large", scope.module, expr.pos)
        return result

    def eval_Conditional(self, expr: ast.Conditional, scope: Scope) -> Any:
        branch = expr.then if self.boolean(expr.test, scope) else expr.otherwise
        return self.evaluate(branch, scope)

    def eval_Chain(self, expr: ast.Chain, scope: Scope) -> Any:
        pipe = Pipe()
        for i, step_expr in enumerate(expr.steps):
            value = self.evaluate(step_expr, scope)
            if isinstance(value, Tensor) and i == 0:
                pipe.source = value
            elif isinstance(value, Pipe):
                if value.source is not None:
                    if i == 0:
                        pipe.source = value.source
                    else:
                        raise self.error("a tensor can only start a chain", scope.module, step_expr.pos)
                self.extend(pipe, value.steps, scope.module, step_expr.pos)
            elif isinstance(value, Tensor):
                raise self.error("a tensor can only start a chain", scope.module, step_expr.pos)
            else:
                raise self.error(f"expected a layer or block here, got {describe(value)}", scope.module,
                                 step_expr.pos, hint=self.greater_than_hint(expr, i, value, scope))
        return pipe

    def greater_than_hint(self, chain: ast.Chain, i: int, value: Any, scope: Scope) -> str | None:
        """`dilation > 1` reads as a chain of `dilation` and `1`: when a number
        stands where a layer should, say how "greater than" is written."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if i == 0:
            if len(chain.steps) < 2:
                return None
            left, right = chain.steps[0], chain.steps[1]
            try:  # the other side: a number too?  (evaluating makes no layers)
                other = self.evaluate(right, scope)
            except ArchError:
                return None
            if isinstance(other, bool) or not isinstance(other, (int, float)):
                return None
        elif i == 1 and isinstance(self.evaluate(chain.steps[0], scope), Tensor):
            left, right = chain.steps[0], chain.steps[1]  # `x > 1`, x a tensor: still meant as a comparison
        else:
            return None  # a number after layers: a misplaced value, not a comparison
        a, b = ast.written(left), ast.written(right)
        swapped = f"`{b} < {a}`" if a is not None and b is not None else "the operands swapped with `<`"
        return f"`>` chains layers; for greater-than write {swapped}"

    def extend(self, pipe: Pipe, steps: list[Step], module: ast.Module, pos: ast.Pos) -> None:
        if len(pipe.steps) + len(steps) > MAX_LAYERS:
            raise self.error(f"this chain expands past {MAX_LAYERS:,} steps", module, pos)
        pipe.steps.extend(steps)

    def eval_Repeat(self, expr: ast.Repeat, scope: Scope) -> Any:
        if expr.index is not None:
            return self.indexed_repeat(expr, expr.index, scope)
        value = self.evaluate(expr.expr, scope)
        count = self.repeat_count(expr, scope)
        self.check_repeatable(value, expr, scope)
        if len(value.steps) * count > MAX_LAYERS:
            raise self.error(f"repeating {len(value.steps)} step(s) {count:,} times expands past "
                             f"{MAX_LAYERS:,} layers", scope.module, expr.count.pos)
        return Pipe([_copy(step) for _ in range(count) for step in value.steps])

    def repeat_count(self, expr: ast.Repeat, scope: Scope) -> int:
        count = self.evaluate(expr.count, scope)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise self.error(f"a repeat count is a whole number >= 0, got {describe(count)}",
                             scope.module, expr.count.pos)
        return count

    def check_repeatable(self, value: Any, expr: ast.Repeat, scope: Scope) -> None:
        if not isinstance(value, Pipe) or value.source is not None:
            raise self.error(f"only layers and blocks can be repeated, not {describe(value)}",
                             scope.module, expr.pos)

    def indexed_repeat(self, expr: ast.Repeat, index: str, scope: Scope) -> Pipe:
        """`step x n with i`: the step evaluated n times, with i = 0, 1, ..., n - 1
        (each repeat may differ, so none is shared with another)."""
        where = expr.index_pos or expr.pos
        if index in scope.values:
            line = scope.defined_at.get(index)
            at = f" (line {line})" if line else ""
            raise self.error(f"'{index}' is already defined{at}; name the repeat's index another way",
                             scope.module, where)
        if not ast.uses_name(expr.expr, index):
            raise self.error(f"the repeated step does not use its index '{index}'", scope.module, where,
                             hint=f"every repeat is then the same: write `x n` without `with {index}`")
        count = self.repeat_count(expr, scope)
        steps: list[Step] = []
        try:
            for number in range(count):
                scope.values[index] = number
                value = self.evaluate(expr.expr, scope)
                self.check_repeatable(value, expr, scope)
                if len(steps) + len(value.steps) > MAX_LAYERS:
                    raise self.error(f"repeating this step {count:,} times expands past {MAX_LAYERS:,} layers",
                                     scope.module, expr.count.pos)
                steps.extend(value.steps)  # evaluated afresh: its own steps
        finally:
            scope.values.pop(index, None)
        return Pipe(steps)

    def eval_Named(self, expr: ast.Named, scope: Scope) -> Any:
        value = self.evaluate(expr.expr, scope)
        if not isinstance(value, Pipe) or value.source is not None or not value.steps:
            raise self.error(f"only layers and blocks can be named, not {describe(value)}",
                             scope.module, expr.pos)
        if len(value.steps) == 1:
            step = _copy(value.steps[0])
            step.name = expr.name
            return Pipe([step])
        return Pipe([GroupStep(value.steps, expr.pos, expr.name)])


_EVALUATORS: dict[type, Callable[[Evaluator, Any, Scope], Any]] = {
    node: getattr(Evaluator, "eval_" + node.__name__)
    for node in (ast.Number, ast.String, ast.Bool, ast.InputRef, ast.Name, ast.Call, ast.Index, ast.TupleExpr,
                 ast.Unary, ast.Binary, ast.Conditional, ast.Chain, ast.Named, ast.Repeat)
}


@cache
def _options(cls: type[Layer]) -> list[str]:
    """A layer kind's option names (pydantic's model_fields is slow to read)."""
    return list(cls.model_fields)


def _copy(step: Step) -> Step:
    """Steps are shared between repeats; naming one must not rename the others."""
    if isinstance(step, LayerStep):
        return LayerStep(step.layer, step.tensors, step.pos, step.module, step.name, step.shares)
    if isinstance(step, BlockStep):
        return BlockStep(step.block, step.args, step.kwargs, step.pos, step.module, step.name, step.shares)
    if isinstance(step, GroupStep):
        return GroupStep(list(step.steps), step.pos, step.name)
    if isinstance(step, SplitStep):
        return SplitStep(step.how, step.value, step.pos, step.module, step.name)
    raise TypeError(type(step))


def _floordiv(a: Any, b: Any) -> Any:
    return a // b


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": _floordiv,
    "%": lambda a, b: a % b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}
