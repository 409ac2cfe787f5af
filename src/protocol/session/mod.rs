//! The SMTP client conversation as a sans-IO state machine.
//!
//! A [`Session`] is one connection's conversation, from the greeting to QUIT:
//! greeting, EHLO with HELO fallback, STARTTLS, AUTH, then operations queued by the
//! caller — mail transactions (MAIL, RCPT, DATA or BDAT, the body) and NOOP, RSET,
//! VRFY, ETRN, QUIT. It does no I/O and reads no clock: the driver feeds it the
//! server's bytes and the message bodies, writes what it produces, and acts on what
//! it asks for ([`Want`]); results come out as [`Event`]s.
//!
//! Every command written is recorded as awaiting a reply, in order, so PIPELINING is
//! the normal case: commands go out in groups, replies are matched to them in
//! order. A reply that arrives before the command it would answer was written, or
//! bytes beyond the reply to the last command written, mean the server is out of
//! step: the session fails with `Protocol` rather than take a reply for the wrong
//! command (only a trailing 421, the server's announced close, is allowed).
//!
//! A driver loop, in outline:
//!
//! ```text
//! loop {
//!     match session.want() {
//!         Want::Write => { let n = write(session.output())?; session.written(n) }
//!         Want::Read => match read() { Ok(0) => session.peer_closed(),
//!                                      Ok(n) => session.receive(&buf[..n]),
//!                                      Err(e) => session.io_failed(e) }
//!         Want::Body { message, offset, max } => /* push_body / end_body / body_failed */,
//!         Want::StartTls => { handshake()?; session.tls_started() }
//!         Want::Abort => { close(); break }
//!         Want::Idle | Want::Closed => break,
//!     }
//!     while let Some(event) = session.poll_event() { /* log, results */ }
//! }
//! ```

mod mail;
mod setup;
mod simple;
#[cfg(test)]
mod tests;

pub use simple::SimpleCommand;

use crate::error::{Error, ErrorKind, Result};
use crate::protocol::command::Command;
use crate::protocol::envelope::Envelope;
use crate::protocol::extensions::Extensions;
use crate::protocol::reply::{Reply, ReplyParser};
use crate::protocol::report::Report;
use crate::protocol::sasl::{Credentials, Exchange};
use crate::redact::Redactor;
use mail::Tx;
use std::collections::VecDeque;

/// Most commands awaiting their replies at once with PIPELINING. A window, not a
/// stop-and-wait group: as replies come in, more commands go, so the pipe stays
/// full; and the server's unread replies stay bounded, so the two sides can never
/// deadlock on full socket buffers (RFC 2920 section 3.1).
pub const GROUP: usize = 100;

/// The BDAT chunk size: a message whose whole body fits in one chunk goes as a
/// single `BDAT n LAST` in the same write as MAIL and RCPT.
pub const CHUNK: usize = 128 * 1024;

/// Most body bytes asked for at a time in DATA mode.
pub const BODY_STEP: usize = 64 * 1024;

/// How TLS is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plaintext; the caller accepts the risk (credentials may travel in clear).
    None,
    /// STARTTLS when offered; credentials are never sent without TLS.
    StartTlsOpportunistic,
    /// STARTTLS required: fail with `TlsUnavailable` when it is not offered.
    StartTls,
    /// TLS from the first byte (SMTPS, port 465); the driver does the handshake
    /// before the session starts.
    Implicit,
}

impl TlsMode {
    /// The default for a port: implicit TLS on 465, required STARTTLS elsewhere.
    pub fn default_for_port(port: u16) -> TlsMode {
        if port == 465 {
            TlsMode::Implicit
        } else {
            TlsMode::StartTls
        }
    }
}

/// What a session is told before it starts.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The name sent in EHLO / HELO.
    pub helo_name: String,
    /// The TLS policy.
    pub tls: TlsMode,
    /// AUTH after EHLO (and TLS) when set.
    pub credentials: Option<Credentials>,
    /// Use PIPELINING when the server offers it.
    pub pipelining: bool,
    /// Use CHUNKING (BDAT) when the server offers it.
    pub chunking: bool,
    /// Produce [`Event::Sent`] for every command line (for a log).
    pub log_lines: bool,
}

