//! `smtpc_report`: the outcome of one send, as C sees it.
//!
//! A report is immutable: every string a getter returns is built once, when the
//! report is handed to C, and lives as long as the report.

use super::handle::{empty_c_str, guard, require, to_c_string, write_out, BoxCastPtr};
use super::status::*;
use crate::client::Report;
use crate::error::{Error, Result};
use std::ffi::CString;
use std::marker::{PhantomData, PhantomPinned};
use std::os::raw::c_char;

/// The outcome of one send: every recipient's reply to RCPT TO, and the server's
/// reply to the message data.
///
/// Produced by `smtpc_client_send` and `smtpc_client_send_raw` (through their
/// `report_out`), on success and also after failures such as `SMTPC_ERR_PARTIAL`.
/// The caller owns it and must release it with `smtpc_report_free`. It does not
/// depend on the client or message it came from (either may be freed first). A
/// report never changes, so it may be read from several threads at once. Strings
/// it returns are valid until `smtpc_report_free`.
///
/// Functions: smtpc_report_recipient_count, smtpc_report_recipient,
/// smtpc_report_final_code, smtpc_report_final_reply, smtpc_report_free.
pub struct smtpc_report {
    _private: [u8; 0],
    _not_send_sync_unpin: PhantomData<(*mut u8, PhantomPinned)>,
}

impl BoxCastPtr for smtpc_report {
    type Rust = ReportHandle;
}

/// What a `*mut smtpc_report` points at: the report in C form.
pub(crate) struct ReportHandle {
    recipients: Vec<RecipientView>,
    final_code: u32,
    final_reply: CString,
}

/// One recipient's result in C form.
struct RecipientView {
    address: CString,
    code: u32,
    text: CString,
}

impl ReportHandle {
    /// Builds the C form of `report` and hands it to C (who frees it with
    /// `smtpc_report_free`).
    pub(crate) fn into_c(report: &Report) -> *mut smtpc_report {
        let handle = ReportHandle {
            recipients: report
                .recipients
                .iter()
                .map(|r| RecipientView {
                    address: to_c_string(&r.address),
                    code: u32::from(r.code),
                    text: to_c_string(&r.text),
                })
                .collect(),
            final_code: u32::from(report.final_code()),
            final_reply: to_c_string(&report.final_text()),
        };
        smtpc_report::into_raw(handle)
    }
}

/// The number of recipients in the report (To + Cc + Bcc for `smtpc_client_send`,
/// the given list for `smtpc_client_send_raw`). 0 for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_recipient_count(report: *const smtpc_report) -> usize {
    guard(0, || {
        // SAFETY: forwarded contract.
        unsafe { smtpc_report::try_ref(report) }.map_or(0, |r| r.recipients.len())
    })
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
        let found = (|| -> Result<&RecipientView> {
            // SAFETY: forwarded contract.
            let report = unsafe { smtpc_report::try_ref(report) };
            let report = report.ok_or_else(|| super::handle::null_arg(F, "report"))?;
            require(address_out, F, "address_out")?;
            require(code_out, F, "code_out")?;
            require(text_out, F, "text_out")?;
            report.recipients.get(index).ok_or_else(|| {
                Error::invalid(format!(
                    "{F}: index {index} is out of range ({} recipients)",
                    report.recipients.len()
                ))
            })
        })();
        match found {
            Ok(recipient) => {
                // SAFETY: all three were checked non-NULL; writable per contract.
                unsafe {
                    write_out(address_out, recipient.address.as_ptr());
                    write_out(code_out, recipient.code);
                    write_out(text_out, recipient.text.as_ptr());
                }
                SMTPC_OK
            }
            Err(e) => e.status(),
        }
    })
}

/// The code of the server's reply to the message data (e.g. 250, 554), or 0 when
/// the send never got that far. 0 for NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_final_code(report: *const smtpc_report) -> u32 {
    guard(0, || {
        // SAFETY: forwarded contract.
        unsafe { smtpc_report::try_ref(report) }.map_or(0, |r| r.final_code)
    })
}

/// The text of the server's reply to the message data, without the code (e.g.
/// "2.0.0 Ok: queued as 4ABC"; several lines joined with "\n"), or "" when there is
/// none or `report` is NULL. Never NULL; valid until `smtpc_report_free`.
///
/// # Safety
/// `report` is NULL or a live report.
#[no_mangle]
pub unsafe extern "C" fn smtpc_report_final_reply(report: *const smtpc_report) -> *const c_char {
    guard(empty_c_str(), || {
        // SAFETY: forwarded contract.
        unsafe { smtpc_report::try_ref(report) }.map_or(empty_c_str(), |r| r.final_reply.as_ptr())
    })
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
    use std::ffi::CStr;

    #[test]
    fn report_getters() {
        let report = Report {
            recipients: vec![
                RecipientResult {
                    address: "a@example.org".into(),
                    code: 250,
                    text: "2.1.5 Ok".into(),
                },
                RecipientResult {
                    address: "b@example.org".into(),
                    code: 550,
                    text: "5.1.1 User unknown".into(),
                },
            ],
            final_reply: None,
        };
        let r = ReportHandle::into_c(&report);
        // SAFETY: r is a live report until freed at the end.
        unsafe {
            assert_eq!(smtpc_report_recipient_count(r), 2);
            assert_eq!(smtpc_report_final_code(r), 0);
            assert_eq!(CStr::from_ptr(smtpc_report_final_reply(r)).to_bytes(), b"");
            let mut address = std::ptr::null();
            let mut code = 7u32;
            let mut text = std::ptr::null();
            assert_eq!(
                smtpc_report_recipient(r, 1, &mut address, &mut code, &mut text),
                SMTPC_OK
            );
            assert_eq!(CStr::from_ptr(address).to_str().unwrap(), "b@example.org");
            assert_eq!(code, 550);
            assert_eq!(CStr::from_ptr(text).to_str().unwrap(), "5.1.1 User unknown");
            let mut untouched = 7u32;
            assert_eq!(
                smtpc_report_recipient(r, 2, &mut address, &mut untouched, &mut text),
                SMTPC_ERR_INVALID_ARGUMENT
            );
            assert_eq!(untouched, 7);
            assert_eq!(
                smtpc_report_recipient(r, 0, std::ptr::null_mut(), &mut code, &mut text),
                SMTPC_ERR_NULL_ARGUMENT
            );
            smtpc_report_free(r);
        }
    }
}
