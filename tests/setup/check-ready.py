#!/usr/bin/env python3
"""Waits until the test mail server answers on every port the way the tests
expect, or fails with the reason.

    check-ready.py ENV_FILE AUTH_SOCKET TIMEOUT_SECONDS

A port that is not answering yet is retried until the deadline; a port that
answers but is configured wrongly (missing STARTTLS, wrong SIZE, AUTH refused)
fails at once, since waiting will not fix it. Exit status 0 when ready.
"""

import base64
import os
import smtplib
import socket
import ssl
import sys
import time


class Misconfigured(Exception):
    pass


# Socket timeout for one attempt; main() keeps it within the overall deadline.
attempt_timeout = 5.0


def read_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                env[key] = value
    return env


def expect(cond, what):
    if not cond:
        raise Misconfigured(what)


def tls_context(env):
    # Verifies the chain against the test CA and the IP address SAN.
    return ssl.create_default_context(cafile=env["SMTPC_TEST_CA_FILE"])


def check_socket(path):
    if not os.path.exists(path):
        raise ConnectionError("%s does not exist yet" % path)


def features(conn):
    code, _ = conn.ehlo("ready-check.localhost")
    expect(code == 250, "EHLO answered %d" % code)
    return conn.esmtp_features


def auth_plain(conn, env):
    # A real AUTH proves the whole Postfix -> Dovecot SASL path; 454 means
    # Dovecot is not answering yet, which is worth waiting for.
    blob = ("\0%s\0%s" % (env["SMTPC_TEST_USER"], env["SMTPC_TEST_PASSWORD"])).encode("utf-8")
    code, resp = conn.docmd("AUTH", "PLAIN " + base64.b64encode(blob).decode("ascii"))
    if code == 454:
        raise ConnectionError("AUTH answered 454 (Dovecot not ready?): %r" % resp)
    expect(code == 235, "AUTH PLAIN for the test user answered %d %r" % (code, resp))


def check_plain(env, port):
    with smtplib.SMTP(env["SMTPC_TEST_HOST"], port, timeout=attempt_timeout) as conn:
        feats = features(conn)
        expect("starttls" not in feats, "plain port %d offers STARTTLS" % port)
        mechs = feats.get("auth", "").upper().split()
        expect("PLAIN" in mechs and "LOGIN" in mechs, "plain port %d offers AUTH %r" % (port, mechs))
        expect("smtputf8" in feats, "port %d does not offer SMTPUTF8" % port)
        auth_plain(conn, env)
        return feats


def check_small(env, port):
    feats = check_plain(env, port)
    expect(feats.get("size") == "100000", "small port %d offers SIZE %r" % (port, feats.get("size")))


def check_nochunk(env, port):
    feats = check_plain(env, port)
    expect("chunking" not in feats, "nochunk port %d offers CHUNKING" % port)
    expect("pipelining" in feats, "nochunk port %d does not offer PIPELINING" % port)


def check_simple(env, port):
    with smtplib.SMTP(env["SMTPC_TEST_HOST"], port, timeout=attempt_timeout) as conn:
        feats = features(conn)
        expect("chunking" in feats, "port %d does not offer CHUNKING" % port)


def check_submission(env, port):
    with smtplib.SMTP(env["SMTPC_TEST_HOST"], port, timeout=attempt_timeout) as conn:
        feats = features(conn)
        expect("starttls" in feats, "submission port %d does not offer STARTTLS" % port)
        expect("auth" not in feats, "submission port %d offers AUTH before TLS" % port)
        conn.starttls(context=tls_context(env))
        feats = features(conn)
        expect("auth" in feats, "submission port %d offers no AUTH after STARTTLS" % port)


def check_smtps(env, port):
    with smtplib.SMTP_SSL(env["SMTPC_TEST_HOST"], port, timeout=attempt_timeout, context=tls_context(env)) as conn:
        feats = features(conn)
        expect("auth" in feats, "SMTPS port %d offers no AUTH" % port)


def main():
    global attempt_timeout
    env_file, auth_socket, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    env = read_env(env_file)
    pending = {
        "Dovecot auth socket": lambda: check_socket(auth_socket),
        "plain": lambda: check_plain(env, int(env["SMTPC_TEST_PLAIN_PORT"])),
        "submission": lambda: check_submission(env, int(env["SMTPC_TEST_SUBMISSION_PORT"])),
        "smtps": lambda: check_smtps(env, int(env["SMTPC_TEST_SMTPS_PORT"])),
        "small": lambda: check_small(env, int(env["SMTPC_TEST_SMALL_PORT"])),
        "nochunk": lambda: check_nochunk(env, int(env["SMTPC_TEST_NOCHUNK_PORT"])),
        "rcptlimit": lambda: check_simple(env, int(env["SMTPC_TEST_RCPTLIMIT_PORT"])),
        "sink": lambda: check_simple(env, int(env["SMTPC_TEST_SINK_PORT"])),
    }
    deadline = time.monotonic() + timeout
    last_error = {}
    while pending:
        for name, check in list(pending.items()):
            attempt_timeout = max(0.5, min(5.0, deadline - time.monotonic()))
            try:
                check()
                del pending[name]
            except Misconfigured as exc:
                print("check-ready: %s: misconfigured: %s" % (name, exc), file=sys.stderr)
                return 2
            except (OSError, smtplib.SMTPException, ssl.SSLError, socket.timeout) as exc:
                last_error[name] = exc
                if name == "Dovecot auth socket":
                    break  # without it Postfix would not offer AUTH yet
        if not pending:
            break
        if time.monotonic() > deadline:
            for name in pending:
                print("check-ready: %s: not ready after %.0f s: %s" % (name, timeout, last_error.get(name)), file=sys.stderr)
            return 1
        time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main())
