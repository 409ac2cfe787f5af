//! `smtpc_message`: the MIME message builder, as C sees it.
//!
//! The handle is a [`MessageHandle`] in a `Box`: the message behind a reader-writer
//! lock, so that several clients on several threads may send it at once (readers)
//! while a builder call (a writer) can never race with them.

use super::handle::{
    bytes_arg, catch_panic, empty_c_str, guard, line_arg, opt_line_arg, require, str_arg,
    write_out, BoxCastPtr, Handle, Outcome,
};
use super::status::*;
use crate::error::{Error, Result};
use crate::message::Message;
use crate::protocol::dsn::{DsnReturn, Notify};
use std::marker::{PhantomData, PhantomPinned};
use std::os::raw::c_char;
use std::path::Path;

/// A mail being built: From, To/Cc/Bcc, Reply-To, Subject, custom headers, a
/// text and/or HTML body, attachments and inline parts.
///
/// Created by `smtpc_message_new`; the caller must release it with
/// `smtpc_message_free`. Sending does not change it: the same message may be sent
/// by several clients on several threads at once, and sent or written again with
/// the same bytes (Date, Message-ID and MIME boundaries are fixed the first time
/// they are needed). A builder call made while the message is being sent or
/// written on another thread fails with `SMTPC_ERR_STATE`. After `SMTPC_ERR_PANIC`
/// the message refuses all work except `smtpc_message_free`.
///
/// Functions:
/// - smtpc_message_new, smtpc_message_free
/// - addresses: smtpc_message_set_from, smtpc_message_add_to, smtpc_message_add_cc,
///   smtpc_message_add_bcc, smtpc_message_set_reply_to
/// - content: smtpc_message_set_subject, smtpc_message_set_text,
///   smtpc_message_set_html, smtpc_message_add_header, smtpc_message_attach_file,
///   smtpc_message_attach_data, smtpc_message_embed_file
/// - delivery status notifications: smtpc_message_set_dsn, smtpc_message_set_dsn_notify
/// - output: smtpc_message_write_file (sending: smtpc_client_send)
/// - getter: smtpc_message_last_error
pub struct smtpc_message {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}

impl BoxCastPtr for smtpc_message {
    type Rust = MessageHandle;
}

/// What a `*mut smtpc_message` points at: the message behind a reader-writer
/// lock, so that several clients on several threads may send it at once (readers)
/// while a builder call (a writer) can never race with them.
pub(crate) type MessageHandle = Handle<Message>;

// Several threads may send one message at once (see smtpc_message).
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Message>();
    send_sync::<MessageHandle>();
};

/// Makes `smtpc_message_last_error` describe the call that just ended.
fn record_error<T>(result: &Result<T>, outcome: &mut Outcome) {
    outcome.set_error(result.as_ref().err().map_or("", Error::message));
}

/// The boundary of every builder call: NULL handle, panic, poisoned or busy
/// message, then `body`.
///
/// # Safety
/// `message` is NULL or a live handle from `smtpc_message_new`.
unsafe fn message_call(
    message: *mut smtpc_message,
    func: &str,
    body: impl FnOnce(&mut Message) -> Result<()>,
) -> smtpc_status {
    guard(SMTPC_ERR_PANIC, || {
        // SAFETY: forwarded contract.
        match unsafe { smtpc_message::try_ref(message) } {
            Some(handle) => handle.modify(func, body, |_, result, outcome| {
                record_error(result, outcome)
            }),
            None => SMTPC_ERR_NULL_ARGUMENT,
        }
    })
}

