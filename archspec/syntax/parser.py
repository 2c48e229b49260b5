"""Text -> syntax tree.  The grammar lives in grammar/arch.lark as data.

The LALR tables are generated from it ahead of time (tools/generate_parser.py
writes parser_tables.py, plain Python literals) and the parser is built from
them: no grammar analysis at start-up, and no cache file, so nothing another
user could plant in a shared temporary folder is ever loaded (Lark's own
cache is a pickle there).  If the grammar has changed since the tables were
generated, the parser is built from the grammar itself, in memory.
"""

from __future__ import annotations

import hashlib
import pprint
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.grammar import Rule
from lark.lexer import TerminalDef

from ..errors import ArchError, Location
from ..gc_pause import gc_paused
from ..limits import MAX_NESTING, MAX_TOKENS
from .tree import LiteralError, Module, Statement, ToSyntax

_GRAMMAR_FILE = "arch.lark"
BOM = "\ufeff"  # some editors start UTF-8 files with it; it is not part of the text
TABLES_PATH = Path(__file__).resolve().parent / "parser_tables.py"
# Options given when the parser is made, not stored in the tables.
_RUN_TIME_OPTIONS = ("postlex", "transformer")


def grammar_path() -> Path:
    """The grammar shipped in the wheel, or the checkout's grammar/ folder."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "grammar" / _GRAMMAR_FILE, package.parent / "grammar" / _GRAMMAR_FILE):
        if candidate.is_file():
            return candidate
    raise ArchError(f"archspec is installed without its grammar ({_GRAMMAR_FILE}); reinstall it")


class LineContinuation:
    """Lark post-lexer: newlines inside parentheses and after a trailing
    operator do not end a statement (the grammar itself joins a line that
    starts with `>` to the one before).

    That lets a long chain be written one layer per line:
        conv1 = conv(64, 7, stride=2, pad=3)
              > bn > relu
    """

    always_accept = ("_NL",)
    # By token type, not text: a name `x` or a ratio's `-` must not join lines.
    _JOINERS = frozenset({"MORETHAN", "COMMA", "LPAR", "EQUAL", "QMARK", "COLON", "ARITH_OP",
                          "COMP_OP", "LOGIC_OP", "NOT"})

    # Tokens after which `-` or `not` is a prefix (unary) operator, not a subtraction.
    _BEFORE_PREFIX = frozenset({"MORETHAN", "COMMA", "LPAR", "LSQB", "EQUAL", "QMARK", "COLON", "ARITH_OP",
                                "COMP_OP", "LOGIC_OP", "NOT", "_NL", "SEMICOLON"})

    # The token types the loop below looks at; any other only ends a run of prefix operators.
    _COUNTED = frozenset({"_NL", "LPAR", "LSQB", "RPAR", "RSQB", "COMMA", "SEMICOLON", "QMARK", "NOT", "MINUS",
                          "ARITH_OP"})

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        # No look-ahead here: Lark's contextual lexer picks terminals by the
        # parser's current state, so a token must reach the parser before the
        # next one is lexed.
        #
        # Nesting is counted here, where the token that goes too deep is known,
        # so the error points at it: parentheses, runs of prefix operators
        # (`- - - 1`) and conditionals nested in else-branches (`a ? b : c ? ...`).
        depth = 0
        previous: Token | None = None
        prefixes = 0
        conditionals = [0]  # per open parenthesis: `?`s whose else-branch is still open
        for count, token in enumerate(stream):
            if count >= MAX_TOKENS:  # counted as they come: the rest of the file is never lexed
                raise _NestingError(token, f"the file has more than {MAX_TOKENS:,} tokens; spec files are "
                                           "limited to that (write repeated parts as blocks and repeats)")
            kind = token.type
            if kind not in self._COUNTED:  # a name, a number, a keyword: nothing to count
                prefixes = 0
                previous = token
                yield token
                continue
            if kind == "_NL":
                if depth == 0 and (previous is None or previous.type not in self._JOINERS):
                    conditionals = [0]
                    previous = token
                    yield token
                continue
            if kind in ("LPAR", "LSQB"):
                depth += 1
                conditionals.append(0)
                if depth > MAX_NESTING:
                    raise _NestingError(token, f"parentheses nested deeper than {MAX_NESTING}")
            elif kind in ("RPAR", "RSQB"):
                depth = max(0, depth - 1)
                if len(conditionals) > 1:
                    conditionals.pop()
            elif kind in ("COMMA", "SEMICOLON"):
                conditionals[-1] = 0
            elif kind == "QMARK":
                conditionals[-1] += 1
                if conditionals[-1] > MAX_NESTING:
                    raise _NestingError(token, f"conditionals nested deeper than {MAX_NESTING}")
            unary = kind in ("NOT", "MINUS") or (kind == "ARITH_OP" and token == "-" and (
                previous is None or previous.type in self._BEFORE_PREFIX))
            prefixes = prefixes + 1 if unary else 0
            if prefixes > MAX_NESTING:
                raise _NestingError(token, f"more than {MAX_NESTING} prefix operators in a row")
            previous = token
            yield token


class _NestingError(Exception):
    """A limit the post-lexer enforces, at the token that passes it."""

    def __init__(self, token: Token, message: str) -> None:
        super().__init__(message)
        self.token = token
        self.message = message


def grammar_digest() -> str:
    """SHA-256 of the grammar's text: the tables record the grammar they came from."""
    return hashlib.sha256(grammar_path().read_bytes()).hexdigest()


