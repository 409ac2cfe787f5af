//! TLS against a real Postfix: STARTTLS on the submission port, implicit TLS on
//! the SMTPS port, certificate and host name verification with the test CA, the
//! TLS-mode policies on ports with and without STARTTLS, and secrets kept out of
//! every text the library produces.
//!
//! Run with a mail server started by tests/setup/mailserver.sh:
//!     SMTPC_TEST_ENV=$D/env cargo test --test postfix_tls

mod common;
mod postfix_support;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use postfix_support::{
    addr, assert_same_bytes, client, client_for_host, received_with, AuthFilterProxy, Log,
    DELIVERY_TIMEOUT,
};
use smtpc::{Client, Error, ErrorKind, TlsMode};
use std::time::{Duration, Instant};

fn message(from: &str, to: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n\
         Message-ID: <{}@smtpc.test>\r\n\r\nTLS test body\r\n.leading dot\r\n",
        common::unique_local("tlsmsg")
    )
    .into_bytes()
}

/// Waits for exactly one message for `to`; returns (as sent, as stored).
fn one_delivered(env: &common::TestEnv, to: &str) -> (Vec<u8>, Vec<u8>) {
    let stored = common::wait_for_mail(env, to, DELIVERY_TIMEOUT);
    assert_eq!(stored.len(), 1, "expected exactly one message for {to}");
    let stored = stored.into_iter().next().unwrap();
    (common::as_sent(&stored), stored)
}

/// Sends one message through `c` (connected or not) and checks it arrived intact;
/// returns the stored copy.
fn send_and_check(env: &common::TestEnv, c: &mut Client, log: &Log, tag: &str) -> Vec<u8> {
    let to = addr(tag);
    let raw = message(&env.user, &to, tag);
    let report = c
        .send_raw(&env.user, &[to.as_str()], &raw)
        .unwrap_or_else(|e| panic!("{tag}: send failed: {e}\nlog:\n{}", log.dump()));
    assert_eq!(report.final_code(), 250, "{report:?}");
    let (sent, stored) = one_delivered(env, &to);
    assert_same_bytes(&sent, &raw, tag);
    stored
}

/// Index of the first sent line starting with `prefix` (case-insensitive).
fn sent_index(log: &Log, prefix: &str) -> Option<usize> {
    let prefix = prefix.to_ascii_uppercase();
    log.sent()
        .iter()
        .position(|l| l.to_ascii_uppercase().starts_with(&prefix))
}

// ---------------------------------------------------------------------------
// STARTTLS on the submission port

#[test]
fn submission_starttls_default_mode_with_ca_and_auth() {
    let env = common::env();
    // No set_tls: the default for a port other than 465 is required STARTTLS.
    let (mut c, log) = client(&env, env.submission_port, None);
    c.set_ca_file(&env.ca_file).unwrap();
    c.set_credentials(&env.user, &env.password).unwrap();
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    assert!(c.is_tls(), "the session is encrypted");
    assert!(c.has_extension("AUTH"), "AUTH is offered after TLS");
    assert!(
        !c.has_extension("STARTTLS"),
        "capabilities were re-read after TLS"
    );

    assert_eq!(log.sent_verb("STARTTLS").len(), 1, "{}", log.dump());
    assert_eq!(
        log.sent_verb("EHLO").len(),
        2,
        "EHLO before and after TLS:\n{}",
        log.dump()
    );
    let starttls = sent_index(&log, "STARTTLS").unwrap();
    let auth = sent_index(&log, "AUTH").expect("AUTH sent");
    assert!(auth > starttls, "AUTH only after STARTTLS:\n{}", log.dump());

    let stored = send_and_check(&env, &mut c, &log, "sub-starttls");
    c.quit().unwrap();
    assert_eq!(received_with(&stored), "ESMTPSA", "TLS + AUTH session");
}

