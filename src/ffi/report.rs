//! `smtpc_report`: the outcome of one message, as C sees it.
//!
//! A report is immutable: every string a getter returns is built once, when the
//! report is handed to C, and lives as long as the report.

use super::handle::{
    empty_c_str, guard, null_arg, require, to_c_string, write_out, BoxCastPtr, Handle,
};
use super::status::*;
use crate::client::Report;
use crate::error::{Error, Result};
use std::ffi::CString;
use std::marker::{PhantomData, PhantomPinned};
use std::os::raw::c_char;

/// The outcome of one message: its status, every recipient's reply to RCPT TO and
/// fate, and the server's reply to the message data.
///
/// Produced by `smtpc_client_send`, `smtpc_client_send_raw` and
/// `smtpc_client_send_batch` (through their report out-parameters), on success and
/// also after failures such as `SMTPC_ERR_PARTIAL`. The caller owns it and must
/// release it with `smtpc_report_free`. It does not depend on the client or message
/// it came from (either may be freed first). A report never changes, so it may be
/// read from several threads at once. Strings it returns are valid until
/// `smtpc_report_free`.
///
/// Functions: smtpc_report_status, smtpc_report_error, smtpc_report_recipient_count,
/// smtpc_report_recipient, smtpc_report_recipient_status,
/// smtpc_report_recipient_enhanced, smtpc_report_final_code,
/// smtpc_report_final_reply, smtpc_report_final_enhanced, smtpc_report_free.
pub struct smtpc_report {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}

impl BoxCastPtr for smtpc_report {
    type Rust = ReportHandle;
}

/// What a `*mut smtpc_report` points at.
pub(crate) type ReportHandle = Handle<ReportView>;

/// The report in C form.
pub(crate) struct ReportView {
    status: smtpc_status,
    error: CString,
    recipients: Vec<RecipientView>,
    final_code: u32,
    final_reply: CString,
    final_enhanced: CString,
}

/// One recipient's result in C form.
struct RecipientView {
    address: CString,
    code: u32,
    text: CString,
    enhanced: CString,
    status: smtpc_status,
}

impl ReportHandle {
    /// Builds the C form of `report`, with the failure of its message if it failed,
    /// and hands it to C (who frees it with `smtpc_report_free`).
    pub(crate) fn into_c(report: &Report, failure: Option<&Error>) -> *mut smtpc_report {
        let view = ReportView {
            status: failure.map_or(SMTPC_OK, status_of),
            error: to_c_string(failure.map_or("", Error::message)),
            recipients: report
                .recipients
                .iter()
                .map(|r| RecipientView {
                    address: to_c_string(&r.address),
                    code: u32::from(r.code),
                    text: to_c_string(&r.text),
                    enhanced: to_c_string(&r.enhanced().map(|e| e.to_string()).unwrap_or_default()),
                    status: r.failure.map_or(SMTPC_OK, kind_status),
                })
                .collect(),
            final_code: u32::from(report.final_code()),
            final_reply: to_c_string(&report.final_text()),
            final_enhanced: to_c_string(
                &report
                    .final_enhanced()
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
            ),
        };
        smtpc_report::into_raw(Handle::new(view, ()))
    }

    /// The C form of a message result: its report, or an empty report carrying only
    /// the failure when nothing was sent.
    pub(crate) fn from_result(result: &Result<Report>) -> *mut smtpc_report {
        match result {
            Ok(report) => ReportHandle::into_c(report, None),
            Err(e) => ReportHandle::into_c(e.report().unwrap_or(&Report::default()), Some(e)),
        }
    }
}

/// Reads a report for a getter: `fallback` for NULL or a panic.
///
/// # Safety
/// `report` is NULL or a live report.
unsafe fn view<T: Copy>(
    report: *const smtpc_report,
    fallback: T,
    body: impl FnOnce(&ReportView) -> T,
) -> T {
    guard(fallback, || {
        // SAFETY: forwarded contract.
        match unsafe { smtpc_report::try_ref(report) } {
            Some(handle) => handle.get(fallback, |v, _| body(v)),
            None => fallback,
        }
    })
}

/// The status of the message this report is about: `SMTPC_OK` when it reached every
/// recipient, else why not (the same status the send returned; for a batch, this
/// message's own). `SMTPC_ERR_NULL_ARGUMENT` for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_status(report: *const smtpc_report) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe { view(report, SMTPC_ERR_NULL_ARGUMENT, |v| v.status) }
}

