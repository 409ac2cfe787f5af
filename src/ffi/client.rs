//! `smtpc_client`: one SMTP session — options, callbacks, commands, and the
//! per-handle last reply / last error.
//!
//! The handle is a [`ClientHandle`] in a `Box`. Its mutable state sits behind a
//! mutex so that `smtpc_client_cancel`, which may run on any thread while another
//! thread is inside `smtpc_client_send`, only ever needs a shared reference: it
//! touches the cancel handle and nothing else. No `&mut` to the whole handle exists.

use super::handle::{
    catch_panic, empty_c_str, guard, line_arg, null_arg, require, str_arg, write_out, BoxCastPtr,
    Handle, Outcome,
};
use super::message::smtpc_message;
use super::report::{smtpc_report, ReportHandle};
use super::status::*;
use crate::client::{CancelHandle, Client, Report, TlsMode};
use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use std::marker::{PhantomData, PhantomPinned};
use std::os::raw::c_char;
use std::path::Path;
use std::time::Duration;

/// One SMTP session with one server: its options (TLS, credentials, timeouts,
/// callbacks), its connection, and the last reply and error, which the getters
/// describe.
///
/// Created by `smtpc_client_new`; the caller must release it with
/// `smtpc_client_free`. It may move between threads but is used by one thread at a
/// time; only `smtpc_client_cancel` may be called from any thread at any time.
/// A call made while another call on the same handle is still running (from a
/// second thread, or from inside a callback) fails with `SMTPC_ERR_STATE` instead
/// of blocking. After `SMTPC_ERR_PANIC` the handle refuses all work
/// (`SMTPC_ERR_STATE`) except `smtpc_client_free`.
///
/// Functions:
/// - smtpc_client_new, smtpc_client_free
/// - options (before connecting): smtpc_client_set_tls, smtpc_client_set_ca_file,
///   smtpc_client_set_tls_server_name, smtpc_client_dangerous_accept_invalid_certs,
///   smtpc_client_set_credentials, smtpc_client_set_oauth2_token,
///   smtpc_client_set_helo_name, smtpc_client_set_timeout_ms,
///   smtpc_client_set_pipelining, smtpc_client_set_chunking
/// - at any time: smtpc_client_set_deadline_ms
/// - callbacks: smtpc_client_set_log_callback, smtpc_client_set_progress_callback
/// - commands: smtpc_client_connect, smtpc_client_send, smtpc_client_send_raw,
///   smtpc_client_send_batch, smtpc_client_noop, smtpc_client_reset,
///   smtpc_client_verify, smtpc_client_etrn, smtpc_client_quit, smtpc_client_cancel
/// - getters: smtpc_client_has_extension, smtpc_client_last_reply_code,
///   smtpc_client_last_reply, smtpc_client_last_reply_enhanced,
///   smtpc_client_last_error
pub struct smtpc_client {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}

/// How the connection is protected: one of the `SMTPC_TLS_*` values. Any other
/// value gives `SMTPC_ERR_INVALID_ARGUMENT`. The default is `SMTPC_TLS_IMPLICIT`
/// when the port is 465 and `SMTPC_TLS_STARTTLS` otherwise.
pub type smtpc_tls_mode = u32;

/// Plaintext; the caller accepts the risk (credentials may travel in clear).
pub const SMTPC_TLS_NONE: smtpc_tls_mode = 0;
/// STARTTLS when the server offers it; credentials are never sent without TLS.
pub const SMTPC_TLS_STARTTLS_OPPORTUNISTIC: smtpc_tls_mode = 1;
/// STARTTLS required: fail with `SMTPC_ERR_TLS_UNAVAILABLE` when it is not offered.
pub const SMTPC_TLS_STARTTLS: smtpc_tls_mode = 2;
/// TLS from the first byte (SMTPS, usually port 465).
pub const SMTPC_TLS_IMPLICIT: smtpc_tls_mode = 3;

impl BoxCastPtr for smtpc_client {
    type Rust = ClientHandle;
}

/// What a `*mut smtpc_client` points at: the client behind the handle's lock, and
/// its cancel handle outside it (the only thing `smtpc_client_cancel` touches).
pub(crate) type ClientHandle = Handle<Client, CancelHandle>;

// The C API promises a client may move between threads and be cancelled from any
// thread, and a message may be sent from several threads at once. Prove it.
const _: () = {
    const fn send<T: Send>() {}
    const fn send_sync<T: Send + Sync>() {}
    send::<Client>();
    send_sync::<CancelHandle>();
    send_sync::<ClientHandle>();
};

