#!/usr/bin/env python3
"""Send a mail with an attachment from Python through libsmtpc.so and ctypes.

Shows how a language with a C FFI uses smtpc: declare each prototype
(argtypes/restype; statuses are uint32), keep handles as typed pointers, keep
the callback object alive while the library may call it, free every handle.

    SMTPC_TEST_ENV=/path/to/env python3 c-examples/send_ctypes.py

SMTPC_TEST_ENV is the env file written by `tests/setup/mailserver.sh start DIR`.
The mail goes to the server's plain port with AUTH, then the script checks the
report and reads the delivered copy back from the test maildir. SMTPC_LIB may
point at another build of the library. Exit status 0 on success; the last line
is "send_ctypes: 1 passed, 0 failed" (or "0 passed, 1 failed").
"""

import ctypes
import email
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_bool, c_char, c_char_p,
                    c_size_t, c_uint16, c_uint32, c_void_p)
from email import policy

HERE = os.path.dirname(os.path.abspath(__file__))
LIB_PATH = os.environ.get(
    "SMTPC_LIB", os.path.join(HERE, os.pardir, "target", "release", "libsmtpc.so"))

SMTPC_OK = 0
SMTPC_TLS_NONE = 0
LOG_PREFIX = {0: "* ", 1: "C: ", 2: "S: "}  # INFO, SENT, RECEIVED


# Opaque handle types: only ever used through pointers.
class Client(Structure):
    pass


class Message(Structure):
    pass


class Report(Structure):
    pass


STATUS = c_uint32
LOG_CALLBACK = CFUNCTYPE(None, c_void_p, c_uint32, POINTER(c_char), c_size_t)


def load_library(path):
    lib = ctypes.CDLL(path)

    def proto(name, restype, *argtypes):
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = list(argtypes)

    proto("smtpc_version", c_char_p)
    proto("smtpc_version_number", c_uint32)
    proto("smtpc_status_str", c_char_p, STATUS)

    proto("smtpc_client_new", STATUS, c_char_p, c_uint16, POINTER(POINTER(Client)))
    proto("smtpc_client_free", None, POINTER(Client))
    proto("smtpc_client_set_tls", STATUS, POINTER(Client), c_uint32)
    proto("smtpc_client_set_credentials", STATUS, POINTER(Client), c_char_p, c_char_p)
    proto("smtpc_client_set_timeout_ms", STATUS, POINTER(Client), c_uint32, c_uint32)
    proto("smtpc_client_set_log_callback", STATUS, POINTER(Client), LOG_CALLBACK, c_void_p)
    proto("smtpc_client_send", STATUS, POINTER(Client), POINTER(Message),
          POINTER(POINTER(Report)))
    proto("smtpc_client_quit", STATUS, POINTER(Client))
    proto("smtpc_client_has_extension", c_bool, POINTER(Client), c_char_p)
    proto("smtpc_client_last_error", c_char_p, POINTER(Client))

    proto("smtpc_message_new", STATUS, POINTER(POINTER(Message)))
    proto("smtpc_message_free", None, POINTER(Message))
    proto("smtpc_message_set_from", STATUS, POINTER(Message), c_char_p, c_char_p)
    proto("smtpc_message_add_to", STATUS, POINTER(Message), c_char_p, c_char_p)
    proto("smtpc_message_set_subject", STATUS, POINTER(Message), c_char_p)
    proto("smtpc_message_set_text", STATUS, POINTER(Message), c_char_p)
    proto("smtpc_message_attach_file", STATUS, POINTER(Message), c_char_p, c_char_p, c_char_p)

    proto("smtpc_report_recipient_count", c_size_t, POINTER(Report))
    proto("smtpc_report_recipient", STATUS, POINTER(Report), c_size_t, POINTER(c_char_p),
          POINTER(c_uint32), POINTER(c_char_p))
    proto("smtpc_report_final_code", c_uint32, POINTER(Report))
    proto("smtpc_report_final_reply", c_char_p, POINTER(Report))
    proto("smtpc_report_free", None, POINTER(Report))
    return lib


class SmtpcError(Exception):
    pass


def read_test_env():
    """The SMTPC_TEST_* variables of the env file, as the shell would read them."""
    path = os.environ.get("SMTPC_TEST_ENV")
    if not path:
        raise SmtpcError("SMTPC_TEST_ENV is not set (see tests/setup/mailserver.sh)")
    out = subprocess.run(["bash", "-c", 'set -a; . "$1"; env -0', "env", path],
                         check=True, stdout=subprocess.PIPE).stdout
    env = {}
    for item in out.split(b"\0"):
        key, _, value = item.decode("utf-8", "surrogateescape").partition("=")
        if key.startswith("SMTPC_TEST_"):
            env[key] = value
    return env


def wait_for_mail(maildir, address, timeout=30.0):
    directory = os.path.join(maildir, address.lower())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.isdir(directory):
            names = sorted(n for n in os.listdir(directory) if n.endswith(".eml"))
            if names:
                return os.path.join(directory, names[-1])
        time.sleep(0.1)
    raise SmtpcError("nothing delivered to %s within %.0f s" % (address, timeout))


