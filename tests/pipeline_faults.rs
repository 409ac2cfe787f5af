//! Scripted fault servers for what pipelining makes possible and hard: commands
//! and data sharing one write, BDAT chunks streaming ahead of their replies,
//! replies arriving all at once or a byte at a time, replies that are out of step
//! with the commands, recipients deferred with 452, and batches failing half-way.
//! Each test checks both sides: the client's result and what arrived at the server.

mod fault_server;

use fault_server::{contains_bytes, fails, Chunk, Conn, FaultServer, Record, Script};
use smtpc::{ErrorKind, Message, Report, TlsMode};
use std::time::Duration;

const FROM: &str = "sender@example.com";
const TO: &str = "rcpt@example.com";
const BODY: &[u8] = b"Subject: test\r\n\r\nHello.\r\n";
/// `BODY` as it must arrive with DATA: unchanged, plus the terminator.
const BODY_WIRE: &[u8] = b"Subject: test\r\n\r\nHello.\r\n.\r\n";
/// The BDAT chunk size of the library (128 KiB).
const CHUNK: usize = 128 * 1024;
/// At most this many RCPT/BDAT commands go in one pipelined group.
const GROUP: usize = 100;
/// How long the server waits to prove that the client waits for a reply.
const SILENCE: Duration = Duration::from_millis(150);

/// A body of `len` bytes of short CRLF lines, no dots, whose last line has no line
/// break: its wire form is the body plus CRLF.
fn body_without_final_newline(len: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(len);
    while body.len() < len {
        body.extend_from_slice(b"0123456789abcdefghijklmnopqrstuvwxyz\r\n");
    }
    body.truncate(len);
    // End inside a line: replace a final CR or CRLF with ordinary bytes.
    for i in [len - 2, len - 1] {
        if matches!(body[i], b'\r' | b'\n') {
            body[i] = b'x';
        }
    }
    body
}

/// Asserts two byte strings are equal, describing a difference briefly (large
/// bodies are not printed).
fn assert_same_bytes(got: &[u8], want: &[u8], what: &str) {
    if got == want {
        return;
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let around = |b: &[u8]| {
        String::from_utf8_lossy(&b[at.saturating_sub(20)..(at + 20).min(b.len())]).into_owned()
    };
    panic!(
        "{what}: {} bytes, expected {}; first difference at {at}: {:?} vs {:?}",
        got.len(),
        want.len(),
        around(got),
        around(want)
    );
}

/// Asserts the server received exactly these messages.
fn assert_messages(rec: &Record, want: &[&[u8]]) {
    let got = rec.messages();
    assert_eq!(got.len(), want.len(), "number of messages received");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_same_bytes(g, w, &format!("message {}", i + 1));
    }
}

/// The line of `conn` with exactly this text.
fn line<'a>(conn: &'a Conn, text: &str) -> &'a fault_server::Line {
    conn.lines
        .iter()
        .find(|l| l.text == text)
        .unwrap_or_else(|| panic!("no line {text:?} in {:?}", conn.texts()))
}

/// The first line of `conn` starting with `prefix`.
fn line_starting<'a>(conn: &'a Conn, prefix: &str) -> &'a fault_server::Line {
    conn.lines
        .iter()
        .find(|l| l.text.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in {:?}", conn.texts()))
}

/// How often `needle` occurs in `haystack`.
fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// A built message to `to` with a subject and text naming `n`.
fn message(n: &str, to: &str) -> Message {
    let mut m = Message::new();
    m.set_from(None, FROM).unwrap();
    m.add_to(None, to).unwrap();
    m.set_subject(&format!("message {n}")).unwrap();
    m.set_text(&format!("This is message {n}.")).unwrap();
    m
}

fn rcpt_line(address: &str) -> String {
    format!("RCPT TO:<{address}>")
}

fn mail_line() -> String {
    format!("MAIL FROM:<{FROM}>")
}

// ---------------------------------------------------------------------------
// BDAT (CHUNKING)
// ---------------------------------------------------------------------------

/// A body of exactly `len` bytes (a multiple of 64) of 64-byte CRLF lines, no dots:
/// its wire form with BDAT is the body itself.
fn crlf_lines(len: usize) -> Vec<u8> {
    assert_eq!(len % 64, 0);
    let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n";
    assert_eq!(line.len(), 64);
    line.repeat(len / 64)
}

/// Every byte `conn` received is one of its command lines (with CRLF) or chunk data.
fn assert_every_byte_accounted_for(conn: &Conn) {
    let lines: usize = conn.lines.iter().map(|l| l.text.len() + 2).sum();
    let chunks: usize = conn.chunks.iter().map(|c| c.size).sum();
    assert_eq!(
        conn.raw.len(),
        lines + chunks,
        "bytes received vs. command lines and declared chunk sizes: {:?}",
        conn.texts()
    );
}