/// What went wrong with this message, with context ("" when it was delivered to
/// every recipient, or for NULL). Never NULL; valid until `smtpc_report_free`.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_error(report: *const smtpc_report) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { view(report, empty_c_str(), |v| v.error.as_ptr()) }
}

/// The number of recipients in the report (To + Cc + Bcc for `smtpc_client_send`,
/// the given list for `smtpc_client_send_raw`; 0 for a batch message that was not
/// sent). 0 for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_recipient_count(report: *const smtpc_report) -> usize {
    // SAFETY: forwarded contract.
    unsafe { view(report, 0, |v| v.recipients.len()) }
}

/// Recipient `index` (0-based, in the order of the envelope): its address, the
/// server's reply code to its RCPT TO (e.g. 250, 550; 0 when the server never
/// answered for it) and that reply's text (e.g. "5.1.1 User unknown"). The
/// strings belong to the report and stay valid until `smtpc_report_free`.
///
/// All three out-parameters are required; they are written only on `SMTPC_OK`.
///
/// Returns `SMTPC_OK`, `SMTPC_ERR_NULL_ARGUMENT` (report or an out-parameter
/// NULL), `SMTPC_ERR_INVALID_ARGUMENT` (index not below
/// `smtpc_report_recipient_count`), `SMTPC_ERR_PANIC`.
///
/// # Safety
/// `report` is NULL or a live report; each out-parameter is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_recipient(
    report: *const smtpc_report,
    index: usize,
    address_out: *mut *const c_char,
    code_out: *mut u32,
    text_out: *mut *const c_char,
) -> smtpc_status {
    const F: &str = "smtpc_report_recipient";
    guard(SMTPC_ERR_PANIC, || {
        let found = (|| -> Result<(*const c_char, u32, *const c_char)> {
            // SAFETY: forwarded contract.
            let report = unsafe { smtpc_report::try_ref(report) };
            let report = report.ok_or_else(|| null_arg(F, "report"))?;
            require(address_out, F, "address_out")?;
            require(code_out, F, "code_out")?;
            require(text_out, F, "text_out")?;
            report.read(F, |v| {
                let r = v.recipients.get(index).ok_or_else(|| {
                    Error::invalid(format!(
                        "{F}: index {index} is out of range ({} recipients)",
                        v.recipients.len()
                    ))
                })?;
                Ok((r.address.as_ptr(), r.code, r.text.as_ptr()))
            })
        })();
        match found {
            Ok((address, code, text)) => {
                // SAFETY: all three were checked non-NULL; writable per contract.
                unsafe {
                    write_out(address_out, address);
                    write_out(code_out, code);
                    write_out(text_out, text);
                }
                SMTPC_OK
            }
            Err(e) => status_of(&e),
        }
    })
}

/// What became of the message for recipient `index`: `SMTPC_OK` when it was
/// delivered (or queued) there; `SMTPC_ERR_RECIPIENTS_REJECTED` when its RCPT TO
/// was refused; otherwise the failure of the message that it shares (e.g.
/// `SMTPC_ERR_MESSAGE_REJECTED`, `SMTPC_ERR_UNKNOWN_OUTCOME`, `SMTPC_ERR_NOT_SENT`).
/// `SMTPC_ERR_NULL_ARGUMENT` for NULL, `SMTPC_ERR_INVALID_ARGUMENT` for an index
/// out of range.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_recipient_status(
    report: *const smtpc_report,
    index: usize,
) -> smtpc_status {
    // SAFETY: forwarded contract.
    unsafe {
        view(report, SMTPC_ERR_NULL_ARGUMENT, |v| {
            v.recipients
                .get(index)
                .map_or(SMTPC_ERR_INVALID_ARGUMENT, |r| r.status)
        })
    }
}

/// The RFC 3463 enhanced status code of recipient `index`'s RCPT reply, e.g.
/// "5.1.1", or "" when the server sent none (or for NULL or an index out of
/// range). Never NULL; valid until `smtpc_report_free`.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_recipient_enhanced(
    report: *const smtpc_report,
    index: usize,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        view(report, empty_c_str(), |v| {
            v.recipients
                .get(index)
                .map_or(empty_c_str(), |r| r.enhanced.as_ptr())
        })
    }
}

