//! The fault matrix (issue 9): every step of a send × every way a server can fail
//! there, without and with PIPELINING (and with CHUNKING for the transaction
//! steps), each checked against the contract of `c-api.md` and `include/smtpc.h`:
//!
//! - the status (the error's kind) the contract implies;
//! - the error's reply and the client's getters (a 421 is kept even when the
//!   server closes right after it; a failure no reply caused has no reply);
//! - the per-recipient report: present exactly when RCPT TO went to the server,
//!   and saying of each recipient whether it was accepted, refused or not tried;
//! - how many times the server received the message (complete DATA/BDAT bodies
//!   over all connections): never twice, never resent after the final dot;
//! - no timeout waited where the server did not stall, one where it did;
//! - the next send on the same client works and is delivered once.
//!
//! The TLS handshake itself is a step too, after STARTTLS and with implicit TLS:
//! the server reads the ClientHello and then closes, resets, stalls or answers
//! in plain text instead of its ServerHello.
//!
//! The scripted server of `fault_server` plays one fixed script, but what a
//! correct client does after a fault (RSET, QUIT, close, reconnect) is not fixed,
//! so this file has its own reactive server: an ordinary SMTP server (with
//! STARTTLS and AUTH PLAIN) that misbehaves exactly once, at the step under test,
//! and behaves normally on that and every later connection.
//!
//! Each test is one step; its cases (mode × fault) run on parallel threads and
//! every mismatch of every case is collected, so one run shows every wrong case.

use smtpc::{Client, Error, ErrorKind, RecipientResult, Report, TlsMode};
use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const FROM: &str = "sender@example.com";
const RCPTS: [&str; 3] = ["a@example.com", "b@example.com", "c@example.com"];
const USER: &str = "matrix@example.com";
const PASSWORD: &str = "matrix-password";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The I/O timeout: short, so that stalls end quickly.
const IO_TIMEOUT: Duration = Duration::from_millis(700);
/// With TLS: each STARTTLS builds a TLS connector (loading the system's trust
/// store), which the I/O timeout also bounds; with many cases on two cores and a
/// debug build that takes a good part of 700 ms.
const TLS_IO_TIMEOUT: Duration = Duration::from_secs(3);
/// How many cases run at once, over all tests.
const PARALLEL_CASES: usize = 16;

/// The first message (small), and the second, sent after the fault.
const FIRST: &[u8] = b"Subject: matrix-first\r\n\r\nHello.\r\n";
const SECOND: &[u8] = b"Subject: matrix-second\r\n\r\nAgain.\r\n";
/// The first message when the fault is in the middle of its data: far more than
/// the client's send buffer and the server's (small) receive buffer hold, so the
/// client is still writing when the fault comes.
/// (A client pushes about 4.3 MB into a server that stops reading on loopback:
/// its send buffer grows to 4 MiB.)
const BIG_LEN: usize = 6 << 20;
/// The server faults in the middle of the data after this many bytes of it.
const MID_DATA_AT: usize = 64 * 1024;

// ---------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------

/// Where the server misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Instead of the 220 greeting.
    Greeting,
    /// Instead of the reply to EHLO.
    Ehlo,
    /// Instead of the 220 to STARTTLS (client: required STARTTLS).
    StartTls,
    /// Instead of the reply to the EHLO sent over TLS.
    AfterTls,
    /// Instead of the server's part of the TLS handshake after its 220 to STARTTLS.
    Handshake,
    /// Instead of the server's part of the TLS handshake on connecting (client:
    /// implicit TLS; every connection is TLS from its first byte).
    Implicit,
    /// Instead of the 235 to AUTH PLAIN.
    Auth,
    /// Instead of the 235 to AUTH PLAIN sent over TLS (after STARTTLS).
    AuthTls,
    /// Instead of the reply to MAIL FROM.
    Mail,
    /// Instead of the reply to the n-th RCPT TO (1-based, of 3).
    Rcpt(usize),
    /// Instead of the reply to every RCPT TO (refusals only).
    AllRcpts,
    /// Instead of the 354 to DATA; with CHUNKING, instead of the reply to the first
    /// (not LAST) chunk of a large message.
    Data,
    /// In the middle of the message data (DATA) or of the first BDAT chunk.
    MidData,
    /// Instead of the reply after the final dot (or to BDAT LAST).
    AfterDot,
    /// Instead of the 221 to QUIT (after a successful send).
    Quit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The server offers neither PIPELINING nor CHUNKING.
    Plain,
    /// PIPELINING.
    Pipelined,
    /// PIPELINING and CHUNKING (transaction steps only).
    Chunking,
}

const MODES: [Mode; 3] = [Mode::Plain, Mode::Pipelined, Mode::Chunking];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// The server closes the connection.
    Close,
    /// The server resets the connection (SO_LINGER 0: TCP RST).
    Reset,
    /// The server stops reading and replying.
    Stall,
    /// 421, then the server closes its side (and reads until the client closes).
    R421,
    /// 451 as the reply; the server goes on normally.
    R451,
    /// 452 (4.3.1, not "too many recipients") as the reply; goes on normally.
    R452,
    /// 554 as the reply; goes on normally.
    R554,
    /// A line that is no SMTP reply; goes on normally.
    Garbage,
    /// A well-formed reply the step cannot have: 250 to DATA, 354 to a BDAT chunk,
    /// 354 after the dot.
    Wrong,
    /// The sender (MAIL step) or every recipient (RCPT step) refused with 550, then
    /// 354 to the pipelined DATA anyway.
    Bogus354,
}

const FAULTS: [Fault; 10] = [
    Fault::Close,
    Fault::Reset,
    Fault::Stall,
    Fault::R421,
    Fault::R451,
    Fault::R452,
    Fault::R554,
    Fault::Garbage,
    Fault::Wrong,
    Fault::Bogus354,
];

const R421_TEXT: &str = "421 4.3.2 fault.test Service shutting down, closing transmission channel";
const GARBAGE: &[u8] = b"%%% garbage: this is not an SMTP reply %%%\r\n";

impl Fault {
    fn code(self) -> Option<u16> {
        match self {
            Fault::R421 => Some(421),
            Fault::R451 => Some(451),
            Fault::R452 => Some(452),
            Fault::R554 => Some(554),
            _ => None,
        }
    }

    fn reply_text(self) -> &'static str {
        match self {
            Fault::R421 => R421_TEXT,
            Fault::R451 => "451 4.3.0 Local error in processing",
            Fault::R452 => "452 4.3.1 Insufficient system storage",
            _ => "554 5.3.0 Transaction failed",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Fault::Close => "close",
            Fault::Reset => "reset (RST)",
            Fault::Stall => "stall",
            Fault::R421 => "421 + close",
            Fault::R451 => "451",
            Fault::R452 => "452",
            Fault::R554 => "554",
            Fault::Garbage => "garbage",
            Fault::Wrong => "wrong code",
            Fault::Bogus354 => "550 then 354 to DATA",
        }
    }
}

impl Step {
    fn name(self, mode: Mode) -> String {
        let chunking = mode == Mode::Chunking;
        match self {
            Step::Greeting => "greeting".into(),
            Step::Ehlo => "EHLO".into(),
            Step::StartTls => "STARTTLS".into(),
            Step::AfterTls => "EHLO after TLS".into(),
            Step::Handshake => "TLS handshake after STARTTLS".into(),
            Step::Implicit => "implicit-TLS handshake".into(),
            Step::Auth => "AUTH".into(),
            Step::AuthTls => "AUTH over TLS".into(),
            Step::Mail => "MAIL".into(),
            Step::Rcpt(k) => format!("RCPT {k} of 3"),
            Step::AllRcpts => "every RCPT".into(),
            Step::Data if chunking => "first BDAT chunk".into(),
            Step::Data => "DATA".into(),
            Step::MidData => "mid-data".into(),
            Step::AfterDot if chunking => "after BDAT LAST".into(),
            Step::AfterDot => "after the dot".into(),
            Step::Quit => "QUIT".into(),
        }
    }
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Pipelined => "PIPELINING",
            Mode::Chunking => "PIPELINING+CHUNKING",
        }
    }
}

