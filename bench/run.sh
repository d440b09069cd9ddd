#!/usr/bin/env bash
# Measures docklab against the performance budgets in DESIGN.md ("Performance budgets") and,
# where a docker or podman engine answers `info`, runs the same commands on it for ratios.
#
#   bench/run.sh               50 runs per measurement after 5 warm-ups
#   bench/run.sh --quick       10 runs after 2 warm-ups (CI smoke)
#   bench/run.sh -n 200        any number of runs
#   bench/run.sh --strict      exit 1 when a median is over its budget
#   bench/run.sh --self-test   check the median and RSS helpers only (no engine needed)
#
# Runs as root (containers need it), needs no terminal, and leaves nothing behind: every
# container it started is removed and its private engine root deleted, even on failure.
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(measure ...) must stop the run
export LC_ALL=C # $EPOCHREALTIME and printf must use '.' as the decimal point

RUNS=50
WARMUP=5
STRICT=0
SELF_TEST=0
while (($#)); do
    case "$1" in
    --quick) RUNS=10 WARMUP=2 ;;
    -n | --runs) RUNS="$2" && shift ;;
    --strict) STRICT=1 ;;
    --self-test) SELF_TEST=1 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1' (try --help)" >&2 && exit 2 ;;
    esac
    shift
done

# The init process of the stop benchmark must honour SIGTERM: as PID 1 of its namespace the
# kernel drops signals it has no handler for, so a bare `sleep` would wait out the whole
# `stop -t 10` grace period. sh installs a handler with `trap`; `wait` (unlike a foreground
# `sleep`) returns as soon as a trapped signal arrives (POSIX, "wait"), so it exits at once.
TERM_INIT=(sh -c 'trap "exit 0" TERM; while :; do sleep 1 & wait; done')

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

# median FILE: the median of the numbers in FILE, one per line ("nan" when empty).
median() {
    sort -g "$1" | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) { print "nan"; exit }
            if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]
            else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

# elapsed_ms T0 T1: milliseconds between two $EPOCHREALTIME readings.
elapsed_ms() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

# rss_kib PID: resident set size from /proc/PID/status, in KiB ("" if the process is gone).
rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# time_cmd OUT -- CMD...: appends one timing (ms) of CMD to OUT; fails if CMD fails.
time_cmd() {
    local out="$1" t0 t1
    shift 2
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>"$WORK/last.err" || {
        echo "bench: '$*' failed:" >&2
        cat "$WORK/last.err" >&2
        return 1
    }
    t1=$EPOCHREALTIME
    elapsed_ms "$t0" "$t1" >>"$out"
}

self_test() {
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    local fails=0
    check() { # check WHAT GOT WANT
        if [[ "$2" == "$3" ]]; then echo "ok    $1 = $2"; else
            echo "FAIL  $1: got '$2', want '$3'" && fails=$((fails + 1))
        fi
    }
    printf '%s\n' 5 1 3 >"$WORK/odd" && check "median 5 1 3" "$(median "$WORK/odd")" 3.00
    printf '%s\n' 10 2.5 4 1 >"$WORK/even" && check "median 10 2.5 4 1" "$(median "$WORK/even")" 3.25
    printf '%s\n' 1e1 9 >"$WORK/sci" && check "median 1e1 9" "$(median "$WORK/sci")" 9.50
    : >"$WORK/empty" && check "median of nothing" "$(median "$WORK/empty")" nan
    check "elapsed_ms" "$(elapsed_ms 100.000100 100.012600)" 12.500
    time_cmd "$WORK/t" -- true && check "time_cmd records one sample" "$(wc -l <"$WORK/t")" 1
    sleep 30 &
    local pid=$! rss
    sleep 0.2 # past fork and exec: in between, the child's RSS is not sleep's
    rss=$(rss_kib "$pid")
    kill "$pid" && wait "$pid" 2>/dev/null || true
    if [[ "$rss" =~ ^[0-9]+$ ]] && ((rss > 100 && rss < 65536)); then
        echo "ok    rss_kib of sleep = $rss KiB"
    else
        echo "FAIL  rss_kib of sleep: '$rss'" && fails=$((fails + 1))
    fi
    check "rss_kib of a gone process" "$(rss_kib "$pid")" ""
    if command -v busybox >/dev/null; then
        # The stop benchmark's init must end promptly on SIGTERM.
        busybox "${TERM_INIT[@]}" &
        pid=$!
        sleep 0.3
        local t0=$EPOCHREALTIME rc=0
        kill -TERM "$pid"
        wait "$pid" || rc=$?
        local ms
        ms=$(elapsed_ms "$t0" "$EPOCHREALTIME")
        if ((rc == 0)) && awk -v m="$ms" 'BEGIN { exit !(m < 50) }'; then
            echo "ok    SIGTERM init exits 0 in $ms ms"
        else
            echo "FAIL  SIGTERM init: rc=$rc after $ms ms" && fails=$((fails + 1))
        fi
    fi
    ((fails == 0)) && echo "self-test passed" || { echo "self-test: $fails failure(s)" && exit 1; }
}

