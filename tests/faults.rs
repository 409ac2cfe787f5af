//! Scripted fault servers: what a real server will not do on demand (slow, silent,
//! lying, closing at the worst moment), and what the client must then do — checked
//! on both sides: the client's result and what actually arrived at the server.

mod fault_server;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use fault_server::{assert_elapsed, contains_bytes, ehlo_reply, fails, FaultServer, Script};
use smtpc::{Error, ErrorKind, Report};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FROM: &str = "sender@example.com";
const TO: &str = "rcpt@example.com";
const BODY: &[u8] = b"Subject: test\r\n\r\nHello.\r\n";
/// `BODY` as it must arrive: unchanged, plus the terminator.
const BODY_WIRE: &[u8] = b"Subject: test\r\n\r\nHello.\r\n.\r\n";

fn lines(record: &fault_server::Record) -> Vec<String> {
    record.lines()
}

// ---------------------------------------------------------------------------
// Slow, silent and closing servers
// ---------------------------------------------------------------------------

#[test]
fn reply_written_byte_by_byte_is_parsed_and_data_is_encoded_exactly() {
    let slow = Duration::from_millis(2);
    let server = FaultServer::start(
        Script::new()
            .send_slowly("220 fault.test ESMTP\r\n", slow)
            .expect("EHLO client.test")
            .send_slowly(
                ehlo_reply(&["PIPELINING", "SIZE 100000", "8BITMIME", "HELP"]),
                slow,
            )
            .expect("MAIL FROM:")
            .send_slowly("250 2.1.0 Ok\r\n", slow)
            .expect("RCPT TO:")
            .send_slowly("250 2.1.5 Ok\r\n", slow)
            .expect("DATA")
            .send_slowly("354 go ahead\r\n", slow)
            .expect_data()
            .send_slowly("250 2.0.0 Ok: queued\r\n", slow)
            .quit(),
    );
    let mut client = server.client();
    client.connect().expect("connect");
    for ext in ["PIPELINING", "pipelining", "SIZE", "8BITMIME", "Help"] {
        assert!(client.has_extension(ext), "{ext} not seen");
    }
    assert!(!client.has_extension("STARTTLS"));

    // Bare LF, bare CR, a CR at the very end of a line, leading dots, a line that is
    // only a dot, no final line break.
    let input: &[u8] =
        b"Subject: dots\n\n.leading dot\rbare CR\r\nCRLF line\n..two dots\n.\nend without newline";
    let wire: &[u8] = b"Subject: dots\r\n\r\n..leading dot\r\nbare CR\r\nCRLF line\r\n\
                        ...two dots\r\n..\r\nend without newline\r\n.\r\n";
    let report = client.send_raw(FROM, &[TO], input).expect("send");
    assert_eq!(report.final_code(), 250);
    assert_eq!(report.recipients.len(), 1);
    assert_eq!(report.recipients[0].code, 250);
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    let l = lines(&rec);
    assert_eq!(l[0], "EHLO client.test");
    assert!(
        l[1].starts_with(&format!("MAIL FROM:<{FROM}> SIZE=")),
        "{}",
        l[1]
    );
    assert_eq!(
        l[2..],
        [format!("RCPT TO:<{TO}>"), "DATA".into(), "QUIT".into()]
    );
    assert_eq!(
        rec.messages(),
        vec![wire.to_vec()],
        "data on the wire:\n{}",
        String::from_utf8_lossy(&rec.messages()[0])
    );
}

#[test]
fn silent_server_times_out_on_connect() {
    let server = FaultServer::start(Script::new().read_until_close());
    let mut client = server.client();
    let start = Instant::now();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_elapsed(start, Duration::from_millis(900), Duration::from_secs(5));
    assert!(!client.is_connected());
    assert_eq!(
        client.last_error().map(Error::kind),
        Some(ErrorKind::Timeout)
    );

    let rec = server.join();
    rec.assert_script_done();
    assert!(rec.lines().is_empty(), "{:?}", rec.lines());
    assert!(rec.conns[0].closed_by_client);
}

#[test]
fn server_silent_after_mail_from_times_out() {
    let server = FaultServer::start(
        Script::new()
            .hello(&[])
            .expect("MAIL FROM:")
            .read_until_close(),
    );
    let mut client = server.client();
    client.connect().expect("connect");
    let start = Instant::now();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_elapsed(start, Duration::from_millis(900), Duration::from_secs(5));
    assert!(!client.is_connected());

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1, "not retried");
    assert_eq!(rec.count("RCPT"), 0);
}

#[test]
fn close_after_final_dot_is_unknown_outcome_and_not_retried() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .close(),
    );
    let mut client = server.client();
    client.connect().expect("connect");
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::UnknownOutcome, "{e}");
    assert!(!client.is_connected());
    drop(client);

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(
        rec.messages(),
        vec![BODY_WIRE.to_vec()],
        "sent exactly once"
    );
    assert_eq!(rec.accepted, 1, "no silent retry");
}

