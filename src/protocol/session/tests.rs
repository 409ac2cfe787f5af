//! The session without sockets: a harness plays the driver (writes go to a buffer,
//! bodies come from memory) and each test plays the server's replies, then checks
//! what the client wrote, byte for byte, and what it reported.

use super::*;
use crate::protocol::dsn::{DsnRequest, DsnReturn, Notify};
use crate::protocol::envelope::{BodyInfo, Recipient};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::collections::HashMap;

const EXT_ALL: &[&str] = &["PIPELINING", "CHUNKING", "SIZE 1000000", "8BITMIME", "DSN"];
const EXT_PIPE: &[&str] = &["PIPELINING", "SIZE 1000000", "8BITMIME", "DSN"];
const BODY: &[u8] = b"Subject: t\r\n\r\nHello.\r\n";

/// Plays the driver.
struct Harness {
    s: Session,
    /// Everything the client wrote since the last `sent()`.
    wire: Vec<u8>,
    /// How many separate writes (flights) since the last `sent()`.
    writes: usize,
    bodies: HashMap<usize, Vec<u8>>,
    /// Body reads fail for these messages after this many bytes.
    failing: HashMap<usize, u64>,
    /// Outcome events, in order.
    done: Vec<Event>,
    upgraded: bool,
    aborted: bool,
}

fn cfg() -> SessionConfig {
    SessionConfig {
        helo_name: "client.test".into(),
        tls: TlsMode::None,
        credentials: None,
        pipelining: true,
        chunking: true,
        log_lines: true,
    }
}

fn ehlo(extensions: &[&str]) -> String {
    let mut lines = vec!["mx.test"];
    lines.extend_from_slice(extensions);
    let last = lines.len() - 1;
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
        .collect()
}

impl Harness {
    fn new(cfg: SessionConfig) -> Harness {
        Harness {
            s: Session::new(cfg, false),
            wire: Vec::new(),
            writes: 0,
            bodies: HashMap::new(),
            failing: HashMap::new(),
            done: Vec::new(),
            upgraded: false,
            aborted: false,
        }
    }

    /// A session through greeting and EHLO with `extensions`.
    fn ready(cfg: SessionConfig, extensions: &[&str]) -> Harness {
        let mut h = Harness::new(cfg);
        h.server("220 mx.test ESMTP\r\n");
        assert_eq!(h.sent(), "EHLO client.test\r\n");
        h.server(&ehlo(extensions));
        assert!(h.s.is_ready(), "{:?}", h.done);
        assert!(matches!(h.done.pop(), Some(Event::Ready)));
        h
    }

    /// Runs the session until it waits for the server (or is idle or over).
    fn run(&mut self) -> Want {
        loop {
            self.collect();
            let want = self.s.want();
            match want {
                Want::Write => {
                    let out = self.s.output().to_vec();
                    self.wire.extend_from_slice(&out);
                    self.writes += 1;
                    self.s.written(out.len());
                }
                Want::Body {
                    message,
                    offset,
                    max,
                } => {
                    let body = self.bodies.get(&message).cloned().unwrap_or_default();
                    if let Some(&limit) = self.failing.get(&message) {
                        if offset >= limit {
                            self.s.body_failed(Error::new(
                                ErrorKind::File,
                                "attachment.bin: read error",
                            ));
                            continue;
                        }
                    }
                    let start = (offset as usize).min(body.len());
                    let end = (start + max.min(7000)).min(body.len());
                    if start == end {
                        self.s.end_body();
                    } else {
                        self.s.push_body(&body[start..end]);
                    }
                }
                Want::StartTls => {
                    self.upgraded = true;
                    self.s.tls_started();
                }
                Want::Abort => {
                    self.aborted = true;
                    self.collect();
                    return want;
                }
                Want::Read | Want::Idle | Want::Closed => {
                    self.collect();
                    return want;
                }
            }
        }
    }

    fn collect(&mut self) {
        while let Some(e) = self.s.poll_event() {
            match e {
                Event::Sent(_) | Event::Received(_) | Event::Info(_) | Event::Secret(_) => {}
                other => self.done.push(other),
            }
        }
    }

    /// The server sends `bytes` (in one piece); then the client runs.
    fn server(&mut self, bytes: &str) -> Want {
        self.server_bytes(bytes.as_bytes())
    }

    fn server_bytes(&mut self, bytes: &[u8]) -> Want {
        self.s.receive(bytes);
        self.run()
    }

    /// The server sends `bytes` one byte at a time.
    fn trickle(&mut self, bytes: &str) -> Want {
        let mut want = self.run();
        for b in bytes.as_bytes() {
            self.s.receive(std::slice::from_ref(b));
            want = self.run();
        }
        want
    }

    /// What the client wrote since the last call, as text.
    fn sent(&mut self) -> String {
        self.writes = 0;
        String::from_utf8_lossy(&std::mem::take(&mut self.wire)).into_owned()
    }

    fn send(&mut self, message: usize, envelope: Envelope, body: &[u8]) -> Want {
        self.bodies.insert(message, body.to_vec());
        self.s.send(message, envelope);
        self.run()
    }

    /// The result of message `message`.
    fn result(&mut self, message: usize) -> crate::Result<Report> {
        let i = self
            .done
            .iter()
            .position(|e| matches!(e, Event::MessageDone { message: m, .. } if *m == message))
            .unwrap_or_else(|| panic!("no result for message {message}: {:?}", self.done));
        match self.done.remove(i) {
            Event::MessageDone { result, .. } => result,
            _ => unreachable!(),
        }
    }

    fn command_result(&mut self) -> crate::Result<Reply> {
        let i = self
            .done
            .iter()
            .position(|e| matches!(e, Event::CommandDone(_)))
            .unwrap_or_else(|| panic!("no command result: {:?}", self.done));
        match self.done.remove(i) {
            Event::CommandDone(r) => r,
            _ => unreachable!(),
        }
    }

    fn setup_error(&mut self) -> Error {
        let i = self
            .done
            .iter()
            .position(|e| matches!(e, Event::SetupFailed(_)))
            .unwrap_or_else(|| panic!("no setup failure: {:?}", self.done));
        match self.done.remove(i) {
            Event::SetupFailed(e) => e,
            _ => unreachable!(),
        }
    }
}

/// Splits BDAT framing: each chunk's bytes and whether it was the LAST one.
fn bdat_chunks(mut wire: &[u8]) -> Vec<(Vec<u8>, bool)> {
    let mut chunks = Vec::new();
    while !wire.is_empty() {
        let eol = wire
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a command line");
        let line = std::str::from_utf8(&wire[..eol]).unwrap();
        let mut words = line.split(' ');
        assert_eq!(words.next(), Some("BDAT"), "{line}");
        let n: usize = words.next().unwrap().parse().unwrap();
        let last = words.next() == Some("LAST");
        let start = eol + 2;
        chunks.push((wire[start..start + n].to_vec(), last));
        wire = &wire[start + n..];
    }
    chunks
}

fn envelope(rcpts: &[&str]) -> Envelope {
    envelope_sized(rcpts, BODY.len() as u64)
}

fn envelope_sized(rcpts: &[&str], size: u64) -> Envelope {
    Envelope::new(
        "s@x.test",
        rcpts.iter().map(|r| Recipient::new(r)).collect(),
        DsnRequest::default(),
    )
    .unwrap()
    .with_body(BodyInfo {
        size,
        ..BodyInfo::default()
    })
}

