"""The life of a C handle owned by a Python object: ``Client`` and ``Message``."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, TypeVar

from .enums import Status
from .errors import StateError

_H = TypeVar("_H", bound="Handle")


class Handle:
    """Holds the pointer, counts the calls using it, and frees it once: never
    while a call (from a callback or another thread) still uses it."""

    def __init__(self, kind: str, free: Callable[[Any], None]) -> None:
        self._kind = kind
        self._free = free
        self._lock = threading.Lock()
        self._active = 0
        self._ptr: Optional[Any] = None

    @contextmanager
    def _use(self) -> Iterator[Any]:
        """The live handle, protected from ``close()`` while the block runs."""
        with self._lock:
            if self._ptr is None:
                raise StateError(Status.ERR_STATE, "the %s is closed" % self._kind)
            self._active += 1
            ptr = self._ptr
        try:
            yield ptr
        finally:
            with self._lock:
                self._active -= 1

    def _detach(self, busy: str, before: Optional[Callable[[Any], None]] = None) -> Optional[Any]:
        """For ``close()``: takes the pointer out (None when already closed), or
        raises ``StateError`` with ``busy`` while a call uses it. ``before`` runs
        on the pointer under the lock, when no other call can start."""
        with self._lock:
            if self._ptr is None:
                return None
            if self._active:
                raise StateError(Status.ERR_STATE, busy)
            ptr, self._ptr = self._ptr, None
            if before is not None:
                before(ptr)
            return ptr

    def _detach_unused(self) -> Optional[Any]:
        """For ``__del__``: takes the pointer out when it is set and unused."""
        ptr = getattr(self, "_ptr", None)
        if ptr is None or getattr(self, "_active", 0) != 0:
            return None
        self._ptr = None
        return ptr

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._ptr is None

    def close(self) -> None:
        """Release the C handle (subclasses say what else it does)."""
        raise NotImplementedError

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
