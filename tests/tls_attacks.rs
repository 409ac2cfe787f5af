//! Attacks on the TLS policy that need no TLS server: a man in the middle strips
//! STARTTLS, refuses it, injects bytes after its 220, or stalls the handshake; a
//! plaintext server answers an implicit-TLS client; a server echoes secrets.
//! In each case: the client's result, and what the client did NOT send.

mod fault_server;

use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD as B64_NO_PAD};
use base64::Engine;
use fault_server::{assert_elapsed, fails, FaultServer, Record, Script};
use smtpc::{Client, Error, ErrorKind, TlsMode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FROM: &str = "sender@example.com";
const TO: &str = "rcpt@example.com";
const BODY: &[u8] = b"Subject: test\r\n\r\nHello.\r\n";
const USER: &str = "alice@example.com";
const PASSWORD: &str = "S3cr3t-p\u{e4}ssword";

/// Asserts the client sent no credentials and no mail transaction.
fn assert_no_auth_no_mail(rec: &Record) {
    assert!(!rec.saw("AUTH"), "{:?}", rec.lines());
    assert!(!rec.saw("MAIL"), "{:?}", rec.lines());
    assert!(!rec.saw("RCPT"), "{:?}", rec.lines());
}

/// The bytes the client sent after its STARTTLS command line.
fn after_starttls(rec: &Record) -> Vec<u8> {
    let raw = &rec.conns[0].raw;
    let at = raw
        .windows(10)
        .position(|w| w == b"STARTTLS\r\n")
        .expect("STARTTLS sent");
    raw[at + 10..].to_vec()
}

#[test]
fn starttls_required_by_default_and_missing() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "AUTH PLAIN LOGIN"])
            .read_until_close(),
    );
    // No set_tls: the default on a port other than 465 is required STARTTLS.
    let mut client = server.client_with(None);
    client.set_credentials(USER, PASSWORD).unwrap();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::TlsUnavailable, "{e}");
    assert!(!client.is_connected());
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.lines(), ["EHLO client.test"]);
    assert_no_auth_no_mail(&rec);
}

#[test]
fn opportunistic_without_starttls_sends_mail_without_credentials() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "AUTH PLAIN LOGIN"])
            .transaction(1)
            .quit(),
    );
    let mut client = server.client_with(Some(TlsMode::StartTlsOpportunistic));
    client.send_raw(FROM, &[TO], BODY).expect("plaintext send");
    assert!(!client.is_tls());
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.messages().len(), 1);
}

#[test]
fn opportunistic_without_starttls_never_sends_credentials() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["PIPELINING", "AUTH PLAIN LOGIN"])
            .read_until_close(),
    );
    let mut client = server.client_with(Some(TlsMode::StartTlsOpportunistic));
    client.set_credentials(USER, PASSWORD).unwrap();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::AuthUnavailable, "{e}");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.lines(), ["EHLO client.test"]);
    assert_no_auth_no_mail(&rec);
    assert!(!fault_server::contains_bytes(
        &rec.raw(),
        PASSWORD.as_bytes()
    ));
}

#[test]
fn starttls_454_in_required_mode_is_tls_unavailable() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["STARTTLS", "AUTH PLAIN"])
            .reply(
                "STARTTLS",
                "454 4.7.0 TLS not available due to local problem",
            )
            .read_until_close(),
    );
    let mut client = server.client_with(Some(TlsMode::StartTls));
    client.set_credentials(USER, PASSWORD).unwrap();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::TlsUnavailable, "{e}");
    assert_eq!(e.reply().map(|r| r.code), Some(454));
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.lines(), ["EHLO client.test", "STARTTLS"]);
    assert_no_auth_no_mail(&rec);
}

#[test]
fn starttls_454_in_opportunistic_mode_sends_in_plaintext() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["STARTTLS", "PIPELINING"])
            .reply(
                "STARTTLS",
                "454 4.7.0 TLS not available due to local problem",
            )
            .transaction(1)
            .quit(),
    );
    let mut client = server.client_with(Some(TlsMode::StartTlsOpportunistic));
    client.send_raw(FROM, &[TO], BODY).expect("plaintext send");
    assert!(!client.is_tls());
    client.quit().expect("quit");
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.messages().len(), 1);
}