def run(lib, env, workdir):
    def check(status, what, client=None):
        if status != SMTPC_OK:
            detail = lib.smtpc_client_last_error(client).decode() if client else ""
            raise SmtpcError("%s: %s (%d) %s" % (what, lib.smtpc_status_str(status).decode(),
                                                 status, detail))

    print("libsmtpc %s (%d)" % (lib.smtpc_version().decode(), lib.smtpc_version_number()))
    password = env["SMTPC_TEST_PASSWORD"]
    stamp = "%d-%d" % (os.getpid(), time.time())
    sender = "ctypes-%s@example.test" % stamp
    recipient = "ctypes-%s-rcpt@example.test" % stamp
    subject = "send_ctypes %s" % stamp

    attachment = os.path.join(workdir, "ctypes-attachment.bin")
    payload = os.urandom(30000)
    with open(attachment, "wb") as f:
        f.write(payload)

    # The callback object must outlive every call that may invoke it: it is a
    # local of this function, which frees the client before returning.
    leaked = []

    def on_log(_user_data, kind, line, length):
        text = ctypes.string_at(line, length).decode("utf-8", "replace").rstrip("\r\n")
        if password in text:
            leaked.append(kind)
            text = "<line with the password, not printed>"
        print(LOG_PREFIX.get(kind, "? ") + text)

    log_callback = LOG_CALLBACK(on_log)

    client = POINTER(Client)()
    message = POINTER(Message)()
    report = POINTER(Report)()
    try:
        check(lib.smtpc_message_new(byref(message)), "smtpc_message_new")
        check(lib.smtpc_message_set_from(message, b"ctypes example", sender.encode()), "set_from")
        check(lib.smtpc_message_add_to(message, None, recipient.encode()), "add_to")
        check(lib.smtpc_message_set_subject(message, subject.encode()), "set_subject")
        check(lib.smtpc_message_set_text(message, "Sent from Python via ctypes. ✓\n".encode()),
              "set_text")
        check(lib.smtpc_message_attach_file(message, attachment.encode(), None, None),
              "attach_file")

        check(lib.smtpc_client_new(env["SMTPC_TEST_HOST"].encode(),
                                   int(env["SMTPC_TEST_PLAIN_PORT"]), byref(client)),
              "smtpc_client_new")
        check(lib.smtpc_client_set_tls(client, SMTPC_TLS_NONE), "set_tls", client)
        check(lib.smtpc_client_set_credentials(client, env["SMTPC_TEST_USER"].encode(),
                                               password.encode()), "set_credentials", client)
        check(lib.smtpc_client_set_timeout_ms(client, 10000, 30000), "set_timeout_ms", client)
        check(lib.smtpc_client_set_log_callback(client, log_callback, None),
              "set_log_callback", client)

        status = lib.smtpc_client_send(client, message, byref(report))
        check(status, "smtpc_client_send", client)
        if not lib.smtpc_client_has_extension(client, b"PIPELINING"):
            raise SmtpcError("has_extension(PIPELINING) is false after a send")

        count = lib.smtpc_report_recipient_count(report)
        if count != 1:
            raise SmtpcError("report has %d recipients, expected 1" % count)
        address, code, text = c_char_p(), c_uint32(), c_char_p()
        check(lib.smtpc_report_recipient(report, 0, byref(address), byref(code), byref(text)),
              "smtpc_report_recipient")
        print("report: %s -> %d %s" % (address.value.decode(), code.value, text.value.decode()))
        final = lib.smtpc_report_final_code(report)
        print("report: data -> %d %s" % (final, lib.smtpc_report_final_reply(report).decode()))
        if address.value.decode() != recipient or not 200 <= code.value < 300 or final != 250:
            raise SmtpcError("unexpected report")
        check(lib.smtpc_client_quit(client), "smtpc_client_quit", client)
    finally:
        lib.smtpc_report_free(report)    # all accept NULL
        lib.smtpc_message_free(message)
        lib.smtpc_client_free(client)
    del log_callback  # only now may the callback go

    if leaked:
        raise SmtpcError("the password appeared in %d log line(s)" % len(leaked))

    path = wait_for_mail(env["SMTPC_TEST_MAILDIR"], recipient)
    with open(path, "rb") as f:
        received = email.message_from_binary_file(f, policy=policy.default)
    if received["subject"] != subject:
        raise SmtpcError("delivered subject %r != %r" % (received["subject"], subject))
    parts = {p.get_filename(): p.get_payload(decode=True) for p in received.iter_attachments()}
    got = parts.get("ctypes-attachment.bin")
    if got is None:
        raise SmtpcError("attachment missing in %s (have %s)" % (path, sorted(parts)))
    if got != payload:
        raise SmtpcError("attachment bytes differ: sha256 %s, sent %s" % (
            hashlib.sha256(got).hexdigest(), hashlib.sha256(payload).hexdigest()))
    print("delivered: %s, attachment %d bytes, sha256 %s" % (
        path, len(got), hashlib.sha256(got).hexdigest()))


def main():
    try:
        lib = load_library(LIB_PATH)
        env = read_test_env()
        with tempfile.TemporaryDirectory(prefix="smtpc-ctypes-") as workdir:
            run(lib, env, workdir)
    except (SmtpcError, OSError, KeyError, subprocess.CalledProcessError) as exc:
        print("FAIL: %s: %s" % (type(exc).__name__, exc))
        print("send_ctypes: 0 passed, 1 failed")
        return 1
    print("send_ctypes: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