#[test]
fn bdat_small_message_goes_in_one_write_byte_for_byte() {
    // The server reads MAIL, RCPT and the whole chunk before it answers anything:
    // they must have come without waiting for a reply.
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .expect("MAIL FROM:")
            .expect("RCPT TO:")
            .expect_bdat()
            .send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued\r\n")
            .quit(),
    );
    // Bare LF, bare CR, CRLF, lines starting with dots, no final line break.
    let input: &[u8] = b"Subject: x\n\n.dot\nbare CR\rCRLF\r\n..two\n.\nend";
    let wire: &[u8] = b"Subject: x\r\n\r\n.dot\r\nbare CR\r\nCRLF\r\n..two\r\n.\r\nend\r\n";
    let mut client = server.client();
    let report = client.send_raw(FROM, &[TO], input).expect("send");
    assert_eq!(report.final_text(), "2.0.0 Ok: queued");
    assert_eq!(report.recipients.len(), 1);
    assert!(report.recipients[0].delivered());
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    let mut want = format!(
        "EHLO client.test\r\n{}\r\n{}\r\nBDAT {} LAST\r\n",
        mail_line(),
        rcpt_line(TO),
        wire.len()
    )
    .into_bytes();
    want.extend_from_slice(wire);
    want.extend_from_slice(b"QUIT\r\n");
    assert_same_bytes(&conn.raw, &want, "bytes received");
    assert!(line(conn, &mail_line()).pipelined);
    assert!(line(conn, &rcpt_line(TO)).pipelined);
    assert_eq!(
        conn.chunks,
        [Chunk {
            size: wire.len(),
            last: true,
            pipelined: false
        }]
    );
    assert_messages(&rec, &[wire]);
    assert_eq!(rec.accepted, 1);
}

#[test]
fn bdat_large_message_waits_for_rcpt_replies_then_streams_exact_chunks() {
    let body = body_without_final_newline(300_000);
    let mut wire = body.clone();
    wire.extend_from_slice(b"\r\n");
    let rest = wire.len() - 2 * CHUNK;
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .expect("MAIL FROM:")
            .expect("RCPT TO:")
            // No chunk before the RCPT reply: the body does not fit in one chunk.
            .expect_silence(SILENCE)
            .send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n")
            .reply_bdat("250 2.0.0 chunk 1 Ok")
            .reply_bdat("250 2.0.0 chunk 2 Ok")
            .reply_bdat("250 2.0.0 Ok: queued")
            .quit(),
    );
    let mut client = server.client();
    let report = client.send_raw(FROM, &[TO], &body).expect("send");
    assert_eq!(report.final_text(), "2.0.0 Ok: queued");
    assert!(report.recipients[0].delivered());
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    assert_eq!(
        rec.lines()[1..],
        [
            mail_line(),
            rcpt_line(TO),
            format!("BDAT {CHUNK}"),
            format!("BDAT {CHUNK}"),
            format!("BDAT {rest} LAST"),
            "QUIT".into()
        ]
    );
    assert!(line(conn, &mail_line()).pipelined, "MAIL and RCPT together");
    assert!(
        !line(conn, &rcpt_line(TO)).pipelined,
        "nothing behind RCPT before its reply"
    );
    let sizes: Vec<(usize, bool)> = conn.chunks.iter().map(|c| (c.size, c.last)).collect();
    assert_eq!(sizes, [(CHUNK, false), (CHUNK, false), (rest, true)]);
    assert_messages(&rec, &[&wire]);
    assert_every_byte_accounted_for(conn);
}

#[test]
fn bdat_chunk_refused_then_rset_and_the_session_goes_on() {
    let body = body_without_final_newline(2 * CHUNK + 1000);
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply("RCPT TO:", "250 2.1.5 Ok")
            .reply_bdat("552 5.3.4 Message size exceeds fixed limit")
            // The chunks already in flight when the client read the 552.
            .reply_bdats_until("503 5.5.1 Error: bad sequence of commands", "RSET")
            .send("250 2.0.0 Ok\r\n")
            .bdat_transaction(1)
            .quit(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &[TO], &body));
    assert_eq!(e.kind(), ErrorKind::MessageTooBig, "{e}");
    let reply = e.reply().expect("the refusal");
    assert_eq!(reply.code, 552);
    assert_eq!(reply.text(), "5.3.4 Message size exceeds fixed limit");
    assert!(
        client.is_connected(),
        "the session survives a refused chunk"
    );
    let report = client.send_raw(FROM, &[TO], BODY).expect("second message");
    assert_eq!(report.final_text(), "2.0.0 Ok: queued");
    assert!(report.recipients[0].delivered());
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1, "the same connection");
    let conn = &rec.conns[0];
    let texts = conn.texts();
    let rset = texts.iter().position(|l| l == "RSET").expect("RSET");
    assert_eq!(texts[1..3], [mail_line(), rcpt_line(TO)]);
    // The first chunk, then whatever was in flight (at most the other two).
    let first: Vec<&Chunk> = conn.chunks.iter().take(rset - 3).collect();
    assert!((1..=3).contains(&first.len()), "{texts:?}");
    assert!(texts[3..rset].iter().all(|l| l.starts_with("BDAT ")));
    assert_eq!(texts[3], format!("BDAT {CHUNK}"));
    assert_eq!((first[0].size, first[0].last), (CHUNK, false));
    assert_eq!(
        texts[rset + 1..],
        [
            mail_line(),
            rcpt_line(TO),
            format!("BDAT {} LAST", BODY.len()),
            "QUIT".into()
        ]
    );
    // The second message arrived as one chunk, after the RSET.
    let last = conn.chunks.last().expect("chunks");
    assert_eq!((last.size, last.last), (BODY.len(), true));
    let first_completed = first.iter().any(|c| c.last);
    let messages = rec.messages();
    assert_eq!(messages.len(), 1 + usize::from(first_completed));
    assert_same_bytes(messages.last().unwrap(), BODY, "second message");
    assert_every_byte_accounted_for(conn);
}

