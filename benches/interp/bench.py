#!/usr/bin/env python3
"""Paired, interleaved whole-process timings of rlq programs (rlmq) against the
same programs in CPython (pyrun.py: the context read into a str, then exec).

For every case and round, the three commands (rlmq, python3, rlmq with
RAYON_NUM_THREADS=1) run one after another, in an order rotated each round.
Per run: wall (perf_counter around spawn..wait4), user+sys CPU and peak RSS
(ru_maxrss from wait4, the figure GNU time -v reports), stdout (must be
byte-identical between rlmq and python), PYCOMPUTE (python's exec time,
without reading the file).

Usage: bench.py OUT.json [case-id-substring ...]
ROUNDS=N in the environment caps each case's rounds (a quicker, noisier look).
"""
import json, os, subprocess, sys, tempfile, threading, time, hashlib

HERE = os.path.dirname(os.path.abspath(__file__))
RLMQ = os.environ.get("RLMQ", os.path.abspath("target/release/rlmq"))  # run from the project root, or set RLMQ
PY = os.environ.get("PYTHON", os.path.realpath(sys.executable))  # the real interpreter binary, not a shell shim (a pyenv shim adds 0.1-0.3 s a start)
D = os.path.abspath(os.environ.get("INTERP_DATA", "bench-data/interp"))  # written by benches/interp.sh
P = os.path.join(HERE, "progs")
EMPTY = os.path.join(D, "empty.txt")

# id, program, data file (None: no context), vars, rounds, with 1-thread run, timeout s
CASES = []
def case(prog, data, n_label, vars=None, rounds=7, one_thread=True, timeout=900):
    CASES.append(dict(id=f"{prog}@{n_label}", prog=prog, data=data, n=n_label,
                      vars=vars or {}, rounds=rounds, one_thread=one_thread, timeout=timeout))

O100, O1M, PROSE = f"{D}/oolong-100k.txt", f"{D}/oolong-1m.txt", f"{D}/prose-100mb.txt"
case("p00_empty", None, "-")
# OOLONG-like rows
case("p01_grep_count_by", O100, "100k"); case("p01_grep_count_by", O1M, "1M", rounds=5)
case("p03_for_lines", O100, "100k"); case("p03_for_lines", O1M, "1M", rounds=5)
case("p03_for_lines", PROSE, "prose100MB")
case("p04_split_comp", O100, "100k"); case("p04_split_comp", O1M, "1M", rounds=5)
case("p05_partition_map", PROSE, "prose100MB")
case("p05b_partition_map_lines", PROSE, "prose100MB")
case("p07a_sort_ints", None, "1M", {"N": "1000000"}, rounds=5)
case("p07b_sort_strs", None, "1M", {"N": "1000000"}, rounds=5)
case("p07c_sort_lines", O100, "100k"); case("p07c_sort_lines", O1M, "1M", rounds=5)
case("p08a_fib", None, "fib(25)", {"N": "25"})
case("p08b_while", None, "10M", {"N": "10000000"}, rounds=5)
case("p09a_dict_loop", O100, "100k")
case("p09b_count_by", O100, "100k"); case("p09b_count_by", O1M, "1M", rounds=5)
case("p10_append_loop", O100, "100k")
case("p10b_filter_comp", O100, "100k"); case("p10b_filter_comp", O1M, "1M", rounds=5)
case("p11_join", O100, "100k", {"THR": "10"}); case("p11_join", O1M, "1M", {"THR": "100"}, rounds=5)

# the loops that update a record / append to a list, at 1M lines
case("p09a_dict_loop", O1M, "1M", rounds=3, one_thread=False, timeout=600)
case("p10_append_loop", O1M, "1M", rounds=3, one_thread=False, timeout=900)


