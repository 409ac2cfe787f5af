#!/usr/bin/env bash
# The C tests under AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer.
#
# Builds the C programs of c-examples/ and tests/c/ (the ones c-examples/check.sh
# runs under valgrind) with -fsanitize=address,undefined against the normal
# release library, runs them against the test mail server and checks that each
# did what it should (exit status, its "OK" line, the mail arrived) and that no
# sanitizer reported anything. The Rust library itself is not instrumented, but
# its heap is malloc's, which ASan replaces for the whole process: a double free,
# a free of a foreign pointer or a leak of a library object (a handle never
# freed) is caught wherever it happens; wild reads and writes only in the C code.
#
# Negative controls first (tests/asan/asan_control.c): a leaked smtpc message, a
# heap read past the end, a signed overflow. Each must fail under this script's
# settings, or the clean runs would prove nothing.
#
# Usage: bash tests/asan/run.sh
#
#   SMTPC_TEST_ENV       env file of a running test mail server
#                        (tests/setup/mailserver.sh start DIR writes DIR/env).
#                        When unset, a server is started in a temporary
#                        directory under /tmp and stopped at exit.
#   SMTPC_NO_CARGO=1     do not run `cargo build --release` first.
#   SMTPC_ASAN_BUILD     where to build (default: target/asan-check; wiped first).
#   SMTPC_ASAN_RUST=1    also instrument the library: build it with nightly Rust
#                        and RUSTFLAGS=-Zsanitizer=address in target/asan-rust
#                        and link the programs against that (skipped when no
#                        nightly toolchain is installed; takes a few minutes).
#
# Output: PASS / FAIL / SKIP lines, logs of every build and run (and every
# sanitizer report, NAME.asan.PID) in $SMTPC_ASAN_BUILD/logs/, and last
# "asan: N passed, M failed". Exit status 0 only when nothing failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SMTPC_ASAN_BUILD:-$root/target/asan-check}
logs="$build/logs"
lib="$root/target/release"
examples="$root/c-examples"
cd "$root"
# The runs that want a password from the environment set it themselves.
unset SMTPC_PASSWORD

CHECK_NAME=asan
# shellcheck source=../lib/check-harness.sh
. "$root/tests/lib/check-harness.sh"

# ---------------------------------------------------------------------------
section "build"

build_library

rm -rf "$build"
mkdir -p "$build" "$logs" "$build/lib"

if [[ "${SMTPC_ASAN_RUST:-0}" == 1 ]]; then
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        rust_target="$root/target/asan-rust"
        # Only the library's own crate graph; std stays uninstrumented
        # (-Zbuild-std would need rust-src).
        if RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR="$rust_target" \
            cargo +nightly build --release --lib --target x86_64-unknown-linux-gnu \
            >"$logs/build-rust-asan.log" 2>&1; then
            lib="$rust_target/x86_64-unknown-linux-gnu/release"
            pass "library built with nightly and -Zsanitizer=address ($lib)"
        else
            fail "nightly build with -Zsanitizer=address:"
            tail -n 30 "$logs/build-rust-asan.log" | sed 's/^/    /'
            finish
            exit 1
        fi
    else
        skip "SMTPC_ASAN_RUST=1 but no nightly toolchain: the library is not instrumented"
    fi
fi

for f in "$lib/libsmtpc.so" "$lib/libsmtpc.a" "$root/include/smtpc.h"; do
    if [[ ! -f "$f" ]]; then
        fail "missing $f"
        finish
        exit 1
    fi
done

# The programs find the library by its SONAME when the build set one (see
# tests/cpp/check.sh).
soname=$(readelf -d "$lib/libsmtpc.so" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [[ -n "$soname" && "$soname" != libsmtpc.so ]]; then
    ln -sf "$lib/libsmtpc.so" "$build/lib/$soname"
fi

# -fno-sanitize-recover: an undefined behaviour report ends the program (and
# UBSAN_OPTIONS=halt_on_error=1 below says the same at run time).
SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -g -O1 "${SAN[@]}" -I"$root/include" -I"$examples")
CXXFLAGS=(-std=c++11 -Wall -Wextra -Werror -pedantic -g -O1 "${SAN[@]}" -I"$root/include" -I"$examples")
# shellcheck disable=SC2054 # the commas belong to -Wl,-rpath
LINK_SHARED=(-L"$lib" -lsmtpc -Wl,-rpath,"$build/lib" -Wl,-rpath,"$lib")
LINK_STATIC=("$lib/libsmtpc.a" -lssl -lcrypto -lpthread -ldl -lm)