/// Makes the getters describe the call that just ended: on failure its error
/// and the reply that caused it, on success the client's last reply.
fn refresh(client: &Client, result: &Result<()>, outcome: &mut Outcome) {
    let reply = match result {
        Err(e) if e.reply().is_some() => e.reply(),
        Err(_) => None,
        Ok(()) => client.last_reply(),
    };
    outcome.set_reply(reply);
    outcome.set_error(match result {
        Err(e) => e.message(),
        Ok(()) => "",
    });
}

/// The boundary of every client call that returns a status: NULL handle, panic,
/// poisoned or busy handle, then `body`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
pub(super) unsafe fn client_call(
    client: *const smtpc_client,
    func: &str,
    body: impl FnOnce(&mut Client) -> Result<()>,
) -> smtpc_status {
    guard(SMTPC_ERR_PANIC, || {
        // SAFETY: forwarded contract.
        match unsafe { smtpc_client::try_ref(client) } {
            Some(handle) => handle.modify(func, body, refresh),
            None => SMTPC_ERR_NULL_ARGUMENT,
        }
    })
}

/// The boundary of a getter: `fallback` for a NULL or busy handle or a panic.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
unsafe fn client_read<T: Copy>(
    client: *const smtpc_client,
    fallback: T,
    body: impl FnOnce(&Client, &Outcome) -> T,
) -> T {
    guard(fallback, || {
        // SAFETY: forwarded contract.
        match unsafe { smtpc_client::try_ref(client) } {
            Some(handle) => handle.get(fallback, body),
            None => fallback,
        }
    })
}

/// Creates a client for `host` (a name or an IP literal) and `port`; nothing is
/// connected yet. The TLS mode defaults to `SMTPC_TLS_IMPLICIT` for port 465 and
/// `SMTPC_TLS_STARTTLS` otherwise.
///
/// On `SMTPC_OK`, `*client_out` receives a new handle that the caller must release
/// with `smtpc_client_free`; on failure `*client_out` is not written.
///
/// Returns `SMTPC_ERR_NULL_ARGUMENT` (host or client_out NULL),
/// `SMTPC_ERR_INVALID_ARGUMENT` (host not UTF-8, empty or malformed),
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `host` is NULL or NUL-terminated; `client_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_new(
    host: *const c_char,
    port: u16,
    client_out: *mut *mut smtpc_client,
) -> smtpc_status {
    const F: &str = "smtpc_client_new";
    guard(SMTPC_ERR_PANIC, || {
        let made = (|| {
            require(client_out, F, "client_out")?;
            // SAFETY: host is NULL or NUL-terminated (caller contract).
            let host = unsafe { line_arg(host, F, "host") }?;
            Client::new(host, port)
        })();
        match made {
            Ok(client) => {
                let cancel = client.cancel_handle();
                let handle = smtpc_client::into_raw(Handle::new(client, cancel));
                // SAFETY: client_out was checked non-NULL; writable per contract.
                unsafe { write_out(client_out, handle) };
                SMTPC_OK
            }
            Err(e) => status_of(&e),
        }
    })
}

/// Closes the session (QUIT first when connected, errors ignored) and releases the
/// client and every string its getters returned. NULL is a no-op. Also works on a
/// handle that returned `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`; it is not used
/// afterwards, and no other thread is inside a call on it (including
/// `smtpc_client_cancel`).
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_free(client: *mut smtpc_client) {
    // SAFETY: forwarded contract.
    guard((), || unsafe { smtpc_client::free(client) })
}

/// Sets the TLS mode (`SMTPC_TLS_*`). Only while not connected.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT` (not
/// an `SMTPC_TLS_*` value), `SMTPC_ERR_STATE` (connected, busy or unusable handle),
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_tls(
    client: *mut smtpc_client,
    mode: smtpc_tls_mode,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_tls";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            c.set_tls(tls_mode_from_c(mode).ok_or_else(|| {
                Error::invalid(format!("{F}: mode {mode} is not an smtpc_tls_mode value"))
            })?)
        })
    }
}

/// Trusts the PEM certificates in the file `pem_path` in addition to the system's
/// trust store. Only while not connected. The path is copied.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT` (not
/// UTF-8), `SMTPC_ERR_FILE` (unreadable or not PEM), `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`; `smtpc_client_last_error` says why.
///
/// # Safety
/// `client` is NULL or a live handle; `pem_path` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_ca_file(
    client: *mut smtpc_client,
    pem_path: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_ca_file";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            let path = str_arg(pem_path, F, "pem_path")?;
            c.set_ca_file(Path::new(path))
        })
    }
}