/// What the session needs from its driver now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// Write [`Session::output`] to the server, then call [`Session::written`].
    Write,
    /// Wait for the server's bytes and pass them to [`Session::receive`] (EOF:
    /// [`Session::peer_closed`]; failure: [`Session::io_failed`]).
    Read,
    /// At most `max` bytes of message `message`'s body, from byte `offset` of it (0:
    /// from its start, even if it was read before): [`Session::push_body`], or
    /// [`Session::end_body`] at its end, or [`Session::body_failed`].
    Body {
        /// The caller's message id, as given to [`Session::send`].
        message: usize,
        /// Body bytes already taken for this transaction.
        offset: u64,
        /// Most bytes to push now.
        max: usize,
    },
    /// Run the TLS handshake now, then call [`Session::tls_started`] (or
    /// [`Session::io_failed`]). Any byte the server sent after its 220 is already
    /// refused by the session; the driver must check its own buffers.
    StartTls,
    /// Close the connection at once, without a goodbye (an aborted DATA transfer:
    /// the missing end-of-data mark makes the server discard the message).
    Abort,
    /// Nothing in progress: queue an operation, or end the session.
    Idle,
    /// The conversation is over; close the connection.
    Closed,
}

/// What the session reports.
#[derive(Debug)]
pub enum Event {
    /// A command line was written (AUTH payloads shown as `***`).
    Sent(String),
    /// A reply was received (always reported).
    Received(Reply),
    /// Something worth a log line.
    Info(String),
    /// A secret that is only known now (a computed SASL response): keep it out of
    /// every text.
    Secret(String),
    /// The session is established: greeting, EHLO, TLS and AUTH are done.
    Ready,
    /// The session could not be established.
    SetupFailed(Error),
    /// A message queued with [`Session::send`] is finished.
    MessageDone {
        /// The id given to [`Session::send`].
        message: usize,
        /// The report, or the failure (with the report once recipients were sent).
        result: Result<Report>,
        /// The connection was found dead before anything of this message was
        /// answered (lost at once, or 421 to MAIL) on a session that had worked
        /// before: the message may be sent again on a new connection.
        retry: bool,
    },
    /// A command queued with [`Session::command`] was answered (or failed).
    CommandDone(Result<Reply>),
}

/// Where the conversation is.
#[derive(Debug)]
enum Phase {
    /// Waiting for the greeting.
    Greeting,
    /// EHLO or HELO sent.
    Hello,
    /// STARTTLS sent.
    StartTls,
    /// The 220 to STARTTLS arrived: the driver runs the handshake.
    Upgrading,
    /// An AUTH exchange is running; `cancelled` holds the error once `*` was sent.
    Auth {
        exchange: Exchange,
        cancelled: Option<Error>,
    },
    /// Operations may run.
    Ready,
    /// QUIT sent.
    Quitting,
    /// Over.
    Closed,
}

/// What a written command waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaiting {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    Auth,
    Mail(u64),
    Rcpt(u64, usize),
    Data(u64),
    Bdat {
        tx: u64,
        last: bool,
    },
    EndOfData(u64),
    /// The RSET after a failed transaction.
    Reset,
    /// A caller's command.
    Command,
    /// QUIT; `quiet` after a setup failure (nobody waits for its result).
    Quit {
        quiet: bool,
    },
}

