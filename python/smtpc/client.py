"""``Client``: one SMTP session with one server (the ``smtpc_client`` handle)."""

from __future__ import annotations

import ctypes
import math
import warnings
from contextlib import ExitStack
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Union

from . import _lib
from ._cstr import PathType, StrOrBytes, cpath, cstr, opt_cstr
from ._handle import Handle
from .enums import LogKind, Status, TlsMode
from .errors import ArgumentError, SmtpcError, make_error
from .message import Message
from .report import Reply, Report, take_report

#: ``log(kind, line)``: one line of the session log (no line ending). Message
#: bodies, passwords and tokens never appear in it.
LogCallback = Callable[[LogKind, str], Any]
#: ``progress(bytes_sent, bytes_total)``: return a true value to cancel the send.
ProgressCallback = Callable[[int, int], Any]


class _Callbacks:
    """The ctypes callback objects of one client and what they call.

    The ``CFUNCTYPE`` objects must stay alive as long as the library may call
    them, i.e. until ``smtpc_client_free`` returned; the ``Client`` holds this
    object until then. An exception raised by a user callback cancels the call in
    progress (``smtpc_client_cancel`` is allowed from inside a callback) and is
    kept in ``error`` for the ``Client`` to raise once the C call returned:
    no exception ever crosses the C frames.
    """

    def __init__(self, log: Optional[LogCallback], progress: Optional[ProgressCallback]) -> None:
        self.log = log
        self.progress = progress
        self.error: Optional[BaseException] = None
        self.handle: Optional[Any] = None
        self.closing = False
        self._cancel = _lib.lib().smtpc_client_cancel
        self.c_log = _lib.LOG_CALLBACK(self._on_log) if log is not None else None
        self.c_progress = (_lib.PROGRESS_CALLBACK(self._on_progress)
                           if progress is not None else None)

    def _failed(self, exc: BaseException) -> None:
        if self.closing:
            # Inside smtpc_client_free (its QUIT): nothing to cancel or raise to.
            # Let ctypes print it as an unraisable exception.
            raise exc
        if self.error is None:
            self.error = exc
        if self.handle is not None:
            self._cancel(self.handle)

    def _on_log(self, _user_data: Any, kind: int, line: Any, length: int) -> None:
        try:
            text = ctypes.string_at(line, length).decode("utf-8", "replace")
            try:
                log_kind: Any = LogKind(kind)
            except ValueError:
                log_kind = int(kind)
            assert self.log is not None
            self.log(log_kind, text)
        except BaseException as exc:  # noqa: B902 - also KeyboardInterrupt
            self._failed(exc)

    def _on_progress(self, _user_data: Any, sent: int, total: int) -> int:
        try:
            assert self.progress is not None
            return 1 if self.progress(int(sent), int(total)) else 0
        except BaseException as exc:  # noqa: B902
            self._failed(exc)
            return 1

    def take_error(self) -> Optional[BaseException]:
        exc, self.error = self.error, None
        return exc


def _timeout_ms(seconds: float, what: str) -> int:
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise TypeError("%s must be a number of seconds" % what) from None
    if not value > 0 or math.isinf(value):
        raise ArgumentError(Status.ERR_INVALID_ARGUMENT,
                            "%s must be a positive, finite number of seconds" % what)
    ms = max(1, int(math.ceil(value * 1000)))
    if ms > 0xFFFFFFFF:
        raise ArgumentError(Status.ERR_INVALID_ARGUMENT, "%s is too large" % what)
    return ms


def _pair(value: Optional[Tuple[StrOrBytes, StrOrBytes]], what: str,
          second: str) -> Optional[Tuple[bytes, bytes]]:
    if value is None:
        return None
    try:
        user, secret = value
    except (TypeError, ValueError):
        raise TypeError("%s must be a (user, %s) pair" % (what, second)) from None
    return cstr(user, what + " user"), cstr(secret, what + " " + second)


