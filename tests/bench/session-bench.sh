#!/usr/bin/env bash
# SMTP session benchmark: smtpc against libcurl and libESMTP, measured in the same
# run, on the same servers, with the same message bytes. Not a test and not a CI
# step: run it by hand, as root on Debian 12.
#
#   bash tests/bench/session-bench.sh [RUNS]      (default 5 timed runs per loopback row)
#
# Workloads (plain SMTP, no TLS, no AUTH, one connection per client run, the same
# ~1.5 KB text message every time):
#   1. 2000 messages x 1 recipient, loopback
#   2. 500 messages x 10 recipients, loopback
#   3. 100 messages x 10 recipients through a 20 ms round trip
# Servers: Postfix's smtp-sink (PIPELINING, no CHUNKING) and the test Postfix's
# discarding "sink" smtpd (PIPELINING, CHUNKING, DSN, SIZE), from
# tests/setup/mailserver.sh.
# Clients (tests/bench/session_*.c, one result line each): smtpc (one send per
# message, or one smtpc_client_send_batch; each with CHUNKING on and off), libcurl
# (one easy handle reused), libESMTP (one session with every message).
#
# Per row: messages/s, client CPU seconds (user+sys, getrusage in the client),
# wall seconds, bytes the client sent (TCP payload, whole connection) and round
# trips per message counted from the wire: for loopback rows in a packet capture
# of one extra, untimed run (tcpdump + tests/bench/pcap_flights.py); for the
# delayed rows by the delay relay (tests/bench/delay_relay.py) in the timed run.
# The greeting, EHLO and QUIT round trips are not in the per-message figure (the
# "setup" column). Loopback figures are medians of RUNS runs.
#
# The 20 ms round trip: the client runs in its own network namespace, joined to
# the root namespace by a veth pair; delay_relay.py listens on the root side and
# forwards to the server on 127.0.0.1, delaying each chunk by 10 ms each way.
#
# Environment: SMTPC_BENCH_KEEP=1 keeps the work directory (logs, captures).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
RUNS=${1:-5}
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [RUNS]" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "session-bench: run as root (network namespace, tcpdump, Postfix)" >&2; exit 1; }
if [[ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]]; then
    PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

W1_COUNT=2000 W1_RCPTS=1
W2_COUNT=500 W2_RCPTS=10
W3_COUNT=100 W3_RCPTS=10
DELAY_MS=10            # each way
CLIENT_TIMEOUT=300     # seconds, per client run

log() { echo "session-bench: $*" >&2; }

# ---------------------------------------------------------------- dependencies
# The suite's packages (Postfix with smtp-sink, gcc, python3, iproute2), then the
# benchmark's own: the two libraries to compare and tcpdump.
bash tests/setup/install-deps.sh >&2
EXTRA=(libcurl4-openssl-dev libesmtp-dev tcpdump)
missing=()
for pkg in "${EXTRA[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "ii "* ]] || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then apt-get update -q >&2; fi
    if ! apt_install; then
        log "install failed; refreshing package lists and retrying"
        apt-get update -q >&2
        apt_install
    fi
fi