/// Whether the matrix has this case.
fn applicable(step: Step, mode: Mode, fault: Fault) -> bool {
    let transaction = matches!(
        step,
        Step::Mail | Step::Rcpt(_) | Step::AllRcpts | Step::Data | Step::MidData | Step::AfterDot
    );
    if mode == Mode::Chunking && !transaction {
        return false;
    }
    if matches!(step, Step::Handshake | Step::Implicit) {
        // Inside a handshake there is no reply to give, only the connection and
        // bytes that are not TLS.
        return matches!(
            fault,
            Fault::Close | Fault::Reset | Fault::Stall | Fault::Garbage
        );
    }
    match fault {
        Fault::Wrong => matches!(step, Step::Data | Step::AfterDot),
        Fault::Bogus354 => matches!(step, Step::Mail | Step::AllRcpts) && mode == Mode::Pipelined,
        Fault::R451 | Fault::R452 | Fault::R554 => true,
        _ => step != Step::AllRcpts,
    }
}

// ---------------------------------------------------------------------------
// What the contract implies
// ---------------------------------------------------------------------------

use ErrorKind as K;

/// The reply the error must carry (and `last_reply` show).
#[derive(Clone, Copy, Debug)]
enum Rep {
    /// Not checked.
    Any,
    /// None: no reply caused the failure (never a reply from before it).
    Absent,
    /// This code.
    Code(u16),
    /// None, or this code (the offending reply).
    AbsentOr(u16),
}

/// What the report must say of one recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// 250, and the message reached it.
    Delivered,
    /// Its RCPT TO was refused with this code (`RecipientsRejected`).
    Refused(u16),
    /// 250 at RCPT TO, but the message failed: it shares the send's failure.
    AcceptedFailed,
    /// Answered with this code (e.g. the 421), not delivered.
    Answered(u16),
    /// Never accepted (no reply, or a refusal that follows from an earlier one),
    /// not delivered.
    NotTried,
}

impl Fate {
    fn holds(self, r: &RecipientResult, kind: ErrorKind) -> bool {
        match self {
            Fate::Delivered => r.code == 250 && r.failure.is_none(),
            Fate::Refused(c) => r.code == c && r.failure == Some(K::RecipientsRejected),
            Fate::AcceptedFailed => r.code == 250 && r.failure == Some(kind),
            Fate::Answered(c) => r.code == c && r.failure.is_some(),
            Fate::NotTried => !(200..300).contains(&r.code) && r.failure.is_some(),
        }
    }

    fn describe(self, kind: ErrorKind) -> String {
        match self {
            Fate::Delivered => "250 delivered".into(),
            Fate::Refused(c) => format!("{c} RecipientsRejected"),
            Fate::AcceptedFailed => format!("250 {kind:?}"),
            Fate::Answered(c) => format!("{c} not delivered"),
            Fate::NotTried => "no 2xx, not delivered".into(),
        }
    }
}

#[derive(Clone, Debug)]
enum Rpt {
    /// No report: nothing of the envelope's recipients went to the server.
    Absent,
    /// A report with these fates, one per recipient.
    Fates([Fate; 3]),
}

#[derive(Clone, Debug)]
struct Expect {
    /// The kinds the send may fail with (one, where the contract fixes it).
    kinds: &'static [ErrorKind],
    reply: Rep,
    report: Rpt,
    /// The report's final code, when checked.
    final_code: Option<u16>,
    /// How often the server must have received / accepted the first message.
    received: usize,
    delivered: usize,
    /// The client closed the connection while the server may still have been
    /// reading the message: it may have arrived or not (never twice).
    may_be_lost: bool,
    /// The failure ended the session: the client must not stay connected.
    closed: bool,
    /// The session was never established: no MAIL, RCPT, DATA or BDAT was sent.
    nothing_sent: bool,
    stall: bool,
}

fn fates(f: impl Fn(usize) -> Fate) -> Rpt {
    Rpt::Fates([f(0), f(1), f(2)])
}

