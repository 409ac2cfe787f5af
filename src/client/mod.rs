//! The SMTP client: drives the sans-IO [`crate::protocol`] over a
//! [`crate::transport`] connection.

pub mod redact;
mod report;

pub use report::{RecipientResult, Report};

use crate::error::Result;
use crate::message::Message;
use crate::protocol::reply::Reply;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

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

/// Cancels the operation in progress on a [`Client`] from any thread.
#[derive(Clone, Debug, Default)]
pub struct CancelHandle {
    inner: Arc<()>,
}

impl CancelHandle {
    /// Cancels the operation in progress (it fails with `Cancelled`) and closes the
    /// connection. Safe to call from any thread at any time.
    pub fn cancel(&self) {
        todo!()
    }
}

/// One SMTP session. See the crate documentation.
pub struct Client {
    _private: (),
}

impl Client {
    /// A client for `host` (name or IP literal) and `port`; nothing is connected yet.
    pub fn new(host: &str, port: u16) -> Result<Client> {
        todo!()
    }
    /// Sets the TLS mode (only while not connected).
    pub fn set_tls(&mut self, mode: TlsMode) -> Result<()> {
        todo!()
    }
    /// Trusts the PEM certificates in `path` in addition to the system store.
    pub fn set_ca_file(&mut self, path: &Path) -> Result<()> {
        todo!()
    }
    /// The name to verify in the server certificate (when connecting by IP).
    pub fn set_tls_server_name(&mut self, name: &str) -> Result<()> {
        todo!()
    }
    /// Turns certificate and host name verification off. Dangerous.
    pub fn set_accept_invalid_certs(&mut self, accept: bool) -> Result<()> {
        todo!()
    }
    /// User name and password for AUTH.
    pub fn set_credentials(&mut self, user: &str, password: &str) -> Result<()> {
        todo!()
    }
    /// User name and OAuth 2.0 bearer token for AUTH XOAUTH2.
    pub fn set_oauth2_token(&mut self, user: &str, token: &str) -> Result<()> {
        todo!()
    }
    /// The name sent in EHLO/HELO.
    pub fn set_helo_name(&mut self, name: &str) -> Result<()> {
        todo!()
    }
    /// Connect timeout and per-read/write timeout; both must be non-zero.
    pub fn set_timeouts(&mut self, connect: Duration, io: Duration) -> Result<()> {
        todo!()
    }
    /// Sets or clears the log callback.
    pub fn set_log_callback(&mut self, cb: Option<LogFn>) {
        todo!()
    }
    /// Sets or clears the progress callback.
    pub fn set_progress_callback(&mut self, cb: Option<ProgressFn>) {
        todo!()
    }
    /// A handle that cancels this client's operation from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        todo!()
    }
    /// Whether a session is open.
    pub fn is_connected(&self) -> bool {
        todo!()
    }
    /// Connects: greeting, EHLO (HELO fallback), TLS, AUTH.
    pub fn connect(&mut self) -> Result<()> {
        todo!()
    }
    /// Sends a built message.
    pub fn send(&mut self, message: &Message) -> Result<Report> {
        todo!()
    }
    /// Sends a ready-made RFC 5322 message.
    pub fn send_raw(&mut self, from: &str, recipients: &[&str], data: &[u8]) -> Result<Report> {
        todo!()
    }
    /// NOOP.
    pub fn noop(&mut self) -> Result<()> {
        todo!()
    }
    /// RSET.
    pub fn reset(&mut self) -> Result<()> {
        todo!()
    }
    /// VRFY; returns the server's reply (250, 251 or 252).
    pub fn verify(&mut self, address: &str) -> Result<Reply> {
        todo!()
    }
    /// QUIT and close.
    pub fn quit(&mut self) -> Result<()> {
        todo!()
    }
    /// Whether the server advertised `keyword` in its last EHLO reply.
    pub fn has_extension(&self, keyword: &str) -> bool {
        todo!()
    }
    /// The last reply received, or the one that caused the last failure.
    pub fn last_reply(&self) -> Option<&Reply> {
        todo!()
    }
    /// The last failure, if the last call failed.
    pub fn last_error(&self) -> Option<&crate::error::Error> {
        todo!()
    }
}
