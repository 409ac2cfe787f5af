"""``Message``: a mail being built (the ``smtpc_message`` handle)."""

from __future__ import annotations

import ctypes
from typing import Any, Optional

from . import _lib
from ._cstr import PathType, StrOrBytes, cpath, cstr, opt_cstr
from ._handle import Handle
from .enums import DsnNotify, DsnRet, Status
from .errors import make_error


class Message(Handle):
    """A mail being built: From, To/Cc/Bcc, Reply-To, Subject, custom headers, a
    text and/or HTML body, attachments and inline parts.

    Builder methods return the message, so calls can be chained; each raises the
    mapped ``SmtpcError`` subclass on failure (usually ``ArgumentError``, with
    the library's explanation as its message). Strings are UTF-8 (``str``, or
    ``bytes`` taken as UTF-8); the library copies them.

    Sending does not change a message: it may be sent again, by several clients
    and threads at once. Use it as a context manager, or call ``close()``, to
    release the C handle (garbage collection releases it too)::

        with Message() as m:
            m.set_from("me@example.com").add_to("you@example.org").subject("Hi").text("...")
            client.send(m)
    """

    def __init__(self) -> None:
        """Create an empty message (``smtpc_message_new``)."""
        c = _lib.lib()
        super().__init__("message", c.smtpc_message_free)
        self._c = c
        ptr = _lib.MessagePtr()
        st = c.smtpc_message_new(ctypes.byref(ptr))
        if st != Status.OK:
            raise make_error(st, _lib.text(c.smtpc_status_str(st)))
        self._ptr = ptr

    def _call(self, name: str, *args: Any) -> "Message":
        with self._use() as ptr:
            st = getattr(self._c, name)(ptr, *args)
            if st != Status.OK:
                message = _lib.text(self._c.smtpc_message_last_error(ptr))
                raise make_error(st, message or _lib.text(self._c.smtpc_status_str(st)))
        return self

    def close(self) -> None:
        """Release the C handle (idempotent). Reports of earlier sends stay valid.

        Raises ``StateError`` while the message is being sent or written by
        another thread.
        """
        ptr = self._detach("close() while the message is being sent or written")
        if ptr is not None:
            self._free(ptr)

    def __del__(self) -> None:
        ptr = self._detach_unused()
        if ptr is not None:
            self._free(ptr)

    @property
    def last_error(self) -> str:
        """Why the last builder call or ``write_file`` on this message failed ("" after
        a success or when closed). Failed sends are described by the client's error."""
        with self._lock:
            if self._ptr is None:
                return ""
            return _lib.text(self._c.smtpc_message_last_error(self._ptr))

    # -- addresses ---------------------------------------------------------

    def set_from(self, address: StrOrBytes, name: Optional[StrOrBytes] = None) -> "Message":
        """Set From: the author and the envelope sender; a non-ASCII ``name`` is
        RFC 2047 encoded."""
        return self._call("smtpc_message_set_from", opt_cstr(name, "name"),
                          cstr(address, "address"))

    def add_to(self, address: StrOrBytes, name: Optional[StrOrBytes] = None) -> "Message":
        """Add a To recipient (header and envelope)."""
        return self._call("smtpc_message_add_to", opt_cstr(name, "name"),
                          cstr(address, "address"))

    def add_cc(self, address: StrOrBytes, name: Optional[StrOrBytes] = None) -> "Message":
        """Add a Cc recipient (header and envelope)."""
        return self._call("smtpc_message_add_cc", opt_cstr(name, "name"),
                          cstr(address, "address"))

    def add_bcc(self, address: StrOrBytes, name: Optional[StrOrBytes] = None) -> "Message":
        """Add a Bcc recipient: envelope only, never in a header (``name`` is not used)."""
        return self._call("smtpc_message_add_bcc", opt_cstr(name, "name"),
                          cstr(address, "address"))

    def set_reply_to(self, address: StrOrBytes, name: Optional[StrOrBytes] = None) -> "Message":
        """Set Reply-To."""
        return self._call("smtpc_message_set_reply_to", opt_cstr(name, "name"),
                          cstr(address, "address"))

    # -- content -----------------------------------------------------------

    def subject(self, subject: StrOrBytes) -> "Message":
        """Set the subject (any UTF-8 on one line; encoded and folded as needed)."""
        return self._call("smtpc_message_set_subject", cstr(subject, "subject"))

    def text(self, text: StrOrBytes) -> "Message":
        """Set the text/plain body (any line ends; sent as CRLF)."""
        return self._call("smtpc_message_set_text", cstr(text, "text"))

    def html(self, html: StrOrBytes) -> "Message":
        """Set the text/html body; with a text body too the message is
        multipart/alternative."""
        return self._call("smtpc_message_set_html", cstr(html, "html"))

    def add_header(self, name: StrOrBytes, value: StrOrBytes) -> "Message":
        """Add a custom header (not one the builder owns or has a call for; Date and
        Message-ID replace the generated ones). The value is folded and encoded."""
        return self._call("smtpc_message_add_header", cstr(name, "header name"),
                          cstr(value, "header value"))

    def attach_file(self, path: PathType, filename: Optional[StrOrBytes] = None,
                    content_type: Optional[StrOrBytes] = None) -> "Message":
        """Attach the file at ``path``, streamed when the message is sent or written
        (a send fails with ``FileError`` if it cannot be read then). ``filename``
        defaults to the path's base name, ``content_type`` is guessed from the
        extension when ``None``."""
        return self._call("smtpc_message_attach_file", cpath(path, "path"),
                          opt_cstr(filename, "filename"),
                          opt_cstr(content_type, "content_type"))

    def attach_data(self, data: bytes, filename: Optional[StrOrBytes] = None,
                    content_type: Optional[StrOrBytes] = None) -> "Message":
        """Attach ``data`` (bytes-like, copied now). ``content_type`` defaults to a
        guess from ``filename``, else application/octet-stream."""
        if isinstance(data, str):
            raise TypeError("data must be bytes, not str (encode it first)")
        raw = bytes(data)
        return self._call("smtpc_message_attach_data", raw, len(raw),
                          opt_cstr(filename, "filename"),
                          opt_cstr(content_type, "content_type"))

    def embed_file(self, path: PathType, content_id: StrOrBytes,
                   content_type: Optional[StrOrBytes] = None) -> "Message":
        """Add the file at ``path`` as an inline part that the HTML body references
        as ``cid:<content_id>`` (the message becomes multipart/related)."""
        return self._call("smtpc_message_embed_file", cpath(path, "path"),
                          cstr(content_id, "content_id"),
                          opt_cstr(content_type, "content_type"))

    # -- delivery status notifications ---------------------------------------

    def set_dsn(self, ret: DsnRet = DsnRet.DEFAULT, envid: Optional[StrOrBytes] = None,
                required: bool = False) -> "Message":
        """Ask for delivery status notifications (RFC 3461): ``ret`` says what a
        failure report returns, ``envid`` (printable ASCII, at most 100 characters)
        is quoted by every report. Without DSN at the server a send goes on without
        the parameters, or fails with ``UnsupportedError`` when ``required``."""
        return self._call("smtpc_message_set_dsn", int(ret), opt_cstr(envid, "envid"),
                          bool(required))

    def set_dsn_notify(self, address: Optional[StrOrBytes] = None,
                       notify: DsnNotify = DsnNotify.DEFAULT,
                       orcpt: Optional[StrOrBytes] = None) -> "Message":
        """Set when the server should report on recipient ``address`` (already
        added), or on every recipient without its own setting when ``address`` is
        ``None`` (then ``orcpt`` must be ``None``). ``orcpt``: the original
        recipient the report should quote."""
        return self._call("smtpc_message_set_dsn_notify", opt_cstr(address, "address"),
                          int(notify), opt_cstr(orcpt, "orcpt"))

    # -- output --------------------------------------------------------------

    def write_file(self, path: PathType) -> None:
        """Write the message to ``path`` (created or truncated) exactly as a send
        transmits it: RFC 5322 bytes with CRLF line ends (an .eml file)."""
        self._call("smtpc_message_write_file", cpath(path, "path"))

    def __repr__(self) -> str:
        return "<smtpc.Message%s>" % (" closed" if self.closed else "")
