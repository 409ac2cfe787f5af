//! The session features against a real Postfix: CHUNKING (BDAT) with mail read back
//! byte for byte, the PIPELINING and CHUNKING switches, batches, 452 "too many
//! recipients" answered with a further transaction, DSN success reports read back
//! from the sender's mailbox, ETRN, enhanced status codes.
//!
//! Run with a mail server started by tests/setup/mailserver.sh:
//!     SMTPC_TEST_ENV=$D/env cargo test --test postfix_session

mod common;
mod postfix_support;

use postfix_support::{
    addr, assert_delivery_counts, assert_same_bytes, client, Log, DELIVERY_TIMEOUT,
};
use smtpc::{Client, DsnReturn, ErrorKind, LogKind, Message, Notify, TlsMode};
use std::time::Duration;

/// A message with fixed Date and Message-ID, so its bytes are known.
fn message(from: &str, to: &[&str], subject: &str, body: &str) -> Message {
    let mut m = Message::new();
    m.set_from(None, from).unwrap();
    for t in to {
        m.add_to(None, t).unwrap();
    }
    m.set_subject(subject).unwrap();
    m.add_header("Date", "Thu, 01 Jan 2026 00:00:00 +0000")
        .unwrap();
    m.add_header(
        "Message-ID",
        &format!("<{}@smtpc.test>", common::unique_local("id")),
    )
    .unwrap();
    m.set_text(body).unwrap();
    m
}

/// The exact bytes `m` is sent as.
fn bytes_of(m: &Message, tag: &str) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("{}.eml", common::unique_local(tag)));
    m.write_file(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

/// A client for `port` without TLS, authenticated as the test user.
fn plain(env: &common::TestEnv, port: u16) -> (Client, Log) {
    let (mut c, log) = client(env, port, Some(TlsMode::None));
    c.set_credentials(&env.user, &env.password).unwrap();
    (c, log)
}

/// The only message delivered to `to`, as the client sent it.
fn delivered_once(env: &common::TestEnv, to: &str) -> Vec<u8> {
    let stored = common::wait_for_mail(env, to, DELIVERY_TIMEOUT);
    assert_eq!(stored.len(), 1, "exactly one message for {to}");
    common::as_sent(&stored[0])
}

/// Positions in the log of the first sent line starting with `prefix` and of the
/// first received line starting with `reply`.
fn position(log: &Log, kind: LogKind, prefix: &str) -> Option<usize> {
    log.entries()
        .iter()
        .position(|(k, l)| *k == kind && l.starts_with(prefix))
}

#[test]
fn small_message_goes_as_one_bdat_last_with_mail_and_rcpt_and_arrives_byte_identical() {
    let env = common::env();
    let to = addr("bdat-small");
    let m = message(&env.user, &[&to], "BDAT small", ".leading dot\nline two\n");
    let expected = bytes_of(&m, "bdat-small");
    let (mut c, log) = plain(&env, env.plain_port);
    let report = c.send(&m).unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    c.quit().unwrap();
    assert_eq!(report.final_code(), 250);
    assert_eq!(
        report.final_enhanced().map(|e| e.to_string()).as_deref(),
        Some("2.0.0")
    );
    let bdat = log.sent_verb("BDAT");
    assert_eq!(
        bdat,
        [format!("BDAT {} LAST", expected.len())],
        "{}",
        log.dump()
    );
    assert!(log.sent_verb("DATA").is_empty());
    // MAIL, RCPT and BDAT were all written before the first reply to them came.
    let mail_reply = position(&log, LogKind::Received, "250 2.1.0").expect("MAIL reply");
    let bdat_sent = position(&log, LogKind::Sent, "BDAT").unwrap();
    assert!(bdat_sent < mail_reply, "{}", log.dump());
    assert_same_bytes(&delivered_once(&env, &to), &expected, "delivered message");
}

#[test]
fn large_message_streams_in_chunks_and_arrives_byte_identical() {
    let env = common::env();
    let to = addr("bdat-large");
    let mut m = message(&env.user, &[&to], "BDAT large", "see the attachment\n");
    let mut rng = postfix_support::Rng::new(0xB0A7);
    m.attach_data(&rng.bytes(700 * 1024), Some("noise.bin"), None)
        .unwrap();
    let expected = bytes_of(&m, "bdat-large");
    let (mut c, log) = plain(&env, env.plain_port);
    c.send(&m).unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    c.quit().unwrap();
    let chunks = log.sent_verb("BDAT");
    assert!(chunks.len() >= 7, "{chunks:?}");
    let total: usize = chunks
        .iter()
        .map(|l| l.split(' ').nth(1).unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, expected.len(), "exact byte counts");
    assert!(chunks.last().unwrap().ends_with(" LAST"));
    // The first chunk went only after the RCPT reply.
    let rcpt_reply = position(&log, LogKind::Received, "250 2.1.5").unwrap();
    assert!(position(&log, LogKind::Sent, "BDAT").unwrap() > rcpt_reply);
    assert_same_bytes(&delivered_once(&env, &to), &expected, "delivered message");
}

#[test]
fn chunking_and_pipelining_can_be_switched_off() {
    let env = common::env();
    let to = addr("switches");
    let m = message(&env.user, &[&to], "switches", "..two dots\n");
    let expected = bytes_of(&m, "switches");
    let (mut c, log) = plain(&env, env.plain_port);
    c.set_chunking(false).unwrap();
    c.set_pipelining(false).unwrap();
    c.send(&m).unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    assert!(c.has_extension("CHUNKING") && c.has_extension("PIPELINING"));
    c.quit().unwrap();
    assert!(log.sent_verb("BDAT").is_empty(), "{}", log.dump());
    assert_eq!(log.sent_verb("DATA").len(), 1);
    // Without PIPELINING every command waited for its reply: sent and received
    // lines alternate from MAIL on.
    let entries = log.entries();
    let from = entries
        .iter()
        .position(|(k, l)| *k == LogKind::Sent && l.starts_with("MAIL"))
        .unwrap();
    let flow: Vec<LogKind> = entries[from..]
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| *k != LogKind::Info)
        .take(6)
        .collect();
    use LogKind::{Received as R, Sent as S};
    assert_eq!(flow, [S, R, S, R, S, R], "{}", log.dump());
    assert_same_bytes(&delivered_once(&env, &to), &expected, "delivered message");
}