#[test]
fn opportunistic_upgrades_when_starttls_is_offered() {
    let env = common::env();
    let (mut c, log) = client(
        &env,
        env.submission_port,
        Some(TlsMode::StartTlsOpportunistic),
    );
    c.set_ca_file(&env.ca_file).unwrap();
    c.set_credentials(&env.user, &env.password).unwrap();
    let stored = send_and_check(&env, &mut c, &log, "sub-opportunistic");
    assert!(c.is_tls());
    c.quit().unwrap();
    assert_eq!(received_with(&stored), "ESMTPSA");
}

// ---------------------------------------------------------------------------
// certificate and host name verification

#[test]
fn verification_fails_without_the_ca() {
    let env = common::env();
    let (mut c, log) = client(&env, env.submission_port, Some(TlsMode::StartTls));
    c.set_credentials(&env.user, &env.password).unwrap();
    let err = c
        .connect()
        .expect_err("the test CA is not trusted by default");
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}\nlog:\n{}", log.dump());
    assert!(
        err.message().to_ascii_lowercase().contains("certificate"),
        "the message says it is about the certificate: {}",
        err.message()
    );
    assert!(!c.is_connected());
    assert!(
        sent_index(&log, "AUTH").is_none(),
        "no AUTH:\n{}",
        log.dump()
    );
    assert!(log.mail_from_lines().is_empty());
}

#[test]
fn verification_fails_with_a_wrong_server_name() {
    let env = common::env();
    let (mut c, log) = client(&env, env.submission_port, Some(TlsMode::StartTls));
    c.set_ca_file(&env.ca_file).unwrap();
    c.set_tls_server_name("wrong.example").unwrap();
    c.set_credentials(&env.user, &env.password).unwrap();
    let err = c
        .connect()
        .expect_err("the certificate is not for wrong.example");
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}\nlog:\n{}", log.dump());
    assert!(!c.is_connected());
    assert!(
        sent_index(&log, "AUTH").is_none(),
        "no AUTH:\n{}",
        log.dump()
    );
}

#[test]
fn verification_passes_for_ip_san_and_dns_san() {
    let env = common::env();
    for host in ["127.0.0.1", "localhost"] {
        let (mut c, log) = client_for_host(host, env.submission_port, Some(TlsMode::StartTls));
        c.set_ca_file(&env.ca_file).unwrap();
        c.set_credentials(&env.user, &env.password).unwrap();
        c.connect()
            .unwrap_or_else(|e| panic!("{host}: connect failed: {e}\nlog:\n{}", log.dump()));
        assert!(c.is_tls(), "{host}");
        let stored = send_and_check(&env, &mut c, &log, &format!("san-{host}"));
        c.quit().unwrap();
        assert_eq!(received_with(&stored), "ESMTPSA", "{host}");
    }
}

#[test]
fn server_name_override_matching_the_certificate_passes() {
    let env = common::env();
    // Connect by IP, verify the DNS name: the override is actually used.
    let (mut c, log) = client(&env, env.submission_port, Some(TlsMode::StartTls));
    c.set_ca_file(&env.ca_file).unwrap();
    c.set_tls_server_name("localhost").unwrap();
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    assert!(c.is_tls());
    c.quit().unwrap();
}

#[test]
fn accept_invalid_certs_without_ca_passes() {
    let env = common::env();
    let (mut c, log) = client(&env, env.submission_port, Some(TlsMode::StartTls));
    c.set_accept_invalid_certs(true).unwrap();
    c.set_credentials(&env.user, &env.password).unwrap();
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    assert!(c.is_tls());
    let stored = send_and_check(&env, &mut c, &log, "insecure");
    c.quit().unwrap();
    assert_eq!(received_with(&stored), "ESMTPSA");
}

// ---------------------------------------------------------------------------
// implicit TLS, and the wrong mode for a port

#[test]
fn implicit_tls_on_the_smtps_port() {
    let env = common::env();
    let (mut c, log) = client(&env, env.smtps_port, Some(TlsMode::Implicit));
    c.set_ca_file(&env.ca_file).unwrap();
    c.set_credentials(&env.user, &env.password).unwrap();
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    assert!(c.is_tls());
    assert!(log.sent_verb("STARTTLS").is_empty(), "{}", log.dump());
    assert_eq!(log.sent_verb("EHLO").len(), 1, "{}", log.dump());
    let stored = send_and_check(&env, &mut c, &log, "smtps");
    c.quit().unwrap();
    assert_eq!(received_with(&stored), "ESMTPSA");
}

