"""Compares a message the test mail server received with what was sent.

    verify_mail.py EML [--subject S] [--date-offset +HHMM] [--attach FILE]...

Checks the decoded subject, the UTC offset of the Date header and, for each
FILE, that an attachment of that (decoded) name has its exact bytes. Prints one
line per check and a summary last; exits 1 on any difference.
"""

import argparse
import email
import hashlib
import os
import sys
from email import policy


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("eml")
    parser.add_argument("--subject")
    parser.add_argument("--date-offset")
    parser.add_argument("--attach", action="append", default=[])
    args = parser.parse_args()

    with open(args.eml, "rb") as f:
        msg = email.message_from_binary_file(f, policy=policy.default)
    errors = []
    if args.subject is not None and msg["subject"] != args.subject:
        errors.append("subject %r, sent %r" % (msg["subject"], args.subject))
    if args.date_offset is not None:
        date = str(msg["date"])
        if not date.endswith(" " + args.date_offset):
            errors.append("Date %r is not at offset %s" % (date, args.date_offset))
    got = {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()}
    for path in args.attach:
        name = os.path.basename(path)
        with open(path, "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        if name not in got:
            errors.append("no attachment %r (have %s)" % (name, sorted(got)))
            continue
        have = hashlib.sha256(got[name]).hexdigest()
        print("attachment %s: %d bytes, sha256 %s" % (name, len(got[name]), have))
        if have != want:
            errors.append("attachment %r: sha256 %s, sent %s" % (name, have, want))
    if len(got) != len(args.attach):
        errors.append("%d attachments, sent %d" % (len(got), len(args.attach)))
    for e in errors:
        print("ERROR: " + e)
    if errors:
        return 1
    print("subject %r, Date %r, %d attachment(s) match" % (msg["subject"], str(msg["date"]), len(got)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
