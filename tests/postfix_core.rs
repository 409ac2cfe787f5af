//! The protocol core against a real Postfix (plain port, SMTPC_TLS_NONE, AUTH with
//! the test user). Every test checks what arrived in the maildir, not only the
//! return values.
//!
//! Run with a mail server started by tests/setup/mailserver.sh:
//!     SMTPC_TEST_ENV=$D/env cargo test --test postfix_core

mod common;
mod postfix_support;

use postfix_support::{
    addr, assert_same_bytes, client, plain_client, printable_lines, received_with, DELIVERY_TIMEOUT,
};
use smtpc::{ErrorKind, TlsMode};
use std::time::Duration;

/// A small message with the headers Postfix would otherwise be tempted to add.
fn simple_message(from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n\
         Message-ID: <{}@smtpc.test>\r\n\r\n{body}",
        common::unique_local("msgid")
    )
    .into_bytes()
}

/// Waits for exactly one message for `to` and returns it as the client sent it.
fn one_delivered(env: &common::TestEnv, to: &str) -> (Vec<u8>, Vec<u8>) {
    let stored = common::wait_for_mail(env, to, DELIVERY_TIMEOUT);
    assert_eq!(stored.len(), 1, "expected exactly one message for {to}");
    let stored = stored.into_iter().next().unwrap();
    (common::as_sent(&stored), stored)
}

#[test]
fn dots_bare_lf_bare_cr_and_missing_final_newline() {
    let env = common::env();
    let to = addr("dots");
    let from = env.user.clone();
    let header = format!(
        "From: <{from}>\nTo: <{to}>\nSubject: dots and line ends\n\
         Date: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <{}@smtpc.test>\n\n",
        common::unique_local("dots")
    );
    // Bare LF everywhere in the header, then a body with every awkward case.
    let body = ".\n..\n.hidden\n...three\nbare CR\rafter CR\r\nCRLF line\n\n.\r\nlast line without newline";
    let mut raw = header.clone().into_bytes();
    raw.extend_from_slice(body.as_bytes());

    let expected_header = header.replace('\n', "\r\n");
    let expected_body = ".\r\n..\r\n.hidden\r\n...three\r\nbare CR\r\nafter CR\r\nCRLF line\r\n\r\n.\r\nlast line without newline\r\n";
    let expected = format!("{expected_header}{expected_body}").into_bytes();

    let (mut c, log) = plain_client(&env);
    let report = c
        .send_raw(&from, &[to.as_str()], &raw)
        .unwrap_or_else(|e| panic!("send_raw failed: {e}\nlog:\n{}", log.dump()));
    assert_eq!(report.recipients.len(), 1);
    assert_eq!(report.recipients[0].code, 250, "{report:?}");
    assert_eq!(report.final_code(), 250, "{report:?}");
    c.quit().unwrap();

    let (sent, _) = one_delivered(&env, &to);
    assert_same_bytes(&sent, &expected, "delivered message");
}

#[test]
fn five_megabytes_arrive_byte_identical() {
    let env = common::env();
    let to = addr("big");
    let mut raw = simple_message(&env.user, &to, "5 MB", "");
    raw.extend_from_slice(&printable_lines(0x5EED_0005, 5 * 1024 * 1024));
    assert!(raw.len() > 5 * 1024 * 1024);

    let (mut c, log) = plain_client(&env);
    let report = c
        .send_raw(&env.user, &[to.as_str()], &raw)
        .unwrap_or_else(|e| panic!("send_raw failed: {e}\nlog:\n{}", log.dump()));
    assert_eq!(report.final_code(), 250, "{report:?}");
    c.quit().unwrap();

    let (sent, _) = one_delivered(&env, &to);
    assert_same_bytes(&sent, &raw, "5 MB message");
}

#[test]
fn fifty_recipients_each_get_exactly_one_copy() {
    let env = common::env();
    let recipients: Vec<String> = (0..50).map(|i| addr(&format!("fifty{i}"))).collect();
    let refs: Vec<&str> = recipients.iter().map(String::as_str).collect();
    let raw = simple_message(
        &env.user,
        "undisclosed-recipients@example.test",
        "fifty",
        "one message, fifty recipients\r\n",
    );

    let (mut c, log) = plain_client(&env);
    let report = c
        .send_raw(&env.user, &refs, &raw)
        .unwrap_or_else(|e| panic!("send_raw failed: {e}\nlog:\n{}", log.dump()));
    c.quit().unwrap();

    assert_eq!(report.recipients.len(), 50, "{report:?}");
    for (r, want) in report.recipients.iter().zip(&recipients) {
        assert_eq!(&r.address, want, "report order");
        assert_eq!(r.code, 250, "{r:?}");
    }
    assert_eq!(report.accepted_count(), 50);
    assert_eq!(report.final_code(), 250);
    assert_eq!(
        log.mail_from_lines().len(),
        1,
        "a single transaction:\n{}",
        log.dump()
    );
    assert_eq!(log.sent_verb("RCPT").len(), 50, "{}", log.dump());

    for to in &recipients {
        let (sent, _) = one_delivered(&env, to);
        assert_same_bytes(&sent, &raw, &format!("copy for {to}"));
    }
    // Nothing late: every recipient still has exactly one copy.
    postfix_support::assert_delivery_counts(&env, &refs, 1, Duration::from_millis(500));
}

