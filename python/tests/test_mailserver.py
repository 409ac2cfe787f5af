"""Tests against the repository's test mail server (Postfix + Dovecot): what
arrived in the maildir, not only what the calls returned."""

from __future__ import annotations

import base64
import email
import os
import threading
import time
from email import policy
from typing import List, Tuple

import pytest

import smtpc
from smtpc import LogKind, Status, TlsMode

# Every test here needs the server (the `mail` fixture skips without it).
pytestmark = pytest.mark.usefixtures("mail")


def plain_client(mail, port=None, **options) -> smtpc.Client:
    """A client for the plain port (no TLS offered) with AUTH."""
    options.setdefault("credentials", (mail.user, mail.password))
    return smtpc.Client(mail.host, port or mail.plain_port, tls=TlsMode.NONE,
                        connect_timeout=10, io_timeout=30, **options)


def simple_message(sender: str, *recipients: str, subject: str = "test",
                   text: str = "Hello from Python.\n") -> smtpc.Message:
    m = smtpc.Message().set_from(sender).subject(subject).text(text)
    for r in recipients:
        m.add_to(r)
    return m


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


class LogRecorder:
    """A log callback that keeps every (kind, line)."""

    def __init__(self) -> None:
        self.lines: List[Tuple[LogKind, str]] = []

    def __call__(self, kind: LogKind, line: str) -> None:
        self.lines.append((kind, line))

    def sent(self) -> List[str]:
        return [line for kind, line in self.lines if kind == LogKind.SENT]


def test_built_message_with_non_ascii_subject_and_attachments(mail, unique, tmp_path):
    sender, rcpt, cc = unique("from"), unique("to"), unique("cc")
    subject = "Grüße, 年度报告 — ☃ %s" % rcpt.split("@")[0]
    data_payload = os.urandom(70001)
    file_payload = os.urandom(123457)
    attachment = tmp_path / "Übersicht 2026.bin"
    attachment.write_bytes(file_payload)
    log = LogRecorder()

    with plain_client(mail, log=log) as client, smtpc.Message() as m:
        (m.set_from(sender, "Jürgen Müller")
          .add_to(rcpt, "张三")
          .add_cc(cc)
          .subject(subject)
          .text("Hallo, 你好.\nSecond line.\n")
          .attach_data(data_payload, "données.bin", "application/octet-stream")
          .attach_file(attachment))
        report = client.send(m)
        assert client.has_extension("AUTH") and client.has_extension("chunking")

    assert report.ok and report.status is Status.OK and report.error == ""
    assert report.delivered == [rcpt, cc]
    assert [r.code for r in report.recipients] == [250, 250]
    assert all(r.status is Status.OK and r.enhanced.startswith("2.") for r in report.recipients)
    assert report.final_code == 250 and "queued as" in report.final_reply
    assert report.final_enhanced == "2.0.0"
    assert any(line.startswith("AUTH ") for line in log.sent())

    for who in (rcpt, cc):
        (raw,) = mail.wait_for_mail(who)
        received = parse(raw)
        assert received["subject"] == subject
        assert str(received["from"]) == "Jürgen Müller <%s>" % sender
        assert received.get_body(("plain",)).get_content() == "Hallo, 你好.\nSecond line.\n"
        parts = {p.get_filename(): p.get_content() for p in received.iter_attachments()}
        assert parts == {"données.bin": data_payload, "Übersicht 2026.bin": file_payload}
    assert mail.sender_of(rcpt) == sender


def test_starttls_on_submission_port_with_ca_file(mail, unique):
    sender, rcpt = unique("tls-from"), unique("tls-to")
    log = LogRecorder()
    with smtpc.Client(mail.host, mail.submission_port, tls=TlsMode.STARTTLS,
                      ca_file=mail.ca_file, credentials=(mail.user, mail.password),
                      log=log) as client:
        client.connect()
        assert client.has_extension("AUTH")  # only offered after STARTTLS there
        with simple_message(sender, rcpt, subject="over STARTTLS") as m:
            report = client.send(m)
    assert report.ok and report.delivered == [rcpt]
    sent = log.sent()
    assert "STARTTLS" in sent
    assert sent.index("STARTTLS") < min(i for i, s in enumerate(sent) if s.startswith("AUTH "))
    (raw,) = mail.wait_for_mail(rcpt)
    assert parse(raw)["subject"] == "over STARTTLS"


