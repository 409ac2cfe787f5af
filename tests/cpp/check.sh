#!/usr/bin/env bash
# Builds the C++ wrapper's test (tests/cpp/wrapper_test.cpp + second_tu.cpp) and
# the MFC mailer (c-examples/mfc_mailer.cpp) as C++11 and as C++17 with g++ and,
# when installed, clang++ (-Wall -Wextra -Werror -pedantic), checks that
# include/smtpc.hpp also compiles under stricter warnings and with MinGW (when
# installed), then runs every build under valgrind against the test mail server
# and checks that the mail arrived.
#
# Usage: bash tests/cpp/check.sh
#
#   SMTPC_TEST_ENV      env file of a running test mail server
#                       (tests/setup/mailserver.sh start DIR writes DIR/env).
#                       When unset, this script starts a server in a temporary
#                       directory under /tmp and stops it at exit.
#   SMTPC_NO_CARGO=1    do not run `cargo build --release` first.
#   SMTPC_CPP_BUILD     where to build (default: target/cpp-check; wiped first).
#   SMTPC_PASSWORD      ignored (unset): the runs that read it set it themselves.
#
# Output: PASS / FAIL / SKIP lines, logs of every build and run in
# $SMTPC_CPP_BUILD/logs/, and last "cpp: N passed, M failed". Exit status 0 only
# when nothing failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SMTPC_CPP_BUILD:-$root/target/cpp-check}
logs="$build/logs"
lib="$root/target/release"
cd "$root"
# The runs that want a password from the environment set it themselves.
unset SMTPC_PASSWORD

CHECK_NAME=cpp
# shellcheck source=../tests/lib/check-harness.sh
. "$root/tests/lib/check-harness.sh"

# ---------------------------------------------------------------------------
section "build"

build_library
for f in "$lib/libsmtpc.so" "$root/include/smtpc.h" "$root/include/smtpc.hpp"; do
    if [[ ! -f "$f" ]]; then
        fail "missing $f"
        finish
        exit 1
    fi
done

rm -rf "$build"
mkdir -p "$build" "$logs" "$build/lib" "$build/files"

