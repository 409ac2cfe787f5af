"""Finding and loading libsmtpc, and declaring every C function's prototype.

The library is loaded on first use (``lib()``), from the first of:

1. the path in the ``SMTPC_LIBRARY`` environment variable, if set (nothing
   else is tried then: an explicit choice that fails is an error);
2. ``libsmtpc.so`` / ``libsmtpc.dylib`` / ``smtpc.dll`` next to this file;
3. the system loader, through ``ctypes.util.find_library("smtpc")``.

Its major version must be the one this package was written for.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_int,
                    c_size_t, c_uint16, c_uint32, c_uint64, c_void_p)
from typing import List, Optional, Tuple

#: The major version of the C API this package speaks.
EXPECTED_MAJOR = 0
#: The oldest library version (MAJOR*1000000 + MINOR*1000 + PATCH) that has
#: every function declared below.
MINIMUM_VERSION_NUMBER = 1000


class ClientHandle(Structure):
    """Opaque ``smtpc_client``; only ever used through a pointer."""


class MessageHandle(Structure):
    """Opaque ``smtpc_message``; only ever used through a pointer."""


class ReportHandle(Structure):
    """Opaque ``smtpc_report``; only ever used through a pointer."""


ClientPtr = POINTER(ClientHandle)
MessagePtr = POINTER(MessageHandle)
ReportPtr = POINTER(ReportHandle)

STATUS = c_uint32
#: ``void (*)(void *user_data, smtpc_log_kind kind, const char *line, size_t line_len)``.
#: The line is taken as ``POINTER(c_char)`` (not ``c_char_p``) so that exactly
#: ``line_len`` bytes are read.
LOG_CALLBACK = CFUNCTYPE(None, c_void_p, c_uint32, POINTER(c_char), c_size_t)
#: ``int (*)(void *user_data, uint64_t bytes_sent, uint64_t bytes_total)``.
PROGRESS_CALLBACK = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)

# name, restype, argtypes: every function of include/smtpc.h.
PROTOTYPES: List[Tuple[str, object, List[object]]] = [
    ("smtpc_version", c_char_p, []),
    ("smtpc_version_number", c_uint32, []),
    ("smtpc_status_str", c_char_p, [STATUS]),
    ("smtpc_reply_is_temporary", c_bool, [c_uint32]),
    ("smtpc_reply_is_permanent", c_bool, [c_uint32]),
    # client: lifetime and options
    ("smtpc_client_new", STATUS, [c_char_p, c_uint16, POINTER(ClientPtr)]),
    ("smtpc_client_free", None, [ClientPtr]),
    ("smtpc_client_set_tls", STATUS, [ClientPtr, c_uint32]),
    ("smtpc_client_set_ca_file", STATUS, [ClientPtr, c_char_p]),
    ("smtpc_client_set_tls_server_name", STATUS, [ClientPtr, c_char_p]),
    ("smtpc_client_dangerous_accept_invalid_certs", STATUS, [ClientPtr, c_bool]),
    ("smtpc_client_set_credentials", STATUS, [ClientPtr, c_char_p, c_char_p]),
    ("smtpc_client_set_oauth2_token", STATUS, [ClientPtr, c_char_p, c_char_p]),
    ("smtpc_client_set_helo_name", STATUS, [ClientPtr, c_char_p]),
    ("smtpc_client_set_timeout_ms", STATUS, [ClientPtr, c_uint32, c_uint32]),
    ("smtpc_client_set_deadline_ms", STATUS, [ClientPtr, c_uint32]),
    ("smtpc_client_set_pipelining", STATUS, [ClientPtr, c_bool]),
    ("smtpc_client_set_chunking", STATUS, [ClientPtr, c_bool]),
    ("smtpc_client_set_log_callback", STATUS, [ClientPtr, LOG_CALLBACK, c_void_p]),
    ("smtpc_client_set_progress_callback", STATUS, [ClientPtr, PROGRESS_CALLBACK, c_void_p]),
    # client: commands
    ("smtpc_client_connect", STATUS, [ClientPtr]),
    ("smtpc_client_send", STATUS, [ClientPtr, MessagePtr, POINTER(ReportPtr)]),
    # data is declared as c_char_p so that a bytes object is passed without a
    # copy; the length is given explicitly, so NUL bytes in it are fine.
    ("smtpc_client_send_raw", STATUS,
     [ClientPtr, c_char_p, POINTER(c_char_p), c_size_t, c_char_p, c_size_t,
      POINTER(ReportPtr)]),
    ("smtpc_client_send_batch", STATUS,
     [ClientPtr, POINTER(MessagePtr), c_size_t, POINTER(ReportPtr)]),
    ("smtpc_client_etrn", STATUS, [ClientPtr, c_char_p]),
    ("smtpc_client_noop", STATUS, [ClientPtr]),
    ("smtpc_client_reset", STATUS, [ClientPtr]),
    ("smtpc_client_verify", STATUS, [ClientPtr, c_char_p]),
    ("smtpc_client_quit", STATUS, [ClientPtr]),
    ("smtpc_client_cancel", None, [ClientPtr]),
    # client: getters (c_char_p results are copied into bytes at once)
    ("smtpc_client_has_extension", c_bool, [ClientPtr, c_char_p]),
    ("smtpc_client_last_reply_code", c_uint32, [ClientPtr]),
    ("smtpc_client_last_reply", c_char_p, [ClientPtr]),
    ("smtpc_client_last_reply_enhanced", c_char_p, [ClientPtr]),
    ("smtpc_client_last_error", c_char_p, [ClientPtr]),
    # message
    ("smtpc_message_new", STATUS, [POINTER(MessagePtr)]),
    ("smtpc_message_free", None, [MessagePtr]),
    ("smtpc_message_set_from", STATUS, [MessagePtr, c_char_p, c_char_p]),
    ("smtpc_message_add_to", STATUS, [MessagePtr, c_char_p, c_char_p]),
    ("smtpc_message_add_cc", STATUS, [MessagePtr, c_char_p, c_char_p]),
    ("smtpc_message_add_bcc", STATUS, [MessagePtr, c_char_p, c_char_p]),
    ("smtpc_message_set_reply_to", STATUS, [MessagePtr, c_char_p, c_char_p]),
    ("smtpc_message_set_subject", STATUS, [MessagePtr, c_char_p]),
    ("smtpc_message_set_text", STATUS, [MessagePtr, c_char_p]),
    ("smtpc_message_set_html", STATUS, [MessagePtr, c_char_p]),
    ("smtpc_message_add_header", STATUS, [MessagePtr, c_char_p, c_char_p]),
    ("smtpc_message_attach_file", STATUS, [MessagePtr, c_char_p, c_char_p, c_char_p]),
    ("smtpc_message_attach_data", STATUS,
     [MessagePtr, c_char_p, c_size_t, c_char_p, c_char_p]),
    ("smtpc_message_embed_file", STATUS, [MessagePtr, c_char_p, c_char_p, c_char_p]),
    ("smtpc_message_write_file", STATUS, [MessagePtr, c_char_p]),
    ("smtpc_message_set_dsn", STATUS, [MessagePtr, c_uint32, c_char_p, c_bool]),
    ("smtpc_message_set_dsn_notify", STATUS, [MessagePtr, c_char_p, c_uint32, c_char_p]),
    ("smtpc_message_last_error", c_char_p, [MessagePtr]),
    # report
    ("smtpc_report_status", STATUS, [ReportPtr]),
    ("smtpc_report_error", c_char_p, [ReportPtr]),
    ("smtpc_report_recipient_count", c_size_t, [ReportPtr]),
    ("smtpc_report_recipient", STATUS,
     [ReportPtr, c_size_t, POINTER(c_char_p), POINTER(c_uint32), POINTER(c_char_p)]),
    ("smtpc_report_recipient_status", STATUS, [ReportPtr, c_size_t]),
    ("smtpc_report_recipient_enhanced", c_char_p, [ReportPtr, c_size_t]),
    ("smtpc_report_final_code", c_uint32, [ReportPtr]),
    ("smtpc_report_final_reply", c_char_p, [ReportPtr]),
    ("smtpc_report_final_enhanced", c_char_p, [ReportPtr]),
    ("smtpc_report_free", None, [ReportPtr]),
]


def _library_file_names() -> List[str]:
    """File names of the shared library on this platform, most likely first."""
    if sys.platform.startswith("win"):
        return ["smtpc.dll", "libsmtpc.dll"]
    if sys.platform == "darwin":
        return ["libsmtpc.dylib"]
    return ["libsmtpc.so"]


def _split_version(number: int) -> Tuple[int, int, int]:
    return number // 1000000, number // 1000 % 1000, number % 1000


def check_version(number: int, where: str) -> None:
    """Refuse a library whose major version (or minimum version) does not fit.

    ``number`` is what ``smtpc_version_number()`` returned; ``where`` names the
    file, for the message. Raises ``ImportError``.
    """
    major, minor, patch = _split_version(number)
    want = "%d.x (at least %d.%d.%d)" % ((EXPECTED_MAJOR,) + _split_version(MINIMUM_VERSION_NUMBER))
    if major != EXPECTED_MAJOR or number < MINIMUM_VERSION_NUMBER:
        raise ImportError(
            "smtpc: %s is libsmtpc %d.%d.%d, but this Python package needs %s; "
            "install the matching library or Python package"
            % (where, major, minor, patch, want))


def _declare(cdll: ctypes.CDLL, where: str) -> None:
    missing = []
    for name, restype, argtypes in PROTOTYPES:
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise ImportError("smtpc: %s lacks the function(s) %s; it is not a compatible libsmtpc"
                          % (where, ", ".join(missing)))


def _candidates() -> List[Tuple[str, str]]:
    """(what to pass to CDLL, how to describe it) in the order they are tried."""
    explicit = os.environ.get("SMTPC_LIBRARY")
    if explicit:
        return [(explicit, "SMTPC_LIBRARY=%s" % explicit)]
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    for name in _library_file_names():
        path = os.path.join(here, name)
        out.append((path, path))
    found = ctypes.util.find_library("smtpc")
    if found:
        out.append((found, 'ctypes.util.find_library("smtpc") -> %s' % found))
    else:
        out.append(("", 'ctypes.util.find_library("smtpc")'))
    return out


def load() -> Tuple[ctypes.CDLL, str]:
    """Load the library as described in the module docstring.

    Returns the declared ``CDLL`` and the path or name it was loaded from.
    Raises ``ImportError`` naming everything that was tried and why it failed.
    """
    tried = []
    candidates = _candidates()
    for target, description in candidates:
        if not target:
            tried.append("%s: not found" % description)
            continue
        if os.sep in target and not os.path.exists(target):
            tried.append("%s: no such file" % description)
            continue
        try:
            cdll = ctypes.CDLL(target)
        except OSError as exc:
            tried.append("%s: %s" % (description, exc))
            continue
        _declare(cdll, description)
        check_version(int(cdll.smtpc_version_number()), description)
        return cdll, target
    raise ImportError(
        "smtpc: could not load the smtpc C library (build it with `cargo build --release`, "
        "then set SMTPC_LIBRARY=/path/to/libsmtpc.so or copy the library next to %s). Tried:\n  %s"
        % (os.path.dirname(os.path.abspath(__file__)), "\n  ".join(tried)))


_lock = threading.Lock()
_loaded: Optional[Tuple[ctypes.CDLL, str]] = None


def lib() -> ctypes.CDLL:
    """The loaded, declared library (loaded on the first call; thread-safe)."""
    global _loaded
    loaded = _loaded
    if loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = load()
            loaded = _loaded
    return loaded[0]


def library_path() -> str:
    """The path or name the library was loaded from (loads it if needed)."""
    lib()
    assert _loaded is not None
    return _loaded[1]


def text(value: Optional[bytes]) -> str:
    """A string returned by the library (UTF-8; NULL or missing gives "")."""
    if not value:
        return ""
    return value.decode("utf-8", "replace")