def test_implicit_tls_on_smtps_port(mail, unique):
    rcpt = unique("smtps")
    with smtpc.Client(mail.host, mail.smtps_port, tls=TlsMode.IMPLICIT, ca_file=mail.ca_file,
                      credentials=(mail.user, mail.password)) as client:
        with simple_message(unique("from"), rcpt, subject="over SMTPS") as m:
            assert client.send(m).ok
    (raw,) = mail.wait_for_mail(rcpt)
    assert parse(raw)["subject"] == "over SMTPS"


def test_tls_failures(mail, unique):
    rcpt = unique("tls-fail")
    with smtpc.Message() as m:
        m.set_from(unique("from")).add_to(rcpt).text("x")
        # The test CA is not in the system store: verification fails.
        with smtpc.Client(mail.host, mail.submission_port, connect_timeout=10,
                          io_timeout=30) as client:
            with pytest.raises(smtpc.TlsError) as info:
                client.send(m)
            assert info.value.status is Status.ERR_TLS and info.value.report is None
        # Required STARTTLS against the plain port, which does not offer it.
        with smtpc.Client(mail.host, mail.plain_port, tls=TlsMode.STARTTLS) as client:
            with pytest.raises(smtpc.TlsError) as info:
                client.connect()
            assert info.value.status is Status.ERR_TLS_UNAVAILABLE
        # Implicit TLS against a plaintext greeting.
        with smtpc.Client(mail.host, mail.submission_port, tls=TlsMode.IMPLICIT,
                          ca_file=mail.ca_file) as client:
            with pytest.raises(smtpc.TlsError):
                client.connect()
    mail.assert_no_mail(rcpt, wait=0.5)


def test_partial_delivery_raises_with_the_report(mail, unique):
    sender, good = unique("from"), unique("partial-ok")
    with plain_client(mail) as client, simple_message(sender, good, mail.rejected_rcpt,
                                                      subject="partial") as m:
        with pytest.raises(smtpc.PartialDelivery) as info:
            client.send(m)
    exc = info.value
    assert exc.status is Status.ERR_PARTIAL and isinstance(exc, smtpc.SmtpcError)
    report = exc.report
    assert report is not None and report.status is Status.ERR_PARTIAL and not report.ok
    assert report.delivered == [good] and report.refused == [mail.rejected_rcpt]
    ok, refused = report.recipients
    assert (ok.address, ok.code, ok.status) == (good, 250, Status.OK)
    assert refused.address == mail.rejected_rcpt
    assert (refused.code, refused.enhanced) == (550, "5.1.1")
    assert refused.status is Status.ERR_RECIPIENTS_REJECTED and not refused.ok
    assert report.final_code == 250
    (raw,) = mail.wait_for_mail(good)
    assert parse(raw)["subject"] == "partial"


def test_every_recipient_refused_and_sender_refused(mail, unique):
    with plain_client(mail) as client:
        with simple_message(unique("from"), mail.rejected_rcpt) as m:
            with pytest.raises(smtpc.RejectedError) as info:
                client.send(m)
        exc = info.value
        assert exc.status is Status.ERR_RECIPIENTS_REJECTED
        assert exc.report is not None and exc.report.delivered == []
        assert exc.report.recipients[0].code == 550 and exc.report.final_code == 0

        rcpt = unique("blocked-sender")
        with simple_message(mail.rejected_sender, rcpt) as m:
            with pytest.raises(smtpc.RejectedError) as info:
                client.send(m)
        assert info.value.status is Status.ERR_SENDER_REJECTED
        assert info.value.reply_code == 553 and info.value.reply_enhanced == "5.7.1"
        assert "553" in info.value.reply_text
        # The session goes on after refusals.
        assert client.noop().code == 250
    mail.assert_no_mail(rcpt, wait=0.5)


def test_message_too_big_for_small_port(mail, unique):
    rcpt = unique("too-big")
    with plain_client(mail, port=mail.small_port) as client, \
            simple_message(unique("from"), rcpt) as m:
        m.attach_data(os.urandom(150_000), "big.bin")
        with pytest.raises(smtpc.RejectedError) as info:
            client.send(m)
        assert info.value.status is Status.ERR_MESSAGE_TOO_BIG
    mail.assert_no_mail(rcpt, wait=0.5)