fn injection_after_starttls(mode: TlsMode) {
    let server = FaultServer::start(
        Script::new()
            .hello(&["STARTTLS", "AUTH PLAIN"])
            .expect("STARTTLS")
            // The attacker's reply rides in the same packet as the 220.
            .send("220 2.0.0 Ready to start TLS\r\n250-INJECTED\r\n")
            .read_until_close(),
    );
    let mut client = server.client_with(Some(mode));
    client.set_credentials(USER, PASSWORD).unwrap();
    let e = fails(client.send_raw(FROM, &[TO], BODY));
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(e.message().contains("injection"), "{e}");
    assert!(!client.is_connected());
    let rec = server.join();
    rec.assert_script_done();
    assert_eq!(rec.lines(), ["EHLO client.test", "STARTTLS"]);
    // Not a byte after STARTTLS: no plaintext command, not even a ClientHello.
    assert_eq!(after_starttls(&rec), b"");
    assert_eq!(rec.accepted, 1);
}

#[test]
fn bytes_injected_after_starttls_220_are_refused() {
    injection_after_starttls(TlsMode::StartTls);
}

#[test]
fn bytes_injected_after_starttls_220_are_refused_in_opportunistic_mode() {
    injection_after_starttls(TlsMode::StartTlsOpportunistic);
}

#[test]
fn starttls_220_then_no_handshake_times_out() {
    let server = FaultServer::start(
        Script::new()
            .hello(&["STARTTLS"])
            .reply("STARTTLS", "220 2.0.0 Ready to start TLS")
            .read_until_close(),
    );
    let mut client = server.client_with(Some(TlsMode::StartTls));
    let start = Instant::now();
    let e = fails(client.connect());
    assert!(
        matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Tls),
        "{:?}: {e}",
        e.kind()
    );
    assert_elapsed(start, Duration::from_millis(900), Duration::from_secs(5));
    assert!(!client.is_connected());
    let rec = server.join();
    rec.assert_script_done();
    // The client did start the handshake (a TLS handshake record), nothing else.
    let hello = after_starttls(&rec);
    assert!(
        hello.starts_with(&[0x16, 0x03]),
        "{:02x?}",
        &hello[..hello.len().min(8)]
    );
    assert_eq!(rec.lines(), ["EHLO client.test", "STARTTLS"]);
}

#[test]
fn implicit_tls_against_plaintext_server_is_a_clear_tls_error() {
    let server = FaultServer::start(Script::new().greet().read_until_close());
    let mut client = server.client_with(Some(TlsMode::Implicit));
    let start = Instant::now();
    let e = fails(client.connect());
    // Told at once, with what the server said: not a wait for a TLS "record" the
    // greeting's first bytes seem to announce.
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.message().contains("plain text"), "{e}");
    assert!(e.message().contains("220 "), "{e}");
    assert_elapsed(start, Duration::ZERO, Duration::from_secs(2));
    let rec = server.join();
    rec.assert_script_done();
    assert!(rec.conns[0].raw.starts_with(&[0x16, 0x03]), "a ClientHello");
    assert!(rec.lines().is_empty());
}

// ---------------------------------------------------------------------------
// Secrets never leak into logs, errors or replies
// ---------------------------------------------------------------------------

/// Everything a caller can read from a client, gathered over several sessions.
#[derive(Default)]
struct Seen {
    log: Arc<Mutex<Vec<String>>>,
    texts: Vec<String>,
}

impl Seen {
    /// A client (no TLS, password credentials) whose log lands in `self.log`.
    fn client(&self, server: &FaultServer) -> Client {
        let mut client = server.client();
        client.set_credentials(USER, PASSWORD).unwrap();
        let sink = self.log.clone();
        client.set_log_callback(Some(Box::new(move |kind, line: &str| {
            sink.lock().unwrap().push(format!("{kind:?}: {line}"))
        })));
        client
    }

