"""The exceptions smtpc raises, and which status raises which.

Every ``Status`` other than ``OK`` maps to exactly one class (``STATUS_CLASSES``);
a status this package does not know (from a newer library) raises the base class
``SmtpcError``. The groups follow what a caller does about the failure:

====================  ===================================================  =========================
class                 statuses                                             what to do
====================  ===================================================  =========================
ArgumentError         ERR_NULL_ARGUMENT, ERR_INVALID_ARGUMENT              fix the input (a ValueError)
StateError            ERR_STATE                                            fix the call order
NetworkError          ERR_DNS, ERR_CONNECT, ERR_TIMEOUT,                   retry later (nothing was
                      ERR_CONNECTION_LOST, ERR_IO                          delivered)
TlsError              ERR_TLS, ERR_TLS_UNAVAILABLE                         fix TLS mode / CA / name
ProtocolError         ERR_PROTOCOL, ERR_GREETING_REJECTED                  the server misbehaves
AuthError             ERR_AUTH_FAILED, ERR_AUTH_UNAVAILABLE                fix credentials / TLS
RejectedError         ERR_SENDER_REJECTED, ERR_RECIPIENTS_REJECTED,        the server said no; see
                      ERR_MESSAGE_REJECTED, ERR_MESSAGE_TOO_BIG,           reply_code (4xx: later)
                      ERR_COMMAND_REJECTED
PartialDelivery       ERR_PARTIAL                                          delivered to some: see
                                                                           .report; resend to the
                                                                           refused ones only
UnknownOutcome        ERR_UNKNOWN_OUTCOME                                  may be delivered: do not
                                                                           resend blindly
UnsupportedError      ERR_UNSUPPORTED                                      server lacks an extension
NotSentError          ERR_NOT_SENT                                         batch stopped first: send
                                                                           it again
FileError             ERR_FILE                                             fix the file / path
CancelledError        ERR_CANCELLED                                        you asked for it
InternalError         ERR_PANIC                                            a library bug; the handle
                                                                           is unusable
====================  ===================================================  =========================

``PartialDelivery`` and ``UnknownOutcome`` are deliberately *not* subclasses of
``RejectedError`` / ``NetworkError``: code that retries on those would deliver
the message twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional, Type

from .enums import Status

if TYPE_CHECKING:  # pragma: no cover
    from .report import Report


class SmtpcError(Exception):
    """Base class of every error the library reports.

    Attributes:
        status: the ``Status`` the C call returned.
        message: the library's description with context
            (``smtpc_client_last_error`` / ``smtpc_message_last_error``; never a
            password or token), or the status text when it gave none.
        reply_code: the SMTP reply that caused the failure (e.g. 535), 0 if none.
        reply_text: that reply as on the wire ("535 5.7.8 Error: ..."), "" if none.
        report: the ``Report`` the send produced, when it produced one (after the
            recipients were given to the server), else ``None``.
        reply_enhanced: the RFC 3463 code of that reply ("5.7.8"), "" if none.
    """

    def __init__(self, status: int, message: str = "", reply_code: int = 0,
                 reply_text: str = "", report: Optional["Report"] = None,
                 reply_enhanced: str = "") -> None:
        super().__init__(status, message, reply_code, reply_text, report, reply_enhanced)
        self.status: Status = Status(status)
        self.message: str = message
        self.reply_code: int = reply_code
        self.reply_text: str = reply_text
        self.report: Optional["Report"] = report
        self.reply_enhanced: str = reply_enhanced

    def __str__(self) -> str:
        return "%s (%s)" % (self.message or self.status.name, self.status.c_name)


class ArgumentError(SmtpcError, ValueError):
    """Bad input: NULL, invalid UTF-8, CR/LF/NUL injection, malformed address,
    out-of-range value (``ERR_NULL_ARGUMENT``, ``ERR_INVALID_ARGUMENT``).

    Also a ``ValueError``. NUL characters are refused by this package before
    the C library is called (a C string cannot carry them), with
    ``ERR_INVALID_ARGUMENT`` like the library's own check."""


class StateError(SmtpcError):
    """Not allowed now: options while connected, a command while not connected,
    a busy, closed or unusable handle (``ERR_STATE``)."""


class NetworkError(SmtpcError):
    """The network failed before the message was handed over: DNS, connect,
    timeout, connection lost, I/O (``ERR_DNS``, ``ERR_CONNECT``,
    ``ERR_TIMEOUT``, ``ERR_CONNECTION_LOST``, ``ERR_IO``)."""


class TlsError(SmtpcError):
    """The TLS handshake or certificate check failed, or required STARTTLS was
    not offered (``ERR_TLS``, ``ERR_TLS_UNAVAILABLE``)."""


class ProtocolError(SmtpcError):
    """The server broke the protocol or refused the session at the greeting
    (``ERR_PROTOCOL``, ``ERR_GREETING_REJECTED``)."""


