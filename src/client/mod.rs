//! The SMTP client: options, and a thin blocking driver (`driver`) that runs the
//! sans-IO [`crate::protocol::session`] over a [`crate::transport::Pipe`].

mod bodies;
mod driver;
mod transcript;

pub use crate::protocol::report::{RecipientResult, Report};
pub use crate::protocol::session::TlsMode;
pub use crate::transport::CancelHandle;

use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use crate::protocol::envelope::{BodyInfo, Envelope, Recipient};
use crate::protocol::reply::Reply;
use crate::protocol::sasl::Credentials;
use crate::protocol::session::{Event, SimpleCommand};
use crate::transport::TlsSettings;
use bodies::{Bodies, MessageBodies, RawBody};
use driver::{Connection, Run};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use transcript::Transcript;

/// What a log line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    /// Connecting, TLS established, reconnect, message size, ...
    Info,
    /// One command line sent (AUTH secrets shown as `***`).
    Sent,
    /// One reply line received.
    Received,
}

/// The log callback: called with each line, never with message bodies or secrets.
pub type LogFn = Box<dyn FnMut(LogKind, &str) + Send>;
/// The progress callback: (bytes sent, bytes total); return `true` to cancel.
pub type ProgressFn = Box<dyn FnMut(u64, u64) -> bool + Send>;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default I/O timeout: for each write, for each whole reply, for the TLS
/// handshake (RFC 5321 section 4.5.3.2 suggests minutes for some steps; two minutes
/// covers a slow content scan after the end of data).
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(120);

/// How a failure that the call's deadline caused begins.
const DEADLINE_TEXT: &str = "the deadline";

/// Everything set before connecting.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls_mode: Option<TlsMode>,
    pub(crate) tls: TlsSettings,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) helo_name: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) io_timeout: Duration,
    pub(crate) pipelining: bool,
    pub(crate) chunking: bool,
}

impl Config {
    pub(crate) fn tls_mode(&self) -> TlsMode {
        self.tls_mode
            .unwrap_or_else(|| TlsMode::default_for_port(self.port))
    }

    /// What the TLS handshake checked, for the log.
    pub(crate) fn tls_checks(&self) -> &'static str {
        if self.tls.accept_invalid_certs {
            "certificate NOT verified (dangerous_accept_invalid_certs)"
        } else {
            "certificate and host name verified"
        }
    }

    /// The EHLO name: the one set, else the local address as an address literal,
    /// which is always valid syntax (RFC 5321 section 4.1.3) when no FQDN is known.
    pub(crate) fn helo_name_for(&self, local: Option<SocketAddr>) -> String {
        if let Some(name) = &self.helo_name {
            return name.clone();
        }
        match local {
            Some(SocketAddr::V4(a)) => format!("[{}]", a.ip()),
            Some(SocketAddr::V6(a)) => format!("[IPv6:{}]", a.ip()),
            None => "localhost".to_string(),
        }
    }
}

/// One SMTP session to one server. Options are set first; [`Client::connect`] (or
/// the first send) opens the session; many messages can go over it.
///
/// A client may move between threads but is used by one thread at a time; use
/// [`Client::cancel_handle`] to cancel from another thread.
pub struct Client {
    config: Config,
    conn: Option<Connection>,
    transcript: Transcript,
    /// In a `Mutex` only so that a client is `Sync`; reached with `get_mut`.
    progress: Option<Mutex<ProgressFn>>,
    cancel: CancelHandle,
    last_error: Option<Error>,
    /// The last session ended without our QUIT (the next connect is a reconnect).
    lost_session: bool,
    /// The bound for each whole call, if the caller set one.
    deadline: Option<Duration>,
    /// When the call in progress must end.
    call_ends: Option<Instant>,
}

/// Refuses CR, LF and NUL (and empty values where `allow_empty` is false).
fn check_line_value(value: &str, what: &str, allow_empty: bool) -> Result<()> {
    if !allow_empty && value.is_empty() {
        return Err(Error::invalid(format!("{what} is empty")));
    }
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Error::invalid(format!(
            "{what} contains CR, LF or NUL (refused to prevent command injection)"
        )));
    }
    Ok(())
}