/// Creates an empty message. On `SMTPC_OK`, `*message_out` receives a new handle
/// that the caller must release with `smtpc_message_free`; on failure it is not
/// written.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT` (message_out NULL),
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `message_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_new(message_out: *mut *mut smtpc_message) -> smtpc_status {
    guard(SMTPC_ERR_PANIC, || {
        if let Err(e) = require(message_out, "smtpc_message_new", "message_out") {
            return status_of(&e);
        }
        let handle: MessageHandle = Handle::new(Message::new(), ());
        // SAFETY: checked non-NULL; writable per contract.
        unsafe { write_out(message_out, smtpc_message::into_raw(handle)) };
        SMTPC_OK
    })
}

/// Releases a message. NULL is a no-op. Reports of earlier sends stay valid.
///
/// # Safety
/// `message` is NULL or a live handle from `smtpc_message_new`; it is not used
/// afterwards and no send or write of it is in progress on any thread.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_free(message: *mut smtpc_message) {
    // SAFETY: forwarded contract.
    guard((), || unsafe { smtpc_message::free(message) })
}

/// Shared body of the five address setters.
///
/// # Safety
/// As the exports: `m` NULL or live, strings NULL or NUL-terminated.
unsafe fn address_call(
    m: *mut smtpc_message,
    func: &str,
    name: *const c_char,
    address: *const c_char,
    set: fn(&mut Message, Option<&str>, &str) -> Result<()>,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe {
        message_call(m, func, |msg| {
            let name = opt_line_arg(name, func, "name")?;
            let address = line_arg(address, func, "address")?;
            set(msg, name, address)
        })
    }
}

/// Sets From: the author and the envelope sender. `name` may be NULL; a non-ASCII
/// name is RFC 2047 encoded. Both strings are copied.
///
/// `address` is `local@domain` without angle brackets, and must be a valid RFC
/// 5321 path (RFC 6531 UTF-8 allowed): a local part of atoms joined by dots, or a
/// quoted string (`"john doe"@example.com`); a domain of letters, digits and
/// hyphens joined by dots, or an address literal (`[192.0.2.1]`,
/// `[IPv6:2001:db8::1]`). Characters such as `,` `;` `:` `(` `)` `[` `]` outside
/// the quotes are refused. The header always carries the address in angle
/// brackets: `Name <address>`, or `<address>` without a name.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT` (m or address NULL),
/// `SMTPC_ERR_INVALID_ARGUMENT` (not UTF-8, CR/LF, malformed address; the last
/// error names the argument and what is wrong), `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; `name` and `address` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_set_from(
    m: *mut smtpc_message,
    name: *const c_char,
    address: *const c_char,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe {
        address_call(
            m,
            "smtpc_message_set_from",
            name,
            address,
            Message::set_from,
        )
    }
}

/// Adds a To recipient (header and envelope). `name` may be NULL. Same codes as
/// `smtpc_message_set_from`.
///
/// # Safety
/// `m` is NULL or a live message; `name` and `address` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_add_to(
    m: *mut smtpc_message,
    name: *const c_char,
    address: *const c_char,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe { address_call(m, "smtpc_message_add_to", name, address, Message::add_to) }
}

/// Adds a Cc recipient (header and envelope). `name` may be NULL. Same codes as
/// `smtpc_message_set_from`.
///
/// # Safety
/// `m` is NULL or a live message; `name` and `address` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_add_cc(
    m: *mut smtpc_message,
    name: *const c_char,
    address: *const c_char,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe { address_call(m, "smtpc_message_add_cc", name, address, Message::add_cc) }
}

/// Adds a Bcc recipient: in the envelope only, never in a header. `name` may be
/// NULL (and is not used). Same codes as `smtpc_message_set_from`.
///
/// # Safety
/// `m` is NULL or a live message; `name` and `address` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_add_bcc(
    m: *mut smtpc_message,
    name: *const c_char,
    address: *const c_char,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe { address_call(m, "smtpc_message_add_bcc", name, address, Message::add_bcc) }
}

/// Sets Reply-To. `name` may be NULL. Same codes as `smtpc_message_set_from`.
///
/// # Safety
/// `m` is NULL or a live message; `name` and `address` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_set_reply_to(
    m: *mut smtpc_message,
    name: *const c_char,
    address: *const c_char,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe {
        address_call(
            m,
            "smtpc_message_set_reply_to",
            name,
            address,
            Message::set_reply_to,
        )
    }
}

/// Sets the subject (any UTF-8 on one line; encoded and folded as needed).
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (not UTF-8, CR/LF), `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; `subject` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_set_subject(
    m: *mut smtpc_message,
    subject: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_set_subject";
    // SAFETY: forwarded contract.
    unsafe {
        message_call(m, F, |msg| {
            msg.set_subject(line_arg(subject, F, "subject")?)
        })
    }
}

/// Sets the text/plain body (UTF-8; any line ends, sent as CRLF).
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (not UTF-8), `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; `text` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_set_text(
    m: *mut smtpc_message,
    text: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_set_text";
    // SAFETY: forwarded contract.
    unsafe { message_call(m, F, |msg| msg.set_text(str_arg(text, F, "text")?)) }
}

