#!/usr/bin/env python3
"""Prints the README's error-code table (code, status, meaning) from the
registry, src/util/errors.def, in its order; with --write replaces the table
between the error-codes markers in README.md. tests/unit/test_errors.c fails
when the README's table and the registry differ.

    scripts/error-table.py [--write]"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRY = re.compile(r'^X\(\s*[A-Z0-9_]+\s*,\s*"([a-z0-9_]+)"\s*,\s*ERR_[A-Z_]+\s*,\s*(\d+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)', re.M)
BEGIN, END = "<!-- error-codes -->", "<!-- /error-codes -->"


def table():
    with open(os.path.join(ROOT, "src", "util", "errors.def"), encoding="utf-8") as f:
        rows = ENTRY.findall(f.read())
    out = ["| `error.code` | status | meaning |", "|---|---|---|"]
    out += [f"| `{code}` | {status} | {meaning} |" for code, status, meaning in rows]
    return "\n".join(out) + "\n"


def main(argv):
    t = table()
    if "--write" not in argv:
        sys.stdout.write(t)
        return 0
    path = os.path.join(ROOT, "README.md")
    with open(path, encoding="utf-8") as f:
        s = f.read()
    a, b = s.index(BEGIN) + len(BEGIN), s.index(END)
    with open(path, "w", encoding="utf-8") as f:
        f.write(s[:a] + "\n" + t + s[b:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