#[test]
fn bdat_chunk_refused_early_stops_the_stream() {
    // 256 chunks of 64-byte lines: 32 MiB.
    let body = crlf_lines(256 * CHUNK);
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply("RCPT TO:", "250 2.1.5 Ok")
            .reply_bdat("552 5.3.4 Message size exceeds fixed limit")
            .reply_bdats_until("503 5.5.1 Error: bad sequence of commands", "RSET")
            .send("250 2.0.0 Ok\r\n")
            .quit(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &[TO], &body));
    assert_eq!(e.kind(), ErrorKind::MessageTooBig, "{e}");
    assert_eq!(e.reply().map(|r| r.code), Some(552));
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    let n = conn.chunks.len();
    assert!((1..GROUP).contains(&n), "{n} chunks sent");
    assert!(conn.chunks.iter().all(|c| !c.last), "no LAST chunk");
    assert!(conn.chunks.iter().all(|c| c.size == CHUNK));
    assert_eq!(rec.count("BDAT"), n);
    assert!(rec.messages().is_empty());
    let texts = conn.texts();
    assert_eq!(texts[texts.len() - 2..], ["RSET", "QUIT"]);
    assert!(conn.raw.len() < GROUP * CHUNK, "{} bytes", conn.raw.len());
    assert_every_byte_accounted_for(conn);
}

#[test]
fn bdat_body_of_exactly_one_chunk_goes_in_one_write() {
    let body = crlf_lines(CHUNK);
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .expect("MAIL FROM:")
            .expect("RCPT TO:")
            .expect_bdat()
            .send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued\r\n")
            .quit(),
    );
    let mut client = server.client();
    let report = client.send_raw(FROM, &[TO], &body).expect("send");
    assert!(report.recipients[0].delivered());
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    assert_eq!(
        rec.lines()[1..],
        [
            mail_line(),
            rcpt_line(TO),
            format!("BDAT {CHUNK} LAST"),
            "QUIT".into()
        ]
    );
    assert!(line(conn, &mail_line()).pipelined);
    assert!(line(conn, &rcpt_line(TO)).pipelined);
    assert_eq!(
        conn.chunks,
        [Chunk {
            size: CHUNK,
            last: true,
            pipelined: false
        }]
    );
    assert_messages(&rec, &[&body]);
}

#[test]
fn bdat_body_of_exactly_one_chunk_is_delivered_intact() {
    let body = crlf_lines(CHUNK);
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .bdat_transaction(1)
            .quit(),
    );
    let mut client = server.client();
    let report = client.send_raw(FROM, &[TO], &body).expect("send");
    assert_eq!(report.final_text(), "2.0.0 Ok: queued");
    assert_eq!(report.delivered_count(), 1);
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.count("BDAT"), 1);
    assert_eq!(
        line_starting(&rec.conns[0], "BDAT").text,
        format!("BDAT {CHUNK} LAST")
    );
    assert_messages(&rec, &[&body]);
    assert_every_byte_accounted_for(&rec.conns[0]);
}

#[test]
fn bdat_chunks_of_a_growing_body_declare_their_exact_sizes() {
    // Bare LF lines: every line grows by one byte when normalised to CRLF.
    let body = b"abc\n".repeat(50_000);
    let wire = b"abc\r\n".repeat(50_000);
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply("RCPT TO:", "250 2.1.5 Ok")
            .reply_bdats_until("250 2.0.0 Ok", "QUIT")
            .send("221 2.0.0 Bye\r\n"),
    );
    let mut client = server.client();
    let report = client.send_raw(FROM, &[TO], &body).expect("send");
    assert!(report.recipients[0].delivered());
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    let (last, others) = conn.chunks.split_last().expect("chunks");
    assert!(last.last, "{:?}", conn.chunks);
    assert!(
        others.iter().all(|c| c.size == CHUNK && !c.last),
        "{:?}",
        conn.chunks
    );
    assert_eq!(conn.chunks.len(), wire.len().div_ceil(CHUNK));
    let declared: usize = conn.chunks.iter().map(|c| c.size).sum();
    assert_eq!(declared, wire.len());
    for (l, c) in conn
        .texts()
        .iter()
        .filter(|l| l.starts_with("BDAT"))
        .zip(&conn.chunks)
    {
        let want = if c.last {
            format!("BDAT {} LAST", c.size)
        } else {
            format!("BDAT {}", c.size)
        };
        assert_eq!(*l, want);
    }
    assert_messages(&rec, &[&wire]);
    assert_every_byte_accounted_for(conn);
}

