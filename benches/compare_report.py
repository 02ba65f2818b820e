#!/usr/bin/env python3
"""Helper of compare.sh: measures results and memory, and writes the report.

  compare_report.py measure COMMANDS.tsv OUT.json
      Runs every command of COMMANDS.tsv once under GNU time (/usr/bin/time
      -f %M: the kernel's peak RSS of the process, ru_maxrss) with its
      standard output captured (the result: a count), and samples the
      process's RssAnon (private anonymous memory, /proc/PID/status) every
      0.5 ms; the largest sample is its peak RssAnon. File-backed pages of a
      memory-mapped file count in the peak RSS but not in RssAnon.

  compare_report.py report WORKDIR OUT
      Reads the hyperfine JSON exports, the measurements and the machine
      description in WORKDIR and writes one markdown section per corpus into
      OUT, between the lines "<!-- BEGIN GENERATED: NAME -->" and
      "<!-- END GENERATED: NAME -->": a section already there is replaced,
      a new one appended; the rest of OUT is kept. OUT "-" prints them.

Standard library only.
"""
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

BEGIN = "<!-- BEGIN GENERATED: %s -->"
END = "<!-- END GENERATED: %s -->"


def read_commands(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            group, key, tool, what, cmd = line.split("\t")
            rows.append({"group": group, "key": key, "tool": tool, "what": what, "cmd": cmd})
    return rows


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def rss_anon_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def parse_result(tool, out):
    """The count a command printed (None when it prints none)."""
    text = out.strip()
    if tool == "py":
        m = re.search(r"result=(\d+)", text)
        return int(m.group(1)) if m else None
    if tool == "C memscan":
        return None
    if tool == "C spawn3":
        return None
    m = re.match(r"^(\d+)", text.splitlines()[-1].strip() if text else "")
    return int(m.group(1)) if m else None


def measure_one(row):
    argv = shlex.split(row["cmd"])
    with tempfile.NamedTemporaryFile("w+", delete=False) as tf, \
            tempfile.NamedTemporaryFile("w+", delete=False) as of:
        tpath, opath = tf.name, of.name
    try:
        with open(opath, "w") as out:
            t0 = time.perf_counter()
            p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", tpath] + argv,
                                 stdout=out, stderr=subprocess.DEVNULL)
            child = None
            peak = None
            while p.poll() is None:
                if child is None:
                    kids = children(p.pid)
                    child = kids[0] if kids else None
                if child is not None:
                    v = rss_anon_kib(child)
                    if v is not None and (peak is None or v > peak):
                        peak = v
                time.sleep(0.0005)
            wall = time.perf_counter() - t0
        with open(tpath) as f:
            lines = [x for x in f.read().split("\n") if x.strip()]
        maxrss = int(lines[-1]) if lines and lines[-1].strip().isdigit() else None
        with open(opath) as f:
            stdout = f.read()
    finally:
        for path in (tpath, opath):
            try:
                os.unlink(path)
            except OSError:
                pass
    return {"key": row["group"] + ":" + row["key"], "exit": p.returncode, "wall_s": wall,
            "max_rss_kib": maxrss, "peak_rss_anon_kib": peak,
            "result": parse_result(row["tool"], stdout), "stdout": stdout[-500:]}


def measure(commands, out):
    rows = read_commands(commands)
    res = []
    for r in rows:
        m = measure_one(r)
        print("  %-14s %-10s result=%s rss=%s KiB anon=%s KiB" % (
            r["group"], r["key"], m["result"], m["max_rss_kib"], m["peak_rss_anon_kib"]),
            file=sys.stderr)
        res.append(m)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


# ---- report ----

def load_times(work, rows):
    """median, min, max, runs (seconds) per 'group:key', from hyperfine."""
    by_cmd = {}
    for name in sorted(os.listdir(work)):
        if not name.endswith(".json") or name == "measure.json":
            continue
        with open(os.path.join(work, name)) as f:
            data = json.load(f)
        for r in data.get("results", []):
            by_cmd[r["command"]] = r
    out = {}
    for row in rows:
        r = by_cmd.get(row["cmd"])
        if r is None:
            continue
        times = r["times"]
        out[row["group"] + ":" + row["key"]] = {
            "median": statistics.median(times), "min": min(times), "max": max(times), "n": len(times)}
    return out


