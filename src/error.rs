//! The Rust error type and its one mapping to the C status codes.
//!
//! Every failure in the library is an [`Error`]: a [`ErrorKind`] (which becomes the
//! `smtpc_status` at the C boundary), a human-readable message with context, and,
//! where a server reply caused it, that reply. A send that reached some recipients
//! but not all also carries the per-recipient [`Report`].

use crate::client::Report;
use crate::protocol::reply::Reply;
use std::fmt;

/// What went wrong, coarse enough to act on. Each kind maps to exactly one
/// `smtpc_status` value (see [`ErrorKind::status`]).
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
    /// The peer closed or reset the connection.
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
    /// An internal bug caught at the C boundary.
    Panic,
}

impl ErrorKind {
    /// The `smtpc_status` value of this kind. This is the only place that maps
    /// errors to C status numbers.
    pub fn status(self) -> u32 {
        use crate::ffi::status::*;
        match self {
            ErrorKind::NullArgument => SMTPC_ERR_NULL_ARGUMENT,
            ErrorKind::InvalidArgument => SMTPC_ERR_INVALID_ARGUMENT,
            ErrorKind::State => SMTPC_ERR_STATE,
            ErrorKind::Dns => SMTPC_ERR_DNS,
            ErrorKind::Connect => SMTPC_ERR_CONNECT,
            ErrorKind::Timeout => SMTPC_ERR_TIMEOUT,
            ErrorKind::ConnectionLost => SMTPC_ERR_CONNECTION_LOST,
            ErrorKind::Io => SMTPC_ERR_IO,
            ErrorKind::Tls => SMTPC_ERR_TLS,
            ErrorKind::TlsUnavailable => SMTPC_ERR_TLS_UNAVAILABLE,
            ErrorKind::Protocol => SMTPC_ERR_PROTOCOL,
            ErrorKind::GreetingRejected => SMTPC_ERR_GREETING_REJECTED,
            ErrorKind::AuthFailed => SMTPC_ERR_AUTH_FAILED,
            ErrorKind::AuthUnavailable => SMTPC_ERR_AUTH_UNAVAILABLE,
            ErrorKind::SenderRejected => SMTPC_ERR_SENDER_REJECTED,
            ErrorKind::RecipientsRejected => SMTPC_ERR_RECIPIENTS_REJECTED,
            ErrorKind::Partial => SMTPC_ERR_PARTIAL,
            ErrorKind::MessageRejected => SMTPC_ERR_MESSAGE_REJECTED,
            ErrorKind::MessageTooBig => SMTPC_ERR_MESSAGE_TOO_BIG,
            ErrorKind::UnknownOutcome => SMTPC_ERR_UNKNOWN_OUTCOME,
            ErrorKind::Unsupported => SMTPC_ERR_UNSUPPORTED,
            ErrorKind::File => SMTPC_ERR_FILE,
            ErrorKind::Cancelled => SMTPC_ERR_CANCELLED,
            ErrorKind::Panic => SMTPC_ERR_PANIC,
        }
    }
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

    /// The `smtpc_status` value of this error.
    pub fn status(&self) -> u32 {
        self.kind.status()
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

    /// Replaces every occurrence of each secret in the message (used so that a
    /// server echoing a password can never leak it through an error text).
    pub fn redact(&mut self, redactor: &crate::client::redact::Redactor) {
        self.message = redactor.apply(&self.message);
        if let Some(reply) = self.reply.as_mut() {
            reply.redact(redactor);
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Maps an I/O error on the network to the right kind, with context.
pub fn from_net_io(err: &std::io::Error, context: &str) -> Error {
    use std::io::ErrorKind as K;
    let kind = match err.kind() {
        K::TimedOut | K::WouldBlock => ErrorKind::Timeout,
        K::ConnectionReset
        | K::ConnectionAborted
        | K::BrokenPipe
        | K::UnexpectedEof
        | K::NotConnected => ErrorKind::ConnectionLost,
        _ => ErrorKind::Io,
    };
    let what = match kind {
        ErrorKind::Timeout => "timed out".to_string(),
        ErrorKind::ConnectionLost => format!("connection lost ({err})"),
        _ => err.to_string(),
    };
    Error::new(kind, format!("{context}: {what}"))
}