#[test]
fn bdat_extra_reply_after_the_last_chunk_is_a_protocol_error() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply("RCPT TO:", "250 2.1.5 Ok")
            .expect_bdat()
            .send("250 2.0.0 Ok: queued\r\n250 extra\r\n")
            .read_until_close(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    if let Some(report) = e.report() {
        assert_eq!(report.delivered_count(), 0, "{report:?}");
    }
    assert!(!client.is_connected());
    drop(client);

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1, "not retried");
    assert_eq!(rec.count("MAIL FROM:"), 1);
    assert_eq!(rec.count("BDAT"), 1);
    assert_messages(&rec, &[BODY]);
}

// ---------------------------------------------------------------------------
// Recipients deferred with 452
// ---------------------------------------------------------------------------

const FIVE: [&str; 5] = [
    "r1@example.com",
    "r2@example.com",
    "r3@example.com",
    "r4@example.com",
    "r5@example.com",
];

/// MAIL and the five RCPTs, the third refused with `refusal`, the others accepted.
fn five_rcpts_third_refused(script: Script, refusal: &str) -> Script {
    let mut script = script.reply("MAIL FROM:", "250 2.1.0 Ok");
    for (i, to) in FIVE.iter().enumerate() {
        script = script.reply(
            &rcpt_line(to),
            if i == 2 { refusal } else { "250 2.1.5 Ok" },
        );
    }
    script
}

/// The data of a transaction, accepted with `queued`.
fn data_accepted(script: Script, chunking: bool, queued: &str) -> Script {
    if chunking {
        script.reply_bdat(queued)
    } else {
        script
            .reply("DATA", "354 End data with <CR><LF>.<CR><LF>")
            .expect_data()
            .send(format!("{queued}\r\n"))
    }
}

/// Five recipients, the third deferred with `refusal` and accepted in a further
/// transaction: every recipient delivered once, the message sent twice.
fn deferred_recipient_goes_in_a_further_transaction(refusal: &str, chunking: bool) {
    let ext: &[&str] = if chunking {
        &["PIPELINING", "CHUNKING"]
    } else {
        &["PIPELINING"]
    };
    let script = five_rcpts_third_refused(Script::new().hello(ext), refusal);
    let script = data_accepted(script, chunking, "250 2.0.0 Ok: queued as T1")
        .reply("MAIL FROM:", "250 2.1.0 Ok")
        .reply(&rcpt_line(FIVE[2]), "250 2.1.5 Ok");
    let server =
        FaultServer::start(data_accepted(script, chunking, "250 2.0.0 Ok: queued as T2").quit());
    let mut client = server.client();
    let report = client.send_raw(FROM, &FIVE, BODY).expect("send");
    let addresses: Vec<&str> = report
        .recipients
        .iter()
        .map(|r| r.address.as_str())
        .collect();
    assert_eq!(addresses, FIVE, "each address once, in order");
    assert_eq!(report.delivered_count(), 5, "{report:?}");
    assert!(
        report.recipients.iter().all(|r| r.code == 250),
        "{report:?}"
    );
    assert_eq!(report.final_text(), "2.0.0 Ok: queued as T2");
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1);
    let data_line = if chunking {
        format!("BDAT {} LAST", BODY.len())
    } else {
        "DATA".to_string()
    };
    let mut want = vec!["EHLO client.test".to_string(), mail_line()];
    want.extend(FIVE.iter().map(|to| rcpt_line(to)));
    want.extend([
        data_line.clone(),
        mail_line(),
        rcpt_line(FIVE[2]),
        data_line,
        "QUIT".into(),
    ]);
    assert_eq!(rec.lines(), want);
    let wire = if chunking { BODY } else { BODY_WIRE };
    assert_messages(&rec, &[wire, wire]);
}

#[test]
fn rcpt_452_4_5_3_goes_in_a_further_transaction() {
    deferred_recipient_goes_in_a_further_transaction("452 4.5.3 Error: too many recipients", false);
}

#[test]
fn rcpt_452_without_enhanced_code_goes_in_a_further_transaction() {
    deferred_recipient_goes_in_a_further_transaction("452 Too many recipients", false);
}

#[test]
fn rcpt_452_with_bdat_goes_in_a_further_transaction() {
    deferred_recipient_goes_in_a_further_transaction("452 4.5.3 Error: too many recipients", true);
}

#[test]
fn rcpt_452_again_in_the_further_transaction_is_not_repeated() {
    let too_many = "452 4.5.3 Error: too many recipients";
    let script = five_rcpts_third_refused(Script::new().hello(&["PIPELINING"]), too_many);
    let server = FaultServer::start(
        data_accepted(script, false, "250 2.0.0 Ok: queued as T1")
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply(&rcpt_line(FIVE[2]), too_many)
            .reply("DATA", "554 5.5.1 Error: no valid recipients")
            .reply("RSET", "250 2.0.0 Ok")
            .quit(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &FIVE, BODY));
    assert_eq!(e.kind(), ErrorKind::Partial, "{e}");
    let report = e.report().expect("report");
    assert_eq!(report.recipients.len(), 5);
    assert_eq!(report.delivered_count(), 4, "{report:?}");
    let third = &report.recipients[2];
    assert_eq!(third.address, FIVE[2]);
    assert_eq!(third.code, 452);
    assert!(!third.delivered());
    assert_eq!(report.final_text(), "2.0.0 Ok: queued as T1");
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.count("MAIL FROM:"), 2, "no third transaction");
    assert_eq!(rec.count(&rcpt_line(FIVE[2])), 2);
    assert_eq!(rec.count("RSET"), 1);
    assert_messages(&rec, &[BODY_WIRE]);
}