fn batch_delivers_each_message_once(port: u16, tag: &str) {
    let env = common::env();
    let recipients: Vec<String> = (0..12).map(|i| addr(&format!("{tag}-{i}"))).collect();
    let messages: Vec<Message> = recipients
        .iter()
        .enumerate()
        .map(|(i, to)| {
            message(
                &env.user,
                &[to],
                &format!("{tag} {i}"),
                &format!("message {i}\n"),
            )
        })
        .collect();
    let refs: Vec<&Message> = messages.iter().collect();
    let (mut c, log) = plain(&env, port);
    let results = c.send_batch(&refs);
    c.quit().unwrap();
    assert_eq!(results.len(), 12);
    for (i, r) in results.iter().enumerate() {
        let report = r
            .as_ref()
            .unwrap_or_else(|e| panic!("message {i}: {e}\n{}", log.dump()));
        assert_eq!(report.final_code(), 250);
    }
    assert_eq!(
        log.mail_from_lines().len(),
        12,
        "one transaction per message"
    );
    for (m, to) in messages.iter().zip(&recipients) {
        assert_same_bytes(&delivered_once(&env, to), &bytes_of(m, tag), to);
    }
    let all: Vec<&str> = recipients.iter().map(String::as_str).collect();
    assert_delivery_counts(&env, &all, 1, Duration::from_millis(300));
}

#[test]
fn batch_over_bdat_delivers_each_message_once() {
    let env = common::env();
    batch_delivers_each_message_once(env.plain_port, "batch-bdat");
}

#[test]
fn batch_over_data_delivers_each_message_once() {
    let env = common::env();
    batch_delivers_each_message_once(env.nochunk_port, "batch-data");
}

#[test]
fn a_refused_message_does_not_stop_a_batch() {
    let env = common::env();
    let good = addr("batch-good");
    let messages = [
        message(&env.user, &[&env.rejected_rcpt], "refused", "x\n"),
        message(&env.user, &[&good], "good", "y\n"),
    ];
    let refs: Vec<&Message> = messages.iter().collect();
    let (mut c, log) = plain(&env, env.nochunk_port);
    let results = c.send_batch(&refs);
    let e = results[0].as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecipientsRejected, "{e}");
    assert_eq!(
        e.report().unwrap().recipients[0]
            .enhanced()
            .map(|e| e.to_string())
            .as_deref(),
        Some("5.1.1")
    );
    assert!(results[1].is_ok(), "{:?}\n{}", results[1], log.dump());
    assert!(c
        .last_error()
        .unwrap()
        .message()
        .starts_with("message 1 of 2: "));
    c.quit().unwrap();
    delivered_once(&env, &good);
}