fn kind<T: std::fmt::Debug>(r: crate::Result<T>) -> ErrorKind {
    r.expect_err("must fail").kind()
}

// ---------------------------------------------------------------------------
// Setup: greeting, EHLO, HELO, STARTTLS, AUTH
// ---------------------------------------------------------------------------

#[test]
fn greeting_and_ehlo_then_ready() {
    let mut h = Harness::new(cfg());
    assert_eq!(
        h.run(),
        Want::Read,
        "nothing is written before the greeting"
    );
    assert_eq!(h.sent(), "");
    let h = Harness::ready(cfg(), EXT_ALL);
    assert!(h.s.extensions().has("chunking"));
    assert_eq!(h.s.want(), Want::Idle);
}

#[test]
fn greeting_split_at_every_byte() {
    let wire = "220-mx.test ESMTP\r\n220 ready\r\n";
    for split in 0..=wire.len() {
        let mut h = Harness::new(cfg());
        h.server(&wire[..split]);
        if split < wire.len() {
            assert_eq!(
                h.sent(),
                "",
                "split {split}: nothing before the greeting is complete"
            );
        }
        h.server(&wire[split..]);
        assert_eq!(h.sent(), "EHLO client.test\r\n", "split {split}");
    }
}

#[test]
fn greeting_refusals_and_garbage() {
    let mut h = Harness::new(cfg());
    h.server("554 5.7.1 no service\r\n");
    let e = h.setup_error();
    assert_eq!(e.kind(), ErrorKind::GreetingRejected);
    assert_eq!(e.reply().map(|r| r.code), Some(554));
    assert_eq!(h.sent(), "QUIT\r\n", "the healthy server gets QUIT");
    assert_eq!(h.server("221 bye\r\n"), Want::Closed);

    for (greeting, kind) in [
        ("421 4.3.2 busy\r\n", ErrorKind::GreetingRejected),
        ("HTTP/1.1 400 Bad\r\n", ErrorKind::Protocol),
        ("220 a\x00b\r\n", ErrorKind::Protocol),
    ] {
        let mut h = Harness::new(cfg());
        h.server(greeting);
        assert_eq!(h.setup_error().kind(), kind, "{greeting:?}");
    }
    // An endless line fails once it is over the limit.
    let mut h = Harness::new(cfg());
    h.server_bytes(b"220 ");
    let want = h.server_bytes(&vec![b'x'; 5000]);
    assert_eq!(want, Want::Abort);
    assert_eq!(h.setup_error().kind(), ErrorKind::Protocol);
    assert_eq!(h.sent(), "", "no QUIT into a broken stream");
}

#[test]
fn greeting_glued_to_an_unasked_reply_is_out_of_step() {
    let mut h = Harness::new(cfg());
    let want = h.server("220 mx\r\n250 early\r\n");
    assert_eq!(want, Want::Abort);
    assert_eq!(h.setup_error().kind(), ErrorKind::Protocol);
    assert_eq!(h.sent(), "", "not even EHLO");
}

#[test]
fn ehlo_refused_falls_back_to_helo() {
    let mut h = Harness::new(cfg());
    h.server("220 mx\r\n");
    h.sent();
    h.server("502 5.5.2 not recognized\r\n");
    assert_eq!(h.sent(), "HELO client.test\r\n");
    h.server("250 mx\r\n");
    assert!(h.s.is_ready());
    assert!(!h.s.extensions().has("PIPELINING"));

    let mut h = Harness::new(cfg());
    h.server("220 mx\r\n");
    h.server("451 4.3.0 try later\r\n");
    let e = h.setup_error();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(e.reply().map(|r| r.code), Some(451));
}

fn tls_cfg(mode: TlsMode) -> SessionConfig {
    SessionConfig { tls: mode, ..cfg() }
}

#[test]
fn starttls_upgrade_then_ehlo_again() {
    let mut h = Harness::new(tls_cfg(TlsMode::StartTls));
    h.server("220 mx\r\n");
    h.sent();
    h.server(&ehlo(&["STARTTLS", "PIPELINING"]));
    assert_eq!(h.sent(), "STARTTLS\r\n");
    h.server("220 2.0.0 go ahead\r\n");
    assert!(h.upgraded && h.s.is_tls());
    assert_eq!(h.sent(), "EHLO client.test\r\n", "EHLO again after TLS");
    assert!(
        !h.s.extensions().has("STARTTLS"),
        "what was learnt before TLS is void"
    );
    h.server(&ehlo(&["PIPELINING"]));
    assert!(h.s.is_ready());
}

#[test]
fn starttls_220_with_injected_bytes_is_refused() {
    let mut h = Harness::new(tls_cfg(TlsMode::StartTlsOpportunistic));
    h.server("220 mx\r\n");
    h.server(&ehlo(&["STARTTLS"]));
    h.sent();
    assert_eq!(h.server("220 go\r\n250-INJECTED\r\n"), Want::Abort);
    assert!(!h.upgraded, "no handshake");
    let e = h.setup_error();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("injection"), "{e}");
    assert_eq!(h.sent(), "");
}

#[test]
fn starttls_454_then_queued_lines_is_out_of_step() {
    // A server (or attacker) that answers STARTTLS with 454 and, in the same write,
    // the replies to commands not sent yet: none of them may be taken.
    let mut h = Harness::new(tls_cfg(TlsMode::StartTlsOpportunistic));
    h.server("220 mx\r\n");
    h.server(&ehlo(&["STARTTLS", "PIPELINING"]));
    h.sent();
    let want = h.server("454 4.7.0 no TLS\r\n250 ok\r\n550 5.1.1 no such user\r\n354 go\r\n");
    assert_eq!(want, Want::Abort);
    assert_eq!(h.setup_error().kind(), ErrorKind::Protocol);
    assert_eq!(h.sent(), "");
}

#[test]
fn starttls_refused_or_missing() {
    // Required: 454 fails with the reply, politely.
    let mut h = Harness::new(tls_cfg(TlsMode::StartTls));
    h.server("220 mx\r\n");
    h.server(&ehlo(&["STARTTLS"]));
    h.sent();
    h.server("454 4.7.0 TLS not available\r\n");
    let e = h.setup_error();
    assert_eq!(e.kind(), ErrorKind::TlsUnavailable);
    assert_eq!(e.reply().map(|r| r.code), Some(454));
    assert_eq!(h.sent(), "QUIT\r\n");
    // Opportunistic: 454 alone goes on in plaintext.
    let mut h = Harness::new(tls_cfg(TlsMode::StartTlsOpportunistic));
    h.server("220 mx\r\n");
    h.server(&ehlo(&["STARTTLS"]));
    h.server("454 4.7.0 TLS not available\r\n");
    assert!(h.s.is_ready() && !h.s.is_tls());
    // Required and not offered.
    let mut h = Harness::new(tls_cfg(TlsMode::StartTls));
    h.server("220 mx\r\n");
    h.server(&ehlo(&["PIPELINING"]));
    assert_eq!(h.setup_error().kind(), ErrorKind::TlsUnavailable);
}

fn auth_cfg(credentials: Credentials) -> SessionConfig {
    SessionConfig {
        credentials: Some(credentials),
        ..cfg()
    }
}

fn auth_session(credentials: Credentials, mechanisms: &str) -> Harness {
    let mut h = Harness::new(auth_cfg(credentials));
    h.server("220 mx\r\n");
    h.sent();
    h.server(&ehlo(&[&format!("AUTH {mechanisms}")]));
    h
}

