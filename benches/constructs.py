#!/usr/bin/env python3
"""What one form of a loop's body costs, in rlq and in CPython, side by side.

Each construct runs as the body of a loop of N iterations over range(N), in
a whole process of its own (rlmq, then Python, the order alternating each
round); its cost is the process's CPU time (user + sys) less that of the
same loop with an empty body, divided by N. The whole programs of the
interpreter suite (benches/interp.sh) say where rlq stands; this table says
which construct a program's time goes to, and which one is out of line.

Usage: benches/constructs.py [--rlmq PATH] [--python PATH] [--rounds R]
                             [--n N] [NAME-SUBSTRING ...]
Prints one row per construct: the body in rlq, ns per iteration in rlq and
in Python (medians over the rounds), and Python's cost over rlq's (above
1: rlq is quicker). Timings on a shared machine move; compare the ratios
of one run, not seconds across runs.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

# The variables every body may use, defined before the loop in both.
SETUP_RLQ = """let s = "Date: 2023-01-01 || User: 12345 || Instance: harbor town || Label: human"
let t = "  padded  "
let d = {}
let k = "User: 12345"
let xs = []
let r = [1, 2, 3]
let m = 0
let rec = {a: 1, b: 2}
def f(x) { return x + 1 }
let g = x => x + 1
"""
SETUP_PY = """s = "Date: 2023-01-01 || User: 12345 || Instance: harbor town || Label: human"
t = "  padded  "
d = {}
k = "User: 12345"
xs = []
r = [1, 2, 3]
m = 0
rec = {"a": 1, "b": 2}
def f(x): return x + 1
g = lambda x: x + 1
"""

# name, rlq body, Python body. A body that is an expression is bound to a
# variable (`let y = ...` / `y = ...`), as a program would keep its value.
CONSTRUCTS = [
    ("empty", None, None),
    ("let an int", "let y = 1", "y = 1"),
    ("augmented assignment", "m += 1", "m += 1"),
    ("int arithmetic", "(i * 7 + 3) % 11", "(i * 7 + 3) % 11"),
    ("if on a comparison", "if i == 5 { m = 1 }", "if i == 5: m = 1"),
    ("if on arithmetic", "if i % 3 == 5 { m = 1 }", "if i % 3 == 5: m = 1"),
    ("string equality", 's == "abc"', 's == "abc"'),
    ("substring test", '"harbor" in s', '"harbor" in s'),
    ("contains()", 'contains(s, "Label: human")', '"Label: human" in s'),
    ("startswith", 's.startswith("## ")', 's.startswith("## ")'),
    ("split, one field", 'split(s, " || ")[1]', 's.split(" || ")[1]'),
    ("split, all fields", 'split(s, " || ")', 's.split(" || ")'),
    ("trim", "trim(t)", "t.strip()"),
    ("lower", "lower(k)", "k.lower()"),
    ("int()", 'int("12345")', 'int("12345")'),
    ("f-string", 'f"{k}:{i}"', 'f"{k}:{i}"'),
    ("string concatenation", 'k + "x"', 'k + "x"'),
    ("list index", "r[1]", "r[1]"),
    ("len of a list", "len(xs)", "len(xs)"),
    ("record field", "rec.a", 'rec["a"]'),
    ("record get", "get(d, k, 0)", "d.get(k, 0)"),
    ("record set", "d[k] = i", "d[k] = i"),
    ("record count update", "d[k] = get(d, k, 0) + 1", "d[k] = d.get(k, 0) + 1"),
    ("record count update, ??", "d[k] = (d[k] ?? 0) + 1", "d[k] = d.get(k, 0) + 1"),
    ("append", "xs.append(i)", "xs.append(i)"),
    ("list literal", "[i, k]", "[i, k]"),
    ("record literal", "{a: i, b: k}", '{"a": i, "b": k}'),
    ("def call", "f(i)", "f(i)"),
    ("lambda call", "g(i)", "g(i)"),
]


# The bodies that are statements already (besides `if`).
STATEMENTS = {"let y = 1", "y = 1", "m += 1", "d[k] = i", "d[k] = get(d, k, 0) + 1",
              "d[k] = (d[k] ?? 0) + 1", "d[k] = d.get(k, 0) + 1", "xs.append(i)"}


def statement(body, rlq):
    """`body` as a statement: an expression is bound to `y`."""
    if body.startswith("if ") or body in STATEMENTS:
        return body
    return ("let y = " if rlq else "y = ") + body


def programs(n, name, rlq_body, py_body):
    """The rlq and Python programs of one construct."""
    if rlq_body is None:
        rlq_loop = f"for i in range({n}) {{ }}\n"
        py_loop = f"for i in range({n}):\n    pass\n"
    else:
        rlq_loop = f"for i in range({n}) {{\n  {statement(rlq_body, True)}\n}}\n"
        py_loop = f"for i in range({n}):\n    {statement(py_body, False)}\n"
    return SETUP_RLQ + rlq_loop + 'print("ok")\n', SETUP_PY + py_loop + 'print("ok")\n'


def measure(cmd):
    """User + sys CPU seconds of one run of `cmd`, which must print `ok`."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0 or out.strip() != b"ok":
        sys.exit(f"constructs.py: {' '.join(cmd)} failed: {err.decode(errors='replace').strip()}")
    return usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rlmq", default="target/release/rlmq")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("only", nargs="*")
    args = ap.parse_args()
    chosen = [c for c in CONSTRUCTS if c[0] == "empty" or not args.only or any(o in c[0] for o in args.only)]
    with tempfile.TemporaryDirectory() as tmp:
        cmds = {}
        for i, (name, rlq_body, py_body) in enumerate(chosen):
            rlq_src, py_src = programs(args.n, name, rlq_body, py_body)
            rlq_path, py_path = os.path.join(tmp, f"{i}.rlq"), os.path.join(tmp, f"{i}.py")
            with open(rlq_path, "w") as fh:
                fh.write(rlq_src)
            with open(py_path, "w") as fh:
                fh.write(py_src)
            cmds[name] = (
                [args.rlmq, "run", rlq_path, "--context", os.devnull],
                [args.python, py_path],
            )
        times = {name: ([], []) for name in cmds}
        for round_ in range(args.rounds):
            for name, (rlq_cmd, py_cmd) in cmds.items():
                pair = (rlq_cmd, py_cmd) if round_ % 2 == 0 else (py_cmd, rlq_cmd)
                for cmd in pair:
                    times[name][0 if cmd is rlq_cmd else 1].append(measure(cmd))
    base = [statistics.median(t) for t in times["empty"]]
    print(f"{args.n:,} iterations, {args.rounds} rounds; ns per iteration over the empty loop "
          f"(empty loop: rlq {base[0] / args.n * 1e9:.0f} ns, Python {base[1] / args.n * 1e9:.0f} ns)")
    print(f"| construct | rlq body | rlq ns | Python ns | Python / rlq |")
    print("|---|---|---|---|---|")
    for name, rlq_body, _ in chosen:
        if rlq_body is None:
            continue
        ours, theirs = (
            (statistics.median(t) - b) / args.n * 1e9 for t, b in zip(times[name], base)
        )
        ratio = f"{theirs / ours:.2f}" if ours > 0.5 else "–"
        body = rlq_body.replace("|", "\\|")
        print(f"| {name} | `{body}` | {ours:.0f} | {theirs:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
