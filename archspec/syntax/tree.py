"""The syntax tree of a spec file: plain, immutable nodes that remember where they were written.

(Frozen records on syntax/node.py's base: frozen dataclasses generated and
compiled their methods for each class, which cost more start-up than
parsing a ResNet-50.)

The Lark tree is turned into these nodes by `ToSyntax` (one method per grammar
rule, as in lark's examples/calc.py).  Nothing here evaluates anything: the
expander gives the nodes meaning.
"""

from __future__ import annotations

import warnings

from lark import Token, Transformer, v_args

from ..errors import Location
from .node import SyntaxNode


class Pos(SyntaxNode):
    """Where a node starts (line, column) and how wide its first token is."""

    line: int
    column: int
    width: int = 1


# ---- expressions ----------------------------------------------------------

class Number(SyntaxNode):
    value: int | float
    pos: Pos


class String(SyntaxNode):
    value: str
    pos: Pos


class Bool(SyntaxNode):
    value: bool
    pos: Pos


class InputRef(SyntaxNode):
    """`in`: the input of the enclosing block (the network input at top level)."""

    pos: Pos


class Name(SyntaxNode):
    id: str
    pos: Pos


class Keyword(SyntaxNode):
    name: str
    value: Expr
    pos: Pos


class Call(SyntaxNode):
    func: str
    args: tuple[Expr, ...]
    kwargs: tuple[Keyword, ...]
    pos: Pos


class Index(SyntaxNode):
    """`blocks[2]`: an item of a tuple (0-based; negative counts from the end)."""

    value: Expr
    index: Expr
    pos: Pos


class TupleExpr(SyntaxNode):
    items: tuple[Expr, ...]
    pos: Pos


class Unary(SyntaxNode):
    op: str  # "-" or "not"
    operand: Expr
    pos: Pos


class Binary(SyntaxNode):
    op: str  # + - * / // % == != < <= >= and or
    left: Expr
    right: Expr
    pos: Pos


class Conditional(SyntaxNode):
    test: Expr
    then: Expr
    otherwise: Expr
    pos: Pos


class Chain(SyntaxNode):
    """`a > b > c`: the output of each step feeds the next."""

    steps: tuple[Expr, ...]
    pos: Pos


class Named(SyntaxNode):
    """`step as name`: an explicit layer (or block instance) name."""

    expr: Expr
    name: str
    pos: Pos


class Repeat(SyntaxNode):
    """`step x n`: n copies of a step, one after the other.  `step x n with i`
    binds `index` to 0, 1, ..., n - 1 in the step, evaluated once per repeat."""

    expr: Expr
    count: Expr
    pos: Pos
    index: str | None = None
    index_pos: Pos | None = None


Expr = (Number | String | Bool | InputRef | Name | Call | Index | TupleExpr | Unary | Binary
        | Conditional | Chain | Named | Repeat)


def subexpressions(expr: Expr) -> list[Expr]:
    """Every expression inside `expr`, itself included (walked without recursion)."""
    found: list[Expr] = []
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, Call):
            stack.extend(node.args)
            stack.extend(k.value for k in node.kwargs)
        elif isinstance(node, Index):
            stack.extend((node.value, node.index))
        elif isinstance(node, (TupleExpr, Chain)):
            stack.extend(node.items if isinstance(node, TupleExpr) else node.steps)
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.left, node.right))
        elif isinstance(node, Conditional):
            stack.extend((node.test, node.then, node.otherwise))
        elif isinstance(node, Named):
            stack.append(node.expr)
        elif isinstance(node, Repeat):
            stack.extend((node.expr, node.count))
    return found


def uses_name(expr: Expr, name: str) -> bool:
    """Whether `name` is read anywhere in `expr`."""
    return any(isinstance(node, Name) and node.id == name for node in subexpressions(expr))


_WRITTEN_PRECEDENCE = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">=": 4,
                       "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6}


