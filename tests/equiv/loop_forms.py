"""The Python computation of tests/equiv/loop_forms.rlq, from Python's own
semantics."""
from equiv import out

r = range(3, 40, 4)
out("range", len(r), r[0], r[-1], list(r[2:5]), list(r[::2]), list(r[::-1]), list(r[-3:]))
out("range_ops", sum(range(1, 101)), 11 in r, 12 in r, list(range(3)) == [0, 1, 2], list(range(5, -6, -3)), list(range(0)), list(range(5, 1)))
out("range_funcs", max(range(7)), min(range(2, 9)), sorted(range(4), reverse=True), [list(p) for p in zip(range(2), range(5, 7))], [list(p) for p in enumerate(range(10, 12))])
big = range(-9223372036854775807, 9223372036854775807, 4611686018427387904)
out("range_bounds", list(big), len(big), big[-1])
hits = []
for i in range(100):
    if i % 7 == 3:
        hits.append(i)
    if i * i > 2000:
        break
out("range_loop", hits)
# An rlq value is never shared between two names: where rlq assigns one name
# from another, the copy here is what that assignment means.
rr = list(range(3))
kept = list(rr)
rr.append(99)
out("range_append", rr, kept)
a = [1]
b = list(a)
a.append(2)
a.append([3, 4])
b.append(5)
out("append_alias", a, b)


def grow(xs):
    xs = list(xs)
    xs.append("local")
    return xs


g = ["global"]
grown = grow(g)
out("append_call", g, grown)
nested = {"list": [1]}
nested["list"].append(2)
out("append_nested", nested)
m = 10
n = 3
out("compare", m % n == 1, m * n > 29, m - n * 4 < 0, (m + n) // 2 >= 6, m % n != 1, m * 2 == 20.0, m / 4 == 2.5, m * 0.5 < 6)
odd = [i for i in range(20) if i % 2 == 1 and i * 3 > 20]
count = 0
i = 0
while i * i < 500:
    if (i + 1) % 4 == 0:
        count += 1
    i += 1
out("compare_loops", odd, count, i)
text = ""
snapshot = ""
counts = []
for i in range(30000):
    text += f"line {i} é\n"
    if i == 20000:
        snapshot = text
        counts.append(len(text))
        counts.append(len(text.split("\n")) - 1)
text += "end"
out("concat", len(text), len(snapshot), counts, text[-12:], snapshot[-10:], len(text.split("\n")), text[150000:150020])
