#!/usr/bin/env python3
"""bench/capture.py LOG START_MARK END_MARK OUT_SCRIPT OUT_DEFINES

Turns the statements one request ran (PostgreSQL's log with
log_statement=all, between two marker queries) into a pgbench script, so
pgbench replays exactly our SQL. The request is the worker connection (one
backend pid) whose statements touch time_entries; the markers' own backend
and the dispatcher's are left out, and so is
the connection's setup (SET). Each $k of statement i becomes the pgbench
variable :s<i>_<k>, defined with -D from the logged parameter value (written
one per line to OUT_DEFINES), so `pgbench -M prepared` sends them as
parameters of a prepared statement as the server does.
"""
import re
import sys

LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (LOG|DETAIL|ERROR|STATEMENT):  (.*)$")
STMT = re.compile(r"^(?:statement|execute [^:]*|bind [^:]*): (.*)$", re.S)
PARAM = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')")


def main():
    log, start, end, out_script, out_defs = sys.argv[1:6]
    events = []  # [pid, kind, text]
    with open(log, errors="replace") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if m:
                events.append([m.group(1), m.group(2), m.group(3)])
            elif events:  # a statement's next line
                events[-1][2] += "\n" + raw.rstrip("\n")
    i0 = next(i for i, e in enumerate(events) if start in e[2])
    i1 = next(i for i, e in enumerate(events) if end in e[2] and i > i0)
    stmts = {}  # pid -> [[sql, params]]
    for pid, kind, text in events[i0 + 1:i1]:
        if kind == "LOG":
            m = STMT.match(text)
            # SET is the connection's setup, once per connection.
            if m and not m.group(1).lstrip().upper().startswith("SET "):
                stmts.setdefault(pid, []).append([m.group(1).strip(), {}])
        elif kind == "DETAIL" and text.startswith("parameters:") and stmts.get(pid):
            for pm in PARAM.finditer(text):
                val = None if pm.group(2) == "NULL" else pm.group(3).replace("''", "'")
                stmts[pid][-1][1][int(pm.group(1))] = val
    mine = [s for s in stmts.values() if any("time_entries" in sql for sql, _ in s)]
    if len(mine) != 1:
        sys.exit(f"capture: expected one request connection, found {len(mine)}")
    script, defs = [], []
    for i, (sql, params) in enumerate(mine[0], 1):
        def var(m, i=i, params=params):
            k = int(m.group(1))
            if params.get(k) is None:
                return "NULL"
            if params[k] == "":  # pgbench -D refuses an empty value
                return "''"
            name = f"s{i}_{k}"
            defs.append(f"{name}={params[k]}")
            return f":{name}"
        body = re.sub(r"\$(\d+)\b", var, sql)
        # pgbench reads one command a line (a command may span lines only
        # when it has no ';' before its end): fold to one line.
        script.append(" ".join(body.split()).rstrip(";") + ";")
    with open(out_script, "w") as f:
        f.write("\n".join(script) + "\n")
    with open(out_defs, "w") as f:
        f.write("\n".join(defs) + ("\n" if defs else ""))
    print(len(script))


if __name__ == "__main__":
    main()
