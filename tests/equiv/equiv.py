"""What the Python sides of tests/equiv share: the JSON rlq's json() writes,
the labelled output lines, and rlq's lines()."""
import json


def j(x):
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False)


def out(label, *vals):
    print(label, *[j(v) for v in vals])


def lines(t):
    return t.split("\n")[:-1] if t.endswith("\n") else (t.split("\n") if t else [])


def clean_lines(t):
    return [l[:-1] if l.endswith("\r") else l for l in lines(t)]