def read_machine(work):
    info = {}
    with open(os.path.join(work, "machine.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            info[k] = v
    return info


def fmt_s(s):
    if s is None:
        return "–"
    if s < 0.01:
        return "%.1f ms" % (s * 1e3)
    if s < 1:
        return "%.0f ms" % (s * 1e3)
    return "%.2f s" % s


def fmt_x(x, digits=2):
    return "–" if x is None else ("%." + str(digits) + "f×") % x


def mib(kib):
    return "–" if kib is None else "%.0f" % (kib / 1024)


REFERENCE = {  # group suffix -> key of the row the "× ref" column divides by
    "floor": "floor.mem1", "start": None, "lit": "lit.rg", "rare": "rare.rg",
    "relit": "relit.rg", "weak": "weak.rg", "nolit": "nolit.rg", "alt": "alt.rg",
    "lines": "lines.wc", "chars": "floor.mem1", "part": "floor.mem1",
}
REF_NAME = {"floor.mem1": "scan floor", "lit.rg": "rg", "rare.rg": "rg", "relit.rg": "rg",
            "weak.rg": "rg", "nolit.rg": "rg", "alt.rg": "rg", "lines.wc": "wc -l"}
TITLE = {
    "floor": "Scan floor (C, memchr over the mmap)",
    "start": "Start-up, load and slices",
    "lit": "Literal count (common literal)",
    "rare": "Literal count (rare literal)",
    "relit": "Regex with a literal",
    "weak": "Regex with a weak literal (e-mail addresses)",
    "nolit": "Regex with no literal",
    "alt": "10-word alternation",
    "lines": "Lines",
    "chars": "Characters (len(context))",
    "part": "Partition",
}


def corpus_section(name, path, rows, times, meas, lines_out):
    size = os.path.getsize(path) if os.path.exists(path) else None
    lines_out.append("Whole-process wall time (hyperfine), median [min–max]; GB/s = file bytes / median; "
                     "× ref = median / the group's reference median (named in the column); "
                     "Python ÷ = the group's Python median / this median (how many times faster than Python); "
                     "peak RSS from GNU time (includes the page-cache pages of a mapped file); "
                     "RssAnon = private memory, sampled every 0.5 ms (rlmq rows).\n")
    lines_out.append("| group | tool | command | result | median [min–max] | GB/s | × ref | Python ÷ | peak RSS MiB | RssAnon MiB |")
    lines_out.append("|---|---|---|---|---|---|---|---|---|---|")
    groups = []
    for r in rows:
        if r["group"] not in groups:
            groups.append(r["group"])
    for g in groups:
        suffix = g.split("/", 1)[1]
        grows = [r for r in rows if r["group"] == g]
        ref_key = REFERENCE.get(suffix)
        ref_t = times.get("%s/%s:%s" % (name, ref_key.split(".")[0], ref_key)) if ref_key else None
        py = [times.get(g + ":" + r["key"]) for r in grows if r["tool"] == "py" and r["key"].endswith(".py")]
        py_t = py[0] if py and py[0] else None
        for r in grows:
            k = g + ":" + r["key"]
            t = times.get(k)
            m = meas.get(k, {})
            med = t["median"] if t else None
            # A start-up row reads little or none of the file: no throughput.
            scans = suffix != "start" or r["key"] == "start.py"
            gbs = "%.2f" % (size / 1e9 / med) if (scans and t and size and med > 0) else "–"
            xref = "–"
            if ref_t and t and r["key"] != ref_key:
                xref = "%.2f× %s" % (med / ref_t["median"], REF_NAME.get(ref_key, ref_key))
            pyx = "–"
            if py_t and t and r["tool"] == "rlmq" and r["key"] != "start.none":
                pyx = "%.1f×" % (py_t["median"] / med)
            span = "%s [%s–%s]" % (fmt_s(med), fmt_s(t["min"]), fmt_s(t["max"])) if t else "–"
            res = m.get("result")
            anon = mib(m.get("peak_rss_anon_kib")) if r["tool"] == "rlmq" else "–"
            cmd = "`" + short_cmd(r["cmd"], path) + "`"
            lines_out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                TITLE.get(suffix, suffix), r["tool"], cmd,
                "{:,}".format(res) if isinstance(res, int) else "–", span, gbs, xref, pyx,
                mib(m.get("max_rss_kib")), anon))
    lines_out.append("")


