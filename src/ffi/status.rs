//! Status codes, their static texts, the one mapping from error kinds to them,
//! reply-code helpers, and the library version.

use crate::error::{Error, ErrorKind};
use std::os::raw::c_char;

/// The result of every fallible smtpc function: `SMTPC_OK` (0) or an
/// `SMTPC_ERR_*` value. The numbers are fixed forever; new codes are only appended.
/// `smtpc_status_str` gives a static text for any value.
pub type smtpc_status = u32;

/// Success.
pub const SMTPC_OK: smtpc_status = 0;
/// A required pointer was NULL.
pub const SMTPC_ERR_NULL_ARGUMENT: smtpc_status = 1;
/// Bad UTF-8, CR/LF/NUL injection, malformed address or out-of-range value.
pub const SMTPC_ERR_INVALID_ARGUMENT: smtpc_status = 2;
/// Not allowed now (e.g. changing options while connected, or the handle is poisoned).
pub const SMTPC_ERR_STATE: smtpc_status = 3;
/// The host name did not resolve.
pub const SMTPC_ERR_DNS: smtpc_status = 10;
/// No address accepted the TCP connection.
pub const SMTPC_ERR_CONNECT: smtpc_status = 11;
/// A connect, read or write exceeded its timeout.
pub const SMTPC_ERR_TIMEOUT: smtpc_status = 12;
/// The peer closed or reset the connection (also in the middle of the TLS
/// handshake: a server that hangs up there says nothing of certificates).
pub const SMTPC_ERR_CONNECTION_LOST: smtpc_status = 13;
/// Another socket or file I/O error.
pub const SMTPC_ERR_IO: smtpc_status = 14;
/// The TLS handshake or certificate verification failed.
pub const SMTPC_ERR_TLS: smtpc_status = 20;
/// TLS was required but the server offered no usable STARTTLS.
pub const SMTPC_ERR_TLS_UNAVAILABLE: smtpc_status = 21;
/// A malformed, oversized or unexpected server reply.
pub const SMTPC_ERR_PROTOCOL: smtpc_status = 30;
/// The server's greeting was not 220.
pub const SMTPC_ERR_GREETING_REJECTED: smtpc_status = 31;
/// The server rejected the credentials (535, or an enhanced 5.7.8). Other refusals
/// of AUTH are `SMTPC_ERR_COMMAND_REJECTED` or `SMTPC_ERR_AUTH_UNAVAILABLE`.
pub const SMTPC_ERR_AUTH_FAILED: smtpc_status = 40;
/// No AUTH mechanism in common, or credentials would travel without TLS.
pub const SMTPC_ERR_AUTH_UNAVAILABLE: smtpc_status = 41;
/// MAIL FROM was refused.
pub const SMTPC_ERR_SENDER_REJECTED: smtpc_status = 50;
/// Every recipient was refused; nothing was sent.
pub const SMTPC_ERR_RECIPIENTS_REJECTED: smtpc_status = 51;
/// Accepted for some recipients only; the report says which.
pub const SMTPC_ERR_PARTIAL: smtpc_status = 52;
/// The server refused the message data.
pub const SMTPC_ERR_MESSAGE_REJECTED: smtpc_status = 53;
/// Larger than the server's advertised SIZE (checked before sending) or refused as too big.
pub const SMTPC_ERR_MESSAGE_TOO_BIG: smtpc_status = 54;
/// The connection failed after the whole message was sent and before the final
/// reply: the message may have been delivered. Never retried automatically.
pub const SMTPC_ERR_UNKNOWN_OUTCOME: smtpc_status = 55;
/// The server lacks an extension this operation needs (e.g. SMTPUTF8).
pub const SMTPC_ERR_UNSUPPORTED: smtpc_status = 56;
/// A batch stopped before this message was sent: nothing of it was delivered
/// (`smtpc_client_send_batch`).
pub const SMTPC_ERR_NOT_SENT: smtpc_status = 57;
/// The server refused a command (e.g. `smtpc_client_etrn` for a node it does not
/// serve); `smtpc_client_last_reply` says why.
pub const SMTPC_ERR_COMMAND_REJECTED: smtpc_status = 58;
/// An attachment or output file could not be read or written.
pub const SMTPC_ERR_FILE: smtpc_status = 60;
/// Cancelled by `smtpc_client_cancel` or a callback.
pub const SMTPC_ERR_CANCELLED: smtpc_status = 70;
/// An internal bug was caught at the boundary; the handle is now unusable.
pub const SMTPC_ERR_PANIC: smtpc_status = 99;