class Client(Handle):
    """One SMTP session with one server.

    Nothing is connected by the constructor; ``connect()`` connects explicitly,
    and the sends connect on demand (and reconnect once when an idle session
    died). Use it as a context manager, or call ``close()``: that sends QUIT and
    releases the C handle, also when the block raises::

        with smtpc.Client("smtp.example.com", 587,
                          credentials=("me@example.com", "app-password")) as client:
            report = client.send(message)

    Args:
        host: server name or IP literal.
        port: TCP port.
        tls: a ``TlsMode``; ``None`` keeps the library's default, ``IMPLICIT`` on
            port 465 and ``STARTTLS`` (required) on every other port.
        ca_file: a PEM file of certificates to trust besides the system store.
        tls_server_name: the name to verify in the certificate (and send as SNI)
            when it differs from ``host``, e.g. when connecting by IP address.
        credentials: ``(user, password)`` for AUTH. Never sent without TLS unless
            ``tls=TlsMode.NONE``.
        oauth2: ``(user, token)`` for AUTH XOAUTH2.
        helo_name: the name sent in EHLO/HELO (default: the local host name).
        connect_timeout: seconds for the TCP connect to each address.
        io_timeout: seconds for each server reply, each write and each TLS step.
        deadline: seconds for each whole call (lookup, connect, TLS, AUTH and the
            transaction together), or None (the default) for no such bound.
        pipelining: use PIPELINING when offered (turn off for broken servers).
        chunking: use CHUNKING (BDAT) when offered (turn off for broken servers).
        log: ``log(kind: LogKind, line: str)``, called for every line of the
            session log on the thread that called into the client. Passwords,
            tokens and message bodies never appear.
        progress: ``progress(bytes_sent, bytes_total)`` while message data is sent;
            return a true value to cancel the send (``CancelledError``).
        dangerous_accept_invalid_certs: turn certificate and host name checks
            off. For tests only.

    An exception raised inside ``log`` or ``progress`` (KeyboardInterrupt
    included) never crosses the C code: it cancels the call in progress, and the
    method re-raises it once the library returned, with the call's own error
    (usually ``CancelledError``, or ``UnknownOutcome`` with its report if the
    whole message had been sent) as its ``__cause__``.

    Threads: a client is used by one thread at a time (a second concurrent call
    fails with ``StateError``); ``cancel()`` may be called from any thread at any
    time. The GIL is released while the library works.
    """

    def __init__(self, host: StrOrBytes, port: int, *, tls: Optional[TlsMode] = None,
                 ca_file: Optional[PathType] = None,
                 tls_server_name: Optional[StrOrBytes] = None,
                 credentials: Optional[Tuple[StrOrBytes, StrOrBytes]] = None,
                 oauth2: Optional[Tuple[StrOrBytes, StrOrBytes]] = None,
                 helo_name: Optional[StrOrBytes] = None,
                 connect_timeout: float = 30.0, io_timeout: float = 120.0,
                 deadline: Optional[float] = None,
                 pipelining: bool = True, chunking: bool = True,
                 log: Optional[LogCallback] = None,
                 progress: Optional[ProgressCallback] = None,
                 dangerous_accept_invalid_certs: bool = False) -> None:
        c = _lib.lib()
        super().__init__("client", c.smtpc_client_free)
        self._closed_reply = Reply(0, "", "")
        self._closed_error = ""
        self._c = c

        # Check and convert everything before creating the handle.
        c_host = cstr(host, "host")
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError("port must be an int, not %s" % type(port).__name__)
        if not 0 < port <= 65535:
            raise ArgumentError(Status.ERR_INVALID_ARGUMENT, "port must be in 1..65535")
        if tls is not None and (isinstance(tls, bool) or not isinstance(tls, int)):
            raise TypeError("tls must be a TlsMode")
        c_ca = cpath(ca_file, "ca_file") if ca_file is not None else None
        c_sni = opt_cstr(tls_server_name, "tls_server_name")
        c_cred = _pair(credentials, "credentials", "password")
        c_oauth = _pair(oauth2, "oauth2", "token")
        c_helo = opt_cstr(helo_name, "helo_name")
        connect_ms = _timeout_ms(connect_timeout, "connect_timeout")
        io_ms = _timeout_ms(io_timeout, "io_timeout")
        deadline_ms = 0 if deadline is None else _timeout_ms(deadline, "deadline")
        if log is not None and not callable(log):
            raise TypeError("log must be callable")
        if progress is not None and not callable(progress):
            raise TypeError("progress must be callable")
        self._callbacks = _Callbacks(log, progress)

        ptr = _lib.ClientPtr()
        st = c.smtpc_client_new(c_host, port, ctypes.byref(ptr))
        if st != Status.OK:
            raise make_error(st, "smtpc_client_new: %s" % _lib.text(c.smtpc_status_str(st)))
        self._ptr = ptr
        self._callbacks.handle = ptr
        try:
            if tls is not None:
                self._option("smtpc_client_set_tls", int(tls))
            if c_ca is not None:
                self._option("smtpc_client_set_ca_file", c_ca)
            if c_sni is not None:
                self._option("smtpc_client_set_tls_server_name", c_sni)
            if dangerous_accept_invalid_certs:
                self._option("smtpc_client_dangerous_accept_invalid_certs", True)
            if c_cred is not None:
                self._option("smtpc_client_set_credentials", *c_cred)
            if c_oauth is not None:
                self._option("smtpc_client_set_oauth2_token", *c_oauth)
            if c_helo is not None:
                self._option("smtpc_client_set_helo_name", c_helo)
            self._option("smtpc_client_set_timeout_ms", connect_ms, io_ms)
            self._option("smtpc_client_set_deadline_ms", deadline_ms)
            self._option("smtpc_client_set_pipelining", bool(pipelining))
            self._option("smtpc_client_set_chunking", bool(chunking))
            if self._callbacks.c_log is not None:
                self._option("smtpc_client_set_log_callback", self._callbacks.c_log, None)
            if self._callbacks.c_progress is not None:
                self._option("smtpc_client_set_progress_callback",
                             self._callbacks.c_progress, None)
        except BaseException:
            self._ptr = None
            self._callbacks.closing = True
            self._free(ptr)
            raise

    def _error(self, ptr: Any, st: int, report: Optional[Report] = None) -> SmtpcError:
        """The exception for status ``st``, described by the client's getters."""
        c = self._c
        message = _lib.text(c.smtpc_client_last_error(ptr)) or _lib.text(c.smtpc_status_str(st))
        return make_error(st, message, int(c.smtpc_client_last_reply_code(ptr)),
                          _lib.text(c.smtpc_client_last_reply(ptr)), report,
                          _lib.text(c.smtpc_client_last_reply_enhanced(ptr)))

    def _finish(self, ptr: Any, st: int, report: Optional[Report] = None) -> None:
        """Raise for a failed call, or the exception a callback raised during it
        (with the call's own error, if any, as its ``__cause__``)."""
        cb_error = self._callbacks.take_error()
        error = self._error(ptr, st, report) if st != Status.OK else None
        if cb_error is not None:
            raise cb_error from error
        if error is not None:
            raise error

    def _option(self, name: str, *args: Any) -> None:
        with self._use() as ptr:
            self._finish(ptr, getattr(self._c, name)(ptr, *args))

    def _command(self, name: str, *args: Any) -> Reply:
        with self._use() as ptr:
            self._callbacks.error = None
            st = getattr(self._c, name)(ptr, *args)
            self._finish(ptr, st)
            return self._reply(ptr)

    def _reply(self, ptr: Any) -> Reply:
        c = self._c
        return Reply(int(c.smtpc_client_last_reply_code(ptr)),
                     _lib.text(c.smtpc_client_last_reply(ptr)),
                     _lib.text(c.smtpc_client_last_reply_enhanced(ptr)))

    # -- lifetime ------------------------------------------------------------

    def close(self) -> None:
        """Send QUIT when connected (errors ignored) and release the C handle.

        Idempotent. Afterwards every method raises ``StateError`` except
        ``close``, ``cancel`` (a no-op) and the ``last_reply`` / ``last_error``
        properties, which keep what they said just before closing. Raises
        ``StateError`` when called while a call on this client is in progress
        (from a callback or another thread): ``cancel()`` it first.
        """
        def keep_last_outcome(ptr: Any) -> None:
            self._closed_reply = self._reply(ptr)
            self._closed_error = _lib.text(self._c.smtpc_client_last_error(ptr))

        # Once detached no other call can start, and cancel() is a no-op: free is safe.
        ptr = self._detach("close() while a call on this client is in progress; "
                           "cancel() it and close once it returned", keep_last_outcome)
        if ptr is None:
            return
        callbacks = self._callbacks
        callbacks.closing = True
        try:
            self._free(ptr)
        finally:
            callbacks.handle = None
            # Only now may the ctypes callback objects go.
            self._callbacks = _Callbacks(None, None)

    def __del__(self) -> None:
        ptr = self._detach_unused()
        if ptr is None:
            return
        try:
            warnings.warn("smtpc.Client was not closed; use `with Client(...)` or close()",
                          ResourceWarning, source=self)
        except Exception:  # interpreter shutdown
            pass
        self._callbacks.closing = True
        self._free(ptr)

    def __repr__(self) -> str:
        return "<smtpc.Client%s>" % (" closed" if self.closed else "")

    # -- commands ------------------------------------------------------------

    def connect(self) -> None:
        """Connect explicitly: TCP, greeting, EHLO (HELO fallback), TLS per the
        mode, AUTH when credentials are set. Optional: the sends connect on demand.
        Raises ``NetworkError``, ``TlsError``, ``ProtocolError``, ``AuthError``,
        ``CancelledError``, ``StateError``."""
        self._command("smtpc_client_connect")

    def send(self, message: Message) -> Report:
        """Send a built message (envelope: From to To + Cc + Bcc) and return its
        ``Report``.

        On failure raises the mapped ``SmtpcError`` subclass with the report
        attached (``exc.report``) whenever the library produced one, i.e. once the
        recipients were given to the server: ``PartialDelivery`` (delivered to
        some), ``RejectedError``, ``UnknownOutcome`` (may have been delivered: do
        not resend blindly), and the connection errors of ``connect()``.
        """
        if not isinstance(message, Message):
            raise TypeError("message must be an smtpc.Message")
        with self._use() as ptr, message._use() as mptr:
            out = _lib.ReportPtr()
            self._callbacks.error = None
            st = self._c.smtpc_client_send(ptr, mptr, ctypes.byref(out))
            report = take_report(out)
            self._finish(ptr, st, report)
        assert report is not None, "smtpc_client_send returned OK without a report"
        return report

    def send_raw(self, from_: StrOrBytes, recipients: Union[StrOrBytes, Iterable[StrOrBytes]],
                 data: bytes) -> Report:
        """Send a ready-made RFC 5322 message ``data`` (bytes: headers and body) from
        ``from_`` ("" for the null sender ``<>``) to ``recipients`` (one address or
        an iterable of them).

        Line ends are normalised to CRLF, lines starting with "." are dot-stuffed
        and the terminator is added by the library. Returns and raises like
        ``send``.
        """
        c_from = cstr(from_, "from_")
        if isinstance(recipients, (str, bytes)):
            recipients = [recipients]
        encoded = [cstr(r, "recipients[%d]" % i) for i, r in enumerate(recipients)]
        if isinstance(data, str):
            raise TypeError("data must be bytes, not str (encode the message first)")
        raw = data if isinstance(data, bytes) else bytes(data)
        array = (ctypes.c_char_p * len(encoded))(*encoded)
        with self._use() as ptr:
            out = _lib.ReportPtr()
            self._callbacks.error = None
            st = self._c.smtpc_client_send_raw(ptr, c_from, array, len(encoded), raw, len(raw),
                                               ctypes.byref(out))
            report = take_report(out)
            self._finish(ptr, st, report)
        assert report is not None, "smtpc_client_send_raw returned OK without a report"
        return report

    def send_batch(self, messages: Sequence[Message]) -> List[Report]:
        """Send several messages over one session, one round trip per message, and
        return every message's ``Report`` (in order).

        Raises nothing for a message's own failure: check each report's ``status``
        / ``ok`` / ``error`` (or call ``report.raise_for_status()``). A failure that
        ends the session stops the batch: that message reports it and every later
        one ``ERR_NOT_SENT``. Raises only when the library produced no reports at
        all (bad arguments, a busy, closed or unusable client), and re-raises an
        exception a callback raised. An empty sequence gives an empty list.
        """
        messages = list(messages)
        for m in messages:
            if not isinstance(m, Message):
                raise TypeError("messages must be smtpc.Message objects")
        if not messages:
            return []
        n = len(messages)
        with ExitStack() as stack:
            ptr = stack.enter_context(self._use())
            mptrs = [stack.enter_context(m._use()) for m in messages]
            array = (_lib.MessagePtr * n)(*mptrs)
            outs = (_lib.ReportPtr * n)()
            self._callbacks.error = None
            st = self._c.smtpc_client_send_batch(ptr, array, n, outs)
            reports: List[Optional[Report]] = []
            first_exc: Optional[BaseException] = None
            for i in range(n):  # take (copy and free) every one, whatever happens
                try:
                    reports.append(take_report(outs[i]))
                except BaseException as exc:  # noqa: B902
                    first_exc = first_exc or exc
                    reports.append(None)
            if first_exc is not None:
                raise first_exc
            if any(r is None for r in reports):  # the library wrote no reports
                self._finish(ptr, st if st != Status.OK else Status.ERR_PANIC)
            cb_error = self._callbacks.take_error()
            if cb_error is not None:
                raise cb_error from (self._error(ptr, st) if st != Status.OK else None)
        return [r for r in reports if r is not None]

    def noop(self) -> Reply:
        """Send NOOP (is the session alive?), connecting first if needed, and return
        the reply."""
        return self._command("smtpc_client_noop")

    def reset(self) -> Reply:
        """Send RSET (abandon a transaction in progress), connecting first if needed,
        and return the reply."""
        return self._command("smtpc_client_reset")

    def verify(self, address: StrOrBytes) -> Reply:
        """Send VRFY ``address`` and return the reply (250, 251 or 252). Raises
        ``RejectedError`` (550/551/553: not known there) or ``UnsupportedError``
        (VRFY disabled)."""
        return self._command("smtpc_client_verify", cstr(address, "address"))

    def etrn(self, node: StrOrBytes) -> Reply:
        """Send ETRN ``node`` ("example.com", "@example.com" or "#queue"): ask the
        server to deliver the mail it holds for it. Returns the reply (250, 251,
        252, 253). Raises ``UnsupportedError`` (no ETRN offered) or
        ``RejectedError`` (the server refused the node)."""
        return self._command("smtpc_client_etrn", cstr(node, "node"))

    def quit(self) -> Reply:
        """Send QUIT and close the connection; the options are kept, and a later
        ``connect()`` or send opens a new session. Returns the server's reply."""
        return self._command("smtpc_client_quit")

    def cancel(self) -> None:
        """Cancel the call in progress (it raises ``CancelledError``, or
        ``UnknownOutcome`` once the whole message was sent) and close the
        connection. Callable from any thread at any time, and from callbacks; a
        no-op on a closed client. Without a call in progress it closes the idle
        connection (the next call reconnects)."""
        with self._lock:
            if self._ptr is not None:
                self._c.smtpc_client_cancel(self._ptr)

    # -- getters -------------------------------------------------------------

    def has_extension(self, name: StrOrBytes) -> bool:
        """Whether the server advertised the EHLO keyword ``name`` (case-insensitive,
        e.g. "SIZE", "PIPELINING") in the current session; False when not connected."""
        keyword = cstr(name, "name")
        with self._use() as ptr:
            return bool(self._c.smtpc_client_has_extension(ptr, keyword))

    @property
    def last_reply(self) -> Reply:
        """The last server reply (after a failure: the reply that caused it, not a
        later one received while cleaning up); code 0 when there is none."""
        with self._lock:
            if self._ptr is None:
                return self._closed_reply
            return self._reply(self._ptr)

    @property
    def last_error(self) -> str:
        """The description of the last failure, with context ("" after a success).
        Never contains a password or token."""
        with self._lock:
            if self._ptr is None:
                return self._closed_error
            return _lib.text(self._c.smtpc_client_last_error(self._ptr))
