"""Turning Python arguments into the NUL-terminated UTF-8 strings C expects.

A C string cannot carry a NUL character: passed on, everything after it would
be silently cut off. Such arguments are refused here, before any C call, as
``ArgumentError`` (a ``ValueError``) with ``ERR_INVALID_ARGUMENT`` -- the status
the library gives for NUL where it can see it. Error messages name the
argument, never its value (it may be a password).
"""

from __future__ import annotations

import os
from typing import Optional, Union

from .enums import Status
from .errors import ArgumentError

StrOrBytes = Union[str, bytes]
PathType = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def _refuse(what: str, why: str) -> ArgumentError:
    return ArgumentError(Status.ERR_INVALID_ARGUMENT,
                         "%s %s (refused before calling the library)" % (what, why))


def _check(raw: bytes, what: str) -> bytes:
    if b"\0" in raw:
        raise _refuse(what, "contains a NUL character")
    return raw


def cstr(value: StrOrBytes, what: str) -> bytes:
    """``value`` (str, or bytes taken as UTF-8) as bytes for a ``const char *``."""
    if isinstance(value, str):
        try:
            raw = value.encode("utf-8")
        except UnicodeEncodeError:
            raise _refuse(what, "cannot be encoded as UTF-8 (lone surrogate)") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    else:
        raise TypeError("%s must be str or bytes, not %s" % (what, type(value).__name__))
    return _check(raw, what)


def opt_cstr(value: Optional[StrOrBytes], what: str) -> Optional[bytes]:
    """Like ``cstr``, with ``None`` passed on as NULL."""
    return None if value is None else cstr(value, what)


def cpath(value: PathType, what: str) -> bytes:
    """A file system path (str, bytes or ``os.PathLike``) as bytes."""
    try:
        path = os.fspath(value)
    except TypeError:
        raise TypeError("%s must be a path (str, bytes or os.PathLike), not %s"
                        % (what, type(value).__name__)) from None
    raw = os.fsencode(path)
    return _check(raw, what)


def opt_cpath(value: Optional[PathType], what: str) -> Optional[bytes]:
    """Like ``cpath``, with ``None`` passed on as NULL."""
    return None if value is None else cpath(value, what)