#[test]
fn close_in_the_middle_of_data_is_connection_lost() {
    // 32 MiB: far more than the socket buffers hold, so the client is still writing.
    let line = [b'x'; 78];
    let mut body = Vec::with_capacity(32 << 20);
    while body.len() < 32 << 20 {
        body.extend_from_slice(&line);
        body.extend_from_slice(b"\r\n");
    }
    let server = FaultServer::start(
        Script::new()
            .hello(&[])
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("DATA", "354 go ahead")
            .read_bytes(64 * 1024)
            .close(),
    );
    let mut client = server.client();
    let start = Instant::now();
    let e = fails(client.send_raw(FROM, &[TO], &body));
    assert_eq!(e.kind(), ErrorKind::ConnectionLost, "{e}");
    assert_elapsed(start, Duration::ZERO, Duration::from_secs(5));
    assert!(!client.is_connected());

    let rec = server.join();
    rec.assert_script_done();
    assert!(rec.messages().is_empty());
    assert_eq!(rec.accepted, 1, "not retried");
}

#[test]
fn endless_reply_line_fails_fast_with_bounded_reading() {
    const FLOOD: usize = 64 << 20;
    let server = FaultServer::start(Script::new().greet().expect("EHLO").flood("250-", FLOOD));
    let mut client = server.client();
    let start = Instant::now();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(e.message().contains("longer than"), "{e}");
    assert_elapsed(start, Duration::ZERO, Duration::from_secs(3));

    let rec = server.join();
    // The client stopped reading and closed: the server could not write it all.
    assert!(
        rec.conns[0].written < FLOOD as u64,
        "the server wrote {} bytes",
        rec.conns[0].written
    );
}

#[test]
fn reply_with_2000_lines_is_a_protocol_error() {
    let mut reply = String::new();
    for i in 0..1999 {
        reply.push_str(&format!("250-EXTENSION{i}\r\n"));
    }
    reply.push_str("250 LAST\r\n");
    let server = FaultServer::start(
        Script::new()
            .greet()
            .expect("EHLO")
            .send(reply)
            .read_until_close(),
    );
    let mut client = server.client();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(e.message().contains("lines"), "{e}");
    assert!(!client.is_connected());
    let rec = server.join();
    rec.assert_script_done();
}

#[test]
fn slow_reply_within_the_timeout_is_waited_for() {
    // 600 ms of silence before the reply, under a 1 s timeout, is fine.
    let server = FaultServer::start(
        Script::new()
            .hello(&[])
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .sleep(Duration::from_millis(600))
            .send("250 Ok: queued\r\n")
            .quit(),
    );
    let mut client = server.client();
    let report = client.send_raw(FROM, &[TO], BODY).expect("send");
    assert_eq!(report.final_code(), 250);
    client.quit().expect("quit");
    server.join().assert_script_done();
}

#[test]
fn ehlo_refused_falls_back_to_helo_without_pipelining() {
    let server = FaultServer::start(
        Script::new()
            .greet()
            .reply("EHLO client.test", "500 5.5.1 Command unrecognized")
            .reply("HELO client.test", "250 fault.test")
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .send("250 Ok: queued\r\n")
            .quit(),
    );
    let mut client = server.client();
    client.connect().expect("connect");
    assert!(!client.has_extension("PIPELINING"));
    assert!(!client.has_extension("SIZE"));
    let report = client
        .send_raw(FROM, &[TO, "second@example.com"], BODY)
        .expect("send");
    assert_eq!(report.accepted_count(), 2);
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(
        lines(&rec),
        [
            "EHLO client.test",
            "HELO client.test",
            // No SIZE parameter: HELO means no extensions.
            &format!("MAIL FROM:<{FROM}>"),
            &format!("RCPT TO:<{TO}>"),
            "RCPT TO:<second@example.com>",
            "DATA",
            "QUIT",
        ]
    );
    // One command per round trip: nothing was waiting behind any command.
    let pipelined: Vec<_> = rec.conns[0].lines.iter().filter(|l| l.pipelined).collect();
    assert!(pipelined.is_empty(), "{pipelined:?}");
    assert_eq!(rec.messages(), vec![BODY_WIRE.to_vec()]);
}

#[test]
fn http_greeting_is_a_protocol_error_quoting_it() {
    let server = FaultServer::start(
        Script::new()
            .send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .read_until_close(),
    );
    let mut client = server.client();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    let last = client
        .last_error()
        .expect("last_error")
        .message()
        .to_string();
    assert!(last.contains("HTTP/1.1 400 Bad Request"), "{last}");
    let rec = server.join();
    rec.assert_script_done();
    assert!(rec.lines().is_empty(), "no EHLO to a non-SMTP server");
}