#[test]
fn rcpt_452_4_2_2_mailbox_full_is_not_retried() {
    let script = five_rcpts_third_refused(
        Script::new().hello(&["PIPELINING"]),
        "452 4.2.2 Mailbox full",
    );
    let server = FaultServer::start(data_accepted(script, false, "250 2.0.0 Ok: queued").quit());
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &FIVE, BODY));
    assert_eq!(e.kind(), ErrorKind::Partial, "{e}");
    let report = e.report().expect("report");
    assert_eq!(report.delivered_count(), 4, "{report:?}");
    assert_eq!(report.recipients[2].code, 452);
    assert_eq!(
        report.recipients[2].failure,
        Some(ErrorKind::RecipientsRejected)
    );
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.count("MAIL FROM:"), 1, "not retried");
    assert_eq!(rec.count(&rcpt_line(FIVE[2])), 1);
    assert_messages(&rec, &[BODY_WIRE]);
}

// ---------------------------------------------------------------------------
// Replies all at once, byte by byte, or out of step
// ---------------------------------------------------------------------------

/// Sends to three recipients (the second refused), the replies to MAIL, RCPT and
/// DATA coming in one write or byte by byte: the error and what the server saw.
fn send_with_replies(slowly: bool) -> (smtpc::Error, Record) {
    let rcpts = ["a@example.com", "nobody@example.com", "c@example.com"];
    let replies =
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 User unknown\r\n250 2.1.5 Ok\r\n354 go ahead\r\n";
    let script = Script::new()
        .hello(&["PIPELINING"])
        .expect("MAIL FROM:")
        .expect(&rcpt_line(rcpts[0]))
        .expect(&rcpt_line(rcpts[1]))
        .expect(&rcpt_line(rcpts[2]))
        .expect("DATA");
    let script = if slowly {
        script.send_slowly(replies, Duration::from_millis(1))
    } else {
        script.send(replies)
    };
    let server = FaultServer::start(script.expect_data().send("250 2.0.0 Ok: queued\r\n").quit());
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &rcpts, BODY));
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    (e, rec)
}

#[test]
fn replies_in_one_packet_or_byte_by_byte_give_the_same_report() {
    let (fast, fast_rec) = send_with_replies(false);
    let (slow, slow_rec) = send_with_replies(true);
    assert_eq!(fast.kind(), ErrorKind::Partial, "{fast}");
    assert_eq!(slow.kind(), fast.kind(), "{slow}");
    let report: &Report = fast.report().expect("report");
    assert_eq!(slow.report(), Some(report));
    assert_eq!(report.delivered_count(), 2, "{report:?}");
    assert_eq!(report.recipients[1].code, 550);
    assert_eq!(report.final_text(), "2.0.0 Ok: queued");
    for rec in [&fast_rec, &slow_rec] {
        assert_eq!(rec.accepted, 1);
        assert_messages(rec, &[BODY_WIRE]);
    }
    assert_eq!(fast_rec.lines(), slow_rec.lines());
    assert_same_bytes(&slow_rec.raw(), &fast_rec.raw(), "bytes received");
}

#[test]
fn reply_354_with_the_final_250_before_any_data_is_a_protocol_error() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .expect("MAIL FROM:")
            .expect("RCPT TO:")
            .expect("DATA")
            .send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n250 2.0.0 Ok\r\n")
            .read_until_close(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(!client.is_connected());
    drop(client);

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1, "one connection only");
    assert_eq!(rec.conns.len(), 1);
    let after = rec.conns[0].bytes_after_data();
    assert!(
        after.is_empty(),
        "no data, no end-of-data mark: {:?}",
        String::from_utf8_lossy(after)
    );
    assert!(rec.messages().is_empty());
}

#[test]
fn extra_reply_after_the_final_reply_is_a_protocol_error() {
    // Whatever the timing, the reply followed by another is never taken as the
    // answer to the data.
    for _ in 0..3 {
        let server = FaultServer::start(
            Script::new()
                .hello(&["PIPELINING"])
                .reply("MAIL FROM:", "250 2.1.0 Ok")
                .reply("RCPT TO:", "250 2.1.5 Ok")
                .reply("DATA", "354 go ahead")
                .expect_data()
                .send("250 2.0.0 Ok: queued\r\n250 extra\r\n")
                .read_until_close(),
        );
        let mut client = server.client();
        let result = client.send_raw(FROM, &[TO], BODY);
        let e = fails(result);
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
        if let Some(report) = e.report() {
            assert_eq!(report.delivered_count(), 0, "{report:?}");
            assert_eq!(report.final_code(), 0, "{report:?}");
        }
        assert!(!client.is_connected());
        drop(client);

        let rec = server.join();
        rec.assert_script_done();
        assert_eq!(rec.accepted, 1, "not retried");
        assert_messages(&rec, &[BODY_WIRE]);
    }
}

