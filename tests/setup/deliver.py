#!/usr/bin/python3
"""Final delivery for the test Postfix: one message, one recipient per call.

Postfix's pipe(8) runs this as user nobody with
    argv = deliver.py MAILDIR QUEUE_ID SENDER RECIPIENT
and the message on stdin exactly as queued (LF line ends, Postfix's own
Received: header first; the master.cf entry sets no pipe flags, so nothing
else is prepended).

The message lands in MAILDIR/<recipient lower-cased>/<name>.eml, and the
envelope sender (empty for the null sender) in <name>.sender next to it. Both
are written under a temporary dot-name and renamed, the .eml last, so a reader
that only looks at *.eml never sees a partial message or a missing sender.
Names start with a zero-padded nanosecond time stamp, so sorting them gives
arrival order.
"""

import os
import shutil
import sys
import time

EX_TEMPFAIL = 75  # Postfix keeps the message queued and retries


def arg_text(arg: str) -> str:
    # Undo Python's argv decoding so that UTF-8 addresses survive whatever
    # locale pipe(8) gave us, then decode as UTF-8 (invalid bytes preserved).
    return os.fsencode(arg).decode("utf-8", "surrogateescape")


def recipient_dir_name(recipient: str) -> str:
    # Must match tests/common/mod.rs: Unicode lower-casing, '/' -> '_', and no
    # name that could climb out of MAILDIR.
    name = recipient.lower().replace("/", "_").replace("\0", "_")
    if name in ("", ".", ".."):
        name = "_" + name
    return name


def main() -> int:
    if len(sys.argv) != 5:
        print("usage: deliver.py MAILDIR QUEUE_ID SENDER RECIPIENT", file=sys.stderr)
        return EX_TEMPFAIL
    maildir, queue_id, sender, recipient = (arg_text(a) for a in sys.argv[1:])
    target = os.path.join(maildir, recipient_dir_name(recipient))
    os.makedirs(os.fsencode(target), mode=0o755, exist_ok=True)

    # Queue ids are [0-9A-Za-z]; keep the name plain ASCII whatever comes in.
    queue_id = "".join(c for c in queue_id if c.isascii() and c.isalnum())
    base = "%020d-%d-%s" % (time.time_ns(), os.getpid(), queue_id)
    target_b = os.fsencode(target)
    eml_tmp = os.path.join(target_b, b".tmp-" + base.encode() + b".eml")
    sender_tmp = os.path.join(target_b, b".tmp-" + base.encode() + b".sender")

    with open(eml_tmp, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    with open(sender_tmp, "wb") as out:
        out.write(sender.encode("utf-8", "surrogateescape"))

    os.rename(sender_tmp, os.path.join(target_b, base.encode() + b".sender"))
    os.rename(eml_tmp, os.path.join(target_b, base.encode() + b".eml"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # any failure: let Postfix retry, and say why in its log
        print("deliver.py: %s" % exc, file=sys.stderr)
        sys.exit(EX_TEMPFAIL)