#[test]
fn garbage_reply_to_ehlo_is_quoted_sanitised() {
    let server = FaultServer::start(
        Script::new()
            .greet()
            .expect("EHLO")
            .send("hello\x1b[2J\x07 world\r\n")
            .read_until_close(),
    );
    let mut client = server.client();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    let last = client
        .last_error()
        .expect("last_error")
        .message()
        .to_string();
    assert!(last.contains("hello"), "{last}");
    assert!(
        !last.chars().any(char::is_control),
        "control characters in {last:?}"
    );
    server.join().assert_script_done();
}

#[test]
fn greeting_554_is_greeting_rejected_with_its_reply() {
    let server = FaultServer::start(
        Script::new()
            .send("554 5.7.1 No SMTP service here\r\n")
            .reply("QUIT", "221 2.0.0 Bye"),
    );
    let mut client = server.client();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::GreetingRejected, "{e}");
    assert_eq!(e.reply().map(|r| r.code), Some(554));
    // The 554, not the 221 of the QUIT sent afterwards.
    assert_eq!(client.last_reply().map(|r| r.code), Some(554));
    assert!(client.last_error().unwrap().message().contains("554"));
    assert!(!client.is_connected());
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(lines(&rec), ["QUIT"]);
}

// ---------------------------------------------------------------------------
// Refusals: recipients, sender, message
// ---------------------------------------------------------------------------

fn some_recipients_refused(extensions: &[&str]) {
    let server = FaultServer::start(
        Script::new()
            .hello(extensions)
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply("RCPT TO:<a@example.com>", "250 2.1.5 Ok")
            .reply(
                "RCPT TO:<nobody@example.com>",
                "550 5.1.1 <nobody@example.com>: Recipient address rejected",
            )
            .reply("RCPT TO:<full@example.com>", "452 4.2.2 Mailbox full")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .send("250 2.0.0 Ok: queued as ABC\r\n")
            .quit(),
    );
    let mut client = server.client();
    let rcpts = ["a@example.com", "nobody@example.com", "full@example.com"];
    let e = fails(client.send_raw(FROM, &rcpts, BODY));
    assert_eq!(e.kind(), ErrorKind::Partial, "{e}");
    assert!(e.message().contains("nobody@example.com"), "{e}");
    let report: &Report = e.report().expect("report");
    let got: Vec<(&str, u16, &str)> = report
        .recipients
        .iter()
        .map(|r| (r.address.as_str(), r.code, r.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("a@example.com", 250, "2.1.5 Ok"),
            (
                "nobody@example.com",
                550,
                "5.1.1 <nobody@example.com>: Recipient address rejected"
            ),
            ("full@example.com", 452, "4.2.2 Mailbox full"),
        ]
    );
    assert_eq!(report.final_code(), 250);
    assert_eq!(report.final_text(), "2.0.0 Ok: queued as ABC");
    assert!(client.is_connected(), "a partial send keeps the session");
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.messages(), vec![BODY_WIRE.to_vec()], "delivered once");
    // With PIPELINING, RCPT and DATA were already there when MAIL was read.
    let mail = rec.conns[0]
        .lines
        .iter()
        .find(|l| l.text.starts_with("MAIL FROM:"))
        .expect("MAIL");
    assert_eq!(mail.pipelined, !extensions.is_empty(), "{mail:?}");
}

#[test]
fn some_recipients_refused_without_pipelining() {
    some_recipients_refused(&[]);
}

#[test]
fn some_recipients_refused_with_pipelining() {
    some_recipients_refused(&["PIPELINING"]);
}

/// Every recipient refused: no data sent, RSET, and the session sends the next
/// message. With PIPELINING, DATA is in the group and gets `data_reply`.
fn all_recipients_refused(extensions: &[&str], data_reply: Option<&str>) {
    let mut script = Script::new()
        .hello(extensions)
        .reply("MAIL FROM:", "250 2.1.0 Ok")
        .reply_next_prefixed("RCPT TO:", 2, "550 5.1.1 User unknown");
    if let Some(reply) = data_reply {
        script = script.reply("DATA", reply);
    }
    // The next line must be RSET: no message data came after DATA.
    let server = FaultServer::start(script.reply("RSET", "250 2.0.0 Ok").transaction(1).quit());
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &["x@example.com", "y@example.com"], BODY));
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected, "{e}");
    let report = e.report().expect("report");
    assert!(report.recipients.iter().all(|r| r.code == 550));
    assert_eq!(report.final_code(), 0);

    let second = b"Subject: second\r\n\r\nAgain.\r\n";
    client.send_raw(FROM, &[TO], second).expect("second send");
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1);
    let mut wire = second.to_vec();
    wire.extend_from_slice(b".\r\n");
    assert_eq!(rec.messages(), vec![wire], "only the second message's data");
    assert!(
        !contains_bytes(&rec.raw(), b"Hello."),
        "first body never sent"
    );
}

#[test]
fn all_recipients_refused_without_pipelining_sends_no_data() {
    all_recipients_refused(&[], None);
}