/// The contract, case by case (see the module docs and c-api.md).
fn expect(step: Step, mode: Mode, fault: Fault) -> Expect {
    let mut e = Expect {
        kinds: &[],
        reply: Rep::Any,
        report: Rpt::Absent,
        final_code: None,
        received: 0,
        delivered: 0,
        may_be_lost: false,
        closed: false,
        nothing_sent: false,
        stall: fault == Fault::Stall,
    };
    let lost: &'static [ErrorKind] = match fault {
        Fault::Stall => &[K::Timeout],
        _ => &[K::ConnectionLost],
    };
    let code = fault.code().unwrap_or(0);
    // Close, reset, stall: a connection-level failure no reply caused.
    let connection = matches!(fault, Fault::Close | Fault::Reset | Fault::Stall);
    if connection || fault == Fault::Garbage {
        e.reply = Rep::Absent;
        e.closed = true;
    }
    if fault == Fault::R421 {
        e.reply = Rep::Code(421);
        e.closed = true;
    }
    if matches!(fault, Fault::R451 | Fault::R452 | Fault::R554) {
        e.reply = Rep::Code(code);
    }
    // With CHUNKING the small first message goes as MAIL, RCPTs and BDAT LAST with
    // the whole body in one write: a connection failure before any final reply is
    // after the whole message was sent.
    let whole_sent = mode == Mode::Chunking;
    match step {
        Step::Greeting
        | Step::Ehlo
        | Step::StartTls
        | Step::AfterTls
        | Step::Handshake
        | Step::Implicit
        | Step::Auth
        | Step::AuthTls => {
            e.nothing_sent = true;
            let handshake = matches!(step, Step::Handshake | Step::Implicit);
            e.kinds = match fault {
                _ if connection => lost,
                // Plain text where the ServerHello belongs.
                Fault::Garbage if handshake => &[K::Tls],
                Fault::Garbage => &[K::Protocol],
                Fault::R421 if step == Step::Greeting => &[K::GreetingRejected],
                Fault::R421 => &[K::ConnectionLost],
                _ => match step {
                    Step::Greeting => &[K::GreetingRejected],
                    // No status names "EHLO refused"; any of these, with the reply.
                    Step::Ehlo | Step::AfterTls => {
                        &[K::GreetingRejected, K::Protocol, K::CommandRejected]
                    }
                    Step::StartTls => &[K::TlsUnavailable],
                    // Never AUTH_FAILED: that means the credentials were rejected (535).
                    _ => &[K::Protocol, K::CommandRejected, K::AuthUnavailable],
                },
            };
        }
        Step::Mail => {
            if mode != Mode::Plain {
                e.report = fates(|_| Fate::NotTried);
            }
            e.kinds = match fault {
                _ if connection && whole_sent => &[K::UnknownOutcome],
                _ if connection => lost,
                Fault::Garbage => &[K::Protocol],
                Fault::R421 => &[K::ConnectionLost],
                Fault::Bogus354 => {
                    e.reply = Rep::Code(550);
                    &[K::SenderRejected]
                }
                _ => &[K::SenderRejected],
            };
        }
        Step::Rcpt(k) => {
            let at = k - 1;
            e.kinds = match fault {
                _ if connection && whole_sent => &[K::UnknownOutcome],
                _ if connection => lost,
                Fault::Garbage => &[K::Protocol],
                Fault::R421 => &[K::ConnectionLost],
                _ => &[K::Partial],
            };
            e.report = match fault {
                Fault::R451 | Fault::R452 | Fault::R554 => {
                    e.reply = Rep::Any;
                    e.final_code = Some(250);
                    e.received = 1;
                    e.delivered = 1;
                    fates(|i| {
                        if i == at {
                            Fate::Refused(code)
                        } else {
                            Fate::Delivered
                        }
                    })
                }
                // With CHUNKING the rest of the write (the other RCPTs and BDAT
                // LAST with the body) reaches a server that goes on: it delivers,
                // unless the client's close (it stops at the garbage) comes first.
                Fault::Garbage if whole_sent => {
                    e.received = 1;
                    e.delivered = 1;
                    e.may_be_lost = true;
                    fates(|i| {
                        if i < at {
                            Fate::AcceptedFailed
                        } else {
                            Fate::NotTried
                        }
                    })
                }
                Fault::R421 => fates(|i| match i {
                    _ if i < at => Fate::AcceptedFailed,
                    _ if i == at => Fate::Answered(421),
                    _ => Fate::NotTried,
                }),
                _ => fates(|i| {
                    if i < at {
                        Fate::AcceptedFailed
                    } else {
                        Fate::NotTried
                    }
                }),
            };
        }
        Step::AllRcpts => {
            e.kinds = &[K::RecipientsRejected];
            e.reply = Rep::Any;
            let refusal = if fault == Fault::Bogus354 { 550 } else { code };
            e.report = fates(|_| Fate::Refused(refusal));
        }
        Step::Data => {
            e.report = fates(|_| Fate::AcceptedFailed);
            e.kinds = match fault {
                _ if connection => lost,
                Fault::Garbage => &[K::Protocol],
                Fault::R421 => &[K::ConnectionLost],
                Fault::Wrong => {
                    e.reply = Rep::AbsentOr(if mode == Mode::Chunking { 354 } else { 250 });
                    e.closed = true;
                    &[K::Protocol]
                }
                _ => &[K::MessageRejected],
            };
        }
        Step::MidData => {
            e.report = fates(|_| Fate::AcceptedFailed);
            e.kinds = match fault {
                _ if connection => lost,
                Fault::R421 => &[K::ConnectionLost],
                // With CHUNKING, chunks are pipelined: a refusal that the server
                // sends in the middle of a chunk looks to the client exactly like
                // the legitimate refusal of an earlier chunk (which it has written
                // whole), so it is a rejected message, reset, the session kept.
                Fault::R451 | Fault::R452 | Fault::R554 if mode == Mode::Chunking => {
                    e.reply = Rep::Any;
                    &[K::MessageRejected]
                }
                // A reply before the end of the data answers nothing that was sent:
                // out of step (README: "a reply that comes before its command was
                // sent is a protocol error, never taken as an answer").
                _ => {
                    e.reply = Rep::Any;
                    e.closed = true;
                    &[K::Protocol]
                }
            };
        }
        Step::AfterDot => {
            e.report = fates(|_| Fate::AcceptedFailed);
            e.received = 1;
            e.kinds = match fault {
                _ if connection => {
                    e.final_code = Some(0);
                    &[K::UnknownOutcome]
                }
                Fault::Garbage => &[K::Protocol],
                Fault::Wrong => {
                    e.reply = Rep::AbsentOr(354);
                    e.closed = true;
                    &[K::Protocol]
                }
                _ => {
                    e.final_code = Some(code);
                    &[K::MessageRejected]
                }
            };
        }
        Step::Quit => {
            e.received = 1;
            e.delivered = 1;
        }
    }
    e
}

/// What `quit` may return when the server faults at QUIT: the session ends either
/// way, so success is fine; an error must be the fault's own.
fn quit_allowed(fault: Fault) -> &'static [ErrorKind] {
    match fault {
        Fault::Close | Fault::Reset | Fault::R421 => &[K::ConnectionLost],
        Fault::Stall => &[K::Timeout],
        Fault::Garbage => &[K::Protocol],
        _ => &[K::Protocol, K::CommandRejected],
    }
}

// ---------------------------------------------------------------------------
// Running the cases
// ---------------------------------------------------------------------------

fn big_first() -> &'static [u8] {
    static BIG: OnceLock<Vec<u8>> = OnceLock::new();
    BIG.get_or_init(|| {
        let mut body = b"Subject: matrix-first\r\n\r\n".to_vec();
        while body.len() < BIG_LEN {
            body.extend_from_slice(
                b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijkl\r\n",
            );
        }
        body
    })
}

fn first_body(step: Step, mode: Mode) -> &'static [u8] {
    match (step, mode) {
        (Step::MidData, _) | (Step::Data, Mode::Chunking) => big_first(),
        _ => FIRST,
    }
}

fn new_client(step: Step, port: u16) -> Client {
    let mut client = Client::new("127.0.0.1", port).expect("client");
    if matches!(
        step,
        Step::StartTls | Step::AfterTls | Step::Handshake | Step::AuthTls
    ) {
        client.set_tls(TlsMode::StartTls).expect("set_tls");
        client
            .set_accept_invalid_certs(true)
            .expect("accept invalid certs");
    } else if step == Step::Implicit {
        client.set_tls(TlsMode::Implicit).expect("set_tls");
        client
            .set_accept_invalid_certs(true)
            .expect("accept invalid certs");
    } else {
        client.set_tls(TlsMode::None).expect("set_tls");
    }
    if matches!(step, Step::Auth | Step::AuthTls) {
        client.set_credentials(USER, PASSWORD).expect("credentials");
    }
    client
        .set_timeouts(CONNECT_TIMEOUT, timing(step).io)
        .expect("timeouts");
    client.set_helo_name("client.test").expect("helo name");
    client
}

/// The time limits of a step.
#[derive(Clone, Copy)]
struct Timing {
    io: Duration,
    /// A call that met no stall ends before this after the fault (or, when no
    /// fault came, after it started): it waited for no timeout.
    no_wait: Duration,
    /// A stall costs one I/O timeout, not a series of them.
    stall_max: Duration,
}

fn timing(step: Step) -> Timing {
    let io = if matches!(
        step,
        Step::StartTls | Step::AfterTls | Step::Handshake | Step::Implicit | Step::AuthTls
    ) {
        TLS_IO_TIMEOUT
    } else {
        IO_TIMEOUT
    };
    Timing {
        io,
        no_wait: io - Duration::from_millis(100),
        stall_max: io + Duration::from_millis(800),
    }
}

fn kinds_text(kinds: &[ErrorKind]) -> String {
    let names: Vec<String> = kinds.iter().map(|k| format!("{k:?}")).collect();
    names.join(" or ")
}

fn report_text(r: &Report) -> String {
    let rcpts: Vec<String> = r
        .recipients
        .iter()
        .map(|x| format!("{} {} {:?}", x.address, x.code, x.failure))
        .collect();
    format!("[{}] final {}", rcpts.join(", "), r.final_code())
}

fn error_text(e: &Error) -> String {
    format!(
        "{:?} (reply {:?}): {}",
        e.kind(),
        e.reply().map(|r| r.code),
        e.message()
    )
}

