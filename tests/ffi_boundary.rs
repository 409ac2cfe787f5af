//! The C boundary, called the way C calls it: through the `extern "C"` functions.
//!
//! Covers the rules of the C API contract that do not need a real mail server:
//! NULL handles and arguments, UTF-8 and CR/LF checks, unknown enum values, status
//! texts, version, out-parameter rules, the getters' texts, cancel from another
//! thread, callbacks, and (with a tiny scripted SMTP server on loopback) the
//! report of a partial send.

use smtpc::ffi::*;
use std::ffi::{c_void, CStr, CString};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::raw::c_char;
use std::ptr::{null, null_mut};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- helpers

/// A C string for the duration of a test.
fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Invalid UTF-8, NUL-terminated.
const BAD_UTF8: &[u8] = b"ab\xff\xfecd\0";

fn bad() -> *const c_char {
    BAD_UTF8.as_ptr().cast()
}

/// Copies a C string returned by the library; asserts it is not NULL.
fn text(p: *const c_char) -> String {
    assert!(!p.is_null(), "the library returned a NULL string");
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn new_client(host: &str, port: u16) -> *mut smtpc_client {
    let host = cs(host);
    let mut client = null_mut();
    let status = unsafe { smtpc_client_new(host.as_ptr(), port, &mut client) };
    assert_eq!(status, SMTPC_OK, "smtpc_client_new");
    assert!(!client.is_null());
    client
}

fn last_error(client: *mut smtpc_client) -> String {
    text(unsafe { smtpc_client_last_error(client) })
}

fn last_reply(client: *mut smtpc_client) -> String {
    text(unsafe { smtpc_client_last_reply(client) })
}

fn new_message() -> *mut smtpc_message {
    let mut m = null_mut();
    assert_eq!(
        unsafe { smtpc_message_new(&mut m) },
        SMTPC_OK,
        "smtpc_message_new"
    );
    assert!(!m.is_null());
    m
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

/// A pointer value that is never written by the library; used to show an
/// out-parameter was left untouched.
fn sentinel_report() -> *mut smtpc_report {
    std::ptr::NonNull::<smtpc_report>::dangling().as_ptr()
}

/// Asserts `status` and that last_error names both the function and the argument.
fn assert_arg_error(
    client: *mut smtpc_client,
    status: smtpc_status,
    expected: smtpc_status,
    func: &str,
    arg: &str,
) {
    assert_eq!(status, expected, "{func} / {arg}: {}", last_error(client));
    let e = last_error(client);
    assert!(e.contains(func), "last_error {e:?} does not name {func}");
    assert!(e.contains(arg), "last_error {e:?} does not name {arg}");
}

// ---------------------------------------------------------------- NULL handles

#[test]
fn null_client_handle_gives_null_argument_everywhere() {
    let c = null_mut::<smtpc_client>();
    let s = cs("x@example.org");
    let p = s.as_ptr();
    let list = [p];
    let mut report = sentinel_report();
    let m = new_message_or_null();
    unsafe {
        let results = [
            ("set_tls", smtpc_client_set_tls(c, SMTPC_TLS_NONE)),
            ("set_ca_file", smtpc_client_set_ca_file(c, p)),
            (
                "set_tls_server_name",
                smtpc_client_set_tls_server_name(c, p),
            ),
            (
                "dangerous_accept",
                smtpc_client_dangerous_accept_invalid_certs(c, true),
            ),
            ("set_credentials", smtpc_client_set_credentials(c, p, p)),
            ("set_oauth2_token", smtpc_client_set_oauth2_token(c, p, p)),
            ("set_helo_name", smtpc_client_set_helo_name(c, p)),
            ("set_timeout_ms", smtpc_client_set_timeout_ms(c, 1000, 1000)),
            (
                "set_log_callback",
                smtpc_client_set_log_callback(c, None, null_mut()),
            ),
            (
                "set_progress_callback",
                smtpc_client_set_progress_callback(c, None, null_mut()),
            ),
            ("connect", smtpc_client_connect(c)),
            ("send", smtpc_client_send(c, m, &mut report)),
            (
                "send_raw",
                smtpc_client_send_raw(c, p, list.as_ptr(), 1, b"x".as_ptr(), 1, &mut report),
            ),
            ("noop", smtpc_client_noop(c)),
            ("reset", smtpc_client_reset(c)),
            ("verify", smtpc_client_verify(c, p)),
            ("quit", smtpc_client_quit(c)),
        ];
        for (name, status) in results {
            assert_eq!(
                status, SMTPC_ERR_NULL_ARGUMENT,
                "smtpc_client_{name}(NULL, ...)"
            );
        }
        assert_eq!(
            report,
            sentinel_report(),
            "report_out written on a NULL client"
        );
        // No-ops and safe defaults.
        smtpc_client_free(null_mut());
        smtpc_client_cancel(null_mut());
        assert!(!smtpc_client_has_extension(c, p));
        assert_eq!(smtpc_client_last_reply_code(c), 0);
        assert_eq!(text(smtpc_client_last_reply(c)), "");
        assert_eq!(text(smtpc_client_last_error(c)), "");
        smtpc_message_free(m);
    }
}

/// A message handle when the builder works, else NULL (the client checks come
/// first, so the NULL-client test does not depend on the message builder).
fn new_message_or_null() -> *mut smtpc_message {
    let mut m = null_mut();
    if unsafe { smtpc_message_new(&mut m) } == SMTPC_OK {
        m
    } else {
        null_mut()
    }
}

#[test]
fn null_message_handle_gives_null_argument_everywhere() {
    let m = null_mut::<smtpc_message>();
    let s = cs("x@example.org");
    let p = s.as_ptr();
    unsafe {
        let results = [
            ("set_from", smtpc_message_set_from(m, null(), p)),
            ("add_to", smtpc_message_add_to(m, null(), p)),
            ("add_cc", smtpc_message_add_cc(m, null(), p)),
            ("add_bcc", smtpc_message_add_bcc(m, null(), p)),
            ("set_reply_to", smtpc_message_set_reply_to(m, null(), p)),
            ("set_subject", smtpc_message_set_subject(m, p)),
            ("set_text", smtpc_message_set_text(m, p)),
            ("set_html", smtpc_message_set_html(m, p)),
            ("add_header", smtpc_message_add_header(m, p, p)),
            (
                "attach_file",
                smtpc_message_attach_file(m, p, null(), null()),
            ),
            (
                "attach_data",
                smtpc_message_attach_data(m, b"x".as_ptr(), 1, null(), null()),
            ),
            ("embed_file", smtpc_message_embed_file(m, p, p, null())),
            ("write_file", smtpc_message_write_file(m, p)),
            ("new", smtpc_message_new(null_mut())),
        ];
        for (name, status) in results {
            assert_eq!(
                status, SMTPC_ERR_NULL_ARGUMENT,
                "smtpc_message_{name}(NULL, ...)"
            );
        }
        smtpc_message_free(null_mut());
    }
}

#[test]
fn null_report_handle_gives_defaults() {
    let r = null::<smtpc_report>();
    let mut address = null();
    let mut code = 7u32;
    let mut t = null();
    unsafe {
        assert_eq!(smtpc_report_recipient_count(r), 0);
        assert_eq!(
            smtpc_report_recipient(r, 0, &mut address, &mut code, &mut t),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(smtpc_report_final_code(r), 0);
        assert_eq!(text(smtpc_report_final_reply(r)), "");
        smtpc_report_free(null_mut());
    }
    assert!(
        address.is_null() && t.is_null() && code == 7,
        "outputs written on failure"
    );
}

#[test]
fn client_new_checks_its_arguments() {
    let host = cs("localhost");
    let mut client = null_mut();
    unsafe {
        assert_eq!(
            smtpc_client_new(null(), 25, &mut client),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            smtpc_client_new(host.as_ptr(), 25, null_mut()),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            smtpc_client_new(bad(), 25, &mut client),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        let injected = cs("localhost\r\nMAIL FROM:<x>");
        assert_eq!(
            smtpc_client_new(injected.as_ptr(), 25, &mut client),
            SMTPC_ERR_INVALID_ARGUMENT
        );
    }
    assert!(client.is_null(), "client_out written on failure");
}

// ---------------------------------------------------------------- arguments

#[test]
fn null_required_arguments_name_function_and_argument() {
    let c = new_client("127.0.0.1", 2525);
    let s = cs("x@example.org");
    let p = s.as_ptr();
    let n = null::<c_char>();
    unsafe {
        let check = |status: smtpc_status, func: &str, arg: &str| {
            assert_arg_error(c, status, SMTPC_ERR_NULL_ARGUMENT, func, arg);
        };
        check(
            smtpc_client_set_ca_file(c, n),
            "smtpc_client_set_ca_file",
            "pem_path",
        );
        check(
            smtpc_client_set_tls_server_name(c, n),
            "smtpc_client_set_tls_server_name",
            "name",
        );
        check(
            smtpc_client_set_credentials(c, n, p),
            "smtpc_client_set_credentials",
            "user",
        );
        check(
            smtpc_client_set_credentials(c, p, n),
            "smtpc_client_set_credentials",
            "password",
        );
        check(
            smtpc_client_set_oauth2_token(c, n, p),
            "smtpc_client_set_oauth2_token",
            "user",
        );
        check(
            smtpc_client_set_oauth2_token(c, p, n),
            "smtpc_client_set_oauth2_token",
            "token",
        );
        check(
            smtpc_client_set_helo_name(c, n),
            "smtpc_client_set_helo_name",
            "name",
        );
        check(smtpc_client_verify(c, n), "smtpc_client_verify", "address");
        check(
            smtpc_client_send(c, null(), null_mut()),
            "smtpc_client_send",
            "message",
        );
        check(
            smtpc_client_send_raw(c, n, [p].as_ptr(), 1, b"x".as_ptr(), 1, null_mut()),
            "smtpc_client_send_raw",
            "from",
        );
        check(
            smtpc_client_send_raw(c, p, null(), 1, b"x".as_ptr(), 1, null_mut()),
            "smtpc_client_send_raw",
            "recipients",
        );
        check(
            smtpc_client_send_raw(c, p, [p, n].as_ptr(), 2, b"x".as_ptr(), 1, null_mut()),
            "smtpc_client_send_raw",
            "recipients[1]",
        );
        check(
            smtpc_client_send_raw(c, p, [p].as_ptr(), 1, null(), 5, null_mut()),
            "smtpc_client_send_raw",
            "data",
        );

        // has_extension is a const getter: NULL keyword is simply false.
        assert!(!smtpc_client_has_extension(c, n));
        smtpc_client_free(c);
    }
}

#[test]
fn invalid_utf8_is_invalid_argument_naming_the_argument() {
    let c = new_client("127.0.0.1", 2525);
    let s = cs("x@example.org");
    let p = s.as_ptr();
    unsafe {
        let check = |status: smtpc_status, func: &str, arg: &str| {
            assert_arg_error(c, status, SMTPC_ERR_INVALID_ARGUMENT, func, arg);
            assert!(last_error(c).contains("UTF-8"), "{}", last_error(c));
        };
        check(
            smtpc_client_set_ca_file(c, bad()),
            "smtpc_client_set_ca_file",
            "pem_path",
        );
        check(
            smtpc_client_set_tls_server_name(c, bad()),
            "smtpc_client_set_tls_server_name",
            "name",
        );
        check(
            smtpc_client_set_credentials(c, bad(), p),
            "smtpc_client_set_credentials",
            "user",
        );
        check(
            smtpc_client_set_credentials(c, p, bad()),
            "smtpc_client_set_credentials",
            "password",
        );
        check(
            smtpc_client_set_oauth2_token(c, bad(), p),
            "smtpc_client_set_oauth2_token",
            "user",
        );
        check(
            smtpc_client_set_oauth2_token(c, p, bad()),
            "smtpc_client_set_oauth2_token",
            "token",
        );
        check(
            smtpc_client_set_helo_name(c, bad()),
            "smtpc_client_set_helo_name",
            "name",
        );
        check(
            smtpc_client_verify(c, bad()),
            "smtpc_client_verify",
            "address",
        );
        check(
            smtpc_client_send_raw(c, bad(), [p].as_ptr(), 1, null(), 0, null_mut()),
            "smtpc_client_send_raw",
            "from",
        );
        check(
            smtpc_client_send_raw(c, p, [p, p, bad()].as_ptr(), 3, null(), 0, null_mut()),
            "smtpc_client_send_raw",
            "recipients[2]",
        );

        assert!(!smtpc_client_has_extension(c, bad()));
        smtpc_client_free(c);
    }
}

#[test]
fn crlf_injection_is_invalid_argument() {
    let c = new_client("127.0.0.1", 2525);
    let ok = cs("user@example.org");
    let evil = cs("evil\r\nRCPT TO:<victim@example.org>");
    let lf = cs("evil\nDATA");
    let cr = cs("evil\rDATA");
    let pass = cs("secret-pass");
    unsafe {
        for e in [&evil, &lf, &cr] {
            let check = |status: smtpc_status, func: &str, arg: &str| {
                assert_arg_error(c, status, SMTPC_ERR_INVALID_ARGUMENT, func, arg);
                assert!(
                    !last_error(c).contains("RCPT"),
                    "value echoed: {}",
                    last_error(c)
                );
            };
            check(
                smtpc_client_set_helo_name(c, e.as_ptr()),
                "smtpc_client_set_helo_name",
                "name",
            );
            check(
                smtpc_client_set_credentials(c, e.as_ptr(), pass.as_ptr()),
                "smtpc_client_set_credentials",
                "user",
            );
            check(
                smtpc_client_set_oauth2_token(c, e.as_ptr(), pass.as_ptr()),
                "smtpc_client_set_oauth2_token",
                "user",
            );
            check(
                smtpc_client_set_tls_server_name(c, e.as_ptr()),
                "smtpc_client_set_tls_server_name",
                "name",
            );
            check(
                smtpc_client_verify(c, e.as_ptr()),
                "smtpc_client_verify",
                "address",
            );
            check(
                smtpc_client_send_raw(
                    c,
                    e.as_ptr(),
                    [ok.as_ptr()].as_ptr(),
                    1,
                    null(),
                    0,
                    null_mut(),
                ),
                "smtpc_client_send_raw",
                "from",
            );
            check(
                smtpc_client_send_raw(
                    c,
                    ok.as_ptr(),
                    [e.as_ptr()].as_ptr(),
                    1,
                    null(),
                    0,
                    null_mut(),
                ),
                "smtpc_client_send_raw",
                "recipients[0]",
            );
        }
        smtpc_client_free(c);
    }
}

#[test]
fn secrets_never_appear_in_last_error() {
    let c = new_client("127.0.0.1", 2525);
    let user_bad = cs("us\ner");
    let password = cs("hunter2-very-secret");
    let token = cs("ya29.token-very-secret");
    unsafe {
        smtpc_client_set_credentials(c, user_bad.as_ptr(), password.as_ptr());
        assert!(!last_error(c).contains("hunter2"), "{}", last_error(c));
        smtpc_client_set_credentials(c, bad(), password.as_ptr());
        assert!(!last_error(c).contains("hunter2"), "{}", last_error(c));
        smtpc_client_set_oauth2_token(c, user_bad.as_ptr(), token.as_ptr());
        assert!(!last_error(c).contains("very-secret"), "{}", last_error(c));
        let token_crlf = cs("tok\r\nen-very-secret");
        let user = cs("user");
        let status = smtpc_client_set_oauth2_token(c, user.as_ptr(), token_crlf.as_ptr());
        assert_eq!(status, SMTPC_ERR_INVALID_ARGUMENT);
        assert!(!last_error(c).contains("very-secret"), "{}", last_error(c));
        smtpc_client_free(c);
    }
}

#[test]
fn unknown_tls_mode_is_invalid_argument() {
    let c = new_client("127.0.0.1", 2525);
    unsafe {
        for mode in [4u32, 7, 99, u32::MAX] {
            assert_eq!(
                smtpc_client_set_tls(c, mode),
                SMTPC_ERR_INVALID_ARGUMENT,
                "mode {mode}"
            );
            assert!(
                last_error(c).contains("smtpc_client_set_tls"),
                "{}",
                last_error(c)
            );
            assert!(last_error(c).contains("mode"), "{}", last_error(c));
        }
        for mode in [
            SMTPC_TLS_NONE,
            SMTPC_TLS_STARTTLS_OPPORTUNISTIC,
            SMTPC_TLS_STARTTLS,
            SMTPC_TLS_IMPLICIT,
        ] {
            assert_eq!(smtpc_client_set_tls(c, mode), SMTPC_OK, "mode {mode}");
            assert_eq!(last_error(c), "", "a success clears last_error");
        }
        smtpc_client_free(c);
    }
}

#[test]
fn enum_values_match_the_contract() {
    assert_eq!(
        [
            SMTPC_TLS_NONE,
            SMTPC_TLS_STARTTLS_OPPORTUNISTIC,
            SMTPC_TLS_STARTTLS,
            SMTPC_TLS_IMPLICIT
        ],
        [0, 1, 2, 3]
    );
    assert_eq!(
        [SMTPC_LOG_INFO, SMTPC_LOG_SENT, SMTPC_LOG_RECEIVED],
        [0, 1, 2]
    );
}

#[test]
fn options_can_be_set_before_connecting() {
    let c = new_client("mail.example.org", 587);
    let name = cs("client.example.org");
    let user = cs("user@example.org");
    let pass = cs("password");
    let sni = cs("mail.example.org");
    unsafe {
        assert_eq!(smtpc_client_set_tls(c, SMTPC_TLS_STARTTLS), SMTPC_OK);
        assert_eq!(smtpc_client_set_tls_server_name(c, sni.as_ptr()), SMTPC_OK);
        assert_eq!(
            smtpc_client_dangerous_accept_invalid_certs(c, false),
            SMTPC_OK
        );
        assert_eq!(
            smtpc_client_set_credentials(c, user.as_ptr(), pass.as_ptr()),
            SMTPC_OK
        );
        assert_eq!(
            smtpc_client_set_oauth2_token(c, user.as_ptr(), pass.as_ptr()),
            SMTPC_OK
        );
        assert_eq!(smtpc_client_set_helo_name(c, name.as_ptr()), SMTPC_OK);
        assert_eq!(smtpc_client_set_timeout_ms(c, 5000, 10000), SMTPC_OK);
        assert_eq!(
            smtpc_client_set_log_callback(c, Some(count_lines), null_mut()),
            SMTPC_OK
        );
        assert_eq!(smtpc_client_set_log_callback(c, None, null_mut()), SMTPC_OK);
        assert_eq!(
            smtpc_client_set_progress_callback(c, Some(never_cancel), null_mut()),
            SMTPC_OK
        );
        assert_eq!(
            smtpc_client_set_progress_callback(c, None, null_mut()),
            SMTPC_OK
        );
        // Zero timeouts are refused by the Rust client.
        assert_eq!(
            smtpc_client_set_timeout_ms(c, 0, 1000),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        assert_ne!(last_error(c), "");
        // A missing CA file is reported with its path.
        let missing = cs("/nonexistent/smtpc-test-ca.pem");
        let status = smtpc_client_set_ca_file(c, missing.as_ptr());
        assert_ne!(status, SMTPC_OK);
        assert_ne!(last_error(c), "");
        // Nothing is connected, so nothing is advertised.
        let size = cs("SIZE");
        assert!(!smtpc_client_has_extension(c, size.as_ptr()));
        assert_eq!(smtpc_client_last_reply_code(c), 0);
        assert_eq!(last_reply(c), "");
        smtpc_client_free(c);
    }
}

#[test]
fn report_out_is_untouched_on_argument_errors() {
    let c = new_client("127.0.0.1", 2525);
    let ok = cs("a@example.org");
    let malformed = cs("not an address");
    let mut report = sentinel_report();
    unsafe {
        let statuses = [
            smtpc_client_send(c, null(), &mut report),
            smtpc_client_send_raw(c, null(), [ok.as_ptr()].as_ptr(), 1, null(), 0, &mut report),
            smtpc_client_send_raw(c, bad(), [ok.as_ptr()].as_ptr(), 1, null(), 0, &mut report),
            smtpc_client_send_raw(c, ok.as_ptr(), null(), 2, null(), 0, &mut report),
            smtpc_client_send_raw(c, ok.as_ptr(), null(), 0, null(), 0, &mut report),
            // Found by the Rust client, not the boundary: still an argument error.
            smtpc_client_send_raw(
                c,
                ok.as_ptr(),
                [malformed.as_ptr()].as_ptr(),
                1,
                null(),
                0,
                &mut report,
            ),
            smtpc_client_send_raw(c, ok.as_ptr(), [null()].as_ptr(), 1, null(), 0, &mut report),
            smtpc_client_send_raw(
                c,
                ok.as_ptr(),
                [ok.as_ptr()].as_ptr(),
                1,
                null(),
                9,
                &mut report,
            ),
        ];
        for status in statuses {
            assert!(
                status == SMTPC_ERR_NULL_ARGUMENT || status == SMTPC_ERR_INVALID_ARGUMENT,
                "status {status}"
            );
            assert_eq!(
                report,
                sentinel_report(),
                "report_out written on an argument error"
            );
        }
        smtpc_client_free(c);
    }
}

#[test]
fn connect_to_a_closed_port_is_a_connect_error() {
    let port = closed_port();
    let c = new_client("127.0.0.1", port);
    unsafe {
        assert_eq!(smtpc_client_set_tls(c, SMTPC_TLS_NONE), SMTPC_OK);
        assert_eq!(smtpc_client_set_timeout_ms(c, 3000, 3000), SMTPC_OK);
        let status = smtpc_client_connect(c);
        let e = last_error(c);
        assert_eq!(status, SMTPC_ERR_CONNECT, "last_error: {e}");
        assert!(
            e.contains("127.0.0.1"),
            "last_error should name the address: {e}"
        );
        assert!(
            e.contains(&port.to_string()),
            "last_error should name the port: {e}"
        );
        assert_eq!(smtpc_client_last_reply_code(c), 0);
        // The failed connect leaves the handle usable.
        assert_eq!(smtpc_client_set_timeout_ms(c, 1000, 1000), SMTPC_OK);
        assert_eq!(last_error(c), "");
        smtpc_client_free(c);
    }
}

// ---------------------------------------------------------------- status, version

#[test]
fn status_texts_are_distinct_and_unknown_is_labelled() {
    let codes = [
        SMTPC_OK,
        SMTPC_ERR_NULL_ARGUMENT,
        SMTPC_ERR_INVALID_ARGUMENT,
        SMTPC_ERR_STATE,
        SMTPC_ERR_DNS,
        SMTPC_ERR_CONNECT,
        SMTPC_ERR_TIMEOUT,
        SMTPC_ERR_CONNECTION_LOST,
        SMTPC_ERR_IO,
        SMTPC_ERR_TLS,
        SMTPC_ERR_TLS_UNAVAILABLE,
        SMTPC_ERR_PROTOCOL,
        SMTPC_ERR_GREETING_REJECTED,
        SMTPC_ERR_AUTH_FAILED,
        SMTPC_ERR_AUTH_UNAVAILABLE,
        SMTPC_ERR_SENDER_REJECTED,
        SMTPC_ERR_RECIPIENTS_REJECTED,
        SMTPC_ERR_PARTIAL,
        SMTPC_ERR_MESSAGE_REJECTED,
        SMTPC_ERR_MESSAGE_TOO_BIG,
        SMTPC_ERR_UNKNOWN_OUTCOME,
        SMTPC_ERR_UNSUPPORTED,
        SMTPC_ERR_FILE,
        SMTPC_ERR_CANCELLED,
        SMTPC_ERR_PANIC,
    ];
    assert_eq!(
        codes,
        [
            0, 1, 2, 3, 10, 11, 12, 13, 14, 20, 21, 30, 31, 40, 41, 50, 51, 52, 53, 54, 55, 56, 60,
            70, 99
        ]
    );
    let unknown = text(smtpc_status_str(12345));
    assert_eq!(unknown, "unknown status");
    let mut seen = std::collections::HashSet::new();
    for code in codes {
        let t = text(smtpc_status_str(code));
        assert!(!t.is_empty(), "empty text for {code}");
        assert_ne!(t, unknown, "code {code} has no text of its own");
        assert!(seen.insert(t.clone()), "text {t:?} of {code} is not unique");
    }
    for code in [4, 9, 15, 98, 100, u32::MAX] {
        assert_eq!(text(smtpc_status_str(code)), "unknown status");
    }
}

#[test]
fn version_matches_cargo() {
    assert_eq!(text(smtpc_version()), env!("CARGO_PKG_VERSION"));
    let n = |s: &str| s.parse::<u32>().unwrap();
    let expected = n(env!("CARGO_PKG_VERSION_MAJOR")) * 1_000_000
        + n(env!("CARGO_PKG_VERSION_MINOR")) * 1_000
        + n(env!("CARGO_PKG_VERSION_PATCH"));
    assert_eq!(smtpc_version_number(), expected);
}

// ---------------------------------------------------------------- message

#[test]
fn message_argument_checks() {
    let m = new_message();
    let ok = cs("a@example.org");
    let evil = cs("a@example.org\r\nBcc: victim@example.org");
    let name = cs("Alice");
    unsafe {
        assert_eq!(
            smtpc_message_set_from(m, null(), null()),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            smtpc_message_set_subject(m, null()),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(smtpc_message_set_text(m, null()), SMTPC_ERR_NULL_ARGUMENT);
        assert_eq!(
            smtpc_message_add_header(m, ok.as_ptr(), null()),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            smtpc_message_attach_file(m, null(), null(), null()),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            smtpc_message_embed_file(m, ok.as_ptr(), null(), null()),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(smtpc_message_write_file(m, null()), SMTPC_ERR_NULL_ARGUMENT);
        // Invalid UTF-8.
        assert_eq!(
            smtpc_message_set_from(m, bad(), ok.as_ptr()),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            smtpc_message_add_to(m, null(), bad()),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            smtpc_message_set_subject(m, bad()),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(smtpc_message_set_html(m, bad()), SMTPC_ERR_INVALID_ARGUMENT);
        // Header injection.
        assert_eq!(
            smtpc_message_set_from(m, name.as_ptr(), evil.as_ptr()),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            smtpc_message_add_cc(m, evil.as_ptr(), ok.as_ptr()),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            smtpc_message_set_subject(m, evil.as_ptr()),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        let hname = cs("X-Test");
        assert_eq!(
            smtpc_message_add_header(m, hname.as_ptr(), evil.as_ptr()),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        // Optional name may be NULL.
        assert_eq!(smtpc_message_set_from(m, null(), ok.as_ptr()), SMTPC_OK);
        assert_eq!(
            smtpc_message_add_to(m, name.as_ptr(), ok.as_ptr()),
            SMTPC_OK
        );
        assert_eq!(smtpc_message_add_bcc(m, null(), ok.as_ptr()), SMTPC_OK);
        // Byte inputs: NULL with length 0 is empty, NULL with a length is an error.
        let file = cs("empty.bin");
        assert_eq!(
            smtpc_message_attach_data(m, null(), 0, file.as_ptr(), null()),
            SMTPC_OK
        );
        assert_eq!(
            smtpc_message_attach_data(m, null(), 3, null(), null()),
            SMTPC_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            smtpc_message_attach_data(m, b"abc".as_ptr(), 3, null(), null()),
            SMTPC_OK
        );
        smtpc_message_free(m);
    }
}

// ---------------------------------------------------------------- a scripted server

/// How the scripted server behaves.
#[derive(Clone, Copy)]
enum Script {
    /// A small but complete ESMTP server; recipients starting with "bad" are refused.
    Normal,
    /// Greets, reads EHLO, reports it on the channel, then never answers.
    StallAfterEhlo,
}

/// Serves one connection on 127.0.0.1; returns the port and a channel that
/// receives each command line the server read.
fn scripted_server(script: Script) -> (u16, mpsc::Receiver<String>, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let join = thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        serve(stream, script, tx);
    });
    (port, rx, join)
}

fn serve(stream: TcpStream, script: Script, tx: mpsc::Sender<String>) {
    let mut out = stream.try_clone().unwrap();
    let mut input = BufReader::new(stream);
    let mut say = |s: &str| {
        let _ = out.write_all(s.as_bytes());
    };
    say("220 test.example ESMTP ready\r\n");
    let mut line = String::new();
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let cmd = line.trim_end().to_string();
        let _ = tx.send(cmd.clone());
        let upper = cmd.to_ascii_uppercase();
        if let Script::StallAfterEhlo = script {
            continue; // never answer; wait for the client to go away
        }
        if upper.starts_with("EHLO") {
            say("250-test.example\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n");
        } else if upper.starts_with("MAIL FROM") {
            say("250 2.1.0 Ok\r\n");
        } else if upper.starts_with("RCPT TO:<BAD") {
            say("550 5.1.1 <bad@example.org>: Recipient address rejected\r\n");
        } else if upper.starts_with("RCPT TO") {
            say("250 2.1.5 Ok\r\n");
        } else if upper == "DATA" {
            say("354 End data with <CR><LF>.<CR><LF>\r\n");
            loop {
                line.clear();
                match input.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) if line == ".\r\n" => break,
                    Ok(_) => {}
                }
            }
            say("250 2.0.0 Ok: queued as ABC\r\n");
        } else if upper == "NOOP" || upper == "RSET" {
            say("250 2.0.0 Ok\r\n");
        } else if upper.starts_with("VRFY") {
            say("252 2.0.0 Cannot VRFY user\r\n");
        } else if upper == "QUIT" {
            say("221 2.0.0 Bye\r\n");
            return;
        } else {
            say("502 5.5.2 Error: command not recognized\r\n");
        }
    }
}

fn plain_client(port: u16) -> *mut smtpc_client {
    let c = new_client("127.0.0.1", port);
    unsafe {
        assert_eq!(smtpc_client_set_tls(c, SMTPC_TLS_NONE), SMTPC_OK);
        assert_eq!(smtpc_client_set_timeout_ms(c, 5000, 20000), SMTPC_OK);
    }
    c
}

struct Recipient {
    address: String,
    code: u32,
    text: String,
}

fn recipients_of(report: *const smtpc_report) -> Vec<Recipient> {
    let count = unsafe { smtpc_report_recipient_count(report) };
    (0..count)
        .map(|i| {
            let (mut a, mut code, mut t) = (null(), 0u32, null());
            let status = unsafe { smtpc_report_recipient(report, i, &mut a, &mut code, &mut t) };
            assert_eq!(status, SMTPC_OK);
            Recipient {
                address: text(a),
                code,
                text: text(t),
            }
        })
        .collect()
}

#[test]
fn send_raw_reports_every_recipient_and_getters_describe_the_reply() {
    let (port, _commands, server) = scripted_server(Script::Normal);
    let c = plain_client(port);
    let from = cs("sender@example.org");
    let good = cs("good@example.org");
    let badr = cs("bad@example.org");
    let data = b"Subject: test\r\n\r\nhello\r\n.starts with a dot\r\n";
    unsafe {
        // Everyone accepted.
        let mut report = sentinel_report();
        let status = smtpc_client_send_raw(
            c,
            from.as_ptr(),
            [good.as_ptr()].as_ptr(),
            1,
            data.as_ptr(),
            data.len(),
            &mut report,
        );
        assert_eq!(status, SMTPC_OK, "{}", last_error(c));
        assert!(!report.is_null() && report != sentinel_report());
        assert_eq!(smtpc_report_final_code(report), 250);
        assert_eq!(
            text(smtpc_report_final_reply(report)),
            "2.0.0 Ok: queued as ABC"
        );
        let rcpts = recipients_of(report);
        assert_eq!(rcpts.len(), 1);
        assert_eq!(rcpts[0].address, "good@example.org");
        assert_eq!(rcpts[0].code, 250);
        smtpc_report_free(report);
        assert_eq!(smtpc_client_last_reply_code(c), 250);
        assert_eq!(last_reply(c), "250 2.0.0 Ok: queued as ABC");
        assert_eq!(last_error(c), "");
        let size = cs("size");
        assert!(smtpc_client_has_extension(c, size.as_ptr()));

        // One refused: PARTIAL, and the report is still handed over.
        let mut report = sentinel_report();
        let status = smtpc_client_send_raw(
            c,
            from.as_ptr(),
            [good.as_ptr(), badr.as_ptr()].as_ptr(),
            2,
            data.as_ptr(),
            data.len(),
            &mut report,
        );
        assert_eq!(status, SMTPC_ERR_PARTIAL, "{}", last_error(c));
        assert!(!report.is_null() && report != sentinel_report());
        let rcpts = recipients_of(report);
        assert_eq!(rcpts.len(), 2);
        assert_eq!((rcpts[0].code, rcpts[1].code), (250, 550));
        assert_eq!(rcpts[1].address, "bad@example.org");
        assert!(rcpts[1].text.contains("5.1.1"), "{}", rcpts[1].text);
        assert_eq!(smtpc_report_final_code(report), 250);
        let (mut a, mut code, mut t) = (null(), 0u32, null());
        assert_eq!(
            smtpc_report_recipient(report, 2, &mut a, &mut code, &mut t),
            SMTPC_ERR_INVALID_ARGUMENT
        );
        smtpc_report_free(report);
        assert_ne!(last_error(c), "");

        // report_out may be NULL.
        let status = smtpc_client_send_raw(
            c,
            from.as_ptr(),
            [good.as_ptr()].as_ptr(),
            1,
            data.as_ptr(),
            data.len(),
            null_mut(),
        );
        assert_eq!(status, SMTPC_OK, "{}", last_error(c));

        assert_eq!(smtpc_client_noop(c), SMTPC_OK);
        let who = cs("someone@example.org");
        assert_eq!(smtpc_client_verify(c, who.as_ptr()), SMTPC_OK);
        assert_eq!(smtpc_client_last_reply_code(c), 252);
        assert_eq!(smtpc_client_quit(c), SMTPC_OK);
        assert_eq!(smtpc_client_last_reply_code(c), 221);
        smtpc_client_free(c);
    }
    server.join().unwrap();
}

#[test]
fn all_recipients_refused_reports_them_and_keeps_the_refusing_reply() {
    let (port, _commands, server) = scripted_server(Script::Normal);
    let c = plain_client(port);
    let from = cs("sender@example.org");
    let badr = cs("bad@example.org");
    let data = b"Subject: test\r\n\r\nhello\r\n";
    unsafe {
        // Everyone refused: RECIPIENTS_REJECTED, with the report.
        let mut report = sentinel_report();
        let status = smtpc_client_send_raw(
            c,
            from.as_ptr(),
            [badr.as_ptr()].as_ptr(),
            1,
            data.as_ptr(),
            data.len(),
            &mut report,
        );
        assert_eq!(status, SMTPC_ERR_RECIPIENTS_REJECTED, "{}", last_error(c));
        assert!(!report.is_null() && report != sentinel_report());
        assert_eq!(recipients_of(report)[0].code, 550);
        assert_eq!(smtpc_report_final_code(report), 0);
        smtpc_report_free(report);
        assert_eq!(
            smtpc_client_last_reply_code(c),
            550,
            "the reply that caused the failure"
        );
        assert!(last_reply(c).starts_with("550 5.1.1"), "{}", last_reply(c));

        assert_eq!(smtpc_client_quit(c), SMTPC_OK);
        smtpc_client_free(c);
    }
    server.join().unwrap();
}

#[test]
fn cancel_from_another_thread_interrupts_a_blocked_call() {
    struct SendPtr(*mut smtpc_client);
    // SAFETY: smtpc_client_cancel is documented as callable from any thread.
    unsafe impl Send for SendPtr {}

    let (port, commands, server) = scripted_server(Script::StallAfterEhlo);
    let c = plain_client(port);
    let target = SendPtr(c);
    let canceller = thread::spawn(move || {
        let target = target;
        // Wait until the client is blocked waiting for the EHLO reply.
        let ehlo = commands
            .recv_timeout(Duration::from_secs(10))
            .expect("EHLO");
        assert!(ehlo.to_ascii_uppercase().starts_with("EHLO"), "{ehlo}");
        thread::sleep(Duration::from_millis(100));
        unsafe { smtpc_client_cancel(target.0) };
    });
    let start = Instant::now();
    let status = unsafe { smtpc_client_connect(c) };
    let elapsed = start.elapsed();
    canceller.join().unwrap();
    assert_eq!(status, SMTPC_ERR_CANCELLED, "{}", last_error(c));
    assert!(elapsed < Duration::from_secs(15), "cancel took {elapsed:?}");
    assert_ne!(last_error(c), "");
    unsafe { smtpc_client_free(c) };
    server.join().unwrap();
}

unsafe extern "C" fn count_lines(
    user_data: *mut c_void,
    _kind: smtpc_log_kind,
    line: *const c_char,
    line_len: usize,
) {
    if user_data.is_null() {
        return;
    }
    let log = unsafe { &mut *user_data.cast::<LogState>() };
    let bytes = unsafe { std::slice::from_raw_parts(line.cast::<u8>(), line_len + 1) };
    assert_eq!(bytes[line_len], 0, "line not NUL-terminated");
    log.lines
        .push(String::from_utf8_lossy(&bytes[..line_len]).into_owned());
    if log.reenter {
        // A callback calling back into the same client is refused, not a deadlock.
        log.reentrant_status = Some(unsafe { smtpc_client_noop(log.client) });
        log.reenter = false;
    }
}

unsafe extern "C" fn never_cancel(_: *mut c_void, _: u64, _: u64) -> std::os::raw::c_int {
    0
}

unsafe extern "C" fn cancel_at_once(
    user_data: *mut c_void,
    sent: u64,
    total: u64,
) -> std::os::raw::c_int {
    let calls = unsafe { &mut *user_data.cast::<Vec<(u64, u64)>>() };
    calls.push((sent, total));
    1
}

struct LogState {
    client: *mut smtpc_client,
    lines: Vec<String>,
    reenter: bool,
    reentrant_status: Option<smtpc_status>,
}

#[test]
fn callbacks_see_the_session_and_can_cancel() {
    let (port, _commands, server) = scripted_server(Script::Normal);
    let c = plain_client(port);
    let mut log = LogState {
        client: c,
        lines: Vec::new(),
        reenter: true,
        reentrant_status: None,
    };
    let mut progress: Vec<(u64, u64)> = Vec::new();
    let from = cs("sender@example.org");
    let to = cs("good@example.org");
    let data = b"Subject: x\r\n\r\nbody\r\n";
    unsafe {
        let log_ptr: *mut LogState = &mut log;
        assert_eq!(
            smtpc_client_set_log_callback(c, Some(count_lines), log_ptr.cast()),
            SMTPC_OK
        );
        let progress_ptr: *mut Vec<(u64, u64)> = &mut progress;
        assert_eq!(
            smtpc_client_set_progress_callback(c, Some(cancel_at_once), progress_ptr.cast()),
            SMTPC_OK
        );
        assert_eq!(smtpc_client_connect(c), SMTPC_OK, "{}", last_error(c));
        let mut report = sentinel_report();
        let status = smtpc_client_send_raw(
            c,
            from.as_ptr(),
            [to.as_ptr()].as_ptr(),
            1,
            data.as_ptr(),
            data.len(),
            &mut report,
        );
        assert_eq!(status, SMTPC_ERR_CANCELLED, "{}", last_error(c));
        assert_ne!(
            report,
            sentinel_report(),
            "report_out is written once the send started"
        );
        smtpc_report_free(report);
        smtpc_client_set_log_callback(c, None, null_mut());
        smtpc_client_free(c);
    }
    assert_eq!(log.reentrant_status, Some(SMTPC_ERR_STATE));
    assert!(
        log.lines.iter().any(|l| l.starts_with("220")),
        "{:?}",
        log.lines
    );
    assert!(
        log.lines
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with("EHLO")),
        "{:?}",
        log.lines
    );
    assert!(!progress.is_empty(), "progress callback never called");
    assert!(
        progress
            .iter()
            .all(|&(_, total)| total >= data.len() as u64),
        "{progress:?}"
    );
    server.join().unwrap();
}

/// Builds a small message; every call must succeed.
fn simple_message(to: &str) -> *mut smtpc_message {
    let m = new_message();
    let from = cs("sender@example.org");
    let to = cs(to);
    let name = cs("Zoë Example");
    let subject = cs("Grüße");
    let body = cs("hello\nworld\n.dot line\n");
    unsafe {
        assert_eq!(
            smtpc_message_set_from(m, name.as_ptr(), from.as_ptr()),
            SMTPC_OK
        );
        assert_eq!(smtpc_message_add_to(m, null(), to.as_ptr()), SMTPC_OK);
        assert_eq!(smtpc_message_set_subject(m, subject.as_ptr()), SMTPC_OK);
        assert_eq!(smtpc_message_set_text(m, body.as_ptr()), SMTPC_OK);
    }
    m
}

#[test]
fn send_and_write_a_built_message() {
    let (port, commands, server) = scripted_server(Script::Normal);
    let c = plain_client(port);
    let m = simple_message("good@example.org");
    let path = std::env::temp_dir().join(format!("smtpc-ffi-{}.eml", std::process::id()));
    let cpath = cs(path.to_str().unwrap());
    unsafe {
        let mut report = sentinel_report();
        assert_eq!(
            smtpc_client_send(c, m, &mut report),
            SMTPC_OK,
            "{}",
            last_error(c)
        );
        assert_eq!(smtpc_report_recipient_count(report), 1);
        assert_eq!(smtpc_report_final_code(report), 250);
        smtpc_report_free(report);
        assert_eq!(smtpc_message_write_file(m, cpath.as_ptr()), SMTPC_OK);
        let written = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(!written.is_empty());
        assert!(written.windows(2).any(|w| w == b"\r\n"), "CRLF line ends");
        // The client and the report are independent of the message: free it first.
        smtpc_message_free(m);
        assert_eq!(smtpc_client_quit(c), SMTPC_OK);
        smtpc_client_free(c);
    }
    server.join().unwrap();
    let seen: Vec<String> = commands.try_iter().collect();
    assert!(
        seen.iter().any(|l| l == "MAIL FROM:<sender@example.org>"
            || l.starts_with("MAIL FROM:<sender@example.org> ")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.starts_with("RCPT TO:<good@example.org>")),
        "{seen:?}"
    );
}

#[test]
fn one_message_sent_by_two_clients_on_two_threads() {
    struct Shared(*const smtpc_message);
    // SAFETY: the contract allows sending one message from several threads at once.
    unsafe impl Send for Shared {}
    unsafe impl Sync for Shared {}

    let m = simple_message("good@example.org");
    let shared = std::sync::Arc::new(Shared(m));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let shared = shared.clone();
            thread::spawn(move || {
                let (port, _commands, server) = scripted_server(Script::Normal);
                let c = plain_client(port);
                let status = unsafe { smtpc_client_send(c, shared.0, null_mut()) };
                let error = last_error(c);
                unsafe {
                    smtpc_client_quit(c);
                    smtpc_client_free(c);
                }
                server.join().unwrap();
                (status, error)
            })
        })
        .collect();
    for w in workers {
        let (status, error) = w.join().unwrap();
        assert_eq!(status, SMTPC_OK, "{error}");
    }
    unsafe { smtpc_message_free(m) };
}
