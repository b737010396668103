#!/usr/bin/env bash
# Instructions per request for loadops and for wrk, counted by valgrind's callgrind against one
# nginx worker on loopback. Instruction counts do not depend on CPU frequency, noisy neighbours or
# (mostly) on the machine, so they show small changes in per-request cost that wall-clock
# benchmarks on a shared 2-core VM cannot.
#
# Usage: Tests/Benchmarks/instructions.sh [LOADOPS_BINARY]
#   default binary: .build/release/loadops if it exists, else .build/debug/loadops
#   REQUESTS (20000), SMALL_REQUESTS (2000), USERS (50), WRK_SECONDS (2) override the sizes.
#   CALLGRIND_DIR=folder keeps the callgrind outputs there, for callgrind_annotate.
#
# Needs valgrind, nginx, wrk, a C compiler, objcopy and python3 (Debian: valgrind nginx wrk gcc
# binutils python3).
#
# Two valgrind 3.19 problems are worked around here:
# - Swift's debug builds carry DWARF 5 forms valgrind 3.19 cannot read ("unhandled dwarf2 abbrev
#   form code 0x25"), so the binary is measured from a copy with its debug sections stripped.
#   Code and symbols are unchanged, so the counts are the same.
# - Swift's async main ends in dispatch_main(), which leaves the main thread in
#   sigsuspend() on a mask stored in libdispatch's read-only data. valgrind's rt_sigsuspend
#   wrapper writes into that mask (to keep its own kill signal unblocked) and dies with SIGSEGV.
#   A tiny LD_PRELOAD library hands sigsuspend a writable copy of the mask instead.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
binary=${1:-}
if [[ -z "$binary" ]]; then
    if [[ -x "$here/.build/release/loadops" ]]; then binary="$here/.build/release/loadops"
    else binary="$here/.build/debug/loadops"; fi
fi
requests=${REQUESTS:-20000}
small=${SMALL_REQUESTS:-2000}
users=${USERS:-50}
wrk_seconds=${WRK_SECONDS:-2}

for tool in valgrind nginx wrk cc objcopy python3; do
    command -v "$tool" >/dev/null || [[ "$tool" == nginx && -x /usr/sbin/nginx ]] \
        || { echo "instructions.sh: $tool is not installed" >&2; exit 2; }
done
[[ -x "$binary" ]] || { echo "instructions.sh: no loadops binary at $binary" >&2; exit 2; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/loadops-instructions.XXXXXX)
nginx_pid=""
cleanup() {
    if [[ -n "$nginx_pid" ]]; then
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    if [[ -n "${CALLGRIND_DIR:-}" ]]; then
        mkdir -p "$CALLGRIND_DIR" && cp "$work"/*.cg "$CALLGRIND_DIR"/ 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- the sigsuspend shim and the stripped copy ------------------------------------------------
cat > "$work/sigsuspend_copy.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
/* Pass the kernel a writable copy: valgrind edits the mask it is given. */
int sigsuspend(const sigset_t *mask) {
    static int (*next)(const sigset_t *);
    if (!next) next = (int (*)(const sigset_t *))dlsym(RTLD_NEXT, "sigsuspend");
    sigset_t copy = *mask;
    return next(&copy);
}
EOF
cc -O2 -shared -fPIC -o "$work/sigsuspend_copy.so" "$work/sigsuspend_copy.c" -ldl
objcopy --strip-debug "$binary" "$work/loadops"

# --- one nginx worker, as in generator_bench.py -----------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
worker_rlimit_nofile 65536;
error_log $work/nginx/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 30000; multi_accept on; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:$port backlog=16384;
        location = /nginx_status { stub_status; }
        location / { return 200 "ok\n"; }
    }
}
EOF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" >/dev/null 2>&1 &
nginx_pid=$!

# Requests nginx has handled so far (stub_status), including this status request itself.
nginx_count() {
    python3 - "$port" <<'EOF'
import re, socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    s.sendall(b"GET /nginx_status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := s.recv(4096):
        data += chunk
print(re.search(rb"\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n", data).group(3).decode())
EOF
}
for _ in $(seq 100); do nginx_count >/dev/null 2>&1 && break; sleep 0.05; done
nginx_count >/dev/null || { echo "instructions.sh: nginx did not start" >&2; exit 1; }

# Total instructions (all threads) from a callgrind output file.
instructions() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }

# Inclusive instructions of the costliest function whose (mangled) name matches $2. Callgrind adds
# up all threads, so for an event loop's run() this is every loop together.
inclusive() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null \
        | awk -v pattern="$2" '$0 ~ pattern { gsub(",", "", $1); if ($1 + 0 > best) best = $1 + 0 } END { printf "%.0f\n", best }'
}
# The event loops (loadops's own SocketEventLoop.run for plain HTTP, SwiftNIO's
# SelectableEventLoop.run for TLS and for builds before it) carry the per-request work: sockets, HTTP,
# recording latencies. Once a second each loop also hands over an interval snapshot
# (LoopStatistics.takeInterval); how many follows wall time, and under callgrind a run lasts
# 10-50 times longer than natively, so that part is counted apart.
event_loop_pattern='(SelectableEventLoopC3runyyKF|SocketEventLoopC3run[0-9A-Za-z_]*yyF) '
snapshot_pattern='LoopStatisticsC12takeInterval'

