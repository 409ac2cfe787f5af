"""The numeric constants of ``include/smtpc.h`` as Python enums.

The values are part of the C library's stable ABI: they never change, and new
status codes are only ever appended.
"""

from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """The result of every fallible smtpc call (``smtpc_status``, ``SMTPC_*``).

    A status the package does not know yet (a newer library) still converts:
    ``Status(123)`` gives a pseudo-member named ``UNKNOWN_123``, so a report or an
    exception never fails to be built because the library grew a new code.
    """

    OK = 0
    """Success (``SMTPC_OK``)."""
    ERR_NULL_ARGUMENT = 1
    """A required pointer was NULL."""
    ERR_INVALID_ARGUMENT = 2
    """Bad UTF-8, CR/LF/NUL injection, malformed address or out-of-range value."""
    ERR_STATE = 3
    """Not allowed now (options while connected, busy or unusable handle)."""
    ERR_DNS = 10
    """The host name did not resolve."""
    ERR_CONNECT = 11
    """No address accepted the TCP connection."""
    ERR_TIMEOUT = 12
    """A connect, read or write exceeded its timeout."""
    ERR_CONNECTION_LOST = 13
    """The peer closed or reset the connection (also during the TLS handshake)."""
    ERR_IO = 14
    """Another socket or file I/O error."""
    ERR_TLS = 20
    """The TLS handshake or certificate verification failed."""
    ERR_TLS_UNAVAILABLE = 21
    """TLS was required but the server offered no usable STARTTLS."""
    ERR_PROTOCOL = 30
    """A malformed, oversized or unexpected server reply."""
    ERR_GREETING_REJECTED = 31
    """The server's greeting was not 220."""
    ERR_AUTH_FAILED = 40
    """The server rejected the credentials."""
    ERR_AUTH_UNAVAILABLE = 41
    """No AUTH mechanism in common, or credentials would travel without TLS."""
    ERR_SENDER_REJECTED = 50
    """MAIL FROM was refused."""
    ERR_RECIPIENTS_REJECTED = 51
    """Every recipient was refused; nothing was sent."""
    ERR_PARTIAL = 52
    """Accepted for some recipients only; the report says which."""
    ERR_MESSAGE_REJECTED = 53
    """The server refused the message data."""
    ERR_MESSAGE_TOO_BIG = 54
    """Larger than the server's SIZE, or refused as too big."""
    ERR_UNKNOWN_OUTCOME = 55
    """The connection failed after the whole message was sent: it may have been delivered."""
    ERR_UNSUPPORTED = 56
    """The server lacks an extension this operation needs."""
    ERR_NOT_SENT = 57
    """A batch stopped before this message was sent: nothing of it was delivered."""
    ERR_COMMAND_REJECTED = 58
    """The server refused a command (e.g. ETRN for a node it does not serve)."""
    ERR_FILE = 60
    """An attachment or output file could not be read or written."""
    ERR_CANCELLED = 70
    """Cancelled by ``Client.cancel()`` or a callback."""
    ERR_PANIC = 99
    """An internal bug was caught at the boundary; the handle is now unusable."""

    @classmethod
    def _missing_(cls, value: object) -> "Status | None":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFFFF:
            member = int.__new__(cls, value)
            member._name_ = "UNKNOWN_%d" % value
            member._value_ = value
            return member
        return None

    @property
    def c_name(self) -> str:
        """The name of the constant in ``smtpc.h``, e.g. ``"SMTPC_ERR_PARTIAL"``."""
        return "SMTPC_" + self.name


class TlsMode(enum.IntEnum):
    """How the connection is protected (``smtpc_tls_mode``, ``SMTPC_TLS_*``)."""

    NONE = 0
    """Plaintext; the only mode in which credentials may travel without TLS."""
    STARTTLS_OPPORTUNISTIC = 1
    """STARTTLS when the server offers it; credentials are never sent without TLS."""
    STARTTLS = 2
    """STARTTLS required (the library's default on every port but 465)."""
    IMPLICIT = 3
    """TLS from the first byte (SMTPS; the library's default on port 465)."""


class LogKind(enum.IntEnum):
    """What a log line is (``smtpc_log_kind``, ``SMTPC_LOG_*``)."""

    INFO = 0
    """Connecting, TLS established, reconnecting, message size, ..."""
    SENT = 1
    """One command line sent to the server (AUTH secrets replaced by ``***``)."""
    RECEIVED = 2
    """One reply line received from the server."""


class DsnRet(enum.IntEnum):
    """What a failure report returns of the message (``SMTPC_DSN_RET_*``)."""

    DEFAULT = 0
    """The server decides (no RET parameter)."""
    FULL = 1
    """The whole message (``RET=FULL``)."""
    HDRS = 2
    """Only its headers (``RET=HDRS``)."""


class DsnNotify(enum.IntFlag):
    """When a recipient's server should send a DSN (``SMTPC_DSN_NOTIFY_*``).

    ``DEFAULT`` (0) lets the server decide; ``NEVER`` cannot be combined with
    the others.
    """

    DEFAULT = 0
    """No NOTIFY parameter: the server decides."""
    SUCCESS = 1
    """Report the delivery."""
    FAILURE = 2
    """Report a failure."""
    DELAY = 4
    """Report a long delay."""
    NEVER = 8
    """Never report."""


__all__ = ["Status", "TlsMode", "LogKind", "DsnRet", "DsnNotify"]