@pytest.mark.parametrize("port_name", ["plain_port", "nochunk_port"])
def test_send_batch_delivers_each_message_once(mail, unique, port_name):
    recipients = [unique("batch%d" % i) for i in range(3)]
    common = unique("batch-all")
    messages = []
    for i, r in enumerate(recipients):
        m = simple_message(unique("from"), r, subject="batch %d" % i)
        m.add_bcc(common)
        messages.append(m)
    with plain_client(mail, port=getattr(mail, port_name)) as client:
        reports = client.send_batch(messages)
        assert client.has_extension("CHUNKING") == (port_name == "plain_port")
    for m in messages:
        m.close()
    assert len(reports) == 3
    assert all(isinstance(r, smtpc.Report) and r.ok for r in reports)
    assert [r.delivered for r in reports] == [[r, common] for r in recipients]
    for i, r in enumerate(recipients):
        (raw,) = mail.wait_for_mail(r)
        assert parse(raw)["subject"] == "batch %d" % i
    copies = mail.wait_for_mail(common, 3)
    assert sorted(parse(raw)["subject"] for raw in copies) == ["batch 0", "batch 1", "batch 2"]
    time.sleep(0.3)  # nothing delivered twice
    assert [len(mail.deliveries(r)) for r in recipients + [common]] == [1, 1, 1, 3]


def test_send_batch_reports_failures_without_raising(mail, unique):
    good1, good2 = unique("batch-ok1"), unique("batch-ok2")
    m1 = simple_message(unique("from"), good1, subject="first")
    m2 = simple_message(unique("from"), mail.rejected_rcpt, subject="refused")
    m3 = simple_message(unique("from"), good2, mail.rejected_rcpt, subject="partly")
    with plain_client(mail) as client, m1, m2, m3:
        assert client.send_batch([]) == []
        reports = client.send_batch([m1, m2, m3])
    assert [r.status for r in reports] == [Status.OK, Status.ERR_RECIPIENTS_REJECTED,
                                          Status.ERR_PARTIAL]
    assert reports[1].error and reports[1].recipients[0].code == 550
    assert reports[2].delivered == [good2]
    with pytest.raises(smtpc.RejectedError):
        reports[1].raise_for_status()
    assert parse(mail.wait_for_mail(good1)[0])["subject"] == "first"
    assert parse(mail.wait_for_mail(good2)[0])["subject"] == "partly"


def test_send_batch_frees_every_report_once(mail, unique, monkeypatch):
    lib = smtpc._lib.lib()
    real_free = lib.smtpc_report_free
    freed = []

    def counting_free(ptr):
        freed.append(ctypes_address(ptr))
        real_free(ptr)
    monkeypatch.setattr(lib, "smtpc_report_free", counting_free)
    messages = [simple_message(unique("from"), unique("free%d" % i)) for i in range(4)]
    with plain_client(mail) as client:
        reports = client.send_batch(messages + [messages[0]])  # the same one twice is fine
    assert len(reports) == 5 and all(r.ok for r in reports)
    assert len(freed) == 5 and len(set(freed)) == 5
    for m in messages:
        m.close()


def ctypes_address(ptr) -> int:
    import ctypes
    return ctypes.cast(ptr, ctypes.c_void_p).value or 0


@pytest.mark.parametrize("port_name", ["plain_port", "nochunk_port"])
def test_send_raw_with_dot_lines(mail, unique, port_name):
    sender, rcpt = unique("raw-from"), unique("raw-to")
    data = (b"From: <%s>\r\nTo: <%s>\r\nSubject: dots\r\nMessage-ID: <%s>\r\n\r\n"
            % (sender.encode(), rcpt.encode(), rcpt.encode())
            + b".leading dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n. \r\n"
            + b"\xc3\xa9 8-bit line\r\nlast line\r\n")
    with plain_client(mail, port=getattr(mail, port_name)) as client:
        report = client.send_raw(sender, [rcpt], data)
    assert report.ok and report.delivered == [rcpt]
    (raw,) = mail.wait_for_mail(rcpt)
    assert mail.as_sent(raw) == data
    assert mail.sender_of(rcpt) == sender