rows=()
details=()
# Settle nginx (closing connections) before reading its counter.
nginx_settled_count() { sleep 0.5; nginx_count; }

run_loadops() {  # $1 = requests
    local n=$1 out="$work/loadops-$1"
    local before after ir
    before=$(nginx_settled_count)
    timeout 1500 env LD_PRELOAD="$work/sigsuspend_copy.so" \
        valgrind --tool=callgrind --callgrind-out-file="$out.cg" --log-file="$out.vg" \
        "$work/loadops" run --host "http://127.0.0.1:$port" --requests "$n" --users "$users" \
        --spawn-rate 1000000 --model closed --duration 1200s --no-history --output "$out" --quiet \
        || { echo "instructions.sh: loadops failed under callgrind (see below)" >&2; tail -30 "$out.vg" >&2; exit 1; }
    after=$(nginx_settled_count)
    ir=$(instructions "$out.cg")
    local served=$((after - before - 1))
    [[ "$served" == "$n" ]] || echo "note: nginx served $served requests during the loadops run of $n" >&2
    local seconds ticks loops snapshots
    read -r seconds ticks < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(round(d["duration_seconds"], 1), len(d["time_series"]))' "$out/results.json")
    loops=$(inclusive "$out.cg" "$event_loop_pattern")
    snapshots=$(inclusive "$out.cg" "$snapshot_pattern")
    rows+=("loadops ($users users), whole process|$n|$ir")
    rows+=("loadops event loops, less snapshots|$n|$((loops - snapshots))")
    details+=("$n|$seconds|$ticks|$snapshots")
    eval "loadops_ir_$n=$ir; loadops_loops_$n=$((loops - snapshots)); loadops_base_$n=$((ir - snapshots))"
}

run_wrk() {  # $1 = seconds
    local s=$1 out="$work/wrk-$1"
    local before after ir reported
    before=$(nginx_settled_count)
    timeout $((s + 300)) valgrind --tool=callgrind --callgrind-out-file="$out.cg" --log-file="$out.vg" \
        wrk -t1 -c"$users" -d"${s}s" "http://127.0.0.1:$port/" > "$out.txt" \
        || { echo "instructions.sh: wrk failed under callgrind" >&2; tail -30 "$out.vg" >&2; exit 1; }
    after=$(nginx_settled_count)
    ir=$(instructions "$out.cg")
    reported=$(awk '/requests in/ { print $1; exit }' "$out.txt")
    # wrk's count leaves out requests still in flight at the end; nginx counts every one it answered.
    local served=$((after - before - 1))
    rows+=("wrk -t1 -c$users -d${s}s (wrk's count)|$reported|$ir")
    rows+=("wrk -t1 -c$users -d${s}s (nginx's count)|$served|$ir")
    eval "wrk_ir_$s=$ir; wrk_n_$s=$served"
}

run_loadops "$small"
run_loadops "$requests"
run_wrk 1
run_wrk "$wrk_seconds"

echo "loadops: $binary"
echo "valgrind: $(valgrind --version), one nginx worker on 127.0.0.1:$port"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }
line() { printf '%-52s %10s %16s %22s\n' "$@"; }
line tool requests instructions instructions/request
for row in "${rows[@]}"; do
    IFS='|' read -r name n ir <<<"$row"
    line "$name" "$n" "$ir" "$(ratio "$ir" "$n")"
done
marginal() {  # name, ir1, ir2, n1, n2
    line "$1" "$(($5 - $4))" "$(($3 - $2))" "$(ratio "$(($3 - $2))" "$(($5 - $4))")"
}
for kind in ir loops; do
    small_ir=loadops_${kind}_$small; large_ir=loadops_${kind}_$requests
    label="loadops $small→$requests marginal, whole process"
    [[ $kind == loops ]] && label="loadops $small→$requests marginal, event loops"
    marginal "$label" "${!small_ir}" "${!large_ir}" "$small" "$requests"
done
# What does not grow with requests: start-up, connecting, the reports written at the end.
small_base=loadops_base_$small; large_base=loadops_base_$requests
fixed=$(awk -v s="${!small_base}" -v l="${!large_base}" -v a="$small" -v b="$requests" \
    'BEGIN { printf "%.0f", s - a * (l - s) / (b - a) }')
line "loadops fixed cost (start, reports), less snapshots" "" "$fixed" ""
wrk_ir_large=wrk_ir_$wrk_seconds; wrk_n_large=wrk_n_$wrk_seconds
if [[ "$wrk_seconds" != 1 ]]; then
    marginal "wrk 1s→${wrk_seconds}s marginal" "$wrk_ir_1" "${!wrk_ir_large}" "$wrk_n_1" "${!wrk_n_large}"
fi
echo
echo "loadops's once-a-second snapshots on the event loops under callgrind (their count follows wall time):"
printf '%10s %18s %10s %24s %18s\n' requests "run (s, callgrind)" seconds "snapshot instructions" "per snapshot"
for row in "${details[@]}"; do
    IFS='|' read -r n seconds ticks snapshots <<<"$row"
    printf '%10s %18s %10s %24s %18s\n' "$n" "$seconds" "$ticks" "$snapshots" "$(ratio "$snapshots" "$ticks")"
done