#[test]
fn auth_plain_and_its_outcomes() {
    let creds = Credentials::password("alice", "s3cret").unwrap();
    let b64 = B64.encode("\0alice\0s3cret");
    let mut h = auth_session(creds.clone(), "PLAIN LOGIN");
    assert_eq!(h.sent(), format!("AUTH PLAIN {b64}\r\n"));
    h.server("235 2.7.0 ok\r\n");
    assert!(h.s.is_ready());

    let mut h = auth_session(creds.clone(), "PLAIN");
    h.sent();
    h.server("535 5.7.8 bad credentials\r\n");
    let e = h.setup_error();
    assert_eq!(e.kind(), ErrorKind::AuthFailed);
    assert_eq!(e.reply().map(|r| r.code), Some(535));
    assert_eq!(h.sent(), "QUIT\r\n");

    // A server that ignores the initial response asks again with an empty 334.
    let mut h = auth_session(creds, "PLAIN");
    h.sent();
    h.server("334 \r\n");
    assert_eq!(h.sent(), format!("{b64}\r\n"));
    h.server("235 ok\r\n");
    assert!(h.s.is_ready());
}

#[test]
fn auth_login_exchange_and_an_extra_challenge_cancels() {
    let creds = Credentials::password("alice", "s3cret").unwrap();
    let mut h = auth_session(creds, "LOGIN");
    assert_eq!(h.sent(), "AUTH LOGIN\r\n");
    h.server("334 VXNlcm5hbWU6\r\n");
    assert_eq!(h.sent(), format!("{}\r\n", B64.encode("alice")));
    h.server("334 UGFzc3dvcmQ6\r\n");
    assert_eq!(h.sent(), format!("{}\r\n", B64.encode("s3cret")));
    h.server("334 bW9yZT8=\r\n");
    assert_eq!(h.sent(), "*\r\n", "cancelled");
    h.server("501 5.7.0 cancelled\r\n");
    let e = h.setup_error();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(e.reply().map(|r| r.code), Some(334), "the 334, not the 501");
}

#[test]
fn auth_cram_md5_with_an_unusable_challenge_is_cancelled() {
    let creds = Credentials::password("alice", "s3cret").unwrap();
    let mut h = Harness::new(SessionConfig {
        credentials: Some(creds),
        ..cfg()
    });
    h.server("220 mx\r\n");
    h.server(&ehlo(&["AUTH CRAM-MD5 PLAIN"]));
    assert_eq!(
        h.sent().lines().last(),
        Some("AUTH CRAM-MD5"),
        "CRAM-MD5 first in plaintext"
    );
    h.server("334 %%%not-base64%%%\r\n");
    assert_eq!(h.sent(), "*\r\n");
    h.server("501 cancelled\r\n");
    let e = h.setup_error();
    assert_eq!(e.reply().map(|r| r.code), Some(334));
    assert!(e.message().contains("CRAM-MD5"), "{e}");
}

#[test]
fn auth_xoauth2_error_challenge_gets_an_empty_line() {
    let creds = Credentials::oauth2("u@x", "tok").unwrap();
    let mut h = auth_session(creds, "XOAUTH2");
    assert!(h.sent().starts_with("AUTH XOAUTH2 "));
    h.server("334 eyJzdGF0dXMiOiI0MDEifQ==\r\n");
    assert_eq!(h.sent(), "\r\n");
    h.server("535 5.7.8 bad token\r\n");
    assert_eq!(h.setup_error().kind(), ErrorKind::AuthFailed);
}

#[test]
fn credentials_never_go_in_plaintext_unless_chosen() {
    let creds = Credentials::password("alice", "s3cret").unwrap();
    let mut h = Harness::new(SessionConfig {
        credentials: Some(creds),
        tls: TlsMode::StartTlsOpportunistic,
        ..cfg()
    });
    h.server("220 mx\r\n");
    h.server(&ehlo(&["AUTH PLAIN"]));
    assert_eq!(h.setup_error().kind(), ErrorKind::AuthUnavailable);
    assert!(!h.sent().contains("AUTH"));
}

// ---------------------------------------------------------------------------
// Transactions with DATA
// ---------------------------------------------------------------------------

fn no_chunking() -> SessionConfig {
    SessionConfig {
        chunking: false,
        ..cfg()
    }
}

#[test]
fn data_without_pipelining_one_command_per_round_trip() {
    let mut h = Harness::ready(
        SessionConfig {
            pipelining: false,
            ..no_chunking()
        },
        EXT_PIPE,
    );
    h.send(0, envelope(&["a@x.test", "b@x.test"]), BODY);
    assert_eq!(
        h.sent(),
        format!("MAIL FROM:<s@x.test> SIZE={}\r\n", BODY.len())
    );
    h.server("250 ok\r\n");
    assert_eq!(h.sent(), "RCPT TO:<a@x.test>\r\n");
    h.server("250 ok\r\n");
    assert_eq!(h.sent(), "RCPT TO:<b@x.test>\r\n");
    h.server("550 5.1.1 no\r\n");
    assert_eq!(h.sent(), "DATA\r\n");
    h.server("354 go\r\n");
    assert_eq!(h.sent(), "Subject: t\r\n\r\nHello.\r\n.\r\n");
    h.server("250 2.0.0 queued\r\n");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Partial);
    let report = e.report().unwrap();
    assert_eq!(report.final_code(), 250);
    assert!(report.recipients[0].delivered());
    assert_eq!(
        report.recipients[1].failure,
        Some(ErrorKind::RecipientsRejected)
    );
    assert_eq!(
        report.recipients[1].enhanced().unwrap().to_string(),
        "5.1.1"
    );
    assert_eq!(h.s.want(), Want::Idle);
}

#[test]
fn data_with_pipelining_mail_rcpt_data_in_one_write() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test", "b@x.test"]), b".dot\nline\n");
    assert_eq!(h.writes, 1);
    assert_eq!(
        h.sent(),
        "MAIL FROM:<s@x.test> SIZE=22\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n"
    );
    h.server("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    assert_eq!(h.sent(), "..dot\r\nline\r\n.\r\n");
    h.server("250 queued\r\n");
    let report = h.result(0).unwrap();
    assert_eq!(report.delivered_count(), 2);
}

#[test]
fn replies_split_at_every_byte_give_the_same_outcome() {
    let replies = "250 2.1.0 ok\r\n250-2.1.5 ok\r\n250 2.1.5 really\r\n354 go\r\n";
    for split in 0..=replies.len() {
        let mut h = Harness::ready(no_chunking(), EXT_PIPE);
        h.send(0, envelope(&["a@x.test"]), BODY);
        h.sent();
        h.server(&replies[..split]);
        h.server(&replies[split..]);
        assert_eq!(
            h.sent(),
            "Subject: t\r\n\r\nHello.\r\n.\r\n",
            "split {split}"
        );
        h.server("250 queued\r\n");
        assert!(h.result(0).is_ok(), "split {split}");
    }
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.sent();
    h.trickle(replies);
    h.trickle("250 queued\r\n");
    assert!(h.result(0).is_ok());
}

#[test]
fn a_reply_after_354_before_the_data_is_out_of_step() {
    // The 354 and a 250 in one write: the 250 cannot answer data not yet sent.
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.sent();
    let want = h.server("250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 queued\r\n");
    assert_eq!(want, Want::Abort);
    assert_eq!(h.sent(), "", "no data, no end-of-data mark");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(
        e.report().is_some(),
        "the recipients were given to the server"
    );
}

