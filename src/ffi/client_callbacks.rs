//! The log and progress callbacks: their C types, and the adapters that turn a C
//! function pointer plus `user_data` into the Rust client's callback boxes.

use super::client::{client_call, smtpc_client};
use super::status::smtpc_status;
use crate::client::LogKind;
use std::ffi::c_void;
use std::os::raw::{c_char, c_int};

/// What a log line is: one of the `SMTPC_LOG_*` values.
pub type smtpc_log_kind = u32;

/// Connecting, TLS established, reconnecting, message size, ...
pub const SMTPC_LOG_INFO: smtpc_log_kind = 0;
/// One command line sent to the server; AUTH secrets are replaced by `***`.
pub const SMTPC_LOG_SENT: smtpc_log_kind = 1;
/// One reply line received from the server.
pub const SMTPC_LOG_RECEIVED: smtpc_log_kind = 2;

/// Receives the session log, one line per call. `line` is NUL-terminated, has no
/// line ending, and is `line_len` bytes long (any NUL byte inside was replaced by
/// U+FFFD); it is valid only during the call. Message bodies are never logged
/// (only a summary such as the byte count), and passwords and tokens never appear.
/// The callback runs on the thread that called into the client.
pub type smtpc_log_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        kind: smtpc_log_kind,
        line: *const c_char,
        line_len: usize,
    ),
>;

/// Reports the progress of sending message data. `bytes_total` is the size of the
/// data as it will be transmitted, known before the first call. Return 0 to go on,
/// non-zero to cancel the send (it fails with `SMTPC_ERR_CANCELLED`). The callback
/// runs on the thread that called `smtpc_client_send` / `smtpc_client_send_raw`.
pub type smtpc_progress_callback = Option<
    unsafe extern "C" fn(user_data: *mut c_void, bytes_sent: u64, bytes_total: u64) -> c_int,
>;

/// Sets the log callback, or removes it when `cb` is NULL. `user_data` is passed
/// back unchanged as the callback's first argument.
///
/// The callback runs on the thread that is inside a call on this client; if the
/// client moves between threads, `cb` and `user_data` must be usable from each of
/// them (the library does not synchronise them). The callback must not unwind
/// (C++ exception, longjmp) and may call no smtpc_client_* function on this client
/// except `smtpc_client_cancel` (others fail with `SMTPC_ERR_STATE`).
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT` (client NULL), `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle; `cb` is NULL or a valid function that may be
/// called with `user_data` until it is replaced or the client is freed.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_log_callback(
    client: *mut smtpc_client,
    cb: smtpc_log_callback,
    user_data: *mut c_void,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_log_callback";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            c.set_log_callback(cb.map(|callback| CLog::boxed(callback, user_data)));
            Ok(())
        })
    }
}

/// Sets the progress callback, or removes it when `cb` is NULL. `user_data` is
/// passed back unchanged as the callback's first argument. A non-zero return
/// cancels the send (`SMTPC_ERR_CANCELLED`). Same thread and re-entrancy rules as
/// `smtpc_client_set_log_callback`.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT` (client NULL), `SMTPC_ERR_STATE`,
/// `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `client` is NULL or a live handle; `cb` is NULL or a valid function that may be
/// called with `user_data` until it is replaced or the client is freed.
#[no_mangle]
pub unsafe extern "C" fn smtpc_client_set_progress_callback(
    client: *mut smtpc_client,
    cb: smtpc_progress_callback,
    user_data: *mut c_void,
) -> smtpc_status {
    const F: &str = "smtpc_client_set_progress_callback";
    // SAFETY: forwarded contract.
    unsafe {
        client_call(client, F, |c| {
            c.set_progress_callback(cb.map(|callback| CProgress::boxed(callback, user_data)));
            Ok(())
        })
    }
}