#[test]
fn one_refused_recipient_gives_partial_with_report() {
    let env = common::env();
    let a = addr("partial-a");
    let b = addr("partial-b");
    let refused = env.rejected_rcpt.clone();
    let raw = simple_message(&env.user, &a, "partial", "two of three\r\n");

    let (mut c, log) = plain_client(&env);
    let err = c
        .send_raw(&env.user, &[a.as_str(), refused.as_str(), b.as_str()], &raw)
        .expect_err("one recipient is refused: the send must not be plain success");
    assert_eq!(
        err.kind(),
        ErrorKind::Partial,
        "{err}\nlog:\n{}",
        log.dump()
    );
    let report = err.report().expect("a Partial error carries the report");
    assert_eq!(report.recipients.len(), 3, "{report:?}");
    assert_eq!(report.recipients[0].address, a);
    assert_eq!(report.recipients[0].code, 250);
    assert_eq!(report.recipients[1].address, refused);
    assert_eq!(report.recipients[1].code, 550, "{report:?}");
    assert!(
        report.recipients[1].text.contains("5.1.1")
            && report.recipients[1].text.contains("No such user here"),
        "the 550 text is kept: {:?}",
        report.recipients[1].text
    );
    assert!(!report.recipients[1].accepted());
    assert_eq!(report.recipients[2].address, b);
    assert_eq!(report.recipients[2].code, 250);
    assert_eq!(report.accepted_count(), 2);
    assert_eq!(
        report.final_code(),
        250,
        "the data was accepted: {report:?}"
    );
    assert!(
        err.message().contains(&refused),
        "the error names the refused address: {}",
        err.message()
    );
    assert_eq!(
        c.last_error().map(|e| e.kind()),
        Some(ErrorKind::Partial),
        "last_error describes the partial send"
    );
    c.quit().unwrap();

    for to in [&a, &b] {
        let (sent, _) = one_delivered(&env, to);
        assert_same_bytes(&sent, &raw, &format!("copy for {to}"));
    }
    common::assert_no_mail(&env, &refused, Duration::from_secs(1));
}

#[test]
fn refused_sender_is_sender_rejected() {
    let env = common::env();
    let to = addr("badsender");
    let raw = simple_message(&env.rejected_sender, &to, "refused sender", "no\r\n");

    let (mut c, log) = plain_client(&env);
    let err = c
        .send_raw(&env.rejected_sender, &[to.as_str()], &raw)
        .expect_err("the sender is blocked");
    assert_eq!(
        err.kind(),
        ErrorKind::SenderRejected,
        "{err}\nlog:\n{}",
        log.dump()
    );
    let reply = err.reply().expect("the MAIL reply is kept");
    assert_eq!(reply.code, 553, "{reply:?}");
    assert!(reply.text().contains("Sender address blocked"), "{reply:?}");
    assert_eq!(c.last_reply().map(|r| r.code), Some(553));
    assert_eq!(log.mail_from_lines().len(), 1, "{}", log.dump());
    // The session stays usable after a refused sender.
    let ok = addr("after-badsender");
    let raw2 = simple_message(&env.user, &ok, "after refused sender", "yes\r\n");
    c.send_raw(&env.user, &[ok.as_str()], &raw2)
        .unwrap_or_else(|e| panic!("send after a refused sender failed: {e}\n{}", log.dump()));
    c.quit().unwrap();

    let (sent, _) = one_delivered(&env, &ok);
    assert_same_bytes(&sent, &raw2, "message after a refused sender");
    common::assert_no_mail(&env, &to, Duration::from_secs(1));
}

