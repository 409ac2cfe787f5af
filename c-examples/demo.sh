#!/usr/bin/env bash
# The smtpc demo: the old "send a Readme with attachments" program, rewritten in
# C on smtpc, sending through a real Postfix running on loopback.
#
# Usage (as root on a fresh Debian 12 with Rust installed, from anywhere):
#     bash c-examples/demo.sh
#
# Steps: install the Debian packages, build the library and smtpc_attach, start
# the test mail server in a temporary directory, send a mail with a Chinese
# subject, a Readme.txt body and two attachments while showing the SMTP
# transcript, print the message as Postfix stored it and a decoded summary,
# stop the server. Nothing leaves the machine: the server delivers every
# address into a local directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

step=0
bold="" plain=""
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; fi
section() {
    step=$((step + 1))
    printf '\n%s==== %d. %s ====%s\n' "$bold" "$step" "$*" "$plain"
}

section "Install dependencies (Postfix, Dovecot, gcc, valgrind, OpenSSL, Python)"
bash tests/setup/install-deps.sh
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install Rust first (https://rustup.rs), then run this again." >&2
    exit 1
fi

section "Build libsmtpc (cargo build --release)"
cargo build --release

section "Build c-examples/smtpc_attach against include/smtpc.h and libsmtpc.so"
mkdir -p c-examples/build
gcc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -Iinclude -Ic-examples \
    -o c-examples/build/smtpc_attach c-examples/smtpc_attach.c c-examples/cli_common.c \
    -Ltarget/release -lsmtpc -Wl,-rpath,"$root/target/release"
echo "built c-examples/build/smtpc_attach"

section "Start the test mail server (Postfix + Dovecot on 127.0.0.1)"
demo_dir=$(mktemp -d /tmp/smtpc-demo.XXXXXX)
chmod 0755 "$demo_dir" # Postfix's delivery agent runs as nobody and must reach the maildir
cleanup() {
    echo
    echo "stopping the test mail server"
    bash "$root/tests/setup/mailserver.sh" stop "$demo_dir/server" >/dev/null 2>&1 || true
    rm -rf "$demo_dir"
}
trap cleanup EXIT
bash tests/setup/mailserver.sh start "$demo_dir/server"
set -a
# shellcheck disable=SC1091
. "$demo_dir/server/env"
set +a
echo "plain port $SMTPC_TEST_PLAIN_PORT, submission (STARTTLS) port $SMTPC_TEST_SUBMISSION_PORT"

section "Write Readme.txt and the attachments"
files="$demo_dir/files"
mkdir -p "$files"
cat >"$files/Readme.txt" <<'EOF'
Hello,

this mail was sent by smtpc_attach, a C program on the smtpc library.
Its body is this Readme.txt; two files are attached.

你好！这封邮件的正文来自 Readme.txt，并附带两个文件。
EOF
# A 16x16 PNG (a red square with a blue diagonal), made on the spot.
python3 - "$files/square.png" <<'PY'
import struct, sys, zlib
w = h = 16
rows = b"".join(
    b"\0" + b"".join(b"\x20\x40\xe0" if x == y else b"\xe0\x30\x30" for x in range(w))
    for y in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY
head -c 2048 /dev/urandom >"$files/data.bin"
ls -l "$files"

section "Send it with smtpc_attach (the SMTP transcript: C: client, S: server)"
recipient="demo-$$@example.test"
subject="smtpc 演示：带附件的中文主题邮件"
# STARTTLS on the submission port, verified against the test CA; the password
# goes through the environment, not the command line.
SMTPC_PASSWORD="$SMTPC_TEST_PASSWORD" c-examples/build/smtpc_attach \
    --tls starttls --ca-file "$SMTPC_TEST_CA_FILE" --user "$SMTPC_TEST_USER" \
    --from "demo-sender@example.test" --to "$recipient" --subject "$subject" \
    --body-file "$files/Readme.txt" --attach "$files/square.png" --attach "$files/data.bin" \
    "$SMTPC_TEST_HOST" "$SMTPC_TEST_SUBMISSION_PORT"

section "The message as Postfix delivered it"
eml=""
for _ in $(seq 1 100); do
    eml=$(find "$SMTPC_TEST_MAILDIR/$recipient" -name '*.eml' 2>/dev/null | head -n 1 || true)
    [[ -n "$eml" ]] && break
    sleep 0.1
done
if [[ -z "$eml" ]]; then
    echo "no message arrived for $recipient" >&2
    exit 1
fi
echo "($eml)"
echo
cat "$eml"

section "Decoded with Python's email package"
python3 - "$eml" <<'PY'
import sys
from email import policy
from email.parser import BytesParser

with open(sys.argv[1], "rb") as f:
    msg = BytesParser(policy=policy.default).parse(f)
print("From:    ", msg["from"])
print("To:      ", msg["to"])
print("Subject: ", msg["subject"])
print("Parts:")
for part in msg.walk():
    name = part.get_filename()
    line = "  %-28s" % part.get_content_type()
    if name:
        line += " attachment %-12s %6d bytes" % (name, len(part.get_payload(decode=True)))
    elif part.get_content_maintype() == "text":
        line += " %d characters" % len(part.get_content())
    print(line.rstrip())
body = msg.get_body(preferencelist=("plain",))
print("Body:")
for text_line in body.get_content().splitlines():
    print("  | " + text_line)
PY