/// Sets the text/html body (UTF-8). With a text body too, the message is
/// multipart/alternative. Same codes as `smtpc_message_set_text`.
///
/// # Safety
/// `m` is NULL or a live message; `html` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_set_html(
    m: *mut smtpc_message,
    html: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_set_html";
    // SAFETY: forwarded contract.
    unsafe { message_call(m, F, |msg| msg.set_html(str_arg(html, F, "html")?)) }
}

/// Adds a custom header. `name` must be a valid field name (printable ASCII, no
/// colon or space) and not one the builder owns (MIME-Version, Content-*, Bcc) or
/// one with its own call (From, To, Cc, Reply-To, Subject); other names may
/// repeat. Date and Message-ID given here replace the generated ones. The value is folded
/// and, when non-ASCII, RFC 2047 encoded.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (not UTF-8, CR/LF, bad or reserved name), `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; `name` and `value` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_add_header(
    m: *mut smtpc_message,
    name: *const c_char,
    value: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_add_header";
    // SAFETY: forwarded contract.
    unsafe {
        message_call(m, F, |msg| {
            let name = line_arg(name, F, "name")?;
            let value = line_arg(value, F, "value")?;
            msg.add_header(name, value)
        })
    }
}

/// Attaches the file at `path`. The file is read when the message is sent or
/// written, streamed, not loaded whole; if it cannot be read then, that send fails
/// with `SMTPC_ERR_FILE`. `filename` (NULL: the path's base name) is the name
/// shown to the recipient; `content_type` (NULL: guessed from the extension) is
/// e.g. "application/pdf": printable ASCII, with space and tab only between
/// its parts. The strings are copied.
///
/// Only regular files are attached: a path that is a FIFO, a device or a
/// directory gives `SMTPC_ERR_FILE` now (checked without opening it, so the call
/// never blocks), and again at send time if one has taken the file's place. A
/// path that does not exist yet is accepted and fails the send.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT` (m or path NULL),
/// `SMTPC_ERR_INVALID_ARGUMENT` (not UTF-8, CR/LF in filename or content_type, bad
/// content type), `SMTPC_ERR_FILE` (not a regular file; the last error names the
/// path), `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; the strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_attach_file(
    m: *mut smtpc_message,
    path: *const c_char,
    filename: *const c_char,
    content_type: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_attach_file";
    // SAFETY: forwarded contract.
    unsafe {
        message_call(m, F, |msg| {
            let path = str_arg(path, F, "path")?;
            let filename = opt_line_arg(filename, F, "filename")?;
            let content_type = opt_line_arg(content_type, F, "content_type")?;
            msg.attach_file(Path::new(path), filename, content_type)
        })
    }
}

/// Attaches `len` bytes from `data`, copied now (the caller may free them after
/// the call). `data` may be NULL when `len` is 0. `filename` and `content_type` may
/// be NULL (then "application/octet-stream" unless guessed from `filename`).
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT` (m NULL, or data NULL with len >
/// 0), `SMTPC_ERR_INVALID_ARGUMENT`, `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; `data` is NULL or points at `len` bytes; the
/// strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_attach_data(
    m: *mut smtpc_message,
    data: *const u8,
    len: usize,
    filename: *const c_char,
    content_type: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_attach_data";
    // SAFETY: forwarded contract.
    unsafe {
        message_call(m, F, |msg| {
            let data = bytes_arg(data, len, F, "data")?;
            let filename = opt_line_arg(filename, F, "filename")?;
            let content_type = opt_line_arg(content_type, F, "content_type")?;
            msg.attach_data(data, filename, content_type)
        })
    }
}

/// Adds the file at `path` as an inline part that the HTML body references as
/// `cid:` followed by `content_id` (the message becomes multipart/related). Read
/// when sent or written, and only if it is a regular file, like
/// `smtpc_message_attach_file`. `content_type` may be
/// NULL (guessed from the extension).
///
/// Returns the codes of `smtpc_message_attach_file`; `content_id` is required.
///
/// # Safety
/// `m` is NULL or a live message; the strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_embed_file(
    m: *mut smtpc_message,
    path: *const c_char,
    content_id: *const c_char,
    content_type: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_embed_file";
    // SAFETY: forwarded contract.
    unsafe {
        message_call(m, F, |msg| {
            let path = str_arg(path, F, "path")?;
            let content_id = line_arg(content_id, F, "content_id")?;
            let content_type = opt_line_arg(content_type, F, "content_type")?;
            msg.embed_file(Path::new(path), content_id, content_type)
        })
    }
}