#[test]
fn protocol_error_after_the_whole_message_has_a_clean_text() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply("RCPT TO:", "250 2.1.5 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .send("250 2.0.0 Ok: queued\r\n250 extra\r\n")
            .read_until_close(),
    );
    let mut client = server.client();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    drop(client);
    server.join();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(!e.message().contains("  "), "{:?}", e.message());
    assert!(
        e.message().contains("may or may not have been delivered"),
        "{:?}",
        e.message()
    );
}

#[test]
fn trailing_421_behind_the_final_reply_is_allowed() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply("RCPT TO:", "250 2.1.5 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .send("250 2.0.0 Ok: queued\r\n421 4.3.2 fault.test closing\r\n")
            .read_until_close(),
    );
    let mut client = server.client();
    let report = client.send_raw(FROM, &[TO], BODY).expect("delivered");
    assert_eq!(report.final_text(), "2.0.0 Ok: queued");
    assert!(report.recipients[0].delivered());
    assert!(!client.is_connected(), "the server closed the session");
    drop(client);
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.messages(), vec![BODY_WIRE.to_vec()]);
    assert_eq!(rec.accepted, 1);
}

#[test]
fn opportunistic_starttls_454_with_more_replies_is_a_protocol_error() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "STARTTLS"])
            .expect("STARTTLS")
            .send("454 4.7.0 TLS not available\r\n250 2.1.0 Ok\r\n550 5.1.1 no such user\r\n354 go\r\n")
            .read_until_close(),
    );
    let mut client = server.client_with(Some(TlsMode::StartTlsOpportunistic));
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(!client.is_connected());
    drop(client);

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.lines(), ["EHLO client.test", "STARTTLS"]);
    let raw = rec.raw();
    assert!(
        raw.ends_with(b"STARTTLS\r\n"),
        "nothing after STARTTLS: {:?}",
        String::from_utf8_lossy(&raw)
    );
    assert!(!contains_bytes(&raw, b"MAIL") && !contains_bytes(&raw, b"Hello."));
    assert_eq!(rec.accepted, 1, "no reconnect");
}

/// The control case: a plain 454 in opportunistic mode goes on without TLS.
#[test]
fn opportunistic_starttls_454_alone_continues_without_tls() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "STARTTLS"])
            .reply("STARTTLS", "454 4.7.0 TLS not available")
            .transaction(1)
            .quit(),
    );
    let mut client = server.client_with(Some(TlsMode::StartTlsOpportunistic));
    client.send_raw(FROM, &[TO], BODY).expect("send");
    assert!(!client.is_tls());
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.messages(), vec![BODY_WIRE.to_vec()]);
}

// ---------------------------------------------------------------------------
// Batches
// ---------------------------------------------------------------------------

/// Checks that `data` is the DATA wire form of `message(n, ..)`.
fn assert_is_message(data: &[u8], n: &str) {
    assert!(
        contains_bytes(data, format!("Subject: message {n}\r\n").as_bytes()),
        "{}",
        String::from_utf8_lossy(data)
    );
    assert!(contains_bytes(
        data,
        format!("This is message {n}.").as_bytes()
    ));
    assert!(data.ends_with(b"\r\n.\r\n"));
    assert_eq!(occurrences(data, b"\r\n.\r\n"), 1);
}

#[test]
fn batch_over_data_sends_each_end_of_data_with_the_next_mail() {
    let to = ["to1@example.com", "to2@example.com", "to3@example.com"];
    // After each message's data the server reads the next MAIL, RCPT and DATA
    // before it answers the data: they must have come without waiting for it.
    let mut script = Script::new()
        .hello(&["PIPELINING"])
        .reply("MAIL FROM:", "250 2.1.0 Ok")
        .reply(&rcpt_line(to[0]), "250 2.1.5 Ok")
        .reply("DATA", "354 go ahead")
        .expect_data();
    for (i, next) in to.iter().enumerate().skip(1) {
        script = script
            .expect("MAIL FROM:")
            .expect(&rcpt_line(next))
            .expect("DATA")
            .send(format!(
                "250 2.0.0 Ok: queued as M{i}\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n"
            ))
            .expect_data();
    }
    let server = FaultServer::start(script.send("250 2.0.0 Ok: queued as M3\r\n").quit());
    let messages = [
        message("one", to[0]),
        message("two", to[1]),
        message("three", to[2]),
    ];
    let refs: Vec<&Message> = messages.iter().collect();
    let mut client = server.client();
    let results = client.send_batch(&refs);
    assert_eq!(results.len(), 3);
    for (i, r) in results.iter().enumerate() {
        let report = r.as_ref().unwrap_or_else(|e| panic!("message {i}: {e}"));
        assert_eq!(
            report.final_text(),
            format!("2.0.0 Ok: queued as M{}", i + 1)
        );
        assert_eq!(report.recipients.len(), 1);
        assert_eq!(report.recipients[0].address, to[i]);
        assert!(report.recipients[0].delivered());
    }
    assert!(client.last_error().is_none());
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1);
    let conn = &rec.conns[0];
    assert_eq!(conn.data.len(), 3, "each message once");
    for (data, n) in conn.data.iter().zip(["one", "two", "three"]) {
        assert_is_message(data, n);
    }
    // Messages 1 and 2: more bytes (the next MAIL) were behind the end of data in
    // the same read; message 3 is the last.
    assert_eq!(conn.data_pipelined, [true, true, false]);
    let raw = &conn.raw;
    for next in &to[1..] {
        let joined = format!(
            "\r\n.\r\n{}\r\n{}\r\nDATA\r\n",
            mail_line(),
            rcpt_line(next)
        );
        assert!(contains_bytes(raw, joined.as_bytes()), "{joined:?}");
    }
    // Each MAIL was read with its RCPT and DATA behind it.
    let mails: Vec<_> = conn
        .lines
        .iter()
        .filter(|l| l.text.starts_with("MAIL FROM:"))
        .collect();
    assert_eq!(mails.len(), 3);
    assert!(mails.iter().all(|l| l.pipelined), "{mails:?}");
}