/// The code of the server's reply to the message data (e.g. 250, 554), or 0 when
/// the send never got that far. 0 for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_final_code(report: *const smtpc_report) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { view(report, 0, |v| v.final_code) }
}

/// The text of the server's reply to the message data, without the code (e.g.
/// "2.0.0 Ok: queued as 4ABC"; several lines joined with "\n"), or "" when there is
/// none or `report` is NULL. Never NULL; valid until `smtpc_report_free`.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_final_reply(report: *const smtpc_report) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { view(report, empty_c_str(), |v| v.final_reply.as_ptr()) }
}

/// The enhanced status code of the reply to the message data (e.g. "2.0.0"), or ""
/// when there is none or `report` is NULL. Never NULL; valid until
/// `smtpc_report_free`.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_final_enhanced(report: *const smtpc_report) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { view(report, empty_c_str(), |v| v.final_enhanced.as_ptr()) }
}

/// Releases a report and every string it returned. NULL is a no-op.
///
/// # Safety
/// `report` is NULL or a live report from a send; it is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_free(report: *mut smtpc_report) {
    // SAFETY: forwarded contract.
    guard((), || unsafe { smtpc_report::free(report) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::RecipientResult;
    use crate::error::ErrorKind;
    use crate::protocol::reply::Reply;
    use std::ffi::CStr;

    #[test]
    fn report_getters() {
        let report = Report {
            recipients: vec![
                RecipientResult {
                    address: "a@example.org".into(),
                    code: 250,
                    text: "2.1.5 Ok".into(),
                    failure: None,
                },
                RecipientResult {
                    address: "b@example.org".into(),
                    code: 550,
                    text: "5.1.1 User unknown".into(),
                    failure: Some(ErrorKind::RecipientsRejected),
                },
            ],
            final_reply: Some(Reply::new(250, vec!["2.0.0 Ok: queued".into()])),
        };
        let partial = Error::new(ErrorKind::Partial, "delivered to 1 of 2");
        let r = ReportHandle::into_c(&report, Some(&partial));
        let text = |p: *const c_char| {
            // SAFETY: the getters return NUL-terminated strings owned by r.
            unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
        };
        // SAFETY: r is a live report until freed at the end.
        unsafe {
            assert_eq!(smtpc_report_status(r), SMTPC_ERR_PARTIAL);
            assert_eq!(text(smtpc_report_error(r)), "delivered to 1 of 2");
            assert_eq!(smtpc_report_recipient_count(r), 2);
            assert_eq!(smtpc_report_final_code(r), 250);
            assert_eq!(text(smtpc_report_final_reply(r)), "2.0.0 Ok: queued");
            assert_eq!(text(smtpc_report_final_enhanced(r)), "2.0.0");
            let mut address = std::ptr::null();
            let mut code = 7u32;
            let mut reply = std::ptr::null();
            assert_eq!(
                smtpc_report_recipient(r, 1, &mut address, &mut code, &mut reply),
                SMTPC_OK
            );
            assert_eq!(text(address), "b@example.org");
            assert_eq!(code, 550);
            assert_eq!(text(reply), "5.1.1 User unknown");
            assert_eq!(smtpc_report_recipient_status(r, 0), SMTPC_OK);
            assert_eq!(
                smtpc_report_recipient_status(r, 1),
                SMTPC_ERR_RECIPIENTS_REJECTED
            );
            assert_eq!(
                smtpc_report_recipient_status(r, 2),
                SMTPC_ERR_INVALID_ARGUMENT
            );
            assert_eq!(text(smtpc_report_recipient_enhanced(r, 1)), "5.1.1");
            assert_eq!(text(smtpc_report_recipient_enhanced(r, 9)), "");
            let mut untouched = 7u32;
            assert_eq!(
                smtpc_report_recipient(r, 2, &mut address, &mut untouched, &mut reply),
                SMTPC_ERR_INVALID_ARGUMENT
            );
            assert_eq!(untouched, 7);
            assert_eq!(
                smtpc_report_recipient(r, 0, std::ptr::null_mut(), &mut code, &mut reply),
                SMTPC_ERR_NULL_ARGUMENT
            );
            smtpc_report_free(r);
            assert_eq!(
                smtpc_report_status(std::ptr::null()),
                SMTPC_ERR_NULL_ARGUMENT
            );
            assert_eq!(text(smtpc_report_error(std::ptr::null())), "");
        }
    }
}