# ---------------------------------------------------------------- clean-up
work=$(mktemp -d /tmp/smtpc-session-bench.XXXXXX)
chmod 0755 "$work" # the mail server's users must be able to enter its state dir
pids=()            # every background process started here, stopped by PID
ms_state=""
ns="" veth=""
# Stops the given processes (children of this script) by PID: SIGTERM, up to 5 s
# to exit, then SIGKILL; reaps them.
stop_pids() {
    local pid i alive
    [[ $# -gt 0 ]] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive=no
        for pid in "$@"; do
            if kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid" 2>/dev/null) != Z* ]]; then alive=yes; fi
        done
        [[ $alive == yes ]] || break
        sleep 0.05
    done
    [[ $alive == no ]] || kill -KILL "$@" 2>/dev/null || true
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pids "${pids[@]}"
    if [[ -n "$ms_state" ]]; then
        bash "$ROOT/tests/setup/mailserver.sh" stop "$ms_state" >/dev/null 2>&1 || true
    fi
    if [[ -n "$veth" ]]; then ip link del "$veth" 2>/dev/null || true; fi
    if [[ -n "$ns" ]]; then ip netns del "$ns" 2>/dev/null || true; fi
    if [[ "${SMTPC_BENCH_KEEP:-}" == 1 ]]; then
        log "work directory kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Removes a PID from the list once that process has been stopped and reaped.
forget_pid() {
    local keep=() p
    for p in "${pids[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
    pids=("${keep[@]}")
}
stop_pid() {
    stop_pids "$1"
    forget_pid "$1"
}

# ---------------------------------------------------------------- build
log "building smtpc (cargo build --release) and the benchmark clients"
cargo build --release --quiet
CFLAGS=(-std=c99 -O2 -Wall -Wextra -Werror)
gcc "${CFLAGS[@]}" -Iinclude tests/bench/session_smtpc.c \
    -Ltarget/release -lsmtpc -Wl,-rpath,"$ROOT/target/release" -o "$work/session_smtpc"
gcc "${CFLAGS[@]}" tests/bench/session_curl.c -lcurl -o "$work/session_curl"
gcc "${CFLAGS[@]}" tests/bench/session_esmtp.c -lesmtp -o "$work/session_esmtp"
# The message every client sends: smtpc builds it; the others send its bytes.
for n in "$W1_RCPTS" "$W2_RCPTS" "$W3_RCPTS"; do
    [[ -f "$work/msg-$n.eml" ]] || "$work/session_smtpc" --eml "$work/msg-$n.eml" "$n"
done

# ---------------------------------------------------------------- servers
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() { # HOST PORT: until it accepts connections (5 s)
    local _
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

sink_port=$(free_port)
# smtp-sink discards what it receives; as root it must drop privileges (-u);
# 100 is the listen backlog.
smtp-sink -u nobody 127.0.0.1:"$sink_port" 100 </dev/null >"$work/smtp-sink.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.1 "$sink_port" || { log "smtp-sink did not start"; cat "$work/smtp-sink.log" >&2; exit 1; }

ms_state=$work/mailserver
bash tests/setup/mailserver.sh start "$ms_state" >"$work/mailserver.log" 2>&1 ||
    { cat "$work/mailserver.log" >&2; exit 1; }
pf_port=$(. "$ms_state/env" && echo "$SMTPC_TEST_SINK_PORT")
wait_port 127.0.0.1 "$pf_port" || { log "the Postfix sink port does not answer"; exit 1; }

SERVERS=(smtp-sink postfix)
declare -A SERVER_PORT=([smtp-sink]=$sink_port [postfix]=$pf_port)
declare -A SERVER_DESC=(
    [smtp-sink]="Postfix smtp-sink (PIPELINING, no CHUNKING)"
    [postfix]="Postfix smtpd, discarding (PIPELINING, CHUNKING, DSN, SIZE)"
)

# ---------------------------------------------------------------- 20 ms path
# Namespace, veth pair and subnet are derived from this script's PID; an address
# already in use (another run) moves to the next /30.
netns_ok=no
setup_netns() {
    local idx a b i
    idx=$(($$ % 16384))
    for ((i = 0; i < 64; i++)); do
        a=$(((idx + i) % 16384 / 64)) b=$(((idx + i) % 64 * 4))
        if ! ip -o -4 addr show | grep -q " 10\.241\.$a\.$((b + 1))/"; then break; fi
    done
    ns_root=10.241.$a.$((b + 1)) ns_addr=10.241.$a.$((b + 2))
    ns=smtpcb$$
    ip netns add "$ns" || return 1
    veth=scb$$r
    ip link add "$veth" type veth peer name "scb$$n" || return 1
    ip link set "scb$$n" netns "$ns"
    ip addr add "$ns_root/30" dev "$veth"
    ip link set "$veth" up
    ip netns exec "$ns" ip addr add "$ns_addr/30" dev "scb$$n"
    ip netns exec "$ns" ip link set "scb$$n" up
    ip netns exec "$ns" ip link set lo up
}
if setup_netns 2>"$work/netns.err"; then
    netns_ok=yes
else
    log "cannot build the network namespace; the delayed workload is skipped:"
    cat "$work/netns.err" >&2
fi

# Starts a relay to SERVER; sets relay_pid, relay_port, relay_stats.
start_relay() {
    local server=$1 pf=$work/relay-$1.port
    relay_stats=$work/relay-$1.stats
    : >"$relay_stats"
    python3 tests/bench/delay_relay.py --listen "$ns_root" --target "127.0.0.1:${SERVER_PORT[$server]}" \
        --delay-ms "$DELAY_MS" --port-file "$pf" --stats "$relay_stats" \
        </dev/null >"$work/relay-$1.log" 2>&1 &
    relay_pid=$!
    pids+=("$relay_pid")
    local _
    for _ in $(seq 100); do [[ -s "$pf" ]] && break; sleep 0.05; done
    [[ -s "$pf" ]] || { log "delay relay did not start"; cat "$work/relay-$1.log" >&2; return 1; }
    relay_port=$(cat "$pf")
}

# Waits until the relay has written N connection records; prints the Nth.
relay_record() {
    local n=$1 _
    for _ in $(seq 100); do
        if [[ $(wc -l <"$relay_stats") -ge "$n" ]]; then
            sed -n "${n}p" "$relay_stats"
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# The round trip a client in the namespace sees: connect + greeting, then NOOP
# five times (median).
probe_rtt() {
    ip netns exec "$ns" python3 - "$ns_root" "$relay_port" <<'PY'
import socket, statistics, sys, time
def reply(f):
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return line
t0 = time.monotonic()
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
reply(f)
greet = time.monotonic() - t0
rtts = []
for _ in range(5):
    t = time.monotonic()
    s.sendall(b"NOOP\r\n")
    if not reply(f).startswith(b"250"):
        raise SystemExit("NOOP not answered with 250")
    rtts.append(time.monotonic() - t)
s.sendall(b"QUIT\r\n")
reply(f)
s.close()
print(f"{statistics.median(rtts) * 1000:.1f} {min(rtts) * 1000:.1f} {max(rtts) * 1000:.1f} {greet * 1000:.1f}")
PY
}

# ---------------------------------------------------------------- running clients
CLIENTS=(smtpc:loop smtpc:loop-nochunk smtpc:batch smtpc:batch-nochunk libcurl:reuse libESMTP:session)
declare -A BIN=([smtpc]=session_smtpc [libcurl]=session_curl [libESMTP]=session_esmtp)

# run_client OUT [netns] CLIENT MODE HOST PORT COUNT RCPTS: runs one client (in
# the namespace with "netns") under a time limit, in the background so that a
# signal reaches the trap at once; its RESULT line goes to OUT, stderr to
# OUT.err. Sets client_rc.
run_client() {
    local out=$1 prefix=() client mode host port count rcpts
    shift
    if [[ $1 == netns ]]; then prefix=(ip netns exec "$ns"); shift; fi
    client=$1 mode=$2 host=$3 port=$4 count=$5 rcpts=$6
    local args=("$host" "$port" "$count" "$rcpts" "$mode")
    [[ $client == smtpc ]] || args+=("$work/msg-$rcpts.eml")
    "${prefix[@]}" timeout -k 5 "$CLIENT_TIMEOUT" "$work/${BIN[$client]}" "${args[@]}" \
        >"$out" 2>"$out.err" </dev/null &
    local pid=$!
    pids+=("$pid")
    client_rc=0
    wait "$pid" || client_rc=$?
    forget_pid "$pid"
}

# Loopback capture run: tcpdump on lo around one client run; sets wire (JSON).
capture_run() {
    local client=$1 mode=$2 port=$3 count=$4 rcpts=$5 cap=$work/cap.pcap _
    rm -f "$cap"
    # -Z root: keep root to write into the work dir; immediate mode: nothing is
    # left in the kernel's buffer when it stops; -s 128: headers and the first
    # payload bytes are enough.
    tcpdump --immediate-mode -Z root -i lo -s 128 -B 32768 -w "$cap" "tcp port $port" \
        </dev/null >/dev/null 2>"$work/tcpdump.err" &
    local tpid=$!
    pids+=("$tpid")
    for _ in $(seq 100); do grep -q listening "$work/tcpdump.err" && break; sleep 0.05; done
    run_client "$work/capture.out" "$client" "$mode" 127.0.0.1 "$port" "$count" "$rcpts"
    sleep 0.3
    kill -INT "$tpid" 2>/dev/null || true # tcpdump writes out and exits on SIGINT
    for _ in $(seq 100); do
        [[ $(ps -o stat= -p "$tpid" 2>/dev/null) == "" || $(ps -o stat= -p "$tpid") == Z* ]] && break
        sleep 0.05
    done
    stop_pid "$tpid"
    wire=""
    capture_note=""
    if [[ $client_rc -ne 0 ]]; then return 1; fi
    if grep -Eq '^[1-9][0-9]* packets dropped by kernel' "$work/tcpdump.err"; then
        capture_note="capture dropped packets"
    fi
    # The one connection of the run (the one with the most client bytes).
    wire=$(python3 tests/bench/pcap_flights.py "$cap" "$port" |
        python3 -c 'import json,sys; r=[json.loads(l) for l in sys.stdin]; print(json.dumps(max(r, key=lambda x: x["client_bytes"])) if r else "")')
    [[ -n "$wire" ]]
}

RESULTS=$work/results
: >"$RESULTS"
# Appends one result row: KEY=VALUE words (values without spaces) + a note.
row() { echo "$*" >>"$RESULTS"; }

# One (server, workload) on loopback, every client: first one capture run per
# client (wire figures), then RUNS rounds of one timed run per client, clients
# interleaved so that a passing disturbance of the machine hits all of them alike.
bench_loopback() {
    local wl=$1 server=$2 count=$3 rcpts=$4 port=${SERVER_PORT[$2]} c client mode i
    local -A line=() wire_of=() note_of=()
    local active=()
    for c in "${CLIENTS[@]}"; do
        client=${c%%:*} mode=${c#*:}
        if ! capture_run "$client" "$mode" "$port" "$count" "$rcpts"; then
            log "$client $mode on $server failed (capture run, exit $client_rc): $(tail -n 3 "$work/capture.out.err" | tr '\n' ' ')"
            line[$c]="wl=$wl server=$server client=$client mode=$mode status=failed note=exit~$client_rc"
            continue
        fi
        wire_of[$c]=$(echo "$wire" | tr -d ' ')
        note_of[$c]=${capture_note// /\~}
        : >"$work/timed-${c/:/-}.all"
        active+=("$c")
    done
    for ((i = 1; i <= RUNS; i++)); do
        for c in "${active[@]}"; do
            [[ -z "${line[$c]:-}" ]] || continue # failed in an earlier round
            client=${c%%:*} mode=${c#*:}
            run_client "$work/timed.out" "$client" "$mode" 127.0.0.1 "$port" "$count" "$rcpts"
            if [[ $client_rc -ne 0 ]]; then
                log "$client $mode on $server failed (timed run $i, exit $client_rc): $(tail -n 3 "$work/timed.out.err" | tr '\n' ' ')"
                line[$c]="wl=$wl server=$server client=$client mode=$mode status=failed note=exit~$client_rc"
                continue
            fi
            grep '^RESULT' "$work/timed.out" >>"$work/timed-${c/:/-}.all"
        done
    done
    for c in "${CLIENTS[@]}"; do
        client=${c%%:*} mode=${c#*:}
        if [[ -z "${line[$c]:-}" ]]; then
            line[$c]="wl=$wl server=$server client=$client mode=$mode status=ok runs=$RUNS timed=$(paste -sd'|' "$work/timed-${c/:/-}.all" | tr ' ' ',') wire=${wire_of[$c]} note=${note_of[$c]}"
            log "  $wl $server $client $mode: $(tail -n 1 "$work/timed-${c/:/-}.all" | cut -d' ' -f7-) (last run)"
        fi
        row "${line[$c]}"
    done
}

# One (client, server) through the relay: one run, counted by the relay.
bench_delayed() {
    local wl=$1 server=$2 client=$3 mode=$4 count=$5 rcpts=$6 n
    n=$(($(wc -l <"$relay_stats") + 1))
    run_client "$work/delayed.out" netns "$client" "$mode" "$ns_root" "$relay_port" "$count" "$rcpts"
    if [[ $client_rc -ne 0 ]]; then
        log "$client $mode on $server (delayed) failed (exit $client_rc): $(tail -n 3 "$work/delayed.out.err" | tr '\n' ' ')"
        row "wl=$wl server=$server client=$client mode=$mode status=failed note=exit~$client_rc"
        relay_record "$n" >/dev/null || true
        return
    fi
    local rec
    rec=$(relay_record "$n") || { row "wl=$wl server=$server client=$client mode=$mode status=failed note=no~relay~record"; return; }
    row "wl=$wl server=$server client=$client mode=$mode status=ok runs=1" \
        "timed=$(grep '^RESULT' "$work/delayed.out" | tr ' ' ',') wire=$(echo "$rec" | tr -d ' ') note="
    log "  $wl $server $client $mode: $(grep '^RESULT' "$work/delayed.out" | cut -d' ' -f7-)"
}

# ---------------------------------------------------------------- the run
t_start=$SECONDS
echo "smtpc session benchmark: smtpc $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "libcurl $(dpkg-query -W -f='${Version}' libcurl4-openssl-dev), libESMTP $(dpkg-query -W -f='${Version}' libesmtp-dev)," \
    "$(nproc) CPUs, $RUNS timed runs per loopback row (median)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "message: $(stat -c %s "$work/msg-1.eml") bytes with 1 recipient, $(stat -c %s "$work/msg-10.eml") bytes with 10 (To: lists every recipient)"
for server in "${SERVERS[@]}"; do
    echo "server $server: ${SERVER_DESC[$server]} on 127.0.0.1:${SERVER_PORT[$server]}"
done

for server in "${SERVERS[@]}"; do
    for wl in 1 2; do
        count_var=W${wl}_COUNT rcpts_var=W${wl}_RCPTS
        log "workload $wl (${!count_var} x ${!rcpts_var}, loopback) on $server"
        bench_loopback "$wl" "$server" "${!count_var}" "${!rcpts_var}"
    done
done

if [[ $netns_ok == yes ]]; then
    for server in "${SERVERS[@]}"; do
        start_relay "$server"
        rtt=$(probe_rtt) || rtt=""
        relay_record 1 >/dev/null || true
        if [[ -n "$rtt" ]]; then
            read -r rtt_med rtt_min rtt_max greet_ms <<<"$rtt"
            echo "delay path to $server: namespace $ns ($ns_addr) -> relay $ns_root:$relay_port (+${DELAY_MS} ms each way) -> 127.0.0.1:${SERVER_PORT[$server]};" \
                "measured NOOP round trip ${rtt_med} ms (median of 5, min ${rtt_min}, max ${rtt_max}), connect+greeting ${greet_ms} ms"
        else
            echo "delay path to $server: RTT probe FAILED"
        fi
        log "workload 3 ($W3_COUNT x $W3_RCPTS, 20 ms round trip) on $server"
        for c in "${CLIENTS[@]}"; do
            bench_delayed 3 "$server" "${c%%:*}" "${c#*:}" "$W3_COUNT" "$W3_RCPTS"
        done
        stop_pid "$relay_pid"
    done
else
    echo "workload 3 skipped: no network namespace (see above)"
fi

# ---------------------------------------------------------------- report
python3 - "$RESULTS" "$W1_COUNT" "$W1_RCPTS" "$W2_COUNT" "$W2_RCPTS" "$W3_COUNT" "$W3_RCPTS" <<'PY'
import json, statistics, sys

path = sys.argv[1]
wl_count = {"1": int(sys.argv[2]), "2": int(sys.argv[4]), "3": int(sys.argv[6])}
wl_rcpts = {"1": int(sys.argv[3]), "2": int(sys.argv[5]), "3": int(sys.argv[7])}
wl_name = {w: f"{wl_count[w]}x{wl_rcpts[w]} {'20ms' if w == '3' else 'lo'}" for w in wl_count}

rows = []
for line in open(path):
    kv = dict(f.split("=", 1) for f in line.split())
    r = {k: kv.get(k, "") for k in ("wl", "server", "client", "mode", "status", "note")}
    r["note"] = r["note"].replace("~", " ")
    if r["status"] == "ok":
        runs = [dict(f.split("=", 1) for f in res.split(",")[1:]) for res in kv["timed"].split("|")]
        med = lambda k: statistics.median(float(d[k]) for d in runs)
        r["msgs_s"], r["cpu"], r["wall"] = med("msgs_per_s"), med("cpu_s"), med("wall_s")
        rates = [float(d["msgs_per_s"]) for d in runs]
        r["range"] = f"{min(rates):.0f}-{max(rates):.0f}" if len(runs) > 1 else "1 run"
        w = json.loads(kv["wire"])
        n = wl_count[r["wl"]]
        r["bytes"] = w["client_bytes"]
        r["rt_msg"] = w["msg_round_trips"] / n
        r["setup"] = w["greeting"] + w["setup"] + w["quit"]
    rows.append(r)

hdr = ("workload", "server", "client", "mode", "msgs/s", "(range)", "CPU s", "wall s", "bytes sent",
       "B/msg", "RT/msg", "setup")
fmt = "{:<11} {:<9} {:<8} {:<8} {:>7} {:>11} {:>6} {:>7} {:>10} {:>5} {:>6} {:>5}  {}"
skipped = []
print()
print("Results. msgs/s, CPU s (client user+sys), wall s: medians over the timed runs ((range): slowest-fastest")
print("msgs/s). bytes sent: TCP payload client->server over the whole connection; B/msg = bytes sent /")
print("messages. RT/msg: round trips per message counted on the wire, without the setup round trips")
print("(setup = greeting + EHLO + QUIT, counted separately).")
print(fmt.format(*hdr, ""))
print("-" * 106)
for r in rows:
    base = (wl_name[r["wl"]], r["server"], r["client"], r["mode"])
    if r["status"] == "skipped":
        skipped.append(r)
        continue
    if r["status"] != "ok":
        print(fmt.format(*base, *(["-"] * 8), f'{r["status"].upper()}: {r["note"]}'))
        continue
    n = wl_count[r["wl"]]
    print(fmt.format(*base, f'{r["msgs_s"]:.0f}', r["range"], f'{r["cpu"]:.3f}', f'{r["wall"]:.3f}',
                     r["bytes"], f'{r["bytes"] / n:.0f}', f'{r["rt_msg"]:.2f}', r["setup"], r["note"]))
if skipped:
    why = {}
    for r in skipped:
        why.setdefault(f'smtpc {r["mode"]}', r["note"])
    print("not measured (skipped in every workload and server): " +
          "; ".join(f"{k} ({v})" for k, v in why.items()))

def find(wl, server, client, mode):
    for r in rows:
        if (r["wl"], r["server"], r["client"], r["mode"]) == (wl, server, client, mode) and r["status"] == "ok":
            return r
    return None

print()
print("Summary: smtpc / libESMTP in this run (loopback target: messages/s ratio >= 1.30 and CPU ratio <= 0.50)")
fmt2 = "{:<11} {:<9} {:<14} {:>9} {:>9}  {}"
print(fmt2.format("workload", "server", "smtpc mode", "msgs/s x", "CPU x", "target"))
for wl in ("1", "2", "3"):
    for server in ("smtp-sink", "postfix"):
        e = find(wl, server, "libESMTP", "session")
        for mode in ("loop", "loop-nochunk", "batch", "batch-nochunk"):
            s = find(wl, server, "smtpc", mode)
            if not s or not e:
                if not any(x["status"] == "skipped" and x["mode"] == mode for x in skipped) and (s or e):
                    print(fmt2.format(wl_name[wl], server, mode, "-", "-", "no figure (failed)"))
                continue
            speed = s["msgs_s"] / e["msgs_s"]
            cpu = s["cpu"] / e["cpu"] if e["cpu"] > 0 else float("inf")
            if wl == "3":
                verdict = "(no target: delayed)"
            else:
                misses = [w for w, bad in (("speed", speed < 1.3), ("CPU", cpu > 0.5)) if bad]
                verdict = "MET" if not misses else "NOT met (" + ", ".join(misses) + ")"
            print(fmt2.format(wl_name[wl], server, mode, f"{speed:.2f}", f"{cpu:.2f}", verdict))

print()
print("Round trips per message through the 20 ms delay (target <= 1.10 for smtpc with CHUNKING and with the batch call)")
for server, mode, what in (("postfix", "loop", "smtpc with CHUNKING (loop; server offers CHUNKING)"),
                           ("postfix", "batch", "smtpc batch call (server offers CHUNKING)"),
                           ("smtp-sink", "batch", "smtpc batch call (server without CHUNKING)")):
    s = find("3", server, "smtpc", mode)
    if s:
        print(f"  {what:<52} {s['rt_msg']:5.2f}  {'MET' if s['rt_msg'] <= 1.1 else 'NOT met'}")
    else:
        print(f"  {what:<52}     -  not measured (row skipped or failed)")
for server in ("smtp-sink", "postfix"):
    got = [(c, m, find("3", server, c, m)) for c, m in (("smtpc", "loop"), ("libcurl", "reuse"), ("libESMTP", "session"))]
    got = [f'{c} {m} {r["rt_msg"]:.2f}' for c, m, r in got if r]
    if got:
        print(f"  measured on {server}: " + ", ".join(got))
PY
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); measuring took $((SECONDS - t_start)) s (plus build and setup)"