def short_cmd(cmd, path):
    """The command as a reader would type it: FILE for the corpus, bare
    program names, benches/ for the scripts; pipes escaped for markdown."""
    cmd = cmd.replace(path, "FILE")
    cmd = cmd.replace(os.path.dirname(os.path.abspath(__file__)) + "/", "benches/")
    cmd = re.sub(r"(^|\s)\S*/(rlmq|rg|memscan|spawn3)(?=\s|$)", r"\1\2", cmd)
    return cmd.replace("|", "\\|")


def ratio(times, name, a, b):
    ta = times.get("%s/%s:%s" % (name, a.split(".")[0], a))
    tb = times.get("%s/%s:%s" % (name, b.split(".")[0], b))
    if not ta or not tb or tb["median"] <= 0:
        return None
    return ta["median"] / tb["median"]


def targets_section(name, rows, times, meas, lines_out):
    def t(key):
        x = times.get("%s/%s:%s" % (name, key.split(".")[0], key))
        return x["median"] if x else None

    anon = [m.get("peak_rss_anon_kib") for k, m in meas.items()
            if k.startswith(name + "/") and any(r["tool"] == "rlmq" and r["group"] + ":" + r["key"] == k for r in rows)]
    anon = [a for a in anon if a is not None]
    checks = [
        ("literal count: rlmq `count` ÷ `rg -c`", ratio(times, name, "lit.rlmq", "lit.rg"), "≤ 0.9×", lambda x: x <= 0.9, fmt_x),
        ("`len(lines(context))` ÷ `wc -l`", ratio(times, name, "lines.rlmq", "lines.wc"), "≤ 1.0×", lambda x: x <= 1.0, fmt_x),
        ("regex with a literal: rlmq ÷ `rg --count-matches`", ratio(times, name, "relit.rlmq", "relit.rg"), "≤ 1.1×", lambda x: x <= 1.1, fmt_x),
        ("regex, no literal: rlmq 1 thread ÷ rlmq parallel", ratio(times, name, "nolit.rlmq1", "nolit.rlmq"), "≥ 1.6×", lambda x: x >= 1.6, fmt_x),
        ("regex, no literal: rlmq parallel ÷ `rg --count-matches`", ratio(times, name, "nolit.rlmq", "nolit.rg"), "< 1.0×", lambda x: x < 1.0, fmt_x),
        ("Python `str.count` ÷ rlmq `count` (load included)", ratio(times, name, "lit.py", "lit.rlmq"), "≥ 10×", lambda x: x >= 10, lambda x: fmt_x(x, 1)),
        ("Python `re.findall` ÷ rlmq, weak-literal regex", ratio(times, name, "weak.py", "weak.rlmq"), "≥ 30×", lambda x: x >= 30, lambda x: fmt_x(x, 1)),
        ("Python `splitlines` ÷ rlmq `len(lines(context))`", ratio(times, name, "lines.py", "lines.rlmq"), "≥ 20×", lambda x: x >= 20, lambda x: fmt_x(x, 1)),
        ("`context[:2000]`, whole process", t("start.head"), "< 20 ms", lambda x: x < 0.020, fmt_s),
        ("`len(context)` ÷ one raw scan (memscan, 1 thread)", ratio(times, name, "chars.rlmq", "floor.mem1"), "≤ 1.5×", lambda x: x <= 1.5, fmt_x),
        ("a 2,000-character slice in the middle (whole process) ÷ one raw scan", ratio(times, name, "start.mid", "floor.mem1"), "≤ 1.5×", lambda x: x <= 1.5, fmt_x),
        ("rlmq peak RssAnon (largest over the rlmq rows)", max(anon) / 1024 if anon else None, "tens of MB (< 100 MiB)", lambda x: x < 100, lambda x: "%.0f MiB" % x),
        ("`partition(size=100000)` ÷ one raw scan", ratio(times, name, "part.size", "floor.mem1"), "≤ 2×", lambda x: x <= 2, fmt_x),
        ("start-up (`rlmq run -e 1`, no context)", t("start.none"), "< 10 ms", lambda x: x < 0.010, fmt_s),
        ("start-up + mapping the context (`rlmq run -e 1 --context FILE`)", t("start.map"), "< 10 ms", lambda x: x < 0.010, fmt_s),
        ("(control, not a target: a C program that starts and joins 3 threads)", t("start.ctl"), "–", None, fmt_s),
    ]
    lines_out.append("| target | measured (ratio of medians) | goal | met |")
    lines_out.append("|---|---|---|---|")
    for label, val, goal, ok, f in checks:
        if val is None:
            lines_out.append("| %s | not measured | %s | – |" % (label, goal))
        else:
            met = "–" if ok is None else ("yes" if ok(val) else "**no**")
            lines_out.append("| %s | %s | %s | %s |" % (label, f(val), goal, met))
    lines_out.append("")