/// Checks a failed send against the expectation.
fn check_failure(
    exp: &Expect,
    result: &smtpc::Result<Report>,
    client: &Client,
    bad: &mut Vec<String>,
) {
    let e = match result {
        Ok(r) => {
            bad.push(format!(
                "status: expected {}, got OK ({})",
                kinds_text(exp.kinds),
                report_text(r)
            ));
            return;
        }
        Err(e) => e,
    };
    if !exp.kinds.contains(&e.kind()) {
        bad.push(format!(
            "status: expected {}, got {}",
            kinds_text(exp.kinds),
            error_text(e)
        ));
    }
    let code = e.reply().map(|r| r.code);
    match exp.reply {
        Rep::Any => {}
        Rep::Absent if code.is_some() => bad.push(format!(
            "reply: expected none (no reply caused this failure), got {code:?}"
        )),
        Rep::Code(c) if code != Some(c) => bad.push(format!(
            "reply: expected {c} kept in the error, got {code:?}"
        )),
        Rep::AbsentOr(c) if code.is_some_and(|x| x != c) => {
            bad.push(format!("reply: expected none or {c}, got {code:?}"))
        }
        _ => {}
    }
    if client.last_error().map(Error::kind) != Some(e.kind()) {
        bad.push(format!(
            "getters: last_error is {:?}, the send returned {:?}",
            client.last_error().map(Error::kind),
            e.kind()
        ));
    }
    if client.last_reply().map(|r| r.code) != code {
        bad.push(format!(
            "getters: last_reply is {:?}, the error's reply {code:?}",
            client.last_reply().map(|r| r.code)
        ));
    }
    match (&exp.report, e.report()) {
        (Rpt::Absent, Some(r)) => bad.push(format!(
            "report: expected none (no RCPT TO was sent), got {}",
            report_text(r)
        )),
        (Rpt::Fates(_), None) => bad
            .push("report: missing (RCPT TO was sent, so the failure must carry a report)".into()),
        (Rpt::Fates(want), Some(r)) => {
            let ok = r.recipients.len() == 3
                && r.recipients
                    .iter()
                    .zip(RCPTS)
                    .zip(want)
                    .all(|((got, addr), fate)| got.address == addr && fate.holds(got, e.kind()));
            if !ok {
                let want: Vec<String> = want.iter().map(|f| f.describe(e.kind())).collect();
                bad.push(format!(
                    "report: expected [{}], got {}",
                    want.join(", "),
                    report_text(r)
                ));
            }
            if let Some(fc) = exp.final_code {
                if r.final_code() != fc {
                    bad.push(format!(
                        "report: expected final code {fc}, got {}",
                        r.final_code()
                    ));
                }
            }
        }
        (Rpt::Absent, None) => {}
    }
    if exp.closed && client.is_connected() {
        bad.push("session: still connected after a failure that ended it".into());
    }
}

/// Checks how long `what` took: from `start`, or from the fault if the server
/// injected it during the call.
fn check_time(
    what: &str,
    t: Timing,
    (start, fault): (Instant, Option<Instant>),
    stall: bool,
    bad: &mut Vec<String>,
) {
    let from = fault.filter(|f| *f > start);
    let took = from.unwrap_or(start).elapsed();
    let since = if from.is_some() {
        "after the fault"
    } else {
        "in all"
    };
    if stall && took > t.stall_max {
        bad.push(format!(
            "time: {what} returned {took:?} {since}, against a stalled server (one I/O \
             timeout is {:?}; limit {:?})",
            t.io, t.stall_max
        ));
    }
    if !stall && took >= t.no_wait {
        bad.push(format!(
            "time: {what} returned {took:?} {since}, but nothing stalled: no timeout should \
             be waited for (limit {:?})",
            t.no_wait
        ));
    }
}

/// One case: the first send meets the fault, the second must work. Returns every
/// mismatch.
fn run_case(step: Step, mode: Mode, fault: Fault) -> Result<(), String> {
    let _slot = Slot::take();
    let exp = expect(step, mode, fault);
    let t = timing(step);
    let server = MatrixServer::start(step, mode, fault);
    let mut client = new_client(step, server.port);
    let transcript = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = transcript.clone();
    client.set_log_callback(Some(Box::new(move |kind, line: &str| {
        let mut lines = sink.lock().unwrap_or_else(|e| e.into_inner());
        lines.push(format!(
            "{kind:?} {}",
            line.chars().take(140).collect::<String>()
        ));
    })));
    let mut bad = Vec::new();
    let mut notes = Vec::new();

    let start = Instant::now();
    let first = client.send_raw(FROM, &RCPTS, first_body(step, mode));
    let took = (start, server.fired_at());
    match &first {
        Ok(r) => notes.push(format!("first send: OK {}", report_text(r))),
        Err(e) => notes.push(format!("first send: {}", error_text(e))),
    }

    if step == Step::Quit {
        match &first {
            Ok(r) if r.delivered_count() == 3 => {}
            Ok(r) => bad.push(format!("the send before QUIT: {}", report_text(r))),
            Err(e) => bad.push(format!("the send before QUIT failed: {}", error_text(e))),
        }
        check_time("the send before QUIT", t, took, false, &mut bad);
        let start = Instant::now();
        let quit = client.quit();
        let took = (start, server.fired_at());
        if let Err(e) = &quit {
            notes.push(format!("quit: {}", error_text(e)));
            let allowed = quit_allowed(fault);
            if !allowed.contains(&e.kind()) {
                bad.push(format!(
                    "quit: expected OK or {}, got {}",
                    kinds_text(allowed),
                    error_text(e)
                ));
            }
            if let Some(c) = fault.code() {
                if e.reply().map(|r| r.code) != Some(c) {
                    bad.push(format!(
                        "quit: the error's reply is {:?}, expected {c}",
                        e.reply().map(|r| r.code)
                    ));
                }
            }
        }
        if client.is_connected() {
            bad.push("quit: still connected after quit".into());
        }
        check_time("quit", t, took, fault == Fault::Stall, &mut bad);
    } else {
        check_failure(&exp, &first, &client, &mut bad);
        check_time("the first send", t, took, exp.stall, &mut bad);
    }
    let after_first = server.log();
    let connections = server.connections();
    if connections != 1 {
        bad.push(format!(
            "connections: the first send opened {connections} (expected 1: a fresh session \
             is never silently retried)"
        ));
    }
    if exp.nothing_sent {
        let sent: Vec<&String> = after_first
            .conns
            .first()
            .into_iter()
            .flatten()
            .filter(|l| {
                ["MAIL", "RCPT", "DATA", "BDAT"]
                    .iter()
                    .any(|v| starts_with_ci(l, v))
            })
            .collect();
        if !sent.is_empty() {
            bad.push(format!(
                "sent {sent:?} although the session was never established"
            ));
        }
    }
    for orphan in &after_first.orphans {
        if contains(orphan, b"RSET") {
            bad.push("sent RSET inside the data after the bogus 354".into());
        }
        if contains(orphan, b"matrix-first") {
            bad.push("sent the message body after the sender/recipients were refused".into());
        }
    }

    // The next send on the same client.
    let start = Instant::now();
    let second = client.send_raw(FROM, &RCPTS, SECOND);
    let took = (start, None);
    match &second {
        Ok(r) if r.delivered_count() == 3 && r.final_code() == 250 => {}
        Ok(r) => bad.push(format!("next send: OK but {}", report_text(r))),
        Err(e) => bad.push(format!("next send failed: {}", error_text(e))),
    }
    check_time("the next send", t, took, false, &mut bad);
    if let Err(e) = client.quit() {
        bad.push(format!("quit after the next send: {}", error_text(&e)));
    }
    drop(client);
    let log = server.stop();

    let (received, delivered) = (log.received(Which::First), log.delivered(Which::First));
    if received > 1 {
        bad.push(format!(
            "server: received the first message {received} times (never twice)"
        ));
    } else if received != exp.received && !(exp.may_be_lost && received == 0) {
        bad.push(format!(
            "server: received the first message {received} time(s), expected {}",
            exp.received
        ));
    }
    if delivered != exp.delivered && received <= 1 && !(exp.may_be_lost && received == 0) {
        bad.push(format!(
            "server: accepted the first message {delivered} time(s), expected {}",
            exp.delivered
        ));
    }
    let (received, delivered) = (log.received(Which::Second), log.delivered(Which::Second));
    if (received, delivered) != (1, 1) {
        bad.push(format!(
            "server: received the next message {received} time(s), accepted it {delivered} \
             time(s), expected once"
        ));
    }

    if bad.is_empty() {
        return Ok(());
    }
    let mut text = format!(
        "{} / {} / {}:\n  - {}\n  ({})",
        step.name(mode),
        mode.name(),
        fault.name(),
        bad.join("\n  - "),
        notes.join("; ")
    );
    for (i, lines) in log.conns.iter().enumerate() {
        let shown: Vec<&str> = lines.iter().take(14).map(String::as_str).collect();
        let more = lines.len().saturating_sub(shown.len());
        text.push_str(&format!("\n  server conn {}: {shown:?}", i + 1));
        if more > 0 {
            text.push_str(&format!(" +{more}"));
        }
    }
    for error in &log.errors {
        text.push_str(&format!("\n  server: {error}"));
    }
    let transcript = transcript.lock().unwrap_or_else(|e| e.into_inner());
    let skip = transcript.len().saturating_sub(24);
    text.push_str("\n  client log (last lines):");
    for line in &transcript[skip..] {
        text.push_str(&format!("\n    {line}"));
    }
    Err(text)
}

