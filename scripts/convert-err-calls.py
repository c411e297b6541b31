#!/usr/bin/env python3
"""Rewrites old-style error calls, whose code was a free string beside a
hand-picked kind,

    err_set(err, ERR_VALIDATION, "validation_failed", "'%s' is bad", name)

into calls that name a code of the registry (src/util/errors.def), whose
kind and HTTP status come with it:

    err_set(err, ERR_CODE_VALIDATION_FAILED, "'%s' is bad", name)

It also rewrites string comparisons of an error's code, which the registry
makes integer ones:

    !strcmp(e.code, "timer_running")   ->  e.code == ERR_CODE_TIMER_RUNNING
    strcmp(err->code, "conflict")      ->  err->code != ERR_CODE_CONFLICT

(other uses of .code as a string, in a printf say, fail to compile: use
err_name(&e) there). It refuses (and changes nothing in that file) a call whose (kind, code) pair
the registry does not know, or whose code is not a string literal: add the
code to the registry or pick the right one by hand, then run it again.

    scripts/convert-err-calls.py [--check] FILE|DIR...

With --check it writes nothing and exits 1 when a file still has old calls.
Directories are searched for *.c and *.h. Kept in the tree so a branch
written against the old calls can be converted the same way after a merge:
the old signature no longer compiles, so the compiler points at every call
that still needs it."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGISTRY = os.path.join(ROOT, "src", "util", "errors.def")
ENTRY = re.compile(r'^X\(\s*([A-Z0-9_]+)\s*,\s*"([a-z0-9_]+)"\s*,\s*(ERR_[A-Z_]+)\s*,\s*(\d+)\s*,', re.M)
CALL = re.compile(r"(?<![A-Za-z0-9_])err_set\s*\(")
KIND = re.compile(r"^ERR_(?!CODE_)[A-Z_]+$")
LITERAL = re.compile(r'^"([^"\\]*)"$')


def load_registry():
    with open(REGISTRY, encoding="utf-8") as f:
        text = f.read()
    pairs = {}
    for name, code, kind, _status in ENTRY.findall(text):
        pairs[(kind, code)] = "ERR_CODE_" + name
    if not pairs:
        sys.exit(f"convert-err-calls: no entries in {REGISTRY}")
    return pairs


def skip_literal(s, i):
    """i at a quote; returns the index after the literal."""
    q = s[i]
    i += 1
    while s[i] != q:
        i += 2 if s[i] == "\\" else 1
    return i + 1


def split_args(s, open_paren):
    """Top-level argument spans [(start, end)] of the call whose '(' is at open_paren."""
    depth, i, start = 0, open_paren + 1, open_paren + 1
    spans = []
    while i < len(s):
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
                return spans
            depth -= 1
        elif c == "," and depth == 0:
            spans.append((start, i))
            start = i + 1
        i += 1
    return None


def line_of(s, i):
    return s.count("\n", 0, i) + 1


def convert(path, s, pairs):
    """The converted text, the number of calls changed, and the refusals."""
    out, pos, changed, refused = [], 0, 0, []
    for m in CALL.finditer(s):
        if m.start() < pos:
            continue
        spans = split_args(s, m.end() - 1)
        if not spans or len(spans) < 3:
            continue
        kind = s[spans[1][0]:spans[1][1]].strip()
        if not KIND.match(kind):
            continue  # already new-style (ERR_CODE_…), or the declaration
        code_text = s[spans[2][0]:spans[2][1]].strip()
        lit = LITERAL.match(code_text)
        where = f"{path}:{line_of(s, m.start())}"
        if not lit:
            refused.append(f"{where}: the code is not a string literal: {code_text}")
            continue
        name = pairs.get((kind, lit.group(1)))
        if not name:
            other = [k for (k, c) in pairs if c == lit.group(1)]
            hint = f"; the registry has it as {other[0]}" if other else ""
            refused.append(f"{where}: ({kind}, \"{lit.group(1)}\") is not in the registry (src/util/errors.def){hint}")
            continue
        if len(spans) < 4:
            refused.append(f"{where}: no message after the code")
            continue
        a = spans[1][0]
        lead = s[a:a + len(s[a:spans[1][1]]) - len(s[a:spans[1][1]].lstrip())]
        out.append(s[pos:a])
        out.append(lead + name)
        pos = spans[2][1]  # the comma before the message stays
        changed += 1
    out.append(s[pos:])
    return "".join(out), changed, refused


CMP = re.compile(r'(!\s*)?strcmp\(\s*([A-Za-z_][A-Za-z0-9_]*(?:\.|->)code)\s*,\s*"([a-z0-9_]+)"\s*\)')


def convert_compares(path, s, codes):
    """String comparisons of codes made integer ones; the refusals."""
    refused = []

    def rep(m):
        name = codes.get(m.group(3))
        if not name:
            refused.append(f"{path}:{line_of(s, m.start())}: \"{m.group(3)}\" is not a code of the registry")
            return m.group(0)
        return f"{m.group(2)} {'==' if m.group(1) else '!='} {name}"

    new, n = CMP.subn(rep, s)
    return new, n - len(refused), refused


def files(args):
    for a in args:
        if os.path.isdir(a):
            for d, _dirs, names in os.walk(a):
                for n in sorted(names):
                    if n.endswith((".c", ".h")):
                        yield os.path.join(d, n)
        else:
            yield a


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if not args or any(a.startswith("-") for a in args):
        sys.exit(__doc__)
    pairs = load_registry()
    codes = {code: name for (_kind, code), name in pairs.items()}
    pending, failed = 0, False
    for path in files(args):
        with open(path, encoding="utf-8") as f:
            s = f.read()
        new, changed, refused = convert(path, s, pairs)
        new, compared, refused2 = convert_compares(path, new, codes)
        changed += compared
        refused += refused2
        for r in refused:
            print(r, file=sys.stderr)
        if refused:
            failed = True
            continue
        if not changed:
            continue
        pending += changed
        if check:
            print(f"{path}: {changed} old-style err_set call(s)")
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
            print(f"{path}: converted {changed}")
    if failed or (check and pending):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
