#!/usr/bin/env bash
# Builds the C and C++ programs of c-examples/ and tests/c/ with every warning
# as an error, then runs them against the test mail server under valgrind and
# checks that every message arrived intact.
#
# Usage: bash c-examples/check.sh
#
#   SMTPC_TEST_ENV   env file of a running test mail server
#                    (tests/setup/mailserver.sh start DIR writes DIR/env).
#                    When unset, this script starts a server in a temporary
#                    directory and stops it at exit.
#   SMTPC_NO_CARGO=1 do not run `cargo build --release` first.
#
# Output: PASS / FAIL / SKIP lines, logs of every run in c-examples/build/logs/,
# and last "c-examples: N passed, M failed". Exit status 0 only when nothing failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build="$here/build"
logs="$build/logs"
lib="$root/target/release"
cd "$root"

CHECK_NAME=c-examples
# shellcheck source=../tests/lib/check-harness.sh
. "$root/tests/lib/check-harness.sh"

# ---------------------------------------------------------------------------
section "build"

build_library
for f in "$lib/libsmtpc.so" "$lib/libsmtpc.a" "$root/include/smtpc.h"; do
    if [[ ! -f "$f" ]]; then
        fail "missing $f"
        finish
        exit 1
    fi
done

rm -rf "$build"
mkdir -p "$build" "$logs"

CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -g -O1 -I"$root/include" -I"$here")
CXXFLAGS=(-std=c++11 -Wall -Wextra -Werror -pedantic -g -O1 -I"$root/include" -I"$here")
# shellcheck disable=SC2054 # the commas belong to -Wl,-rpath
LINK_SHARED=(-L"$lib" -lsmtpc -Wl,-rpath,"$lib")
# What a Rust staticlib needs from the system (besides OpenSSL for native-tls).
LINK_STATIC=("$lib/libsmtpc.a" -lssl -lcrypto -lpthread -ldl -lm)


build smtpc_send gcc "${CFLAGS[@]}" -o "$build/smtpc_send" \
    "$here/smtpc_send.c" "$here/cli_common.c" "${LINK_SHARED[@]}"
build smtpc_attach gcc "${CFLAGS[@]}" -o "$build/smtpc_attach" \
    "$here/smtpc_attach.c" "$here/cli_common.c" "${LINK_SHARED[@]}"
build contract_partial gcc "${CFLAGS[@]}" -o "$build/contract_partial" \
    "$root/tests/c/contract_partial.c" "${LINK_SHARED[@]}"
build mime_full gcc "${CFLAGS[@]}" -o "$build/mime_full" \
    "$root/tests/c/mime_full.c" "${LINK_SHARED[@]}"
build session_api gcc "${CFLAGS[@]}" -o "$build/session_api" \
    "$root/tests/c/session_api.c" "${LINK_SHARED[@]}"
build smtpc_send_static gcc "${CFLAGS[@]}" -o "$build/smtpc_send_static" \
    "$here/smtpc_send.c" "$here/cli_common.c" "${LINK_STATIC[@]}"
# The same C sources compiled as C++.
build smtpc_send_cxx g++ -x c++ "${CXXFLAGS[@]}" -o "$build/smtpc_send_cxx" \
    "$here/smtpc_send.c" "$here/cli_common.c" -x none "${LINK_SHARED[@]}"
build smtpc_attach_cxx g++ -x c++ "${CXXFLAGS[@]}" -o "$build/smtpc_attach_cxx" \
    "$here/smtpc_attach.c" "$here/cli_common.c" -x none "${LINK_SHARED[@]}"
build contract_partial_cxx g++ -x c++ "${CXXFLAGS[@]}" -o "$build/contract_partial_cxx" \
    "$root/tests/c/contract_partial.c" -x none "${LINK_SHARED[@]}"
build mime_full_cxx g++ -x c++ "${CXXFLAGS[@]}" -o "$build/mime_full_cxx" \
    "$root/tests/c/mime_full.c" -x none "${LINK_SHARED[@]}"