def written(expr: Expr, depth: int = 0) -> str | None:
    """An arithmetic expression as it would be written (for hints), or None
    for anything else (chains, blocks, conditionals) or anything long."""
    if depth > 8:
        return None
    if isinstance(expr, Number):
        return repr(expr.value)
    if isinstance(expr, Name):
        return expr.id
    if isinstance(expr, Bool):
        return "true" if expr.value else "false"
    if isinstance(expr, Index):
        value, index = written(expr.value, depth + 1), written(expr.index, depth + 1)
        return None if value is None or index is None else f"{value}[{index}]"
    if isinstance(expr, Call) and not expr.kwargs:
        args = [written(a, depth + 1) for a in expr.args]
        return None if None in args else f"{expr.func}({', '.join(a for a in args if a is not None)})"
    if isinstance(expr, Unary) and expr.op == "-":
        inside = written(expr.operand, depth + 1)
        return None if inside is None else f"-{inside}"
    if isinstance(expr, Binary) and expr.op in _WRITTEN_PRECEDENCE:
        parts = []
        for side, operand in (("left", expr.left), ("right", expr.right)):
            text = written(operand, depth + 1)
            if text is None:
                return None
            inner = _WRITTEN_PRECEDENCE.get(operand.op, 9) if isinstance(operand, Binary) else 9
            outer = _WRITTEN_PRECEDENCE[expr.op]
            if inner < outer or (side == "right" and inner == outer):
                text = f"({text})"
            parts.append(text)
        return f"{parts[0]} {expr.op} {parts[1]}"
    return None


# ---- statements -----------------------------------------------------------

class Ratio(SyntaxNode):
    """`24.60 / 7.70` in metadata (top-1 / top-5 error); `-` stands for unknown."""

    parts: tuple[float | None, ...]
    pos: Pos


class ModelDecl(SyntaxNode):
    name: str
    pos: Pos


class MetaDecl(SyntaxNode):
    key: str
    value: Expr | Ratio
    pos: Pos


class InputDecl(SyntaxNode):
    """`input 3 x 224 x 224`, `input tokens 1024` (token ids) or
    `input tokens 197 x 768` (N tokens of dimension D); named, fixed or not."""

    name: str | None
    dims: tuple[Expr, ...]
    fixed: bool
    pos: Pos
    tokens: bool = False


class ParamDecl(SyntaxNode):
    name: str
    value: Expr
    pos: Pos


class ImportDecl(SyntaxNode):
    path: str
    pos: Pos


class Assign(SyntaxNode):
    name: str
    value: Expr
    pos: Pos


class Bare(SyntaxNode):
    value: Expr
    pos: Pos


class BlockParam(SyntaxNode):
    name: str
    default: Expr | None
    pos: Pos


class BlockDef(SyntaxNode):
    name: str
    params: tuple[BlockParam, ...]
    body: tuple[Assign | Bare, ...]
    pos: Pos


Statement = ModelDecl | MetaDecl | InputDecl | ParamDecl | ImportDecl | BlockDef | Assign | Bare


class Module(SyntaxNode):
    """One parsed file."""

    path: str
    source: str
    statements: tuple[Statement, ...] = ()

    def location(self, pos: Pos) -> Location:
        return Location(self.path, pos.line, pos.column, pos.width)


# ---- tree -> nodes -------------------------------------------------------

def _pos(token: Token) -> Pos:
    return Pos(token.line or 0, token.column or 0, max(1, len(str(token))))


class LiteralError(Exception):
    """A literal the syntax builder cannot take (raised while parsing; the
    parser turns it into an ArchError at the literal)."""

    def __init__(self, message: str, token: Token) -> None:
        super().__init__(message)
        self.message = message
        self.pos = _pos(token)


MAX_NUMBER_CHARACTERS = 64  # far more digits than any value within the limits needs


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    if "\\" not in body:
        return body
    # Python only warns about an escape it does not know (`\/`), and means to make it an
    # error one day: the language refuses it now, at its place in the spec
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return body.encode("utf-8", "surrogatepass").decode("unicode_escape")
        except (UnicodeError, DeprecationWarning):
            raise LiteralError("a string with a bad escape sequence", token) from None