    /// Keeps every text the client offers about its last call.
    fn gather(&mut self, client: &Client, result: Option<&Error>) {
        if let Some(e) = result {
            self.texts.push(e.to_string());
            self.texts.push(format!("{e:?}"));
        }
        if let Some(e) = client.last_error() {
            self.texts.push(e.message().to_string());
            self.texts.push(format!("{e:?}"));
        }
        if let Some(r) = client.last_reply() {
            self.texts.push(r.one_line());
            self.texts.push(format!("{r:?}"));
        }
    }

    /// Runs a session against `script`: connect (AUTH), then QUIT if it worked.
    fn session(&mut self, script: Script) -> Record {
        let server = FaultServer::start(script);
        let mut client = self.client(&server);
        let result = client.connect();
        self.gather(&client, result.as_ref().err());
        if result.is_ok() {
            let quit = client.quit();
            self.gather(&client, quit.as_ref().err());
        }
        drop(client);
        server.join()
    }
}

#[test]
fn secrets_never_appear_in_logs_errors_or_replies() {
    let b64_password = B64.encode(PASSWORD);
    let b64_password_nopad = B64_NO_PAD.encode(PASSWORD);
    let b64_plain = B64.encode(format!("\0{USER}\0{PASSWORD}"));
    // The test is only meaningful if padding makes the two forms differ.
    assert_ne!(b64_password, b64_password_nopad);
    let echo_password = format!("{b64_password} {b64_password_nopad} {PASSWORD}");

    let mut seen = Seen::default();
    // A successful PLAIN exchange.
    let rec = seen.session(
        Script::new()
            .hello(&["AUTH PLAIN"])
            .reply("AUTH PLAIN ", "235 2.7.0 Authentication successful")
            .quit(),
    );
    rec.assert_script_done();
    assert_eq!(rec.lines()[1], format!("AUTH PLAIN {b64_plain}"));
    // A successful LOGIN exchange.
    seen.session(
        Script::new()
            .hello(&["AUTH LOGIN"])
            .reply("AUTH LOGIN", "334 VXNlcm5hbWU6")
            .reply("", "334 UGFzc3dvcmQ6")
            .reply("", "235 2.7.0 Authentication successful")
            .quit(),
    )
    .assert_script_done();
    // A plain 535.
    seen.session(
        Script::new()
            .hello(&["AUTH PLAIN"])
            .reply("AUTH PLAIN ", "535 5.7.8 Error: authentication failed")
            .read_until_close(),
    )
    .assert_script_done();
    // 535 replies that echo the secrets, to PLAIN (its whole response too) and to
    // LOGIN (in a multi-line reply).
    seen.session(
        Script::new()
            .hello(&["AUTH PLAIN"])
            .reply(
                "AUTH PLAIN ",
                &format!("535 5.7.8 bad credentials: {b64_plain} {echo_password}"),
            )
            .read_until_close(),
    )
    .assert_script_done();
    seen.session(
        Script::new()
            .hello(&["AUTH LOGIN"])
            .reply("AUTH LOGIN", "334 VXNlcm5hbWU6")
            .reply("", "334 UGFzc3dvcmQ6")
            .reply(
                "",
                &format!("535-5.7.8 you sent {b64_password}\r\n535 5.7.8 that is {echo_password}"),
            )
            .read_until_close(),
    )
    .assert_script_done();

    let log = seen.log.lock().unwrap().clone();
    let all: Vec<&String> = log.iter().chain(seen.texts.iter()).collect();
    for secret in [
        PASSWORD,
        b64_password.as_str(),
        b64_password_nopad.as_str(),
        b64_plain.as_str(),
    ] {
        let leaks: Vec<_> = all.iter().filter(|t| t.contains(secret)).collect();
        assert!(leaks.is_empty(), "{secret:?} leaked in {leaks:#?}");
    }
    // The AUTH commands were logged, with their payloads hidden.
    assert!(log.iter().any(|l| l == "Sent: AUTH PLAIN ***"), "{log:#?}");
    assert!(log.iter().any(|l| l == "Sent: AUTH LOGIN"), "{log:#?}");
    assert!(log.iter().any(|l| l == "Sent: ***"), "{log:#?}");
    // The echoing replies were received and shown, redacted.
    assert!(
        all.iter().any(|t| t.contains("bad credentials: ***")),
        "{all:#?}"
    );
}