/// Sets the name to verify in the server's certificate (and send as SNI) when it
/// differs from the host given to `smtpc_client_new`, e.g. when connecting by IP
/// address. Only while not connected.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`,
/// `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle; `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_tls_server_name(
    client: *mut smtpc_client,
    name: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_tls_server_name";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            c.set_tls_server_name(line_arg(name, F, "name")?)
        })
    }
}

/// Turns certificate and host name verification off (`accept` true) or back on.
/// DANGEROUS: anyone on the path can then read the session, credentials included.
/// For tests only. Only while not connected.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_dangerous_accept_invalid_certs(
    client: *mut smtpc_client,
    accept: bool,
) -> smtpc_status {
    const F: &str = "smtpc_client_dangerous_accept_invalid_certs";
    // SAFETY: forwarded contract.
    unsafe { client_call(client, F, |c| c.set_accept_invalid_certs(accept)) }
}

/// Sets the user name and password for AUTH (the best mechanism both sides support
/// is chosen). Both strings are copied. The password never appears in any log,
/// error or reply text; error texts name arguments, never their values.
/// Only while not connected.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (not UTF-8, or CR/LF in the user name), `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle; `user` and `password` are NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_credentials(
    client: *mut smtpc_client,
    user: *const c_char,
    password: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_credentials";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            let user = line_arg(user, F, "user")?;
            let password = str_arg(password, F, "password")?;
            c.set_credentials(user, password)
        })
    }
}

/// Sets the user name and OAuth 2.0 bearer token for AUTH XOAUTH2. Both strings
/// are copied; the token never appears in any log, error or reply text.
/// Only while not connected.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (not UTF-8, or CR/LF in the user name or token), `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle; `user` and `token` are NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_oauth2_token(
    client: *mut smtpc_client,
    user: *const c_char,
    token: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_oauth2_token";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            let user = line_arg(user, F, "user")?;
            let token = line_arg(token, F, "token")?;
            c.set_oauth2_token(user, token)
        })
    }
}

/// Sets the name sent in EHLO/HELO (default: the local host name, or an address
/// literal). Only while not connected.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (not UTF-8, CR/LF, or not a valid domain or address literal), `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle; `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_helo_name(
    client: *mut smtpc_client,
    name: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_helo_name";
    // SAFETY: forwarded contract.
    unsafe { client_call(client, F, |c| c.set_helo_name(line_arg(name, F, "name")?)) }
}

/// Sets the timeouts in milliseconds; both must be non-zero. Only while not
/// connected. `connect_ms` bounds the name lookup and the TCP connect to each
/// address; `io_ms` bounds the wait for each whole server reply (however slowly
/// it trickles in), each socket write, and the whole TLS handshake. A deadline
/// for a whole call is set with `smtpc_client_set_deadline_ms`.
///
/// Defaults: 30 s and 120 s. 30 s outlasts the SYN retries of every common
/// system (Windows gives up after about 21 s). RFC 5321 section 4.5.3.2 asks a
/// relaying MTA to wait 5 minutes for most replies and 10 for the one after the
/// end of data, because it queues and retries anyway; a program whose user is
/// waiting sends to a submission server that answers in seconds, and 120 s still
/// covers a slow content scan after the data. A timeout after the end of data
/// gives `SMTPC_ERR_UNKNOWN_OUTCOME`, never a silent resend, so raise `io_ms`
/// towards 600 s if a server is known to take that long.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (a zero value), `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_timeout_ms(
    client: *mut smtpc_client,
    connect_ms: u32,
    io_ms: u32,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_timeout_ms";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            c.set_timeouts(
                Duration::from_millis(u64::from(connect_ms)),
                Duration::from_millis(u64::from(io_ms)),
            )
        })
    }
}

/// Sets a deadline in milliseconds for each whole call: `smtpc_client_connect`,
/// each send (also `smtpc_client_send_batch` as a whole), NOOP, RSET, VRFY, ETRN,
/// QUIT. It covers the name lookup, every connect attempt, TLS, AUTH and the
/// transaction together, and cuts the timeouts of `smtpc_client_set_timeout_ms`
/// short. 0 (the default) means no deadline: each step is then bounded by its own
/// timeout only, because how long a send may take depends on the message size and
/// the link, which only the caller knows. A call that runs out fails with
/// `SMTPC_ERR_TIMEOUT` (or `SMTPC_ERR_UNKNOWN_OUTCOME` when the whole message was
/// already sent), and `smtpc_client_last_error` begins "the deadline of N ms for
/// the whole call ran out" followed by the step that was running (for example
/// "resolving mail.example.com", "connecting to ...", "reading the reply to RCPT
/// TO"). Allowed at any time; it applies from the next call.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_deadline_ms(
    client: *mut smtpc_client,
    deadline_ms: u32,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_deadline_ms";
    let deadline = (deadline_ms != 0).then(|| Duration::from_millis(u64::from(deadline_ms)));
    // SAFETY: forwarded contract.
    unsafe { client_call(client, F, |c| c.set_deadline(deadline)) }
}

