#!/usr/bin/env python3
"""Rewrites db_query/db_exec/db_query_json calls with a hand-written parameter
count into DB_QUERY/DB_EXEC/DB_QUERY_JSON, whose count the compiler works out
(store/db.h). For each call it checks that the count it drops equals the
number of parameters given, and stops on any call it cannot convert safely.

    scripts/convert-db-calls.py [--check] FILE...

Kept in the tree so a branch written against the old calls can be converted
the same way after a merge: the old names no longer exist, so the compiler
points at every call that still needs it."""
import re
import sys

NAMES = {"db_query": "DB_QUERY", "db_exec": "DB_EXEC", "db_query_json": "DB_QUERY_JSON"}
CALL = re.compile(r"(?<![A-Za-z0-9_])(db_query_json|db_query|db_exec)\s*\(")


def skip_literal(s, i):
    """i at a quote; returns the index after the literal."""
    q = s[i]
    i += 1
    while s[i] != q:
        i += 2 if s[i] == "\\" else 1
    return i + 1


def split_args(s, open_paren):
    """Top-level argument spans [(start, end)] of the call whose '(' is at
    open_paren, the index of each separating comma, and the ')' index."""
    depth, i, start = 0, open_paren + 1, open_paren + 1
    spans, commas = [], []
    while True:
        c = s[i]
        if c in "\"'":
            i = skip_literal(s, i)
            continue
        if s.startswith("/*", i):
            i = s.index("*/", i) + 2
            continue
        if s.startswith("//", i):
            i = s.index("\n", i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                spans.append((start, i))
                return spans, commas, i
            depth -= 1
        elif c == "," and depth == 0:
            spans.append((start, i))
            commas.append(i)
            start = i + 1
        i += 1


def strip_span(s, span):
    a, b = span
    while a < b and s[a].isspace():
        a += 1
    while b > a and s[b - 1].isspace():
        b -= 1
    return a, b


def convert(path, text):
    out, pos, n = [], 0, 0
    for m in CALL.finditer(text):
        if m.start() < pos:
            continue
        line = text.count("\n", 0, m.start()) + 1
        # declarations and definitions are not calls
        before = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        if re.search(r"\b(PGresult|json_t|bool)\s*\*?\s*$", before):
            raise SystemExit(f"{path}:{line}: a declaration of {m.group(1)}; convert it by hand")
        open_paren = m.end() - 1
        spans, commas, close = split_args(text, open_paren)
        if len(spans) < 4:
            raise SystemExit(f"{path}:{line}: {m.group(1)} with {len(spans)} arguments")
        s3, e3 = strip_span(text, spans[3])
        count = text[s3:e3]
        if not re.fullmatch(r"[0-9]+", count):
            raise SystemExit(f"{path}:{line}: parameter count '{count}' is not a literal")
        given = len(spans) - 4
        if int(count) != given:
            raise SystemExit(f"{path}:{line}: count {count} but {given} parameters")
        out.append(text[pos : m.start()])
        out.append(NAMES[m.group(1)] + text[m.start() + len(m.group(1)) : open_paren + 1])
        if given == 0:
            # drop ", 0": from the comma after the SQL to the end of the count
            out.append(text[open_paren + 1 : commas[2]])
            out.append(text[e3 : close + 1])
        else:
            comma = commas[3]
            after = comma + 1
            while after < close and text[after] in " \t":
                after += 1
            head_end = s3
            if text[after] == "\n":
                # the count ended its line: end the line at the SQL's comma
                while head_end > commas[2] + 1 and text[head_end - 1] in " \t":
                    head_end -= 1
            out.append(text[open_paren + 1 : head_end])
            out.append(text[after : close + 1])
        pos = close + 1
        n += 1
    out.append(text[pos:])
    return "".join(out), n


def main(argv):
    check = "--check" in argv
    files = [a for a in argv if a != "--check"]
    total = 0
    for path in files:
        with open(path) as f:
            text = f.read()
        new, n = convert(path, text)
        total += n
        if n and not check:
            with open(path, "w") as f:
                f.write(new)
        if n:
            print(f"{path}: {n} call(s)")
    print(f"{total} call(s) {'to convert' if check else 'converted'}")


if __name__ == "__main__":
    main(sys.argv[1:])
