//! Shared helpers for the integration tests that talk to the real test mail
//! server (Postfix + Dovecot, started by `tests/setup/mailserver.sh`).
//!
//! Use from a test file with `mod common;`. Everything here is std only.
//!
//! The server is described by an env file (`KEY=value` lines) whose path is in
//! the environment variable `SMTPC_TEST_ENV`; `tests/run-all.sh` starts the
//! server and sets it. By hand:
//!
//! ```text
//! bash tests/setup/mailserver.sh start /tmp/smtpc-mail
//! export SMTPC_TEST_ENV=/tmp/smtpc-mail/env
//! cargo test --release
//! bash tests/setup/mailserver.sh stop /tmp/smtpc-mail
//! ```
//!
//! Every message the server accepts is delivered, one file per recipient, to
//! `<maildir>/<recipient, lower-cased>/<arrival-ordered name>.eml` (see
//! `tests/setup/deliver.py`), never to the outside world. Give each test its
//! own recipients with [`unique_address`] so that tests running in parallel
//! never read each other's mail.
//!
//! Not every test file uses every helper, hence the allow below.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The `SIZE` limit of the small port ([`TestEnv::small_port`]), in bytes.
pub const SMALL_SIZE_LIMIT: usize = 100_000;

/// The `SIZE` limit of the other ports, in bytes (300 MiB: room for a 250 MB
/// message).
pub const BIG_SIZE_LIMIT: usize = 300 * 1024 * 1024;

/// The domain to use for test recipients (any domain works: all are delivered
/// locally).
pub const TEST_DOMAIN: &str = "example.test";

/// What the test mail server offers, read from the env file.
#[derive(Debug, Clone)]
pub struct TestEnv {
    /// Always `127.0.0.1`.
    pub host: String,
    /// Plain SMTP: no STARTTLS offered; AUTH PLAIN and LOGIN allowed in clear.
    pub plain_port: u16,
    /// STARTTLS offered and required before MAIL; AUTH only after STARTTLS.
    pub submission_port: u16,
    /// Implicit TLS (SMTPS); AUTH offered.
    pub smtps_port: u16,
    /// Plain SMTP with AUTH, `SIZE 100000` ([`SMALL_SIZE_LIMIT`]).
    pub small_port: u16,
    /// Plain SMTP like the plain port, but without CHUNKING (messages go with DATA).
    pub nochunk_port: u16,
    /// Plain SMTP that refuses RCPTs beyond [`TestEnv::recipient_limit`] per
    /// transaction with `452 4.5.3 Error: too many recipients`.
    pub rcptlimit_port: u16,
    /// Plain SMTP that accepts and discards every message (for benchmarks).
    pub sink_port: u16,
    /// The recipients per transaction of the rcptlimit port.
    pub recipient_limit: usize,
    /// The domain ETRN is answered for (250); others get 459.
    pub etrn_domain: String,
    /// PEM file of the throw-away CA that signed the server certificate
    /// (SAN: `DNS:localhost`, `IP:127.0.0.1`, `IP:::1`).
    pub ca_file: PathBuf,
    /// Root of the per-recipient delivery directories.
    pub maildir: PathBuf,
    /// ASCII user name (`alice@example.test`) and its password (ASCII with
    /// punctuation).
    pub user: String,
    pub password: String,
    /// A user name with non-ASCII letters and its password (non-ASCII,
    /// including CJK).
    pub utf8_user: String,
    pub utf8_password: String,
    /// Refused at `RCPT TO` with `550 5.1.1`.
    pub rejected_rcpt: String,
    /// Refused at `MAIL FROM` with `553 5.7.1`.
    pub rejected_sender: String,
    /// The server's state directory (configuration, logs, queue).
    pub state_dir: PathBuf,
}

impl TestEnv {
    /// The Postfix log, for diagnostics.
    pub fn postfix_log(&self) -> PathBuf {
        self.state_dir.join("postfix").join("postfix.log")
    }