/// Connects explicitly: TCP (every resolved address in turn), greeting, EHLO (HELO
/// fallback), TLS according to the mode, AUTH when credentials are set. Optional:
/// `smtpc_client_send` connects on demand.
///
/// Returns `SMTPC_OK` or the failure: `SMTPC_ERR_DNS`, `SMTPC_ERR_CONNECT`,
/// `SMTPC_ERR_TIMEOUT`, `SMTPC_ERR_CONNECTION_LOST`, `SMTPC_ERR_IO`, `SMTPC_ERR_TLS`,
/// `SMTPC_ERR_TLS_UNAVAILABLE`, `SMTPC_ERR_PROTOCOL`, `SMTPC_ERR_GREETING_REJECTED`,
/// `SMTPC_ERR_AUTH_FAILED` (535: the credentials were rejected),
/// `SMTPC_ERR_AUTH_UNAVAILABLE` (also 504, 534 and 538 to AUTH),
/// `SMTPC_ERR_COMMAND_REJECTED` (any other refusal of AUTH, such as 454 or 554,
/// which did not judge the credentials: see `smtpc_reply_is_temporary`),
/// `SMTPC_ERR_CANCELLED`,
/// `SMTPC_ERR_STATE`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_PANIC`. The getters
/// then describe the failure.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_connect(client: *mut smtpc_client) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe { client_call(client, "smtpc_client_connect", |c| c.connect()) }
}

/// Sends a built message (connecting first if needed, and reconnecting once if an
/// idle session died). The envelope sender is the From address, the recipients
/// are To + Cc + Bcc. The message is not changed and may be sent by other clients
/// on other threads at the same time.
///
/// `report_out` may be NULL. Unlike other out-parameters, `*report_out` is written
/// on failure too, so that each recipient's result can be seen: it receives a
/// report (each recipient's reply and the final reply) on `SMTPC_OK`, and also on
/// `SMTPC_ERR_PARTIAL`, `SMTPC_ERR_RECIPIENTS_REJECTED` and any other failure that
/// happened after recipients were given to the server; after any other failure it
/// is set to NULL. Exceptions, which leave it untouched like any out-parameter:
/// argument errors (`SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT` such as
/// no From, no recipient or a malformed address), a busy or unusable client or
/// message (`SMTPC_ERR_STATE` before anything is sent), and `SMTPC_ERR_PANIC`.
/// A non-NULL report is owned by the caller and must be released with
/// `smtpc_report_free`; it stays valid after the client and message are freed.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_PARTIAL` (some recipients refused: the message
/// went to the others), every error of `smtpc_client_connect`, and
/// `SMTPC_ERR_SENDER_REJECTED`, `SMTPC_ERR_RECIPIENTS_REJECTED`,
/// `SMTPC_ERR_MESSAGE_REJECTED`, `SMTPC_ERR_MESSAGE_TOO_BIG`,
/// `SMTPC_ERR_UNKNOWN_OUTCOME` (may have been delivered: do not resend blindly),
/// `SMTPC_ERR_UNSUPPORTED`, `SMTPC_ERR_FILE` (an attachment could not be read),
/// `SMTPC_ERR_INVALID_ARGUMENT` (no From or no recipient).
///
/// # Safety
/// `client` and `message` are NULL or live handles; `report_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_send(
    client: *mut smtpc_client,
    message: *const smtpc_message,
    report_out: *mut *mut smtpc_report,
) -> smtpc_status {
    const F: &str = "smtpc_client_send";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            let message = smtpc_message::try_ref(message).ok_or_else(|| null_arg(F, "message"))?;
            message.read(F, |m| deliver_report(report_out, c.send(m)))
        })
    }
}