/// The C value of a log kind.
fn log_kind_to_c(kind: LogKind) -> smtpc_log_kind {
    match kind {
        LogKind::Info => SMTPC_LOG_INFO,
        LogKind::Sent => SMTPC_LOG_SENT,
        LogKind::Received => SMTPC_LOG_RECEIVED,
    }
}

/// A C log callback with its user data, as the Rust client's `LogFn`.
struct CLog {
    callback: unsafe extern "C" fn(*mut c_void, smtpc_log_kind, *const c_char, usize),
    user_data: *mut c_void,
    /// Reused for each line: the text, NULs replaced, plus a terminating NUL.
    line: Vec<u8>,
}

// SAFETY: the pointers are only handed back to the caller's callback. The caller
// guarantees (documented on smtpc_client_set_log_callback) that the callback and
// `user_data` may be used from whichever thread is inside a call on the client;
// the client itself is used by one thread at a time.
unsafe impl Send for CLog {}

impl CLog {
    fn boxed(
        callback: unsafe extern "C" fn(*mut c_void, smtpc_log_kind, *const c_char, usize),
        user_data: *mut c_void,
    ) -> crate::client::LogFn {
        let mut log = CLog {
            callback,
            user_data,
            line: Vec::new(),
        };
        Box::new(move |kind, text| log.emit(kind, text))
    }

    fn emit(&mut self, kind: LogKind, text: &str) {
        self.line.clear();
        for (i, piece) in text.split('\0').enumerate() {
            if i > 0 {
                self.line.extend_from_slice("\u{FFFD}".as_bytes());
            }
            self.line.extend_from_slice(piece.as_bytes());
        }
        let len = self.line.len();
        self.line.push(0);
        // SAFETY: the caller promised `callback` is valid with `user_data`; the
        // line is NUL-terminated, `len` bytes long, and outlives the call.
        unsafe {
            (self.callback)(
                self.user_data,
                log_kind_to_c(kind),
                self.line.as_ptr().cast(),
                len,
            )
        };
    }
}

/// A C progress callback with its user data, as the Rust client's `ProgressFn`.
struct CProgress {
    callback: unsafe extern "C" fn(*mut c_void, u64, u64) -> c_int,
    user_data: *mut c_void,
}

// SAFETY: as for CLog (documented on smtpc_client_set_progress_callback).
unsafe impl Send for CProgress {}

impl CProgress {
    fn boxed(
        callback: unsafe extern "C" fn(*mut c_void, u64, u64) -> c_int,
        user_data: *mut c_void,
    ) -> crate::client::ProgressFn {
        let progress = CProgress {
            callback,
            user_data,
        };
        Box::new(move |sent, total| progress.wants_cancel(sent, total))
    }

    fn wants_cancel(&self, sent: u64, total: u64) -> bool {
        // SAFETY: the caller promised `callback` is valid with `user_data`.
        unsafe { (self.callback)(self.user_data, sent, total) != 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_nul_terminated_with_nuls_replaced() {
        unsafe extern "C" fn record(
            user_data: *mut c_void,
            kind: smtpc_log_kind,
            line: *const c_char,
            len: usize,
        ) {
            // SAFETY: user_data is the Vec below; line has len bytes plus a NUL.
            unsafe {
                let out = &mut *user_data.cast::<Vec<(u32, Vec<u8>)>>();
                let with_nul = std::slice::from_raw_parts(line.cast::<u8>(), len + 1);
                out.push((kind, with_nul.to_vec()));
            }
        }
        let mut seen: Vec<(u32, Vec<u8>)> = Vec::new();
        let mut log = CLog::boxed(record, std::ptr::addr_of_mut!(seen).cast());
        log(LogKind::Sent, "EHLO a");
        log(LogKind::Received, "250 x\0y");
        drop(log);
        assert_eq!(seen[0], (SMTPC_LOG_SENT, b"EHLO a\0".to_vec()));
        assert_eq!(
            seen[1],
            (SMTPC_LOG_RECEIVED, "250 x\u{FFFD}y\0".as_bytes().to_vec())
        );
    }
}