#[test]
fn wrong_password_is_auth_failed_535() {
    let env = common::env();
    let to = addr("wrongpw");
    let (mut c, log) = client(&env, env.plain_port, Some(TlsMode::None));
    c.set_credentials(&env.user, "definitely-not-the-password")
        .unwrap();
    let err = c.connect().expect_err("wrong password");
    assert_eq!(
        err.kind(),
        ErrorKind::AuthFailed,
        "{err}\nlog:\n{}",
        log.dump()
    );
    assert_eq!(err.reply().map(|r| r.code), Some(535), "{err:?}");
    assert_eq!(
        c.last_reply().map(|r| r.code),
        Some(535),
        "last_reply describes the failure: {:?}",
        c.last_reply()
    );
    assert_eq!(
        c.last_error().map(|e| e.kind()),
        Some(ErrorKind::AuthFailed)
    );
    assert!(!c.is_connected());

    // A send with the wrong password fails the same way and sends no MAIL.
    log.clear();
    let raw = simple_message(&env.user, &to, "wrong password", "no\r\n");
    let err = c
        .send_raw(&env.user, &[to.as_str()], &raw)
        .expect_err("wrong password");
    assert_eq!(err.kind(), ErrorKind::AuthFailed, "{err}");
    assert!(log.mail_from_lines().is_empty(), "{}", log.dump());
    common::assert_no_mail(&env, &to, Duration::from_secs(1));
}

#[test]
fn utf8_user_and_password_authenticate_and_send() {
    let env = common::env();
    let to = addr("utf8user");
    let (mut c, log) = client(&env, env.plain_port, Some(TlsMode::None));
    c.set_credentials(&env.utf8_user, &env.utf8_password)
        .unwrap();
    c.connect()
        .unwrap_or_else(|e| panic!("UTF-8 login failed: {e}\nlog:\n{}", log.dump()));
    assert_eq!(log.sent_verb("AUTH").len(), 1, "{}", log.dump());
    let raw = simple_message(&env.utf8_user, &to, "utf8 login", "hello\r\n");
    c.send_raw(&env.utf8_user, &[to.as_str()], &raw)
        .unwrap_or_else(|e| panic!("send failed: {e}\nlog:\n{}", log.dump()));
    c.quit().unwrap();

    let (sent, stored) = one_delivered(&env, &to);
    assert_same_bytes(&sent, &raw, "message sent after a UTF-8 login");
    // A UTF-8 sender makes it an SMTPUTF8 session: RFC 6531 names that "UTF8SMTPA".
    let with = received_with(&stored);
    assert!(
        matches!(with.as_str(), "ESMTPA" | "UTF8SMTPA"),
        "Postfix saw an authenticated session: with {with}"
    );
}

#[test]
fn several_messages_on_one_connection() {
    let env = common::env();
    let to = addr("multi");
    let (mut c, log) = plain_client(&env);
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    let mut sent_messages = Vec::new();
    for i in 0..3 {
        let raw = simple_message(
            &env.user,
            &to,
            &format!("message {i}"),
            &format!("body {i}\r\n"),
        );
        c.send_raw(&env.user, &[to.as_str()], &raw)
            .unwrap_or_else(|e| panic!("send {i} failed: {e}\nlog:\n{}", log.dump()));
        assert!(c.is_connected(), "still connected after send {i}");
        sent_messages.push(raw);
    }
    c.quit().unwrap();
    assert_eq!(
        log.sent_verb("EHLO").len(),
        1,
        "one session:\n{}",
        log.dump()
    );
    assert_eq!(log.sent_verb("AUTH").len(), 1, "one login:\n{}", log.dump());
    assert_eq!(log.mail_from_lines().len(), 3, "{}", log.dump());

    let stored = common::wait_for_n(&env, &to, 3, DELIVERY_TIMEOUT);
    assert_eq!(stored.len(), 3);
    let mut got: Vec<Vec<u8>> = stored.iter().map(|m| common::as_sent(m)).collect();
    got.sort();
    sent_messages.sort();
    assert_eq!(got, sent_messages, "the three messages arrived unchanged");
}