/// Writes the message to the file `path` (created or replaced) exactly as a send
/// transmits it: the RFC 5322 bytes with CRLF line ends, before the SMTP layer's
/// dot-stuffing (an .eml file). Does not change the message; may run on several
/// threads at once. The bytes go to a temporary file beside `path`, renamed over
/// it at the end. An existing `path` that is not a regular file (a FIFO, a
/// device, a directory) gives `SMTPC_ERR_FILE` at once, without blocking, and is
/// left as it is.
///
/// A message without From or recipients is written too (a draft); only a send
/// needs them.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (path not UTF-8), `SMTPC_ERR_FILE` (the output or an
/// attachment could not be written or read), `SMTPC_ERR_STATE`, `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; `path` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_write_file(
    m: *const smtpc_message,
    path: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_write_file";
    guard(SMTPC_ERR_PANIC, || {
        // SAFETY: forwarded contract.
        let Some(handle) = (unsafe { smtpc_message::try_ref(m) }) else {
            return SMTPC_ERR_NULL_ARGUMENT;
        };
        let result = catch_panic(|| {
            // SAFETY: forwarded contract.
            let path = unsafe { str_arg(path, F, "path") }?;
            handle.read(F, |msg| msg.write_file(Path::new(path)))
        });
        match result {
            Some(result) => {
                handle.record(|outcome| record_error(&result, outcome));
                result.map_or_else(|e| status_of(&e), |()| SMTPC_OK)
            }
            None => {
                handle.poison();
                SMTPC_ERR_PANIC
            }
        }
    })
}

/// What a failure report (DSN, RFC 3461) returns of the message: one of the
/// `SMTPC_DSN_RET_*` values.
pub type smtpc_dsn_ret = u32;

/// The server decides (no RET parameter).
pub const SMTPC_DSN_RET_DEFAULT: smtpc_dsn_ret = 0;
/// The whole message (`RET=FULL`).
pub const SMTPC_DSN_RET_FULL: smtpc_dsn_ret = 1;
/// Only its headers (`RET=HDRS`).
pub const SMTPC_DSN_RET_HDRS: smtpc_dsn_ret = 2;

/// When a recipient's server should send a delivery status notification: 0 (the
/// server decides: no NOTIFY parameter), `SMTPC_DSN_NOTIFY_NEVER`, or any
/// combination of `SMTPC_DSN_NOTIFY_SUCCESS`, `_FAILURE` and `_DELAY`.
pub type smtpc_dsn_notify = u32;

/// Report the delivery.
pub const SMTPC_DSN_NOTIFY_SUCCESS: smtpc_dsn_notify = 1;
/// Report a failure.
pub const SMTPC_DSN_NOTIFY_FAILURE: smtpc_dsn_notify = 2;
/// Report a long delay.
pub const SMTPC_DSN_NOTIFY_DELAY: smtpc_dsn_notify = 4;
/// Never report (not combinable with the others).
pub const SMTPC_DSN_NOTIFY_NEVER: smtpc_dsn_notify = 8;

/// Asks for delivery status notifications (DSN, RFC 3461) for this message: `ret`
/// (an `SMTPC_DSN_RET_*` value) says what a failure report returns of the message;
/// `envid` (may be NULL) is an identifier of your choice that every report quotes
/// (printable ASCII, at most 100 characters; sent xtext-encoded). When the server
/// does not offer DSN, a send goes on without the DSN parameters and says so in
/// the log; with `required` true it fails with `SMTPC_ERR_UNSUPPORTED` before
/// anything is sent instead. Per-recipient requests: `smtpc_message_set_dsn_notify`.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT` (an
/// unknown `ret`, or `envid` not printable ASCII or too long), `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; `envid` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_set_dsn(
    m: *mut smtpc_message,
    ret: smtpc_dsn_ret,
    envid: *const c_char,
    required: bool,
) -> smtpc_status {
    const F: &str = "smtpc_message_set_dsn";
    // SAFETY: forwarded contract.
    unsafe {
        message_call(m, F, |msg| {
            let ret = match ret {
                SMTPC_DSN_RET_DEFAULT => None,
                SMTPC_DSN_RET_FULL => Some(DsnReturn::Full),
                SMTPC_DSN_RET_HDRS => Some(DsnReturn::Headers),
                _ => {
                    return Err(Error::invalid(format!(
                        "{F}: ret {ret} is not an smtpc_dsn_ret value"
                    )))
                }
            };
            let envid = opt_line_arg(envid, F, "envid")?;
            msg.set_dsn(ret, envid, required).map_err(|e| e.context(F))
        })
    }
}

