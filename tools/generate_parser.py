"""Regenerate archspec/syntax/parser_tables.py from grammar/arch.lark.

The parser's LALR tables are computed here, once, and committed as a Python
module of plain literals (dicts, lists, strings, numbers).  At run time
archspec builds its Lark parser from those literals: no grammar analysis,
no cache file and no pickle, so nothing in a shared temporary folder is ever
loaded.  tests/test_safety.py checks the module matches the grammar.

    python tools/generate_parser.py          # rewrite the module
    python tools/generate_parser.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archspec.syntax.parser import TABLES_PATH, grammar_digest, render_tables  # noqa: E402


def main(argv: list[str]) -> int:
    text = render_tables()
    if "--check" in argv:
        current = TABLES_PATH.read_text(encoding="utf-8") if TABLES_PATH.exists() else ""
        if grammar_digest() not in current:
            print(f"{TABLES_PATH.relative_to(ROOT)} is out of date: run python tools/generate_parser.py")
            return 1
        return 0
    TABLES_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {TABLES_PATH.relative_to(ROOT)} ({len(text):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