def _grammar_parser(**options: Any) -> Lark:
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", postlex=LineContinuation(),
                maybe_placeholders=True, **options)


def render_tables() -> str:
    """The text of parser_tables.py: the grammar's LALR tables as literals."""
    data, memo = _grammar_parser().memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _RUN_TIME_OPTIONS}
    return (f'"""LALR tables of grammar/arch.lark, generated by tools/generate_parser.py; do not edit."""\n'
            f"# ruff: noqa\n# mypy: ignore-errors\n\n"
            f"GRAMMAR_SHA256 = {grammar_digest()!r}\n\n"
            f"DATA = {pprint.pformat(data, width=110)}\n\n"
            f"MEMO = {pprint.pformat(memo, width=110)}\n")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # The transformer runs inside the LALR parser: syntax nodes are built as
    # rules reduce, with no intermediate parse tree.
    from . import parser_tables

    if grammar_digest() != parser_tables.GRAMMAR_SHA256:  # the grammar is being edited
        return _grammar_parser(transformer=ToSyntax())
    return Lark._load_from_dict(parser_tables.DATA, parser_tables.MEMO,  # type: ignore[no-untyped-call,no-any-return]
                                postlex=LineContinuation(), transformer=ToSyntax())


# How terminals are named in messages: what a person would call them.
_READABLE = {
    "NAME": "a name", "DASHED_NAME": "a model name", "NUMBER": "a number",
    "SIGNED_NUMBER": "a number", "STRING": "a string", "_NL": "end of line",
    "META_KEY": "@key", "COMP_OP": "a comparison", "ARITH_OP": "an operator (+ - * / // %)",
    "LOGIC_OP": "'and' or 'or'", "$END": "end of file",
}


def _readable(terminal: str) -> str:
    if terminal in _READABLE:
        return _READABLE[terminal]
    pattern = _parser().get_terminal(terminal).pattern.value if terminal else terminal
    return f"'{pattern}'"


def _expected(names: set[str]) -> str:
    shown = sorted({_readable(n) for n in names if not n.startswith("__")})
    if len(shown) > 8:
        shown = shown[:8] + ["..."]
    return ", ".join(shown)


# While a caller reads the same files many times (a sweep loads its spec once
# per --set value), the syntax tree of a text already parsed is given again:
# trees are immutable, and parsing was most of the cost of each load.
_remembered: dict[tuple[str, str], Module] | None = None


@contextmanager
def parses_remembered() -> Iterator[None]:
    """Within this, `parse` of a text and path it has parsed gives the same tree."""
    global _remembered
    outer = _remembered
    if outer is None:
        _remembered = {}
    try:
        yield
    finally:
        _remembered = outer


def parse(source: str, path: str = "<string>") -> Module:
    """Parse spec text; any problem becomes an ArchError pointing at the text."""
    if not isinstance(source, str):
        raise ArchError(f"a spec's text is a string, not {type(source).__name__}", argument="text")
    if _remembered is None:
        return _parse(source, path)
    key = (source, path)
    if key not in _remembered:
        _remembered[key] = _parse(source, path)
    return _remembered[key]


def _parse(source: str, path: str) -> Module:
    source = source.removeprefix(BOM)
    try:
        with gc_paused():
            statements: tuple[Statement, ...] = _parser().parse(source)  # type: ignore[assignment]
    except UnexpectedInput as exc:
        raise _syntax_error(exc, source, path) from None
    except _NestingError as exc:
        loc = Location(path, exc.token.line or 0, exc.token.column or 0)
        raise ArchError(exc.message, loc, source) from None
    except LiteralError as exc:
        loc = Location(path, exc.pos.line, exc.pos.column, exc.pos.width)
        raise ArchError(exc.message, loc, source) from None
    except VisitError as exc:
        raise ArchError(f"cannot read this spec: {exc.orig_exc}", Location(path, 1, 1), source) from None
    except UnicodeError as exc:  # a string literal with a bad escape
        raise ArchError(f"cannot read this spec: {exc}", Location(path, 1, 1), source) from None
    except RecursionError:
        raise ArchError("the spec is nested too deeply to read", Location(path, 1, 1), source) from None
    return Module(path, source, tuple(statements))


def _syntax_error(exc: UnexpectedInput, source: str, path: str) -> ArchError:
    line, column = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        char = source[exc.pos_in_stream] if exc.pos_in_stream is not None else "?"
        message = f"unexpected character {char!r}"
        if exc.allowed:
            message += f"; expected {_expected(set(exc.allowed))}"
        return ArchError(message, Location(path, line, column), source)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        lines = source.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        return ArchError(f"unexpected end of file; expected {_expected(set(exc.expected))}",
                         Location(path, line, column), source)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    shown = "end of line" if token.type == "_NL" else repr(str(token))
    width = 1 if token.type == "_NL" else max(1, len(str(token)))
    return ArchError(f"unexpected {shown}; expected {_expected(set(exc.expected))}",
                     Location(path, token.line or line, token.column or column, width), source)