/// Sets when the server should report on a recipient (`notify`, a combination of
/// `SMTPC_DSN_NOTIFY_*`, or 0 for the server's default) and, optionally, the
/// original recipient address the report should quote (`orcpt`, the ORCPT
/// parameter; sent as `rfc822;` xtext, or `utf-8;` for a non-ASCII address). With
/// `address` NULL, `notify` applies to every recipient without a setting of its
/// own (and `orcpt` must be NULL); otherwise `address` must be a recipient already
/// added with `smtpc_message_add_to`, `_add_cc` or `_add_bcc`.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT`, `SMTPC_ERR_INVALID_ARGUMENT`
/// (unknown flags, NEVER combined with another flag, an address that is not a
/// recipient, a malformed `orcpt`, not UTF-8, CR/LF), `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `m` is NULL or a live message; `address` and `orcpt` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_set_dsn_notify(
    m: *mut smtpc_message,
    address: *const c_char,
    notify: smtpc_dsn_notify,
    orcpt: *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_message_set_dsn_notify";
    // SAFETY: forwarded contract.
    unsafe {
        message_call(m, F, |msg| {
            let address = opt_line_arg(address, F, "address")?;
            let orcpt = opt_line_arg(orcpt, F, "orcpt")?;
            let notify = Notify::from_bits(notify).map_err(|e| e.context(F))?;
            msg.set_dsn_notify(address, notify, orcpt)
                .map_err(|e| e.context(F))
        })
    }
}

/// A human-readable description of why the last call on this message failed, with
/// context (which function, which argument — never a secret value); "" after a
/// successful call, or for NULL. Calls that send the message report on the client
/// instead (`smtpc_client_last_error`). Never NULL.
///
/// The string belongs to the message: valid until the next call that changes
/// this message (a builder call or `smtpc_message_write_file`) or its free.
///
/// # Safety
/// `m` is NULL or a live message.
#[no_mangle]
pub unsafe extern "C" fn smtpc_message_last_error(m: *const smtpc_message) -> *const c_char {
    guard(empty_c_str(), || {
        // SAFETY: forwarded contract.
        match unsafe { smtpc_message::try_ref(m) } {
            Some(handle) => handle.get(empty_c_str(), |_, outcome| outcome.error.as_ptr()),
            None => empty_c_str(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_handle() -> *mut smtpc_message {
        let mut m = std::ptr::null_mut();
        // SAFETY: valid out-pointer.
        assert_eq!(unsafe { smtpc_message_new(&mut m) }, SMTPC_OK);
        m
    }

    #[test]
    fn a_panic_poisons_the_message_and_free_still_works() {
        let m = new_handle();
        // SAFETY: live handle.
        let handle = unsafe { smtpc_message::try_ref(m) }.unwrap();
        let status = handle.modify(
            "test",
            |_| -> Result<()> { panic!("deliberate test panic") },
            |_, _, _| {},
        );
        assert_eq!(status, SMTPC_ERR_PANIC);
        let subject = b"hello\0";
        // SAFETY: live handle, NUL-terminated string.
        let status = unsafe { smtpc_message_set_subject(m, subject.as_ptr().cast()) };
        assert_eq!(status, SMTPC_ERR_STATE);
        let e = handle.read("smtpc_client_send", |_| Ok(())).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::State);
        assert!(e.message().contains("unusable"), "{}", e.message());
        // SAFETY: live handle, not used afterwards.
        unsafe { smtpc_message_free(m) };
    }

    #[test]
    fn a_builder_call_while_the_message_is_read_is_refused() {
        let m = new_handle();
        // SAFETY: live handle.
        let handle = unsafe { smtpc_message::try_ref(m) }.unwrap();
        let subject = b"hello\0";
        let status = handle.read("test", |_| {
            // A second reader is fine (several sends at once) ...
            assert!(handle.read("test", |_| Ok(())).is_ok());
            // ... a writer is refused instead of racing or blocking.
            // SAFETY: live handle, NUL-terminated string.
            Ok(unsafe { smtpc_message_set_subject(m, subject.as_ptr().cast()) })
        });
        assert_eq!(status.unwrap(), SMTPC_ERR_STATE);
        // SAFETY: live handle, NUL-terminated string.
        let status = unsafe { smtpc_message_set_subject(m, subject.as_ptr().cast()) };
        assert_eq!(status, SMTPC_OK);
        // SAFETY: live handle, not used afterwards.
        unsafe { smtpc_message_free(m) };
    }
}