#[test]
fn all_recipients_refused_with_pipelining_sends_no_data() {
    all_recipients_refused(
        &["PIPELINING"],
        Some("554 5.5.1 Error: no valid recipients"),
    );
}

#[test]
fn all_recipients_refused_but_354_sends_an_empty_message_only() {
    // A pipelining server that answers 354 although no recipient was accepted.
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "550 5.1.1 User unknown")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .send("554 5.5.1 Error: no valid recipients\r\n")
            .reply("RSET", "250 Ok")
            .quit(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected, "{e}");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(
        rec.messages(),
        vec![b".\r\n".to_vec()],
        "empty message only"
    );
}

fn sender_refused(extensions: &[&str], pipelined_replies: bool) {
    let mut script = Script::new()
        .hello(extensions)
        .reply("MAIL FROM:", "550 5.7.1 Sender rejected");
    if pipelined_replies {
        // RCPT and DATA of the group.
        script = script.reply_next(2, "503 5.5.1 Error: need MAIL command");
    }
    let server = FaultServer::start(
        script
            .reply("RSET", "250 2.0.0 Ok")
            .reply("NOOP", "250 2.0.0 Ok")
            .quit(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::SenderRejected, "{e}");
    assert_eq!(e.reply().map(|r| r.code), Some(550));
    assert_eq!(client.last_reply().map(|r| r.code), Some(550));
    client.noop().expect("session reusable");
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    let mut expected = vec![
        "EHLO client.test".to_string(),
        format!("MAIL FROM:<{FROM}>"),
    ];
    if pipelined_replies {
        expected.extend([format!("RCPT TO:<{TO}>"), "DATA".to_string()]);
    }
    expected.extend(["RSET", "NOOP", "QUIT"].map(String::from));
    assert_eq!(lines(&rec), expected);
    assert!(rec.messages().is_empty());
    assert!(!contains_bytes(&rec.raw(), b"Hello."));
}

#[test]
fn sender_refused_without_pipelining() {
    sender_refused(&[], false);
}

#[test]
fn sender_refused_with_pipelining() {
    sender_refused(&["PIPELINING"], true);
}

fn final_reply_refuses(reply: &str, kind: ErrorKind) {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .send(format!("{reply}\r\n"))
            .quit(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), kind, "{e}");
    let code: u16 = reply[..3].parse().unwrap();
    assert_eq!(e.report().map(|r| r.final_code()), Some(code));
    assert_eq!(client.last_reply().map(|r| r.code), Some(code));
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.messages().len(), 1);
}

#[test]
fn final_552_is_message_too_big() {
    final_reply_refuses(
        "552 5.3.4 Message size exceeds fixed limit",
        ErrorKind::MessageTooBig,
    );
}

#[test]
fn final_554_is_message_rejected() {
    final_reply_refuses(
        "554 5.7.1 Spam message rejected",
        ErrorKind::MessageRejected,
    );
}

#[test]
fn message_over_size_limit_is_refused_before_mail_from() {
    let server = FaultServer::start(Script::new().hello(&["SIZE 1000"]).quit());
    let mut client = server.client();
    client.connect().expect("connect");
    let body = vec![b'a'; 5000];
    let e = fails(client.send_raw(FROM, &[TO], &body));
    assert_eq!(e.kind(), ErrorKind::MessageTooBig, "{e}");
    assert!(e.message().contains("1000"), "{e}");
    assert!(client.is_connected(), "nothing was sent; the session stays");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(lines(&rec), ["EHLO client.test", "QUIT"]);
}

// ---------------------------------------------------------------------------
// Sessions: reuse, reconnect, cancel, progress
// ---------------------------------------------------------------------------

#[test]
fn three_messages_share_one_connection() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .transaction(1)
            .transaction(1)
            .transaction(1)
            .quit(),
    );
    let mut client = server.client();
    let bodies: Vec<Vec<u8>> = (1..=3)
        .map(|i| format!("Subject: {i}\r\n\r\nMessage {i}\r\n").into_bytes())
        .collect();
    for body in &bodies {
        client.send_raw(FROM, &[TO], body).expect("send");
    }
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1);
    assert_eq!(rec.count("EHLO"), 1);
    assert_eq!(rec.count("MAIL FROM:"), 3);
    let expected: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| [b.as_slice(), b".\r\n"].concat())
        .collect();
    assert_eq!(rec.messages(), expected);
}

/// Collects the client's log lines.
fn capture_log(client: &mut smtpc::Client) -> Arc<Mutex<Vec<String>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    client.set_log_callback(Some(Box::new(move |_, line: &str| {
        sink.lock().unwrap().push(line.to_string())
    })));
    log
}