#[test]
fn extra_replies_after_the_final_reply_are_out_of_step() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.server("250 ok\r\n250 ok\r\n354 go\r\n");
    h.sent();
    assert_eq!(h.server("250 queued\r\n250 extra\r\n"), Want::Abort);
    let e = h.result(0).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Protocol,
        "never taken as the final reply: {e}"
    );
    // A 421 right behind it is the server closing, not a desync.
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.server("250 ok\r\n250 ok\r\n354 go\r\n");
    h.server("250 queued\r\n421 4.3.2 shutting down\r\n");
    assert!(h.result(0).is_ok());
    assert!(h.s.is_closed());
}

#[test]
fn more_replies_than_commands_without_pipelining() {
    let mut h = Harness::ready(
        SessionConfig {
            pipelining: false,
            ..no_chunking()
        },
        EXT_PIPE,
    );
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.sent();
    // Two replies to MAIL alone: the second would be taken for RCPT.
    assert_eq!(h.server("250 ok\r\n250 ok\r\n"), Want::Abort);
    assert_eq!(h.sent(), "");
    assert_eq!(kind(h.result(0)), ErrorKind::Protocol);
}

#[test]
fn a_reply_while_the_body_is_being_sent_is_out_of_step() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.bodies.insert(0, vec![b'x'; 200_000]);
    h.s.send(0, envelope_sized(&["a@x.test"], 200_002));
    h.run();
    h.sent();
    h.s.receive(b"250 ok\r\n250 ok\r\n354 go\r\n");
    // The driver writes the first piece of the body, then the server speaks.
    let Want::Body { .. } = h.s.want() else {
        panic!("body expected")
    };
    h.s.push_body(&[b'x'; 1000]);
    assert!(h.s.wants_early_input());
    h.s.receive(b"250 2.0.0 queued\r\n");
    assert_eq!(h.run(), Want::Abort);
    assert_eq!(kind(h.result(0)), ErrorKind::Protocol);
}

#[test]
fn sender_refused_then_rset_and_the_session_goes_on() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.sent();
    h.server("553 5.7.1 sender blocked\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n");
    assert_eq!(h.sent(), "RSET\r\n");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SenderRejected);
    assert_eq!(e.reply().map(|r| r.code), Some(553));
    h.server("250 reset\r\n");
    assert!(h.s.is_ready() && h.s.want() == Want::Idle);
    h.send(1, envelope(&["a@x.test"]), BODY);
    assert!(h.sent().starts_with("MAIL FROM:"));
}

#[test]
fn every_recipient_refused_sends_no_data_or_an_empty_one_after_354() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test", "b@x.test"]), BODY);
    h.sent();
    h.server("250 ok\r\n550 no\r\n550 no\r\n554 5.5.1 no valid recipients\r\n");
    assert_eq!(h.sent(), "RSET\r\n");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected);
    assert!(e.message().contains("every recipient (2 of 2)"), "{e}");
    h.server("250 ok\r\n");

    // A pipelining server that says 354 anyway gets an empty message, then RSET.
    h.send(1, envelope(&["a@x.test"]), BODY);
    h.sent();
    h.server("250 ok\r\n550 no\r\n354 go\r\n");
    assert_eq!(h.sent(), ".\r\n");
    h.server("554 no valid recipients\r\n");
    assert_eq!(h.sent(), "RSET\r\n");
    assert_eq!(kind(h.result(1)), ErrorKind::RecipientsRejected);
}

/// Every reply at every step of a DATA transaction: the outcome, and whether the
/// session is still usable afterwards.
#[test]
fn every_reply_at_every_step() {
    #[derive(Clone, Copy, Debug)]
    enum Step {
        Mail,
        Rcpt,
        Data,
        Final,
    }
    let replies = [
        ("250 ok\r\n", None),
        ("451 4.3.0 later\r\n", Some("4xx")),
        ("550 5.0.0 no\r\n", Some("5xx")),
        ("421 4.3.2 closing\r\n", Some("421")),
        ("bogus\r\n", Some("garbage")),
    ];
    let oversized = format!("250 {}\r\n", "x".repeat(5000));
    for pipelined in [false, true] {
        for step in [Step::Mail, Step::Rcpt, Step::Data, Step::Final] {
            for (reply, class) in replies
                .iter()
                .map(|(r, c)| (r.to_string(), *c))
                .chain([(oversized.clone(), Some("oversized"))])
            {
                let mut h = Harness::ready(
                    SessionConfig {
                        pipelining: pipelined,
                        ..no_chunking()
                    },
                    EXT_PIPE,
                );
                h.send(0, envelope(&["a@x.test"]), BODY);
                let good = ["250 ok\r\n", "250 ok\r\n", "354 go\r\n", "250 queued\r\n"];
                let at = step as usize;
                for g in good.iter().take(at) {
                    h.server(g);
                }
                let swapped = if at == 2 && class.is_none() {
                    "354 go\r\n".to_string()
                } else {
                    reply.clone()
                };
                h.server(&swapped);
                if class.is_none() {
                    for g in &good[at + 1..] {
                        h.server(g);
                    }
                    assert!(
                        h.result(0).is_ok(),
                        "{step:?} {reply:?} pipelined={pipelined}"
                    );
                    continue;
                }
                // With PIPELINING the commands behind a refused one were sent too and
                // get the replies a server gives them.
                if pipelined && matches!(class, Some("4xx" | "5xx")) {
                    match step {
                        Step::Mail => h.server("503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n"),
                        Step::Rcpt => h.server("554 5.5.1 no valid recipients\r\n"),
                        _ => h.run(),
                    };
                }
                // Answer a RSET if one came.
                if h.sent().ends_with("RSET\r\n") {
                    h.server("250 ok\r\n");
                }
                let e = h.result(0).expect_err("must fail");
                let expected = match (class.unwrap(), step) {
                    ("garbage" | "oversized", _) => ErrorKind::Protocol,
                    // A 421 to the end of data is the message's (temporary) refusal.
                    ("421", Step::Final) => ErrorKind::MessageRejected,
                    ("421", _) => ErrorKind::ConnectionLost,
                    (_, Step::Mail) => ErrorKind::SenderRejected,
                    (_, Step::Rcpt) => ErrorKind::RecipientsRejected,
                    (_, Step::Data | Step::Final) => ErrorKind::MessageRejected,
                };
                assert_eq!(
                    e.kind(),
                    expected,
                    "{step:?} {reply:?} pipelined={pipelined}: {e}"
                );
                let usable = matches!(class, Some("4xx" | "5xx"));
                assert_eq!(
                    h.s.is_ready(),
                    usable,
                    "{step:?} {reply:?} pipelined={pipelined}"
                );
                if matches!(class, Some("4xx" | "5xx")) {
                    assert!(!e.message().is_empty());
                    assert!(e.reply().is_some(), "{step:?}: the reply is kept");
                }
            }
        }
    }
}

