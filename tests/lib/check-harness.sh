# Shared by c-examples/check.sh and tests/cpp/check.sh (sourced, not run):
# PASS/FAIL/SKIP counting, the test mail server (given or started), runs under
# valgrind and what to show when one fails. Before sourcing, set CHECK_NAME (the
# name in the summary line) and root; `logs` must be set before the first run.

passed=0
failed=0
skipped=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
section() { printf '\n== %s ==\n' "$*"; }
finish() {
    echo
    if [[ $skipped -gt 0 ]]; then echo "($skipped skipped; see the SKIP lines above)"; fi
    echo "$CHECK_NAME: $passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}

server_dir=""
stop_server() {
    if [[ -n "$server_dir" ]]; then
        bash "$root/tests/setup/mailserver.sh" stop "$server_dir" >/dev/null 2>&1 || true
        rm -rf "$server_dir"
    fi
}

# use_mail_server TMP_PREFIX VAR...: the server of SMTPC_TEST_ENV, or one started
# in a new /tmp/TMP_PREFIX.XXXXXX (stopped at exit); loads its env file, exits
# when it lacks one of the VARs, and sets host, user, password and maildir.
use_mail_server() {
    local prefix=$1 var
    shift
    trap stop_server EXIT
    if [[ -z "${SMTPC_TEST_ENV:-}" ]]; then
        server_dir=$(mktemp -d "/tmp/$prefix.XXXXXX")
        if bash "$root/tests/setup/mailserver.sh" start "$server_dir" >"$logs/mailserver.log" 2>&1; then
            pass "mail server started in $server_dir"
        else
            fail "mail server did not start:"
            sed 's/^/    /' "$logs/mailserver.log"
            finish
            exit 1
        fi
        export SMTPC_TEST_ENV="$server_dir/env"
    fi
    echo "using $SMTPC_TEST_ENV"
    set -a
    # shellcheck disable=SC1090
    . "$SMTPC_TEST_ENV"
    set +a
    for var in "$@"; do
        if [[ -z "${!var:-}" ]]; then
            fail "$SMTPC_TEST_ENV does not set $var"
            finish
            exit 1
        fi
    done
    host=$SMTPC_TEST_HOST
    user=$SMTPC_TEST_USER
    password=$SMTPC_TEST_PASSWORD
    maildir=$SMTPC_TEST_MAILDIR
}

# Only definite and indirect leaks count; "still reachable" memory of the
# OpenSSL and Rust runtimes at exit is not a leak.
# shellcheck disable=SC2054 # the commas are in valgrind option values
VALGRIND=(valgrind --quiet --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --track-fds=no)
if [[ -f "$root/c-examples/valgrind.supp" ]]; then
    VALGRIND+=(--suppressions="$root/c-examples/valgrind.supp")
fi
# A run whose valgrind findings are expected (a control), not printed.
VG_EXPECTED_FINDINGS=""

# vg NAME CMD...: run CMD under valgrind with output in $logs/NAME.{out,err};
# sets $rc to its exit status. Valgrind's findings make the status 99.
rc=0
vg() {
    local name=$1
    shift
    rc=0
    timeout 300 "${VALGRIND[@]}" --log-file="$logs/$name.valgrind" "$@" \
        >"$logs/$name.out" 2>"$logs/$name.err" || rc=$?
    if [[ $rc -eq 99 && $name != "$VG_EXPECTED_FINDINGS" ]]; then
        echo "    valgrind found errors in $name:"
        sed 's/^/    /' "$logs/$name.valgrind"
    fi
}

# show_logs NAME: the ends of a run's output, after a failure.
show_logs() {
    local name=$1
    echo "    --- stdout ($logs/$name.out) ---"
    tail -n 40 "$logs/$name.out" | sed 's/^/    /'
    echo "    --- stderr ($logs/$name.err) ---"
    tail -n 20 "$logs/$name.err" | sed 's/^/    /'
    if [[ -s "$logs/$name.valgrind" ]]; then
        echo "    --- valgrind ($logs/$name.valgrind) ---"
        tail -n 20 "$logs/$name.valgrind" | sed 's/^/    /'
    fi
}

# no_secret NAME [SECRET]: the password (or SECRET) appears nowhere in the output of a run.
no_secret() {
    local name=$1 secret=${2:-$password}
    if grep -qF -- "$secret" "$logs/$name.out" "$logs/$name.err"; then
        fail "$name: the password appears in the output"
        return 1
    fi
    return 0
}

# mails ADDRESS: the finished .eml files of ADDRESS, oldest first (not the
# delivery script's in-progress dot files).
mails() {
    local dir="$maildir/${1,,}"
    if [[ -d "$dir" ]]; then
        find "$dir" -maxdepth 1 -name '*.eml' ! -name '.*' | sort
    fi
}

# mime_inputs DIR: the attachment files of the mime_full runs in DIR: a valid
# 4x4 RGB PNG (chart.png), a random "PDF" (report-2026.pdf), a small CSV with
# non-ASCII text and a quoted comma (sales_q1.csv).
mime_inputs() {
    mkdir -p "$1"
    python3 - "$1/chart.png" <<'PY'
import struct, sys, zlib
def chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
# Each row: filter byte 0, then 4 RGB pixels.
rows = b"".join(b"\x00" + b"".join(bytes((x * 60, y * 60, 200)) for x in range(4))
                for y in range(4))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY
    head -c 150000 /dev/urandom >"$1/report-2026.pdf"
    printf 'region,quarter,revenue\nnorth,Q1,1200.50\n南方,Q1,980.00\n"Zürich, CH",Q1,42\n' \
        >"$1/sales_q1.csv"
}

# build_library: cargo build --release (unless SMTPC_NO_CARGO=1, when the caller
# built it already); a failed build ends the check.
build_library() {
    [[ "${SMTPC_NO_CARGO:-0}" == 1 ]] && return 0
    if cargo build --release --quiet; then
        pass "cargo build --release"
    else
        fail "cargo build --release"
        finish
        exit 1
    fi
}

# build NAME COMPILER-AND-ARGS...: compile, record PASS/FAIL, keep the log in $logs.
build() {
    local name=$1
    shift
    if "$@" >"$logs/build-$name.log" 2>&1; then
        pass "build $name"
    else
        fail "build $name:"
        sed 's/^/    /' "$logs/build-$name.log"
    fi
}