/// The server ends the idle session after the first message (`goodbye` is sent
/// first, if any); the second send reconnects once.
fn idle_session_closed_reconnects(extensions: &[&str], goodbye: Option<&str>) {
    let mut script = Script::new().hello(extensions).transaction(1);
    if let Some(goodbye) = goodbye {
        script = script.send(goodbye);
    }
    let server = FaultServer::start(
        script
            .close()
            .accept()
            .hello(extensions)
            .transaction(1)
            .quit(),
    );
    let mut client = server.client();
    let log = capture_log(&mut client);
    client.send_raw(FROM, &[TO], BODY).expect("first send");
    // Let the close arrive, as it would for a session idle for minutes.
    std::thread::sleep(Duration::from_millis(100));
    client.send_raw(FROM, &[TO], BODY).expect("second send");
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 2);
    assert_eq!(rec.conns[0].data, vec![BODY_WIRE.to_vec()]);
    assert_eq!(rec.conns[1].data, vec![BODY_WIRE.to_vec()]);
    let log = log.lock().unwrap();
    assert!(
        log.iter().any(|l| l.contains("reconnecting")),
        "the reconnect is logged: {log:?}"
    );
}

#[test]
fn idle_session_closed_by_server_reconnects_once() {
    idle_session_closed_reconnects(&[], None);
}

#[test]
fn idle_session_421_reconnects_once() {
    idle_session_closed_reconnects(
        &["PIPELINING"],
        Some("421 4.4.2 fault.test Error: timeout exceeded\r\n"),
    );
}

#[test]
fn failure_after_reconnect_is_reported_not_retried() {
    let server = FaultServer::start(
        Script::new()
            .hello(&[])
            .transaction(1)
            .close()
            .accept()
            .hello(&[])
            .expect("MAIL FROM:")
            .close(),
    );
    let mut client = server.client();
    client.send_raw(FROM, &[TO], BODY).expect("first send");
    std::thread::sleep(Duration::from_millis(100));
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::ConnectionLost, "{e}");
    assert!(!client.is_connected());
    drop(client);

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 2, "one reconnect, no more");
    assert_eq!(rec.messages().len(), 1);
}

/// A cancel once the whole message is at the server: the message may have been
/// delivered, so the outcome is UNKNOWN_OUTCOME, never CANCELLED (a caller that
/// retries on CANCELLED would send it twice). The contract changed here (issue 9,
/// defect 9); before, this test expected CANCELLED.
#[test]
fn cancel_while_server_stalls_after_data() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .read_until_close(),
    );
    let mut client = server.client();
    client
        .set_timeouts(Duration::from_secs(2), Duration::from_secs(10))
        .unwrap();
    let cancel = client.cancel_handle();
    let start = Instant::now();
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            // Cancel once the whole message is at the server.
            if server.wait_for(Duration::from_secs(5), |r| !r.messages().is_empty()) {
                std::thread::sleep(Duration::from_millis(50));
            }
            cancel.cancel();
        });
        client.send_raw(FROM, &[TO], BODY)
    });
    let e = fails(result);
    assert_eq!(e.kind(), ErrorKind::UnknownOutcome, "{e}");
    assert!(
        e.report().is_some(),
        "the report says which recipients were accepted"
    );
    assert_elapsed(start, Duration::ZERO, Duration::from_secs(3));
    assert!(!client.is_connected());

    let rec = server.join();
    rec.assert_script_done();
    assert!(rec.conns[0].closed_by_client, "the connection was closed");
}

#[test]
fn cancel_while_server_stalls_before_data() {
    let server = FaultServer::start(
        Script::new()
            .hello(&[])
            .expect("MAIL FROM:")
            .read_until_close(),
    );
    let mut client = server.client();
    client
        .set_timeouts(Duration::from_secs(2), Duration::from_secs(10))
        .unwrap();
    // A reused session: the lost connection must not trigger the one reconnect.
    client.connect().expect("connect");
    let cancel = client.cancel_handle();
    let start = Instant::now();
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            server.wait_for(Duration::from_secs(5), |r| r.saw("MAIL FROM:"));
            std::thread::sleep(Duration::from_millis(50));
            cancel.cancel();
        });
        client.send_raw(FROM, &[TO], BODY)
    });
    let e = fails(result);
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert_elapsed(start, Duration::ZERO, Duration::from_secs(3));
    assert!(!client.is_connected());

    let rec = server.join();
    rec.assert_script_done();
    assert!(rec.conns[0].closed_by_client);
    assert_eq!(rec.accepted, 1, "a cancel is not retried");
}

/// A body of `len` bytes: short lines, no dots, so its wire form is itself.
fn plain_body(len: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(len);
    while body.len() < len {
        body.extend_from_slice(b"0123456789abcdefghijklmnopqrstuvwxyz\r\n");
    }
    body.truncate(len - 2);
    body.extend_from_slice(b"\r\n");
    body
}