#[test]
fn recipients_over_the_servers_limit_go_in_a_further_transaction() {
    let env = common::env();
    let limit = env.recipient_limit;
    let recipients: Vec<String> = (0..limit + 2)
        .map(|i| addr(&format!("limit-{i}")))
        .collect();
    let to: Vec<&str> = recipients.iter().map(String::as_str).collect();
    let m = message(&env.user, &to, "over the limit", "for everyone\n");
    let (mut c, log) = plain(&env, env.rcptlimit_port);
    let report = c.send(&m).unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    c.quit().unwrap();
    assert_eq!(
        report.recipients.len(),
        limit + 2,
        "each recipient reported once"
    );
    assert!(
        report
            .recipients
            .iter()
            .all(|r| r.delivered() && r.code == 250),
        "{report:?}"
    );
    assert_eq!(log.mail_from_lines().len(), 2, "{}", log.dump());
    let refused: Vec<String> = log
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("452"))
        .collect();
    assert_eq!(refused.len(), 2, "{}", log.dump());
    assert!(refused[0].contains("4.5.3"));
    for r in &to {
        delivered_once(&env, r);
    }
    assert_delivery_counts(&env, &to, 1, Duration::from_millis(300));
}

#[test]
fn dsn_success_report_reaches_the_senders_mailbox() {
    let env = common::env();
    let sender = addr("dsn-sender");
    let to = addr("dsn-rcpt");
    let original = addr("dsn-original");
    let envid = format!("ENV+{}", common::unique_local("id"));
    let mut m = message(&sender, &[&to], "DSN please", "report my delivery\n");
    m.set_dsn(Some(DsnReturn::Headers), Some(&envid), true)
        .unwrap();
    m.set_dsn_notify(Some(&to), Notify::SUCCESS, Some(&original))
        .unwrap();
    let (mut c, log) = plain(&env, env.plain_port);
    c.send(&m).unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    c.quit().unwrap();
    let mail = &log.mail_from_lines()[0];
    assert!(
        mail.contains(" RET=HDRS")
            && mail.contains(&format!(" ENVID={}", envid.replace('+', "+2B"))),
        "{mail}"
    );
    let rcpt = log.sent_verb("RCPT").pop().unwrap();
    assert!(
        rcpt.contains(" NOTIFY=SUCCESS") && rcpt.contains(" ORCPT=rfc822;"),
        "{rcpt}"
    );
    delivered_once(&env, &to);

    // Postfix sends the success report to the envelope sender.
    let reports = common::wait_for_deliveries(&env, &sender, 1, DELIVERY_TIMEOUT);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].sender, "", "reports come from the null sender");
    let text = String::from_utf8_lossy(&reports[0].data).into_owned();
    assert!(text.contains("message/delivery-status"), "{text}");
    assert!(
        text.contains(&format!("Original-Envelope-Id: {envid}")),
        "{text}"
    );
    assert!(text.contains("Action: delivered"), "{text}");
    assert!(
        text.to_lowercase()
            .contains(&format!("final-recipient: rfc822; {to}")),
        "{text}"
    );
    assert!(
        text.to_lowercase()
            .contains(&format!("original-recipient: rfc822;{original}")),
        "{text}"
    );
}

#[test]
fn etrn_is_answered() {
    let env = common::env();
    let (mut c, log) = plain(&env, env.plain_port);
    let reply = c
        .etrn(&env.etrn_domain)
        .unwrap_or_else(|e| panic!("{e}\n{}", log.dump()));
    assert_eq!(reply.code, 250, "{reply:?}");
    let e = c.etrn("not-flushed.example.test").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommandRejected, "{e}");
    assert_eq!(e.reply().map(|r| r.code), Some(459));
    assert!(c.is_connected(), "a refused ETRN keeps the session");
    c.noop().unwrap();
    c.quit().unwrap();
    assert_eq!(log.sent_verb("ETRN").len(), 2);
}