/// Connects with 2 s timeouts and returns the error and how long it took.
fn failing_connect(
    host: &str,
    port: u16,
    mode: TlsMode,
    ca: &std::path::Path,
) -> (Error, Duration, Log) {
    let (mut c, log) = client_for_host(host, port, Some(mode));
    c.set_timeouts(Duration::from_secs(2), Duration::from_secs(2))
        .unwrap();
    c.set_ca_file(ca).unwrap();
    let started = Instant::now();
    let err = c.connect().expect_err("wrong TLS mode for the port");
    let took = started.elapsed();
    assert!(!c.is_connected());
    (err, took, log)
}

#[test]
fn starttls_mode_on_the_smtps_port_fails_fast() {
    let env = common::env();
    let (err, took, log) =
        failing_connect(&env.host, env.smtps_port, TlsMode::StartTls, &env.ca_file);
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Timeout | ErrorKind::Protocol | ErrorKind::Tls
        ),
        "kind {:?}: {err}\nlog:\n{}",
        err.kind(),
        log.dump()
    );
    assert!(took < Duration::from_secs(8), "took {took:?}: {err}");
    assert!(!err.message().is_empty());
}

#[test]
fn implicit_mode_on_the_submission_port_fails_with_tls() {
    let env = common::env();
    let (err, took, log) = failing_connect(
        &env.host,
        env.submission_port,
        TlsMode::Implicit,
        &env.ca_file,
    );
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}\nlog:\n{}", log.dump());
    assert!(took < Duration::from_secs(8), "took {took:?}: {err}");
}

// ---------------------------------------------------------------------------
// TLS policies on a port without STARTTLS, and AUTH before TLS

#[test]
fn starttls_required_on_the_plain_port_is_tls_unavailable() {
    let env = common::env();
    let (mut c, log) = client(&env, env.plain_port, Some(TlsMode::StartTls));
    c.set_ca_file(&env.ca_file).unwrap();
    c.set_credentials(&env.user, &env.password).unwrap();
    let to = addr("plain-required");
    let err = c
        .send_raw(&env.user, &[to.as_str()], &message(&env.user, &to, "x"))
        .expect_err("no STARTTLS on the plain port");
    assert_eq!(
        err.kind(),
        ErrorKind::TlsUnavailable,
        "{err}\nlog:\n{}",
        log.dump()
    );
    assert!(sent_index(&log, "AUTH").is_none(), "{}", log.dump());
    assert!(log.mail_from_lines().is_empty(), "{}", log.dump());
    common::assert_no_mail(&env, &to, Duration::from_secs(1));
}

#[test]
fn opportunistic_on_the_plain_port_refuses_credentials_in_clear() {
    let env = common::env();
    let (mut c, log) = client(&env, env.plain_port, Some(TlsMode::StartTlsOpportunistic));
    c.set_credentials(&env.user, &env.password).unwrap();
    let err = c.connect().expect_err("credentials would travel in clear");
    assert_eq!(
        err.kind(),
        ErrorKind::AuthUnavailable,
        "{err}\nlog:\n{}",
        log.dump()
    );
    assert!(
        sent_index(&log, "AUTH").is_none(),
        "no AUTH line:\n{}",
        log.dump()
    );
    assert!(!c.is_connected());
}

#[test]
fn opportunistic_on_the_plain_port_without_credentials_delivers() {
    let env = common::env();
    let (mut c, log) = client(&env, env.plain_port, Some(TlsMode::StartTlsOpportunistic));
    let stored = send_and_check(&env, &mut c, &log, "plain-opportunistic");
    assert!(!c.is_tls(), "no TLS on the plain port");
    c.quit().unwrap();
    assert_eq!(received_with(&stored), "ESMTP", "neither TLS nor AUTH");
}