impl Client {
    /// A client for `host` (name or IP literal) and `port`; nothing is connected yet.
    pub fn new(host: &str, port: u16) -> Result<Client> {
        check_line_value(host, "host", false)?;
        if host.chars().any(char::is_whitespace) {
            return Err(Error::invalid("host contains white space"));
        }
        if port == 0 {
            return Err(Error::invalid("port 0 is not a valid SMTP port"));
        }
        Ok(Client {
            config: Config {
                host: host.to_string(),
                port,
                tls_mode: None,
                tls: TlsSettings::default(),
                credentials: None,
                helo_name: None,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                io_timeout: DEFAULT_IO_TIMEOUT,
                pipelining: true,
                chunking: true,
            },
            conn: None,
            transcript: Transcript::default(),
            progress: None,
            cancel: CancelHandle::new(),
            last_error: None,
            lost_session: false,
            deadline: None,
            call_ends: None,
        })
    }

    /// Records the outcome of a call for `last_error` / `last_reply`.
    fn record<T>(&mut self, result: Result<T>) -> Result<T> {
        match result {
            Ok(v) => {
                self.last_error = None;
                Ok(v)
            }
            Err(mut e) => {
                self.scrub(&mut e);
                // The getters describe this failure: its reply, or none when no
                // reply caused it (never a reply from before it or from cleanup).
                self.transcript.last_reply = e.reply().cloned();
                self.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    fn scrub(&self, e: &mut Error) {
        let t = &self.transcript;
        e.scrub(&|text| t.scrub(text));
    }

    /// Applies an option change; refused while a session is open.
    fn configure(&mut self, change: impl FnOnce(&mut Config) -> Result<()>) -> Result<()> {
        let result = if self.conn.is_some() {
            Err(Error::new(
                ErrorKind::State,
                "options can only be changed while not connected (call quit first)",
            ))
        } else {
            change(&mut self.config)
        };
        self.record(result)
    }

    /// Sets the TLS mode (only while not connected). Default: implicit TLS on port
    /// 465, required STARTTLS on every other port.
    pub fn set_tls(&mut self, mode: TlsMode) -> Result<()> {
        self.configure(|c| {
            c.tls_mode = Some(mode);
            Ok(())
        })
    }

    /// Trusts the PEM certificates in `path` in addition to the system store. The
    /// file is read now. `File`, naming the path, when it cannot be used: it is
    /// unreadable, not a regular file (a FIFO or device is refused at once,
    /// without blocking on it), larger than 16 MiB, or holds no valid PEM
    /// certificate.
    pub fn set_ca_file(&mut self, path: &Path) -> Result<()> {
        self.configure(|c| {
            c.tls.ca_certs = TlsSettings::load_ca_file(path)?;
            Ok(())
        })
    }

    /// The name to verify in the server certificate (when connecting by IP).
    pub fn set_tls_server_name(&mut self, name: &str) -> Result<()> {
        self.configure(|c| {
            check_line_value(name, "TLS server name", false)?;
            c.tls.server_name = Some(name.to_string());
            Ok(())
        })
    }

    /// Turns certificate and host name verification off. Dangerous: anyone on the
    /// path can then read the session, credentials included.
    pub fn set_accept_invalid_certs(&mut self, accept: bool) -> Result<()> {
        self.configure(|c| {
            c.tls.accept_invalid_certs = accept;
            Ok(())
        })
    }

    /// User name and password for AUTH (UTF-8 allowed in both).
    pub fn set_credentials(&mut self, user: &str, password: &str) -> Result<()> {
        self.set_auth(Credentials::password(user, password))
    }

    /// User name and OAuth 2.0 bearer token for AUTH XOAUTH2.
    pub fn set_oauth2_token(&mut self, user: &str, token: &str) -> Result<()> {
        self.set_auth(Credentials::oauth2(user, token))
    }

    /// Stores credentials and registers every form of their secret for redaction.
    fn set_auth(&mut self, credentials: Result<Credentials>) -> Result<()> {
        let result = self.configure(|c| {
            c.credentials = Some(credentials?);
            Ok(())
        });
        if let (Ok(()), Some(credentials)) = (&result, &self.config.credentials) {
            self.transcript.add_secrets(credentials);
        }
        result
    }

    /// The name sent in EHLO/HELO (default: the local address as an address
    /// literal): a domain in ASCII or an address literal, else `InvalidArgument`.
    pub fn set_helo_name(&mut self, name: &str) -> Result<()> {
        self.configure(|c| {
            check_line_value(name, "EHLO name", false)?;
            crate::protocol::address::check_helo_name(name)?;
            c.helo_name = Some(name.to_string());
            Ok(())
        })
    }

    /// Connect timeout (per address) and I/O timeout (per write, per whole reply,
    /// for the whole TLS handshake); both must be non-zero (a socket without a
    /// timeout can hang a program forever).
    pub fn set_timeouts(&mut self, connect: Duration, io: Duration) -> Result<()> {
        self.configure(|c| {
            if connect.is_zero() || io.is_zero() {
                return Err(Error::invalid("timeouts must be greater than zero"));
            }
            c.connect_timeout = connect;
            c.io_timeout = io;
            Ok(())
        })
    }

    /// A bound for each whole call (connect, send, batch, command): resolving,
    /// connecting, TLS, AUTH and the transaction together; `None` (the default)
    /// leaves each step bounded only by its own timeout. A call that runs out fails
    /// with `Timeout`, and its message says which step was running. Allowed at any
    /// time: it applies from the next call.
    pub fn set_deadline(&mut self, deadline: Option<Duration>) -> Result<()> {
        let result = match deadline {
            Some(d) if d.is_zero() => Err(Error::invalid(
                "a deadline must be greater than zero (use none for no deadline)",
            )),
            _ => {
                self.deadline = deadline;
                Ok(())
            }
        };
        self.record(result)
    }

    /// Whether to use PIPELINING when the server offers it (default: yes). Turn it
    /// off for a server that advertises it but mishandles it.
    pub fn set_pipelining(&mut self, enabled: bool) -> Result<()> {
        self.configure(|c| {
            c.pipelining = enabled;
            Ok(())
        })
    }

    /// Whether to use CHUNKING (BDAT) when the server offers it (default: yes).
    /// Turn it off for a server that advertises it but mishandles it.
    pub fn set_chunking(&mut self, enabled: bool) -> Result<()> {
        self.configure(|c| {
            c.chunking = enabled;
            Ok(())
        })
    }

    /// Sets or clears the log callback (allowed at any time).
    pub fn set_log_callback(&mut self, cb: Option<LogFn>) {
        self.transcript.set_log(cb);
    }

    /// Sets or clears the progress callback (allowed at any time).
    pub fn set_progress_callback(&mut self, cb: Option<ProgressFn>) {
        self.progress = cb.map(Mutex::new);
    }

    /// A handle that cancels this client's operation from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Whether a session is open.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Runs one operation: clears a stale cancel, drops a session that ended, turns
    /// the failure of a cancelled operation into `Cancelled`, records the outcome.
    fn operation<T>(&mut self, op: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        self.begin_call();
        let mut result = op(self);
        self.drop_if_closed();
        if let Err(e) = &mut result {
            self.explain_deadline(e);
            let interrupted = matches!(
                e.kind(),
                ErrorKind::ConnectionLost
                    | ErrorKind::Io
                    | ErrorKind::Timeout
                    | ErrorKind::Tls
                    | ErrorKind::Protocol
            );
            if interrupted && self.cancel.is_cancelled() {
                self.conn = None;
                *e = Error::new(ErrorKind::Cancelled, format!("cancelled ({})", e.message()));
            }
        }
        self.record(result)
    }

    /// Starts a call: clears a stale cancel and starts the call's deadline.
    fn begin_call(&mut self) {
        self.cancel.reset();
        self.call_ends = self.deadline.map(|d| Instant::now() + d);
    }

    /// A failure of a call whose deadline ran out says so, before what was running.
    fn explain_deadline(&self, e: &mut Error) {
        let (Some(ends), Some(total)) = (self.call_ends, self.deadline) else {
            return;
        };
        let ran_out = matches!(e.kind(), ErrorKind::Timeout | ErrorKind::UnknownOutcome);
        if ran_out && Instant::now() >= ends && !e.message().starts_with(DEADLINE_TEXT) {
            *e = e.clone().context(&format!(
                "{DEADLINE_TEXT} of {} ms for the whole call ran out",
                total.as_millis()
            ));
        }
    }

    fn drop_if_closed(&mut self) {
        if self.conn.as_ref().is_some_and(Connection::is_closed) {
            self.conn = None;
            self.lost_session = true;
        }
    }

    /// The driver's view of this client for one run.
    fn run<'a>(
        &'a mut self,
        bodies: Option<&'a mut dyn Bodies>,
    ) -> (Option<&'a mut Connection>, Run<'a>) {
        (
            self.conn.as_mut(),
            Run {
                config: &self.config,
                transcript: &mut self.transcript,
                cancel: &self.cancel,
                progress: &mut self.progress,
                bodies,
                deadline: self.call_ends,
            },
        )
    }

    /// Opens a new session (dropping any old one).
    fn open(&mut self) -> Result<()> {
        self.conn = None;
        if std::mem::take(&mut self.lost_session) {
            self.transcript
                .info("the previous session was closed by the server or failed; reconnecting");
        }
        let (_, mut run) = self.run(None);
        let conn = Connection::open(&mut run)?;
        self.conn = Some(conn);
        Ok(())
    }

    /// Connects: greeting, EHLO (HELO fallback), TLS per the mode, AUTH when
    /// credentials are set. Optional: sends connect on demand. Connecting while
    /// connected is a `State` error.
    pub fn connect(&mut self) -> Result<()> {
        self.operation(|c| {
            if c.conn.is_some() {
                return Err(Error::new(ErrorKind::State, "already connected"));
            }
            c.open()
        })
    }

    /// Sends a built message: envelope from its From, To + Cc + Bcc, with its DSN
    /// requests. Attachments are opened (and unreadable ones reported) before MAIL
    /// FROM.
    pub fn send(&mut self, message: &Message) -> Result<Report> {
        self.operation(|c| {
            let (envelope, stream) = prepare(message)?;
            let len = stream.total_len();
            let list = [message];
            let mut bodies = MessageBodies::new(&list, vec![len], Some(stream));
            only(c.deliver(vec![envelope], &mut bodies))
        })
    }

    /// Sends a ready-made RFC 5322 message (headers and body). Bare LF and bare CR
    /// become CRLF, dots are stuffed (with DATA), the terminator is added. An empty
    /// `from` sends the null reverse-path `<>`.
    pub fn send_raw(&mut self, from: &str, recipients: &[&str], data: &[u8]) -> Result<Report> {
        self.operation(|c| {
            let envelope = Envelope::new(
                from,
                recipients.iter().map(|r| Recipient::new(r)).collect(),
                Default::default(),
            )?
            .with_body(BodyInfo {
                size: crlf_len(data),
                eight_bit: data.iter().any(|b| *b >= 0x80),
                smtputf8: false,
            });
            let mut body = RawBody::new(data);
            only(c.deliver(vec![envelope], &mut body))
        })
    }

    /// Sends several messages over one session, one round trip per message: with
    /// PIPELINING each message's end of data goes in the same write as the next
    /// message's MAIL, RCPT and DATA; with CHUNKING each small message is one write.
    /// Returns one result per message, in order. A failure that ends the session
    /// (connection lost, unknown outcome, cancel) stops the batch: the messages after
    /// it fail with `NotSent`. `last_error` describes the first failure.
    pub fn send_batch(&mut self, messages: &[&Message]) -> Vec<Result<Report>> {
        self.begin_call();
        let mut results: Vec<Option<Result<Report>>> = (0..messages.len()).map(|_| None).collect();
        let mut envelopes = Vec::new();
        let mut queued = Vec::new();
        let mut lens = Vec::new();
        for (i, message) in messages.iter().enumerate() {
            match prepare(message) {
                Ok((envelope, stream)) => {
                    lens.push(stream.total_len());
                    envelopes.push(envelope);
                    queued.push(*message);
                }
                Err(e) => results[i] = Some(Err(e.context(&format!("message {}", i + 1)))),
            }
        }
        let mut bodies = MessageBodies::new(&queued, lens, None);
        let mut delivered = if envelopes.is_empty() {
            Vec::new()
        } else {
            self.deliver(envelopes, &mut bodies)
        }
        .into_iter();
        for slot in results.iter_mut().filter(|s| s.is_none()) {
            *slot = delivered.next();
        }
        self.drop_if_closed();
        let results: Vec<Result<Report>> = results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::protocol("no result for this message"))))
            .collect();
        let first_failure = results.iter().enumerate().find_map(|(i, r)| {
            r.as_ref()
                .err()
                .map(|e| {
                    Error::new(
                        e.kind(),
                        format!("message {} of {}: {e}", i + 1, results.len()),
                    )
                })
                .map(|e| match results[i].as_ref().err().and_then(Error::reply) {
                    Some(reply) => e.with_reply(reply.clone()),
                    None => e,
                })
        });
        let _ = self.record(first_failure.map_or(Ok(()), Err));
        results
    }

    /// Runs the transactions of `envelopes` on the session (connecting first if
    /// needed) and returns one result per envelope. A reused session found dead
    /// before anything was answered is replaced once.
    fn deliver(
        &mut self,
        envelopes: Vec<Envelope>,
        bodies: &mut dyn Bodies,
    ) -> Vec<Result<Report>> {
        let count = envelopes.len();
        let mut results: Vec<Option<Result<Report>>> = (0..count).map(|_| None).collect();
        if let Some(conn) = self.conn.as_mut() {
            if !conn.still_alive(&mut self.transcript) {
                self.conn = None;
                self.lost_session = true;
            }
        }
        let reused = self.conn.is_some();
        let backup = reused.then(|| envelopes.clone());
        let mut pending: Vec<(usize, Envelope)> = envelopes.into_iter().enumerate().collect();
        for attempt in 0..2 {
            if self.conn.is_none() {
                if let Err(e) = self.open() {
                    for (i, _) in &pending {
                        results[*i] = Some(Err(e.clone()));
                    }
                    break;
                }
            }
            let mut stale = None;
            {
                let (conn, mut run) = self.run(Some(bodies));
                let Some(conn) = conn else { break };
                for (i, envelope) in pending.drain(..) {
                    conn.session.send(i, envelope);
                }
                conn.run(&mut run, &mut |event| {
                    if let Event::MessageDone {
                        message,
                        result,
                        retry,
                    } = event
                    {
                        if retry && stale.is_none() {
                            stale = Some(message);
                        }
                        if message < count {
                            results[message] = Some(result);
                        }
                    }
                });
            }
            self.drop_if_closed();
            let (Some(first), Some(backup), 0) = (stale, backup.as_ref(), attempt) else {
                break;
            };
            if let Some(Err(e)) = &results[first] {
                self.transcript.info(&format!(
                    "the idle session was closed by the server ({}); reconnecting once",
                    e.message()
                ));
            }
            self.conn = None;
            pending = (first..count)
                .filter(|&i| {
                    results[i].as_ref().is_some_and(|r| {
                        r.as_ref()
                            .is_err_and(|e| i == first || e.kind() == ErrorKind::NotSent)
                    })
                })
                .map(|i| (i, backup[i].clone()))
                .collect();
        }
        results
            .into_iter()
            .map(|r| {
                let mut r = r.unwrap_or_else(|| Err(Error::protocol("no result for this message")));
                if let Err(e) = &mut r {
                    self.explain_deadline(e);
                    self.scrub(e);
                }
                r
            })
            .collect()
    }

    /// Runs one command on the session (connecting first if needed).
    fn simple(&mut self, command: SimpleCommand) -> Result<Reply> {
        if self.conn.is_none() {
            self.open()?;
        }
        let mut outcome = None;
        let (conn, mut run) = self.run(None);
        if let Some(conn) = conn {
            conn.session.command(command);
            conn.run(&mut run, &mut |event| {
                if let Event::CommandDone(result) = event {
                    outcome = Some(result);
                }
            });
        }
        outcome.unwrap_or_else(|| Err(Error::protocol("the command got no result")))
    }

    /// NOOP (connecting first if needed): checks the session is alive.
    pub fn noop(&mut self) -> Result<()> {
        self.operation(|c| c.simple(SimpleCommand::Noop).map(drop))
    }

    /// RSET (connecting first if needed): abandons any transaction in progress.
    pub fn reset(&mut self) -> Result<()> {
        self.operation(|c| c.simple(SimpleCommand::Rset).map(drop))
    }

    /// VRFY (connecting first if needed). 250/251 (verified) and 252 (cannot verify,
    /// will try) are success; 550/551/553 give `RecipientsRejected`; 500/502/504
    /// (VRFY not supported or disabled) give `Unsupported`. A non-ASCII address
    /// needs SMTPUTF8 (`Unsupported` before anything is sent when it is missing).
    pub fn verify(&mut self, address: &str) -> Result<Reply> {
        self.operation(|c| {
            check_line_value(address, "address to verify", false)?;
            c.simple(SimpleCommand::Vrfy(address.to_string()))
        })
    }

    /// ETRN (RFC 1985, connecting first if needed): asks the server to start
    /// delivering the mail it queued for `node` (a domain, `@domain` for its
    /// subdomains too, or `#queue`). 250 to 253 are success; `Unsupported` when the
    /// server does not offer ETRN; `CommandRejected` when it refuses the node.
    pub fn etrn(&mut self, node: &str) -> Result<Reply> {
        self.operation(|c| {
            check_line_value(node, "ETRN node", false)?;
            if node.chars().any(char::is_whitespace) {
                return Err(Error::invalid("ETRN node contains white space"));
            }
            c.simple(SimpleCommand::Etrn(node.to_string()))
        })
    }

    /// QUIT and close. Not connected: nothing to do.
    pub fn quit(&mut self) -> Result<()> {
        self.operation(|c| {
            if c.conn.is_none() {
                return Ok(());
            }
            let result = c.simple(SimpleCommand::Quit);
            c.conn = None;
            result.map(drop)
        })
    }

    /// Whether the server advertised `keyword` in its last EHLO reply.
    pub fn has_extension(&self, keyword: &str) -> bool {
        self.conn
            .as_ref()
            .is_some_and(|c| c.session.extensions().has(keyword))
    }

    /// Whether the open session is encrypted.
    pub fn is_tls(&self) -> bool {
        self.conn.as_ref().is_some_and(Connection::is_tls)
    }

    /// The last reply received, or the one that caused the last failure.
    pub fn last_reply(&self) -> Option<&Reply> {
        self.transcript.last_reply.as_ref()
    }

    /// The last failure, if the last call failed.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }
}

