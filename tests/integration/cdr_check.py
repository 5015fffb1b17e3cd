#!/usr/bin/env python3
"""Check tandem's CDR file (CSV with a header line, or JSON lines).

  cdr_check.py FILE [SELECT...] [-- EXPECT...]
  cdr_check.py FILE --valid           every line parses; prints the count

SELECT and EXPECT are FIELD=VALUE (equal as text; "" for empty or null),
FIELD~REGEX, FIELD>NUMBER, FIELD<NUMBER. The first record matching every
SELECT must match every EXPECT. Exit 0 when it does, 1 (with the record or
the reason on stderr) when not. --count prints how many records match,
--get FIELD the first match's FIELD."""
import csv
import json
import re
import sys


def load(path):
    with open(path, newline="") as f:
        text = f.read()
    if text.startswith("{"):
        return [json.loads(line) for line in text.splitlines() if line]
    rows = list(csv.DictReader(text.splitlines(keepends=True)))
    return rows


def val(r, k):
    v = r.get(k)
    return "" if v is None else str(v)


def match(r, cond):
    m = re.match(r"^([a-z_]+)(=|~|>|<)(.*)$", cond, re.S)
    if not m:
        raise SystemExit("bad condition: " + cond)
    k, op, want = m.groups()
    if k not in r:
        raise SystemExit("no field " + k)
    v = val(r, k)
    if op == "=":
        return v == want
    if op == "~":
        return re.search(want, v) is not None
    if v == "":
        return False
    return float(v) > float(want) if op == ">" else float(v) < float(want)


def main():
    path, args = sys.argv[1], sys.argv[2:]
    try:
        recs = load(path)
    except (OSError, ValueError) as e:
        print("cdr_check: %s: %s" % (path, e), file=sys.stderr)
        return 1
    if args == ["--valid"]:
        print(len(recs))
        return 0
    count = "--count" in args
    args = [a for a in args if a != "--count"]
    get = None
    if "--get" in args:
        i = args.index("--get")
        get = args[i + 1]
        del args[i : i + 2]
    sel, exp = (args[: args.index("--")], args[args.index("--") + 1:]) if "--" in args else (args, [])
    found = [r for r in recs if all(match(r, c) for c in sel)]
    if count:
        print(len(found))
        return 0
    if get and found:
        print(val(found[0], get))
    if not found:
        print("cdr_check: no record with %s" % " ".join(sel), file=sys.stderr)
        return 1
    bad = [c for c in exp if not match(found[0], c)]
    if bad:
        print("cdr_check: %s fails in %s" % (" ".join(bad), json.dumps(found[0])), file=sys.stderr)
        return 1
    return 0


sys.exit(main())
