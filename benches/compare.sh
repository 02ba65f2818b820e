#!/usr/bin/env bash
# Side-by-side comparison of rlmq with ripgrep, GNU grep, wc, a C memory-scan
# floor and Python (doing what the Python RLM REPL does: read + decode the
# file into a str, then str.count / re.findall / splitlines), on one large
# file kept in the page cache. Writes one section per corpus into
# BENCHMARKS.md, between "<!-- BEGIN/END GENERATED: corpus -->" markers
# (a section already there is replaced; the rest of the file is kept).
#
# Usage: benches/compare.sh [options]
#   --corpus synthetic|kernel|both|FILE
#                      what to run on (default synthetic). synthetic: the
#                      deterministic English-like haystack of gen_haystack.py
#                      (seed 20251120); kernel: the *.c/*.h files of Debian's
#                      linux-source package (needs `apt-get install
#                      linux-source`; unpacked into the data folder); FILE:
#                      any file, searched with the synthetic patterns unless
#                      --literal/--regex-literal/--split are given.
#   --size BYTES       size of the generated corpora (default 1000000000);
#                      try 100000000 first
#   --runs N           timed runs of each fast command (default 5, after 1 warm-up)
#   --py-runs N        timed runs of each Python command (default 3, no warm-up)
#   --no-python        skip the Python commands
#   --data DIR         where generated data goes (default bench-data, git-ignored)
#   --rlmq PATH        the rlmq binary (default: cargo build --release)
#   --rg PATH          the ripgrep binary (default: rg on the PATH; Debian
#                      ships 13.0; `cargo install ripgrep` gives the newest)
#   --out FILE         the report (default BENCHMARKS.md; - for stdout only)
#   --nice N           run every measured command at this niceness, e.g. -10
#                      as root, in a session of its own whose scheduling group
#                      (autogroup) gets the same niceness: on a shared machine
#                      other sessions then take less CPU from the timings, and
#                      a parallel row gets its cores. All tools get the same
#                      priority.
#   --literal S --regex-literal R --split R   patterns for a FILE corpus
#
# Needs: hyperfine, ripgrep, GNU grep/coreutils, GNU time (/usr/bin/time),
# gcc, python3 (Debian: apt-get install hyperfine ripgrep time gcc python3).
# Everything is measured in ONE run of this script, on the same file, so the
# ratios (rlmq vs rg, vs wc, vs Python) are comparable; absolute seconds move
# with the machine's load.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=synthetic
size=1000000000
runs=5
py_runs=3
python=1
data="$root/bench-data"
rlmq=""
rg=rg
out="$root/BENCHMARKS.md"
u_literal="" u_regex="" u_split=""
niceness=0

die() { echo "compare.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --corpus) corpus=$2; shift 2 ;;
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --py-runs) py_runs=$2; shift 2 ;;
        --no-python) python=0; shift ;;
        --data) data=$2; shift 2 ;;
        --rlmq) rlmq=$2; shift 2 ;;
        --rg) rg=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --nice) niceness=$2; shift 2 ;;
        --literal) u_literal=$2; shift 2 ;;
        --regex-literal) u_regex=$2; shift 2 ;;
        --split) u_split=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[[ "$size" =~ ^[0-9]+$ ]] || die "--size takes a number of bytes"
[[ "$niceness" =~ ^-?[0-9]+$ ]] || die "--nice takes a number"
[[ "$runs" =~ ^[1-9][0-9]*$ && "$py_runs" =~ ^[1-9][0-9]*$ ]] || die "--runs and --py-runs take a positive number"
for tool in hyperfine "$rg" grep wc gcc python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install hyperfine ripgrep time gcc python3)"
done
export LC_ALL=C.UTF-8
mkdir -p "$data"
data=$(cd "$data" && pwd)

if [ -z "$rlmq" ]; then
    (cd "$root" && cargo build --release --quiet) || die "cargo build failed"
    rlmq="$root/target/release/rlmq"
fi
[ -x "$rlmq" ] || die "no rlmq binary at $rlmq"
memscan="$data/memscan"
spawn3="$data/spawn3"
for c in memscan spawn3; do
    if [ ! -x "$data/$c" ] || [ "$here/$c.c" -nt "$data/$c" ]; then
        gcc -O2 -pthread -o "$data/$c" "$here/$c.c"
    fi