def commands(c):
    rl = [RLMQ, "run", f"{P}/{c['prog']}.rlq"]
    if c["data"]:
        rl += ["--context", c["data"]]
    for k, v in c["vars"].items():
        rl += ["--var", f"{k}={v}"]
    py = [PY, f"{HERE}/pyrun.py", f"{P}/{c['prog']}.py", c["data"] or EMPTY] + [f"{k}={v}" for k, v in c["vars"].items()]
    env1 = dict(os.environ, RAYON_NUM_THREADS="1")
    cmds = [("rlmq", rl, None), ("python", py, None)]
    if c["one_thread"]:
        cmds.append(("rlmq_1t", rl, env1))
    return cmds


def run_one(cmd, env, timeout):
    """Runs cmd under GNU time (for the peak RSS of the program itself: a
    child forked from this harness would report the harness's RSS held before
    exec). Wall: perf_counter around spawn..wait; CPU and RSS: GNU time."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe, \
         tempfile.NamedTemporaryFile("r") as ft:
        full = ["/usr/bin/time", "-f", "%M %U %S %e", "-o", ft.name] + cmd
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdout=fo, stderr=fe, env=env)
        killed = []
        def kill():
            killed.append(1)
            try:  # the program under GNU time: the child of the process we started
                kids = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
                for k in kids:
                    os.kill(int(k), 9)
            except OSError:
                p.kill()
        t = threading.Timer(timeout, kill); t.start()
        p.wait()
        wall = time.perf_counter() - t0
        t.cancel()
        fo.seek(0); fe.seek(0)
        out, err = fo.read(), fe.read().decode(errors="replace")
        tl = open(ft.name).read().strip().splitlines()
    last = tl[-1].split() if tl else ["0", "0", "0", "0"]
    try:
        rss, user, sys_, el = int(last[0]), float(last[1]), float(last[2]), float(last[3])
    except (ValueError, IndexError):
        rss, user, sys_, el = 0, 0.0, 0.0, 0.0
    r = dict(wall=wall, cpu=user + sys_, user=user, sys=sys_, time_elapsed=el,
             maxrss_kb=rss, rc=p.returncode, timeout=bool(killed),
             out_sha=hashlib.sha256(out).hexdigest()[:16], out=out.decode(errors="replace")[:400])
    for line in err.splitlines():
        if line.startswith("PYCOMPUTE "):
            r["py_compute"] = float(line.split()[1])
        if line.startswith("PYCOMPUTECPU "):
            r["py_compute_cpu"] = float(line.split()[1])
        if line.startswith("PYLOAD "):
            r["py_load"] = float(line.split()[1])
    if p.returncode != 0:
        r["stderr"] = err[-2000:]
    return r


def main():
    out_path = sys.argv[1]
    sel = sys.argv[2:]
    results = json.load(open(out_path)) if os.path.exists(out_path) else {}
    for c in CASES:
        if sel and not any(s in c["id"] for s in sel):
            continue
        if os.environ.get("ROUNDS"):
            c = dict(c, rounds=min(c["rounds"], int(os.environ["ROUNDS"])))
        cmds = commands(c)
        res = {name: [] for name, _, _ in cmds}
        load0 = os.getloadavg()[0]
        print(f"== {c['id']} ({c['rounds']} rounds)", flush=True)
        if c["rounds"] > 1:  # warm-up, untimed
            for name, cmd, env in cmds[:2]:
                run_one(cmd, env, c["timeout"])
        for r in range(c["rounds"]):
            order = cmds[r % len(cmds):] + cmds[:r % len(cmds)]
            for name, cmd, env in order:
                x = run_one(cmd, env, c["timeout"])
                x["round"] = r
                res[name].append(x)
                print(f"  r{r} {name:8s} wall {x['wall']:8.3f} cpu {x['cpu']:8.3f} rss {x['maxrss_kb']/1024:7.1f} MiB rc {x['rc']}"
                      + (f" pycompute {x['py_compute']:.3f}" if 'py_compute' in x else ""), flush=True)
        shas = {name: {x["out_sha"] for x in xs} for name, xs in res.items()}
        same = len(set().union(*shas.values())) == 1
        print(f"  outputs identical: {same}", flush=True)
        results[c["id"]] = dict(case=c, runs=res, outputs_identical=same,
                                load_start=load0, load_end=os.getloadavg()[0])
        json.dump(results, open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main()