impl Awaiting {
    /// What the session was doing while it waited, for error messages.
    fn describe(self) -> &'static str {
        match self {
            Awaiting::Greeting => "reading the server greeting",
            Awaiting::Ehlo => "reading the reply to EHLO",
            Awaiting::Helo => "reading the reply to HELO",
            Awaiting::StartTls => "reading the reply to STARTTLS",
            Awaiting::Auth => "reading the reply to AUTH",
            Awaiting::Mail(_) => "reading the reply to MAIL FROM",
            Awaiting::Rcpt(..) => "reading the reply to RCPT TO",
            Awaiting::Data(_) => "reading the reply to DATA",
            Awaiting::Bdat { last: false, .. } => "reading the reply to BDAT",
            Awaiting::Bdat { last: true, .. } | Awaiting::EndOfData(_) => {
                "waiting for the reply to the message data"
            }
            Awaiting::Reset => "reading the reply to RSET",
            Awaiting::Command => "reading the reply to the command",
            Awaiting::Quit { .. } => "reading the reply to QUIT",
        }
    }

    /// The command a reply answers, for error messages.
    fn command_name(self) -> &'static str {
        match self {
            Awaiting::Greeting => "the greeting",
            Awaiting::Ehlo => "EHLO",
            Awaiting::Helo => "HELO",
            Awaiting::StartTls => "STARTTLS",
            Awaiting::Auth => "AUTH",
            Awaiting::Mail(_) => "MAIL FROM",
            Awaiting::Rcpt(..) => "RCPT TO",
            Awaiting::Data(_) => "DATA",
            Awaiting::Bdat { .. } => "BDAT",
            Awaiting::EndOfData(_) => "the end of the message data",
            Awaiting::Reset => "RSET",
            Awaiting::Command => "the command",
            Awaiting::Quit { .. } => "QUIT",
        }
    }
}

/// A written command and the output position where it ends: its reply is only
/// legitimate once the driver has written that far.
#[derive(Clone, Copy, Debug)]
struct Pending {
    what: Awaiting,
    end: u64,
}

/// The output side: bytes to write, commands awaiting replies, events.
#[derive(Debug)]
struct Wire {
    out: Vec<u8>,
    out_start: usize,
    /// Bytes the driver reported written.
    written: u64,
    awaiting: VecDeque<Pending>,
    events: VecDeque<Event>,
    log_lines: bool,
}

impl Wire {
    /// Appends a command line and records what it awaits. An invalid argument is
    /// refused before anything is appended.
    fn command(&mut self, command: &Command<'_>, what: Awaiting) -> Result<()> {
        command.encode(&mut self.out)?;
        self.awaiting.push_back(Pending {
            what,
            end: self.produced(),
        });
        if self.log_lines {
            self.events.push_back(Event::Sent(command.log_line()));
        }
        Ok(())
    }

    /// Appends raw bytes (message data).
    fn bytes(&mut self, data: &[u8]) {
        self.out.extend_from_slice(data);
    }

    /// Bytes ever appended to the output (written or not).
    fn produced(&self) -> u64 {
        self.written + (self.out.len() - self.out_start) as u64
    }

    /// Drops what was not written yet (the connection is being closed).
    fn discard_output(&mut self) {
        self.out.clear();
        self.out_start = 0;
    }

    fn info(&mut self, text: impl Into<String>) {
        self.events.push_back(Event::Info(text.into()));
    }

    fn event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// Whether the head of `awaiting` has been written.
    fn head_written(&self) -> bool {
        self.awaiting.front().is_some_and(|p| self.written >= p.end)
    }

    /// Whether the entry after the head exists and has been written.
    fn second_written(&self) -> bool {
        self.awaiting.get(1).is_some_and(|p| self.written >= p.end)
    }
}

/// One connection's conversation. See the module documentation.
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    phase: Phase,
    parser: ReplyParser,
    wire: Wire,
    ext: Extensions,
    /// PIPELINING and CHUNKING offered and switched on (looked up once per EHLO).
    use_pipelining: bool,
    use_chunking: bool,
    tls_active: bool,
    /// Operations not started yet.
    ops: VecDeque<Op>,
    /// Started transactions, oldest first.
    txs: VecDeque<Tx>,
    next_seq: u64,
    /// The caller's command in flight.
    command: Option<SimpleCommand>,
    /// Operations finished on this connection (a reused session when > 0).
    completed: u64,
    replies: u64,
    /// Set by a failure that needs the connection closed at once.
    abort: bool,
}