done

# ---- data ----------------------------------------------------------------

synthetic_file() {
    local f="$data/haystack-$size.txt"
    if [ ! -s "$f" ] || [ ! -s "$f.manifest.json" ]; then
        echo "generating $f (deterministic, seed 20251120) ..." >&2
        python3 "$here/gen_haystack.py" "$f.tmp" "$size" 20251120 >/dev/null
        mv "$f.tmp.manifest.json" "$f.manifest.json"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

kernel_file() {
    local f="$data/kernel-$size.c.txt"
    if [ ! -s "$f" ]; then
        local tarball
        tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1 || true)
        [ -n "$tarball" ] || die "no /usr/src/linux-source-*.tar.xz: apt-get install linux-source"
        local name
        name=$(basename "$tarball" .tar.xz)
        if [ ! -d "$data/$name" ]; then
            echo "unpacking $tarball ..." >&2
            tar -xJf "$tarball" -C "$data"
        fi
        echo "building $f ..." >&2
        sh "$here/make_kernel_corpus.sh" "$data/$name" "$f.tmp" "$size"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

# ---- commands --------------------------------------------------------------

# Single-quote a word for hyperfine's command splitting (no ' allowed).
q() {
    case "$1" in *"'"*) die "pattern holds a single quote: $1" ;; esac
    printf "'%s'" "$1"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/rlmq-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One row: group, key, tool, what, command (one line in $work/commands.tsv).
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$work/commands.tsv"; }

plan_corpus() {
    local c=$1 f=$2 lit rare relit weak nolit alt split
    weak='\b\w+@\w+\.com\b'
    nolit='[A-Z][a-z]+ [A-Z][a-z]+'
    case "$c" in
        kernel)
            lit='PM_RESUME'; rare=''
            relit='[A-Z]+_SUSPEND'
            alt='ERR_PTR|IS_ERR|kmalloc|kfree|spin_lock|mutex_lock|printk|memcpy|GFP_KERNEL|EXPORT_SYMBOL'
            split='^/\* ==== FILE: ' ;;
        *)
            lit='label: spam'; rare='magic numbers for'
            relit='user_id: (\d+)'
            alt='harbor|village|engineer|teacher|doctor|farmer|captain|merchant|traveler|mountain'
            split='^## '
            [ -z "$u_literal" ] || lit=$u_literal
            [ -z "$u_regex" ] || relit=$u_regex
            [ -z "$u_split" ] || split=$u_split ;;
    esac
    local r="$rlmq run --context $f -e"
    local r1="env RAYON_NUM_THREADS=1 $rlmq run --context $f -e"
    local py="python3 $here/pyops.py"
    local set
    set=$(printf '%s' "$alt" | sed 's/|/", "/g; s/^/["/; s/$/"]/')

    row "$c/floor" floor.mem1 "C memscan" "memchr over the mmap, 1 thread (scan floor)" "$memscan memchr 1 $f"
    row "$c/floor" floor.mem2 "C memscan" "memchr over the mmap, 2 threads" "$memscan memchr 2 $f"
    row "$c/floor" floor.nl1 "C memscan" "newline count, memchr loop, 1 thread" "$memscan nl 1 $f"

    row "$c/start" start.ctl "C spawn3" "control: a C program that starts and joins 3 threads" "$spawn3"
    row "$c/start" start.none rlmq "start-up: parse script + stdlib, no context" "$rlmq run -e 1"
    row "$c/start" start.map rlmq "start-up + map the context" "$r 1"
    row "$c/start" start.head rlmq "context[:2000]" "$r $(q 'len(context[:2000])')"
    local mid=$(( $(stat -c %s "$f") / 2 ))
    row "$c/start" start.mid rlmq "context[$mid:$((mid + 2000))] (a slice in the middle: builds the char index)" "$r $(q "len(context[$mid:$((mid + 2000))])")"
    row "$c/start" start.py py "open(f).read() (the RLM REPL's load)" "$py load_text $f"

    row "$c/lit" lit.rlmq rlmq "count(context, \"$lit\")" "$r $(q "count(context, \"$lit\")")"
    row "$c/lit" lit.rlmq1 rlmq "same, RAYON_NUM_THREADS=1" "$r1 $(q "count(context, \"$lit\")")"
    row "$c/lit" lit.rlmqgrep rlmq "len(grep(context, \"$lit\"))" "$r $(q "len(grep(context, \"$lit\"))")"
    row "$c/lit" lit.rg rg "rg -c" "$rg -c $(q "$lit") $f"
    row "$c/lit" lit.grep grep "grep -c -F" "grep -c -F $(q "$lit") $f"
    row "$c/lit" lit.py py "str.count (read + decode first)" "$py count_str $f $(q "$lit")"
    row "$c/lit" lit.pyb py "bytes.count (no decode)" "$py count_bytes $f $(q "$lit")"
    if [ -n "$rare" ]; then
        row "$c/rare" rare.rlmq rlmq "count(context, \"$rare\")" "$r $(q "count(context, \"$rare\")")"
        row "$c/rare" rare.rg rg "rg -c" "$rg -c $(q "$rare") $f"
        row "$c/rare" rare.py py "str.count" "$py count_str $f $(q "$rare")"
    fi

    row "$c/relit" relit.rlmq rlmq "count(context, re\"$relit\")" "$r $(q "count(context, re\"$relit\")")"
    row "$c/relit" relit.rlmq1 rlmq "same, RAYON_NUM_THREADS=1" "$r1 $(q "count(context, re\"$relit\")")"
    row "$c/relit" relit.rlmqfa rlmq "len(findall(context, re\"$relit\"))" "$r $(q "len(findall(context, re\"$relit\"))")"
    row "$c/relit" relit.rg rg "rg --count-matches" "$rg --count-matches $(q "$relit") $f"
    row "$c/relit" relit.py py "len(re.findall(...)) on the str" "$py findall_str $f $(q "$relit")"

    row "$c/weak" weak.rlmq rlmq "count(context, re\"$weak\")" "$r $(q "count(context, re\"$weak\")")"
    row "$c/weak" weak.rlmq1 rlmq "same, RAYON_NUM_THREADS=1" "$r1 $(q "count(context, re\"$weak\")")"
    row "$c/weak" weak.rg rg "rg --count-matches" "$rg --count-matches $(q "$weak") $f"
    row "$c/weak" weak.py py "len(re.findall(...)) on the str" "$py findall_str $f $(q "$weak")"

    row "$c/nolit" nolit.rlmq rlmq "count(context, re\"$nolit\")" "$r $(q "count(context, re\"$nolit\")")"
    row "$c/nolit" nolit.rlmq1 rlmq "same, RAYON_NUM_THREADS=1" "$r1 $(q "count(context, re\"$nolit\")")"
    row "$c/nolit" nolit.rg rg "rg --count-matches" "$rg --count-matches $(q "$nolit") $f"
    row "$c/nolit" nolit.py py "len(re.findall(...)) on the str" "$py findall_str $f $(q "$nolit")"

    row "$c/alt" alt.rlmq rlmq "count(context, re\"<10-word alternation>\")" "$r $(q "count(context, re\"$alt\")")"
    row "$c/alt" alt.rlmqset rlmq "count(context, [<the 10 words>]) (literal set)" "$r $(q "count(context, $set)")"
    row "$c/alt" alt.rg rg "rg --count-matches" "$rg --count-matches $(q "$alt") $f"
    row "$c/alt" alt.py py "len(re.findall(...)) on the str" "$py findall_str $f $(q "$alt")"

    row "$c/lines" lines.rlmq rlmq "len(lines(context))" "$r $(q 'len(lines(context))')"
    row "$c/lines" lines.wc wc "wc -l" "wc -l $f"
    row "$c/lines" lines.py py "len(str.splitlines())" "$py splitlines $f"

    row "$c/chars" chars.rlmq rlmq "len(context) (builds the char index)" "$r $(q 'len(context)')"
    row "$c/chars" chars.wc wc "wc -m" "wc -m $f"
    row "$c/chars" chars.py py "read + decode, len(str)" "$py load_str $f"

    row "$c/part" part.size rlmq "len(partition(context, size=100000))" "$r $(q 'len(partition(context, size=100000))')"
    row "$c/part" part.by rlmq "len(partition(context, by=re\"$split\"))" "$r $(q "len(partition(context, by=re\"$split\"))")"
}

corpora=()
case "$corpus" in
    synthetic) corpora=("synthetic=$(synthetic_file)") ;;
    kernel) corpora=("kernel=$(kernel_file)") ;;
    both) corpora=("synthetic=$(synthetic_file)" "kernel=$(kernel_file)") ;;
    *) [ -f "$corpus" ] || die "no such corpus or file: $corpus"
       corpora=("file=$(cd "$(dirname "$corpus")" && pwd)/$(basename "$corpus")") ;;