/// A place among the [`PARALLEL_CASES`] cases that may run at once.
struct Slot;

static SLOTS: (Mutex<usize>, std::sync::Condvar) = (Mutex::new(0), std::sync::Condvar::new());

impl Slot {
    fn take() -> Slot {
        let mut used = SLOTS.0.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= PARALLEL_CASES {
            used = SLOTS.1.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *SLOTS.0.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        SLOTS.1.notify_one();
    }
}

/// Runs every case of `step` on parallel threads; fails with the full list.
fn run_step(step: Step) {
    let start = Instant::now();
    let mut handles = Vec::new();
    for mode in MODES {
        for fault in FAULTS {
            if !applicable(step, mode, fault) {
                continue;
            }
            let name = format!("{} / {} / {}", step.name(mode), mode.name(), fault.name());
            handles.push((
                name,
                std::thread::spawn(move || run_case(step, mode, fault)),
            ));
        }
    }
    let total = handles.len();
    let mut failures = Vec::new();
    for (name, handle) in handles {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(text)) => failures.push(text),
            Err(_) => failures.push(format!("{name}: the case panicked")),
        }
    }
    eprintln!(
        "fault matrix, {}: {total} cases, {} failed, {:?}",
        step.name(Mode::Plain),
        failures.len(),
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases at {} do not meet the contract:\n\n{}\n",
        failures.len(),
        step.name(Mode::Plain),
        failures.join("\n\n")
    );
}

#[test]
fn greeting() {
    run_step(Step::Greeting);
}

#[test]
fn ehlo() {
    run_step(Step::Ehlo);
}

#[test]
fn starttls() {
    run_step(Step::StartTls);
}

#[test]
fn ehlo_after_tls() {
    run_step(Step::AfterTls);
}

#[test]
fn tls_handshake_after_starttls() {
    run_step(Step::Handshake);
}

#[test]
fn implicit_tls_handshake() {
    run_step(Step::Implicit);
}

#[test]
fn auth() {
    run_step(Step::Auth);
}

#[test]
fn auth_over_tls() {
    run_step(Step::AuthTls);
}

#[test]
fn mail() {
    run_step(Step::Mail);
}

#[test]
fn first_rcpt() {
    run_step(Step::Rcpt(1));
}

#[test]
fn second_rcpt() {
    run_step(Step::Rcpt(2));
}

#[test]
fn last_rcpt() {
    run_step(Step::Rcpt(3));
}

#[test]
fn every_rcpt() {
    run_step(Step::AllRcpts);
}

#[test]
fn data() {
    run_step(Step::Data);
}

#[test]
fn mid_data() {
    run_step(Step::MidData);
}

#[test]
fn after_the_dot() {
    run_step(Step::AfterDot);
}

#[test]
fn quit() {
    run_step(Step::Quit);
}

// ---------------------------------------------------------------------------
// The reactive fault server
// ---------------------------------------------------------------------------

/// How long a server read waits for data before the connection is given up.
const IDLE: Duration = Duration::from_secs(10);
/// Granularity of the server's reads (so that stop is noticed quickly).
const POLL: Duration = Duration::from_millis(20);

/// Throw-away self-signed test certificate (P-256, CN and SAN fault-matrix.test
/// and 127.0.0.1, valid to 2126); the client does not verify it.
const TEST_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIUOK2+ZFl9C6RTSHHY+gZEB5pURvEwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRZmF1bHQtbWF0cml4LnRlc3QwIBcNMjYxMjAyMTY0NTMyWhgP
MjEyNjExMDgxNjQ1MzJaMBwxGjAYBgNVBAMMEWZhdWx0LW1hdHJpeC50ZXN0MFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbfPkpaUhZfUTPj/6tw6iIVNmYkrhawX0
YwWbECkkWXxYdheRWODsXALpwMFX9COvl36kZnGdBEfEBk1xTw9oQqN3MHUwHQYD
VR0OBBYEFHSkmaT0sGnrWlsiYqhadeOoj5skMB8GA1UdIwQYMBaAFHSkmaT0sGnr
WlsiYqhadeOoj5skMA8GA1UdEwEB/wQFMAMBAf8wIgYDVR0RBBswGYIRZmF1bHQt
bWF0cml4LnRlc3SHBH8AAAEwCgYIKoZIzj0EAwIDSAAwRQIhAIFZD1WEu+fyAwmP
tOW8cvR1LHuJ80vzMNYs/PJ7/e9VAiBwee8V3OiZiiUqAEZAihtvxGiA871pFnJC
Nja7i5A3+Q==
-----END CERTIFICATE-----
";
/// Its key (test only).
const TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNvMEdQiS0RIG8gQv
YIdkOH6QyJoL0Ic7NBQxJeB8H+ChRANCAARt8+SlpSFl9RM+P/q3DqIhU2ZiSuFr
BfRjBZsQKSRZfFh2F5FY4OxcAunAwVf0I6+XfqRmcZ0ER8QGTXFPD2hC
-----END PRIVATE KEY-----
";

fn acceptor() -> &'static native_tls::TlsAcceptor {
    static ACCEPTOR: OnceLock<native_tls::TlsAcceptor> = OnceLock::new();
    ACCEPTOR.get_or_init(|| {
        let identity = native_tls::Identity::from_pkcs8(TEST_CERT.as_bytes(), TEST_KEY.as_bytes())
            .expect("test identity");
        native_tls::TlsAcceptor::new(identity).expect("TLS acceptor")
    })
}

/// Where in the conversation the server is about to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Point {
    Greeting,
    Ehlo,
    StartTls,
    EhloAfterTls,
    Handshake,
    Auth,
    Mail,
    Rcpt(usize),
    Data,
    MidData,
    AfterDot,
    Quit,
}

/// Which message a body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    First,
    Second,
    Other,
}

fn which(body: &[u8]) -> Which {
    let head = &body[..body.len().min(256)];
    if contains(head, b"matrix-first") {
        Which::First
    } else if contains(head, b"matrix-second") {
        Which::Second
    } else {
        Which::Other
    }
}

/// A complete body read within a transaction that had a sender and a recipient,
/// and the code the server answered it with (0: none).
#[derive(Clone, Debug)]
struct Received {
    which: Which,
    code: u16,
}

/// What the server saw.
#[derive(Clone, Debug, Default)]
struct Log {
    /// Command lines, per connection.
    conns: Vec<Vec<String>>,
    bodies: Vec<Received>,
    /// Data read after a 354 given to a transaction without sender or recipients.
    orphans: Vec<Vec<u8>>,
    /// Where a connection ended unexpectedly (diagnostics).
    errors: Vec<String>,
}