/// A queued operation.
#[derive(Debug)]
enum Op {
    Send {
        message: usize,
        envelope: Envelope,
    },
    /// A further transaction of a message whose recipients were refused with 452.
    Retry(Box<mail::Retry>),
    Command(SimpleCommand),
}

impl Session {
    /// A session on a fresh connection, waiting for the greeting. `tls_active`: the
    /// connection is already TLS (implicit TLS).
    pub fn new(cfg: SessionConfig, tls_active: bool) -> Session {
        let mut wire = Wire {
            out: Vec::with_capacity(4096),
            out_start: 0,
            written: 0,
            awaiting: VecDeque::new(),
            events: VecDeque::new(),
            log_lines: cfg.log_lines,
        };
        wire.awaiting.push_back(Pending {
            what: Awaiting::Greeting,
            end: 0,
        });
        // Secrets are known from the start, so that no reply, however malformed,
        // quotes one (a server may echo credentials before AUTH is even sent).
        let mut redactor = Redactor::new();
        for form in cfg.credentials.iter().flat_map(Credentials::secret_forms) {
            redactor.add_exact(&form);
        }
        Session {
            cfg,
            phase: Phase::Greeting,
            parser: ReplyParser::redacting(redactor),
            wire,
            ext: Extensions::none(),
            use_pipelining: false,
            use_chunking: false,
            tls_active,
            ops: VecDeque::new(),
            txs: VecDeque::new(),
            next_seq: 0,
            command: None,
            completed: 0,
            replies: 0,
            abort: false,
        }
    }

    // ----- what the driver asks ------------------------------------------------

    /// What to do next.
    pub fn want(&self) -> Want {
        match self.phase {
            Phase::Closed if self.abort => return Want::Abort,
            Phase::Closed => return Want::Closed,
            _ => {}
        }
        let body = self.body_wanted();
        // Body bytes are gathered up to BODY_STEP before a write, so that a small
        // message, its end of data and the next message's commands share a write.
        let pending = self.output().len();
        if pending >= BODY_STEP || (pending > 0 && body.is_none()) {
            return Want::Write;
        }
        if matches!(self.phase, Phase::Upgrading) {
            return Want::StartTls;
        }
        if let Some(body) = body {
            return body;
        }
        if self.wire.head_written() {
            return Want::Read;
        }
        Want::Idle
    }

    /// The bytes to write now (possibly empty).
    pub fn output(&self) -> &[u8] {
        &self.wire.out[self.wire.out_start..]
    }

