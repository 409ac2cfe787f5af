//! Concurrency against a real Postfix, judged by what arrived in the maildir:
//!
//! - many threads, each with its own `Client` reusing its session, send messages
//!   with unique tags: each is delivered exactly once with its bytes intact;
//! - one `Message` shared by 8 threads sending at once (`Message` is `Sync`): every
//!   copy arrives and all are byte-identical;
//! - `CancelHandle::cancel` from another thread at random moments of a 20 MB send
//!   (BDAT on the plain port, DATA on the port without CHUNKING): no crash, no
//!   hang, no truncated delivery, every success arrived, and a `Cancelled` result
//!   was never delivered (once the whole message was sent the outcome is
//!   `UnknownOutcome`, not `Cancelled`).
//!
//! Run with a mail server started by tests/setup/mailserver.sh:
//!     SMTPC_TEST_ENV=$D/env cargo test --release --test concurrency -- --nocapture
//!
//! Sizes: by default 16 threads x 25 messages and 10 cancels (CI). With
//! `SMTPC_CONCURRENCY_FULL=1`: 16 x 100 messages and 40 cancels. Override each with
//! `SMTPC_CONCURRENCY_PER_THREAD=N` and `SMTPC_CONCURRENCY_CANCELS=N`; the cancel
//! delays come from `SMTPC_CONCURRENCY_SEED` (printed in the output).

mod common;
mod postfix_support;

use common::TestEnv;
use postfix_support::{assert_same_bytes, header_values, plain_client, Rng};
use smtpc::{Client, ErrorKind, Message, Report};
use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Shared helpers

/// The tests of this file run one at a time: each loads the server on its own, so
/// timings mean something and "the queue is empty" means "my mail has settled".
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn full_run() -> bool {
    std::env::var("SMTPC_CONCURRENCY_FULL").is_ok_and(|v| v == "1")
}

/// A number from the environment, else the CI or the full default.
fn size_from_env(var: &str, ci: usize, full: usize) -> usize {
    match std::env::var(var) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{var}={v} is not a number")),
        Err(_) if full_run() => full,
        Err(_) => ci,
    }
}

/// The exact bytes `m` is sent as (before dot-stuffing).
fn rendered(m: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    m.open()
        .expect("open message")
        .read_to_end(&mut out)
        .expect("render message");
    out
}

/// The finished deliveries (`*.eml`) for `recipient`, by path, without reading them.
fn delivered_paths(env: &TestEnv, recipient: &str) -> Vec<PathBuf> {
    let dir = common::mailbox_dir(env, recipient);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.ends_with(".eml") && !name.starts_with('.')
        })
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths
}

fn count_delivered(env: &TestEnv, recipients: &[String]) -> usize {
    recipients
        .iter()
        .map(|r| delivered_paths(env, r).len())
        .sum()
}

/// Files in Postfix's queue (incoming, active, deferred, hold, maildrop), or None
/// when the queue cannot be read.
fn queued_files(env: &TestEnv) -> Option<usize> {
    fn count(dir: &Path) -> Option<usize> {
        let mut n = 0;
        for entry in fs::read_dir(dir).ok()? {
            let entry = entry.ok()?;
            let kind = entry.file_type().ok()?;
            if kind.is_dir() {
                n += count(&entry.path())?;
            } else {
                n += 1;
            }
        }
        Some(n)
    }
    let spool = env.state_dir.join("postfix").join("spool");
    let mut total = 0;
    for d in ["maildrop", "incoming", "active", "deferred", "hold"] {
        total += count(&spool.join(d))?;
    }
    Some(total)
}

/// Waits (at most `limit`) until Postfix's queue is empty, so that every message it
/// took in has been delivered or dropped; then a little more for the last delivery
/// script to rename its file. Falls back to waiting `limit` when the queue cannot
/// be read.
fn wait_for_empty_queue(env: &TestEnv, limit: Duration) {
    let start = Instant::now();
    loop {
        match queued_files(env) {
            Some(0) => break,
            Some(n) if start.elapsed() >= limit => {
                eprintln!("note: {n} file(s) still in Postfix's queue after {limit:?}");
                break;
            }
            None if start.elapsed() >= limit => break,
            _ => thread::sleep(Duration::from_millis(50)),
        }
    }
    thread::sleep(Duration::from_millis(300));
}

