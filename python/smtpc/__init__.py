"""smtpc: a Python front door to the smtpc SMTP client library (libsmtpc).

A thin, typed ``ctypes`` layer over the stable C API of ``include/smtpc.h``; no
compiler needed. The shared library is found through ``SMTPC_LIBRARY`` (a
path), next to this package, or by the system loader, on first use.

    import smtpc

    with smtpc.Message() as m, smtpc.Client("smtp.example.com", 587,
                                            credentials=("me@example.com", "pw")) as c:
        m.set_from("me@example.com", "Me").add_to("you@example.org")
        m.subject("年度报告 / annual report").text("See the attachment.\\n")
        m.attach_file("report.pdf")
        try:
            report = c.send(m)
        except smtpc.PartialDelivery as exc:
            print("not delivered to", exc.report.refused)

Modules: ``client`` (Client), ``message`` (Message), ``report`` (Report,
RecipientResult, Reply), ``errors`` (the exceptions and which status raises
which), ``enums`` (Status, TlsMode, LogKind, DsnRet, DsnNotify), ``_lib``
(loading the library and declaring its functions).
"""

from __future__ import annotations

from . import _lib
from .client import Client, LogCallback, ProgressCallback
from .enums import DsnNotify, DsnRet, LogKind, Status, TlsMode
from .errors import (STATUS_CLASSES, ArgumentError, AuthError, CancelledError, FileError,
                     InternalError, NetworkError, NotSentError, PartialDelivery, ProtocolError,
                     RejectedError, SmtpcError, StateError, TlsError, UnknownOutcome,
                     UnsupportedError, exception_class)
from .message import Message
from .report import RecipientResult, Reply, Report

__version__ = "0.1.0"


def library_version() -> str:
    """The loaded C library's version, "MAJOR.MINOR.PATCH" (loads it if needed)."""
    return _lib.text(_lib.lib().smtpc_version())


def library_version_number() -> int:
    """The loaded C library's version as MAJOR*1000000 + MINOR*1000 + PATCH."""
    return int(_lib.lib().smtpc_version_number())


def library_path() -> str:
    """The path (or loader name) the C library was loaded from (loads it if needed)."""
    return _lib.library_path()


def status_str(status: int) -> str:
    """The library's static text for a status, e.g. "the server rejected the credentials"."""
    return _lib.text(_lib.lib().smtpc_status_str(int(status)))


def load_library() -> None:
    """Load the C library now instead of on first use. Raises ``ImportError``
    naming every place tried when it cannot be loaded or its version does not fit."""
    _lib.lib()


__all__ = [
    "Client", "Message", "Report", "RecipientResult", "Reply",
    "Status", "TlsMode", "LogKind", "DsnRet", "DsnNotify",
    "SmtpcError", "ArgumentError", "StateError", "NetworkError", "TlsError", "ProtocolError",
    "AuthError", "RejectedError", "PartialDelivery", "UnknownOutcome", "UnsupportedError",
    "NotSentError", "FileError", "CancelledError", "InternalError",
    "STATUS_CLASSES", "exception_class", "LogCallback", "ProgressCallback",
    "library_version", "library_version_number", "library_path", "status_str", "load_library",
]