    /// The Dovecot (SASL) log, for diagnostics.
    pub fn dovecot_log(&self) -> PathBuf {
        self.state_dir.join("dovecot").join("dovecot.log")
    }
}

/// The test mail server's description, read once from the file named by
/// `SMTPC_TEST_ENV`. Panics with instructions if it is not set.
pub fn env() -> TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(load_env).clone()
}

fn load_env() -> TestEnv {
    let path = match std::env::var_os("SMTPC_TEST_ENV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "SMTPC_TEST_ENV is not set. These tests need the test mail server: run \
             `bash tests/run-all.sh`, or start it by hand with \
             `bash tests/setup/mailserver.sh start DIR` and \
             `export SMTPC_TEST_ENV=DIR/env`"
        ),
    };
    let text = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "SMTPC_TEST_ENV={}: cannot read it ({e}); is the test mail server running? \
             (bash tests/setup/mailserver.sh start DIR)",
            path.display()
        )
    });
    parse_env(&text, &path)
}

fn parse_env(text: &str, path: &Path) -> TestEnv {
    let mut map: HashMap<&str, &str> = HashMap::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            map.insert(key.trim(), value);
        }
    }
    let get = |key: &str| -> String {
        match map.get(key) {
            Some(v) => v.to_string(),
            None => panic!("{}: missing {key}", path.display()),
        }
    };
    let port = |key: &str| -> u16 {
        let v = get(key);
        v.parse()
            .unwrap_or_else(|_| panic!("{}: {key}={v} is not a port", path.display()))
    };
    TestEnv {
        host: get("SMTPC_TEST_HOST"),
        plain_port: port("SMTPC_TEST_PLAIN_PORT"),
        submission_port: port("SMTPC_TEST_SUBMISSION_PORT"),
        smtps_port: port("SMTPC_TEST_SMTPS_PORT"),
        small_port: port("SMTPC_TEST_SMALL_PORT"),
        nochunk_port: port("SMTPC_TEST_NOCHUNK_PORT"),
        rcptlimit_port: port("SMTPC_TEST_RCPTLIMIT_PORT"),
        sink_port: port("SMTPC_TEST_SINK_PORT"),
        recipient_limit: get("SMTPC_TEST_RECIPIENT_LIMIT")
            .parse()
            .unwrap_or_else(|_| {
                panic!(
                    "{}: SMTPC_TEST_RECIPIENT_LIMIT is not a number",
                    path.display()
                )
            }),
        etrn_domain: get("SMTPC_TEST_ETRN_DOMAIN"),
        ca_file: PathBuf::from(get("SMTPC_TEST_CA_FILE")),
        maildir: PathBuf::from(get("SMTPC_TEST_MAILDIR")),
        user: get("SMTPC_TEST_USER"),
        password: get("SMTPC_TEST_PASSWORD"),
        utf8_user: get("SMTPC_TEST_UTF8_USER"),
        utf8_password: get("SMTPC_TEST_UTF8_PASSWORD"),
        rejected_rcpt: get("SMTPC_TEST_REJECTED_RCPT"),
        rejected_sender: get("SMTPC_TEST_REJECTED_SENDER"),
        state_dir: PathBuf::from(get("SMTPC_TEST_STATE_DIR")),
    }
}

/// A recipient local part that no other test (in this process, another test
/// binary, or an earlier run against the same server) uses: the tag (reduced
/// to `[a-z0-9._-]`, at most 24 characters), the process id, a per-process
/// counter and the time in nanoseconds. At most 50 characters, lower case.
pub fn unique_local(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let tag: String = tag
        .chars()
        .take(24)
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '.' | '_' | '-') => c,
            _ => '-',
        })
        .collect();
    format!("{tag}-{:x}-{n}-{}", std::process::id(), base36(nanos))
}

