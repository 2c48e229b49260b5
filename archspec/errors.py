"""The one error type archspec shows to users, and how it is rendered.

Every failure a user can cause (bad syntax, an unknown name, a shape that does
not fit, an input that is too small, an absurd value) becomes an `ArchError`
carrying where it happened.  The CLI prints `str(error)` and exits with code 2;
nothing else about the failure leaks out (no traceback).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A position in a spec file: 1-based line and column, plus the span's width."""

    path: str
    line: int
    column: int
    width: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class ArchError(Exception):
    """A user-facing error: a message, optionally tied to a place in a spec."""

    def __init__(self, message: str, location: Location | None = None,
                 source: str | None = None, hint: str | None = None, argument: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.source = source
        self.hint = hint
        # The argument of the API call the error is about (`upto`, `overrides`),
        # named before the message; the command line renames it to its option.
        self.argument = argument

    def __str__(self) -> str:
        lines = []
        prefix = f"{self.location}: " if self.location else ""
        if self.argument:
            prefix += f"{self.argument}: "
        lines.append(f"error: {prefix}{self.message}")
        excerpt = self._excerpt()
        if excerpt:
            lines.extend(excerpt)
        if self.hint:
            lines.append(f"  = {self.hint}")
        return "\n".join(lines)

    def _excerpt(self) -> list[str]:
        loc, src = self.location, self.source
        if loc is None or src is None:
            return []
        text_lines = src.splitlines()
        if not 1 <= loc.line <= len(text_lines):
            return []
        text = text_lines[loc.line - 1].replace("\t", " ")
        if len(text) > 200:  # keep hostile one-line files readable
            start = max(0, loc.column - 80)
            text = text[start:start + 160]
            column = loc.column - start
        else:
            column = loc.column
        width = max(1, min(loc.width, len(text) - column + 1))
        gutter = f"{loc.line:>4} | "
        return [gutter + text, " " * len(gutter) + " " * (column - 1) + "^" * width]


def suggest(name: str, candidates: Iterable[object]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None."""
    import difflib

    unique = list(dict.fromkeys(str(c) for c in candidates))  # a name met twice is suggested once
    close = difflib.get_close_matches(name, unique, n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