/// The forms a secret can take in a quoted excerpt: as sent, escaped as the
/// excerpts escape non-ASCII bytes, and base64.
fn quoted_forms(secret: &str) -> Vec<String> {
    let escaped: String = secret
        .bytes()
        .map(|b| match b {
            0x20..=0x7e => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    vec![secret.to_string(), escaped, B64.encode(secret)]
}

/// No piece of 6 bytes or more of any form of `secret` is in `texts`.
fn assert_no_piece_of(secret: &str, texts: &[String]) {
    for form in quoted_forms(secret) {
        let bytes = form.as_bytes();
        for piece in bytes.windows(6) {
            let piece = String::from_utf8_lossy(piece);
            let leaks: Vec<_> = texts.iter().filter(|t| t.contains(&*piece)).collect();
            assert!(
                leaks.is_empty(),
                "{piece:?} of {form:?} leaked in {leaks:#?}"
            );
        }
    }
}

/// Malformed replies that quote a secret: a garbage line, a NUL byte, an
/// over-long line with the secret where the excerpt is cut, the secret split
/// across reads. The error quotes the server's bytes escaped and cut short;
/// the secret must be gone from the quote in every form, and it must be known
/// before AUTH (these replies come in answer to EHLO).
#[test]
fn secrets_in_malformed_replies_are_hidden_in_every_form() {
    const UTF8_PASSWORD: &str = "p\u{e4}ssw\u{f6}rd-\u{5bc6}\u{7801}-Zz9";
    const TOKEN: &str = "ya29.a0AfH6SMBx-Token_Value.1234567890abcdef";
    let mut texts = Vec::new();
    for (secret, oauth) in [(UTF8_PASSWORD, false), (TOKEN, true)] {
        let long_prefix = "a".repeat(50);
        let long_suffix = "b".repeat(5000);
        let replies = [
            format!("250-ok\r\nxx {secret} yy\r\n"),
            format!("250-hello \0 {secret}\r\n250 ok\r\n"),
            format!("250-{long_prefix}{secret}{long_suffix}\r\n"),
            format!("250 {long_prefix}{secret}"),
        ];
        for (i, reply) in replies.iter().enumerate() {
            // A byte at a time splits the secret across reads (too slow for the
            // 5 KB line, which fails on its length alone).
            let modes: &[bool] = if i < 2 { &[false, true] } else { &[false] };
            for &slowly in modes {
                let script = Script::new().greet().expect("EHLO ");
                let script = if slowly {
                    script.send_slowly(reply.as_bytes(), Duration::from_millis(1))
                } else {
                    script.send(reply.as_bytes())
                };
                let server = FaultServer::start(script.read_until_close());
                let mut client = server.client();
                if oauth {
                    client.set_oauth2_token(USER, secret).unwrap();
                } else {
                    client.set_credentials(USER, secret).unwrap();
                }
                let log = Arc::new(Mutex::new(Vec::new()));
                let sink = log.clone();
                client.set_log_callback(Some(Box::new(move |_, line: &str| {
                    sink.lock().unwrap().push(line.to_string())
                })));
                let result = client.connect();
                if i < 3 {
                    let e = result.as_ref().expect_err("a malformed reply fails");
                    assert_eq!(e.kind(), ErrorKind::Protocol, "reply {i}: {e}");
                    texts.push(e.to_string());
                    texts.push(format!("{e:?}"));
                }
                if let Some(e) = client.last_error() {
                    texts.push(e.message().to_string());
                }
                if let Some(r) = client.last_reply() {
                    texts.push(format!("{r:?}"));
                }
                drop(client);
                texts.extend(log.lock().unwrap().iter().cloned());
                drop(server);
            }
        }
    }
    assert!(texts.iter().any(|t| t.contains("***")), "{texts:#?}");
    assert_no_piece_of(UTF8_PASSWORD, &texts);
    assert_no_piece_of(TOKEN, &texts);
}
