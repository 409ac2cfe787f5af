//! Helpers shared by the Postfix integration tests (postfix_core, postfix_tls,
//! postfix_mime): log capture, client set-up, header inspection, deterministic data.
//! Reading the test environment and the maildir is `tests/common`'s job.

#![allow(dead_code)]

use crate::common::{self, TestEnv};
use smtpc::{Client, LogKind, TlsMode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a test waits for a message Postfix accepted to reach the maildir.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Every line the client's log callback saw, in order.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<(LogKind, String)>>>);

impl Log {
    /// Installs a collecting log callback on `client`.
    pub fn attach(client: &mut Client) -> Log {
        let log = Log::default();
        let sink = log.0.clone();
        client.set_log_callback(Some(Box::new(move |kind, line: &str| {
            sink.lock().unwrap().push((kind, line.to_string()));
        })));
        log
    }

    /// Every line with its kind, in order.
    pub fn entries(&self) -> Vec<(LogKind, String)> {
        self.0.lock().unwrap().clone()
    }

    /// All lines, in order, prefixed with their kind (for failure messages).
    pub fn dump(&self) -> String {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(k, l)| format!("{k:?}: {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every line's text.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// The command lines the client sent.
    pub fn sent(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k == LogKind::Sent)
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// The sent command lines whose verb (first word, case-insensitive) is `verb`.
    pub fn sent_verb(&self, verb: &str) -> Vec<String> {
        self.sent()
            .into_iter()
            .filter(|l| {
                l.split([' ', ':'])
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case(verb))
            })
            .collect()
    }

    /// The sent MAIL FROM lines.
    pub fn mail_from_lines(&self) -> Vec<String> {
        self.sent()
            .into_iter()
            .filter(|l| l.to_ascii_uppercase().starts_with("MAIL FROM:"))
            .collect()
    }

    /// Forgets every line collected so far.
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// A unique address at example.test for one test (`tag` makes it readable).
pub fn addr(tag: &str) -> String {
    common::unique_address(tag)
}

/// Waits `settle`, then asserts each recipient has exactly `n` deliveries (no
/// late duplicate arrived after the ones a test waited for).
pub fn assert_delivery_counts(env: &TestEnv, recipients: &[&str], n: usize, settle: Duration) {
    std::thread::sleep(settle);
    for to in recipients {
        let count = common::deliveries(env, to).len();
        assert_eq!(count, n, "deliveries for {to}");
    }
}

/// A client for `port` with short timeouts and the given TLS mode, logging into a
/// [`Log`]. Nothing is connected yet.
pub fn client(env: &TestEnv, port: u16, mode: Option<TlsMode>) -> (Client, Log) {
    client_for_host(&env.host, port, mode)
}

/// Like [`client`], for an explicit host name or address.
pub fn client_for_host(host: &str, port: u16, mode: Option<TlsMode>) -> (Client, Log) {
    let mut c = Client::new(host, port).expect("Client::new");
    if let Some(mode) = mode {
        c.set_tls(mode).expect("set_tls");
    }
    c.set_timeouts(Duration::from_secs(5), Duration::from_secs(60))
        .expect("set_timeouts");
    let log = Log::attach(&mut c);
    (c, log)
}

/// A client for the plain port (SMTPC_TLS_NONE), authenticated as the test user.
pub fn plain_client(env: &TestEnv) -> (Client, Log) {
    let (mut c, log) = client(env, env.plain_port, Some(TlsMode::None));
    c.set_credentials(&env.user, &env.password)
        .expect("set_credentials");
    (c, log)
}

/// The header section of a message (up to the first empty line), without it.
pub fn header_section(message: &[u8]) -> &[u8] {
    for (i, w) in message.windows(2).enumerate() {
        if w == b"\n\n" {
            return &message[..i + 1];
        }
    }
    for (i, w) in message.windows(4).enumerate() {
        if w == b"\r\n\r\n" {
            return &message[..i + 2];
        }
    }
    message
}

/// The unfolded values of every header field called `name` (case-insensitive).
pub fn header_values(message: &[u8], name: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(header_section(message)).replace("\r\n", "\n");
    let mut fields: Vec<String> = Vec::new();
    for line in text.split('\n') {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else if !line.is_empty() {
            fields.push(line.to_string());
        }
    }
    fields
        .into_iter()
        .filter_map(|f| {
            let (n, v) = f.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
        .collect()
}

/// The `with` protocol Postfix recorded in the (first) Received: header of a stored
/// message: "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA", ...
pub fn received_with(stored: &[u8]) -> String {
    let received = header_values(stored, "Received");
    let first = received
        .first()
        .unwrap_or_else(|| panic!("no Received: header in the stored message"));
    let mut words = first.split_whitespace();
    while let Some(w) = words.next() {
        if w == "with" {
            return words.next().unwrap_or("").to_string();
        }
    }
    panic!("no 'with' clause in Received: {first}");
}

/// A deterministic pseudo-random generator (xorshift64*), so that data is the same
/// on every run and failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` arbitrary bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// Lines of printable ASCII (CRLF-terminated) adding up to at least `size` bytes,
/// deterministic for a seed. Some lines start with a dot, none is longer than 200
/// bytes.
pub fn printable_lines(seed: u64, size: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(size + 256);
    while out.len() < size {
        let len = rng.below(200) as usize;
        let start = out.len();
        for _ in 0..len {
            out.push(b' ' + rng.below(95) as u8);
        }
        if len > 0 && rng.below(20) == 0 {
            out[start] = b'.';
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The longest line (without its CRLF) of a CRLF-terminated text.
pub fn longest_line(data: &[u8]) -> usize {
    data.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).len())
        .max()
        .unwrap_or(0)
}

/// Shows where two byte strings first differ (for assertion messages).
pub fn first_difference(a: &[u8], b: &[u8]) -> String {
    let at = a
        .iter()
        .zip(b.iter())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let show = |s: &[u8]| {
        let lo = at.saturating_sub(40);
        let hi = (at + 40).min(s.len());
        String::from_utf8_lossy(&s[lo..hi])
            .escape_debug()
            .to_string()
    };
    format!(
        "lengths {} and {}; first difference at byte {at}: {:?} vs {:?}",
        a.len(),
        b.len(),
        show(a),
        show(b)
    )
}

/// Asserts two messages are byte-identical, with a readable message when not.
#[track_caller]
pub fn assert_same_bytes(actual: &[u8], expected: &[u8], what: &str) {
    if actual != expected {
        panic!(
            "{what}: bytes differ: {}",
            first_difference(actual, expected)
        );
    }
}

/// A TCP relay in front of a plaintext SMTP port that rewrites the server's AUTH
/// capability line to offer only `mechanisms`, so a test can choose the SASL
/// mechanism the client must use. It records every byte the client sent, so a test
/// can prove a secret really went over the wire (and only there).
pub struct AuthFilterProxy {
    /// Where clients connect.
    pub port: u16,
    client_bytes: Arc<Mutex<Vec<u8>>>,
}

impl AuthFilterProxy {
    /// Starts relaying 127.0.0.1:<new port> to `upstream_port` on `host`.
    pub fn start(host: &str, upstream_port: u16, mechanisms: &str) -> AuthFilterProxy {
        use std::io::{BufRead, BufReader, Write};
        use std::net::{TcpListener, TcpStream};

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let client_bytes = Arc::new(Mutex::new(Vec::new()));
        let record = client_bytes.clone();
        let upstream = format!("{host}:{upstream_port}");
        let mechanisms = mechanisms.to_string();
        // The accept loop lives as long as the test process; each connection gets
        // two relay threads that end when either side closes.
        std::thread::spawn(move || {
            for incoming in listener.incoming() {
                let Ok(down) = incoming else { continue };
                let Ok(up) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let record = record.clone();
                let mechanisms = mechanisms.clone();
                let (mut down_w, mut up_w) = (down.try_clone().unwrap(), up.try_clone().unwrap());
                let (down_r, up_r) = (down, up);
                // client -> server, recorded
                std::thread::spawn(move || {
                    let mut reader = down_r;
                    let mut buf = [0u8; 16384];
                    loop {
                        match std::io::Read::read(&mut reader, &mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                record.lock().unwrap().extend_from_slice(&buf[..n]);
                                if up_w.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = up_w.shutdown(std::net::Shutdown::Write);
                });
                // server -> client, line by line, AUTH line rewritten
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(up_r);
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        match reader.read_until(b'\n', &mut line) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                        let out = rewrite_auth_line(&line, &mechanisms);
                        if down_w.write_all(&out).is_err() {
                            break;
                        }
                    }
                    let _ = down_w.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        AuthFilterProxy { port, client_bytes }
    }

    /// Everything the client sent so far.
    pub fn client_bytes(&self) -> Vec<u8> {
        self.client_bytes.lock().unwrap().clone()
    }
}

/// `250-AUTH PLAIN LOGIN` (or `250 AUTH=...`) with the mechanism list replaced.
fn rewrite_auth_line(line: &[u8], mechanisms: &str) -> Vec<u8> {
    if line.len() > 9 && line.starts_with(b"250") && matches!(line[3], b'-' | b' ') {
        let rest = &line[4..];
        let upper = rest[..5].to_ascii_uppercase();
        if upper == b"AUTH " || upper == b"AUTH=" {
            let mut out = line[..4].to_vec();
            out.extend_from_slice(&upper);
            out.extend_from_slice(mechanisms.as_bytes());
            out.extend_from_slice(b"\r\n");
            return out;
        }
    }
    line.to_vec()
}
