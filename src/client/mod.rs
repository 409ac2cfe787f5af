//! The SMTP client: drives the sans-IO [`crate::protocol`] over a
//! [`crate::transport`] connection.

mod auth;
pub mod redact;
mod report;
mod send;
mod session;
mod transcript;

pub use crate::transport::CancelHandle;
pub use report::{RecipientResult, Report};

use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use crate::protocol::address;
use crate::protocol::command::Command;
use crate::protocol::reply::Reply;
use crate::transport::TlsSettings;
use send::{Failure, Outgoing};
use session::Session;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use transcript::Transcript;

/// How TLS is used. The numbers are the C values of `smtpc_tls_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum TlsMode {
    /// Plaintext; the caller accepts the risk (credentials may travel in clear).
    None = 0,
    /// STARTTLS when offered; credentials are never sent without TLS.
    StartTlsOpportunistic = 1,
    /// STARTTLS required: fail with TlsUnavailable when it is not offered.
    StartTls = 2,
    /// TLS from the first byte (SMTPS, port 465).
    Implicit = 3,
}

impl TlsMode {
    /// The mode for a C value, `None` for an unknown number.
    pub fn from_u32(v: u32) -> Option<TlsMode> {
        match v {
            0 => Some(TlsMode::None),
            1 => Some(TlsMode::StartTlsOpportunistic),
            2 => Some(TlsMode::StartTls),
            3 => Some(TlsMode::Implicit),
            _ => None,
        }
    }

    /// The default for a port: implicit TLS on 465, required STARTTLS elsewhere.
    pub fn default_for_port(port: u16) -> TlsMode {
        if port == 465 {
            TlsMode::Implicit
        } else {
            TlsMode::StartTls
        }
    }
}

/// What a log line is. The numbers are the C values of `smtpc_log_kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LogKind {
    /// Connecting, TLS established, reconnect, message size, ...
    Info = 0,
    /// One command line sent (AUTH secrets shown as `***`).
    Sent = 1,
    /// One reply line received.
    Received = 2,
}