if ((SELF_TEST)); then
    self_test
    exit 0
fi

# ---------------------------------------------------------------------------------------
# Setup and cleanup
# ---------------------------------------------------------------------------------------

if ((EUID != 0)); then
    echo "bench/run.sh: run as root (containers need namespaces and mounts)" >&2
    exit 1
fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/docklab-bench.XXXXXX)
export DOCKLAB_ROOT="$WORK/root"
mkdir -p "$DOCKLAB_ROOT"
# IDs of started containers go to files: measurements run in $(…) subshells, which
# cannot add to the parent's arrays.
: >"$WORK/started.docklab"
: >"$WORK/started.peer"
PEER=""
BIN="${DOCKLAB_BIN:-}"

cleanup() {
    local rc=$? id pid
    trap - EXIT INT TERM
    set +e
    while read -r id; do "$BIN" rm -f "$id" >/dev/null 2>&1; done <"$WORK/started.docklab"
    if [[ -n "$PEER" ]]; then
        while read -r id; do "$PEER" rm -f "$id" >/dev/null 2>&1; done <"$WORK/started.peer"
    fi
    # Any docklab process still working on our private root (a monitor whose container
    # could not be removed) is ours: end it by PID.
    if [[ -n "$BIN" ]]; then
        for pid in $(grep -lsxzF "DOCKLAB_ROOT=$DOCKLAB_ROOT" /proc/[0-9]*/environ | cut -d/ -f3); do
            [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
            [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$(readlink -f "$BIN")" ]] &&
                kill -KILL "$pid" 2>/dev/null
        done
    fi
    # Unmount whatever is left under the root (deepest first) before deleting it, so that
    # rm can never walk into a bind-mounted host directory.
    awk -v r="$WORK" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo |
        sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    if awk -v r="$WORK" '$5 == r || index($5, r "/") == 1 { found = 1 } END { exit !found }' \
        /proc/self/mountinfo; then
        echo "bench: mounts remain under $WORK; not deleting it" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "$BIN" ]]; then
    echo "building release binary..." >&2
    (cd "$REPO" && cargo build --release --quiet)
    BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/docklab"
fi
[[ -x "$BIN" ]] || { echo "bench: no docklab binary at $BIN" >&2 && exit 1; }

# ---------------------------------------------------------------------------------------
# Measurements (the same functions drive docklab and a peer engine)
# ---------------------------------------------------------------------------------------

# bench_single ENGINE NAME -- ARGS...: median ms of `ENGINE ARGS` (hyperfine if installed).
bench_single() {
    local engine="$1" name="$2" f
    f="$WORK/$name.$(basename "$1")"
    shift 3
    if command -v hyperfine >/dev/null; then
        hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
            --export-json "$f.json" "$engine $*" >/dev/null 2>&1 || {
            echo "bench: '$engine $*' failed under hyperfine" >&2
            "$engine" "$@" >&2
            return 1
        }
        grep -o '"median": *[0-9.eE+-]*' "$f.json" | head -1 |
            awk '{ printf "%.2f\n", $2 * 1000 }'
        return
    fi
    local i
    for ((i = 0; i < WARMUP; i++)); do time_cmd /dev/null -- "$engine" "$@"; done
    : >"$f"
    for ((i = 0; i < RUNS; i++)); do time_cmd "$f" -- "$engine" "$@"; done
    median "$f"
}

# bench_run_stop ENGINE: median ms of `run -d` followed by `stop -t 10` of TERM_INIT.
bench_run_stop() {
    local engine="$1" f="$WORK/runstop.$(basename "$1")" i id t0 t1
    : >"$f"
    for ((i = 0; i < WARMUP + RUNS; i++)); do
        t0=$EPOCHREALTIME
        id=$("$engine" run -d busybox "${TERM_INIT[@]}")
        remember "$engine" "$id"
        "$engine" stop -t 10 "$id" >/dev/null
        t1=$EPOCHREALTIME
        if ! [[ "$id" =~ ^[0-9a-f]{64}$ ]]; then
            echo "bench: '$engine run -d' printed '$id', not a 64-hex ID" >&2
            return 1
        fi
        ((i >= WARMUP)) && elapsed_ms "$t0" "$t1" >>"$f"
        "$engine" rm -f "$id" >/dev/null
    done
    median "$f"
}

remember() {
    [[ -n "$2" ]] || return 0
    if [[ "$1" == "$BIN" ]]; then echo "$2" >>"$WORK/started.docklab"; else echo "$2" >>"$WORK/started.peer"; fi
}

# monitor_pid ID: the PID of docklab's monitor for container ID: MonitorPid from state.json,
# else the docklab process whose command line names the container.
monitor_pid() {
    local id="$1" state="$DOCKLAB_ROOT/containers/$1/state.json" pid=""
    if [[ -f "$state" ]]; then
        pid=$(grep -oiE '"monitor_?pid" *: *[0-9]+' "$state" | grep -oE '[0-9]+$' | head -1 || true)
    fi
    if [[ -z "$pid" ]]; then
        pid=$(pgrep -f "__monitor.*$id" | head -1 || true)
    fi
    if [[ -z "$pid" ]]; then
        pid=$(pgrep -f "__monitor" | while read -r p; do
            grep -qsxzF "DOCKLAB_ROOT=$DOCKLAB_ROOT" "/proc/$p/environ" && echo "$p"
        done | head -1 || true)
    fi
    echo "$pid"
}

# peer_monitor_pid ENGINE ID: the per-container process a peer keeps on the host
# (containerd-shim for docker, conmon for podman), if it can be found.
peer_monitor_pid() {
    case "$(basename "$1")" in
    podman) pgrep -f "conmon.*$2" | head -1 || true ;;
    *) pgrep -f "containerd-shim.*$2" | head -1 || true ;;
    esac
}