build session_api_cxx g++ -x c++ "${CXXFLAGS[@]}" -o "$build/session_api_cxx" \
    "$root/tests/c/session_api.c" -x none "${LINK_SHARED[@]}"
build header_cxx g++ "${CXXFLAGS[@]}" -o "$build/header_cxx" \
    "$root/tests/c/header_cxx.cpp" "${LINK_SHARED[@]}"

if [[ -x "$build/smtpc_send_static" ]]; then
    if ldd "$build/smtpc_send_static" | grep -q 'libsmtpc'; then
        fail "smtpc_send_static links libsmtpc.so dynamically"
    else
        pass "smtpc_send_static has libsmtpc linked in statically"
    fi
fi

# The C example of README.md (its first ```c block): compiled and linked as C99
# and as C++, never run (it talks to smtp.example.com). Checked after the gate
# below, so that a broken example does not stop the runs.
readme_example() {
    local src="$build/readme_example.c" ok=1
    awk '/^```c[[:space:]]*$/ && !seen { inside = 1; seen = 1; next }
         inside && /^```/ { inside = 0; exit }
         inside { print }' "$root/README.md" >"$src"
    if [[ ! -s "$src" ]]; then
        fail "README example compiles: no \`\`\`c block in README.md"
        return 0
    fi
    if ! gcc -std=c99 -Wall -Wextra -Werror -I"$root/include" -o "$build/readme_example" \
        "$src" "${LINK_SHARED[@]}" >"$logs/build-readme_example.log" 2>&1; then
        fail "README example compiles as C99:"
        sed 's/^/    /' "$logs/build-readme_example.log"
        ok=0
    fi
    if ! g++ -x c++ -std=c++11 -Wall -Wextra -Werror -I"$root/include" \
        -o "$build/readme_example_cxx" "$src" -x none "${LINK_SHARED[@]}" \
        >"$logs/build-readme_example_cxx.log" 2>&1; then
        fail "README example compiles as C++:"
        sed 's/^/    /' "$logs/build-readme_example_cxx.log"
        ok=0
    fi
    if [[ $ok -eq 1 ]]; then pass "README example compiles (C99 and C++, linked)"; fi
}

if [[ $failed -ne 0 ]]; then
    echo "build failed; not running anything"
    finish
    exit 1
fi

section "README example"
readme_example

# ---------------------------------------------------------------------------
section "test mail server"

use_mail_server smtpc-c-examples SMTPC_TEST_HOST SMTPC_TEST_PLAIN_PORT \
    SMTPC_TEST_SUBMISSION_PORT SMTPC_TEST_SMTPS_PORT SMTPC_TEST_CA_FILE \
    SMTPC_TEST_MAILDIR SMTPC_TEST_USER SMTPC_TEST_PASSWORD SMTPC_TEST_REJECTED_RCPT
# Unique addresses per run, so that runs never see each other's mail.
tag="run$$-$(date +%s)"
from="c-examples-$tag@example.test"
rcpt() { echo "$tag-$1@example.test"; }

# ---------------------------------------------------------------------------
# Running and verifying

# wait_mail ADDRESS COUNT: wait (up to 30 s) until ADDRESS has COUNT delivered
# messages; prints the newest .eml path.
wait_mail() {
    local want=$2 i files=()
    for ((i = 0; i < 300; i++)); do
        mapfile -t files < <(mails "$1")
        if [[ ${#files[@]} -ge $want ]]; then
            printf '%s\n' "${files[@]: -1}"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# check_delivered NAME SUBJECT ADDRESS...: each ADDRESS got exactly one message
# with this subject, from the right envelope sender.
check_delivered() {
    local name=$1 subject=$2 address eml ok=1
    shift 2
    for address in "$@"; do
        if ! eml=$(wait_mail "$address" 1); then
            fail "$name: nothing delivered to $address"
            ok=0
            continue
        fi
        if ! grep -qF -- "Subject: $subject" "$eml"; then
            fail "$name: message for $address lacks 'Subject: $subject' ($eml)"
            ok=0
        elif [[ "$(cat "${eml%.eml}.sender")" != "$from" ]]; then
            fail "$name: envelope sender for $address is not $from"
            ok=0
        fi
    done
    if [[ $ok -eq 1 ]]; then pass "$name: delivered to $*"; fi
}

# expect_sent NAME: the run exited 0, showed a transcript and leaked no secret.
expect_sent() {
    local name=$1
    if [[ $rc -ne 0 ]]; then
        fail "$name: exit status $rc"
        show_logs "$name"
        return 1
    fi
    if ! grep -q '^C: ' "$logs/$name.out" || ! grep -q '^S: 250' "$logs/$name.out"; then
        fail "$name: no SMTP transcript on stdout"
        show_logs "$name"
        return 1
    fi
    no_secret "$name" || return 1
    pass "$name: sent, exit 0, no valgrind errors"
}

# ---------------------------------------------------------------------------
section "usage"

vg usage_none "$build/smtpc_send"
if [[ $rc -eq 2 ]] && grep -q 'Usage\|--help' "$logs/usage_none.err"; then
    pass "smtpc_send without arguments: usage error, exit 2"
else
    fail "smtpc_send without arguments: exit $rc, expected 2"
fi
vg usage_help "$build/smtpc_attach" --help
if [[ $rc -eq 0 ]] && grep -q '^Usage: smtpc_attach' "$logs/usage_help.out"; then
    pass "smtpc_attach --help: exit 0"
else
    fail "smtpc_attach --help: exit $rc"
fi
vg usage_badport "$build/smtpc_send" --from "$from" "$host" 99999 x@example.test
if [[ $rc -eq 2 ]]; then pass "smtpc_send with port 99999: exit 2"; else fail "bad port: exit $rc"; fi

# ---------------------------------------------------------------------------
section "smtpc_send, plain port, AUTH, two recipients (password from SMTPC_PASSWORD)"

r1=$(rcpt plain-1)
r2=$(rcpt plain-2)
SMTPC_PASSWORD="$password" vg send_plain "$build/smtpc_send" --tls none --user "$user" \
    --from "$from" --subject "smtpc_send plain $tag" "$host" "$SMTPC_TEST_PLAIN_PORT" "$r1" "$r2"
if expect_sent send_plain; then
    check_delivered send_plain "smtpc_send plain $tag" "$r1" "$r2"
fi

# ---------------------------------------------------------------------------
# TLS runs. Until the library's TLS support lands, a send may fail with
# SMTPC_ERR_UNSUPPORTED; that, and only that, is reported as SKIP.
tls_run() {
    local name=$1 mode=$2 port=$3 address
    address=$(rcpt "$name")
    vg "$name" "$build/smtpc_send" --tls "$mode" --ca-file "$SMTPC_TEST_CA_FILE" \
        --user "$user" --password "$password" --from "$from" --subject "smtpc_send $name $tag" \
        "$host" "$port" "$address"
    if [[ $rc -eq 1 ]] && grep -q '\[SMTPC_ERR_UNSUPPORTED\]' "$logs/$name.err"; then
        skip "$name: the library says TLS is unsupported: $(grep -m1 'SMTPC_ERR_UNSUPPORTED' "$logs/$name.err")"
        return 0
    fi
    if expect_sent "$name"; then
        check_delivered "$name" "smtpc_send $name $tag" "$address"
    fi
}

section "smtpc_send, submission port, STARTTLS + AUTH"
tls_run send_starttls starttls "$SMTPC_TEST_SUBMISSION_PORT"

section "smtpc_send, SMTPS port, implicit TLS + AUTH"
tls_run send_implicit implicit "$SMTPC_TEST_SMTPS_PORT"

# ---------------------------------------------------------------------------
section "smtpc_attach: Chinese subject, body file, HTML, two attachments"

work="$build/attach-files"
mkdir -p "$work"
printf 'Hello,\n\nthe attached files come with this message.\n中文正文：你好，世界。\n.\nA line with only a dot is above.\n' \
    >"$work/Readme.txt"
printf '<html><body><p>Hello, <b>世界</b>.</p></body></html>\n' >"$work/body.html"
head -c 102400 /dev/urandom >"$work/random.bin"
printf 'Second attachment: a small text file.\n' >"$work/notes.txt"
subject="smtpc 测试邮件：附件与中文主题 $tag"
r3=$(rcpt attach)
vg attach "$build/smtpc_attach" --tls none --user "$user" --password "$password" \
    --from "$from" --to "$r3" --subject "$subject" --body-file "$work/Readme.txt" \
    --html-file "$work/body.html" --attach "$work/random.bin" --attach "$work/notes.txt" \
    "$host" "$SMTPC_TEST_PLAIN_PORT"
if expect_sent attach; then
    if ! grep -q '100%' "$logs/attach.err"; then
        fail "attach: no progress reaching 100% on stderr"
    fi
    if eml=$(wait_mail "$r3" 1); then
        if python3 - "$eml" "$subject" "$work/Readme.txt" "$work/random.bin" "$work/notes.txt" \
            >"$logs/attach.verify" 2>&1 <<'PY'
import email, hashlib, os, sys
from email import policy

path, subject, body_file, *attachments = sys.argv[1:]
with open(path, "rb") as f:
    msg = email.message_from_binary_file(f, policy=policy.default)
errors = []
if msg["subject"] != subject:
    errors.append("subject %r != %r" % (msg["subject"], subject))
plain = msg.get_body(preferencelist=("plain",))
with open(body_file, encoding="utf-8") as f:
    want_body = f.read()
if plain is None:
    errors.append("no text/plain body")
elif plain.get_content().replace("\r\n", "\n").rstrip("\n") != want_body.rstrip("\n"):
    errors.append("text body differs: %r" % plain.get_content()[:200])
if msg.get_body(preferencelist=("html",)) is None:
    errors.append("no text/html body")
got = {}
for part in msg.iter_attachments():
    got[part.get_filename()] = part.get_payload(decode=True)
for att in attachments:
    name = os.path.basename(att)
    with open(att, "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    if name not in got:
        errors.append("attachment %s missing (have %s)" % (name, sorted(got)))
        continue
    have = hashlib.sha256(got[name]).hexdigest()
    print("attachment %s: %d bytes, sha256 %s" % (name, len(got[name]), have))
    if have != want:
        errors.append("attachment %s: sha256 %s, sent %s" % (name, have, want))
if len(got) != len(attachments):
    errors.append("%d attachments, expected %d" % (len(got), len(attachments)))
print("subject: %s" % msg["subject"])
for e in errors:
    print("ERROR: " + e)
sys.exit(1 if errors else 0)
PY
        then
            pass "attach: subject, body, HTML and both attachments' sha256 match ($eml)"
        else
            fail "attach: received message differs from what was sent ($eml):"
            sed 's/^/    /' "$logs/attach.verify"
        fi
    else
        fail "attach: nothing delivered to $r3"
    fi
fi

# ---------------------------------------------------------------------------
section "contract_partial: send_raw with one refused recipient, then a built message"

c1=$(rcpt contract-1)
c2=$(rcpt contract-2)
contract_case() {
    local name=$1 binary=$2 a=$3 b=$4
    vg "$name" "$binary" "$host" "$SMTPC_TEST_PLAIN_PORT" "$user" "$password" "$from" \
        "$a" "$SMTPC_TEST_REJECTED_RCPT" "$b"
    if [[ $rc -ne 0 ]] || ! grep -q '^contract_partial: OK' "$logs/$name.out"; then
        fail "$name: exit $rc"
        grep -h 'CHECK failed\|^ ' "$logs/$name.err" | sed 's/^/    /' || true
        show_logs "$name"
        return 0
    fi
    pass "$name: $(grep '^contract_partial: OK' "$logs/$name.out")"
    # Both accepted recipients get both messages; the raw one keeps its dot lines.
    local address eml raw
    for address in "$a" "$b"; do
        if ! wait_mail "$address" 2 >/dev/null; then
            fail "$name: $address did not get 2 messages"
            continue
        fi
        raw=""
        for eml in "$maildir/${address,,}"/*.eml; do
            if grep -q '^Subject: contract_partial raw message' "$eml"; then raw=$eml; fi
        done
        if [[ -z "$raw" ]]; then
            fail "$name: raw message not delivered to $address"
        elif grep -qx '\.leading dot' "$raw" && grep -qx '\.' "$raw" &&
            grep -qx '\.\.two dots' "$raw" && grep -qx 'Last line, no line end after it\.' "$raw"; then
            pass "$name: $address got both messages; dot lines intact"
        else
            fail "$name: dot lines of the raw message changed in $raw"
        fi
    done
}
contract_case contract_partial "$build/contract_partial" "$c1" "$c2"
contract_case contract_partial_cxx "$build/contract_partial_cxx" "$(rcpt contract-cxx-1)" \
    "$(rcpt contract-cxx-2)"

# ---------------------------------------------------------------------------
section "session_api: batches over BDAT and DATA, DSN, ETRN, enhanced codes"

session_case() {
    local name=$1 binary=$2 a b address
    a=$(rcpt "$name-1")
    b=$(rcpt "$name-2")
    vg "$name" "$binary" "$host" "$SMTPC_TEST_PLAIN_PORT" "$SMTPC_TEST_NOCHUNK_PORT" \
        "$user" "$password" "$from" "$a" "$b" "$SMTPC_TEST_REJECTED_RCPT" "$SMTPC_TEST_ETRN_DOMAIN"
    if [[ $rc -ne 0 ]] || ! grep -q '^session_api: OK' "$logs/$name.out"; then
        fail "$name: exit $rc"
        grep -h 'CHECK failed\|^ ' "$logs/$name.err" | sed 's/^/    /' || true
        show_logs "$name"
        return 0
    fi
    pass "$name: $(grep '^session_api: OK' "$logs/$name.out"), no valgrind errors"
    # One message per port (BDAT and DATA) for each accepted recipient.
    for address in "$a" "$b"; do
        if wait_mail "$address" 2 >/dev/null; then
            pass "$name: $address got one message over BDAT and one over DATA"
        else
            fail "$name: $address did not get 2 messages"
        fi
    done
}
session_case session_api "$build/session_api"
session_case session_api_cxx "$build/session_api_cxx"

# ---------------------------------------------------------------------------
section "mime_full: one message with every MIME feature, To + Cc + Bcc, .eml"

mime_work="$build/mime-files"
mime_inputs "$mime_work"

# mime_case NAME BINARY: run it, then check every delivered copy.
mime_case() {
    local name=$1 binary=$2 to cc bcc eml data copies=() address copy
    to=$(rcpt "$name-to")
    cc=$(rcpt "$name-cc")
    bcc=$(rcpt "$name-bcc")
    eml="$mime_work/$name.eml"
    data="$mime_work/$name-donnees.bin"
    vg "$name" "$binary" "$host" "$SMTPC_TEST_PLAIN_PORT" "$user" "$password" "$from" \
        "$to" "$cc" "$bcc" "$mime_work/chart.png" "$mime_work/report-2026.pdf" \
        "$mime_work/sales_q1.csv" "$data" "$eml"
    if [[ $rc -ne 0 ]] || ! grep -q '^mime_full: OK' "$logs/$name.out"; then
        fail "$name: exit $rc"
        grep -h 'CHECK failed\|^ ' "$logs/$name.err" | sed 's/^/    /' || true
        show_logs "$name"
        return 0
    fi
    no_secret "$name" || return 0
    pass "$name: $(grep '^mime_full: OK' "$logs/$name.out"), no valgrind errors"
    for address in "$to" "$cc" "$bcc"; do
        if ! copy=$(wait_mail "$address" 1); then
            fail "$name: nothing delivered to $address"
            return 0
        fi
        copies+=("$address=$copy")
    done
    if python3 - "$eml" "$from" "$to" "$cc" "$bcc" "$mime_work/chart.png" \
        "$mime_work/report-2026.pdf" "$mime_work/sales_q1.csv" "$data" "${copies[@]}" \
        >"$logs/$name.verify" 2>&1 <<'PY'
import email, hashlib, os, re, sys
from email import policy

# Copies of the MF_ strings of tests/c/mime_full.c: keep both in sync.
SUBJECT = "年度报告：第一季度 — 测试 😀"
FROM_NAME = "José Müller-Åström"
TO_NAME = "张伟"
CC_NAME = "Zoë Ça Va"
BCC_NAME = "Hidden Bcc Person"
CID = "chart-2026q1@smtpc.test"
PDF_NAME = "年度报告 2026.pdf"
DATA_NAME = "données.bin"
TEXT = ("Hello,\n"
        "\n"
        "the annual report is attached. 年度报告已附上，请查收。\n"
        ".\n"
        ".a line that starts with a dot\n"
        "Trailing spaces:   \n"
        + "长行0123456789" * 80 + "\n"
        "Ünïcödé: café, naïve, Straße, 😀\n")
HTML = ("<!DOCTYPE html>\n"
        "<html><head><meta charset=\"utf-8\"><title>年度报告</title></head>\n"
        "<body>\n"
        "<p>Hello, <b>世界</b> — the chart:</p>\n"
        "<p><img src=\"cid:" + CID + "\" alt=\"chart\" width=\"4\" height=\"4\"></p>\n"
        "<p>Café &amp; naïve. 😀</p>\n"
        "</body></html>\n")
STRUCTURE = ("multipart/mixed[multipart/related[multipart/alternative[text/plain,text/html],"
             "image/png],application/pdf,text/csv,application/octet-stream]")

eml_path, sender, to, cc, bcc, image, pdf, csv, data = sys.argv[1:10]
copies = [a.split("=", 1) for a in sys.argv[10:]]
errors = []


def err(where, text):
    errors.append("%s: %s" % (where, text))


def sha(b):
    return hashlib.sha256(b).hexdigest()


def file_sha(path):
    with open(path, "rb") as f:
        return sha(f.read())


def as_sent(stored):
    """What the client sent: without Postfix's Received: header (and its
    continuation lines), LF -> CRLF (as tests/common/mod.rs as_sent)."""
    if not stored.startswith(b"Received: "):
        raise ValueError("does not start with Postfix's Received: header")
    lines = stored.split(b"\n")
    i = 1
    while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
        i += 1
    return b"\n".join(lines[i:]).replace(b"\n", b"\r\n")


def structure(part):
    if part.is_multipart():
        return "%s[%s]" % (part.get_content_type(),
                           ",".join(structure(p) for p in part.get_payload()))
    return part.get_content_type()


def long_lines(raw):
    return [n for n, line in enumerate(raw.split(b"\n"), 1) if len(line.rstrip(b"\r")) > 998]


with open(eml_path, "rb") as f:
    eml = f.read()
if long_lines(eml):
    err("eml", "lines over 998 bytes: %s" % long_lines(eml)[:5])

want_sha = {"image": file_sha(image), PDF_NAME: file_sha(pdf),
            os.path.basename(csv): file_sha(csv), DATA_NAME: file_sha(data)}
want_att = [(PDF_NAME, "application/pdf"), (os.path.basename(csv), "text/csv"),
            (DATA_NAME, "application/octet-stream")]

for rcpt, path in copies:
    where = "copy for %s (%s)" % (rcpt, path)
    with open(path, "rb") as f:
        stored = f.read()
    # The delivered bytes are the .eml, byte for byte.
    try:
        sent = as_sent(stored)
    except ValueError as e:
        err(where, str(e))
        continue
    if sent != eml:
        n = next((i for i, (a, b) in enumerate(zip(sent, eml)) if a != b), min(len(sent), len(eml)))
        err(where, "delivered bytes (Received: removed, CRLF) differ from the .eml at offset %d "
            "(%d vs %d bytes): delivered %r, eml %r"
            % (n, len(sent), len(eml), sent[max(0, n - 40):n + 40], eml[max(0, n - 40):n + 40]))
    if long_lines(stored):
        err(where, "lines over 998 bytes: %s" % long_lines(stored)[:5])

    msg = email.message_from_bytes(stored, policy=policy.default)
    # Headers.
    if msg["subject"] != SUBJECT:
        err(where, "subject %r != %r" % (msg["subject"], SUBJECT))
    for field, name, addr in (("from", FROM_NAME, sender), ("to", TO_NAME, to), ("cc", CC_NAME, cc)):
        got = msg[field].addresses if msg[field] is not None else ()
        if len(got) != 1 or got[0].display_name != name or got[0].addr_spec.lower() != addr.lower():
            err(where, "%s: %r, want %r <%s>" % (field, [(a.display_name, a.addr_spec) for a in got],
                                                 name, addr))
    for field in ("date", "message-id", "mime-version"):
        if msg[field] is None:
            err(where, "no %s header" % field)
    # Bcc: in no header (Postfix's Received: "for <...>" is not the client's).
    head = sent.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    if "bcc" in (k.lower() for k in msg.keys()):
        err(where, "a Bcc header was sent")
    if bcc.lower() in head.lower() or BCC_NAME.lower() in head.lower():
        err(where, "the Bcc address or name appears in the headers")
    if bcc.lower().encode() in sent.lower():
        err(where, "the Bcc address appears in the message")
    # Structure.
    got_structure = structure(msg)
    if got_structure != STRUCTURE:
        err(where, "structure %s\n    want %s" % (got_structure, STRUCTURE))
        continue
    related, *attachments = msg.get_payload()
    alternative, img = related.get_payload()
    plain, html = alternative.get_payload()
    # Bodies, compared after normalising line ends to LF (CRLF vs LF aside).
    got_text = plain.get_content().replace("\r\n", "\n")
    if got_text != TEXT:
        err(where, "text body %r\n    want %r" % (got_text[:300], TEXT[:300]))
    got_html = html.get_content().replace("\r\n", "\n")
    if got_html != HTML:
        err(where, "HTML body %r\n    want %r" % (got_html[:300], HTML[:300]))
    # The inline image: its Content-ID is the cid the HTML references.
    cids = re.findall(r'src="cid:([^"]+)"', got_html)
    content_id = (img["content-id"] or "").strip()
    if cids != [CID] or content_id != "<%s>" % cids[0]:
        err(where, "image Content-ID %r, HTML references %r" % (content_id, cids))
    if sha(img.get_payload(decode=True)) != want_sha["image"]:
        err(where, "inline image: sha256 differs from %s" % image)
    if img.get_content_disposition() == "attachment":
        err(where, "inline image has Content-Disposition: attachment")
    # The attachments, in order: name, type, disposition, bytes.
    for part, (name, ctype) in zip(attachments, want_att):
        got_name = part.get_filename()
        payload = part.get_payload(decode=True)
        print("%s: %s %r, %d bytes, sha256 %s" % (rcpt, part.get_content_type(), got_name,
                                                 len(payload), sha(payload)))
        if got_name != name:
            err(where, "attachment file name %r, want %r" % (got_name, name))
        if part.get_content_disposition() != "attachment":
            err(where, "%s: Content-Disposition %r" % (name, part.get_content_disposition()))
        if sha(payload) != want_sha[name]:
            err(where, "%s: sha256 %s, input %s" % (name, sha(payload), want_sha[name]))

print("subject: %s" % SUBJECT)
for e in errors:
    print("ERROR: " + e)
sys.exit(1 if errors else 0)
PY
    then
        pass "$name: the To, Cc and Bcc copies match the input (subject, names, no Bcc header," \
            "structure, text/HTML bodies (LF-normalised), cid image, 3 attachments' names and" \
            "sha256, lines <= 998) and equal the .eml byte for byte"
    else
        fail "$name: the delivered copies differ from what was sent:"
        sed 's/^/    /' "$logs/$name.verify"
    fi
}
mime_case mime_full "$build/mime_full"
mime_case mime_full_cxx "$build/mime_full_cxx"

# ---------------------------------------------------------------------------
section "C++"

vg header_cxx "$build/header_cxx"
if [[ $rc -eq 0 ]] && grep -q '^header_cxx: OK' "$logs/header_cxx.out"; then
    pass "header_cxx: OK under valgrind"
else
    fail "header_cxx: exit $rc"
    show_logs header_cxx
fi
r4=$(rcpt cxx)
vg send_cxx "$build/smtpc_send_cxx" --tls=none --user="$user" --password="$password" \
    --from="$from" --subject="smtpc_send as C++ $tag" "$host" "$SMTPC_TEST_PLAIN_PORT" "$r4"
if expect_sent send_cxx; then
    check_delivered send_cxx "smtpc_send as C++ $tag" "$r4"
fi

# ---------------------------------------------------------------------------
section "static library"

r5=$(rcpt static)
vg send_static "$build/smtpc_send_static" --tls none --user "$user" --password "$password" \
    --from "$from" --subject "smtpc_send static $tag" "$host" "$SMTPC_TEST_PLAIN_PORT" "$r5"
if expect_sent send_static; then
    check_delivered send_static "smtpc_send static $tag" "$r5"
fi

# ---------------------------------------------------------------------------
section "failure: wrong password"

wrong="wrong-$tag-password"
vg wrong_password "$build/smtpc_send" --tls none --user "$user" --password "$wrong" \
    --from "$from" "$host" "$SMTPC_TEST_PLAIN_PORT" "$(rcpt wrong)"
if [[ $rc -eq 99 ]]; then
    fail "wrong_password: valgrind errors"
elif [[ $rc -ne 1 ]]; then
    fail "wrong_password: exit $rc, expected 1"
    show_logs wrong_password
elif ! grep -q '\[SMTPC_ERR_AUTH_FAILED\]' "$logs/wrong_password.err"; then
    fail "wrong_password: SMTPC_ERR_AUTH_FAILED not reported"
    show_logs wrong_password
elif grep -qF -- "$wrong" "$logs/wrong_password.out" "$logs/wrong_password.err"; then
    fail "wrong_password: the password appears in the output"
else
    pass "wrong_password: exit 1, $(grep -m1 'AUTH_FAILED' "$logs/wrong_password.err")"
fi

section "failure: one recipient refused (partial delivery)"

r6=$(rcpt partial)
vg partial "$build/smtpc_send" --tls none --user "$user" --password "$password" \
    --from "$from" --subject "smtpc_send partial $tag" "$host" "$SMTPC_TEST_PLAIN_PORT" \
    "$r6" "$SMTPC_TEST_REJECTED_RCPT"
if [[ $rc -eq 3 ]] && grep -q '\[SMTPC_ERR_PARTIAL\]' "$logs/partial.err" &&
    grep -q "^  $SMTPC_TEST_REJECTED_RCPT  *FAILED 550 " "$logs/partial.out"; then
    pass "partial: exit 3, the report shows the 550"
    check_delivered partial "smtpc_send partial $tag" "$r6"
else
    fail "partial: exit $rc, expected 3 with a report"
    show_logs partial
fi

section "failure: missing attachment"

vg missing_file "$build/smtpc_attach" --tls none --user "$user" --password "$password" \
    --from "$from" --to "$(rcpt missing)" --subject "missing" --body-file "$work/Readme.txt" \
    --attach "$work/no-such-file.bin" "$host" "$SMTPC_TEST_PLAIN_PORT"
if [[ $rc -eq 1 ]] && grep -q '\[SMTPC_ERR_FILE\]' "$logs/missing_file.err"; then
    pass "missing_file: exit 1, $(grep -m1 'SMTPC_ERR_FILE' "$logs/missing_file.err")"
else
    fail "missing_file: exit $rc, expected 1 with SMTPC_ERR_FILE"
    show_logs missing_file
fi

# ---------------------------------------------------------------------------
section "Python ctypes"

if python3 "$here/send_ctypes.py" >"$logs/send_ctypes.out" 2>&1 &&
    grep -q '^send_ctypes: 1 passed, 0 failed' "$logs/send_ctypes.out"; then
    pass "send_ctypes.py"
else
    fail "send_ctypes.py:"
    tail -n 30 "$logs/send_ctypes.out" | sed 's/^/    /'
fi

finish