impl Log {
    fn received(&self, w: Which) -> usize {
        self.bodies.iter().filter(|b| b.which == w).count()
    }

    fn delivered(&self, w: Which) -> usize {
        self.bodies
            .iter()
            .filter(|b| b.which == w && b.code == 250)
            .count()
    }
}

struct Shared {
    step: Step,
    mode: Mode,
    fault: Fault,
    stop: AtomicBool,
    fired: AtomicBool,
    /// When the fault was first injected.
    fired_at: Mutex<Option<Instant>>,
    transactions: AtomicUsize,
    accepted: AtomicUsize,
    log: Mutex<Log>,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn extensions(&self, tls: bool) -> String {
        let mut ext = vec!["fault.test greets you", "8BITMIME", "ENHANCEDSTATUSCODES"];
        if self.mode != Mode::Plain {
            ext.push("PIPELINING");
        }
        if self.mode == Mode::Chunking {
            ext.push("CHUNKING");
        }
        let starttls = matches!(
            self.step,
            Step::StartTls | Step::AfterTls | Step::Handshake | Step::AuthTls
        );
        if starttls && !tls {
            ext.push("STARTTLS");
        }
        if self.step == Step::Auth || (self.step == Step::AuthTls && tls) {
            ext.push("AUTH PLAIN");
        }
        let last = ext.len() - 1;
        ext.iter()
            .enumerate()
            .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
            .collect()
    }
}

struct MatrixServer {
    port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl MatrixServer {
    fn start(step: Step, mode: Mode, fault: Fault) -> MatrixServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        sockopt::small_receive_buffer(&listener);
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            step,
            mode,
            fault,
            stop: AtomicBool::new(false),
            fired: AtomicBool::new(false),
            fired_at: Mutex::new(None),
            transactions: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
            log: Mutex::new(Log::default()),
        });
        let sh = shared.clone();
        let thread = std::thread::spawn(move || accept_loop(&listener, &sh));
        MatrixServer {
            port,
            shared,
            thread: Some(thread),
        }
    }

    fn fired_at(&self) -> Option<Instant> {
        *self
            .shared
            .fired_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    fn log(&self) -> Log {
        self.shared.log().clone()
    }

    fn stop(mut self) -> Log {
        self.shutdown();
        self.log()
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MatrixServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: &TcpListener, sh: &Arc<Shared>) {
    let mut conns = Vec::new();
    while !sh.stopped() {
        match listener.accept() {
            Ok((stream, _)) => {
                let id = sh.accepted.fetch_add(1, Ordering::SeqCst);
                sh.log().conns.push(Vec::new());
                let sh = sh.clone();
                conns.push(std::thread::spawn(move || serve(&sh, stream, id)));
            }
            Err(e) if e.kind() == IoKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => {
                sh.log().errors.push(format!("accept: {e}"));
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
    for conn in conns {
        let _ = conn.join();
    }
}

fn serve(sh: &Arc<Shared>, stream: TcpStream, id: usize) {
    let setup = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_nodelay(true))
        .and_then(|()| stream.set_read_timeout(Some(POLL)))
        .and_then(|()| stream.set_write_timeout(Some(Duration::from_secs(2))));
    if let Err(e) = setup {
        sh.log().errors.push(format!("socket setup: {e}"));
        return;
    }
    let mut conn = Conn {
        sh: sh.clone(),
        id,
        stream: Stream::Plain(stream),
        buf: Vec::new(),
        tx: Tx::default(),
        refused: false,
    };
    if let Err(End::Failed(why)) = conn.session() {
        sh.log()
            .errors
            .push(format!("connection {}: {why}", id + 1));
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<native_tls::TlsStream<TcpStream>>),
    Gone,
}

impl Stream {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(s.get_ref()),
            Stream::Gone => None,
        }
    }
}

fn gone() -> std::io::Error {
    std::io::Error::new(IoKind::NotConnected, "connection closed by the server")
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => Err(gone()),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Gone => Err(gone()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Gone => Err(gone()),
        }
    }
}

/// The transaction in progress on a connection.
#[derive(Default)]
struct Tx {
    /// Its number over the whole server (1: the first MAIL).
    seq: usize,
    mail: bool,
    rcpts: usize,
    accepted: usize,
    /// A refused sender or every recipient refused, yet DATA gets 354 (the fault).
    bogus: bool,
    chunks: usize,
    bdat: Vec<u8>,
    bdat_failed: bool,
}

/// Why a connection ended.
enum End {
    /// The client closed it (or a write failed).
    Closed,
    /// The server was stopped.
    Stopped,
    /// The fault ended it.
    Faulted,
    /// Something unexpected (recorded).
    Failed(String),
}

struct Conn {
    sh: Arc<Shared>,
    id: usize,
    stream: Stream,
    buf: Vec<u8>,
    tx: Tx,
    /// The greeting was a refusal: only QUIT is served.
    refused: bool,
}

impl Conn {
    fn tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// The fault, if it is due at `point` (once; at every RCPT of the first
    /// transaction for [`Step::AllRcpts`]).
    fn fire(&self, point: Point) -> Option<Fault> {
        let sh = &self.sh;
        let due = match (sh.step, point) {
            (Step::AllRcpts, Point::Rcpt(_)) => {
                if self.tx.seq != 1 {
                    return None;
                }
                sh.fired_at
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert_with(Instant::now);
                return Some(sh.fault);
            }
            (Step::Rcpt(k), Point::Rcpt(n)) => k == n,
            (Step::Greeting, Point::Greeting)
            | (Step::Ehlo, Point::Ehlo)
            | (Step::StartTls, Point::StartTls)
            | (Step::AfterTls, Point::EhloAfterTls)
            | (Step::Handshake | Step::Implicit, Point::Handshake)
            | (Step::Auth | Step::AuthTls, Point::Auth)
            | (Step::Mail, Point::Mail)
            | (Step::Data, Point::Data)
            | (Step::MidData, Point::MidData)
            | (Step::AfterDot, Point::AfterDot)
            | (Step::Quit, Point::Quit) => true,
            _ => false,
        };
        if !due || sh.fired.swap(true, Ordering::SeqCst) {
            return None;
        }
        *sh.fired_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        Some(sh.fault)
    }

    fn session(&mut self) -> Result<(), End> {
        if self.sh.step == Step::Implicit {
            if let Some(f) = self.fire(Point::Handshake) {
                return self.fail_handshake(f);
            }
            self.accept_tls()?;
        }
        match self.fire(Point::Greeting) {
            None => self.send("220 fault.test ESMTP ready")?,
            Some(f) => {
                self.refuse(f)?;
                self.refused = true;
            }
        }
        loop {
            let line = self.read_line()?;
            let upper = line.to_ascii_uppercase();
            let verb = upper.split(' ').next().unwrap_or("");
            if self.refused {
                if verb == "QUIT" {
                    return self.send("221 2.0.0 Bye");
                }
                self.send("503 5.5.1 Error: the session was refused")?;
                continue;
            }
            match verb {
                "EHLO" => self.ehlo()?,
                "HELO" => self.send("250 fault.test")?,
                "STARTTLS" => self.starttls()?,
                "AUTH" => self.auth(&line)?,
                "MAIL" => self.mail()?,
                "RCPT" => self.rcpt()?,
                "DATA" => self.data()?,
                "BDAT" => self.bdat(&line)?,
                "RSET" => {
                    self.tx = Tx::default();
                    self.send("250 2.0.0 Ok")?;
                }
                "NOOP" => self.send("250 2.0.0 Ok")?,
                "QUIT" => {
                    if let Some(f) = self.fire(Point::Quit) {
                        // A reply or garbage: the client ends the session itself.
                        self.refuse(f)?;
                        continue;
                    }
                    return self.send("221 2.0.0 Bye");
                }
                _ => self.send("500 5.5.2 Error: command not recognized")?,
            }
        }
    }

