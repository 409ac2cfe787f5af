//! The Rust error type.
//!
//! Every failure in the library is an [`Error`]: an [`ErrorKind`] (which the C
//! boundary maps to one `smtpc_status`), a human-readable message with context,
//! and, where a server reply caused it, that reply. A send that got as far as the
//! recipients also carries the per-recipient [`Report`].
//!
//! This module sits at the bottom of the crate: it uses only the protocol's plain
//! data types (a reply, a report), nothing of the client, the transport or `ffi`.

use crate::protocol::reply::Reply;
use crate::protocol::report::Report;
use std::fmt;

/// What went wrong, coarse enough to act on. Each kind maps to exactly one
/// `smtpc_status` value at the C boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A required pointer was NULL (C boundary only).
    NullArgument,
    /// Bad UTF-8, CR/LF/NUL injection, malformed address, out-of-range value.
    InvalidArgument,
    /// Not allowed now (options changed while connected, poisoned handle, ...).
    State,
    /// The host name did not resolve.
    Dns,
    /// No address accepted the TCP connection.
    Connect,
    /// A connect, read or write exceeded its timeout.
    Timeout,
    /// The peer closed or reset the connection (also during the TLS handshake).
    ConnectionLost,
    /// Another socket or file I/O error.
    Io,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// TLS was required but the server offered no usable STARTTLS.
    TlsUnavailable,
    /// Malformed, oversized or unexpected server reply.
    Protocol,
    /// The server's greeting was not 220.
    GreetingRejected,
    /// The server rejected the credentials.
    AuthFailed,
    /// No mechanism in common, or credentials would travel without TLS.
    AuthUnavailable,
    /// MAIL FROM was refused.
    SenderRejected,
    /// Every recipient was refused; nothing was sent.
    RecipientsRejected,
    /// Accepted for some recipients only; the report says which.
    Partial,
    /// The server refused the message data.
    MessageRejected,
    /// Larger than the server's SIZE limit, or refused as too big.
    MessageTooBig,
    /// The connection failed after the whole message was sent and before the reply.
    UnknownOutcome,
    /// The server lacks an extension this operation needs.
    Unsupported,
    /// An attachment or output file could not be read or written.
    File,
    /// Cancelled by the caller.
    Cancelled,
    /// A batch stopped before this message was sent: nothing of it was delivered.
    NotSent,
    /// The server refused a command (e.g. ETRN for a node it does not serve).
    CommandRejected,
    /// An internal bug caught at the C boundary.
    Panic,
}

/// A failure with its context: what kind, a message that says what and where, the
/// server reply that caused it (if any) and, for sends, the per-recipient report.
///
/// The message never contains a password or token.
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    reply: Option<Reply>,
    report: Option<Box<Report>>,
}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A new error of `kind` with a human-readable `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            reply: None,
            report: None,
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidArgument`] error.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for an [`ErrorKind::Protocol`] error.
    pub fn protocol(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Protocol, message)
    }

    /// An error caused by a server reply; the reply is kept and quoted in the message.
    pub fn from_reply(kind: ErrorKind, context: &str, reply: &Reply) -> Error {
        Error {
            kind,
            message: format!("{context}: server replied {}", reply.one_line()),
            reply: Some(reply.clone()),
            report: None,
        }
    }

    /// Attaches the server reply that caused this error.
    pub fn with_reply(mut self, reply: Reply) -> Error {
        self.reply = Some(reply);
        self
    }

    /// Attaches the per-recipient report of a send.
    pub fn with_report(mut self, report: Report) -> Error {
        self.report = Some(Box::new(report));
        self
    }

    /// Prefixes the message with where it happened ("while sending DATA: ...").
    pub fn context(mut self, context: &str) -> Error {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message, with context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server reply that caused this error, if one did.
    pub fn reply(&self) -> Option<&Reply> {
        self.reply.as_ref()
    }

    /// The per-recipient report of a failed or partial send, if the send got that far.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_deref()
    }

    /// Takes the report out of the error.
    pub fn take_report(&mut self) -> Option<Report> {
        self.report.take().map(|b| *b)
    }

    /// Changes the kind, keeping the message, reply and report.
    pub fn with_kind(mut self, kind: ErrorKind) -> Error {
        self.kind = kind;
        self
    }

    /// Passes every text of the error (message, reply lines, report texts) through
    /// `scrub`; the client uses it to remove secrets before a caller sees them.
    pub fn scrub(&mut self, scrub: &dyn Fn(&str) -> String) {
        self.message = scrub(&self.message);
        if let Some(reply) = self.reply.as_mut() {
            reply.scrub(scrub);
        }
        if let Some(report) = self.report.as_mut() {
            report.scrub(scrub);
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Whether a socket error means the peer closed or reset the connection.
pub fn is_connection_lost(err: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        err.kind(),
        K::ConnectionReset
            | K::ConnectionAborted
            | K::BrokenPipe
            | K::UnexpectedEof
            | K::NotConnected
    )
}

/// Maps an I/O error on the network to the right kind, with context.
pub fn from_net_io(err: &std::io::Error, context: &str) -> Error {
    use std::io::ErrorKind as K;
    let kind = match err.kind() {
        K::TimedOut | K::WouldBlock => ErrorKind::Timeout,
        _ if is_connection_lost(err) => ErrorKind::ConnectionLost,
        _ => ErrorKind::Io,
    };
    let what = match kind {
        ErrorKind::Timeout => "timed out".to_string(),
        ErrorKind::ConnectionLost => format!("connection lost ({err})"),
        _ => err.to_string(),
    };
    Error::new(kind, format!("{context}: {what}"))
}
