"""The Python computation of tests/equiv/python_habits.rlq, from Python's own
semantics."""
import sys

from equiv import clean_lines as lines, out

context = open(sys.argv[1], encoding="utf-8").read()


words = "the cat sat on the mat the end".split()
items = [len(w) for w in words]


def f(lines):
    return len(lines)


count = 0
for w in words:
    count += 1
text = "k=v"
keys = ["a", "b"]
result = {}
sections = []
out("shadow", words, items, f(["x", "y"]), count, text, keys, result, sections)
c = {}
for w in words:
    c[w] = c.get(w, 0) + 1
out("counting", c)
xs = [1, 2, 3]
out("defaults", -1, "none", xs[1], c.get("dog", 0))
x = 5
r = [1, 2]
out("ternary", "big" if x > 1 else "small", "a" if x > 9 else ("b" if x > 3 else "c"), [] if len(r) == 0 else r)
out("partition", list("k=v".partition("=")), list("kv".partition("=")), list("a=b=c".partition("=")))
out("max_min", max({"a": 1, "b": 3}), min("hello"), max("hello"), min({"b": 1, "a": 2}))
d = {"b": 2, "a": 1, "c": 3}
out("sorted", sorted(d), max(d, key=lambda k: d[k]), sorted("cba"), sorted(d, reverse=True))
out("format", f"{3:e}", f"{12345.678:.2e}", f"{0.000123:E}", f"{2/3:.3g}", f"{1234567.0:g}", f"{100:.2g}")
ls = lines(context)[:50]
pats = ["magic", "ERROR"]
out("generators", sum(len(l) for l in ls), any(p in l for p in pats for l in ls), max(len(l) for l in ls), sorted(len(w) for w in words), all(len(w) > 0 for w in words))
recs = [{"n": 2}, {"n": 5}]
out("sum_fields", sum(x["n"] for x in recs), ",".join(w.upper() for w in words if len(w) > 2))
out("iterate", list(enumerate("ab")), sum(1 for k in d), [k for k in d])
a = -7
b = 3
acc = 0
i = 0
while i < 50:
    acc = (acc * 31 + i * i - a) % 1000003
    i += 1
out("arithmetic", (a % b) * 10 + a // b, (a + 1) * (b - 5) % 4, (a * b) // (b - 1), (b * 2) % (a + 4), acc, (i - 60) % 7 * 2)
wc = {}
for w in "get the items and the keys then get values update get".split():
    wc[w] = wc.get(w, 0) + 1
wc.update({"then": 9})
out("dict_methods_over_counted_words", wc, sorted(wc.keys()), len(wc.items()), sum(wc.values()), wc.get("get", 0))
import re
row = "Date: 2024-01-02 ||  User: 17 ||Label: x"
out("regex_split", re.split(r"\s*\|\|\s*", row), re.split(r"(\d+)", row), re.split(r"[:|]+", row, maxsplit=2), re.split(r"(-)|(_)", "a-b_c"), re.split(",", ""), re.split(",", "a,b,"))
probes = ["12", "", "a1", "héllo", "ab1", " \t", "ABC1", "abc", "123", "Ab", "٣٤"]
out("char_tests", [[p.isdigit(), p.isalpha(), p.isupper(), p.islower()] for p in probes])
out("join_text", ",".join("abc"), "".join(reversed("abc")), "-".join(["x", "y"]))