    /// The fault instead of the normal reply: a connection fault ends the
    /// connection; a reply or garbage is written and the server goes on.
    fn refuse(&mut self, fault: Fault) -> Result<(), End> {
        match fault {
            Fault::Close | Fault::Reset | Fault::Stall | Fault::R421 => Err(self.terminal(fault)),
            Fault::Garbage => self.write_raw(GARBAGE),
            _ => self.send(fault.reply_text()),
        }
    }

    fn terminal(&mut self, fault: Fault) -> End {
        match fault {
            Fault::Reset => {
                if let Some(tcp) = self.stream.tcp() {
                    sockopt::linger_zero(tcp);
                }
            }
            Fault::Stall => {
                // Neither reads nor replies until the case ends.
                let deadline = Instant::now() + Duration::from_secs(30);
                while !self.sh.stopped() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            Fault::R421 => {
                let _ = self.send(R421_TEXT);
                if let Stream::Tls(tls) = &mut self.stream {
                    let _ = tls.shutdown();
                }
                if let Some(tcp) = self.stream.tcp() {
                    let _ = tcp.shutdown(Shutdown::Write);
                }
                self.drain();
            }
            // Close: the socket is closed (over TLS without close_notify).
            _ => {}
        }
        self.stream = Stream::Gone;
        End::Faulted
    }

    /// Reads and discards until the client closes.
    fn drain(&mut self) {
        let deadline = Instant::now() + IDLE;
        let mut chunk = [0u8; 16 * 1024];
        while !self.sh.stopped() && Instant::now() < deadline {
            match self.stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if is_wait(&e) => {}
                Err(_) => break,
            }
        }
    }

    fn ehlo(&mut self) -> Result<(), End> {
        let point = if self.tls() {
            Point::EhloAfterTls
        } else {
            Point::Ehlo
        };
        if let Some(f) = self.fire(point) {
            return self.refuse(f);
        }
        let reply = self.sh.extensions(self.tls());
        self.write_raw(reply.as_bytes())
    }

    fn starttls(&mut self) -> Result<(), End> {
        let offered = matches!(
            self.sh.step,
            Step::StartTls | Step::AfterTls | Step::Handshake | Step::AuthTls
        );
        if self.tls() || !offered {
            return self.send("503 5.5.1 Error: STARTTLS not available");
        }
        if let Some(f) = self.fire(Point::StartTls) {
            return self.refuse(f);
        }
        self.send("220 2.0.0 Ready to start TLS")?;
        self.buf.clear();
        if let Some(f) = self.fire(Point::Handshake) {
            return self.fail_handshake(f);
        }
        self.accept_tls()
    }

    /// The fault instead of the server's part of the handshake. The ClientHello is
    /// read first, so that a close is a FIN (closing with unread bytes would send
    /// a reset instead).
    fn fail_handshake(&mut self, fault: Fault) -> Result<(), End> {
        while self.buf.len() < 5 {
            self.fill()?;
        }
        let record = 5 + usize::from(u16::from_be_bytes([self.buf[3], self.buf[4]]));
        while self.buf.len() < record {
            self.fill()?;
        }
        self.buf.clear();
        if fault == Fault::Garbage {
            self.write_raw(GARBAGE)?;
            self.drain();
            self.stream = Stream::Gone;
            return Err(End::Faulted);
        }
        Err(self.terminal(fault))
    }