/// Sends a ready-made RFC 5322 message (headers and body) from `from` to the
/// `recipient_count` addresses in `recipients`. Bare LF and bare CR are normalised
/// to CRLF, lines starting with '.' are dot-stuffed, and the terminator is added.
/// `from` may be "" for the null reverse-path `<>` (bounces). `recipient_count`
/// must be at least 1. `data` may be NULL when `data_len` is 0. Everything is used
/// only during the call.
///
/// `report_out` may be NULL and is written exactly as by `smtpc_client_send`
/// (a report on success, on `SMTPC_ERR_PARTIAL`, `SMTPC_ERR_RECIPIENTS_REJECTED`
/// and other failures that carry one; NULL after other failures; untouched on
/// argument errors, a busy or unusable handle, and `SMTPC_ERR_PANIC`). The caller
/// frees a non-NULL report with `smtpc_report_free`.
///
/// Returns the codes of `smtpc_client_send`; `SMTPC_ERR_NULL_ARGUMENT` also for a
/// NULL element of `recipients` (last_error names its index), and
/// `SMTPC_ERR_INVALID_ARGUMENT` for an address that is not UTF-8, contains CR/LF,
/// or is malformed.
///
/// # Safety
/// `client` is NULL or a live handle; `from` is NULL or NUL-terminated;
/// `recipients` is NULL or points at `recipient_count` pointers, each NULL or
/// NUL-terminated; `data` is NULL or points at `data_len` bytes; `report_out` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_send_raw(
    client: *mut smtpc_client,
    from: *const c_char,
    recipients: *const *const c_char,
    recipient_count: usize,
    data: *const u8,
    data_len: usize,
    report_out: *mut *mut smtpc_report,
) -> smtpc_status {
    const F: &str = "smtpc_client_send_raw";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            let from = line_arg(from, F, "from")?;
            let recipients = recipients_arg(recipients, recipient_count, F)?;
            let data = super::handle::bytes_arg(data, data_len, F, "data")?;
            deliver_report(report_out, c.send_raw(from, &recipients, data))
        })
    }
}

/// Sends `count` messages over one session with one round trip per message: with
/// PIPELINING each message's end of data goes in the same write as the next
/// message's MAIL, RCPT and DATA; with CHUNKING each small message goes in a single
/// write. Connects first if needed. Each message is sent exactly as
/// `smtpc_client_send` would send it (its own envelope, DSN requests and report);
/// the same message may appear several times.
///
/// `reports_out` may be NULL; otherwise it points at an array of `count` report
/// pointers, and every element is set to a report the caller must release with
/// `smtpc_report_free` (on every return except the argument errors, a busy or
/// unusable client, and `SMTPC_ERR_PANIC`, which leave the array untouched). Each
/// report's `smtpc_report_status` is that message's own result. A failure that
/// ends the session — connection lost, timeout, `SMTPC_ERR_UNKNOWN_OUTCOME` (may
/// have been delivered: do not resend blindly), cancel — stops the batch: that
/// message reports it and every later one `SMTPC_ERR_NOT_SENT` (nothing of it was
/// delivered; send it again). A refusal of one message (e.g. its sender or its
/// data) does not stop the batch.
///
/// Returns `SMTPC_OK` when every message reached every recipient; otherwise the
/// status of the first message that did not, with `smtpc_client_last_error` naming
/// it ("message 3 of 10: ..."). `SMTPC_ERR_NULL_ARGUMENT` when `messages` or one
/// of its elements is NULL, `SMTPC_ERR_INVALID_ARGUMENT` when `count` is 0,
/// `SMTPC_ERR_STATE` when a message is being modified by another thread.
///
/// # Safety
/// `client` is NULL or a live handle; `messages` is NULL or points at `count`
/// pointers, each NULL or a live message; `reports_out` is NULL or points at
/// `count` writable report pointers.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_send_batch(
    client: *mut smtpc_client,
    messages: *const *const smtpc_message,
    count: usize,
    reports_out: *mut *mut smtpc_report,
) -> smtpc_status {
    const F: &str = "smtpc_client_send_batch";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            if count == 0 {
                return Err(Error::invalid(format!(
                    "{F}: count is 0 (at least one message is needed)"
                )));
            }
            require(messages, F, "messages")?;
            // SAFETY: non-NULL with `count` elements (caller contract).
            let pointers = std::slice::from_raw_parts(messages, count);
            let handles = pointers
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    smtpc_message::try_ref(p).ok_or_else(|| null_arg(F, &format!("messages[{i}]")))
                })
                .collect::<Result<Vec<_>>>()?;
            // Every message is held for reading during the batch (other threads
            // may send it too; none may modify it).
            let guards = handles
                .iter()
                .map(|h| h.read_guard(F))
                .collect::<Result<Vec<_>>>()?;
            let list: Vec<&Message> = guards.iter().map(|g| &**g).collect();
            let results = c.send_batch(&list);
            if !reports_out.is_null() {
                for (i, result) in results.iter().enumerate() {
                    // SAFETY: `count` writable elements (caller contract).
                    write_out(reports_out.add(i), ReportHandle::from_result(result));
                }
            }
            match c.last_error() {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            }
        })
    }
}