/// A message's envelope (with what its body needs) and its open body stream.
fn prepare(message: &Message) -> Result<(Envelope, crate::message::MessageStream<'_>)> {
    let envelope = message.envelope()?;
    let stream = message.open()?;
    let body = BodyInfo {
        size: stream.total_len(),
        eight_bit: stream.is_8bit(),
        smtputf8: stream.needs_smtputf8(),
    };
    Ok((envelope.with_body(body), stream))
}

/// The single result of a one-message delivery.
fn only(mut results: Vec<Result<Report>>) -> Result<Report> {
    results
        .pop()
        .unwrap_or_else(|| Err(Error::protocol("no result for the message")))
}

/// The length of `data` once its line ends are CRLF (what SIZE declares).
fn crlf_len(data: &[u8]) -> u64 {
    let mut encoder = crate::protocol::data::DataEncoder::for_bdat();
    let mut buf = Vec::with_capacity(2 * 64 * 1024 + 2);
    let mut total = 0u64;
    for chunk in data.chunks(64 * 1024) {
        buf.clear();
        encoder.encode(chunk, &mut buf);
        total += buf.len() as u64;
    }
    buf.clear();
    encoder.finish(&mut buf);
    total + buf.len() as u64
}

impl Drop for Client {
    /// Says QUIT politely when a session is open (errors are ignored).
    fn drop(&mut self) {
        if self.conn.is_some() {
            let _ = self.quit();
        }
    }
}