def test_send_raw_null_sender_single_recipient_and_bare_lf(mail, unique):
    rcpt = unique("raw-bounce")
    with plain_client(mail) as client:
        report = client.send_raw("", rcpt, bytearray(b"Subject: bounce\n\nbare LF body\n"))
    assert report.ok
    (raw,) = mail.wait_for_mail(rcpt)
    assert mail.as_sent(raw) == b"Subject: bounce\r\n\r\nbare LF body\r\n"
    assert mail.sender_of(rcpt) == ""


def test_bad_input_is_refused_and_nothing_is_delivered(mail, unique):
    victim, evil, sentinel = unique("victim"), unique("evil"), unique("sentinel")
    injected = "%s>\r\nRCPT TO:<%s" % (victim, evil)
    log = LogRecorder()
    with plain_client(mail, log=log) as client:
        client.connect()
        before = len(log.sent())
        # NUL: refused in Python, before the library is called.
        with pytest.raises(ValueError) as info:
            client.send_raw(unique("from"), ["%s\0%s" % (victim, evil)], b"Subject: x\r\n\r\nx\r\n")
        assert isinstance(info.value, smtpc.ArgumentError)
        assert info.value.status is Status.ERR_INVALID_ARGUMENT and "NUL" in str(info.value)
        # CR/LF: the library's INVALID_ARGUMENT, before anything is sent.
        for call in (lambda: client.send_raw(unique("from"), [injected], b"Subject: x\r\n\r\nx\r\n"),
                     lambda: client.send_raw("a@example.test>\r\nRCPT TO:<%s" % evil, [victim],
                                             b"Subject: x\r\n\r\nx\r\n"),
                     lambda: client.verify("%s\r\nRCPT TO:<%s>" % (victim, evil)),
                     lambda: client.etrn("example.test\r\nRSET")):
            with pytest.raises(smtpc.ArgumentError) as info:
                call()
            assert info.value.status is Status.ERR_INVALID_ARGUMENT
            assert info.value.message == client.last_error != ""
        with smtpc.Message() as m:
            m.set_from(unique("from")).add_to(victim)
            with pytest.raises(smtpc.ArgumentError):
                m.add_to(injected)
            with pytest.raises(smtpc.ArgumentError):
                m.add_header("X-Test", "x\r\nBcc: %s" % evil)
            with pytest.raises(smtpc.ArgumentError):
                m.subject("x\nBcc: %s" % evil)
        # Nothing of that reached the wire.
        assert log.sent()[before:] == []
        # A message sent afterwards on the same session arrives; the others never did.
        with simple_message(unique("from"), sentinel) as ok:
            assert client.send(ok).ok
    mail.wait_for_mail(sentinel)
    mail.assert_no_mail(victim, evil, wait=0.3)


def test_send_without_recipient_is_argument_error(mail, unique):
    with plain_client(mail) as client, smtpc.Message() as m:
        m.set_from(unique("from")).text("x")
        with pytest.raises(smtpc.ArgumentError) as info:
            client.send(m)
        assert info.value.report is None


def test_log_gets_lines_and_never_the_password(mail, unique):
    log = LogRecorder()
    rcpt = unique("log")
    with plain_client(mail, log=log) as client, simple_message(unique("from"), rcpt) as m:
        client.send(m)
        client.noop()
    assert mail.wait_for_mail(rcpt)
    kinds = {kind for kind, _ in log.lines}
    assert kinds == {LogKind.INFO, LogKind.SENT, LogKind.RECEIVED}
    assert all(isinstance(kind, LogKind) and isinstance(line, str) for kind, line in log.lines)
    sent = log.sent()
    assert any(s.startswith("EHLO ") for s in sent)
    assert any(s.startswith("MAIL FROM:") for s in sent)
    assert "NOOP" in sent and sent[-1] == "QUIT"  # close() sent QUIT
    assert any(line.startswith("235") for kind, line in log.lines if kind == LogKind.RECEIVED)
    assert not any(line.endswith(("\r", "\n")) for _, line in log.lines)
    secrets = [mail.password,
               base64.b64encode(mail.password.encode()).decode(),
               base64.b64encode(b"\0%s\0%s" % (mail.user.encode(), mail.password.encode())).decode(),
               base64.b64encode(b"%s\0%s\0%s" % (mail.user.encode(), mail.user.encode(),
                                                 mail.password.encode())).decode()]
    for kind, line in log.lines:
        for secret in secrets:
            assert secret not in line, (kind, line)


