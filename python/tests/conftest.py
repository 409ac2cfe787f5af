"""Fixtures for the tests that talk to the repository's test mail server.

The server (Postfix + Dovecot, started by ``tests/setup/mailserver.sh start
DIR``) is described by the env file named in ``SMTPC_TEST_ENV``; tests that need
it skip when that variable is unset. Every accepted message is delivered, one
file per recipient, to ``<maildir>/<recipient lower-cased>/<name>.eml`` (names
starting with "." are partial writes); see ``tests/common/mod.rs``.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List

import pytest

TEST_DOMAIN = "example.test"


@dataclass(frozen=True)
class MailEnv:
    """What the test mail server offers (the SMTPC_TEST_* keys of the env file)."""

    host: str
    plain_port: int
    submission_port: int
    smtps_port: int
    small_port: int
    nochunk_port: int
    etrn_domain: str
    ca_file: str
    maildir: Path
    user: str
    password: str
    rejected_rcpt: str
    rejected_sender: str

    def mailbox(self, recipient: str) -> Path:
        """The directory mail for ``recipient`` lands in (deliver.py's rule)."""
        name = recipient.lower().replace("/", "_").replace("\0", "_")
        if name in ("", ".", ".."):
            name = "_" + name
        return self.maildir / name

    def deliveries(self, recipient: str) -> List[Path]:
        """The .eml files delivered to ``recipient`` so far, in arrival order."""
        try:
            names = sorted(n for n in os.listdir(self.mailbox(recipient))
                           if n.endswith(".eml") and not n.startswith("."))
        except FileNotFoundError:
            return []
        return [self.mailbox(recipient) / n for n in names]

    def wait_for_mail(self, recipient: str, n: int = 1, timeout: float = 30.0) -> List[bytes]:
        """Wait until at least ``n`` messages arrived for ``recipient``; their bytes."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.deliveries(recipient)
            if len(found) >= n:
                return [p.read_bytes() for p in found]
            if time.monotonic() > deadline:
                raise AssertionError("waited %.0f s for %d message(s) to %s, got %d in %s"
                                     % (timeout, n, recipient, len(found),
                                        self.mailbox(recipient)))
            time.sleep(0.02)

    def sender_of(self, recipient: str, index: int = 0) -> str:
        """The envelope sender of delivery ``index`` to ``recipient`` ("" for <>)."""
        path = self.deliveries(recipient)[index].with_suffix(".sender")
        return path.read_bytes().decode("utf-8", "surrogateescape")

    def assert_no_mail(self, *recipients: str, wait: float = 0.0) -> None:
        """Fail if anything arrived for any of ``recipients`` (polling ``wait`` s)."""
        deadline = time.monotonic() + wait
        while True:
            for r in recipients:
                found = self.deliveries(r)
                assert not found, "expected no mail for %s, got %s" % (r, found)
            if time.monotonic() >= deadline:
                return
            time.sleep(0.05)

    @staticmethod
    def as_sent(stored: bytes) -> bytes:
        """The bytes the client sent in DATA, from a stored copy: drop Postfix's
        first Received: header (and its continuation lines), LF back to CRLF."""
        assert stored.startswith(b"Received: "), stored[:200]
        lines = stored.split(b"\n")
        i = 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
        return b"\n".join(lines[i:]).replace(b"\n", b"\r\n")


def _parse_env(path: str) -> Dict[str, str]:
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


@pytest.fixture(scope="session")
def mail() -> MailEnv:
    """The test mail server; skips the test when SMTPC_TEST_ENV is unset."""
    path = os.environ.get("SMTPC_TEST_ENV")
    if not path:
        pytest.skip("SMTPC_TEST_ENV is not set: start the test mail server with "
                    "`bash tests/setup/mailserver.sh start DIR` and export SMTPC_TEST_ENV=DIR/env")
    v = _parse_env(path)
    return MailEnv(
        host=v["SMTPC_TEST_HOST"],
        plain_port=int(v["SMTPC_TEST_PLAIN_PORT"]),
        submission_port=int(v["SMTPC_TEST_SUBMISSION_PORT"]),
        smtps_port=int(v["SMTPC_TEST_SMTPS_PORT"]),
        small_port=int(v["SMTPC_TEST_SMALL_PORT"]),
        nochunk_port=int(v["SMTPC_TEST_NOCHUNK_PORT"]),
        etrn_domain=v["SMTPC_TEST_ETRN_DOMAIN"],
        ca_file=v["SMTPC_TEST_CA_FILE"],
        maildir=Path(v["SMTPC_TEST_MAILDIR"]),
        user=v["SMTPC_TEST_USER"],
        password=v["SMTPC_TEST_PASSWORD"],
        rejected_rcpt=v["SMTPC_TEST_REJECTED_RCPT"],
        rejected_sender=v["SMTPC_TEST_REJECTED_SENDER"],
    )


@pytest.fixture
def unique() -> Callable[[str], str]:
    """``unique(tag)``: an address at example.test no other test or run uses."""
    def make(tag: str) -> str:
        return "py-%s-%s@%s" % (tag, uuid.uuid4().hex[:16], TEST_DOMAIN)
    return make

