//! Status codes, their static texts, and the library version.

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
/// The peer closed or reset the connection.
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
/// The server rejected the credentials.
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
        SMTPC_ERR_FILE => b"an attachment or output file could not be read or written\0",
        SMTPC_ERR_CANCELLED => b"cancelled\0",
        SMTPC_ERR_PANIC => b"internal error (a bug in smtpc); the handle is unusable\0",
        _ => b"unknown status\0",
    };
    text.as_ptr().cast()
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
