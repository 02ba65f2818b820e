#!/usr/bin/env python3
"""The markdown table of a bench.py results file (medians, paired ratios).

Usage: report.py RESULTS.json [OUT.md]
Without OUT.md (or with -) the table goes to stdout; with it, the table replaces the part
of OUT.md between "<!-- BEGIN GENERATED: interpreter -->" and
"<!-- END GENERATED: interpreter -->" (appended when the markers are absent)."""
import io, json, statistics as st, sys, os

res = json.load(open(sys.argv[1]))
out_path = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
sys.stdout = table = io.StringIO()
med = st.median

def fmt(x, nd=3):
    if x is None: return "–"
    if x >= 100: return f"{x:.0f}"
    if x >= 10: return f"{x:.1f}"
    return f"{x:.{nd}f}" if x < 1 else f"{x:.2f}"

print("| program | N | rlmq s | python s | py/rlmq (wall) | rlmq 1-thr s | rlmq CPU s | py CPU s | py/rlmq (CPU) | py exec only s | py exec / rlmq | RSS rlmq MiB | RSS py MiB | runs | same output |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
ratios = []
for cid, r in res.items():
    c = r["case"]; runs = r["runs"]
    rl, py = runs["rlmq"], runs["python"]
    one = runs.get("rlmq_1t", [])
    ok = all(x["rc"] == 0 and not x["timeout"] for xs in runs.values() for x in xs)
    # paired ratios: python / rlmq within a round
    pr_w = [p["wall"] / q["wall"] for p, q in zip(py, rl)]
    pr_c = [p["cpu"] / q["cpu"] for p, q in zip(py, rl) if q["cpu"] > 0]
    row = [c["prog"], c["n"],
           fmt(med(x["wall"] for x in rl)), fmt(med(x["wall"] for x in py)),
           f"{med(pr_w):.2f}×",
           fmt(med(x["wall"] for x in one)) if one else "–",
           fmt(med(x["cpu"] for x in rl)), fmt(med(x["cpu"] for x in py)),
           (f"{med(pr_c):.2f}×" if pr_c else "–"),
           fmt(med(x.get("py_compute", 0) for x in py)),
           f"{med(p.get('py_compute', 0) / q['wall'] for p, q in zip(py, rl)):.2f}×",
           f"{med(x['maxrss_kb'] for x in rl)/1024:.0f}", f"{med(x['maxrss_kb'] for x in py)/1024:.0f}",
           str(len(rl)), ("yes" if r["outputs_identical"] else "NO") + ("" if ok else " (rc/timeout!)")]
    print("| " + " | ".join(row) + " |")
    if c["prog"] != "p00_empty":
        ratios.append(med(pr_w))
if ratios:
    print()
    print(f"Median Python/rlmq wall-time ratio over the {len(ratios)} programs (start-up row excluded): "
          f"**{med(ratios):.2f}×**; rlmq faster on {sum(x > 1 for x in ratios)} of {len(ratios)}.")


sys.stdout = sys.__stdout__
text = table.getvalue()
if not out_path:
    sys.stdout.write(text)
    sys.exit(0)
begin, end = "<!-- BEGIN GENERATED: interpreter -->", "<!-- END GENERATED: interpreter -->"
block = begin + "\n" + text + end
doc = open(out_path).read() if os.path.exists(out_path) else "# rlmq benchmarks\n"
if begin in doc and end in doc:
    doc = doc[:doc.index(begin)] + block + doc[doc.index(end) + len(end):]
else:
    doc = doc.rstrip("\n") + "\n\n" + block + "\n"
open(out_path, "w").write(doc)
print("wrote " + out_path, file=sys.stderr)