#[test]
fn progress_reports_increasing_bytes_up_to_the_total() {
    let server = FaultServer::start(Script::new().hello(&[]).transaction(1).quit());
    let mut client = server.client();
    let calls = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
    let sink = calls.clone();
    client.set_progress_callback(Some(Box::new(move |sent, total| {
        sink.lock().unwrap().push((sent, total));
        false
    })));
    let body = plain_body(300_000);
    client.send_raw(FROM, &[TO], &body).expect("send");
    client.quit().expect("quit");

    let calls = calls.lock().unwrap().clone();
    let total = body.len() as u64;
    assert!(calls.len() >= 3, "{calls:?}");
    assert!(calls.iter().all(|&(_, t)| t == total), "{calls:?}");
    assert!(
        calls.windows(2).all(|w| w[0].0 < w[1].0),
        "strictly increasing: {calls:?}"
    );
    assert_eq!(calls.last(), Some(&(total, total)));

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.messages(), vec![[body.as_slice(), b".\r\n"].concat()]);
}

#[test]
fn progress_callback_cancel_closes_without_terminator() {
    let server = FaultServer::start(
        Script::new()
            .hello(&[])
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("DATA", "354 go ahead")
            .read_until_close(),
    );
    let mut client = server.client();
    client.set_progress_callback(Some(Box::new(|sent, _| sent >= 128 * 1024)));
    let body = plain_body(1 << 20);
    let e = fails(client.send_raw(FROM, &[TO], &body));
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(!client.is_connected());
    drop(client);

    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    assert!(conn.closed_by_client);
    let data = conn.bytes_after_data();
    assert!(data.len() < body.len(), "only part of the message was sent");
    assert!(
        !contains_bytes(data, b"\r\n.\r\n"),
        "no terminator: nothing is delivered"
    );
    assert_eq!(rec.accepted, 1);
}

// ---------------------------------------------------------------------------
// AUTH without TLS (SMTPC_TLS_NONE)
// ---------------------------------------------------------------------------

const USER: &str = "jörg@exämple.com";
const PASSWORD: &str = "pässwörd €uro";

/// The base64 argument of the AUTH line (the text after `prefix`).
fn decode_after(line: &str, prefix: &str) -> Vec<u8> {
    let arg = line
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"));
    B64.decode(arg)
        .unwrap_or_else(|e| panic!("{arg:?} not base64: {e}"))
}

#[test]
fn auth_plain_initial_response() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["AUTH PLAIN LOGIN"])
            .reply("AUTH PLAIN ", "235 2.7.0 Authentication successful")
            .quit(),
    );
    let mut client = server.client();
    client.set_credentials(USER, PASSWORD).unwrap();
    client.connect().expect("connect");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    let l = lines(&rec);
    let expected = format!("\0{USER}\0{PASSWORD}");
    assert_eq!(decode_after(&l[1], "AUTH PLAIN "), expected.as_bytes());
}

#[test]
fn auth_login_when_only_login_offered() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["AUTH LOGIN"])
            .reply("AUTH LOGIN", "334 VXNlcm5hbWU6")
            .reply("", "334 UGFzc3dvcmQ6")
            .reply("", "235 2.7.0 Authentication successful")
            .quit(),
    );
    let mut client = server.client();
    client.set_credentials(USER, PASSWORD).unwrap();
    client.connect().expect("connect");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    let l = lines(&rec);
    assert_eq!(l[1], "AUTH LOGIN", "no initial response");
    assert_eq!(B64.decode(&l[2]).unwrap(), USER.as_bytes());
    assert_eq!(B64.decode(&l[3]).unwrap(), PASSWORD.as_bytes());
}

#[test]
fn auth_cram_md5_preferred_without_tls() {
    use hmac::{Hmac, Mac};
    let challenge = "<1896.697170952@fault.test>";
    let server = FaultServer::start(
        Script::new()
            .hello(&["AUTH PLAIN LOGIN CRAM-MD5"])
            .reply("AUTH CRAM-MD5", &format!("334 {}", B64.encode(challenge)))
            .reply("", "235 2.7.0 Authentication successful")
            .quit(),
    );
    let mut client = server.client();
    client.set_credentials(USER, PASSWORD).unwrap();
    client.connect().expect("connect");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();

    let mut mac = Hmac::<md5::Md5>::new_from_slice(PASSWORD.as_bytes()).unwrap();
    mac.update(challenge.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let l = lines(&rec);
    assert_eq!(l[1], "AUTH CRAM-MD5");
    let response = String::from_utf8(B64.decode(&l[2]).unwrap()).unwrap();
    assert_eq!(response, format!("{USER} {hex}"));
    // The password itself never went over the wire.
    let raw = rec.raw();
    assert!(!contains_bytes(&raw, PASSWORD.as_bytes()));
    assert!(!contains_bytes(&raw, B64.encode(PASSWORD).as_bytes()));
}

#[test]
fn auth_xoauth2_with_token() {
    let token = "ya29.a0AfH6SM-test_token";
    let server = FaultServer::start(
        Script::new()
            .hello(&["AUTH PLAIN XOAUTH2"])
            .reply("AUTH XOAUTH2 ", "235 2.7.0 Accepted")
            .quit(),
    );
    let mut client = server.client();
    client.set_oauth2_token("user@example.com", token).unwrap();
    client.connect().expect("connect");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    let expected = format!("user=user@example.com\x01auth=Bearer {token}\x01\x01");
    assert_eq!(
        decode_after(&lines(&rec)[1], "AUTH XOAUTH2 "),
        expected.as_bytes()
    );
}

#[test]
fn auth_535_is_auth_failed() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["AUTH PLAIN"])
            .reply("AUTH PLAIN ", "535 5.7.8 Error: authentication failed")
            .read_until_close(),
    );
    let mut client = server.client();
    client.set_credentials(USER, PASSWORD).unwrap();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::AuthFailed, "{e}");
    assert_eq!(e.reply().map(|r| r.code), Some(535));
    let last = client.last_reply().expect("last reply");
    assert_eq!(last.code, 535);
    assert!(last.text().contains("authentication failed"));
    assert!(!client.is_connected());
    let rec = server.join();
    rec.assert_script_done();
    assert!(!rec.saw("MAIL"));
}