    /// The server's side of the TLS handshake on the plain stream.
    fn accept_tls(&mut self) -> Result<(), End> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            return Err(End::Failed("no plain stream to upgrade".into()));
        };
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(3)));
        match acceptor().accept(tcp) {
            Ok(tls) => {
                let _ = tls.get_ref().set_read_timeout(Some(POLL));
                self.stream = Stream::Tls(Box::new(tls));
                self.tx = Tx::default();
                Ok(())
            }
            Err(native_tls::HandshakeError::Failure(e)) => {
                Err(End::Failed(format!("TLS handshake: {e}")))
            }
            Err(native_tls::HandshakeError::WouldBlock(_)) => {
                Err(End::Failed("TLS handshake timed out".into()))
            }
        }
    }

    fn auth(&mut self, line: &str) -> Result<(), End> {
        if let Some(f) = self.fire(Point::Auth) {
            return self.refuse(f);
        }
        let words: Vec<&str> = line.split(' ').collect();
        let mechanism = words.get(1).map(|m| m.to_ascii_uppercase());
        match (mechanism.as_deref(), words.len()) {
            (Some("PLAIN"), 2) => {
                self.send("334 ")?;
                self.read_line()?;
            }
            (Some("LOGIN"), 2) => {
                self.send("334 VXNlcm5hbWU6")?;
                self.read_line()?;
                self.send("334 UGFzc3dvcmQ6")?;
                self.read_line()?;
            }
            (Some("LOGIN"), _) => {
                self.send("334 UGFzc3dvcmQ6")?;
                self.read_line()?;
            }
            _ => {}
        }
        self.send("235 2.7.0 Authentication successful")
    }

    fn mail(&mut self) -> Result<(), End> {
        self.tx = Tx {
            seq: self.sh.transactions.fetch_add(1, Ordering::SeqCst) + 1,
            ..Tx::default()
        };
        match self.fire(Point::Mail) {
            Some(Fault::Bogus354) => {
                self.tx.bogus = true;
                self.send("550 5.7.1 <sender@example.com>: Sender address rejected")
            }
            Some(f) => self.refuse(f),
            None => {
                self.tx.mail = true;
                self.send("250 2.1.0 Ok")
            }
        }
    }

    fn rcpt(&mut self) -> Result<(), End> {
        self.tx.rcpts += 1;
        if !self.tx.mail {
            return self.send("503 5.5.1 Error: need MAIL command");
        }
        match self.fire(Point::Rcpt(self.tx.rcpts)) {
            Some(Fault::Bogus354) => {
                self.tx.bogus = true;
                self.send("550 5.1.1 User unknown")
            }
            Some(f) => self.refuse(f),
            None => {
                self.tx.accepted += 1;
                self.send("250 2.1.5 Ok")
            }
        }
    }

    fn data(&mut self) -> Result<(), End> {
        if self.tx.bogus {
            self.send("354 End data with <CR><LF>.<CR><LF>")?;
            let mut data = Vec::new();
            let read = self.read_data(&mut data, false);
            self.sh.log().orphans.push(data);
            read?;
            self.tx = Tx::default();
            return self.send("554 5.5.1 Error: no valid transaction");
        }
        if !self.tx.mail {
            return self.send("503 5.5.1 Error: need MAIL command");
        }
        if self.tx.accepted == 0 {
            return self.send("554 5.5.1 Error: no valid recipients");
        }
        if let Some(f) = self.fire(Point::Data) {
            return match f {
                Fault::Wrong => self.send("250 2.0.0 Ok"),
                _ => self.refuse(f),
            };
        }
        self.send("354 End data with <CR><LF>.<CR><LF>")?;
        let mut data = Vec::new();
        match self.read_data(&mut data, true)? {
            None => self.body_complete(data),
            Some(f) => {
                // An early reply: the rest of the data is discarded, unanswered.
                self.refuse(f)?;
                self.read_data(&mut data, false)?;
                self.tx = Tx::default();
                Ok(())
            }
        }
    }

    fn bdat(&mut self, line: &str) -> Result<(), End> {
        let Some((size, last)) = parse_bdat(line) else {
            self.send("501 5.5.4 Syntax: BDAT size [LAST]")?;
            return Err(End::Failed(format!("malformed BDAT line {line:?}")));
        };
        let first = self.tx.chunks == 0;
        self.tx.chunks += 1;
        let valid = self.tx.mail && self.tx.accepted > 0 && !self.tx.bdat_failed;
        let mut chunk = Vec::new();
        if let Some(f) = self.read_chunk(&mut chunk, size, first && valid)? {
            // An early reply in the middle of the chunk; the rest is discarded.
            self.refuse(f)?;
            self.tx.bdat_failed = true;
            let rest = size - chunk.len();
            self.read_chunk(&mut Vec::new(), rest, false)?;
            return Ok(());
        }
        let refusal = if !self.tx.mail {
            Some("503 5.5.1 Error: need MAIL command")
        } else if self.tx.accepted == 0 {
            Some("554 5.5.1 Error: no valid recipients")
        } else if self.tx.bdat_failed {
            Some("503 5.5.1 Error: an earlier BDAT chunk was refused; send RSET")
        } else {
            None
        };
        if let Some(refusal) = refusal {
            if last {
                self.tx = Tx::default();
            }
            return self.send(refusal);
        }
        self.tx.bdat.extend_from_slice(&chunk);
        if last {
            let data = std::mem::take(&mut self.tx.bdat);
            return self.body_complete(data);
        }
        if first {
            if let Some(f) = self.fire(Point::Data) {
                self.tx.bdat_failed = true;
                return match f {
                    Fault::Wrong => self.send("354 Go ahead"),
                    _ => self.refuse(f),
                };
            }
        }
        self.send("250 2.0.0 Chunk accepted")
    }

    /// A whole body in a transaction with a sender and a recipient: the server has
    /// the message; its answer is 250 unless the fault is due here.
    fn body_complete(&mut self, data: Vec<u8>) -> Result<(), End> {
        let which = which(&data);
        self.tx = Tx::default();
        let fault = self.fire(Point::AfterDot);
        let code = match fault {
            None => 250,
            Some(Fault::Wrong) => 354,
            Some(f) => f.code().unwrap_or(0),
        };
        self.sh.log().bodies.push(Received { which, code });
        match fault {
            None => self.send("250 2.0.0 Ok: queued as MATRIX"),
            Some(Fault::Wrong) => self.send("354 End data with <CR><LF>.<CR><LF>"),
            Some(f) => self.refuse(f),
        }
    }

    // ----- bytes -----------------------------------------------------------------

    fn send(&mut self, line: &str) -> Result<(), End> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.write_raw(&bytes)
    }

    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), End> {
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .map_err(|_| End::Closed)
    }

    fn fill(&mut self) -> Result<(), End> {
        let deadline = Instant::now() + IDLE;
        let mut chunk = [0u8; 64 * 1024];
        loop {
            if self.sh.stopped() {
                return Err(End::Stopped);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(End::Closed),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if is_wait(&e) => {
                    if Instant::now() >= deadline {
                        return Err(End::Failed(format!("nothing received for {IDLE:?}")));
                    }
                }
                Err(_) => return Err(End::Closed),
            }
        }
    }

    fn read_line(&mut self) -> Result<String, End> {
        loop {
            if let Some(lf) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=lf).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let text = String::from_utf8_lossy(&line).into_owned();
                let shown: String = text.chars().take(120).collect();
                if let Some(conn) = self.sh.log().conns.get_mut(self.id) {
                    conn.push(shown);
                }
                return Ok(text);
            }
            if self.buf.len() > 1 << 20 {
                return Err(End::Failed("command line longer than 1 MiB".into()));
            }
            self.fill()?;
        }
    }

    /// Reads message data into `data` up to and including its terminator (`None`),
    /// or until the mid-data fault is due (`Some`), if `mid`.
    fn read_data(&mut self, data: &mut Vec<u8>, mid: bool) -> Result<Option<Fault>, End> {
        loop {
            if !self.buf.is_empty() {
                let from = data.len().saturating_sub(4);
                data.append(&mut self.buf);
                let end = if data.starts_with(b".\r\n") {
                    Some(3)
                } else {
                    data[from..]
                        .windows(5)
                        .position(|w| w == b"\r\n.\r\n")
                        .map(|p| from + p + 5)
                };
                if let Some(end) = end {
                    self.buf = data.split_off(end);
                    return Ok(None);
                }
                if mid && data.len() >= MID_DATA_AT {
                    if let Some(f) = self.fire(Point::MidData) {
                        return Ok(Some(f));
                    }
                }
            }
            self.fill()?;
        }
    }

    /// Reads `size` bytes of chunk data into `data`, or until the mid-data fault is
    /// due (`Some`), if `mid`.
    fn read_chunk(
        &mut self,
        data: &mut Vec<u8>,
        size: usize,
        mid: bool,
    ) -> Result<Option<Fault>, End> {
        let start = data.len();
        while data.len() - start < size {
            if self.buf.is_empty() {
                self.fill()?;
                continue;
            }
            let take = (size - (data.len() - start)).min(self.buf.len());
            data.extend(self.buf.drain(..take));
            let got = data.len() - start;
            if mid && got >= MID_DATA_AT && got < size {
                if let Some(f) = self.fire(Point::MidData) {
                    return Ok(Some(f));
                }
            }
        }
        Ok(None)
    }
}

fn is_wait(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        IoKind::WouldBlock | IoKind::TimedOut | IoKind::Interrupted
    )
}

/// The size and LAST flag of a `BDAT <size> [LAST]` line.
fn parse_bdat(line: &str) -> Option<(usize, bool)> {
    let mut words = line.split(' ');
    if !words.next()?.eq_ignore_ascii_case("BDAT") {
        return None;
    }
    let size = words.next()?.parse().ok()?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return None,
    };
    Some((size, last))
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Socket options std does not offer: RST on close, and a small receive buffer
/// (so that a server that stops reading blocks the client's writes).
#[cfg(unix)]
mod sockopt {
    use std::os::unix::io::AsRawFd;

    fn set<T>(fd: &impl AsRawFd, name: libc::c_int, value: &T) {
        // SAFETY: `value` points at a live `T` of the size passed; a failure only
        // leaves the option unchanged.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                name,
                (value as *const T).cast(),
                std::mem::size_of::<T>() as libc::socklen_t,
            );
        }
    }

    pub fn linger_zero(s: &impl AsRawFd) {
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        set(s, libc::SO_LINGER, &linger);
    }

    pub fn small_receive_buffer(s: &impl AsRawFd) {
        let size: libc::c_int = 64 * 1024;
        set(s, libc::SO_RCVBUF, &size);
    }
}

#[cfg(windows)]
mod sockopt {
    use std::os::windows::io::AsRawSocket;

    #[link(name = "ws2_32")]
    extern "system" {
        fn setsockopt(s: usize, level: i32, name: i32, value: *const u8, len: i32) -> i32;
    }

    const SOL_SOCKET: i32 = 0xffff;
    const SO_LINGER: i32 = 0x0080;
    const SO_RCVBUF: i32 = 0x1002;

    #[repr(C)]
    struct Linger {
        l_onoff: u16,
        l_linger: u16,
    }

    fn set<T>(s: &impl AsRawSocket, name: i32, value: &T) {
        // SAFETY: `value` points at a live `T` of the size passed; a failure only
        // leaves the option unchanged.
        unsafe {
            setsockopt(
                s.as_raw_socket() as usize,
                SOL_SOCKET,
                name,
                (value as *const T).cast(),
                std::mem::size_of::<T>() as i32,
            );
        }
    }

    pub fn linger_zero(s: &impl AsRawSocket) {
        set(
            s,
            SO_LINGER,
            &Linger {
                l_onoff: 1,
                l_linger: 0,
            },
        );
    }

    pub fn small_receive_buffer(s: &impl AsRawSocket) {
        set(s, SO_RCVBUF, &(64i32 * 1024));
    }
}