build asan_control gcc "${CFLAGS[@]}" -o "$build/asan_control" "$here/asan_control.c" "${LINK_SHARED[@]}"
build smtpc_send gcc "${CFLAGS[@]}" -o "$build/smtpc_send" \
    "$examples/smtpc_send.c" "$examples/cli_common.c" "${LINK_SHARED[@]}"
build smtpc_attach gcc "${CFLAGS[@]}" -o "$build/smtpc_attach" \
    "$examples/smtpc_attach.c" "$examples/cli_common.c" "${LINK_SHARED[@]}"
build contract_partial gcc "${CFLAGS[@]}" -o "$build/contract_partial" \
    "$root/tests/c/contract_partial.c" "${LINK_SHARED[@]}"
build mime_full gcc "${CFLAGS[@]}" -o "$build/mime_full" \
    "$root/tests/c/mime_full.c" "${LINK_SHARED[@]}"
build session_api gcc "${CFLAGS[@]}" -o "$build/session_api" \
    "$root/tests/c/session_api.c" "${LINK_SHARED[@]}"
build smtpc_send_static gcc "${CFLAGS[@]}" -o "$build/smtpc_send_static" \
    "$examples/smtpc_send.c" "$examples/cli_common.c" "${LINK_STATIC[@]}"
build header_cxx g++ "${CXXFLAGS[@]}" -o "$build/header_cxx" \
    "$root/tests/c/header_cxx.cpp" "${LINK_SHARED[@]}"

if [[ $failed -ne 0 ]]; then
    echo "build failed; not running anything"
    finish
    exit 1
fi

# ---------------------------------------------------------------------------
# Running under the sanitizers

# ASan and LSan reports go to $logs/NAME.asan.PID; UBSan's (which ignores that
# log_path when it shares the runtime with ASan) to stderr. abort_on_error makes
# every report end the run with SIGABRT, also UBSan's (whose -fno-sanitize-recover
# alone would exit 1, like an expected failure). A run "has findings" when a
# report file was written, its stderr has a sanitizer's report, or it was killed
# by a signal.
ASAN_BASE="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1"
ASAN_BASE+=":detect_stack_use_after_return=1:check_initialization_order=1:detect_odr_violation=2"
UBSAN_BASE="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
SAN_MARKERS='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer'
# A run whose findings are expected (a control), not printed.
SAN_EXPECTED=""

# reports NAME: every sanitizer report of a run: the report files, and the
# report lines of its stderr.
reports() {
    local name=$1
    cat "$logs/$name".asan.* "$logs/$name".ubsan.* 2>/dev/null || true
    grep -E -A30 -- "$SAN_MARKERS" "$logs/$name.err" 2>/dev/null || true
}

# san NAME CMD...: run CMD with output in $logs/NAME.{out,err}; sets $rc to its
# exit status and $findings to 1 when a sanitizer reported something.
rc=0
findings=0
san() {
    local name=$1 report
    shift
    rc=0
    findings=0
    rm -f "$logs/$name".asan.* "$logs/$name".ubsan.*
    # In a subshell whose own stderr is dropped (bash's "Aborted" notice); not
    # its last command, or bash would exec it and the notice come from here.
    (
        status=0
        ASAN_OPTIONS="$ASAN_BASE:log_path=$logs/$name.asan" \
            UBSAN_OPTIONS="$UBSAN_BASE:log_path=$logs/$name.ubsan" \
            timeout 300 "$@" >"$logs/$name.out" 2>"$logs/$name.err" || status=$?
        exit "$status"
    ) 2>/dev/null || rc=$?
    for report in "$logs/$name".asan.* "$logs/$name".ubsan.*; do
        if [[ -s "$report" ]]; then findings=1; fi
    done
    if grep -qE -- "$SAN_MARKERS" "$logs/$name.err"; then findings=1; fi
    # 128 + signal: the sanitizer aborted (or the program crashed); 124: timeout.
    if [[ $rc -gt 128 || $rc -eq 124 ]]; then findings=1; fi
    if [[ $findings -eq 1 && $name != "$SAN_EXPECTED" ]]; then
        echo "    sanitizer findings in $name (exit $rc):"
        reports "$name" | sed 's/^/    /'
    fi
}

# ---------------------------------------------------------------------------
section "negative controls: the sanitizers must catch these"