def test_wrong_password_is_auth_error(mail, unique):
    rcpt = unique("wrong-pw")
    wrong = "not-the-password-%s" % rcpt[:8]
    log = LogRecorder()
    with plain_client(mail, credentials=(mail.user, wrong), log=log) as client, \
            simple_message(unique("from"), rcpt) as m:
        with pytest.raises(smtpc.AuthError) as info:
            client.send(m)
    exc = info.value
    assert exc.status is Status.ERR_AUTH_FAILED and exc.reply_code == 535
    assert exc.report is None
    assert wrong not in str(exc) and wrong not in exc.reply_text
    assert not any(wrong in line for _, line in log.lines)
    assert client.last_reply.code == 535  # kept after close
    mail.assert_no_mail(rcpt, wait=0.5)


def test_context_manager_closes_when_the_body_raises(mail, unique):
    log = LogRecorder()
    with pytest.raises(RuntimeError, match="boom"):
        with plain_client(mail, log=log) as client, smtpc.Message() as m:
            client.connect()
            raise RuntimeError("boom")
    assert client.closed and m.closed
    assert log.sent()[-1] == "QUIT"
    with pytest.raises(smtpc.StateError):
        client.noop()
    with pytest.raises(smtpc.StateError):
        m.add_to(unique("x"))


def test_connection_refused_is_network_error():
    import socket
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with smtpc.Client("127.0.0.1", port, tls=TlsMode.NONE, connect_timeout=5) as client:
        with pytest.raises(smtpc.NetworkError) as info:
            client.connect()
    assert info.value.status is Status.ERR_CONNECT
    assert str(port) in info.value.message


def test_commands_and_replies(mail, unique):
    with plain_client(mail) as client:
        reply = client.noop()  # connects on demand
        assert reply == smtpc.Reply(250, "250 2.0.0 Ok", "2.0.0")
        assert client.last_reply == reply and client.has_extension("PIPELINING")
        assert client.reset().code == 250
        assert client.etrn(mail.etrn_domain).code in (250, 251, 252, 253)
        with pytest.raises(smtpc.RejectedError) as info:
            client.etrn("not-served.example.test")
        assert info.value.status is Status.ERR_COMMAND_REJECTED and info.value.reply_code == 459
        try:
            reply = client.verify(mail.user)
            assert reply.code in (250, 251, 252)
        except smtpc.UnsupportedError:
            pass  # VRFY disabled at the server
        assert client.quit().code == 221
        assert not client.has_extension("PIPELINING")
        # A new session after QUIT.
        rcpt = unique("after-quit")
        with simple_message(unique("from"), rcpt) as m:
            assert client.send(m).ok
    mail.wait_for_mail(rcpt)


def test_same_message_many_sends_and_threads(mail, unique):
    rcpt = unique("threads")
    errors = []
    with simple_message(unique("from"), rcpt, subject="shared") as m:
        def worker():
            try:
                with plain_client(mail) as c:
                    assert c.send(m).ok
            except BaseException as exc:  # noqa: B902
                errors.append(exc)
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    copies = mail.wait_for_mail(rcpt, 4)
    assert len({parse(raw)["message-id"] for raw in copies}) == 1


def big_message(sender: str, rcpt: str) -> smtpc.Message:
    return simple_message(sender, rcpt).attach_data(os.urandom(40 * 1024 * 1024), "big.bin")


def test_cancel_from_another_thread(mail, unique):
    rcpt, after = unique("cancelled"), unique("after-cancel")
    started = threading.Event()

    def progress(sent: int, total: int) -> None:
        started.set()
        time.sleep(0.001)  # keep the send slow enough for the canceller

    with plain_client(mail, progress=progress) as client, \
            big_message(unique("from"), rcpt) as m:
        canceller = threading.Thread(target=lambda: started.wait(30) and client.cancel())
        canceller.start()
        with pytest.raises(smtpc.CancelledError) as info:
            client.send(m)
        canceller.join()
        assert info.value.status is Status.ERR_CANCELLED
        # The client is usable again (it reconnects).
        with simple_message(unique("from"), after) as ok:
            assert client.send(ok).ok
    mail.wait_for_mail(after)
    mail.assert_no_mail(rcpt, wait=0.5)