/// A 2xx to DATA (the server will not read the data) and a 3xx after the end of
/// data are no refusal of the message: the conversation is out of step, so the
/// send fails with PROTOCOL and the session ends without another command.
#[test]
fn a_success_where_none_can_be_is_a_protocol_error() {
    for pipelined in [false, true] {
        for (replies, what) in [
            (
                &["250 ok\r\n", "250 ok\r\n", "250 ok\r\n"][..],
                "DATA with 250",
            ),
            (
                &["250 ok\r\n", "250 ok\r\n", "354 go\r\n", "354 again\r\n"][..],
                "the end of the message data with 354",
            ),
        ] {
            let mut h = Harness::ready(
                SessionConfig {
                    pipelining: pipelined,
                    ..no_chunking()
                },
                EXT_PIPE,
            );
            h.send(0, envelope(&["a@x.test"]), BODY);
            for r in replies {
                h.server(r);
            }
            let e = h.result(0).expect_err("must fail");
            assert_eq!(
                e.kind(),
                ErrorKind::Protocol,
                "{what}, pipelined={pipelined}: {e}"
            );
            assert!(e.message().contains(what), "{e}");
            assert!(e.reply().is_some(), "the reply is kept: {e}");
            assert!(!h.sent().contains("RSET"), "nothing more is said");
            assert!(!h.s.is_ready());
        }
    }
}

// ---------------------------------------------------------------------------
// BDAT
// ---------------------------------------------------------------------------

#[test]
fn small_message_is_one_write_with_bdat_last() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    h.send(
        0,
        envelope(&["a@x.test", "b@x.test"]),
        b"Subject: t\n\n.dot\n",
    );
    assert_eq!(h.writes, 1, "MAIL, RCPTs, BDAT and the body in one write");
    assert_eq!(
        h.sent(),
        "MAIL FROM:<s@x.test> SIZE=22\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>\r\n\
         BDAT 20 LAST\r\nSubject: t\r\n\r\n.dot\r\n"
    );
    assert_eq!(
        h.server("250 ok\r\n250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n"),
        Want::Idle
    );
    let report = h.result(0).unwrap();
    assert_eq!(report.final_text(), "2.0.0 queued");
}

#[test]
fn large_message_waits_for_the_rcpt_replies_then_streams_chunks() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    let body: Vec<u8> = (0..CHUNK * 2 + 100)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    h.send(
        0,
        envelope_sized(&["a@x.test"], body.len() as u64 + 2),
        &body,
    );
    assert_eq!(
        h.sent(),
        format!(
            "MAIL FROM:<s@x.test> SIZE={}\r\nRCPT TO:<a@x.test>\r\n",
            body.len() + 2
        )
    );
    h.server("250 ok\r\n250 ok\r\n");
    let chunks = bdat_chunks(h.sent().as_bytes());
    let sizes: Vec<(usize, bool)> = chunks.iter().map(|(d, last)| (d.len(), *last)).collect();
    assert_eq!(sizes, [(CHUNK, false), (CHUNK, false), (102, true)]);
    let data: Vec<u8> = chunks.into_iter().flat_map(|(d, _)| d).collect();
    assert!(data[..body.len()] == body[..] && &data[body.len()..] == b"\r\n");
    h.server("250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n");
    assert!(h.result(0).is_ok());
}

#[test]
fn bdat_refused_half_way_resets_and_the_session_is_usable() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    let body = vec![b'z'; CHUNK * 3];
    h.send(
        0,
        envelope_sized(&["a@x.test"], body.len() as u64 + 2),
        &body,
    );
    h.server("250 ok\r\n250 ok\r\n");
    h.sent();
    // The first chunk is refused; the other chunks in flight get their replies.
    h.server("552 5.3.4 too big\r\n");
    let more = h.sent();
    assert!(
        !more.contains("BDAT"),
        "no chunk after a refusal: {}",
        &more[..more.len().min(40)]
    );
    h.server("503 5.5.1 after error\r\n503 5.5.1 after error\r\n503 5.5.1 after error\r\n");
    assert_eq!(h.sent(), "RSET\r\n");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageTooBig);
    assert_eq!(e.reply().map(|r| r.code), Some(552));
    h.server("250 reset\r\n");
    assert!(h.s.is_ready());
    h.send(1, envelope(&["a@x.test"]), BODY);
    h.server("250 ok\r\n250 ok\r\n250 queued\r\n");
    assert!(h.result(1).is_ok());
}

#[test]
fn bdat_last_refused_is_reset() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.sent();
    h.server("250 ok\r\n250 ok\r\n554 5.7.1 spam\r\n");
    assert_eq!(
        h.sent(),
        "RSET\r\n",
        "state is undefined after a refused BDAT (RFC 3030)"
    );
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageRejected);
    assert_eq!(e.report().unwrap().final_code(), 554);
}

#[test]
fn bdat_with_every_recipient_refused() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.sent();
    h.server("250 ok\r\n550 no\r\n554 5.5.1 no valid recipients\r\n");
    assert_eq!(kind(h.result(0)), ErrorKind::RecipientsRejected);
    assert_eq!(h.sent(), "RSET\r\n");
}

#[test]
fn bdat_without_pipelining_waits_for_each_reply() {
    let mut h = Harness::ready(
        SessionConfig {
            pipelining: false,
            ..cfg()
        },
        &["CHUNKING"],
    );
    h.send(0, envelope(&["a@x.test"]), BODY);
    assert_eq!(h.sent(), "MAIL FROM:<s@x.test>\r\n");
    h.server("250 ok\r\n");
    assert_eq!(h.sent(), "RCPT TO:<a@x.test>\r\n");
    h.server("250 ok\r\n");
    assert_eq!(
        h.sent(),
        format!(
            "BDAT {} LAST\r\n{}",
            BODY.len(),
            String::from_utf8_lossy(BODY)
        )
    );
    h.server("250 queued\r\n");
    assert!(h.result(0).is_ok());
}

#[test]
fn chunking_switched_off_uses_data() {
    let mut h = Harness::ready(no_chunking(), EXT_ALL);
    h.send(0, envelope(&["a@x.test"]), BODY);
    assert!(h.sent().ends_with("DATA\r\n"));
}

#[test]
fn body_failure_resets_with_bdat_and_aborts_with_data() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    h.failing.insert(0, CHUNK as u64);
    let body = vec![b'q'; CHUNK * 3];
    h.send(0, envelope_sized(&["a@x.test"], body.len() as u64), &body);
    h.server("250 ok\r\n250 ok\r\n");
    let wire = h.sent();
    assert!(!wire.contains("LAST"), "the message was never ended");
    h.server("250 ok\r\n");
    assert_eq!(h.sent(), "RSET\r\n");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::File);
    assert!(e.message().contains("attachment.bin"), "{e}");
    h.server("250 ok\r\n");
    assert!(h.s.is_ready(), "still usable");

    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.failing.insert(0, 7000);
    h.send(0, envelope_sized(&["a@x.test"], 20_000), &[b'q'; 20_000]);
    h.sent();
    assert_eq!(h.server("250 ok\r\n250 ok\r\n354 go\r\n"), Want::Abort);
    assert!(!h.sent().ends_with(".\r\n"), "no end-of-data mark");
    assert_eq!(kind(h.result(0)), ErrorKind::File);
}

// ---------------------------------------------------------------------------
// Batches
// ---------------------------------------------------------------------------

