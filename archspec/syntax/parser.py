"""Text -> syntax tree.  The grammar lives in grammar/arch.lark as data.

The LALR parser is built once per process and cached on disk by Lark, so a
command pays for grammar analysis only on its first run.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..errors import ArchError, Location
from ..gc_pause import gc_paused
from ..limits import MAX_NESTING
from .tree import Module, Statement, ToSyntax

_GRAMMAR_FILE = "arch.lark"


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

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        # No look-ahead here: Lark's contextual lexer picks terminals by the
        # parser's current state, so a token must reach the parser before the
        # next one is lexed.
        depth = 0
        previous: Token | None = None
        for token in stream:
            if token.type == "_NL":
                if depth == 0 and (previous is None or previous.type not in self._JOINERS):
                    yield token
                continue
            if token.type in ("LPAR", "LSQB"):
                depth += 1
                if depth > MAX_NESTING:
                    raise _NestingError(token)
            elif token.type in ("RPAR", "RSQB"):
                depth = max(0, depth - 1)
            previous = token
            yield token


class _NestingError(Exception):
    def __init__(self, token: Token) -> None:
        super().__init__("nesting")
        self.token = token


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # The transformer runs inside the LALR parser: syntax nodes are built as
    # rules reduce, with no intermediate parse tree.
    return Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr",
                postlex=LineContinuation(), cache=True, maybe_placeholders=True, transformer=ToSyntax())


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


def parse(source: str, path: str = "<string>") -> Module:
    """Parse spec text; any problem becomes an ArchError pointing at the text."""
    try:
        with gc_paused():
            statements: tuple[Statement, ...] = _parser().parse(source)  # type: ignore[assignment]
    except UnexpectedInput as exc:
        raise _syntax_error(exc, source, path) from None
    except _NestingError as exc:
        loc = Location(path, exc.token.line or 0, exc.token.column or 0)
        raise ArchError(f"parentheses nested deeper than {MAX_NESTING}", loc, source) from None
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
