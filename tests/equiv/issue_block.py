"""The Python computation of tests/equiv/issue_block.rlq, written
independently of rlmq: same labels, same JSON, from Python's own str, re and
list semantics (plus a reference chunker that follows the documented rules)."""
import itertools
import re
import sys

from equiv import clean_lines, j, lines, out

context = open(sys.argv[1], encoding="utf-8").read()


def chunk_by_size(t, size):
    pieces, start = [], 0
    while start < len(t):
        end = min(start + size, len(t))
        if end < len(t):
            cut = t.rfind("\n", start, end)
            if cut >= start:
                end = cut + 1
        pieces.append(t[start:end])
        start = end
    return pieces


def chunk_n(t, n):
    """n pieces cut at line starts: piece i (i >= 1) starts at the line after
    the one holding character total*i//n - 1, kept strictly increasing and
    leaving one line for each later piece."""
    ls = [l for l in re.split(r"(?<=\n)", t) if l]
    if len(ls) <= n:
        return ls
    starts, pos = [], 0
    for l in ls:
        starts.append(pos)
        pos += len(l)
    def line_of(c):
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= c:
                lo = mid
            else:
                hi = mid - 1
        return lo
    cuts = [0]
    for i in range(1, n):
        target = len(t) * i // n
        c = line_of(max(target - 1, 0)) + 1
        cuts.append(min(max(c, cuts[-1] + 1), len(ls) - (n - i)))
    bounds = [starts[c] for c in cuts] + [len(t)]
    return [t[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


n = len(context)
out("n", n, len(clean_lines(context)))
out("peek", context[:2000])
out("tail", context[-300:], context[-5:-1], context[7:3])
m = re.search(r"(?i)magic number is (\d+)", context)
line = context[: m.start()].count("\n") + 1
out("hit", m.group(1), line, m.start(), m.end(), m.group(0))
errs = []
for e in itertools.islice(re.finditer("ERROR", context), 5):
    s = e.start()
    ls = context.rfind("\n", 0, s) + 1
    le = context.find("\n", s)
    errs.append([s, context[:s].count("\n") + 1, context[ls : le if le >= 0 else len(context)]])
out("errors", errs)
out("count", context.count("ERROR"), context.count("e"), len(re.findall(r"\w+", context)))
starts = [x.start() for x in re.finditer(r"(?m)^## ", context)]
bounds = ([0] if starts and starts[0] != 0 else []) + starts + [len(context)]
out("secs", [b - a for a, b in zip(bounds, bounds[1:]) if b > a])
out("chunks", [len(c) for c in chunk_by_size(context, 1000)])
out("parts", [len(c) for c in chunk_n(context, 8)])
ls = clean_lines(context)
blocks = [ls[i : i + 50] for i in range(0, len(ls), 50)]
out("blocks", [len(b) for b in blocks], blocks[-1][-1])
rows = [{"user": int(u), "label": l} for u, l in re.findall(r"User: (\d+) \|\| Label: (\w+)", context)]
out("rows", len(rows), rows[:3])
by_user = {}
for r in rows:
    by_user.setdefault(r["user"], []).append(r)
out("by_user", list(by_user), [len(v) for v in by_user.values()])
spam = sorted(set(r["user"] for r in rows if r["label"] == "spam"))
out("spam", spam)
ps = [list(p) for p in itertools.combinations(spam, 2)]
out("pairs", len(ps), ps[:4])
out("msg", f"{len(ps)} pairs among {len(spam)} users")
out("lines", clean_lines(context)[:3], clean_lines(context)[-2:], len(lines("a\nb\n")), clean_lines("a\r\nb"))
out("ops", [7 // 2, -7 // 2, 7 % -3, 2**10, 1 / 8, "ab" * 3, [1] + [2], 3 if 1 < 2 else 4])
out("cmp", [1 == 1.0, "a" < "b", [1, 2] < [1, 3], "x" in "xyz", 3 not in [1, 2], 1 < 2 < 3])
out("strs", ["  hi ".strip(), "a,b,,c".split(","), " a  b ".split(), "AbC".lower(), "abc".upper(), "hello".replace("l", "L"), "hello".find("lo")])
out("slices", ["abcdef"[1:4], "abcdef"[::-1], "abcdef"[::2], [1, 2, 3, 4][-2:], [1, 2, 3][5:], "é日本x"[1:3]])
out("agg", [sum([1, 2, 3]), min([3, 1, 2]), max(["b", "a"]), sorted([3, 1, 2], reverse=True), sorted(["b", "A", "a"]), round(2.5), round(3.14159, 2), abs(-4)])
out("coll", [[list(p) for p in zip([1, 2], ["a", "b"])], [list(p) for p in enumerate(["x", "y"])], [1, 2, 3, 4], [3, 1, 2], list(range(5)), list(range(2, 10, 3))])
out("comp", [[x * x for x in range(5) if x % 2 == 0], {k: v for k, v in {"a": 1, "b": 2}.items()}])
out("fmt", [f"{3.14159:.2f}", f"{1234567:,}", f"{42:05d}", f"{0.256:.1%}", f"{'ab':>4}"])