/// [`unique_local`] at [`TEST_DOMAIN`].
pub fn unique_address(tag: &str) -> String {
    format!("{}@{TEST_DOMAIN}", unique_local(tag))
}

fn base36(mut v: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(v % 36) as usize]);
        v /= 36;
        if v == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

/// The directory that mail for `recipient` lands in. Same rule as
/// `tests/setup/deliver.py`: Unicode lower-casing, `/` becomes `_`. Pass the
/// address as Postfix sees it: no angle brackets, no quotes around the local
/// part, and with a domain (Postfix appends `@smtpc-test.localhost` to a bare
/// local part).
pub fn mailbox_dir(env: &TestEnv, recipient: &str) -> PathBuf {
    let mut name = recipient.to_lowercase().replace(['/', '\0'], "_");
    if name.is_empty() || name == "." || name == ".." {
        name.insert(0, '_');
    }
    env.maildir.join(name)
}

/// One delivered copy of a message.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The stored file.
    pub path: PathBuf,
    /// The envelope sender (`MAIL FROM`), empty for the null sender `<>`.
    pub sender: String,
    /// The stored bytes: see [`as_sent`] for how they differ from what was sent.
    pub data: Vec<u8>,
}

/// The deliveries for `recipient` so far, in arrival order.
pub fn deliveries(env: &TestEnv, recipient: &str) -> Vec<Delivery> {
    let dir = mailbox_dir(env, recipient);
    let mut names: Vec<String> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            // The delivery script writes ".tmp-*" and renames to "*.eml" last.
            .filter(|n| n.ends_with(".eml") && !n.starts_with('.'))
            .collect(),
        Err(_) => return Vec::new(),
    };
    // Names start with a zero-padded nanosecond time stamp.
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            let data =
                fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let sender_path = path.with_extension("sender");
            let sender = fs::read(&sender_path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            Delivery { path, sender, data }
        })
        .collect()
}