#[test]
fn auth_no_mechanism_in_common_lists_the_servers() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["AUTH GSSAPI NTLM"])
            .read_until_close(),
    );
    let mut client = server.client();
    client.set_credentials(USER, PASSWORD).unwrap();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::AuthUnavailable, "{e}");
    assert!(e.message().contains("GSSAPI NTLM"), "{e}");
    let rec = server.join();
    rec.assert_script_done();
    assert!(!rec.saw("AUTH"));
}

#[test]
fn auth_not_advertised_is_auth_unavailable() {
    let server = FaultServer::start(Script::new().hello(&["PIPELINING"]).read_until_close());
    let mut client = server.client();
    client.set_credentials(USER, PASSWORD).unwrap();
    let e = fails(client.connect());
    assert_eq!(e.kind(), ErrorKind::AuthUnavailable, "{e}");
    let rec = server.join();
    rec.assert_script_done();
    assert!(!rec.saw("AUTH"));
    assert!(!rec.saw("MAIL"));
}

// ---------------------------------------------------------------------------
// Injection, VRFY, NOOP, RSET, QUIT
// ---------------------------------------------------------------------------

#[test]
fn crlf_injection_is_refused_before_anything_is_sent() {
    let server = FaultServer::start(Script::new().hello(&["PIPELINING"]).quit());
    let mut client = server.client();
    client.connect().expect("connect");
    let evil = "a@b\r\nRCPT TO:<evil@x>";
    let e = fails(client.send_raw(FROM, &[evil], BODY));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = fails(client.send_raw(FROM, &[TO, "a@b\nRCPT TO:<evil@x>"], BODY));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = fails(client.send_raw("a@b>\r\nRCPT TO:<evil@x", &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let e = fails(client.verify("x\r\nRCPT TO:<evil@x>"));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(
        client.is_connected(),
        "refused arguments do not end the session"
    );
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(lines(&rec), ["EHLO client.test", "QUIT"]);
    assert!(!contains_bytes(&rec.raw(), b"evil"));
}

#[test]
fn vrfy_noop_rset_quit() {
    let server = FaultServer::start(
        Script::new()
            .hello(&[])
            .reply(
                "VRFY postmaster",
                "252 2.0.0 Cannot VRFY user, but will accept message",
            )
            .reply(
                "VRFY nobody@example.com",
                "550 5.1.1 <nobody@example.com>: Recipient address rejected",
            )
            .reply("VRFY x@example.com", "502 5.5.1 VRFY command is disabled")
            .reply("NOOP", "250 2.0.0 Ok")
            .reply("RSET", "250 2.0.0 Ok")
            .quit(),
    );
    let mut client = server.client();
    let reply = client.verify("postmaster").expect("252 is success");
    assert_eq!(reply.code, 252);
    let e = fails(client.verify("nobody@example.com"));
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected, "{e}");
    assert_eq!(e.reply().map(|r| r.code), Some(550));
    let e = fails(client.verify("x@example.com"));
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert_eq!(client.last_reply().map(|r| r.code), Some(502));
    client.noop().expect("noop");
    client.reset().expect("rset");
    assert!(client.is_connected());
    client.quit().expect("quit");
    assert!(!client.is_connected());
    client.quit().expect("quit when not connected does nothing");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(
        lines(&rec),
        [
            "EHLO client.test",
            "VRFY postmaster",
            "VRFY nobody@example.com",
            "VRFY x@example.com",
            "NOOP",
            "RSET",
            "QUIT",
        ]
    );
    assert_eq!(rec.accepted, 1);
}

/// With PIPELINING, a long recipient list goes out in groups of 100 RCPTs, each
/// group's replies read before the next is written (no socket-buffer deadlock), and
/// every recipient still gets its own result.
/// 250 recipients: never more than 100 commands await their replies (a window:
/// more go as replies come in), so the server's unread replies stay bounded and the
/// two sides cannot deadlock on full buffers. (Before the session issue the client
/// sent stop-and-wait groups of 100 RCPTs, and this test checked that the 100th and
/// 200th RCPT ended a group; the bound is the contract, the groups were not.)
#[test]
fn pipelined_recipients_stay_within_a_bounded_window() {
    let server = FaultServer::start(Script::new().hello(&["PIPELINING"]).transaction(250).quit());
    let mut client = server.client();
    let recipients: Vec<String> = (0..250).map(|i| format!("r{i}@example.com")).collect();
    let refs: Vec<&str> = recipients.iter().map(String::as_str).collect();
    let report = client.send_raw(FROM, &refs, BODY).expect("send");
    assert_eq!(report.recipients.len(), 250);
    assert_eq!(report.accepted_count(), 250);
    assert_eq!(report.recipients[249].address, "r249@example.com");
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.messages(), vec![BODY_WIRE.to_vec()]);
    let lines = &rec.conns[0].lines;
    let rcpt: Vec<_> = lines
        .iter()
        .filter(|l| l.text.starts_with("RCPT TO:"))
        .collect();
    assert_eq!(rcpt.len(), 250);
    let most = lines.iter().map(|l| l.lines_behind).max().unwrap();
    // The line being read plus those behind it were all sent unanswered.
    assert!(
        most < 100,
        "{most} commands behind one that was not answered yet"
    );
    assert!(most >= 50, "pipelined at all: {most}");
    let mail = lines.iter().find(|l| l.text.starts_with("MAIL FROM:"));
    assert!(
        mail.expect("MAIL seen").pipelined,
        "MAIL goes with the first RCPTs"
    );
}