/// Waits until `recipients` together have at least `want` deliveries; panics after
/// `timeout` with the count and the log.
fn wait_for_total(env: &TestEnv, recipients: &[String], want: usize, timeout: Duration) {
    let start = Instant::now();
    loop {
        let got = count_delivered(env, recipients);
        if got >= want {
            return;
        }
        if start.elapsed() >= timeout {
            panic!(
                "waited {timeout:?} for {want} deliveries, {got} arrived\n{}",
                common::log_excerpt(env, "status=")
            );
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Printable body lines (some starting with a dot) of about `size` bytes, with the
/// tag on the first line. LF line ends, as a caller would write them.
fn body_text(tag: &str, seed: u64, size: usize) -> String {
    let lines = postfix_support::printable_lines(seed, size);
    let text = String::from_utf8(lines).expect("printable ASCII");
    format!(
        "tag {tag}\n.{tag} with a leading dot\n{}",
        text.replace("\r\n", "\n")
    )
}

// ---------------------------------------------------------------------------
// 1. Many threads, each with its own client

/// One message of the many-threads test.
struct Sent {
    thread: usize,
    index: usize,
    expected: Vec<u8>,
}

#[test]
fn sixteen_threads_each_with_own_client_deliver_every_message_exactly_once_intact() {
    let _serial = serial();
    let env = common::env();
    const THREADS: usize = 16;
    let per_thread = size_from_env("SMTPC_CONCURRENCY_PER_THREAD", 25, 100);
    let total = THREADS * per_thread;
    let recipients: Vec<String> = (0..THREADS)
        .map(|t| postfix_support::addr(&format!("conc-t{t}")))
        .collect();
    let started = Instant::now();
    let barrier = Arc::new(Barrier::new(THREADS));

    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let env = env.clone();
            let to = recipients[t].clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                let (mut client, log) = plain_client(&env);
                let mut sent: Vec<(String, Sent)> = Vec::new();
                let mut failures: Vec<String> = Vec::new();
                barrier.wait();
                for i in 0..per_thread {
                    let tag = common::unique_local(&format!("t{t}-m{i}"));
                    let mut m = Message::new();
                    m.set_from(None, &env.user).unwrap();
                    m.add_to(None, &to).unwrap();
                    m.set_subject(&format!("concurrency {tag}")).unwrap();
                    m.add_header("Date", "Thu, 01 Jan 2026 00:00:00 +0000")
                        .unwrap();
                    m.add_header("Message-ID", &format!("<{tag}@smtpc.test>"))
                        .unwrap();
                    let seed = (t * 100_000 + i) as u64 + 1;
                    // Mostly small (one BDAT LAST); one in 25 over 64 KiB (chunks).
                    let size = if i % 25 == 7 {
                        80 * 1024
                    } else {
                        200 + (seed as usize * 7919) % 3800
                    };
                    m.set_text(&body_text(&tag, seed, size)).unwrap();
                    let expected = rendered(&m);
                    match client.send(&m) {
                        Ok(report) if report.final_code() == 250 => {}
                        Ok(report) => failures.push(format!(
                            "thread {t} message {i}: final reply {} {}",
                            report.final_code(),
                            report.final_text()
                        )),
                        Err(e) => failures.push(format!(
                            "thread {t} message {i}: {:?}: {e}\n{}",
                            e.kind(),
                            log.dump()
                        )),
                    }
                    sent.push((
                        tag,
                        Sent {
                            thread: t,
                            index: i,
                            expected,
                        },
                    ));
                }
                let connects = log
                    .lines()
                    .iter()
                    .filter(|l| l.starts_with("connected to"))
                    .count();
                if let Err(e) = client.quit() {
                    failures.push(format!("thread {t}: quit: {e}"));
                }
                (sent, failures, connects)
            })
        })
        .collect();

    let mut expected: HashMap<String, Sent> = HashMap::new();
    let mut failures = Vec::new();
    let mut connects = Vec::new();
    for w in workers {
        let (sent, f, c) = w.join().expect("a sending thread panicked");
        expected.extend(sent);
        failures.extend(f);
        connects.push(c);
    }
    let send_time = started.elapsed();
    assert!(
        failures.is_empty(),
        "{} of {total} sends failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(expected.len(), total, "every tag is unique");

    // Bounded wait for all deliveries, then for the queue to drain, so that a late
    // duplicate would be counted too.
    wait_for_total(
        &env,
        &recipients,
        total,
        Duration::from_secs(60) + Duration::from_millis(100 * total as u64),
    );
    wait_for_empty_queue(&env, Duration::from_secs(30));
    let delivery_time = started.elapsed();

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    for (t, to) in recipients.iter().enumerate() {
        for path in delivered_paths(&env, to) {
            let data = fs::read(&path).unwrap();
            let ids = header_values(&data, "Message-ID");
            let Some(tag) = ids
                .first()
                .and_then(|id| id.strip_prefix('<'))
                .and_then(|id| id.strip_suffix("@smtpc.test>"))
            else {
                problems.push(format!(
                    "{}: no Message-ID of ours: {ids:?}",
                    path.display()
                ));
                continue;
            };
            *seen.entry(tag.to_string()).or_default() += 1;
            match expected.get(tag) {
                None => problems.push(format!("{}: unknown tag {tag}", path.display())),
                Some(sent) if sent.thread != t => problems.push(format!(
                    "{}: message {} of thread {} arrived for thread {t}'s recipient",
                    path.display(),
                    sent.index,
                    sent.thread
                )),
                Some(sent) => {
                    let got = common::as_sent(&data);
                    if got != sent.expected {
                        problems.push(format!(
                            "{}: thread {} message {}: {}",
                            path.display(),
                            sent.thread,
                            sent.index,
                            postfix_support::first_difference(&got, &sent.expected)
                        ));
                    }
                }
            }
        }
    }
    let mut lost: Vec<String> = Vec::new();
    let mut duplicated: Vec<String> = Vec::new();
    for (tag, sent) in &expected {
        match seen.get(tag).copied().unwrap_or(0) {
            1 => {}
            0 => lost.push(format!("thread {} message {}", sent.thread, sent.index)),
            n => duplicated.push(format!(
                "thread {} message {} x{n}",
                sent.thread, sent.index
            )),
        }
    }
    lost.sort();
    duplicated.sort();
    eprintln!(
        "concurrency: {THREADS} threads x {per_thread} = {total} messages sent in {:.1} s, \
         all delivered and checked after {:.1} s; connections per thread: {connects:?}",
        send_time.as_secs_f64(),
        delivery_time.as_secs_f64()
    );
    assert!(
        lost.is_empty() && duplicated.is_empty() && problems.is_empty(),
        "lost {}: {lost:?}\nduplicated {}: {duplicated:?}\nproblems:\n{}",
        lost.len(),
        duplicated.len(),
        problems.join("\n")
    );
    // Each client reused its session: one connection per thread.
    assert!(
        connects.iter().all(|&c| c == 1),
        "connections per thread: {connects:?}"
    );
}