def test_progress_callback_can_cancel_and_its_errors_propagate(mail, unique):
    rcpt1, rcpt2, after = unique("progress-stop"), unique("progress-raise"), unique("after")
    calls = []

    def stop(sent: int, total: int) -> bool:
        calls.append((sent, total))
        return sent > 0

    with plain_client(mail, progress=stop) as client, big_message(unique("from"), rcpt1) as m:
        with pytest.raises(smtpc.CancelledError):
            client.send(m)
    assert calls and all(total >= sent for sent, total in calls)
    assert calls[0][1] > 40 * 1024 * 1024  # base64 makes it bigger

    class Stop(Exception):
        pass

    def fail(sent: int, total: int) -> None:
        raise Stop("from the callback")

    with plain_client(mail, progress=fail) as client, big_message(unique("from"), rcpt2) as m:
        with pytest.raises(Stop) as info:
            client.send(m)
        assert isinstance(info.value.__cause__, smtpc.CancelledError)
        with simple_message(unique("from"), after) as ok:  # still usable
            with pytest.raises(Stop):
                client.send(ok)  # the callback raises again for this one
    mail.assert_no_mail(rcpt1, rcpt2, after, wait=0.5)


def test_log_callback_exception_does_not_cross_c(mail, unique):
    rcpt = unique("log-raise")

    def bad_log(kind: LogKind, line: str) -> None:
        if line.startswith("MAIL FROM"):
            raise KeyError("log failed")

    with plain_client(mail, log=bad_log) as client, simple_message(unique("from"), rcpt) as m:
        with pytest.raises(KeyError):
            client.send(m)
    mail.assert_no_mail(rcpt, wait=0.5)


def test_callbacks_survive_garbage_collection(mail, unique):
    import gc
    seen = []
    rcpt = unique("gc")
    # Only the client refers to these callables and their ctypes wrappers.
    client = plain_client(mail, log=lambda kind, line: seen.append(line),
                          progress=lambda sent, total: None)
    try:
        for _ in range(3):
            gc.collect()
        with simple_message(unique("from"), rcpt) as m:
            assert client.send(m).ok
    finally:
        client.close()
    assert any(line.startswith("MAIL FROM:") for line in seen)
    mail.wait_for_mail(rcpt)


def test_html_inline_image_bcc_reply_to_and_dsn(mail, unique, tmp_path):
    sender, to, bcc, notify_me = unique("from"), unique("html-to"), unique("html-bcc"), unique("r")
    image = tmp_path / "logo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2000))
    log = LogRecorder()
    with plain_client(mail, log=log) as client, smtpc.Message() as m:
        (m.set_from(sender).add_to(to).add_bcc(bcc).set_reply_to(notify_me, "Replies")
          .subject("html").text("plain version\n")
          .html('<p>Hi <img src="cid:logo@example.test"></p>')
          .embed_file(image, "logo@example.test")
          .add_header("X-Mailer-Test", "smtpc-python")
          .set_dsn(smtpc.DsnRet.HDRS, "envid-%s" % to[:12])
          .set_dsn_notify(notify=smtpc.DsnNotify.FAILURE | smtpc.DsnNotify.DELAY)
          .set_dsn_notify(bcc, smtpc.DsnNotify.NEVER))
        report = client.send(m)
    assert report.delivered == [to, bcc]
    mail_from = next(s for s in log.sent() if s.startswith("MAIL FROM:"))
    assert "RET=HDRS" in mail_from and "ENVID=envid-" in mail_from
    rcpts = [s for s in log.sent() if s.startswith("RCPT TO:")]
    assert "NOTIFY=FAILURE,DELAY" in rcpts[0] and "NOTIFY=NEVER" in rcpts[1]
    for who in (to, bcc):
        (raw,) = mail.wait_for_mail(who)
        received = parse(raw)
        assert bcc.encode() not in raw  # Bcc never in a header
        assert str(received["reply-to"]) == "Replies <%s>" % notify_me
        assert received["x-mailer-test"] == "smtpc-python"
        assert received.get_body(("plain",)).get_content() == "plain version\n"
        assert "cid:logo@example.test" in received.get_body(("html",)).get_content()
        inline = [p for p in received.walk() if p["content-id"] == "<logo@example.test>"]
        assert len(inline) == 1 and inline[0].get_content() == image.read_bytes()
        assert inline[0].get_content_type() == "image/png"