/// Whether to use PIPELINING when the server offers it (default: true). Turn it off
/// for a server that advertises PIPELINING but mishandles it (replies lost or out
/// of order): every command then waits for its reply. Only while not connected.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_pipelining(
    client: *mut smtpc_client,
    enabled: bool,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, "smtpc_client_set_pipelining", |c| {
            c.set_pipelining(enabled)
        })
    }
}

/// Whether to use CHUNKING (RFC 3030 BDAT) when the server offers it (default:
/// true). Turn it off for a server that advertises CHUNKING but mishandles it:
/// messages then go with DATA. Only while not connected.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_chunking(
    client: *mut smtpc_client,
    enabled: bool,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, "smtpc_client_set_chunking", |c| {
            c.set_chunking(enabled)
        })
    }
}

/// Sends ETRN `node` (RFC 1985): asks the server to start delivering the mail it
/// holds for `node` — a domain ("example.com"), "@example.com" for the domain and
/// its subdomains, or "#queue" for a named queue. Connects first if needed. The
/// answer is in `smtpc_client_last_reply` (250 queuing started, 251 no messages
/// waiting, 252 pending, 253 with a count).
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_UNSUPPORTED` (the server does not offer ETRN;
/// nothing is sent), `SMTPC_ERR_COMMAND_REJECTED` (the server refused the node,
/// e.g. 458 or 459), `SMTPC_ERR_INVALID_ARGUMENT` (not UTF-8, CR/LF, white space),
/// and the codes of `smtpc_client_noop`.
///
/// # Safety
/// `client` is NULL or a live handle; `node` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_etrn(
    client: *mut smtpc_client,
    node: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_client_etrn";
    // SAFETY: forwarded contract.
    unsafe { client_call(client, F, |c| c.etrn(line_arg(node, F, "node")?).map(drop)) }
}

/// Sends NOOP (checks that the session is alive). Like every command function
/// except `smtpc_client_quit`, it connects first when the client is not connected
/// (so the connection's codes can come back too).
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_STATE` (busy or unusable handle),
/// `SMTPC_ERR_TIMEOUT`, `SMTPC_ERR_CONNECTION_LOST`, `SMTPC_ERR_PROTOCOL`,
/// `SMTPC_ERR_CANCELLED`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_PANIC`, and those
/// of `smtpc_client_connect`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_noop(client: *mut smtpc_client) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe { client_call(client, "smtpc_client_noop", |c| c.noop()) }
}

/// Sends RSET (abandons a transaction in progress on the server).
///
/// Returns the codes of `smtpc_client_noop`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_reset(client: *mut smtpc_client) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe { client_call(client, "smtpc_client_reset", |c| c.reset()) }
}

/// Sends VRFY `address`. `SMTPC_OK` means the server answered 250, 251 or 252; the
/// answer is in `smtpc_client_last_reply` / `smtpc_client_last_reply_code`.
///
/// Returns the codes of `smtpc_client_noop`, `SMTPC_ERR_INVALID_ARGUMENT` (not
/// UTF-8, CR/LF), `SMTPC_ERR_RECIPIENTS_REJECTED` (550/551/553: the address is not
/// known there), `SMTPC_ERR_UNSUPPORTED` (500/502/504: VRFY is disabled).
///
/// # Safety
/// `client` is NULL or a live handle; `address` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_verify(
    client: *mut smtpc_client,
    address: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_client_verify";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            c.verify(line_arg(address, F, "address")?).map(drop)
        })
    }
}

/// Sends QUIT and closes the connection; does nothing when not connected. The
/// options are kept: a later `smtpc_client_connect` or `smtpc_client_send` opens a
/// new session.
///
/// Returns `SMTPC_OK` or the codes of `smtpc_client_noop`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_quit(client: *mut smtpc_client) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe { client_call(client, "smtpc_client_quit", |c| c.quit()) }
}