#[test]
fn noop_rset_vrfy() {
    let env = common::env();
    let (mut c, log) = plain_client(&env);
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    c.noop().expect("NOOP");
    assert_eq!(c.last_reply().map(|r| r.code), Some(250));
    c.reset().expect("RSET");
    assert_eq!(c.last_reply().map(|r| r.code), Some(250));
    let probe = addr("vrfy");
    match c.verify(&probe) {
        Ok(reply) => assert!(
            (250..=252).contains(&reply.code),
            "VRFY success must be 250/251/252: {reply:?}"
        ),
        Err(e) => assert_eq!(e.kind(), ErrorKind::Unsupported, "VRFY: {e}"),
    }
    assert!(c.is_connected(), "the session survives NOOP/RSET/VRFY");
    for verb in ["NOOP", "RSET", "VRFY"] {
        assert_eq!(
            log.sent_verb(verb).len(),
            1,
            "{verb} sent once:\n{}",
            log.dump()
        );
    }
    // Still usable for mail.
    let to = addr("after-vrfy");
    let raw = simple_message(&env.user, &to, "after NOOP/RSET/VRFY", "ok\r\n");
    c.send_raw(&env.user, &[to.as_str()], &raw)
        .unwrap_or_else(|e| panic!("send failed: {e}\nlog:\n{}", log.dump()));
    c.quit().unwrap();
    assert!(!c.is_connected());
    let (sent, _) = one_delivered(&env, &to);
    assert_same_bytes(&sent, &raw, "message after NOOP/RSET/VRFY");
}

#[test]
fn extensions_advertised_by_postfix() {
    let env = common::env();
    let (mut c, log) = plain_client(&env);
    assert!(
        !c.has_extension("PIPELINING"),
        "nothing is known before connecting"
    );
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    for ext in [
        "PIPELINING",
        "8BITMIME",
        "SMTPUTF8",
        "SIZE",
        "CHUNKING",
        "DSN",
        "ENHANCEDSTATUSCODES",
    ] {
        assert!(
            c.has_extension(ext),
            "{ext} after connect\nlog:\n{}",
            log.dump()
        );
    }
    assert!(
        c.has_extension("pipelining"),
        "keywords are case-insensitive"
    );
    // The plain test port does not offer STARTTLS; a lookup that cannot fail
    // would make the assertions above meaningless.
    assert!(
        !c.has_extension("STARTTLS"),
        "the plain port offers no STARTTLS"
    );
    assert!(!c.has_extension("XNOSUCHEXT"));
    c.quit().unwrap();
    assert!(
        !c.has_extension("PIPELINING"),
        "nothing is known after quit"
    );
}

#[test]
fn too_big_for_small_port_is_refused_before_mail() {
    let env = common::env();
    let to = addr("toobig");
    let (mut c, log) = client(&env, env.small_port, Some(TlsMode::None));
    c.set_credentials(&env.user, &env.password).unwrap();
    let mut raw = simple_message(&env.user, &to, "too big", "");
    raw.extend_from_slice(&printable_lines(0x5EED_0100, 100_001));
    assert!(raw.len() > 100_000);

    let err = c
        .send_raw(&env.user, &[to.as_str()], &raw)
        .expect_err("over the 100000-byte SIZE limit");
    assert_eq!(
        err.kind(),
        ErrorKind::MessageTooBig,
        "{err}\nlog:\n{}",
        log.dump()
    );
    assert!(
        log.mail_from_lines().is_empty(),
        "refused before MAIL FROM:\n{}",
        log.dump()
    );
    assert!(
        log.sent_verb("EHLO").len() == 1,
        "the SIZE limit comes from EHLO:\n{}",
        log.dump()
    );
    // The session is still good for a message that fits.
    let small = simple_message(&env.user, &to, "fits", "small\r\n");
    c.send_raw(&env.user, &[to.as_str()], &small)
        .unwrap_or_else(|e| panic!("small send failed: {e}\nlog:\n{}", log.dump()));
    c.quit().unwrap();
    let (sent, _) = one_delivered(&env, &to);
    assert_same_bytes(&sent, &small, "only the small message arrives");
}

#[test]
fn final_reply_text_is_postfix_queue_reply() {
    let env = common::env();
    let to = addr("final");
    let raw = simple_message(&env.user, &to, "final reply", "queued\r\n");
    let (mut c, log) = plain_client(&env);
    let report = c
        .send_raw(&env.user, &[to.as_str()], &raw)
        .unwrap_or_else(|e| panic!("send failed: {e}\nlog:\n{}", log.dump()));
    c.quit().unwrap();
    assert_eq!(report.final_code(), 250);
    let text = report.final_text();
    // Postfix answers DATA with "2.0.0 Ok: queued as ID" and BDAT (used here, the
    // server offers CHUNKING) with "2.0.0 Ok: N bytes queued as ID".
    assert!(
        text.starts_with("2.0.0 Ok: ") && text.contains("queued as "),
        "final reply text: {text:?}"
    );
    let queue_id = text
        .rsplit_once("queued as ")
        .map_or("", |(_, id)| id)
        .trim()
        .to_string();
    assert!(!queue_id.is_empty() && queue_id.chars().all(|c| c.is_ascii_alphanumeric()));

    // The queue id in the reply is the one Postfix wrote into the Received: header.
    let (_, stored) = one_delivered(&env, &to);
    let received = postfix_support::header_values(&stored, "Received");
    assert!(
        received
            .first()
            .is_some_and(|r| r.contains(&format!(" id {queue_id}"))),
        "queue id {queue_id} in Received: {received:?}"
    );
}