/// Waits until at least `n` messages arrived for `recipient` and returns all
/// deliveries (at least `n`), in arrival order. Panics after `timeout`, with
/// the Postfix log lines about that recipient.
pub fn wait_for_deliveries(
    env: &TestEnv,
    recipient: &str,
    n: usize,
    timeout: Duration,
) -> Vec<Delivery> {
    let start = Instant::now();
    loop {
        let found = deliveries(env, recipient);
        if found.len() >= n {
            return found;
        }
        if start.elapsed() >= timeout {
            panic!(
                "waited {:?} for {n} message(s) to {recipient}, got {} in {}\n{}",
                timeout,
                found.len(),
                mailbox_dir(env, recipient).display(),
                log_excerpt(env, recipient)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until at least one message arrived for `recipient` and returns all
/// of them (raw stored bytes), in arrival order.
pub fn wait_for_mail(env: &TestEnv, recipient: &str, timeout: Duration) -> Vec<Vec<u8>> {
    wait_for_n(env, recipient, 1, timeout)
}

/// Waits until at least `n` messages arrived for `recipient` and returns all
/// of them (raw stored bytes), in arrival order.
pub fn wait_for_n(env: &TestEnv, recipient: &str, n: usize, timeout: Duration) -> Vec<Vec<u8>> {
    wait_for_deliveries(env, recipient, n, timeout)
        .into_iter()
        .map(|d| d.data)
        .collect()
}

/// Panics if any message arrives for `recipient` within `wait`. Postfix
/// delivers within milliseconds here, but give it a second or so; a cheaper
/// proof is to send a second message on the same connection afterwards and
/// wait for that one.
pub fn assert_no_mail(env: &TestEnv, recipient: &str, wait: Duration) {
    let start = Instant::now();
    loop {
        let found = deliveries(env, recipient);
        if let Some(first) = found.first() {
            panic!(
                "expected no mail for {recipient}, but {} arrived; first: {}\n{}",
                found.len(),
                first.path.display(),
                String::from_utf8_lossy(&first.data)
            );
        }
        if start.elapsed() >= wait {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// The bytes the client sent in DATA (after undoing dot-stuffing, before the
/// final `.`), recovered from a stored copy.
///
/// The stored copy differs from the sent bytes in exactly two ways, both
/// undone here:
///
/// 1. Postfix prepends one `Received:` header (with its folded continuation
///    lines, each starting with a tab). That first header is removed. Headers
///    the client sent, including its own `Received:` lines, are kept: the test
///    server drops, adds and rewrites no other header (no Bcc removal, no
///    Message-ID / Date / From added, no address rewriting), and the delivery
///    adds no Delivered-To, Return-Path or From_ line.
/// 2. Lines end in LF. Every LF becomes CRLF again.
///
/// Checked byte for byte against what a client sent, including lines starting
/// with dots, bare CR inside a line, NUL and 8-bit bytes, lines over 2048
/// bytes, folded headers, Bcc / Content-Length / Return-Path headers, a
/// header-only message and the null sender. What it cannot give back, because
/// Postfix loses the difference on receipt:
///
/// - a bare LF the client sent comes back as CRLF (send CRLF only);
/// - CRs right before a CRLF are dropped (`a\r\r\n` comes back as `a\r\n`);
/// - a message whose first line is not a header (no header section) gains an
///   empty line in front, as Postfix separates its `Received:` from the body.
///
/// Panics if `stored` does not start with a `Received:` header.
pub fn as_sent(stored: &[u8]) -> Vec<u8> {
    assert!(
        stored.starts_with(b"Received: "),
        "stored message does not start with Postfix's Received: header: {:?}",
        String::from_utf8_lossy(&stored[..stored.len().min(200)])
    );
    // Skip the first line and every following line that starts with white
    // space (its folded continuation).
    let mut pos = 0;
    loop {
        match stored[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => pos += i + 1,
            None => {
                pos = stored.len();
                break;
            }
        }
        if !matches!(stored.get(pos), Some(b' ' | b'\t')) {
            break;
        }
    }
    let rest = &stored[pos..];
    let mut out = Vec::with_capacity(rest.len() + rest.len() / 32 + 2);
    for &b in rest {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The headers of a message (up to the first empty line) with folded lines
/// joined, as `(name, value)` pairs in order; names as written, values
/// trimmed. For quick assertions on stored mail.
pub fn headers(message: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(message);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.to_string(), value.trim().to_string()));
        }
    }
    out
}

/// The body of a message: everything after the first empty line (LF or CRLF
/// line ends), or nothing if there is none.
pub fn body(message: &[u8]) -> &[u8] {
    let mut start = 0;
    while start < message.len() {
        let end = message[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| start + i + 1)
            .unwrap_or(message.len());
        let line = &message[start..end];
        if line == b"\n" || line == b"\r\n" {
            return &message[end..];
        }
        start = end;
    }
    &message[message.len()..]
}

/// The last Postfix log lines mentioning `needle`, and the log's tail, to
/// explain a missing delivery.
pub fn log_excerpt(env: &TestEnv, needle: &str) -> String {
    let path = env.postfix_log();
    let Ok(log) = fs::read(&path) else {
        return format!("(no Postfix log at {})", path.display());
    };
    let log = String::from_utf8_lossy(&log);
    let lines: Vec<&str> = log.lines().collect();
    let needle = needle.to_lowercase();
    let matching: Vec<&str> = lines
        .iter()
        .filter(|l| l.to_lowercase().contains(&needle))
        .copied()
        .collect();
    let tail = &lines[lines.len().saturating_sub(15)..];
    format!(
        "--- Postfix log lines mentioning {needle} ({}):\n{}\n--- last lines of the log:\n{}",
        path.display(),
        matching[matching.len().saturating_sub(20)..].join("\n"),
        tail.join("\n")
    )
}