// ---------------------------------------------------------------------------
// 2. One message shared by 8 threads

const SHARED_THREADS: usize = 8;

fn assert_send_sync<T: Send + Sync>() {}

/// A message with a text body, an HTML body and an attachment, without a Date or
/// Message-ID of its own: the threads race to generate them (and the MIME
/// boundary) on first use, and must all get the same ones.
fn shared_message(env: &TestEnv, to: &[String], tag: &str) -> Message {
    let mut m = Message::new();
    m.set_from(Some("Shared Sender"), &env.user).unwrap();
    for r in to {
        m.add_to(None, r).unwrap();
    }
    m.set_subject(&format!("shared message {tag} 共享"))
        .unwrap();
    m.set_text(&body_text(tag, 0x5EED, 20_000)).unwrap();
    m.set_html(&format!("<p>shared <b>{tag}</b></p>\n"))
        .unwrap();
    let mut rng = Rng::new(0xC0FFEE);
    m.attach_data(&rng.bytes(150 * 1024), Some("shared.bin"), None)
        .unwrap();
    m
}

/// Reads every delivery of each recipient (waiting for `per_recipient` of each),
/// waits for the queue to drain and checks the counts did not grow.
fn collect_exact(env: &TestEnv, recipients: &[String], per_recipient: usize) -> Vec<Vec<u8>> {
    wait_for_total(
        env,
        recipients,
        recipients.len() * per_recipient,
        Duration::from_secs(60),
    );
    wait_for_empty_queue(env, Duration::from_secs(20));
    let mut out = Vec::new();
    for r in recipients {
        let paths = delivered_paths(env, r);
        assert_eq!(paths.len(), per_recipient, "deliveries for {r}");
        for p in paths {
            out.push(fs::read(&p).unwrap());
        }
    }
    out
}

