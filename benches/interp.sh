#!/usr/bin/env bash
# The interpreter suite: rlq programs against the same programs in CPython,
# run the way the Python RLM REPLs run code (the context file read and decoded
# into the str `context`, then exec). Every program prints the same bytes in
# both languages; the runs are whole processes, paired and interleaved (order
# rotated each round), with wall time, CPU and peak RSS; the table gives
# medians and the median of the per-round Python/rlmq ratios.
#
# Usage: benches/interp.sh [options] [case-substring ...]
#   --data DIR     where the generated inputs go (default bench-data/interp,
#                  about 230 MB: OOLONG-like rows at 100k and 1M lines from
#                  benches/interp/gen_oolong.py, seed 20251202; 100 MB of prose
#                  from benches/gen_haystack.py, seed 20251120)
#   --rlmq PATH    the rlmq binary (default: cargo build --release)
#   --python PATH  the Python interpreter (default python3)
#   --json FILE    the raw results (default DATA/results.json; a case already
#                  in it is measured again and replaced)
#   --out FILE     write the table into FILE between
#                  "<!-- BEGIN/END GENERATED: interpreter -->" markers
#                  (default BENCHMARKS.md; - for stdout only)
#
# Needs: python3, GNU time (/usr/bin/time). The machine should be otherwise
# idle; on a shared one, quote the ratios (paired per round), not the seconds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data="$root/bench-data/interp"
rlmq=""
python=python3
json=""
out="$root/BENCHMARKS.md"
cases=()

die() { echo "interp.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --data) data=$2; shift 2 ;;
        --rlmq) rlmq=$2; shift 2 ;;
        --python) python=$2; shift 2 ;;
        --json) json=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) cases+=("$1"); shift ;;
    esac
done

command -v "$python" >/dev/null || die "no $python"
[ -x /usr/bin/time ] || die "needs GNU time at /usr/bin/time (Debian: apt-get install time)"
if [ -z "$rlmq" ]; then
    (cd "$root" && cargo build --release --quiet) || die "cargo build --release failed"
    rlmq="$root/target/release/rlmq"
fi
[ -x "$rlmq" ] || die "no rlmq binary at $rlmq"

mkdir -p "$data"
for n in 100k:100000 1m:1000000; do
    f="$data/oolong-${n%%:*}.txt"
    [ -s "$f" ] || "$python" "$here/interp/gen_oolong.py" "$f" "${n##*:}"
done
[ -s "$data/prose-100mb.txt" ] || "$python" "$here/gen_haystack.py" "$data/prose-100mb.txt" 100000000 20251120 >/dev/null
: > "$data/empty.txt"

json=${json:-$data/results.json}
# The interpreter binary itself: a launcher in between (a pyenv shim is a
# shell script) would add 50-100 ms to every Python run.
python_bin=$("$python" -c 'import os, sys; print(os.path.realpath(sys.executable))')
RLMQ="$rlmq" PYTHON="$python_bin" INTERP_DATA="$data" \
    "$python" "$here/interp/bench.py" "$json" "${cases[@]}"
if [ "$out" = "-" ]; then
    "$python" "$here/interp/report.py" "$json"
else
    "$python" "$here/interp/report.py" "$json" "$out"
fi