control() {
    local mode=$1 expect=$2
    SAN_EXPECTED="control_$mode"
    san "control_$mode" "$build/asan_control" "$mode"
    if [[ $findings -eq 1 && $rc -ne 0 ]] && reports "control_$mode" | grep -q -- "$expect"; then
        pass "control $mode: reported ($expect), exit $rc"
    else
        fail "control $mode: exit $rc, findings $findings, no '$expect' report: the sanitizers would miss this"
        show_logs "control_$mode"
        reports "control_$mode" | sed 's/^/    /'
    fi
    SAN_EXPECTED=""
}
control leak "detected memory leaks"
control overflow "heap-buffer-overflow"
control ub "signed integer overflow"
san control_clean "$build/asan_control" clean
if [[ $rc -eq 0 && $findings -eq 0 ]]; then
    pass "control clean: exit 0, no findings"
else
    fail "control clean: exit $rc, findings $findings"
    show_logs control_clean
fi

# ---------------------------------------------------------------------------
section "test mail server"

use_mail_server smtpc-asan SMTPC_TEST_HOST SMTPC_TEST_PLAIN_PORT SMTPC_TEST_SUBMISSION_PORT \
    SMTPC_TEST_SMTPS_PORT SMTPC_TEST_NOCHUNK_PORT SMTPC_TEST_CA_FILE SMTPC_TEST_MAILDIR \
    SMTPC_TEST_USER SMTPC_TEST_PASSWORD SMTPC_TEST_REJECTED_RCPT SMTPC_TEST_ETRN_DOMAIN
tag="asan$$-$(date +%s)"
from="asan-$tag@example.test"
rcpt() { echo "$tag-$1@example.test"; }