/// The static text of a status, for example "the server rejected the credentials".
/// Never NULL; an unknown value gives "unknown status".
#[no_mangle]
pub extern "C" fn smtpc_status_str(status: smtpc_status) -> *const c_char {
    let text: &'static [u8] = match status {
        SMTPC_OK => b"success\0",
        SMTPC_ERR_NULL_ARGUMENT => b"a required pointer was NULL\0",
        SMTPC_ERR_INVALID_ARGUMENT => {
            b"invalid argument (bad UTF-8, CR/LF/NUL, malformed address or out-of-range value)\0"
        }
        SMTPC_ERR_STATE => b"not allowed in the current state\0",
        SMTPC_ERR_DNS => b"the host name did not resolve\0",
        SMTPC_ERR_CONNECT => b"no address accepted the TCP connection\0",
        SMTPC_ERR_TIMEOUT => b"a connect, read or write timed out\0",
        SMTPC_ERR_CONNECTION_LOST => b"the server closed or reset the connection\0",
        SMTPC_ERR_IO => b"socket or file I/O error\0",
        SMTPC_ERR_TLS => b"TLS handshake or certificate verification failed\0",
        SMTPC_ERR_TLS_UNAVAILABLE => {
            b"TLS was required but the server offered no usable STARTTLS\0"
        }
        SMTPC_ERR_PROTOCOL => b"malformed, oversized or unexpected server reply\0",
        SMTPC_ERR_GREETING_REJECTED => b"the server's greeting was not 220\0",
        SMTPC_ERR_AUTH_FAILED => b"the server rejected the credentials\0",
        SMTPC_ERR_AUTH_UNAVAILABLE => {
            b"no AUTH mechanism in common, or credentials would travel without TLS\0"
        }
        SMTPC_ERR_SENDER_REJECTED => b"the server refused the sender (MAIL FROM)\0",
        SMTPC_ERR_RECIPIENTS_REJECTED => b"every recipient was refused; nothing was sent\0",
        SMTPC_ERR_PARTIAL => b"accepted for some recipients only; see the report\0",
        SMTPC_ERR_MESSAGE_REJECTED => b"the server refused the message data\0",
        SMTPC_ERR_MESSAGE_TOO_BIG => b"the message is larger than the server accepts\0",
        SMTPC_ERR_UNKNOWN_OUTCOME => {
            b"the connection failed after the message was sent: it may have been delivered\0"
        }
        SMTPC_ERR_UNSUPPORTED => b"the server lacks an extension this operation needs\0",
        SMTPC_ERR_NOT_SENT => b"not sent: the batch stopped before this message\0",
        SMTPC_ERR_COMMAND_REJECTED => b"the server refused the command\0",
        SMTPC_ERR_FILE => b"an attachment or output file could not be read or written\0",
        SMTPC_ERR_CANCELLED => b"cancelled\0",
        SMTPC_ERR_PANIC => b"internal error (a bug in smtpc); the handle is unusable\0",
        _ => b"unknown status\0",
    };
    text.as_ptr().cast()
}

/// The status of an error kind. This is the only place that maps errors to C
/// status numbers.
pub(crate) fn kind_status(kind: ErrorKind) -> smtpc_status {
    match kind {
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
        ErrorKind::NotSent => SMTPC_ERR_NOT_SENT,
        ErrorKind::CommandRejected => SMTPC_ERR_COMMAND_REJECTED,
        ErrorKind::File => SMTPC_ERR_FILE,
        ErrorKind::Cancelled => SMTPC_ERR_CANCELLED,
        ErrorKind::Panic => SMTPC_ERR_PANIC,
    }
}

/// The status of an error.
pub(crate) fn status_of(error: &Error) -> smtpc_status {
    kind_status(error.kind())
}

/// Whether an SMTP reply code is a temporary failure (4xx: the same thing may work
/// later, e.g. 421, 450, 451, 452), such as `smtpc_client_last_reply_code` or a
/// recipient's code in a report returns. False for 0 and every other code.
#[no_mangle]
pub extern "C" fn smtpc_reply_is_temporary(code: u32) -> bool {
    u16::try_from(code).is_ok_and(crate::protocol::rules::is_temporary)
}

/// Whether an SMTP reply code is a permanent failure (5xx: sending the same thing
/// again will fail again, e.g. 550, 554). False for 0 and every other code.
#[no_mangle]
pub extern "C" fn smtpc_reply_is_permanent(code: u32) -> bool {
    u16::try_from(code).is_ok_and(crate::protocol::rules::is_permanent)
}

/// The library's version as "MAJOR.MINOR.PATCH" (static). Compare with
/// `SMTPC_VERSION_STRING` to detect a header/library mismatch.
#[no_mangle]
pub extern "C" fn smtpc_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The library's version as MAJOR*1000000 + MINOR*1000 + PATCH; compare with
/// `SMTPC_VERSION_NUMBER`.
#[no_mangle]
pub extern "C" fn smtpc_version_number() -> u32 {
    let n = |s: &str| s.parse::<u32>().unwrap_or(0);
    n(env!("CARGO_PKG_VERSION_MAJOR")) * 1_000_000
        + n(env!("CARGO_PKG_VERSION_MINOR")) * 1_000
        + n(env!("CARGO_PKG_VERSION_PATCH"))
}