def _first_pos(node: object) -> Pos:
    """Where an expression starts: its leftmost token (a binary expression's
    own `pos` is its operator, where arithmetic errors point)."""
    while True:
        if isinstance(node, Binary):
            node = node.left
        elif isinstance(node, Chain):
            node = node.steps[0]
        elif isinstance(node, (Named, Repeat)):
            node = node.expr
        elif isinstance(node, Conditional):
            node = node.test
        else:
            break
    pos = getattr(node, "pos", None)
    return pos if isinstance(pos, Pos) else Pos(0, 0)


class _RepeatSuffix(SyntaxNode):
    """`x n` or `x n with i`, before it is attached to the step it repeats."""

    count: Expr
    index: Token | None


_MULTIPLICATIVE = frozenset({"*", "/", "//", "%"})
_CONJUNCTIVE = frozenset({"and"})


@v_args(inline=True)
class ToSyntax(Transformer):  # type: ignore[type-arg]
    """Lark parse tree -> syntax nodes; one method per rule alias."""

    # atoms
    def number(self, tok: Token) -> Number:
        text = str(tok)
        if len(text) > MAX_NUMBER_CHARACTERS:
            raise LiteralError(f"a number of {len(text):,} characters is too large", tok)
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        if value == float("inf"):
            raise LiteralError("number too large", tok)
        return Number(value, _pos(tok))

    def string(self, tok: Token) -> String:
        return String(_unquote(tok), _pos(tok))

    def true(self, tok: Token) -> Bool:
        return Bool(True, _pos(tok))

    def false(self, tok: Token) -> Bool:
        return Bool(False, _pos(tok))

    def input_ref(self, tok: Token) -> InputRef:
        return InputRef(_pos(tok))

    def name(self, tok: Token) -> Name:
        return Name(str(tok), _pos(tok))

    def tuple_(self, *items: Expr | None) -> TupleExpr:
        values = tuple(i for i in items if i is not None)
        return TupleExpr(values, _first_pos(values[0]))

    # calls
    def positional(self, value: Expr) -> Expr:
        return value

    def keyword(self, name: Token, value: Expr) -> Keyword:
        return Keyword(str(name), value, _pos(name))

    def arguments(self, *args: Expr | Keyword) -> list[Expr | Keyword]:
        return list(args)

    def call(self, func: Token, arguments: list[Expr | Keyword] | None) -> Call:
        arguments = arguments or []
        args = tuple(a for a in arguments if not isinstance(a, Keyword))
        kwargs = tuple(a for a in arguments if isinstance(a, Keyword))
        return Call(str(func), args, kwargs, _pos(func))

    def index(self, value: Expr, index: Expr) -> Index:
        return Index(value, index, _first_pos(index))

    # operators
    def neg(self, operand: Expr) -> Unary:
        return Unary("-", operand, _first_pos(operand))

    def not_(self, operand: Expr) -> Unary:
        return Unary("not", operand, _first_pos(operand))

    def compare(self, left: Expr, op: Token, right: Expr) -> Binary:
        return Binary(str(op), left, right, _pos(op))

    @staticmethod
    def _fold(items: tuple[Expr | Token, ...], tight: frozenset[str]) -> Expr:
        """Fold the flat list [a, op, b, op, c] left to right, operators in
        `tight` binding before the others: `1 + 2 * 3` is 1 + (2 * 3)."""
        loose: list[tuple[Token | None, Expr]] = []
        pending: Token | None = None
        current = items[0]
        assert not isinstance(current, Token)
        for op, right in zip(items[1::2], items[2::2], strict=False):
            assert isinstance(op, Token) and not isinstance(right, Token)
            if str(op) in tight:
                current = Binary(str(op), current, right, _pos(op))
            else:
                loose.append((pending, current))
                pending, current = op, right
        loose.append((pending, current))
        result = loose[0][1]
        for loose_op, operand in loose[1:]:
            assert loose_op is not None
            result = Binary(str(loose_op), result, operand, _pos(loose_op))
        return result

    def arith(self, *items: Expr | Token) -> Expr:
        return self._fold(items, _MULTIPLICATIVE)

    def logic(self, *items: Expr | Token) -> Expr:
        return self._fold(items, _CONJUNCTIVE)

    def conditional(self, test: Expr, then: Expr, otherwise: Expr) -> Conditional:
        return Conditional(test, then, otherwise, _first_pos(test))

    def chain(self, *steps: Expr) -> Chain:
        return Chain(steps, _first_pos(steps[0]))

    def repeat(self, count: Expr, index: Token | None) -> _RepeatSuffix:
        return _RepeatSuffix(count, index)

    def named(self, expr: Expr, *rest: _RepeatSuffix | Token) -> Expr:
        """`step x n x m with i as name`: repeats, then an optional explicit name."""
        name = rest[-1] if rest and isinstance(rest[-1], Token) else None
        for suffix in rest[:-1] if name is not None else rest:
            assert isinstance(suffix, _RepeatSuffix)
            index = suffix.index
            expr = Repeat(expr, suffix.count, _first_pos(suffix.count), None if index is None else str(index),
                          None if index is None else _pos(index))
        if name is None:
            return expr
        return Named(expr, str(name), _pos(name))

    # statements
    def model_decl(self, name: Token) -> ModelDecl:
        text = _unquote(name) if name.type == "STRING" else str(name)
        return ModelDecl(text, _pos(name))

    def missing(self, *_: Token) -> None:
        return None

    def ratio(self, *parts: Token | None) -> Ratio:
        for part in parts:
            if part is not None and len(part) > MAX_NUMBER_CHARACTERS:
                raise LiteralError(f"a number of {len(part):,} characters is too large", part)
        values = tuple(None if p is None else float(str(p)) for p in parts)
        first = next((p for p in parts if p is not None), None)
        return Ratio(values, _pos(first) if first is not None else Pos(0, 0))

    def meta_decl(self, key: Token, value: Expr | Ratio) -> MetaDecl:
        return MetaDecl(str(key)[1:], value, _pos(key))

    def dims(self, *dims: Expr) -> tuple[Expr, ...]:
        return dims

    def input_decl(self, *parts: object) -> InputDecl:
        items = list(parts)
        fixed = bool(items and isinstance(items[-1], Token) and items[-1].type == "FIXED")
        if fixed:
            items.pop()
        tokens = any(isinstance(i, Token) and i.type == "TOKENS" for i in items)
        items = [i for i in items if not (isinstance(i, Token) and i.type == "TOKENS")]
        name = str(items[0]) if isinstance(items[0], Token) else None
        dims = items[-1]
        assert isinstance(dims, tuple)
        pos = _pos(items[0]) if isinstance(items[0], Token) else _first_pos(dims[0])
        return InputDecl(name, dims, fixed, pos, tokens)

    def param_decl(self, name: Token, value: Expr) -> ParamDecl:
        return ParamDecl(str(name), value, _pos(name))

    def import_decl(self, path: Token) -> ImportDecl:
        return ImportDecl(_unquote(path), _pos(path))

    def block_param(self, name: Token, default: Expr | None = None) -> BlockParam:
        return BlockParam(str(name), default, _pos(name))

    def block_params(self, *params: BlockParam) -> tuple[BlockParam, ...]:
        return params

    def block_def(self, name: Token, *rest: tuple[BlockParam, ...] | Assign | Bare | None) -> BlockDef:
        # `block f {`, `block f() {` and `block f(a, b) {`: the parameters, if
        # any were written, come first (None for empty parentheses)
        params: tuple[BlockParam, ...] = ()
        if rest and (rest[0] is None or isinstance(rest[0], tuple)):
            params = rest[0] or ()
            rest = rest[1:]
        body = tuple(item for item in rest if isinstance(item, (Assign, Bare)))
        return BlockDef(str(name), params, body, _pos(name))

    def assign(self, name: Token, value: Expr) -> Assign:
        return Assign(str(name), value, _pos(name))

    def bare(self, value: Expr) -> Bare:
        return Bare(value, _first_pos(value))

    def start(self, *statements: Statement) -> tuple[Statement, ...]:
        return statements