esac
: > "$work/commands.tsv"
for c in "${corpora[@]}"; do
    plan_corpus "${c%%=*}" "${c#*=}"
done
if [ "$python" = 0 ]; then
    awk -F'\t' '$3 != "py"' "$work/commands.tsv" > "$work/c.tsv" && mv "$work/c.tsv" "$work/commands.tsv"
fi

# ---- run -------------------------------------------------------------------

# Runs "$@" at niceness $niceness; a negative one also in a new session whose
# autogroup gets that niceness (with autogroups, plain nice only orders the
# processes of one session, not this session against the others).
prio() {
    if [ "$niceness" -lt 0 ] && [ -e /proc/self/autogroup ]; then
        setsid -w bash -c 'echo "$0" > /proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' "$niceness" "$@"
    else
        nice -n "$niceness" "$@"
    fi
}

# Each group: the fast commands in one hyperfine call (1 warm-up, $runs runs),
# the Python ones in another ($py_runs runs; the file is already cached).
# Then one more run of every command for its result, peak RSS (GNU time) and
# sampled peak RssAnon.
load_start=$(cut -d' ' -f1 /proc/loadavg)
groups=$(cut -f1 "$work/commands.tsv" | awk '!seen[$0]++')
for g in $groups; do
    gid=${g//\//_}
    for kind in fast py; do
        mapfile -t cmds < <(awk -F'\t' -v g="$g" -v k="$kind" \
            '$1 == g && (k == "py") == ($3 == "py") {print $5}' "$work/commands.tsv")
        [ ${#cmds[@]} -gt 0 ] || continue
        echo "== $g ($kind): ${#cmds[@]} commands" >&2
        if [ "$kind" = fast ]; then
            prio hyperfine -N --output=pipe --style basic --warmup 1 --runs "$runs" \
                --export-json "$work/$gid.$kind.json" "${cmds[@]}" >&2
        else
            prio hyperfine -N --output=pipe --style basic --runs "$py_runs" \
                --export-json "$work/$gid.$kind.json" "${cmds[@]}" >&2
        fi
    done
done
echo "== results and memory (one run each)" >&2
prio python3 "$here/compare_report.py" measure "$work/commands.tsv" "$work/measure.json"

# ---- report ----------------------------------------------------------------

{
    echo "machine.cpu=$(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p)"
    echo "machine.cpus=$(nproc) CPUs ($(lscpu | sed -n 's/^Thread(s) per core: *//p') thread(s) per core)"
    echo "machine.caches=$(lscpu | awk -F': *' '/^L[123][di]? cache/ {printf "%s %s; ", $1, $2}')"
    echo "machine.memory=$(free -h | awk '/^Mem:/ {print $2}') RAM"
    echo "machine.kernel=$(uname -sr)"
    echo "machine.os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "machine.thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
    echo "tool.rlmq=$("$rlmq" --version) (git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown))"
    echo "tool.rustc=$(rustc --version 2>/dev/null || echo unknown)"
    echo "tool.rg=$("$rg" --version | sed -n 1p) ($("$rg" --version | grep -i -m1 'runtime' | sed 's/^ *//'))"
    echo "tool.grep=$(grep --version | sed -n 1p)"
    echo "tool.wc=$(wc --version | sed -n 1p)"
    echo "tool.python=$(python3 --version 2>&1)"
    echo "tool.hyperfine=$(hyperfine --version)"
    echo "tool.gcc=$(gcc --version | sed -n 1p)"
    echo "run.runs=$runs"
    echo "run.py_runs=$py_runs"
    echo "run.nice=$niceness"
    echo "run.date=$(date -u +%Y-%m-%d)"
    echo "run.load_start=$load_start"
    echo "run.load_end=$(cut -d' ' -f1 /proc/loadavg)"
    for c in "${corpora[@]}"; do
        echo "corpus.${c%%=*}=${c#*=}"
    done
} > "$work/machine.txt"
python3 "$here/compare_report.py" report "$work" "$out"