# bench_rss ENGINE: VmRSS in KiB of the monitor of a running container.
bench_rss() {
    local engine="$1" id pid rss
    id=$("$engine" run -d busybox sleep 1000)
    remember "$engine" "$id"
    sleep 0.5 # let the monitor settle after start-up
    if [[ "$engine" == "$BIN" ]]; then pid=$(monitor_pid "$id"); else pid=$(peer_monitor_pid "$engine" "$id"); fi
    rss=""
    [[ -n "$pid" ]] && rss=$(rss_kib "$pid")
    "$engine" rm -f "$id" >/dev/null 2>&1 || true
    echo "${rss:-nan}"
}

# ---------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------

for candidate in docker podman; do
    if command -v "$candidate" >/dev/null && timeout 10 "$candidate" info >/dev/null 2>&1; then
        PEER=$(command -v "$candidate")
        break
    fi
done

echo "pulling busybox..." >&2
"$BIN" pull busybox >/dev/null
if [[ -n "$PEER" ]] && ! "$PEER" pull busybox >/dev/null 2>&1 &&
    ! "$PEER" image inspect busybox >/dev/null 2>&1; then
    echo "bench: $PEER cannot pull busybox; measuring docklab alone" >&2
    PEER=""
fi

NAMES=("run --rm busybox true" "run --rm --network none busybox true"
    "run -d + stop -t 10 (SIGTERM init)" "monitor RSS per container")
UNITS=(ms ms ms MiB)
BUDGETS=(30 10 60 2)
declare -a OURS THEIRS

measure() { # measure ENGINE INDEX
    local e="$1"
    case "$2" in
    0) bench_single "$e" rm -- run --rm busybox true ;;
    1) bench_single "$e" none -- run --rm --network none busybox true ;;
    2) bench_run_stop "$e" ;;
    3) bench_rss "$e" | awk '$1 == "nan" { print "nan"; next } { printf "%.2f\n", $1 / 1024 }' ;;
    esac
}

for i in "${!NAMES[@]}"; do
    echo "measuring: ${NAMES[$i]} ($RUNS runs)..." >&2
    OURS[i]=$(measure "$BIN" "$i")
    THEIRS[i]=""
    [[ -n "$PEER" ]] && THEIRS[i]=$(measure "$PEER" "$i")
done

over=0
echo
if [[ -n "$PEER" ]]; then
    peer_name=$(basename "$PEER")
    printf '%-38s %13s %11s %8s %13s %8s\n' "what" "docklab" "budget" "verdict" "$peer_name" "ratio"
else
    printf '%-38s %13s %11s %8s\n' "what" "docklab" "budget" "verdict"
fi
for i in "${!NAMES[@]}"; do
    u=${UNITS[$i]}
    v=${OURS[$i]}
    verdict=$(awk -v v="$v" -v b="${BUDGETS[$i]}" 'BEGIN { if (v == "nan") print "n/a"; else if (v + 0 <= b + 0) print "ok"; else print "OVER" }')
    [[ "$verdict" == "OVER" ]] && over=$((over + 1))
    line=$(printf '%-38s %9s %-3s %7s %-3s %8s' "${NAMES[$i]}" "$v" "$u" "<= ${BUDGETS[$i]}" "$u" "$verdict")
    if [[ -n "$PEER" ]]; then
        t=${THEIRS[$i]}
        ratio=$(awk -v a="$v" -v b="$t" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "n/a"; else printf "%.2fx\n", a / b }')
        line+=$(printf ' %9s %-3s %8s' "$t" "$u" "$ratio")
    fi
    echo "$line"
done
echo
echo "medians of $RUNS runs after $WARMUP warm-ups$(command -v hyperfine >/dev/null && echo ' (hyperfine)')"
if [[ -n "$PEER" ]]; then
    echo "ratio = docklab / $(basename "$PEER") (below 1 means docklab is faster or smaller)"
else
    echo "no peer engine available (docker/podman 'info' failed or not installed): no ratios"
fi
if ((STRICT && over > 0)); then
    echo "$over measurement(s) over budget" >&2
    exit 1
fi