#[test]
fn batch_with_data_sends_the_next_mail_behind_the_dot() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    for i in 0..3 {
        h.bodies.insert(i, BODY.to_vec());
        h.s.send(i, envelope(&["a@x.test"]));
    }
    h.run();
    assert_eq!(
        h.sent(),
        format!(
            "MAIL FROM:<s@x.test> SIZE={}\r\nRCPT TO:<a@x.test>\r\nDATA\r\n",
            BODY.len()
        )
    );
    h.server("250 ok\r\n250 ok\r\n354 go\r\n");
    assert_eq!(
        h.writes, 1,
        "data, dot and the next MAIL/RCPT/DATA in one write"
    );
    assert_eq!(
        h.sent(),
        format!("Subject: t\r\n\r\nHello.\r\n.\r\nMAIL FROM:<s@x.test> SIZE={}\r\nRCPT TO:<a@x.test>\r\nDATA\r\n", BODY.len())
    );
    h.server("250 queued 1\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    assert!(h.result(0).is_ok());
    assert_eq!(h.writes, 1);
    h.sent();
    h.server("250 queued 2\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    assert_eq!(
        h.sent(),
        "Subject: t\r\n\r\nHello.\r\n.\r\n",
        "nothing behind the last one"
    );
    h.server("250 queued 3\r\n");
    for i in 1..3 {
        assert!(h.result(i).is_ok());
    }
    assert_eq!(h.s.want(), Want::Idle);
}

#[test]
fn batch_with_bdat_sends_the_next_message_behind_the_last_chunk_led_by_rset() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    for i in 0..3 {
        h.bodies.insert(i, BODY.to_vec());
        h.s.send(i, envelope(&["a@x.test"]));
    }
    h.run();
    assert_eq!(h.writes, 1, "three messages in one write");
    let one = format!(
        "MAIL FROM:<s@x.test> SIZE={n}\r\nRCPT TO:<a@x.test>\r\nBDAT {n} LAST\r\n{}",
        String::from_utf8_lossy(BODY),
        n = BODY.len()
    );
    assert_eq!(h.sent(), format!("{one}RSET\r\n{one}RSET\r\n{one}"));
    h.server("250 ok\r\n250 ok\r\n250 queued 1\r\n");
    assert!(h.result(0).is_ok());
    h.server("250 reset\r\n250 ok\r\n250 ok\r\n250 queued 2\r\n250 reset\r\n");
    assert!(h.result(1).is_ok());
    h.server("250 ok\r\n250 ok\r\n250 queued 3\r\n");
    assert!(h.result(2).is_ok());
    assert_eq!(h.sent(), "", "no RSET after the last one");
    assert_eq!(h.s.want(), Want::Idle);
}

#[test]
fn batch_with_bdat_a_refused_message_is_cleared_by_the_next_ones_rset() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    for i in 0..2 {
        h.bodies.insert(i, BODY.to_vec());
        h.s.send(i, envelope(&["a@x.test"]));
    }
    h.run();
    h.sent();
    h.server(
        "250 ok\r\n250 ok\r\n554 5.7.1 rejected\r\n250 reset\r\n250 ok\r\n250 ok\r\n250 queued\r\n",
    );
    assert_eq!(h.sent(), "", "the second message's RSET was the reset");
    assert_eq!(kind(h.result(0)), ErrorKind::MessageRejected);
    assert!(h.result(1).is_ok());
    assert_eq!(h.s.want(), Want::Idle);
}

#[test]
fn batch_with_bdat_keeps_at_most_a_window_of_commands_in_flight() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    for i in 0..120 {
        h.bodies.insert(i, BODY.to_vec());
        h.s.send(i, envelope(&["a@x.test"]));
    }
    assert_eq!(h.run(), Want::Read);
    let first = h.sent();
    // MAIL RCPT BDAT, then RSET MAIL RCPT BDAT per message: 25 fit in 100.
    assert_eq!(first.matches("MAIL FROM:").count(), 25);
    assert_eq!(
        first
            .lines()
            .filter(|l| !l.starts_with("Subject") && !l.is_empty() && !l.starts_with("Hello"))
            .count(),
        99
    );
    // As replies come in, the window slides: each message's replies let another go.
    h.server("250 ok\r\n250 ok\r\n250 q\r\n");
    assert_eq!(h.sent().matches("MAIL FROM:").count(), 1);
    for _ in 1..120 {
        h.server("250 r\r\n250 ok\r\n250 ok\r\n250 q\r\n");
        h.sent();
        assert!(h.s.wire.awaiting.len() <= GROUP);
    }
    for i in 0..120 {
        assert!(h.result(i).is_ok(), "message {i}");
    }
}

#[test]
fn batch_failure_ends_in_unknown_outcome_then_not_sent() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    for i in 0..3 {
        h.bodies.insert(i, BODY.to_vec());
        h.s.send(i, envelope(&["a@x.test"]));
    }
    h.run();
    h.server("250 ok\r\n250 ok\r\n354 go\r\n");
    // Message 0's data and message 1's commands are written; the line drops.
    h.s.peer_closed();
    h.run();
    let e0 = h.result(0).unwrap_err();
    assert_eq!(e0.kind(), ErrorKind::UnknownOutcome, "{e0}");
    assert!(e0.report().is_some());
    assert_eq!(kind(h.result(1)), ErrorKind::NotSent);
    let e2 = h.result(2).unwrap_err();
    assert_eq!(e2.kind(), ErrorKind::NotSent);
    assert_eq!(
        e2.report().unwrap().recipients[0].failure,
        Some(ErrorKind::NotSent)
    );
    assert!(h.s.is_closed());
}

#[test]
fn a_refused_message_does_not_stop_the_batch() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    for i in 0..2 {
        h.bodies.insert(i, BODY.to_vec());
        h.s.send(i, envelope(&["a@x.test"]));
    }
    h.run();
    h.sent();
    h.server("250 ok\r\n250 ok\r\n354 go\r\n");
    h.sent();
    h.server("554 5.7.1 spam\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    h.server("250 queued\r\n");
    assert_eq!(kind(h.result(0)), ErrorKind::MessageRejected);
    assert!(h.result(1).is_ok());
}

// ---------------------------------------------------------------------------
// 452: a further transaction
// ---------------------------------------------------------------------------

#[test]
fn recipients_refused_with_452_go_in_a_further_transaction() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    let rcpts = ["1@x.test", "2@x.test", "3@x.test", "4@x.test", "5@x.test"];
    h.send(0, envelope(&rcpts), BODY);
    h.sent();
    h.server(
        "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n452 4.5.3 too many recipients\r\n\
         452 4.5.3 too many recipients\r\n250 2.0.0 queued A\r\n",
    );
    let wire = h.sent();
    assert!(
        wire.starts_with("MAIL FROM:"),
        "a second transaction: {wire}"
    );
    assert!(
        wire.contains("RCPT TO:<4@x.test>\r\nRCPT TO:<5@x.test>\r\nBDAT"),
        "{wire}"
    );
    assert!(!wire.contains("<1@x.test>"));
    h.server("250 ok\r\n250 ok\r\n250 ok\r\n250 2.0.0 queued B\r\n");
    let report = h.result(0).unwrap();
    assert_eq!(h.s.want(), Want::Idle);
    assert_eq!(report.recipients.len(), 5, "each recipient reported once");
    assert!(report
        .recipients
        .iter()
        .all(|r| r.delivered() && r.code == 250));
    assert_eq!(report.final_text(), "2.0.0 queued B");
}

#[test]
fn a_further_transaction_that_delivers_nothing_ends_the_retries() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    h.send(0, envelope(&["1@x.test", "2@x.test", "3@x.test"]), BODY);
    h.server("250 ok\r\n250 ok\r\n452 too many\r\n452 too many\r\n250 queued\r\n");
    h.sent();
    h.server("250 ok\r\n452 too many\r\n452 too many\r\n554 no valid recipients\r\n");
    h.server("250 reset\r\n");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Partial);
    let report = e.report().unwrap();
    assert!(report.recipients[0].delivered());
    assert_eq!(report.recipients[1].code, 452);
    assert_eq!(
        report.recipients[1].failure,
        Some(ErrorKind::RecipientsRejected)
    );
}