/// An attachment that shrinks while it is being sent: the client aborts by closing
/// the connection instead of ending the data, so no truncated mail is delivered,
/// the error (File) names the file, and it carries the report of the recipients
/// the server had been given (one accepted, one refused).
#[test]
fn attachment_failing_mid_send_aborts_without_terminator() {
    let path = std::env::temp_dir().join(format!(
        "smtpc-shrinking-{}-{:?}.bin",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, vec![0xA5u8; 2 << 20]).expect("write attachment");
    let mut message = smtpc::Message::new();
    message.set_from(None, FROM).unwrap();
    message.add_to(None, TO).unwrap();
    message.add_cc(None, "refused@example.org").unwrap();
    message.set_text("see attachment").unwrap();
    message.attach_file(&path, None, None).unwrap();

    let server = FaultServer::start(
        Script::new()
            .hello(&[])
            .reply("MAIL FROM:", "250 Ok")
            .reply("RCPT TO:", "250 Ok")
            .reply("RCPT TO:", "550 5.1.1 No such user")
            .reply("DATA", "354 go ahead")
            .read_until_close(),
    );
    let mut client = server.client();
    let to_truncate = path.clone();
    client.set_progress_callback(Some(Box::new(move |sent, _| {
        if sent > 256 * 1024 {
            // Shrink the file under the running send (like a log rotated away).
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&to_truncate)
                .expect("open for truncation");
            f.set_len(1000).expect("truncate");
        }
        false
    })));
    let e = fails(client.send(&message));
    std::fs::remove_file(&path).ok();
    assert_eq!(e.kind(), ErrorKind::File, "{e}");
    assert!(e.message().contains(&path.display().to_string()), "{e}");
    assert!(!client.is_connected());
    let report = e.report().expect("RCPT TO went to the server: a report");
    let fates: Vec<(&str, u16, Option<ErrorKind>)> = report
        .recipients
        .iter()
        .map(|r| (r.address.as_str(), r.code, r.failure))
        .collect();
    assert_eq!(
        fates,
        [
            (TO, 250, Some(ErrorKind::File)),
            (
                "refused@example.org",
                550,
                Some(ErrorKind::RecipientsRejected)
            ),
        ],
        "the accepted recipient failed with the file, the refused one with its 550"
    );
    assert_eq!(report.final_code(), 0, "no reply to the data");
    drop(client);

    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    assert!(conn.closed_by_client);
    let data = conn.bytes_after_data();
    assert!(
        !data.is_empty(),
        "part of the message was sent before the failure"
    );
    assert!(
        !contains_bytes(data, b"\r\n.\r\n"),
        "no terminator: nothing is delivered"
    );
}

/// A server that trickles its reply a byte at a time, each byte well within the
/// timeout: the whole reply must still arrive within the I/O timeout, so the
/// client gives up after about 1 s instead of waiting for the whole line.
#[test]
fn trickled_reply_is_bounded_by_the_timeout() {
    let server = FaultServer::start(Script::new().hello(&[]).expect("MAIL FROM:").send_slowly(
        "250 2.1.0 Ok, this reply takes 300 ms per byte to arrive\r\n",
        Duration::from_millis(300),
    ));
    let mut client = server.client();
    let start = Instant::now();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_elapsed(start, Duration::from_millis(900), Duration::from_secs(3));
    drop(client);
    drop(server);
}