    /// The driver wrote the first `n` bytes of [`Session::output`].
    pub fn written(&mut self, n: usize) {
        let n = n.min(self.output().len());
        self.wire.out_start += n;
        self.wire.written += n as u64;
        if self.wire.out_start == self.wire.out.len() {
            self.wire.out.clear();
            self.wire.out_start = 0;
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.wire.events.pop_front()
    }

    /// What the server advertised in its last EHLO reply.
    pub fn extensions(&self) -> &Extensions {
        &self.ext
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// Whether operations can be queued and run.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready)
    }

    /// Whether the conversation is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Replies received so far (a driver restarts its reply timer when this grows).
    pub fn replies_received(&self) -> u64 {
        self.replies
    }

    /// Whether the driver should look for bytes from the server (without waiting)
    /// before it writes: replies are due, or a message body is being sent and any
    /// byte from the server now would be out of step.
    pub fn wants_early_input(&self) -> bool {
        self.wire.head_written() || self.txs.iter().any(Tx::sending_data_body)
    }

    // ----- what the driver reports ---------------------------------------------

    /// Bytes from the server.
    pub fn receive(&mut self, input: &[u8]) {
        let mut rest = input;
        while !rest.is_empty() && !self.is_closed() {
            let (used, reply) = match self.parser.parse(rest) {
                Ok(parsed) => parsed,
                Err(e) => {
                    let context = self
                        .wire
                        .awaiting
                        .front()
                        .map_or("reading a reply", |p| p.what.describe());
                    self.abort = true;
                    self.fail(e.context(context));
                    return;
                }
            };
            rest = &rest[used..];
            match reply {
                Some(reply) => self.on_reply(reply, rest),
                None if !self.wire.head_written() => {
                    // A partial reply with nothing written that it could answer.
                    self.out_of_step(None, rest.len() + used);
                    return;
                }
                None => {}
            }
        }
    }

    /// The server closed the connection.
    pub fn peer_closed(&mut self) {
        self.io_failed(Error::new(
            ErrorKind::ConnectionLost,
            "the server closed the connection",
        ));
    }

    /// Reading from or writing to the server failed (timeout, reset, TLS failure,
    /// cancel). Every operation in progress fails, each with what it means for it.
    pub fn io_failed(&mut self, error: Error) {
        if self.is_closed() {
            return;
        }
        let context = self.wire.awaiting.front().map(|p| p.what);
        let error = match context {
            Some(what) if matches!(self.phase, Phase::Greeting) => self.greeting_hint(what, error),
            Some(what) => error.context(what.describe()),
            None => error,
        };
        self.abort = true;
        self.fail(error);
    }

    /// The TLS handshake the session asked for ([`Want::StartTls`]) succeeded.
    pub fn tls_started(&mut self) {
        if matches!(self.phase, Phase::Upgrading) {
            self.tls_active = true;
            self.tls_upgraded();
        }
    }

    // ----- operations ----------------------------------------------------------

    /// Queues a message. Its body is asked for with [`Want::Body`]; its result comes
    /// as [`Event::MessageDone`] with `message`.
    pub fn send(&mut self, message: usize, envelope: Envelope) {
        if self.is_closed() {
            self.wire.event(Event::MessageDone {
                message,
                result: Err(closed_error()),
                retry: false,
            });
            return;
        }
        self.ops.push_back(Op::Send { message, envelope });
        self.pump();
    }

    /// Queues NOOP, RSET, VRFY, ETRN or QUIT; its result comes as
    /// [`Event::CommandDone`].
    pub fn command(&mut self, command: SimpleCommand) {
        if self.is_closed() {
            self.wire.event(Event::CommandDone(Err(closed_error())));
            return;
        }
        self.ops.push_back(Op::Command(command));
        self.pump();
    }

    // ----- internals -----------------------------------------------------------

    /// Handles one complete reply; `rest` is what followed it in the same input.
    fn on_reply(&mut self, reply: Reply, rest: &[u8]) {
        if !self.wire.head_written() {
            self.log_reply(&reply);
            self.out_of_step(Some(&reply), rest.len());
            return;
        }
        if !rest.is_empty() && !self.wire.second_written() && !only_closing_replies(rest) {
            // Bytes beyond the reply to the last command written: the server is
            // ahead of the client, so this reply cannot be trusted either.
            self.log_reply(&reply);
            let what = self.wire.awaiting.front().map(|p| p.what);
            self.beyond_last_reply(what, &reply, rest.len());
            return;
        }
        let Some(pending) = self.wire.awaiting.pop_front() else {
            return;
        };
        self.replies += 1;
        self.log_reply(&reply);
        if reply.code == 421 && closes_at_once(pending.what) {
            self.note_refusal(pending.what, &reply);
            self.server_closing(&reply);
            return;
        }
        let closing = reply.code == 421 && !matches!(pending.what, Awaiting::Quit { .. });
        let closing_reply = closing.then(|| reply.clone());
        match pending.what {
            Awaiting::Greeting
            | Awaiting::Ehlo
            | Awaiting::Helo
            | Awaiting::StartTls
            | Awaiting::Auth => self.on_setup_reply(pending.what, reply),
            Awaiting::Mail(tx)
            | Awaiting::Rcpt(tx, _)
            | Awaiting::Data(tx)
            | Awaiting::Bdat { tx, .. }
            | Awaiting::EndOfData(tx) => self.on_tx_reply(tx, pending.what, reply),
            Awaiting::Reset => self.on_reset_reply(reply),
            Awaiting::Command | Awaiting::Quit { .. } => self.on_command_reply(pending.what, reply),
        }
        match closing_reply {
            Some(reply) => self.server_closing(&reply),
            None => self.pump(),
        }
    }

    /// The server announced its close (421): nothing in progress can go on.
    fn server_closing(&mut self, reply: &Reply) {
        self.abort = true;
        self.fail(Error::from_reply(
            ErrorKind::ConnectionLost,
            "the server is closing the session",
            reply,
        ));
    }

    /// Every reply becomes an event (the driver keeps the last one for its getters).
    fn log_reply(&mut self, reply: &Reply) {
        self.wire.event(Event::Received(reply.clone()));
    }

    /// A reply (or part of one) arrived with no written command to answer.
    fn out_of_step(&mut self, reply: Option<&Reply>, pending_bytes: usize) {
        if let Some(reply) = reply.filter(|r| r.code == 421) {
            self.wire.info(format!(
                "the server closed the session: {}",
                reply.one_line()
            ));
            self.server_closing(reply);
            return;
        }
        let message = match reply {
            Some(reply) => format!(
                "the server sent a reply while no command was waiting for one ({}): its \
                 replies are out of step with the commands",
                reply.one_line()
            ),
            None => format!(
                "the server sent {pending_bytes} byte(s) while no command was waiting for a \
                 reply: its replies are out of step with the commands"
            ),
        };
        let mut error = Error::protocol(message);
        if let Some(reply) = reply {
            error = error.with_reply(reply.clone());
        }
        self.abort = true;
        self.fail(error);
    }

    /// Bytes followed the reply to the last command written.
    fn beyond_last_reply(&mut self, what: Option<Awaiting>, reply: &Reply, extra: usize) {
        let message = match what {
            Some(Awaiting::StartTls) if reply.code == 220 => format!(
                "the server sent {extra} unexpected byte(s) after its 220 reply to STARTTLS \
                 (possible response injection); refusing to start TLS"
            ),
            Some(what) => format!(
                "the server sent {extra} byte(s) beyond its reply to {} ({}) before the next \
                 command was written: its replies are out of step with the commands, so none \
                 is taken as the answer",
                what.command_name(),
                reply.one_line()
            ),
            None => format!("the server sent {extra} unexpected byte(s)"),
        };
        self.abort = true;
        self.fail(Error::protocol(message).with_reply(reply.clone()));
    }

    /// Ends everything: the setup, every started and queued operation. The first
    /// message in progress gets `error` (or UNKNOWN_OUTCOME if its whole body was
    /// written), later ones NOT_SENT.
    fn fail(&mut self, error: Error) {
        if self.is_closed() {
            return;
        }
        if self.abort {
            self.wire.discard_output();
        }
        match &self.phase {
            Phase::Ready | Phase::Quitting => {}
            _ => {
                self.phase = Phase::Closed;
                self.wire.event(Event::SetupFailed(error.clone()));
                self.fail_operations(&error);
                return;
            }
        }
        self.phase = Phase::Closed;
        self.fail_transactions(&error);
        self.fail_operations(&error);
    }

    /// Fails every queued operation and a command in flight.
    fn fail_operations(&mut self, error: &Error) {
        let in_flight = self
            .wire
            .awaiting
            .iter()
            .any(|p| matches!(p.what, Awaiting::Command | Awaiting::Quit { quiet: false }));
        if in_flight {
            self.wire.event(Event::CommandDone(Err(error.clone())));
        }
        self.wire.awaiting.clear();
        while let Some(op) = self.ops.pop_front() {
            match op {
                Op::Send { message, envelope } => {
                    let not_sent = not_sent_error(error);
                    let report = mail::unsent_report(&envelope, ErrorKind::NotSent);
                    self.wire.event(Event::MessageDone {
                        message,
                        result: Err(not_sent.with_report(report)),
                        retry: false,
                    });
                }
                Op::Retry(retry) => {
                    let (message, result) = retry.not_sent(error);
                    self.wire.event(Event::MessageDone {
                        message,
                        result,
                        retry: false,
                    });
                }
                Op::Command(_) => self.wire.event(Event::CommandDone(Err(error.clone()))),
            }
        }
    }

    /// Starts queued operations that nothing blocks and lets started transactions
    /// write what they can.
    fn pump(&mut self) {
        loop {
            if !self.is_ready() {
                return;
            }
            let mut progressed = false;
            let mut t = 0;
            while t < self.txs.len() {
                progressed |= self.advance_tx(t);
                t += 1;
            }
            progressed |= self.start_next_op();
            if !progressed {
                return;
            }
        }
    }

    /// Starts the next queued operation if nothing blocks it.
    fn start_next_op(&mut self) -> bool {
        let startable = match self.ops.front() {
            None => false,
            Some(Op::Command(_)) => self.txs.is_empty() && self.wire.awaiting.is_empty(),
            Some(Op::Send { envelope, .. }) => {
                self.can_start_transaction(envelope.recipients.len() + 3)
            }
            Some(Op::Retry(retry)) => self.can_start_transaction(retry.commands()),
        };
        if !startable {
            return false;
        }
        match self.ops.pop_front() {
            Some(Op::Send { message, envelope }) => self.start_transaction(message, envelope),
            Some(Op::Retry(retry)) => self.start_retry(*retry),
            Some(Op::Command(command)) => self.start_command(command),
            None => {}
        }
        true
    }

    /// Whether PIPELINING is in use.
    fn pipelining(&self) -> bool {
        self.use_pipelining
    }

    /// Whether BDAT is in use.
    fn chunking(&self) -> bool {
        self.use_chunking
    }

    /// Takes what the server advertised (EHLO), or forgets it (HELO, TLS).
    fn set_extensions(&mut self, ext: Extensions) {
        self.use_pipelining = self.cfg.pipelining && ext.has("PIPELINING");
        self.use_chunking = self.cfg.chunking && ext.has("CHUNKING");
        self.ext = ext;
    }

    /// The body request of the transaction that takes body bytes now, if any.
    fn body_wanted(&self) -> Option<Want> {
        self.txs.iter().find_map(Tx::body_request)
    }
}

/// Whether a 421 in answer to `what` ends the session without being taken as that
/// command's answer (CONNECTION_LOST, the 421 kept). A 421 greeting is the
/// greeting's refusal, and a 421 to the end of the data the message's (temporary)
/// refusal; then the session closes.
fn closes_at_once(what: Awaiting) -> bool {
    matches!(
        what,
        Awaiting::Ehlo
            | Awaiting::Helo
            | Awaiting::StartTls
            | Awaiting::Auth
            | Awaiting::Mail(_)
            | Awaiting::Rcpt(..)
            | Awaiting::Data(_)
            | Awaiting::Bdat { last: false, .. }
            | Awaiting::Reset
            | Awaiting::Command
    )
}

/// Whether `rest` holds only complete 421 replies (the server announcing its close
/// right behind a reply is allowed).
fn only_closing_replies(rest: &[u8]) -> bool {
    let mut parser = ReplyParser::new();
    let mut input = rest;
    while !input.is_empty() {
        match parser.parse(input) {
            Ok((used, Some(reply))) if reply.code == 421 => input = &input[used..],
            _ => return false,
        }
    }
    parser.is_idle()
}

fn closed_error() -> Error {
    Error::new(ErrorKind::State, "the session is closed")
}

/// The failure of a message that was queued behind the one that failed.
fn not_sent_error(cause: &Error) -> Error {
    Error::new(
        ErrorKind::NotSent,
        format!(
            "not sent: the session ended before this message ({}); nothing of it was delivered",
            cause.message()
        ),
    )
}