/// With CHUNKING the messages of a batch follow one another without waiting, each
/// after the first led by RSET (a refused chunk would leave the server's state
/// undefined until RSET, and the refusal can only be read once the next MAIL is
/// written): the whole batch is one write.
#[test]
fn batch_over_bdat_sends_the_messages_back_to_back_led_by_rset() {
    let to = ["to1@example.com", "to2@example.com", "to3@example.com"];
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .bdat_transaction(1)
            .reply("RSET", "250 2.0.0 Ok")
            .bdat_transaction(1)
            .reply("RSET", "250 2.0.0 Ok")
            .bdat_transaction(1)
            .quit(),
    );
    let messages = [
        message("one", to[0]),
        message("two", to[1]),
        message("three", to[2]),
    ];
    let refs: Vec<&Message> = messages.iter().collect();
    let mut client = server.client();
    let results = client.send_batch(&refs);
    for (i, r) in results.iter().enumerate() {
        let report = r.as_ref().unwrap_or_else(|e| panic!("message {i}: {e}"));
        assert_eq!(report.final_text(), "2.0.0 Ok: queued");
        assert!(report.recipients[0].delivered());
    }
    client.quit().expect("quit");

    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    assert_eq!(conn.data.len(), 3);
    for (data, n) in conn.data.iter().zip(["one", "two", "three"]) {
        assert!(contains_bytes(
            data,
            format!("Subject: message {n}\r\n").as_bytes()
        ));
        assert!(
            !contains_bytes(data, b"\r\n.\r\n"),
            "no terminator with BDAT"
        );
    }
    // Every message's chunk had the next message behind it, but the last one's.
    assert!(conn.chunks.iter().all(|c| c.last), "{:?}", conn.chunks);
    let behind: Vec<bool> = conn.chunks.iter().map(|c| c.pipelined).collect();
    assert_eq!(behind, [true, true, false], "{:?}", conn.chunks);
    assert_eq!(conn.data_pipelined, [true, true, false]);
    let verbs: Vec<String> = conn
        .texts()
        .iter()
        .map(|l| l.split([' ', ':']).next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        verbs,
        [
            "EHLO", "MAIL", "RCPT", "BDAT", "RSET", "MAIL", "RCPT", "BDAT", "RSET", "MAIL", "RCPT",
            "BDAT", "QUIT"
        ]
    );
}

#[test]
fn batch_connection_lost_after_the_first_data_is_unknown_then_not_sent() {
    let to = ["to1@example.com", "to2@example.com", "to3@example.com"];
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply(&rcpt_line(to[0]), "250 2.1.5 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .close(),
    );
    let messages = [
        message("one", to[0]),
        message("two", to[1]),
        message("three", to[2]),
    ];
    let refs: Vec<&Message> = messages.iter().collect();
    let mut client = server.client();
    // A session that is already open: its loss must not trigger a reconnect.
    client.connect().expect("connect");
    let results = client.send_batch(&refs);
    assert_eq!(results.len(), 3);
    let e1 = results[0].as_ref().expect_err("message 1");
    assert_eq!(e1.kind(), ErrorKind::UnknownOutcome, "{e1}");
    let report = e1.report().expect("message 1 has a report");
    assert_eq!(report.recipients.len(), 1);
    assert_eq!(report.recipients[0].code, 250, "accepted at RCPT");
    assert_eq!(
        report.recipients[0].failure,
        Some(ErrorKind::UnknownOutcome)
    );
    for (i, r) in results.iter().enumerate().skip(1) {
        let e = r.as_ref().expect_err("not sent");
        assert_eq!(e.kind(), ErrorKind::NotSent, "message {}: {e}", i + 1);
        if let Some(report) = e.report() {
            assert_eq!(report.delivered_count(), 0, "{report:?}");
        }
    }
    assert_eq!(
        client.last_error().map(|e| e.kind()),
        Some(ErrorKind::UnknownOutcome)
    );
    assert!(!client.is_connected());
    drop(client);

    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1, "no reconnect");
    assert_eq!(rec.messages().len(), 1, "message 1's data exactly once");
    assert_is_message(&rec.messages()[0], "one");
    let raw = rec.raw();
    assert_eq!(occurrences(&raw, b"Subject: message one"), 1);
    assert!(!contains_bytes(&raw, b"Subject: message two"));
    assert!(!contains_bytes(&raw, b"Subject: message three"));
    assert!(
        !contains_bytes(&raw, to[2].as_bytes()),
        "message 3 never started"
    );
    assert!(occurrences(&raw, b"MAIL FROM:") <= 2);
}