#[test]
fn none_mode_on_the_submission_port_is_auth_unavailable() {
    let env = common::env();
    let (mut c, log) = client(&env, env.submission_port, Some(TlsMode::None));
    c.set_credentials(&env.user, &env.password).unwrap();
    let err = c
        .connect()
        .expect_err("Postfix offers AUTH only after TLS there");
    assert_eq!(
        err.kind(),
        ErrorKind::AuthUnavailable,
        "{err}\nlog:\n{}",
        log.dump()
    );
    assert!(sent_index(&log, "AUTH").is_none(), "{}", log.dump());
    assert!(log.sent_verb("STARTTLS").is_empty(), "{}", log.dump());
}

// ---------------------------------------------------------------------------
// secrets

/// Every form in which a password can leak: itself, its base64, and the AUTH
/// PLAIN response that carries it.
fn secret_forms(user: &str, password: &str) -> Vec<String> {
    let plain = format!("\0{user}\0{password}");
    vec![
        password.to_string(),
        STANDARD.encode(password),
        STANDARD_NO_PAD.encode(password),
        STANDARD.encode(&plain),
        STANDARD_NO_PAD.encode(&plain),
    ]
}

/// Every text a caller can see after one operation on `c`.
fn visible_texts(c: &Client, log: &Log, result: Option<&Error>) -> Vec<String> {
    let mut texts = log.lines();
    let mut add_error = |e: &Error| {
        texts.push(e.message().to_string());
        texts.push(e.to_string());
        texts.push(format!("{e:?}"));
        if let Some(r) = e.reply() {
            texts.push(r.text());
            texts.push(r.one_line());
        }
        if let Some(report) = e.report() {
            texts.push(format!("{report:?}"));
        }
    };
    if let Some(e) = result {
        add_error(e);
    }
    if let Some(e) = c.last_error() {
        add_error(e);
    }
    if let Some(r) = c.last_reply() {
        texts.push(r.text());
        texts.push(r.one_line());
        texts.push(format!("{r:?}"));
    }
    texts
}

struct Scenario {
    name: String,
    texts: Vec<String>,
    secrets: Vec<String>,
}

/// Runs one login (and, when it succeeds, one send) and collects what is visible.
fn login_scenario(
    env: &common::TestEnv,
    name: &str,
    (host, port, mode): (&str, u16, TlsMode),
    (user, password): (&str, &str),
    expect: Result<(), ErrorKind>,
) -> (Scenario, Log) {
    let (mut c, log) = client_for_host(host, port, Some(mode));
    c.set_ca_file(&env.ca_file).unwrap();
    c.set_credentials(user, password).unwrap();
    let mut texts = Vec::new();
    match (c.connect(), expect) {
        (Ok(()), Ok(())) => {
            texts.extend(visible_texts(&c, &log, None));
            let to = addr(&format!("secret-{name}"));
            let report = c
                .send_raw(user, &[to.as_str()], &message(user, &to, name))
                .unwrap_or_else(|e| panic!("{name}: send failed: {e}\n{}", log.dump()));
            texts.push(format!("{report:?}"));
            texts.push(report.final_text());
            texts.extend(visible_texts(&c, &log, None));
            c.quit().unwrap();
            one_delivered(env, &to);
        }
        (Err(e), Err(kind)) => {
            assert_eq!(e.kind(), kind, "{name}: {e}\nlog:\n{}", log.dump());
            texts.extend(visible_texts(&c, &log, Some(&e)));
        }
        (got, want) => panic!(
            "{name}: connect gave {:?}, expected {want:?}\nlog:\n{}",
            got.map_err(|e| e.to_string()),
            log.dump()
        ),
    }
    texts.extend(visible_texts(&c, &log, None));
    let scenario = Scenario {
        name: name.to_string(),
        texts,
        secrets: secret_forms(user, password),
    };
    (scenario, log)
}