#[test]
fn smtputf8_recipient_is_delivered() {
    let env = common::env();
    // Non-ASCII local part (lower case, so the maildir name is the address).
    let to = format!("δοκιμή-ünïcödé-{}@example.test", common::unique_local("u8"));
    let raw = simple_message(&env.user, &to, "smtputf8", "hello SMTPUTF8\r\n");
    let (mut c, log) = plain_client(&env);
    let report = c
        .send_raw(&env.user, &[to.as_str()], &raw)
        .unwrap_or_else(|e| panic!("send failed: {e}\nlog:\n{}", log.dump()));
    c.quit().unwrap();
    assert_eq!(report.recipients[0].code, 250, "{report:?}");

    let mail = log.mail_from_lines();
    assert_eq!(mail.len(), 1, "{}", log.dump());
    assert!(
        mail[0].split_whitespace().any(|w| w == "SMTPUTF8"),
        "MAIL FROM carries SMTPUTF8: {:?}",
        mail[0]
    );
    let rcpt = log.sent_verb("RCPT");
    assert_eq!(rcpt.len(), 1);
    assert!(
        rcpt[0].contains(&to),
        "RCPT carries the UTF-8 address: {rcpt:?}"
    );

    let (sent, _) = one_delivered(&env, &to);
    assert_same_bytes(&sent, &raw, "message to a UTF-8 address");
}

/// The SIZE= value of the one MAIL FROM line in the log.
fn declared_size(log: &postfix_support::Log) -> u64 {
    let mail = log.mail_from_lines();
    assert_eq!(mail.len(), 1, "{}", log.dump());
    mail[0]
        .split_whitespace()
        .find_map(|w| w.strip_prefix("SIZE="))
        .unwrap_or_else(|| panic!("no SIZE= in {:?}", mail[0]))
        .parse()
        .unwrap()
}

#[test]
fn size_parameter_counts_crlf_line_ends() {
    // RFC 1870: the size includes CR-LF pairs (not the dot-stuffing); a bare-LF
    // input grows by one byte per line on the wire.
    let env = common::env();
    let to = addr("sizeparam");
    let mut raw = format!(
        "From: <{}>\nTo: <{to}>\nSubject: size\nDate: Thu, 01 Jan 2026 00:00:00 +0000\n\
         Message-ID: <{}@smtpc.test>\n\n",
        env.user,
        common::unique_local("size")
    )
    .into_bytes();
    for i in 0..500 {
        raw.extend_from_slice(format!(".line {i}\n").as_bytes());
    }
    let (mut c, log) = plain_client(&env);
    c.send_raw(&env.user, &[to.as_str()], &raw)
        .unwrap_or_else(|e| panic!("send failed: {e}\nlog:\n{}", log.dump()));
    c.quit().unwrap();
    let (sent, _) = one_delivered(&env, &to);
    assert_eq!(sent.len(), raw.len() + 506, "every bare LF became CRLF");
    assert_eq!(
        declared_size(&log),
        sent.len() as u64,
        "SIZE= is the size of the CRLF message"
    );
}

#[test]
fn bare_lf_growth_counts_against_the_size_limit() {
    // 95 000 bytes as given, over 100 000 once every bare LF is a CRLF: refused
    // before MAIL FROM, not after uploading the whole message.
    let env = common::env();
    let to = addr("lfgrowth");
    let mut raw = format!("From: <{}>\nTo: <{to}>\nSubject: growth\n\n", env.user).into_bytes();
    while raw.len() < 95_000 {
        raw.extend_from_slice(b"0123456789\n");
    }
    let (mut c, log) = client(&env, env.small_port, Some(TlsMode::None));
    let err = c
        .send_raw(&env.user, &[to.as_str()], &raw)
        .expect_err("over the limit after CRLF normalisation");
    assert_eq!(
        err.kind(),
        ErrorKind::MessageTooBig,
        "{err}\nlog:\n{}",
        log.dump()
    );
    assert!(
        log.mail_from_lines().is_empty(),
        "refused before MAIL FROM:\n{}",
        log.dump()
    );
    c.quit().unwrap();
    common::assert_no_mail(&env, &to, Duration::from_secs(1));
}