/// A batch where message 2's RCPT is refused: message 2 fails alone (RSET), 1 and 3
/// are delivered on the same connection.
#[test]
fn batch_with_a_refused_message_in_the_middle_goes_on() {
    let to = ["to1@example.com", "nobody@example.com", "to3@example.com"];
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .transaction(1)
            .reply("MAIL FROM:", "250 2.1.0 Ok")
            .reply(&rcpt_line(to[1]), "550 5.1.1 User unknown")
            .reply("DATA", "554 5.5.1 Error: no valid recipients")
            .reply("RSET", "250 2.0.0 Ok")
            .transaction(1)
            .quit(),
    );
    let messages = [
        message("one", to[0]),
        message("two", to[1]),
        message("three", to[2]),
    ];
    let refs: Vec<&Message> = messages.iter().collect();
    let mut client = server.client();
    let results = client.send_batch(&refs);
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let e = results[1].as_ref().expect_err("message 2");
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected, "{e}");
    assert!(results[2].is_ok(), "{:?}", results[2]);
    assert_eq!(
        client.last_error().map(|e| e.kind()),
        Some(ErrorKind::RecipientsRejected)
    );
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.accepted, 1);
    let data = rec.messages();
    assert_eq!(data.len(), 2);
    assert_is_message(&data[0], "one");
    assert_is_message(&data[1], "three");
    assert!(!contains_bytes(&rec.raw(), b"Subject: message two"));
}

// ---------------------------------------------------------------------------
// Switches
// ---------------------------------------------------------------------------

#[test]
fn chunking_off_uses_data_although_offered() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .transaction(1)
            .quit(),
    );
    let mut client = server.client();
    client.set_chunking(false).unwrap();
    let input: &[u8] = b"Subject: x\r\n\r\n.dot\r\n";
    client.send_raw(FROM, &[TO], input).expect("send");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(
        rec.lines()[1..],
        [mail_line(), rcpt_line(TO), "DATA".into(), "QUIT".into()]
    );
    assert!(!rec.saw("BDAT"));
    assert!(rec.conns[0].chunks.is_empty());
    // DATA means dot-stuffing and the terminator.
    assert_eq!(
        rec.messages(),
        vec![b"Subject: x\r\n\r\n..dot\r\n.\r\n".to_vec()]
    );
    assert!(
        line(&rec.conns[0], &mail_line()).pipelined,
        "still pipelined"
    );
}

#[test]
fn pipelining_off_sends_one_command_per_round_trip() {
    let rcpts = ["a@example.com", "b@example.com"];
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING"])
            .expect("MAIL FROM:")
            .expect_silence(SILENCE)
            .send("250 2.1.0 Ok\r\n")
            .expect(&rcpt_line(rcpts[0]))
            .expect_silence(SILENCE)
            .send("250 2.1.5 Ok\r\n")
            .reply(&rcpt_line(rcpts[1]), "250 2.1.5 Ok")
            .reply("DATA", "354 go ahead")
            .expect_data()
            .send("250 2.0.0 Ok: queued\r\n")
            .quit(),
    );
    let mut client = server.client();
    client.set_pipelining(false).unwrap();
    client.send_raw(FROM, &rcpts, BODY).expect("send");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    let pipelined: Vec<_> = conn.lines.iter().filter(|l| l.pipelined).collect();
    assert!(pipelined.is_empty(), "{pipelined:?}");
    assert_eq!(conn.data_pipelined, [false]);
    assert_eq!(rec.messages(), vec![BODY_WIRE.to_vec()]);
}

#[test]
fn pipelining_off_with_chunking_waits_for_each_reply() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "CHUNKING"])
            .expect("MAIL FROM:")
            .expect_silence(SILENCE)
            .send("250 2.1.0 Ok\r\n")
            .expect("RCPT TO:")
            .expect_silence(SILENCE)
            .send("250 2.1.5 Ok\r\n")
            .reply_bdat("250 2.0.0 Ok: queued")
            .quit(),
    );
    let mut client = server.client();
    client.set_pipelining(false).unwrap();
    client.send_raw(FROM, &[TO], BODY).expect("send");
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    let conn = &rec.conns[0];
    assert!(!line(conn, &mail_line()).pipelined);
    assert!(!line(conn, &rcpt_line(TO)).pipelined);
    assert_eq!(
        line_starting(conn, "BDAT").text,
        format!("BDAT {} LAST", BODY.len())
    );
    assert_eq!(
        conn.chunks,
        [Chunk {
            size: BODY.len(),
            last: true,
            pipelined: false
        }]
    );
    assert_eq!(rec.messages(), vec![BODY.to_vec()]);
}