// ---------------------------------------------------------------------------
// Failures of the connection
// ---------------------------------------------------------------------------

#[test]
fn connection_failures_at_each_stage() {
    // Before any reply to MAIL on a reused session: may be retried.
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.server("250 ok\r\n250 ok\r\n354 go\r\n");
    h.server("250 queued\r\n");
    assert!(h.result(0).is_ok());
    h.send(1, envelope(&["a@x.test"]), BODY);
    h.s.peer_closed();
    h.run();
    let retry = h
        .done
        .iter()
        .any(|e| matches!(e, Event::MessageDone { retry: true, .. }));
    assert!(retry, "{:?}", h.done);
    assert_eq!(kind(h.result(1)), ErrorKind::ConnectionLost);

    // A timeout while waiting for the final reply: unknown outcome.
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.server("250 ok\r\n250 ok\r\n354 go\r\n");
    h.s.io_failed(Error::new(ErrorKind::Timeout, "timed out"));
    h.run();
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownOutcome);
    assert!(
        e.message()
            .contains("waiting for the reply to the message data: timed out"),
        "{e}"
    );

    // A cancel after the whole message was written is an unknown outcome too.
    let mut h = Harness::ready(cfg(), EXT_ALL);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.s.io_failed(Error::new(ErrorKind::Cancelled, "cancelled"));
    h.run();
    assert_eq!(kind(h.result(0)), ErrorKind::UnknownOutcome);

    // A cancel before: cancelled, with the report.
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.s.io_failed(Error::new(ErrorKind::Cancelled, "cancelled"));
    h.run();
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(e.report().is_some());
}

#[test]
fn a_421_to_mail_closes_and_keeps_the_reply() {
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, envelope(&["a@x.test"]), BODY);
    h.server("421 4.4.2 timeout\r\n");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionLost);
    assert_eq!(e.reply().map(|r| r.code), Some(421));
    assert!(h.s.is_closed());
}

#[test]
fn an_unsolicited_421_while_idle_closes_the_session() {
    let mut h = Harness::ready(cfg(), EXT_ALL);
    h.server("421 4.4.2 idle timeout\r\n");
    assert!(h.s.is_closed());
    h.s.send(0, envelope(&["a@x.test"]));
    h.run();
    assert_eq!(kind(h.result(0)), ErrorKind::State);
}

// ---------------------------------------------------------------------------
// Parameters: SIZE, 8BITMIME, SMTPUTF8, DSN
// ---------------------------------------------------------------------------

#[test]
fn mail_and_rcpt_parameters() {
    let mut list = vec![Recipient::new("a@x.test"), Recipient::new("b@x.test")];
    list[0].notify = Notify::SUCCESS.union(Notify::FAILURE);
    list[1].orcpt = Some("orig+1@y.test".into());
    let env = Envelope::new(
        "s@x.test",
        list,
        DsnRequest {
            ret: Some(DsnReturn::Headers),
            envid: Some("ID 1".into()),
            required: false,
        },
    )
    .unwrap()
    .with_body(BodyInfo {
        size: 10,
        eight_bit: true,
        smtputf8: false,
    });
    let mut h = Harness::ready(no_chunking(), EXT_PIPE);
    h.send(0, env.clone(), BODY);
    assert_eq!(
        h.sent(),
        "MAIL FROM:<s@x.test> SIZE=10 BODY=8BITMIME RET=HDRS ENVID=ID+201\r\n\
         RCPT TO:<a@x.test> NOTIFY=SUCCESS,FAILURE\r\n\
         RCPT TO:<b@x.test> ORCPT=rfc822;orig+2B1@y.test\r\nDATA\r\n"
    );
    // Without DSN at the server: without the parameters (or refused if required).
    let mut h = Harness::ready(no_chunking(), &["PIPELINING", "8BITMIME"]);
    h.send(0, env.clone(), BODY);
    assert_eq!(
        h.sent(),
        "MAIL FROM:<s@x.test> BODY=8BITMIME\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n"
    );
    let mut required = env;
    required.dsn.required = true;
    let mut h = Harness::ready(no_chunking(), &["PIPELINING", "8BITMIME"]);
    h.send(0, required, BODY);
    assert_eq!(h.sent(), "", "nothing sent");
    let e = h.result(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.report().is_none());
    assert!(h.s.is_ready());
}

#[test]
fn too_big_and_unsupported_are_refused_before_mail() {
    let mut h = Harness::ready(no_chunking(), &["PIPELINING", "SIZE 10"]);
    h.send(0, envelope_sized(&["a@x.test"], 11), BODY);
    assert_eq!(h.sent(), "");
    assert_eq!(kind(h.result(0)), ErrorKind::MessageTooBig);
    let utf8 = Envelope::new(
        "用户@例子.测试",
        vec![Recipient::new("a@x.test")],
        DsnRequest::default(),
    )
    .unwrap();
    h.send(1, utf8, BODY);
    assert_eq!(h.sent(), "");
    assert_eq!(kind(h.result(1)), ErrorKind::Unsupported);
}

// ---------------------------------------------------------------------------
// NOOP, RSET, VRFY, ETRN, QUIT
// ---------------------------------------------------------------------------

#[test]
fn simple_commands() {
    let mut h = Harness::ready(cfg(), &["ETRN", "VRFY"]);
    h.s.command(SimpleCommand::Noop);
    h.run();
    assert_eq!(h.sent(), "NOOP\r\n");
    h.server("250 ok\r\n");
    assert!(h.command_result().is_ok());

    h.s.command(SimpleCommand::Vrfy("用户@例子.测试".into()));
    h.run();
    assert_eq!(h.sent(), "", "non-ASCII VRFY needs SMTPUTF8: nothing sent");
    assert_eq!(kind(h.command_result()), ErrorKind::Unsupported);

    h.s.command(SimpleCommand::Etrn("example.com".into()));
    h.run();
    assert_eq!(h.sent(), "ETRN example.com\r\n");
    h.server("250 Queuing started\r\n");
    assert_eq!(h.command_result().unwrap().code, 250);

    h.s.command(SimpleCommand::Etrn("other.test".into()));
    h.run();
    h.server("459 4.7.1 <other.test>: Unable to perform ETRN request\r\n");
    assert_eq!(kind(h.command_result()), ErrorKind::CommandRejected);
    h.sent();

    h.s.command(SimpleCommand::Quit);
    h.run();
    assert_eq!(h.sent(), "QUIT\r\n");
    assert_eq!(h.server("221 bye\r\n"), Want::Closed);
    assert!(h.command_result().is_ok());

    let mut h = Harness::ready(cfg(), &["SMTPUTF8"]);
    h.s.command(SimpleCommand::Etrn("example.com".into()));
    h.run();
    assert_eq!(h.sent(), "", "ETRN not offered: nothing sent");
    assert_eq!(kind(h.command_result()), ErrorKind::Unsupported);
    h.s.command(SimpleCommand::Vrfy("用户@例子.测试".into()));
    h.run();
    assert_eq!(h.sent(), "VRFY 用户@例子.测试 SMTPUTF8\r\n");
}

// ---------------------------------------------------------------------------
// More matrices: setup steps, BDAT steps, a whole conversation split anywhere
// ---------------------------------------------------------------------------