#[test]
fn passwords_never_appear_in_logs_errors_or_replies() {
    let env = common::env();
    let host = env.host.clone();
    let wrong = "Wr0ng-p@ssw0rd-for-leak-test";
    let mut scenarios = Vec::new();
    // Which mechanism Postfix/Dovecot offer decides what the client may use.
    let mut offered = {
        let (mut c, log) = client(&env, env.plain_port, Some(TlsMode::None));
        c.connect()
            .unwrap_or_else(|e| panic!("connect: {e}\n{}", log.dump()));
        let mechs: Vec<String> = ["PLAIN", "LOGIN", "CRAM-MD5"]
            .iter()
            .filter(|m| {
                log.lines().iter().any(|l| {
                    let u = l.to_ascii_uppercase();
                    (u.starts_with("250-AUTH") || u.starts_with("250 AUTH"))
                        && u.split([' ', '=']).any(|w| w == **m)
                })
            })
            .map(|m| m.to_string())
            .collect();
        c.quit().unwrap();
        mechs
    };
    assert!(
        offered.contains(&"PLAIN".to_string()),
        "Postfix offers PLAIN: {offered:?}"
    );
    offered.retain(|m| m == "PLAIN" || m == "LOGIN");

    // Direct: plain port (no TLS) and submission (STARTTLS), good and bad.
    for (name, port, mode) in [
        ("plain", env.plain_port, TlsMode::None),
        ("submission", env.submission_port, TlsMode::StartTls),
        ("smtps", env.smtps_port, TlsMode::Implicit),
    ] {
        for (user, password) in [
            (env.user.as_str(), env.password.as_str()),
            (env.utf8_user.as_str(), env.utf8_password.as_str()),
        ] {
            let (s, _) = login_scenario(
                &env,
                &format!("{name}-good"),
                (&host, port, mode),
                (user, password),
                Ok(()),
            );
            scenarios.push(s);
        }
        let (s, _) = login_scenario(
            &env,
            &format!("{name}-wrong"),
            (&host, port, mode),
            (&env.user, wrong),
            Err(ErrorKind::AuthFailed),
        );
        scenarios.push(s);
    }

    // Each mechanism forced through a relay that offers only that one; the relay
    // also shows the secret really went over the wire (so the check below looks
    // at a real exchange).
    for mech in &offered {
        let proxy = AuthFilterProxy::start(&host, env.plain_port, mech);
        for (user, password, expect) in [
            (env.user.as_str(), env.password.as_str(), Ok(())),
            (env.utf8_user.as_str(), env.utf8_password.as_str(), Ok(())),
            (env.user.as_str(), wrong, Err(ErrorKind::AuthFailed)),
        ] {
            let name = format!(
                "{mech}-via-relay-{}",
                if expect.is_ok() { "good" } else { "wrong" }
            );
            let (s, log) = login_scenario(
                &env,
                &name,
                ("127.0.0.1", proxy.port, TlsMode::None),
                (user, password),
                expect,
            );
            let auth = log.sent_verb("AUTH");
            assert!(
                auth.first()
                    .is_some_and(|l| l.to_ascii_uppercase().starts_with(&format!("AUTH {mech}"))),
                "{name}: the client used {mech}: {auth:?}"
            );
            let wire = String::from_utf8_lossy(&proxy.client_bytes()).to_string();
            let on_wire = match mech.as_str() {
                "LOGIN" => STANDARD.encode(password),
                _ => STANDARD.encode(format!("\0{user}\0{password}")),
            };
            assert!(
                wire.contains(&on_wire),
                "{name}: the relay saw the {mech} response on the wire"
            );
            scenarios.push(s);
        }
    }

    let mut leaks = Vec::new();
    for s in &scenarios {
        assert!(!s.texts.is_empty(), "{}: nothing collected", s.name);
        for text in &s.texts {
            for secret in &s.secrets {
                if text.contains(secret.as_str()) {
                    leaks.push(format!("{}: {secret:?} in {text:?}", s.name));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
    assert!(scenarios.len() >= 12, "{} scenarios ran", scenarios.len());
}
