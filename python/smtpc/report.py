"""Reports and replies: plain, immutable Python copies of what the C library
returned, so that no C memory is referenced once they exist."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any, List, Optional

from . import _lib
from .enums import Status


@dataclass(frozen=True)
class Reply:
    """One SMTP reply: ``code`` (e.g. 250; 0 for none), ``text`` as on the wire
    ("250 2.0.0 Ok", lines joined with "\\n"; "" for none) and the RFC 3463
    ``enhanced`` code ("2.0.0"; "" for none)."""

    code: int
    text: str
    enhanced: str = ""

    @property
    def is_temporary(self) -> bool:
        """A 4xx reply: the same thing may work later."""
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        """A 5xx reply: trying the same thing again will fail again."""
        return 500 <= self.code < 600

    @property
    def is_positive(self) -> bool:
        """A 2xx or 3xx reply."""
        return 200 <= self.code < 400


@dataclass(frozen=True)
class RecipientResult:
    """What became of the message for one recipient.

    ``address`` as given; ``code``, ``text`` and ``enhanced``: the server's reply
    to its RCPT TO (code 0 when the server never answered for it; the text
    without the code, e.g. "5.1.1 <x@y>: Recipient address rejected");
    ``status``: ``Status.OK`` when delivered (or queued) there,
    ``ERR_RECIPIENTS_REJECTED`` when its RCPT was refused, otherwise the failure
    of the message it shares (e.g. ``ERR_MESSAGE_REJECTED``, ``ERR_NOT_SENT``).
    """

    address: str
    code: int
    text: str
    enhanced: str
    status: Status

    @property
    def ok(self) -> bool:
        """Whether the message was delivered (or queued) for this recipient."""
        return self.status == Status.OK


@dataclass(frozen=True)
class Report:
    """The outcome of one message.

    ``status``: ``Status.OK`` when it reached every recipient, else why not (the
    status the send returned; in a batch, this message's own). ``error``: what
    went wrong, with context ("" on success). ``recipients``: one
    ``RecipientResult`` per envelope recipient, in envelope order. ``final_code``,
    ``final_reply`` (text without the code) and ``final_enhanced``: the server's
    reply to the message data (0 / "" when the send never got that far).
    """

    status: Status
    error: str
    recipients: List[RecipientResult] = field(default_factory=list)
    final_code: int = 0
    final_reply: str = ""
    final_enhanced: str = ""

    @property
    def ok(self) -> bool:
        """Whether the message reached every recipient."""
        return self.status == Status.OK

    @property
    def delivered(self) -> List[str]:
        """The addresses the message was delivered (or queued) to."""
        return [r.address for r in self.recipients if r.ok]

    @property
    def refused(self) -> List[str]:
        """The addresses the message did not reach."""
        return [r.address for r in self.recipients if not r.ok]

    def raise_for_status(self) -> None:
        """Raise the exception of ``status`` (with this report attached) unless it is OK.

        Useful for the reports of ``Client.send_batch``, which raises nothing for
        a single message's failure.
        """
        if self.status != Status.OK:
            from .errors import make_error
            raise make_error(self.status, self.error or self.status.name,
                             self.final_code, self.final_reply, self, self.final_enhanced)


def copy_report(ptr: Any) -> Report:
    """A ``Report`` with everything copied out of the live C report ``ptr``
    (which is not freed)."""
    lib = _lib.lib()
    recipients = []
    for i in range(lib.smtpc_report_recipient_count(ptr)):
        address, code, text = ctypes.c_char_p(), ctypes.c_uint32(), ctypes.c_char_p()
        st = lib.smtpc_report_recipient(ptr, i, ctypes.byref(address), ctypes.byref(code),
                                        ctypes.byref(text))
        if st != Status.OK:  # cannot happen for i < count; keep the slot anyway
            recipients.append(RecipientResult("", 0, "", "", Status(st)))
            continue
        recipients.append(RecipientResult(
            address=_lib.text(address.value),
            code=int(code.value),
            text=_lib.text(text.value),
            enhanced=_lib.text(lib.smtpc_report_recipient_enhanced(ptr, i)),
            status=Status(lib.smtpc_report_recipient_status(ptr, i)),
        ))
    return Report(
        status=Status(lib.smtpc_report_status(ptr)),
        error=_lib.text(lib.smtpc_report_error(ptr)),
        recipients=recipients,
        final_code=int(lib.smtpc_report_final_code(ptr)),
        final_reply=_lib.text(lib.smtpc_report_final_reply(ptr)),
        final_enhanced=_lib.text(lib.smtpc_report_final_enhanced(ptr)),
    )


def take_report(ptr: Any) -> Optional[Report]:
    """Copy the C report ``ptr`` and free it (exactly once, also if copying
    fails). ``None`` for a NULL pointer."""
    if not ptr:
        return None
    try:
        return copy_report(ptr)
    finally:
        _lib.lib().smtpc_report_free(ptr)
