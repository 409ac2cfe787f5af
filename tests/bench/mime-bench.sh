#!/usr/bin/env bash
# MIME build+send benchmark: a 200 MB attachment sent through smtpc to Postfix's
# smtp-sink (a discard server on loopback), built on the fly ("build") versus the
# same message bytes pre-built in memory ("prebuilt", send_raw). Prints each run's
# throughput and peak RSS, then the medians and the build/prebuilt time ratio.
#
#   bash tests/bench/mime-bench.sh [SIZE_MB] [RUNS]      (defaults: 200 MB, 3 runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mb=${1:-200}
runs=${2:-3}

command -v smtp-sink >/dev/null || bash tests/setup/install-deps.sh
cargo build --release --quiet
work=$(mktemp -d)
sink_pid=""
cleanup() {
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

gcc -std=c99 -O2 -Wall -Wextra -Werror -Iinclude tests/bench/bench_send.c \
    -Ltarget/release -lsmtpc -Wl,-rpath,"$PWD/target/release" -o "$work/bench_send"
head -c "$((size_mb * 1024 * 1024))" /dev/urandom >"$work/payload.bin"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# smtp-sink discards what it receives; as root it must drop privileges (-u);
# 100 is the listen backlog.
smtp-sink -u nobody 127.0.0.1:"$port" 100 </dev/null >"$work/sink.log" 2>&1 &
sink_pid=$!
up=no
for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=yes; break; fi
    sleep 0.1
done
[ "$up" = yes ] || { echo "smtp-sink did not start:" >&2; cat "$work/sink.log" >&2; exit 1; }

echo "smtpc MIME benchmark: ${size_mb} MiB attachment, $runs runs each, smtp-sink on 127.0.0.1:$port"
for i in $(seq "$runs"); do
    for mode in prebuilt build; do
        "$work/bench_send" "$mode" 127.0.0.1 "$port" "$work/payload.bin" "$work/msg.eml" |
            tee -a "$work/results"
    done
done

python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    mode, *fields = line.split()
    kv = dict(f.split("=") for f in fields)
    rows.setdefault(mode, []).append(kv)
med = {m: (statistics.median(float(r["seconds"]) for r in rs),
           statistics.median(float(r["MB/s"]) for r in rs),
           max(int(r["peak_rss_kib"]) for r in rs)) for m, rs in rows.items()}
for m in ("prebuilt", "build"):
    s, mbs, rss = med[m]
    print(f"{m:9s} median {s:.3f} s  {mbs:.1f} MB/s  peak RSS {rss/1024:.1f} MiB")
ratio = med["build"][0] / med["prebuilt"][0]
print(f"build+send / prebuilt send time ratio: {ratio:.2f} (goal <= 1.30)")
print(f"build peak RSS: {med['build'][2]/1024:.1f} MiB (goal < 20 MiB)")
PY