class AuthError(SmtpcError):
    """The credentials were refused, or no mechanism / no TLS to use them
    (``ERR_AUTH_FAILED``, ``ERR_AUTH_UNAVAILABLE``)."""


class RejectedError(SmtpcError):
    """The server refused the sender, every recipient, the message data or its
    size, or a command such as ETRN (``ERR_SENDER_REJECTED``,
    ``ERR_RECIPIENTS_REJECTED``, ``ERR_MESSAGE_REJECTED``,
    ``ERR_MESSAGE_TOO_BIG``, ``ERR_COMMAND_REJECTED``). Nothing was delivered;
    ``reply_code`` tells a temporary (4xx) from a permanent (5xx) refusal."""


class PartialDelivery(SmtpcError):
    """Delivered to some recipients only (``ERR_PARTIAL``); ``report`` says which
    (``report.delivered``, and each ``RecipientResult``)."""


class UnknownOutcome(SmtpcError):
    """The connection failed after the whole message was sent and before the
    server's answer (``ERR_UNKNOWN_OUTCOME``): it may have been delivered, so do
    not resend it blindly. ``report`` is attached when the send produced one."""


class UnsupportedError(SmtpcError):
    """The server lacks an extension the operation needs, e.g. SMTPUTF8, a
    required DSN, ETRN or VRFY (``ERR_UNSUPPORTED``)."""


class NotSentError(SmtpcError):
    """A batch stopped before this message was sent; nothing of it was delivered
    (``ERR_NOT_SENT``; only seen through ``Report.raise_for_status``)."""


class FileError(SmtpcError):
    """An attachment or output file could not be read or written (``ERR_FILE``)."""


class CancelledError(SmtpcError):
    """Cancelled by ``Client.cancel()``, by a progress callback, or because a
    callback raised (then ``__cause__`` is that exception) (``ERR_CANCELLED``).
    Nothing was delivered: a cancel after the whole message was sent gives
    ``UnknownOutcome`` instead."""


class InternalError(SmtpcError):
    """A bug inside the library was caught at the boundary (``ERR_PANIC``); the
    handle refuses further work except closing it."""


#: The exception class of every non-OK status.
STATUS_CLASSES: Dict[Status, Type[SmtpcError]] = {
    Status.ERR_NULL_ARGUMENT: ArgumentError,
    Status.ERR_INVALID_ARGUMENT: ArgumentError,
    Status.ERR_STATE: StateError,
    Status.ERR_DNS: NetworkError,
    Status.ERR_CONNECT: NetworkError,
    Status.ERR_TIMEOUT: NetworkError,
    Status.ERR_CONNECTION_LOST: NetworkError,
    Status.ERR_IO: NetworkError,
    Status.ERR_TLS: TlsError,
    Status.ERR_TLS_UNAVAILABLE: TlsError,
    Status.ERR_PROTOCOL: ProtocolError,
    Status.ERR_GREETING_REJECTED: ProtocolError,
    Status.ERR_AUTH_FAILED: AuthError,
    Status.ERR_AUTH_UNAVAILABLE: AuthError,
    Status.ERR_SENDER_REJECTED: RejectedError,
    Status.ERR_RECIPIENTS_REJECTED: RejectedError,
    Status.ERR_PARTIAL: PartialDelivery,
    Status.ERR_MESSAGE_REJECTED: RejectedError,
    Status.ERR_MESSAGE_TOO_BIG: RejectedError,
    Status.ERR_UNKNOWN_OUTCOME: UnknownOutcome,
    Status.ERR_UNSUPPORTED: UnsupportedError,
    Status.ERR_NOT_SENT: NotSentError,
    Status.ERR_COMMAND_REJECTED: RejectedError,
    Status.ERR_FILE: FileError,
    Status.ERR_CANCELLED: CancelledError,
    Status.ERR_PANIC: InternalError,
}


def exception_class(status: int) -> Type[SmtpcError]:
    """The class raised for ``status`` (``SmtpcError`` for an unknown one)."""
    return STATUS_CLASSES.get(Status(status), SmtpcError)


def make_error(status: int, message: str = "", reply_code: int = 0, reply_text: str = "",
               report: Optional["Report"] = None, reply_enhanced: str = "") -> SmtpcError:
    """An instance of the class ``exception_class(status)``."""
    return exception_class(status)(status, message, reply_code, reply_text, report,
                                   reply_enhanced)


__all__ = [
    "SmtpcError", "ArgumentError", "StateError", "NetworkError", "TlsError", "ProtocolError",
    "AuthError", "RejectedError", "PartialDelivery", "UnknownOutcome", "UnsupportedError",
    "NotSentError", "FileError", "CancelledError", "InternalError", "STATUS_CLASSES",
    "exception_class", "make_error",
]