def corpus_block(name, path, rows, times, meas, info):
    """The generated markdown of one corpus, markers included."""
    L = [BEGIN % name, ""]
    size = os.path.getsize(path) if os.path.exists(path) else 0
    L.append("## Results: %s corpus (`%s`, %s bytes)\n" % (name, os.path.basename(path), "{:,}".format(size)))
    L.append("Measured on %s with `benches/compare.sh`; every figure in this section comes from that one run. "
             "Load average (1 min) at the start and end of the run: %s / %s (2 CPUs; other work on the machine "
             "slows parallel rows most)." % (info.get("run.date", "?"), info.get("run.load_start", "?"),
                                               info.get("run.load_end", "?")))
    L.append("")
    L.append("**Machine.** %s; %s; %s; %s; %s; %s; transparent huge pages: %s." % (
        info.get("machine.cpu", "?"), info.get("machine.cpus", "?"),
        info.get("machine.caches", "").strip().rstrip(";"), info.get("machine.memory", "?"),
        info.get("machine.kernel", "?"), info.get("machine.os", "?"), info.get("machine.thp", "?")))
    L.append("")
    L.append("**Tools.** " + "; ".join(info[k] for k in ("tool.rlmq", "tool.rustc", "tool.rg", "tool.grep", "tool.wc",
                                                          "tool.python", "tool.hyperfine", "tool.gcc") if k in info) + ".")
    L.append("")
    L.append("**Runs.** Fast commands: 1 warm-up + %s timed run(s) each (`hyperfine -N --output=pipe`); Python: %s timed "
             "run(s) each (the file is already in the page cache). Results and memory: one more run of each command. "
             "Niceness of every measured command, each hyperfine call in a session and autogroup of its own: %s." % (
                 info.get("run.runs", "?"), info.get("run.py_runs", "?"), info.get("run.nice", "0")))
    L.append("")
    L.append("### Targets (%s)\n" % name)
    targets_section(name, rows, times, meas, L)
    L.append("### Every command (%s)\n" % name)
    corpus_section(name, path, rows, times, meas, L)
    L.append("Result check: within a group every tool that prints a count should print the same one "
             "(`rg -c` and `grep -c` count matching lines, equal to the match count when no line holds two; "
             "`wc -m` counts characters as the C.UTF-8 locale decodes them; Python's `splitlines` also splits "
             "at \\r, \\v, \\f, \\x1c–\\x1e, \\x85, U+2028/9).")
    L.append("")
    L.append(END % name)
    return "\n".join(L)


def report(work, out):
    rows = read_commands(os.path.join(work, "commands.tsv"))
    times = load_times(work, rows)
    with open(os.path.join(work, "measure.json")) as f:
        meas = {m["key"]: m for m in json.load(f)}
    info = read_machine(work)
    corpora = [(k.split(".", 1)[1], v) for k, v in info.items() if k.startswith("corpus.")]
    blocks = [(name, corpus_block(name, path, [r for r in rows if r["group"].startswith(name + "/")],
                                  times, meas, info)) for name, path in corpora]
    if out == "-":
        sys.stdout.write("\n\n".join(b for _, b in blocks) + "\n")
        return
    text = "# rlmq benchmarks\n"
    if os.path.exists(out):
        with open(out) as f:
            text = f.read()
    for name, block in blocks:
        begin, end = BEGIN % name, END % name
        if begin in text and end in text:
            text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(out, "w") as f:
        f.write(text)
    print("wrote " + out, file=sys.stderr)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