/// Cancels the operation in progress on `client`: it fails with
/// `SMTPC_ERR_CANCELLED` and the connection is closed. The only function that may
/// be called from any thread at any time, including while another thread is inside
/// a call on the same client and from inside a callback. NULL is a no-op.
///
/// A cancel while no call is running closes the idle connection (the next call
/// reconnects) and does not cancel that next call: each call starts uncancelled.
/// A cancel that arrives once the whole message was sent (waiting for the server's
/// final reply) gives `SMTPC_ERR_UNKNOWN_OUTCOME`, never `SMTPC_ERR_CANCELLED`: the
/// message may have been delivered, so a caller that resends on CANCELLED would
/// send it twice. Before that point nothing is delivered (the end of the data is
/// never sent), and the call fails with `SMTPC_ERR_CANCELLED`.
///
/// # Safety
/// `client` is NULL or a live handle; it must not be freed while this runs.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_cancel(client: *mut smtpc_client) {
    guard((), || {
        // SAFETY: forwarded contract. Only a shared reference is made, and only
        // the cancel handle (thread-safe by itself) is used: no lock, no waiting.
        if let Some(handle) = unsafe { smtpc_client::try_ref(client) } {
            if catch_panic(|| handle.shared().cancel()).is_none() {
                handle.poison();
            }
        }
    })
}

/// Whether the server advertised the EHLO keyword `keyword` (case-insensitive,
/// e.g. "SIZE", "STARTTLS", "SMTPUTF8") in the current session. False when not
/// connected, and for a NULL or invalid argument or an unusable handle.
///
/// # Safety
/// `client` is NULL or a live handle; `keyword` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_has_extension(
    client: *const smtpc_client,
    keyword: *const c_char,
) -> bool {
    guard(false, || {
        // SAFETY: forwarded contract.
        let Some(handle) = (unsafe { smtpc_client::try_ref(client) }) else {
            return false;
        };
        // SAFETY: forwarded contract.
        let keyword = unsafe { str_arg(keyword, "smtpc_client_has_extension", "keyword") };
        match keyword {
            Ok(keyword) if !handle.is_poisoned() => {
                handle.get(false, |c, _| c.has_extension(keyword))
            }
            _ => false,
        }
    })
}

/// The code of the last reply (e.g. 250, 535), or 0 when there is none. After a
/// failed call: the reply that caused the failure, 0 when no reply did.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_last_reply_code(client: *const smtpc_client) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, 0, |_, o| o.reply_code) }
}

/// The full text of the last reply as on the wire, one "CODE text" line per reply
/// line, joined with "\n" (e.g. "250 2.0.0 Ok: queued as 4ABC"). After a failed
/// call: the reply that caused the failure (e.g. the 535 that refused the
/// credentials), not a later reply the library received while cleaning up. "" when
/// there is none. Never NULL.
///
/// The string belongs to the client: valid until the next call that changes this
/// client (any smtpc_client_* call taking a non-const client) or its free.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_last_reply(client: *const smtpc_client) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, empty_c_str(), |_, o| o.reply.as_ptr()) }
}

/// The RFC 3463 enhanced status code of the last reply (the one
/// `smtpc_client_last_reply` shows), e.g. "5.7.8", or "" when it had none. With
/// `smtpc_client_last_reply_code` it tells a temporary failure from a permanent one
/// (see `smtpc_reply_is_temporary`). Never NULL; valid like
/// `smtpc_client_last_reply`.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_last_reply_enhanced(
    client: *const smtpc_client,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, empty_c_str(), |_, o| o.reply_enhanced.as_ptr()) }
}

/// A human-readable description of the last failure, with context (which function
/// or command, which argument, the server's reply). "" after a successful call.
/// Never contains a password or token. Never NULL.
///
/// The string belongs to the client: valid until the next call that changes this
/// client or its free.
///
/// # Safety
/// `client` is NULL or a live handle from `smtpc_client_new`.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_last_error(client: *const smtpc_client) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { client_read(client, empty_c_str(), |_, o| o.error.as_ptr()) }
}

/// The TLS mode of a C value, `None` for an unknown number.
fn tls_mode_from_c(mode: smtpc_tls_mode) -> Option<TlsMode> {
    match mode {
        SMTPC_TLS_NONE => Some(TlsMode::None),
        SMTPC_TLS_STARTTLS_OPPORTUNISTIC => Some(TlsMode::StartTlsOpportunistic),
        SMTPC_TLS_STARTTLS => Some(TlsMode::StartTls),
        SMTPC_TLS_IMPLICIT => Some(TlsMode::Implicit),
        _ => None,
    }
}