# wait_mail ADDRESS COUNT: wait (up to 30 s) until ADDRESS has COUNT messages.
wait_mail() {
    local i files=()
    for ((i = 0; i < 300; i++)); do
        mapfile -t files < <(mails "$1")
        if [[ ${#files[@]} -ge $2 ]]; then return 0; fi
        sleep 0.1
    done
    return 1
}

# expect NAME WANT_RC [PATTERN]: the run exited WANT_RC without findings (and
# printed PATTERN on stdout or stderr, and no password).
expect() {
    local name=$1 want=$2 pattern=${3:-}
    if [[ $findings -eq 1 ]]; then
        fail "$name: sanitizer findings (above)"
        return 1
    fi
    if [[ $rc -ne $want ]]; then
        fail "$name: exit $rc, expected $want"
        show_logs "$name"
        return 1
    fi
    if [[ -n "$pattern" ]] && ! grep -q -- "$pattern" "$logs/$name.out" "$logs/$name.err"; then
        fail "$name: no '$pattern' in its output"
        show_logs "$name"
        return 1
    fi
    no_secret "$name" || return 1
    return 0
}

# delivered NAME COUNT ADDRESS...: each ADDRESS got COUNT messages.
delivered() {
    local name=$1 count=$2 address ok=1
    shift 2
    for address in "$@"; do
        if ! wait_mail "$address" "$count"; then
            fail "$name: $address did not get $count message(s)"
            ok=0
        fi
    done
    if [[ $ok -eq 1 ]]; then pass "$name: exit as expected, no sanitizer findings, delivered to $*"; fi
}

# ---------------------------------------------------------------------------
section "smtpc_send: plain + AUTH, STARTTLS, implicit TLS, static library"

r1=$(rcpt plain-1)
r2=$(rcpt plain-2)
SMTPC_PASSWORD="$password" san send_plain "$build/smtpc_send" --tls none --user "$user" \
    --from "$from" --subject "asan plain $tag" "$host" "$SMTPC_TEST_PLAIN_PORT" "$r1" "$r2"
if expect send_plain 0 '^S: 250'; then delivered send_plain 1 "$r1" "$r2"; fi

r=$(rcpt starttls)
san send_starttls "$build/smtpc_send" --tls starttls --ca-file "$SMTPC_TEST_CA_FILE" \
    --user "$user" --password "$password" --from "$from" --subject "asan starttls $tag" \
    "$host" "$SMTPC_TEST_SUBMISSION_PORT" "$r"
if expect send_starttls 0 '^S: 250'; then delivered send_starttls 1 "$r"; fi

r=$(rcpt implicit)
san send_implicit "$build/smtpc_send" --tls implicit --ca-file "$SMTPC_TEST_CA_FILE" \
    --user "$user" --password "$password" --from "$from" --subject "asan implicit $tag" \
    "$host" "$SMTPC_TEST_SMTPS_PORT" "$r"
if expect send_implicit 0 '^S: 250'; then delivered send_implicit 1 "$r"; fi

r=$(rcpt static)
san send_static "$build/smtpc_send_static" --tls none --user "$user" --password "$password" \
    --from "$from" --subject "asan static $tag" "$host" "$SMTPC_TEST_PLAIN_PORT" "$r"
if expect send_static 0 '^S: 250'; then delivered send_static 1 "$r"; fi

# ---------------------------------------------------------------------------
section "smtpc_attach: Chinese subject, body file, HTML, two attachments"

work="$build/files"
mkdir -p "$work"
printf 'Hello,\n\n中文正文：你好，世界。\n.\nA line with only a dot is above.\n' >"$work/Readme.txt"
printf '<html><body><p>Hello, <b>世界</b>.</p></body></html>\n' >"$work/body.html"
head -c 102400 /dev/urandom >"$work/random.bin"
printf 'Second attachment.\n' >"$work/notes.txt"
r=$(rcpt attach)
san attach "$build/smtpc_attach" --tls none --user "$user" --password "$password" \
    --from "$from" --to "$r" --subject "asan 附件 $tag" --body-file "$work/Readme.txt" \
    --html-file "$work/body.html" --attach "$work/random.bin" --attach "$work/notes.txt" \
    "$host" "$SMTPC_TEST_PLAIN_PORT"
if expect attach 0 '100%'; then delivered attach 1 "$r"; fi

# ---------------------------------------------------------------------------
section "tests/c: contract_partial, session_api, mime_full, header_cxx"

a=$(rcpt contract-1)
b=$(rcpt contract-2)
san contract_partial "$build/contract_partial" "$host" "$SMTPC_TEST_PLAIN_PORT" "$user" \
    "$password" "$from" "$a" "$SMTPC_TEST_REJECTED_RCPT" "$b"
if expect contract_partial 0 '^contract_partial: OK'; then delivered contract_partial 2 "$a" "$b"; fi

a=$(rcpt session-1)
b=$(rcpt session-2)
san session_api "$build/session_api" "$host" "$SMTPC_TEST_PLAIN_PORT" "$SMTPC_TEST_NOCHUNK_PORT" \
    "$user" "$password" "$from" "$a" "$b" "$SMTPC_TEST_REJECTED_RCPT" "$SMTPC_TEST_ETRN_DOMAIN"
if expect session_api 0 '^session_api: OK'; then delivered session_api 2 "$a" "$b"; fi

mime_inputs "$work"
to=$(rcpt mime-to)
cc=$(rcpt mime-cc)
bcc=$(rcpt mime-bcc)
san mime_full "$build/mime_full" "$host" "$SMTPC_TEST_PLAIN_PORT" "$user" "$password" "$from" \
    "$to" "$cc" "$bcc" "$work/chart.png" "$work/report-2026.pdf" "$work/sales_q1.csv" \
    "$work/mime-data.bin" "$work/mime.eml"
if expect mime_full 0 '^mime_full: OK'; then delivered mime_full 1 "$to" "$cc" "$bcc"; fi

san header_cxx "$build/header_cxx"
if expect header_cxx 0 '^header_cxx: OK'; then
    pass "header_cxx: OK, no sanitizer findings"
fi

# ---------------------------------------------------------------------------
section "failure paths: wrong password, refused recipient, missing attachment"

wrong="wrong-$tag-password"
san wrong_password "$build/smtpc_send" --tls none --user "$user" --password "$wrong" \
    --from "$from" "$host" "$SMTPC_TEST_PLAIN_PORT" "$(rcpt wrong)"
if expect wrong_password 1 '\[SMTPC_ERR_AUTH_FAILED\]' && no_secret wrong_password "$wrong"; then
    pass "wrong_password: exit 1, SMTPC_ERR_AUTH_FAILED, no sanitizer findings"
fi

r=$(rcpt partial)
san partial "$build/smtpc_send" --tls none --user "$user" --password "$password" \
    --from "$from" --subject "asan partial $tag" "$host" "$SMTPC_TEST_PLAIN_PORT" \
    "$r" "$SMTPC_TEST_REJECTED_RCPT"
if expect partial 3 '\[SMTPC_ERR_PARTIAL\]'; then delivered partial 1 "$r"; fi

san missing_file "$build/smtpc_attach" --tls none --user "$user" --password "$password" \
    --from "$from" --to "$(rcpt missing)" --subject "missing" --body-file "$work/Readme.txt" \
    --attach "$work/no-such-file.bin" "$host" "$SMTPC_TEST_PLAIN_PORT"
if expect missing_file 1 '\[SMTPC_ERR_FILE\]'; then
    pass "missing_file: exit 1, SMTPC_ERR_FILE, no sanitizer findings"
fi

finish