# The programs find the library at run time by its SONAME (e.g. libsmtpc.so.0.1
# when the build sets one); target/release holds only libsmtpc.so, so a link of
# that name in $build/lib points there. Without a SONAME, -rpath $lib suffices.
soname=$(readelf -d "$lib/libsmtpc.so" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [[ -n "$soname" && "$soname" != libsmtpc.so ]]; then
    ln -sf "$lib/libsmtpc.so" "$build/lib/$soname"
    echo "libsmtpc.so has SONAME $soname: linked as $build/lib/$soname"
fi

WARN=(-Wall -Wextra -Werror -pedantic)
# DWARF 4: the valgrind of Debian 12 cannot read clang's default DWARF 5.
DEBUG=(-gdwarf-4 -O1)
# Stricter warnings that an application including the header may use.
STRICT=(-Wshadow -Wconversion -Wsign-conversion -Wold-style-cast -Wnon-virtual-dtor
    -Wzero-as-null-pointer-constant -Wundef)
INCLUDES=(-I"$root/include" -I"$root/c-examples")
# shellcheck disable=SC2054 # the commas belong to -Wl,-rpath
LINK=(-L"$lib" -lsmtpc -Wl,-rpath,"$build/lib" -Wl,-rpath,"$lib")


compilers=(g++)
if command -v clang++ >/dev/null 2>&1; then
    compilers+=(clang++)
else
    skip "clang++ is not installed (apt-get install -y clang): g++ builds only"
fi

# The variants that run: COMPILER-STANDARD.
variants=()
for cxx in "${compilers[@]}"; do
    for std in c++11 c++17; do
        v="$cxx-$std"
        variants+=("$v")
        build "wrapper_test-$v" "$cxx" -std="$std" "${WARN[@]}" "${DEBUG[@]}" -pthread "${INCLUDES[@]}" \
            -o "$build/wrapper_test-$v" "$here/wrapper_test.cpp" "$here/second_tu.cpp" "${LINK[@]}"
        build "mfc_mailer-$v" "$cxx" -std="$std" "${WARN[@]}" "${DEBUG[@]}" "${INCLUDES[@]}" \
            -o "$build/mfc_mailer-$v" "$root/c-examples/mfc_mailer.cpp" "${LINK[@]}"
    done
    # The header alone, under stricter warnings, in every standard from C++11 on.
    for std in c++11 c++14 c++17 c++20; do
        build "smtpc.hpp-strict-$cxx-$std" "$cxx" -std="$std" "${WARN[@]}" "${STRICT[@]}" \
            "${INCLUDES[@]}" -c -o "$build/strict-$cxx-$std.o" "$here/second_tu.cpp"
    done
done

build leak_control g++ -std=c++11 "${WARN[@]}" "${DEBUG[@]}" "${INCLUDES[@]}" \
    -o "$build/leak_control" "$here/leak_control.cpp" "${LINK[@]}"

# Windows: compile only (there is no Windows libsmtpc to link here).
mingw=x86_64-w64-mingw32-g++
if command -v "$mingw" >/dev/null 2>&1; then
    for std in c++11 c++17; do
        build "mingw-smtpc.hpp-$std" "$mingw" -std="$std" "${WARN[@]}" "${STRICT[@]}" "${INCLUDES[@]}" \
            -c -o "$build/mingw-header-$std.o" "$here/second_tu.cpp"
        build "mingw-mfc_mailer-$std" "$mingw" -std="$std" "${WARN[@]}" "${INCLUDES[@]}" \
            -c -o "$build/mingw-mfc_mailer-$std.o" "$root/c-examples/mfc_mailer.cpp"
    done
else
    skip "$mingw is not installed: no Windows compile check"
fi

if [[ $failed -ne 0 ]]; then
    echo "build failed; not running anything"
    finish
    exit 1
fi

# ---------------------------------------------------------------------------
section "test mail server"

use_mail_server smtpc-cpp-check SMTPC_TEST_HOST SMTPC_TEST_PLAIN_PORT \
    SMTPC_TEST_NOCHUNK_PORT SMTPC_TEST_SUBMISSION_PORT SMTPC_TEST_SMTPS_PORT \
    SMTPC_TEST_CA_FILE SMTPC_TEST_MAILDIR SMTPC_TEST_USER SMTPC_TEST_PASSWORD \
    SMTPC_TEST_REJECTED_RCPT SMTPC_TEST_ETRN_DOMAIN
# Unique addresses per run, so that runs never see each other's mail.
tag="cpp$$-$(date +%s)"
from="cpp-check-$tag@example.test"
rcpt() { echo "$tag-$1@example.test"; }

# ---------------------------------------------------------------------------
# Running and verifying

VG_EXPECTED_FINDINGS=leak_control

# wait_mail ADDRESS COUNT: wait (up to 30 s) until ADDRESS has COUNT messages.
wait_mail() {
    local want=$2 i
    for ((i = 0; i < 300; i++)); do
        if [[ $(mails "$1" | wc -l) -ge $want ]]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# expect_mail NAME ADDRESS SUBJECT...: ADDRESS got exactly one message per
# SUBJECT (and nothing else), each from the run's envelope sender.
expect_mail() {
    local name=$1 address=$2 subject eml ok=1 files=()
    shift 2
    if ! wait_mail "$address" $#; then
        fail "$name: $address got $(mails "$address" | wc -l) message(s), expected $#"
        return 0
    fi
    sleep 0.5 # anything more on its way would be wrong
    mapfile -t files < <(mails "$address")
    if [[ ${#files[@]} -ne $# ]]; then
        fail "$name: $address got ${#files[@]} messages, expected $#"
        ok=0
    fi
    for subject in "$@"; do
        local n=0
        for eml in "${files[@]}"; do
            if grep -qxF -- "Subject: $subject" "$eml"; then
                n=$((n + 1))
                if [[ "$(cat "${eml%.eml}.sender")" != "$from" ]]; then
                    fail "$name: envelope sender of $eml is not $from"
                    ok=0
                fi
            fi
        done
        local want
        want=$(printf '%s\n' "$@" | grep -cxF -- "$subject")
        if [[ $n -ne $want ]]; then
            fail "$name: $address has $n message(s) with 'Subject: $subject', expected $want"
            ok=0
        fi
    done
    if [[ $ok -eq 1 ]]; then pass "$name: $address got exactly: $(printf "'%s' " "$@")"; fi
}

# eml_with ADDRESS SUBJECT: the path of ADDRESS's message with that subject.
eml_with() {
    local eml
    while read -r eml; do
        if grep -qxF -- "Subject: $2" "$eml"; then
            echo "$eml"
            return 0
        fi
    done < <(mails "$1")
    return 1
}

# ---------------------------------------------------------------------------
section "valgrind control"

# A program that leaks one message on purpose must fail: otherwise the
# "no valgrind errors" below would prove nothing.
vg leak_control "$build/leak_control"
if [[ $rc -eq 99 ]] && grep -q 'definitely lost\|indirectly lost' "$logs/leak_control.valgrind"; then
    pass "valgrind control: a leaked smtpc::Message is reported (exit 99)"
else
    fail "valgrind control: a leaked smtpc::Message gave exit $rc, not 99: valgrind would miss leaks"
    show_logs leak_control
fi

# ---------------------------------------------------------------------------
section "wrapper_test: smtpc.hpp against the server"

attachment="$build/files/attachment.bin"
head -c 200000 /dev/urandom >"$attachment"

wrapper_case() {
    local name=$1 binary=$2 r1 r2 r3 eml copy
    r1=$(rcpt "$name-1")
    r2=$(rcpt "$name-2")
    r3=$(rcpt "$name-3")
    eml="$build/files/$name.eml"
    vg "$name" "$binary" "$host" "$SMTPC_TEST_PLAIN_PORT" "$SMTPC_TEST_NOCHUNK_PORT" \
        "$SMTPC_TEST_SMTPS_PORT" "$user" "$password" "$from" "$r1" "$r2" "$r3" \
        "$SMTPC_TEST_REJECTED_RCPT" "$SMTPC_TEST_ETRN_DOMAIN" "$attachment" "$eml"
    if [[ $rc -ne 0 ]] || ! grep -q '^wrapper_test: OK' "$logs/$name.out"; then
        fail "$name: exit $rc"
        grep -h 'CHECK failed\|^    ' "$logs/$name.err" | sed 's/^/    /' || true
        show_logs "$name"
        return 0
    fi
    no_secret "$name" || return 0
    pass "$name: $(grep '^wrapper_test: OK' "$logs/$name.out"), no valgrind errors"

    expect_mail "$name" "$r1" "wrapper_test attachment" "wrapper_test moved"
    expect_mail "$name" "$r2" "wrapper_test partial" "wrapper_test raw"
    expect_mail "$name" "$r3" "wrapper_test batch" "wrapper_test batch" "wrapper_test batch nochunk"

    # The built message: names, bodies, both attachments byte for byte, and the
    # delivered bytes equal to what Message::write_file wrote.
    if ! copy=$(eml_with "$r1" "wrapper_test attachment"); then
        fail "$name: no 'wrapper_test attachment' message for $r1"
        return 0
    fi
    if python3 - "$copy" "$eml" "$attachment" "$from" "$r1" >"$logs/$name.verify" 2>&1 <<'PY'
import email, hashlib, sys
from email import policy

copy_path, eml_path, attachment, sender, rcpt = sys.argv[1:]
errors = []
with open(copy_path, "rb") as f:
    stored = f.read()
with open(eml_path, "rb") as f:
    eml = f.read()
msg = email.message_from_bytes(stored, policy=policy.default)
def sha(b):
    return hashlib.sha256(b).hexdigest()
for field, name, addr in (("from", "José Müller", sender), ("to", "张伟", rcpt)):
    got = msg[field].addresses
    if len(got) != 1 or got[0].display_name != name or got[0].addr_spec.lower() != addr.lower():
        errors.append("%s: %r" % (field, [(a.display_name, a.addr_spec) for a in got]))
if msg["x-mailer"] != "smtpc wrapper_test":
    errors.append("X-Mailer: %r" % msg["x-mailer"])
text = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
if text != "Hello from C++.\nA second line.\n.\nA line with only a dot is above.\n":
    errors.append("text body %r" % text)
html = msg.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
if html != "<p>Hello from <b>C++</b>.</p>\n":
    errors.append("html body %r" % html)
with open(attachment, "rb") as f:
    want = {"données.bin": sha(f.read()), "table.bin": sha(bytes(range(256)) * 4)}
got = {}
for part in msg.iter_attachments():
    got[part.get_filename()] = sha(part.get_payload(decode=True))
if got != want:
    errors.append("attachments %r, want %r" % (got, want))
# Postfix adds its Received: header (and its continuation lines) and stores LF.
lines = stored.split(b"\n")
i = 1
while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
    i += 1
sent = b"\n".join(lines[i:]).replace(b"\n", b"\r\n")
if sent != eml:
    errors.append("the delivered bytes differ from Message::write_file's (%d vs %d bytes)"
                  % (len(sent), len(eml)))
for e in errors:
    print("ERROR: " + e)
sys.exit(1 if errors else 0)
PY
    then
        pass "$name: names, text/HTML bodies and both attachments (sha256) as built; delivered bytes == write_file's .eml"
    else
        fail "$name: the built message arrived wrong:"
        sed 's/^/    /' "$logs/$name.verify"
    fi

    # The raw message: dot lines intact.
    if copy=$(eml_with "$r2" "wrapper_test raw") && grep -qx '\.leading dot' "$copy" &&
        grep -qx '\.' "$copy" && grep -qx 'last line' "$copy"; then
        pass "$name: send_raw's dot lines arrived intact"
    else
        fail "$name: send_raw's message for $r2 is missing or its dot lines changed"
    fi
}

for v in "${variants[@]}"; do
    wrapper_case "wrapper_test-$v" "$build/wrapper_test-$v"
done

# ---------------------------------------------------------------------------
section "mfc_mailer: the MFC dialog's OnOk on smtpc.hpp"

# expect_sent NAME: exit 0, a transcript on stdout, no secret in the output.
expect_sent() {
    local name=$1
    if [[ $rc -ne 0 ]]; then
        fail "$name: exit status $rc"
        show_logs "$name"
        return 1
    fi
    if ! grep -q '^C: ' "$logs/$name.out" || ! grep -q '^S: 250' "$logs/$name.out" ||
        ! grep -q '^Mail sent to ' "$logs/$name.out"; then
        fail "$name: no transcript or no 'Mail sent' on stdout"
        show_logs "$name"
        return 1
    fi
    no_secret "$name" || return 1
    pass "$name: sent, exit 0, no valgrind errors"
}

# Every build: AUTH on the plain port, the password from SMTPC_PASSWORD, two
# recipients in one To field (as typed into the dialog) and one more --to.
for v in "${variants[@]}"; do
    name="mfc_mailer-$v"
    a=$(rcpt "$name-a")
    b=$(rcpt "$name-b")
    c=$(rcpt "$name-c")
    SMTPC_PASSWORD="$password" vg "$name" "$build/$name" --server "$host" \
        --port "$SMTPC_TEST_PLAIN_PORT" --tls none --user "$user" --from "$from" \
        --to "$a; $b" --to="$c" --subject "mfc_mailer $v $tag" --message "Hello from OnOk."
    if expect_sent "$name"; then
        for address in "$a" "$b" "$c"; do
            expect_mail "$name" "$address" "mfc_mailer $v $tag"
        done
    fi
done

# The other paths, with the first build.
mailer="$build/mfc_mailer-${variants[0]}"

vg mailer_usage "$mailer"
if [[ $rc -eq 2 ]] && grep -q 'Server is empty' "$logs/mailer_usage.err" &&
    grep -q -- '--help' "$logs/mailer_usage.err"; then
    pass "mfc_mailer without arguments: the empty fields are named, exit 2"
else
    fail "mfc_mailer without arguments: exit $rc, expected 2"
    show_logs mailer_usage
fi
vg mailer_help "$mailer" --help
if [[ $rc -eq 0 ]] && grep -q '^Usage: mfc_mailer' "$logs/mailer_help.out"; then
    pass "mfc_mailer --help: exit 0"
else
    fail "mfc_mailer --help: exit $rc"
fi
vg mailer_badport "$mailer" --server "$host" --port 99999 --from "$from" --to x@example.test
if [[ $rc -eq 2 ]] && grep -q 'invalid port' "$logs/mailer_badport.err"; then
    pass "mfc_mailer --port 99999: exit 2"
else
    fail "mfc_mailer --port 99999: exit $rc, expected 2"
fi
vg mailer_noto "$mailer" --server "$host" --port "$SMTPC_TEST_PLAIN_PORT" --from "$from" --to " ; "
if [[ $rc -eq 2 ]] && grep -q 'To is empty' "$logs/mailer_noto.err"; then
    pass "mfc_mailer with an empty To field: exit 2"
else
    fail "mfc_mailer with an empty To field: exit $rc, expected 2"
fi
vg mailer_nopass "$mailer" --server "$host" --user "$user" --from "$from" \
    --to x@example.test
if [[ $rc -eq 2 ]] && grep -q 'no password' "$logs/mailer_nopass.err"; then
    pass "mfc_mailer --user without a password: exit 2"
else
    fail "mfc_mailer --user without a password: exit $rc, expected 2"
fi
vg mailer_badfrom "$mailer" --server "$host" --port "$SMTPC_TEST_PLAIN_PORT" --tls none \
    --from "not an address" --to x@example.test
if [[ $rc -eq 1 ]] && grep -q '\[SMTPC_ERR_INVALID_ARGUMENT\]' "$logs/mailer_badfrom.err" &&
    ! grep -q '^C: ' "$logs/mailer_badfrom.out"; then
    pass "mfc_mailer with a malformed From: exit 1 before connecting"
else
    fail "mfc_mailer with a malformed From: exit $rc, expected 1 with SMTPC_ERR_INVALID_ARGUMENT"
    show_logs mailer_badfrom
fi

# TLS: STARTTLS on the submission port, implicit TLS on the SMTPS port.
for mode in starttls implicit; do
    name="mailer_$mode"
    port=$SMTPC_TEST_SUBMISSION_PORT
    [[ $mode == implicit ]] && port=$SMTPC_TEST_SMTPS_PORT
    address=$(rcpt "$name")
    vg "$name" "$mailer" --server "$host" --port "$port" --tls "$mode" --ca-file "$SMTPC_TEST_CA_FILE" \
        --user "$user" --password "$password" --from "$from" --to "$address" \
        --subject "mfc_mailer $mode $tag"
    if expect_sent "$name"; then
        expect_mail "$name" "$address" "mfc_mailer $mode $tag"
    fi
done

# Partial delivery: exit 3, the report shows the refused recipient.
address=$(rcpt mailer-partial)
vg mailer_partial "$mailer" --server "$host" --port "$SMTPC_TEST_PLAIN_PORT" --tls none \
    --user "$user" --password "$password" --from "$from" \
    --to "$address; $SMTPC_TEST_REJECTED_RCPT" --subject "mfc_mailer partial $tag"
if [[ $rc -eq 3 ]] && grep -q '\[SMTPC_ERR_PARTIAL\]' "$logs/mailer_partial.err" &&
    grep -q "^  $SMTPC_TEST_REJECTED_RCPT  *FAILED 550 " "$logs/mailer_partial.out"; then
    pass "mailer_partial: exit 3, the report shows the 550"
    expect_mail mailer_partial "$address" "mfc_mailer partial $tag"
else
    fail "mailer_partial: exit $rc, expected 3 with a report"
    show_logs mailer_partial
fi

# Wrong password: exit 1, AUTH_FAILED with the server's 535, the password nowhere.
wrong="wrong-$tag-password"
vg mailer_wrong_password "$mailer" --server "$host" --port "$SMTPC_TEST_PLAIN_PORT" --tls none \
    --user "$user" --password "$wrong" --from "$from" --to "$(rcpt mailer-wrong)"
if [[ $rc -eq 1 ]] && grep -q '\[SMTPC_ERR_AUTH_FAILED\]' "$logs/mailer_wrong_password.err" &&
    grep -q "the server's reply: 535" "$logs/mailer_wrong_password.err" &&
    no_secret mailer_wrong_password "$wrong"; then
    pass "mailer_wrong_password: exit 1, $(grep -m1 'AUTH_FAILED' "$logs/mailer_wrong_password.err")"
else
    fail "mailer_wrong_password: exit $rc, expected 1 with SMTPC_ERR_AUTH_FAILED"
    show_logs mailer_wrong_password
fi

# Nothing listening: the old dialog's "can't connect" box, exit 1.
vg mailer_noserver "$mailer" --server 127.0.0.1 --port 1 --tls none --from "$from" --to x@example.test
if [[ $rc -eq 1 ]] && grep -q "Can't connect to the server 127.0.0.1 port 1: .*\[SMTPC_ERR_CONNECT\]" \
    "$logs/mailer_noserver.err"; then
    pass "mailer_noserver: exit 1, SMTPC_ERR_CONNECT reported"
else
    fail "mailer_noserver: exit $rc, expected 1 with SMTPC_ERR_CONNECT"
    show_logs mailer_noserver
fi

finish