#[test]
fn one_message_sent_by_8_threads_at_once_arrives_8_times_for_each_recipient_identical() {
    assert_send_sync::<Message>();
    assert_send_sync::<Client>();
    let _serial = serial();
    let env = common::env();
    // The envelope comes from the message, so every send goes to all its
    // recipients: 8 sends x 8 recipients.
    let recipients: Vec<String> = (0..SHARED_THREADS)
        .map(|i| postfix_support::addr(&format!("shared-send-{i}")))
        .collect();
    let tag = common::unique_local("shared-send");
    let message = shared_message(&env, &recipients, &tag);
    let barrier = Barrier::new(SHARED_THREADS);
    let results: Vec<Result<Report, String>> = thread::scope(|s| {
        let handles: Vec<_> = (0..SHARED_THREADS)
            .map(|_| {
                let (message, barrier, env) = (&message, &barrier, &env);
                s.spawn(move || {
                    let (mut client, log) = plain_client(env);
                    client.connect().map_err(|e| format!("connect: {e}"))?;
                    barrier.wait();
                    let report = client
                        .send(message)
                        .map_err(|e| format!("{:?}: {e}\n{}", e.kind(), log.dump()))?;
                    client.quit().map_err(|e| format!("quit: {e}"))?;
                    Ok(report)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a sending thread panicked"))
            .collect()
    });
    for (i, r) in results.iter().enumerate() {
        let report = r.as_ref().unwrap_or_else(|e| panic!("thread {i}: {e}"));
        assert_eq!(report.final_code(), 250, "thread {i}");
        assert_eq!(report.accepted_count(), SHARED_THREADS, "thread {i}");
    }
    // Rendered after the race: the values generated during it are kept.
    let expected = rendered(&message);
    let copies = collect_exact(&env, &recipients, SHARED_THREADS);
    assert_eq!(copies.len(), SHARED_THREADS * SHARED_THREADS);
    for (i, stored) in copies.iter().enumerate() {
        assert_same_bytes(
            &common::as_sent(stored),
            &expected,
            &format!("copy {i} (recipient {})", recipients[i / SHARED_THREADS]),
        );
    }
}

#[test]
fn one_message_rendered_by_8_threads_at_once_sent_to_each_threads_own_recipient_identical() {
    let _serial = serial();
    let env = common::env();
    let recipients: Vec<String> = (0..SHARED_THREADS)
        .map(|i| postfix_support::addr(&format!("shared-own-{i}")))
        .collect();
    let tag = common::unique_local("shared-own");
    // The header lists every recipient; each thread sends it to its own only.
    let message = shared_message(&env, &recipients, &tag);
    let barrier = Barrier::new(SHARED_THREADS);
    let results: Vec<Result<(Vec<u8>, Report), String>> = thread::scope(|s| {
        let handles: Vec<_> = recipients
            .iter()
            .map(|to| {
                let (message, barrier, env) = (&message, &barrier, &env);
                s.spawn(move || {
                    let (mut client, log) = plain_client(env);
                    client.connect().map_err(|e| format!("connect: {e}"))?;
                    barrier.wait();
                    // All 8 open the shared message at once (the first open fixes
                    // its Date, Message-ID and boundary).
                    let bytes = rendered(message);
                    let report = client
                        .send_raw(&env.user, &[to], &bytes)
                        .map_err(|e| format!("{:?}: {e}\n{}", e.kind(), log.dump()))?;
                    client.quit().map_err(|e| format!("quit: {e}"))?;
                    Ok((bytes, report))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a sending thread panicked"))
            .collect()
    });
    let expected = rendered(&message);
    for (i, r) in results.iter().enumerate() {
        let (bytes, report) = r.as_ref().unwrap_or_else(|e| panic!("thread {i}: {e}"));
        assert_same_bytes(bytes, &expected, &format!("thread {i}'s rendering"));
        assert_eq!(report.final_code(), 250, "thread {i}");
        assert_eq!(report.accepted_count(), 1, "thread {i}");
    }
    let copies = collect_exact(&env, &recipients, 1);
    for (i, stored) in copies.iter().enumerate() {
        assert_same_bytes(
            &common::as_sent(stored),
            &expected,
            &format!("copy for {}", recipients[i]),
        );
    }
}

// ---------------------------------------------------------------------------
// 3. Cancel at random moments of a 20 MB send

/// How a cancel was timed.
#[derive(Clone, Copy, Debug)]
enum CancelAt {
    /// This long after the send was started.
    AfterStart(Duration),
    /// This long after the progress callback reported the whole body handed over.
    AfterBody(Duration),
}

/// What a send returned: its report, or the error's kind and text.
type Outcome = Result<Report, (ErrorKind, String)>;

/// The outcome of one cancelled send.
struct Attempt {
    to: String,
    /// "BDAT" or "DATA".
    via: &'static str,
    at: CancelAt,
    outcome: Outcome,
    /// Whether the progress callback saw the whole body (before the call returned).
    body_done: bool,
    message: Message,
}

const CANCEL_BOUND: Duration = Duration::from_secs(15);
const CALL_BOUND: Duration = Duration::from_secs(60);

fn big_message(env: &TestEnv, to: &str, attachment: &Path) -> Message {
    let mut m = Message::new();
    m.set_from(None, &env.user).unwrap();
    m.add_to(None, to).unwrap();
    m.set_subject(&format!("cancel {to}")).unwrap();
    m.add_header("Date", "Thu, 01 Jan 2026 00:00:00 +0000")
        .unwrap();
    m.add_header(
        "Message-ID",
        &format!("<{}@smtpc.test>", common::unique_local("cancel")),
    )
    .unwrap();
    m.set_text("20 MB of noise attached.\n").unwrap();
    m.attach_file(attachment, Some("noise.bin"), None).unwrap();
    m
}

/// Sends `m` on `client` in a worker thread while this thread cancels it as `at`
/// says. Returns the client, the outcome and whether the body was all handed over;
/// panics if the call does not return within the bounds.
fn send_and_cancel(
    mut client: Client,
    m: Message,
    at: CancelAt,
) -> (Client, Message, Outcome, bool) {
    let cancel = client.cancel_handle();
    let (body_tx, body_rx) = mpsc::channel::<()>();
    client.set_progress_callback(Some(Box::new(move |sent, total| {
        if total > 0 && sent >= total {
            let _ = body_tx.send(());
        }
        false
    })));
    let (done_tx, done_rx) = mpsc::channel();
    let started = Instant::now();
    let worker = thread::spawn(move || {
        let outcome = client
            .send(&m)
            .map_err(|e| (e.kind(), e.message().to_string()));
        client.set_progress_callback(None);
        let _ = done_tx.send(());
        (client, m, outcome)
    });
    let body_done;
    let mut cancelled_at = None;
    let mut finished = false;
    match at {
        CancelAt::AfterStart(delay) => {
            // Cancel unless the call ended first.
            match done_rx.recv_timeout(delay) {
                Ok(()) => finished = true,
                Err(_) => {
                    cancel.cancel();
                    cancelled_at = Some(Instant::now());
                }
            }
            body_done = body_rx.try_recv().is_ok();
        }
        CancelAt::AfterBody(delay) => {
            body_done = body_rx.recv_timeout(CALL_BOUND).is_ok();
            thread::sleep(delay);
            cancel.cancel();
            cancelled_at = Some(Instant::now());
        }
    }
    if !finished {
        let bound = cancelled_at.map_or(CALL_BOUND, |_| CANCEL_BOUND);
        let from = cancelled_at.unwrap_or(started);
        let left = bound.saturating_sub(from.elapsed());
        if done_rx.recv_timeout(left).is_err() {
            panic!(
                "the send did not return within {bound:?} of {} ({at:?})",
                if cancelled_at.is_some() {
                    "the cancel"
                } else {
                    "its start"
                }
            );
        }
    }
    let (client, m, outcome) = worker.join().expect("the sending thread panicked");
    (client, m, outcome, body_done)
}

#[test]
fn cancel_at_random_moments_of_a_20_mb_send_never_truncates_never_hangs_and_cancelled_is_never_delivered(
) {
    let _serial = serial();
    let env = common::env();
    let rounds = size_from_env("SMTPC_CONCURRENCY_CANCELS", 10, 40);
    let seed: u64 = match std::env::var("SMTPC_CONCURRENCY_SEED") {
        Ok(v) => v.parse().expect("SMTPC_CONCURRENCY_SEED is not a number"),
        Err(_) => 0x5EED_CA9C,
    };
    let mut rng = Rng::new(seed);

    let dir = std::env::temp_dir().join(common::unique_local("smtpc-cancel"));
    fs::create_dir_all(&dir).unwrap();
    let attachment = dir.join("noise.bin");
    fs::write(&attachment, Rng::new(0x20AB).bytes(20 * 1024 * 1024)).unwrap();

    // A full send first: it must arrive complete, and its duration sets the range
    // of the random delays.
    let (mut client, log) = plain_client(&env);
    let to = postfix_support::addr("cancel-full");
    let full = big_message(&env, &to, &attachment);
    let t0 = Instant::now();
    let report = client
        .send(&full)
        .unwrap_or_else(|e| panic!("uncancelled 20 MB send: {e}\n{}", log.dump()));
    let full_time = t0.elapsed();
    assert_eq!(report.final_code(), 250);
    let stored = common::wait_for_mail(&env, &to, Duration::from_secs(60));
    assert_eq!(stored.len(), 1);
    let expected_full = rendered(&full);
    assert_same_bytes(&common::as_sent(&stored[0]), &expected_full, "full send");
    eprintln!(
        "cancel: a full send of {} bytes takes {:.0} ms; seed {seed}",
        expected_full.len(),
        full_time.as_secs_f64() * 1000.0
    );
    drop((stored, expected_full));
    let _ = fs::remove_dir_all(common::mailbox_dir(&env, &to));
    let span_ms = (full_time.as_millis() as u64 * 5 / 4).max(50);

    // Two clients, each reused across its rounds: BDAT on the plain port, DATA
    // (end of data = the final dot) on the port without CHUNKING.
    let (mut data_client, data_log) =
        postfix_support::client(&env, env.nochunk_port, Some(smtpc::TlsMode::None));
    data_client
        .set_credentials(&env.user, &env.password)
        .unwrap();
    let mut clients = [Some(client), Some(data_client)];
    let mut attempts: Vec<Attempt> = Vec::new();
    for round in 0..rounds {
        let to = postfix_support::addr(&format!("cancel-{round}"));
        let m = big_message(&env, &to, &attachment);
        // Half anywhere in the send (connect, envelope, data, the wait for the
        // reply); half right around the end of data, where CANCELLED and
        // UNKNOWN_OUTCOME meet.
        let at = if round % 2 == 0 {
            CancelAt::AfterStart(Duration::from_millis(rng.below(span_ms)))
        } else {
            CancelAt::AfterBody(Duration::from_micros(rng.below(120_000)))
        };
        let which = (round / 2) % 2;
        let client = clients[which].take().expect("client");
        let (c, m, outcome, body_done) = send_and_cancel(client, m, at);
        clients[which] = Some(c);
        attempts.push(Attempt {
            to,
            via: if which == 0 { "BDAT" } else { "DATA" },
            at,
            outcome,
            body_done,
            message: m,
        });
    }

    // The clients still work after all that (reconnecting as needed).
    for (which, log) in [(0, &log), (1, &data_log)] {
        let mut client = clients[which].take().expect("client");
        let to = postfix_support::addr(&format!("cancel-after-{which}"));
        let mut after = Message::new();
        after.set_from(None, &env.user).unwrap();
        after.add_to(None, &to).unwrap();
        after.set_subject("after the cancels").unwrap();
        after.set_text("still working\n").unwrap();
        client
            .send(&after)
            .unwrap_or_else(|e| panic!("send after the cancels: {e}\n{}", log.dump()));
        client.quit().unwrap();
        assert_eq!(
            common::wait_for_mail(&env, &to, Duration::from_secs(30)).len(),
            1
        );
    }

    // Everything Postfix took in has been delivered by now.
    wait_for_empty_queue(&env, Duration::from_secs(60));

    let mut distribution: HashMap<String, usize> = HashMap::new();
    let mut problems = Vec::new();
    for (round, a) in attempts.iter().enumerate() {
        let paths = delivered_paths(&env, &a.to);
        let status = match &a.outcome {
            Ok(_) => "OK".to_string(),
            Err((kind, _)) => format!("{kind:?}"),
        };
        let delivered = match paths.len() {
            0 => "not delivered",
            1 => "delivered",
            _ => "delivered more than once",
        };
        *distribution
            .entry(format!("{} {status}, {delivered}", a.via))
            .or_default() += 1;
        let detail = match &a.outcome {
            Ok(r) => format!("OK {}", r.final_code()),
            Err((kind, text)) => format!("{kind:?}: {text}"),
        };
        eprintln!(
            "cancel round {round:2}: {} {:?}, body handed over: {}, {detail} -> {delivered}",
            a.via, a.at, a.body_done
        );
        let what = format!("round {round} ({} {:?}, {detail})", a.via, a.at);
        if paths.len() > 1 {
            problems.push(format!("{what}: delivered {} times", paths.len()));
        }
        match &a.outcome {
            Ok(_) if paths.is_empty() => {
                problems.push(format!("{what}: reported a success but nothing arrived"))
            }
            Err((ErrorKind::Cancelled, _)) if !paths.is_empty() => problems.push(format!(
                "{what}: reported CANCELLED but the message was delivered (the whole message \
                 was sent, so the outcome must be UNKNOWN_OUTCOME)"
            )),
            // Postfix never closes first here: the cancel's own shutdown did it.
            Err((_, text)) if text.contains("closed the connection") => problems.push(format!(
                "{what}: the cancel was reported as the server closing the connection"
            )),
            Ok(_) | Err((ErrorKind::Cancelled | ErrorKind::UnknownOutcome, _)) => {}
            Err((kind, _)) => problems.push(format!(
                "{what}: {kind:?} is not an outcome of a cancel (OK, CANCELLED or \
                 UNKNOWN_OUTCOME)"
            )),
        }
        if !paths.is_empty() {
            let expected = rendered(&a.message);
            for p in &paths {
                let got = common::as_sent(&fs::read(p).unwrap());
                if got != expected {
                    problems.push(format!(
                        "{what}: truncated or altered delivery {}: {}",
                        p.display(),
                        postfix_support::first_difference(&got, &expected)
                    ));
                }
            }
        }
    }
    let mut distribution: Vec<_> = distribution.into_iter().collect();
    distribution.sort();
    eprintln!("cancel: {rounds} rounds: {distribution:?}");
    if problems.is_empty() {
        for a in &attempts {
            let _ = fs::remove_dir_all(common::mailbox_dir(&env, &a.to));
        }
    }
    let _ = fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