/// The `recipients` array of `smtpc_client_send_raw` as string slices.
///
/// # Safety
/// `recipients` is NULL or points at `count` pointers, each NULL or NUL-terminated.
unsafe fn recipients_arg<'a>(
    recipients: *const *const c_char,
    count: usize,
    func: &str,
) -> Result<Vec<&'a str>> {
    if count == 0 {
        return Err(Error::invalid(format!(
            "{func}: recipient_count is 0 (at least one recipient is needed)"
        )));
    }
    require(recipients, func, "recipients")?;
    // SAFETY: non-NULL with `count` elements (caller contract).
    let pointers = unsafe { std::slice::from_raw_parts(recipients, count) };
    pointers
        .iter()
        .enumerate()
        // SAFETY: each element is NULL or NUL-terminated (caller contract).
        .map(|(i, &p)| unsafe { line_arg(p, func, &format!("recipients[{i}]")) })
        .collect()
}

/// Hands the outcome of a send to the caller through `report_out` (when given):
/// the report of a success, or the report an error carries; NULL after any other
/// failure, except that an argument error (found before anything was sent)
/// leaves `*report_out` untouched like every other out-parameter.
///
/// # Safety
/// `report_out` is NULL or writable.
unsafe fn deliver_report(report_out: *mut *mut smtpc_report, result: Result<Report>) -> Result<()> {
    let (report, outcome) = match result {
        Ok(report) => (Some(report), Ok(())),
        Err(mut e) => (e.take_report(), Err(e)),
    };
    if report_out.is_null() {
        return outcome;
    }
    let handle = match (report, &outcome) {
        (Some(report), outcome) => ReportHandle::into_c(&report, outcome.as_ref().err()),
        (None, Err(e)) if is_argument_error(e) => return outcome,
        (None, _) => std::ptr::null_mut(),
    };
    // SAFETY: non-NULL and writable (caller contract).
    unsafe { write_out(report_out, handle) };
    outcome
}

/// Whether a failure is about the caller's arguments rather than the session.
fn is_argument_error(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::NullArgument | ErrorKind::InvalidArgument
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_handle() -> *mut smtpc_client {
        let mut client = std::ptr::null_mut();
        let host = b"127.0.0.1\0";
        // SAFETY: valid C string and out-pointer.
        let status = unsafe { smtpc_client_new(host.as_ptr().cast(), 2525, &mut client) };
        assert_eq!(
            status, SMTPC_OK,
            "smtpc_client_new (is Client::new implemented?)"
        );
        client
    }

    fn last_error(client: *mut smtpc_client) -> String {
        // SAFETY: live handle; the string is copied at once.
        unsafe { std::ffi::CStr::from_ptr(smtpc_client_last_error(client)) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_poisons_the_handle_and_free_still_works() {
        let client = new_handle();
        // SAFETY: live handle.
        let handle = unsafe { smtpc_client::try_ref(client) }.unwrap();
        let status = handle.modify(
            "test_fn",
            |_| -> Result<()> { panic!("deliberate test panic") },
            refresh,
        );
        assert_eq!(status, SMTPC_ERR_PANIC);
        assert!(last_error(client).contains("test_fn: internal error"));
        // SAFETY: live handle.
        assert_eq!(unsafe { smtpc_client_noop(client) }, SMTPC_ERR_STATE);
        let text = last_error(client);
        assert!(text.starts_with("smtpc_client_noop: "), "{text}");
        assert!(text.contains("unusable"), "{text}");
        // SAFETY: live handle.
        assert_eq!(
            unsafe { smtpc_client_set_timeout_ms(client, 5, 5) },
            SMTPC_ERR_STATE
        );
        // SAFETY: live handle.
        assert!(!unsafe { smtpc_client_has_extension(client, b"SIZE\0".as_ptr().cast()) });
        // SAFETY: live handle, not used afterwards.
        unsafe { smtpc_client_free(client) };
    }

    #[test]
    fn a_call_on_a_busy_handle_is_refused_not_blocked() {
        let client = new_handle();
        // SAFETY: live handle.
        let handle = unsafe { smtpc_client::try_ref(client) }.unwrap();
        // A call in progress (the modify below) holds the handle: a second call,
        // as from a callback or another thread, is refused at once.
        let status = handle.modify(
            "test",
            |_| {
                // SAFETY: live handle.
                assert_eq!(unsafe { smtpc_client_noop(client) }, SMTPC_ERR_STATE);
                // SAFETY: live handle.
                assert_eq!(unsafe { smtpc_client_last_reply_code(client) }, 0);
                Ok(())
            },
            refresh,
        );
        assert_eq!(status, SMTPC_OK);
        // SAFETY: live handle, not used afterwards.
        unsafe { smtpc_client_free(client) };
    }
}