/// Every kind of reply at each setup step: what the setup reports, and whether
/// the session says QUIT (a healthy server) or closes at once (a broken stream).
#[test]
fn every_reply_at_every_setup_step() {
    let creds = Credentials::password("alice", "s3cret").unwrap();
    let cfg_for = |step: usize| SessionConfig {
        tls: if step == 2 {
            TlsMode::StartTls
        } else {
            TlsMode::None
        },
        credentials: (step == 3).then(|| creds.clone()),
        ..cfg()
    };
    let oversized = format!("250 {}\r\n", "x".repeat(5000));
    let replies: [(&str, &str); 6] = [
        ("2xx", "250 ok\r\n"),
        ("4xx", "451 4.3.0 later\r\n"),
        ("5xx", "554 5.7.1 no\r\n"),
        ("421", "421 4.3.2 closing\r\n"),
        ("garbage", "what?\r\n"),
        ("oversized", &oversized),
    ];
    // Steps: 0 greeting, 1 EHLO, 2 STARTTLS, 3 AUTH.
    for step in 0..4 {
        for (class, reply) in replies {
            let mut h = Harness::new(cfg_for(step));
            let before: Vec<String> = match step {
                0 => vec![],
                1 => vec!["220 mx\r\n".into()],
                2 => vec!["220 mx\r\n".into(), ehlo(&["STARTTLS"])],
                _ => vec!["220 mx\r\n".into(), ehlo(&["AUTH PLAIN"])],
            };
            for b in &before {
                h.server(b);
            }
            h.sent();
            // A positive reply where 220/235 is expected is still the wrong one for
            // the greeting, STARTTLS and AUTH.
            h.server(reply);
            let what = format!("step {step}, {class}");
            if step == 1 && class == "2xx" {
                assert!(h.s.is_ready(), "{what}");
                continue;
            }
            let e = h.setup_error();
            let expected = match (step, class) {
                (_, "garbage" | "oversized") => ErrorKind::Protocol,
                (0, _) => ErrorKind::GreetingRejected,
                (_, "421") => ErrorKind::ConnectionLost,
                (1, _) => ErrorKind::Protocol,
                (2, _) => ErrorKind::TlsUnavailable,
                (3, "2xx") => ErrorKind::Protocol,
                (3, _) => ErrorKind::CommandRejected,
                _ => unreachable!(),
            };
            assert_eq!(e.kind(), expected, "{what}: {e}");
            let broken = matches!(class, "garbage" | "oversized");
            let quit = h.sent();
            if broken {
                assert_eq!(quit, "", "{what}: no QUIT into a broken stream");
            } else if class != "421" {
                assert_eq!(quit, "QUIT\r\n", "{what}");
                assert!(e.reply().is_some(), "{what}: the reply is kept");
            }
            assert!(!h.s.is_ready(), "{what}");
        }
    }
}

/// Every kind of reply at each step of a small BDAT transaction (MAIL, RCPT and
/// BDAT LAST written together).
#[test]
fn every_reply_at_every_bdat_step() {
    let oversized = format!("250 {}\r\n", "x".repeat(5000));
    let replies = [
        ("4xx", "451 4.3.0 later\r\n".to_string()),
        ("5xx", "550 5.0.0 no\r\n".to_string()),
        ("421", "421 4.3.2 closing\r\n".to_string()),
        ("garbage", "nonsense\r\n".to_string()),
        ("oversized", oversized),
    ];
    for step in 0..3 {
        for (class, reply) in &replies {
            let mut h = Harness::ready(cfg(), EXT_ALL);
            h.send(0, envelope(&["a@x.test"]), BODY);
            h.sent();
            let good = ["250 ok\r\n", "250 ok\r\n"];
            // The replies after a refused MAIL or RCPT, as a server gives them.
            let after: &[&str] = match step {
                0 => &["503 5.5.1 need MAIL\r\n", "503 5.5.1 need MAIL\r\n"],
                1 => &["554 5.5.1 no valid recipients\r\n"],
                _ => &[],
            };
            let mut stream: String = good[..step].concat();
            stream.push_str(reply);
            if matches!(*class, "4xx" | "5xx") {
                stream.push_str(&after.concat());
            }
            h.server(&stream);
            let reset = h.sent();
            if reset == "RSET\r\n" {
                h.server("250 ok\r\n");
            }
            let what = format!("BDAT step {step}, {class}");
            let e = h.result(0).expect_err(&what);
            let expected = match (*class, step) {
                ("garbage" | "oversized", _) => ErrorKind::Protocol,
                ("421", 2) => ErrorKind::MessageRejected,
                ("421", _) => ErrorKind::ConnectionLost,
                (_, 0) => ErrorKind::SenderRejected,
                (_, 1) => ErrorKind::RecipientsRejected,
                _ => ErrorKind::MessageRejected,
            };
            assert_eq!(e.kind(), expected, "{what}: {e}");
            let usable = matches!(*class, "4xx" | "5xx");
            assert_eq!(h.s.is_ready(), usable, "{what}");
            if usable {
                assert_eq!(
                    reset, "RSET\r\n",
                    "{what}: reset after a failed BDAT transaction"
                );
            }
        }
    }
}

/// A whole conversation — greeting, EHLO, AUTH, two messages over BDAT, QUIT —
/// with each of the server's flights of replies split into two pieces at every
/// position: the same bytes from the client and the same results every time.
#[test]
fn a_whole_conversation_split_at_every_byte() {
    let creds = Credentials::password("alice", "s3cret").unwrap();
    let flights: Vec<String> = vec![
        "220 mx\r\n".into(),
        ehlo(&["PIPELINING", "CHUNKING", "AUTH PLAIN"]),
        "235 2.7.0 ok\r\n".into(),
        // Both messages were written in one go: their replies come together.
        "250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.0.0 queued 1\r\n250 2.0.0 reset\r\n\
         250 2.1.0 ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no valid recipients\r\n"
            .into(),
        "250 2.0.0 reset\r\n".into(),
        "221 bye\r\n".into(),
    ];
    let run = |split: Option<(usize, usize)>| {
        let mut h = Harness::new(auth_cfg(creds.clone()));
        h.bodies.insert(0, BODY.to_vec());
        h.bodies.insert(1, BODY.to_vec());
        h.s.send(0, envelope(&["a@x.test"]));
        h.s.send(1, envelope(&["b@x.test"]));
        h.s.command(SimpleCommand::Quit);
        for (i, flight) in flights.iter().enumerate() {
            match split {
                Some((f, at)) if f == i => {
                    h.server(&flight[..at]);
                    h.server(&flight[at..]);
                }
                _ => {
                    h.server(flight);
                }
            }
        }
        let wire = h.sent();
        let first = h
            .result(0)
            .map(|r| r.final_text())
            .map_err(|e| e.to_string());
        let second = h.result(1).map(|_| ()).map_err(|e| e.kind());
        (wire, first, second, h.s.is_closed())
    };
    let whole = run(None);
    assert_eq!(whole.1, Ok("2.0.0 queued 1".to_string()), "{}", whole.0);
    assert_eq!(whole.2, Err(ErrorKind::RecipientsRejected));
    assert!(whole.3, "QUIT answered");
    for (f, flight) in flights.iter().enumerate() {
        for at in 0..=flight.len() {
            let got = run(Some((f, at)));
            assert_eq!(got.0, whole.0, "flight {f} split at {at}: client bytes");
            assert_eq!(got.1, whole.1, "flight {f} split at {at}");
            assert_eq!(got.2, whole.2, "flight {f} split at {at}");
            assert!(got.3, "flight {f} split at {at}");
        }
    }
}