/// The log callback: called with each line, never with message bodies or secrets.
pub type LogFn = Box<dyn FnMut(LogKind, &str) + Send>;
/// The progress callback: (bytes sent, bytes total); return `true` to cancel.
pub type ProgressFn = Box<dyn FnMut(u64, u64) -> bool + Send>;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default timeout of each read and write (RFC 5321 suggests minutes for some
/// steps; two minutes covers a slow content scan after the end of data).
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(120);

/// Credentials for AUTH. Never printed: `Debug` shows the user name only.
#[derive(Clone)]
pub(crate) enum Credentials {
    Password { user: String, password: String },
    OAuth2 { user: String, token: String },
}

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
    session: Option<Session>,
    transcript: Transcript,
    progress: Option<ProgressFn>,
    cancel: CancelHandle,
    last_error: Option<Error>,
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
            },
            session: None,
            transcript: Transcript::default(),
            progress: None,
            cancel: CancelHandle::new(),
            last_error: None,
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
                e.redact(&self.transcript.redactor);
                // The getters describe this failure: its reply, or none when no
                // reply caused it (never a reply from before it or from cleanup).
                self.transcript.last_reply = e.reply().cloned();
                self.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Applies an option change; refused while a session is open.
    fn configure(&mut self, change: impl FnOnce(&mut Config) -> Result<()>) -> Result<()> {
        let result = if self.session.is_some() {
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
    /// file is read now: `File` if unreadable, `InvalidArgument` if it holds no
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
        let result = self.configure(|c| {
            check_line_value(user, "user name", false)?;
            if password.contains('\0') {
                return Err(Error::invalid("password contains NUL"));
            }
            c.credentials = Some(Credentials::Password {
                user: user.to_string(),
                password: password.to_string(),
            });
            Ok(())
        });
        if result.is_ok() {
            self.transcript.redactor.add(password);
        }
        result
    }

    /// User name and OAuth 2.0 bearer token for AUTH XOAUTH2.
    pub fn set_oauth2_token(&mut self, user: &str, token: &str) -> Result<()> {
        let result = self.configure(|c| {
            check_line_value(user, "user name", false)?;
            if token.is_empty() || token.bytes().any(|b| b < 0x20 || b == 0x7f) {
                return Err(Error::invalid(
                    "token is empty or contains control characters",
                ));
            }
            c.credentials = Some(Credentials::OAuth2 {
                user: user.to_string(),
                token: token.to_string(),
            });
            Ok(())
        });
        if result.is_ok() {
            self.transcript.redactor.add(token);
        }
        result
    }

    /// The name sent in EHLO/HELO (default: the local address as an address literal).
    pub fn set_helo_name(&mut self, name: &str) -> Result<()> {
        self.configure(|c| {
            check_line_value(name, "EHLO name", false)?;
            if name.chars().any(char::is_whitespace) {
                return Err(Error::invalid("EHLO name contains white space"));
            }
            c.helo_name = Some(name.to_string());
            Ok(())
        })
    }

    /// Connect timeout (per address) and I/O timeout (per whole reply, per socket
    /// write, per TLS handshake step); both must be non-zero (a socket without a
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

    /// Sets or clears the log callback (allowed at any time).
    pub fn set_log_callback(&mut self, cb: Option<LogFn>) {
        self.transcript.set_log(cb);
    }

    /// Sets or clears the progress callback (allowed at any time).
    pub fn set_progress_callback(&mut self, cb: Option<ProgressFn>) {
        self.progress = cb;
    }

    /// A handle that cancels this client's operation from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Whether a session is open.
    pub fn is_connected(&self) -> bool {
        self.session.is_some()
    }

    /// Runs one operation: clears a stale cancel, drops a session that broke, turns
    /// the failure of a cancelled operation into `Cancelled`, records the outcome.
    fn operation<T>(&mut self, op: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        self.cancel.reset();
        let mut result = op(self);
        if self.session.as_ref().is_some_and(|s| s.broken) {
            self.drop_session();
        }
        if let Err(e) = &mut result {
            let interrupted = matches!(
                e.kind(),
                ErrorKind::ConnectionLost
                    | ErrorKind::Io
                    | ErrorKind::Timeout
                    | ErrorKind::Tls
                    | ErrorKind::Protocol
            );
            if interrupted && self.cancel.is_cancelled() {
                self.drop_session();
                *e = Error::new(ErrorKind::Cancelled, format!("cancelled ({})", e.message()));
            }
        }
        self.record(result)
    }

    fn drop_session(&mut self) {
        self.session = None;
        self.cancel.set_socket(None);
    }

    fn open_session(&mut self) -> Result<()> {
        self.drop_session();
        match Session::open(&self.config, &mut self.transcript, &self.cancel) {
            Ok(session) => {
                self.session = Some(session);
                Ok(())
            }
            Err(e) => {
                self.cancel.set_socket(None);
                Err(e)
            }
        }
    }

    /// Connects: greeting, EHLO (HELO fallback), TLS per the mode, AUTH when
    /// credentials are set. Optional: sends connect on demand. Connecting while
    /// connected is a `State` error.
    pub fn connect(&mut self) -> Result<()> {
        self.operation(|c| {
            if c.session.is_some() {
                return Err(Error::new(ErrorKind::State, "already connected"));
            }
            c.open_session()
        })
    }

    /// Sends a built message: envelope from its From, To + Cc + Bcc. Attachments
    /// are opened (and unreadable ones reported) before MAIL FROM.
    pub fn send(&mut self, message: &Message) -> Result<Report> {
        self.operation(|c| {
            let envelope = message.envelope()?;
            let mut stream = message.open()?;
            let len = stream.total_len();
            let eight_bit = stream.is_8bit();
            let smtputf8 = stream.needs_smtputf8();
            let mut out = Outgoing {
                from: &envelope.from,
                recipients: &envelope.recipients,
                source: &mut stream,
                len,
                size: len,
                eight_bit,
                smtputf8,
            };
            c.send_outgoing(&mut out)
        })
    }

    /// Sends a ready-made RFC 5322 message (headers and body). Bare LF and bare CR
    /// become CRLF, dots are stuffed, the terminator is added. An empty `from` sends
    /// the null reverse-path `<>`.
    pub fn send_raw(&mut self, from: &str, recipients: &[&str], data: &[u8]) -> Result<Report> {
        self.operation(|c| {
            if !from.is_empty() {
                address::check_address(from, "sender")?;
            }
            if recipients.is_empty() {
                return Err(Error::invalid("no recipients"));
            }
            for (i, to) in recipients.iter().enumerate() {
                address::check_address(to, &format!("recipient {}", i + 1))?;
            }
            let smtputf8 = address::needs_smtputf8(from)
                || recipients.iter().any(|r| address::needs_smtputf8(r));
            let recipients: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
            let mut source: &[u8] = data;
            let mut out = Outgoing {
                from,
                recipients: &recipients,
                source: &mut source,
                len: data.len() as u64,
                size: crlf_len(data),
                eight_bit: data.iter().any(|b| *b >= 0x80),
                smtputf8,
            };
            c.send_outgoing(&mut out)
        })
    }

    /// Runs the transaction, connecting first if needed; a reused session found dead
    /// before anything was transferred is replaced once.
    fn send_outgoing(&mut self, out: &mut Outgoing<'_>) -> Result<Report> {
        let reused = self.session.is_some();
        if !reused {
            self.open_session()?;
        }
        let first = self.try_transaction(out);
        match first {
            Err(Failure::Stale(e)) if reused => {
                self.transcript.info(&format!(
                    "the idle session was closed by the server ({}); reconnecting once",
                    e.message()
                ));
                self.open_session()?;
                match self.try_transaction(out) {
                    Ok(report) => Ok(report),
                    Err(Failure::Stale(e)) | Err(Failure::Failed(e)) => Err(e),
                }
            }
            Ok(report) => Ok(report),
            Err(Failure::Stale(e)) | Err(Failure::Failed(e)) => Err(e),
        }
    }

    fn try_transaction(&mut self, out: &mut Outgoing<'_>) -> std::result::Result<Report, Failure> {
        let session = self.session.as_mut().expect("session opened");
        let result = send::transaction(
            session,
            &mut self.transcript,
            out,
            &mut self.progress,
            &self.cancel,
        );
        if session.broken {
            self.drop_session();
        }
        result
    }

    /// Runs `f` on the open session, connecting first if needed.
    fn with_session<T>(
        &mut self,
        f: impl FnOnce(&mut Session, &mut Transcript) -> Result<T>,
    ) -> Result<T> {
        if self.session.is_none() {
            self.open_session()?;
        }
        let session = self.session.as_mut().expect("session opened");
        f(session, &mut self.transcript)
    }

    /// NOOP (connecting first if needed): checks the session is alive.
    pub fn noop(&mut self) -> Result<()> {
        self.operation(|c| {
            c.with_session(|s, t| {
                let reply = s.command(t, &Command::Noop, "sending NOOP")?;
                expect_positive(&reply, "NOOP")
            })
        })
    }

    /// RSET (connecting first if needed): abandons any transaction in progress.
    pub fn reset(&mut self) -> Result<()> {
        self.operation(|c| {
            c.with_session(|s, t| {
                let reply = s.command(t, &Command::Rset, "sending RSET")?;
                expect_positive(&reply, "RSET")
            })
        })
    }

    /// VRFY (connecting first if needed). 250/251 (verified) and 252 (cannot verify,
    /// will try) are success; 550/551/553 give `RecipientsRejected`; 500/502/504
    /// (VRFY not supported or disabled) give `Unsupported`.
    pub fn verify(&mut self, address: &str) -> Result<Reply> {
        self.operation(|c| {
            check_line_value(address, "address to verify", false)?;
            c.with_session(|s, t| {
                let reply = s.command(t, &Command::Vrfy(address), "sending VRFY")?;
                match reply.code {
                    250..=252 => Ok(reply),
                    500 | 502 | 504 => Err(Error::from_reply(
                        ErrorKind::Unsupported,
                        "the server does not support VRFY",
                        &reply,
                    )),
                    550 | 551 | 553 => Err(Error::from_reply(
                        ErrorKind::RecipientsRejected,
                        &format!("the server does not know <{address}>"),
                        &reply,
                    )),
                    _ => Err(Error::from_reply(
                        ErrorKind::Protocol,
                        "unexpected reply to VRFY",
                        &reply,
                    )),
                }
            })
        })
    }

    /// QUIT and close. Not connected: nothing to do.
    pub fn quit(&mut self) -> Result<()> {
        self.operation(|c| {
            let Some(mut session) = c.session.take() else {
                return Ok(());
            };
            c.cancel.set_socket(None);
            let reply = session.command(&mut c.transcript, &Command::Quit, "sending QUIT");
            drop(session);
            match reply {
                Ok(r) if r.code == 221 => Ok(()),
                Ok(r) => Err(Error::from_reply(
                    ErrorKind::Protocol,
                    "unexpected reply to QUIT (the connection is closed anyway)",
                    &r,
                )),
                Err(e) => Err(e),
            }
        })
    }

    /// Whether the server advertised `keyword` in its last EHLO reply.
    pub fn has_extension(&self, keyword: &str) -> bool {
        self.session.as_ref().is_some_and(|s| s.ext.has(keyword))
    }

    /// Whether the open session is encrypted.
    pub fn is_tls(&self) -> bool {
        self.session.as_ref().is_some_and(|s| s.is_tls())
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

fn expect_positive(reply: &Reply, what: &str) -> Result<()> {
    if reply.is_positive() {
        Ok(())
    } else {
        Err(Error::from_reply(
            ErrorKind::Protocol,
            &format!("unexpected reply to {what}"),
            reply,
        ))
    }
}

impl Drop for Client {
    /// Says QUIT politely when a session is open (errors are ignored).
    fn drop(&mut self) {
        if self.session.is_some() {
            let _ = self.quit();
        }
    }
}
