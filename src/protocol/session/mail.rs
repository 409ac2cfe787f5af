//! Mail transactions: MAIL FROM, RCPT TO, DATA or BDAT, the body, and what every
//! reply means for the message and each recipient.
//!
//! - DATA (no CHUNKING): MAIL, the RCPTs and DATA go in one group; after the 354 the
//!   body streams through the dot-stuffing encoder, and the next message's MAIL,
//!   RCPTs and DATA follow its end-of-data mark in the same write (RFC 2920 section
//!   3.1), so a batch costs one round trip per message.
//! - BDAT (CHUNKING): the first chunk is read before MAIL. If the whole body fits,
//!   MAIL, the RCPTs and `BDAT n LAST` with the body go in one write: one round trip.
//!   A larger body waits for the RCPT replies, then streams as pipelined chunks.
//!   In a batch, the next message follows a message's last chunk at once, led by
//!   RSET: a refused chunk leaves the server's state undefined until RSET (RFC
//!   3030), and the failure may only be known after the next MAIL was written, so
//!   every overlapping transaction starts from a clean state. A group of messages
//!   then costs one round trip.
//!
//! A transaction that fails before its data was answered is followed by RSET, so
//! the session stays usable. Recipients refused with 452 (too many recipients) go
//! in a further transaction on the same connection (RFC 5321 section 3.3), as long
//! as each transaction delivers to someone.

use super::{Awaiting, Event, Op, Pending, Session, Want, Wire, BODY_STEP, CHUNK, GROUP};
use crate::error::{Error, ErrorKind};
use crate::protocol::command::Command;
use crate::protocol::data::DataEncoder;
use crate::protocol::envelope::{Envelope, MailParams};
use crate::protocol::reply::Reply;
use crate::protocol::report::{RecipientResult, Report};
use crate::protocol::rules;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Data,
    Bdat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// BDAT: reading the first chunk before MAIL, to know whether it is the only one.
    ReadAhead,
    /// MAIL, the RCPTs, then DATA or the single `BDAT n LAST` go out.
    Commands,
    /// DATA written; waiting for its 354.
    AwaitGo,
    /// BDAT with a body of several chunks: waiting for the MAIL and RCPT replies.
    AwaitRcpts,
    /// DATA: the body streams (after the 354).
    Body,
    /// BDAT: the chunks stream.
    Chunks,
    /// Nothing more to write: waiting for the replies in flight.
    AwaitFinal,
}

/// One transaction (one attempt of one message).
#[derive(Debug)]
pub(super) struct Tx {
    seq: u64,
    message: usize,
    env: Envelope,
    /// The message's report, carried over to a further transaction.
    report: Report,
    /// The envelope recipients (indexes) of this attempt.
    targets: Vec<usize>,
    params: MailParams,
    mode: Mode,
    stage: Stage,
    mail_sent: bool,
    mail_reply: Option<Reply>,
    /// The next position in `targets` to send RCPT for.
    next_rcpt: usize,
    rcpt_answered: usize,
    accepted: usize,
    first_refusal: Option<Reply>,
    /// A RCPT of this message was written (in this or an earlier attempt).
    rcpts_written: bool,
    /// Replies still due for this transaction's commands.
    in_flight: usize,
    /// The failure, decided; reported once nothing is in flight.
    error: Option<Error>,
    encoder: DataEncoder,
    /// BDAT: encoded body bytes not written yet.
    chunk: Vec<u8>,
    /// Body bytes taken from the source.
    body_in: u64,
    body_done: bool,
    /// BDAT: the whole body fit in the chunk read ahead (one `BDAT n LAST`).
    single: bool,
    /// Output position where the end of the data (dot or last chunk) ends.
    end_mark: Option<u64>,
    final_reply: Option<Reply>,
    /// DATA: an empty body was sent after a 354 nobody wanted.
    empty_body: bool,
    /// Started on a session that had finished operations before.
    reused: bool,
    /// The server announced its close (421) in answer to one of this
    /// transaction's commands: it processed nothing after that, so nothing here
    /// can have been delivered.
    closed_by_421: bool,
    /// BDAT, started while an earlier transaction was unfinished: RSET goes first.
    leading_rset: bool,
}

impl Tx {
    /// Whether the DATA body is streaming (any byte from the server now is out of step).
    pub(super) fn sending_data_body(&self) -> bool {
        self.mode == Mode::Data && self.stage == Stage::Body
    }

    /// The body request of this transaction, if it takes body bytes now.
    pub(super) fn body_request(&self) -> Option<Want> {
        let max = match (self.mode, self.stage) {
            (Mode::Data, Stage::Body) => BODY_STEP,
            // One byte more than a chunk tells a body of exactly one chunk from a
            // longer one.
            (Mode::Bdat, Stage::ReadAhead) => CHUNK + 1 - self.chunk.len().min(CHUNK),
            (Mode::Bdat, Stage::Chunks) if !self.body_done && self.chunk.len() < CHUNK => {
                CHUNK - self.chunk.len()
            }
            _ => return None,
        };
        Some(Want::Body {
            message: self.message,
            offset: self.body_in,
            max,
        })
    }

    fn mail_refused(&self) -> bool {
        self.mail_reply.as_ref().is_some_and(|r| !r.is_positive())
    }

    /// MAIL accepted and at least one recipient accepted.
    fn viable(&self) -> bool {
        self.mail_reply.as_ref().is_some_and(Reply::is_positive) && self.accepted > 0
    }

    /// Why the transaction cannot go on before its data: the sender or every
    /// recipient refused.
    fn refusal(&self) -> Option<Error> {
        if let Some(reply) = self.mail_reply.as_ref().filter(|r| !r.is_positive()) {
            let kind = rules::mail_error(reply).unwrap_or(ErrorKind::SenderRejected);
            return Some(Error::from_reply(
                kind,
                &format!("the server refused the sender <{}>", self.env.from),
                reply,
            ));
        }
        if self.rcpt_answered == self.targets.len() && self.accepted == 0 {
            return Some(self.recipients_refused());
        }
        None
    }

    fn recipients_refused(&self) -> Error {
        let n = self.targets.len();
        let first = self.targets.first().map(|&r| &self.report.recipients[r]);
        let (address, code, text) = first.map_or(("", 0, String::new()), |r| {
            (r.address.as_str(), r.code, r.text.replace('\n', " "))
        });
        let mut error = Error::new(
            ErrorKind::RecipientsRejected,
            format!(
                "the server refused every recipient ({n} of {n}); nothing was sent. First: \
                 <{address}>: {code} {text}"
            ),
        );
        if let Some(reply) = &self.first_refusal {
            error = error.with_reply(reply.clone());
        }
        error
    }

    /// The RCPT parameters of target position `pos`.
    fn rcpt_command_params(&self, pos: usize) -> Vec<String> {
        self.env.rcpt_params(self.targets[pos], self.params.use_dsn)
    }
}

/// A report with every recipient of `envelope` not sent, failing with `kind`.
pub(super) fn unsent_report(envelope: &Envelope, kind: ErrorKind) -> Report {
    Report {
        recipients: envelope
            .recipients
            .iter()
            .map(|r| RecipientResult {
                failure: Some(kind),
                ..RecipientResult::unsent(&r.address)
            })
            .collect(),
        final_reply: None,
    }
}

/// Room for one more command now: with PIPELINING while fewer than [`GROUP`]
/// await their replies (so the server's unread replies stay bounded and the two
/// sides cannot deadlock on full buffers, RFC 2920 section 3.1), else only when
/// nothing awaits a reply.
fn room(wire: &Wire, pipelined: bool) -> bool {
    if pipelined {
        wire.awaiting.len() < GROUP
    } else {
        wire.awaiting.is_empty()
    }
}

impl Session {
    /// Whether the next queued message may start: with PIPELINING once the
    /// transaction before it has written the end of its data, otherwise when
    /// nothing is open.
    ///
    /// An overlapping transaction starts only when all of its `commands` fit in the
    /// window of commands awaiting replies.
    pub(super) fn can_start_transaction(&self, commands: usize) -> bool {
        if !self.pipelining() {
            return self.txs.is_empty() && self.wire.awaiting.is_empty();
        }
        match self.txs.back() {
            None => true,
            Some(last) => {
                self.txs.len() < GROUP
                    && self.wire.awaiting.len() + commands <= GROUP
                    && last.stage == Stage::AwaitFinal
                    && !last.empty_body
                    && last.error.is_none()
            }
        }
    }

    /// Starts the first transaction of a message.
    pub(super) fn start_transaction(&mut self, message: usize, envelope: Envelope) {
        let report = unsent_report(&envelope, ErrorKind::NotSent);
        let targets = (0..envelope.recipients.len()).collect();
        self.start_attempt(message, envelope, report, targets, false);
    }

    /// Starts a transaction for `targets` of a message; fails it at once (nothing
    /// sent) when the message cannot go to this server.
    fn start_attempt(
        &mut self,
        message: usize,
        env: Envelope,
        report: Report,
        targets: Vec<usize>,
        rcpts_written: bool,
    ) {
        let mut notes = Vec::new();
        let params = match env.mail_params(&self.ext, &mut notes) {
            Ok(params) => params,
            Err(e) => {
                let error = if rcpts_written {
                    e.with_report(report)
                } else {
                    e
                };
                self.completed += 1;
                self.wire.event(Event::MessageDone {
                    message,
                    result: Err(error),
                    retry: false,
                });
                return;
            }
        };
        for note in notes {
            self.wire.info(note);
        }
        let mode = if self.chunking() {
            Mode::Bdat
        } else {
            Mode::Data
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.txs.push_back(Tx {
            seq,
            message,
            env,
            report,
            targets,
            params,
            mode,
            stage: if mode == Mode::Bdat {
                Stage::ReadAhead
            } else {
                Stage::Commands
            },
            mail_sent: false,
            mail_reply: None,
            next_rcpt: 0,
            rcpt_answered: 0,
            accepted: 0,
            first_refusal: None,
            rcpts_written,
            in_flight: 0,
            error: None,
            encoder: if mode == Mode::Bdat {
                DataEncoder::for_bdat()
            } else {
                DataEncoder::new()
            },
            chunk: Vec::new(),
            body_in: 0,
            body_done: false,
            single: false,
            end_mark: None,
            final_reply: None,
            empty_body: false,
            closed_by_421: false,
            reused: self.completed > 0,
            leading_rset: mode == Mode::Bdat && !self.txs.is_empty(),
        });
    }

    /// Lets transaction `t` write what it can now; true if it wrote something.
    pub(super) fn advance_tx(&mut self, t: usize) -> bool {
        match self.txs[t].stage {
            Stage::Commands => self.write_commands(t),
            Stage::Chunks => self.write_chunks(t),
            _ => false,
        }
    }

    /// MAIL, the RCPTs, then DATA, the single BDAT LAST, or a wait for the replies.
    fn write_commands(&mut self, t: usize) -> bool {
        let pipelined = self.pipelining();
        match write_commands_of(&mut self.wire, &mut self.txs[t], pipelined) {
            Ok(wrote) => wrote,
            Err(e) => {
                // An envelope is validated when built, so this is not expected.
                let tx = &mut self.txs[t];
                tx.error = Some(e);
                tx.stage = Stage::AwaitFinal;
                self.settle(t);
                true
            }
        }
    }

    /// BDAT chunks, while there is room and a full chunk (or the last one).
    fn write_chunks(&mut self, t: usize) -> bool {
        let pipelined = self.pipelining();
        let wire = &mut self.wire;
        let tx = &mut self.txs[t];
        let mut wrote = false;
        while tx.stage == Stage::Chunks
            && (tx.chunk.len() >= CHUNK || tx.body_done)
            && room(wire, pipelined)
        {
            write_chunk(wire, tx);
            wrote = true;
        }
        wrote
    }

    /// A reply to one of a transaction's commands.
    pub(super) fn on_tx_reply(&mut self, seq: u64, what: Awaiting, reply: Reply) {
        let Some(t) = self.txs.iter().position(|tx| tx.seq == seq) else {
            return;
        };
        // A success where it cannot be one: 2xx to DATA (the server will not read
        // the data, which would go to it as commands) or 3xx after the data. The
        // conversation is out of step; nothing more is said on it.
        let impossible = match what {
            Awaiting::Data(_) => reply.is_positive(),
            Awaiting::Bdat { .. } | Awaiting::EndOfData(_) => reply.is_intermediate(),
            _ => false,
        };
        if impossible {
            let error = Error::from_reply(
                ErrorKind::Protocol,
                &format!(
                    "the server answered {} with {}, which it never means there: its \
                     replies are out of step with the commands",
                    what.command_name(),
                    reply.code
                ),
                &reply,
            );
            self.abort = true;
            self.fail(error);
            return;
        }
        let tx = &mut self.txs[t];
        tx.in_flight = tx.in_flight.saturating_sub(1);
        match what {
            Awaiting::Mail(_) => tx.mail_reply = Some(reply),
            Awaiting::Rcpt(_, pos) => {
                let accepted = rules::rcpt_accepted(&reply);
                let result = &mut tx.report.recipients[tx.targets[pos]];
                result.code = reply.code;
                result.text = reply.text();
                if accepted {
                    tx.accepted += 1;
                } else {
                    result.failure = Some(ErrorKind::RecipientsRejected);
                    tx.first_refusal.get_or_insert(reply);
                }
                tx.rcpt_answered += 1;
            }
            Awaiting::Data(_) if reply.code == 354 && tx.viable() => tx.stage = Stage::Body,
            Awaiting::Data(_) if reply.code == 354 => {
                // A pipelining server said 354 although nothing can be delivered: it
                // gets an empty message, then RSET.
                tx.error = tx.refusal();
                tx.empty_body = true;
                self.wire.bytes(b".\r\n");
                self.wire.awaiting.push_back(Pending {
                    what: Awaiting::EndOfData(seq),
                    end: self.wire.produced(),
                });
                tx.in_flight += 1;
                tx.stage = Stage::AwaitFinal;
            }
            Awaiting::Data(_) => {
                tx.error = Some(tx.refusal().unwrap_or_else(|| {
                    let kind = rules::data_error(&reply).unwrap_or(ErrorKind::MessageRejected);
                    Error::from_reply(kind, "the server refused DATA", &reply)
                }));
                tx.stage = Stage::AwaitFinal;
            }
            Awaiting::Bdat { last: false, .. } if !reply.is_positive() && tx.error.is_none() => {
                let kind = rules::final_error(&reply).unwrap_or(ErrorKind::MessageRejected);
                tx.error = Some(tx.refusal().unwrap_or_else(|| {
                    Error::from_reply(
                        kind,
                        "the server refused a BDAT chunk of the message data; the \
                             transaction was reset, nothing was delivered",
                        &reply,
                    )
                }));
                tx.stage = Stage::AwaitFinal;
                tx.chunk = Vec::new();
            }
            Awaiting::Bdat { last: true, .. } | Awaiting::EndOfData(_)
                if !tx.empty_body && tx.error.is_none() =>
            {
                if let Some(refusal) = tx.refusal() {
                    tx.error = Some(refusal);
                } else {
                    if let Some(kind) = rules::final_error(&reply) {
                        tx.error = Some(Error::from_reply(
                            kind,
                            "the server refused the message data",
                            &reply,
                        ));
                    }
                    tx.final_reply = Some(reply);
                }
            }
            _ => {}
        }
        self.settle(t);
    }

    /// Once nothing is in flight for transaction `t`: finishes it if its outcome is
    /// known, or moves a BDAT transaction from the RCPT replies to its chunks.
    fn settle(&mut self, t: usize) {
        let tx = &mut self.txs[t];
        if tx.in_flight > 0 {
            return;
        }
        let error = tx.error.take().or_else(|| tx.refusal());
        if error.is_some() || tx.final_reply.is_some() {
            self.finish(t, error);
        } else if tx.stage == Stage::AwaitRcpts {
            tx.stage = Stage::Chunks;
        }
    }

    /// Ends transaction `t`: RSET when it failed before its data was answered,
    /// the recipients' fates, a further transaction for the 452 ones, or the
    /// message's result.
    fn finish(&mut self, t: usize, error: Option<Error>) {
        let Some(mut tx) = self.txs.remove(t) else {
            return;
        };
        let data_answered = tx.mode == Mode::Data && tx.final_reply.is_some();
        // A later transaction already written began with its own RSET.
        if tx.mail_sent && error.is_some() && !data_answered && self.txs.is_empty() {
            // Cannot fail: RSET has no argument.
            let _ = self.wire.command(&Command::Rset, Awaiting::Reset);
        }
        if let Some(reply) = tx.final_reply.take() {
            tx.report.final_reply = Some(reply);
        }
        mark_recipients(&mut tx, error.as_ref().map(Error::kind));
        if error.is_none() {
            let deferred: Vec<usize> = tx
                .targets
                .iter()
                .copied()
                .filter(|&r| too_many_recipients(&tx.report.recipients[r]))
                .collect();
            if !deferred.is_empty() && tx.accepted > 0 {
                self.wire.info(format!(
                    "{} recipient(s) were refused with 452 (too many recipients); sending to \
                     them in a further transaction",
                    deferred.len()
                ));
                self.ops.push_front(Op::Retry(Box::new(Retry {
                    message: tx.message,
                    env: tx.env,
                    report: tx.report,
                    targets: deferred,
                })));
                return;
            }
        }
        self.completed += 1;
        let result = conclude(tx.report, error, tx.rcpts_written);
        self.wire.event(Event::MessageDone {
            message: tx.message,
            result,
            retry: false,
        });
    }

    /// Starts a further transaction for recipients refused with 452.
    pub(super) fn start_retry(&mut self, retry: Retry) {
        let Retry {
            message,
            env,
            report,
            targets,
        } = retry;
        self.start_attempt(message, env, report, targets, true);
    }

    /// Records a 421 to MAIL or RCPT in its transaction before the session ends, so
    /// that the report shows it and nothing is taken as possibly delivered.
    pub(super) fn note_refusal(&mut self, what: Awaiting, reply: &Reply) {
        let (Awaiting::Mail(seq) | Awaiting::Rcpt(seq, _)) = what else {
            return;
        };
        let Some(tx) = self.txs.iter_mut().find(|tx| tx.seq == seq) else {
            return;
        };
        tx.closed_by_421 = true;
        match what {
            Awaiting::Mail(_) => tx.mail_reply = Some(reply.clone()),
            Awaiting::Rcpt(_, pos) => {
                let result = &mut tx.report.recipients[tx.targets[pos]];
                result.code = reply.code;
                result.text = reply.text();
                result.failure = Some(ErrorKind::RecipientsRejected);
                tx.rcpt_answered += 1;
            }
            _ => {}
        }
    }

    /// The connection failed: every started transaction ends. The oldest gets
    /// `error` — or UNKNOWN_OUTCOME when its whole body had been written — later ones
    /// NOT_SENT.
    pub(super) fn fail_transactions(&mut self, error: &Error) {
        let txs = std::mem::take(&mut self.txs);
        for (i, mut tx) in txs.into_iter().enumerate() {
            let end_written = tx.end_mark.is_some_and(|mark| self.wire.written >= mark);
            // Not delivered for sure: sender or every recipient refused, or a chunk.
            let refused = tx.refusal().is_some() || tx.error.is_some() || tx.closed_by_421;
            let unknown = end_written && tx.final_reply.is_none() && !tx.empty_body && !refused;
            let (failure, retry) = if unknown && error.kind() == ErrorKind::Protocol {
                // A reply out of step is never taken as the final reply, so the
                // message fails with the protocol error; it may have arrived though.
                let mut e = Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "{}; the whole message had been sent, so it may or may not have \
                         been delivered (not retried)",
                        error.message()
                    ),
                );
                if let Some(reply) = error.reply() {
                    e = e.with_reply(reply.clone());
                }
                (e, false)
            } else if unknown {
                let mut e = Error::new(
                    ErrorKind::UnknownOutcome,
                    format!(
                        "the whole message was sent, then {}: it may or may not have been \
                         delivered (not retried)",
                        error.message()
                    ),
                );
                if let Some(reply) = error.reply() {
                    e = e.with_reply(reply.clone());
                }
                (e, false)
            } else if i == 0 {
                let retry = tx.reused
                    && error.kind() == ErrorKind::ConnectionLost
                    && tx.rcpt_answered == 0
                    && tx.mail_reply.as_ref().map_or(true, |r| r.code == 421);
                (error.clone(), retry)
            } else {
                (super::not_sent_error(error), false)
            };
            mark_recipients(&mut tx, Some(failure.kind()));
            self.completed += 1;
            let result = conclude(tx.report, Some(failure), tx.rcpts_written);
            self.wire.event(Event::MessageDone {
                message: tx.message,
                result,
                retry,
            });
        }
    }

    // ----- the body --------------------------------------------------------------

    /// Body bytes for the transaction that asked ([`Want::Body`]).
    pub fn push_body(&mut self, bytes: &[u8]) {
        let Some(t) = self.body_tx() else {
            return;
        };
        let tx = &mut self.txs[t];
        tx.body_in += bytes.len() as u64;
        match tx.mode {
            Mode::Data => tx.encoder.encode(bytes, &mut self.wire.out),
            Mode::Bdat => {
                tx.encoder.encode(bytes, &mut tx.chunk);
                if tx.stage == Stage::ReadAhead && tx.chunk.len() > CHUNK {
                    tx.stage = Stage::Commands;
                }
            }
        }
        self.pump();
    }

    /// The body of the transaction that asked has ended.
    pub fn end_body(&mut self) {
        let Some(t) = self.body_tx() else {
            return;
        };
        let tx = &mut self.txs[t];
        match tx.mode {
            Mode::Data => {
                tx.encoder.finish(&mut self.wire.out);
                let end = self.wire.produced();
                self.wire.awaiting.push_back(Pending {
                    what: Awaiting::EndOfData(tx.seq),
                    end,
                });
                tx.end_mark = Some(end);
                tx.in_flight += 1;
                tx.stage = Stage::AwaitFinal;
            }
            Mode::Bdat => {
                tx.encoder.finish(&mut tx.chunk);
                tx.body_done = true;
                if tx.stage == Stage::ReadAhead {
                    tx.stage = Stage::Commands;
                    tx.single = true;
                }
            }
        }
        self.pump();
    }

    /// The body of the transaction that asked could not be read (`error` says why,
    /// naming the file). With DATA the connection must be closed without the
    /// end-of-data mark ([`Want::Abort`]); with BDAT the transaction is reset.
    pub fn body_failed(&mut self, error: Error) {
        let Some(t) = self.body_tx() else {
            return;
        };
        let tx = &mut self.txs[t];
        let read = tx.body_in;
        match (tx.mode, tx.stage) {
            (Mode::Data, _) => {
                self.abort = true;
                self.fail(Error::new(
                    ErrorKind::File,
                    format!(
                        "reading the message failed after {read} bytes: {}; the transfer was \
                         aborted by closing the connection, so no truncated message was \
                         delivered",
                        error.message()
                    ),
                ));
            }
            (Mode::Bdat, Stage::ReadAhead) => {
                tx.error = Some(Error::new(
                    ErrorKind::File,
                    format!(
                        "reading the message failed: {}; nothing was sent",
                        error.message()
                    ),
                ));
                self.settle(t);
            }
            (Mode::Bdat, _) => {
                tx.error = Some(Error::new(
                    ErrorKind::File,
                    format!(
                        "reading the message failed after {read} bytes: {}; the transaction \
                         was reset, so nothing was delivered",
                        error.message()
                    ),
                ));
                tx.stage = Stage::AwaitFinal;
                tx.chunk = Vec::new();
                self.settle(t);
            }
        }
        self.pump();
    }

    fn body_tx(&self) -> Option<usize> {
        self.txs.iter().position(|tx| tx.body_request().is_some())
    }
}

/// A further transaction for recipients refused with 452.
#[derive(Debug)]
pub(super) struct Retry {
    message: usize,
    env: Envelope,
    report: Report,
    targets: Vec<usize>,
}

impl Retry {
    /// The commands it needs at least: RSET, MAIL, the RCPTs, BDAT or DATA.
    pub(super) fn commands(&self) -> usize {
        self.targets.len() + 3
    }

    /// The message's result when the session ends before this transaction starts.
    pub(super) fn not_sent(self, cause: &Error) -> (usize, crate::Result<Report>) {
        let mut report = self.report;
        for &r in &self.targets {
            report.recipients[r].failure = Some(ErrorKind::NotSent);
        }
        let result = conclude(report, Some(super::not_sent_error(cause)), true);
        (self.message, result)
    }
}

/// What [`Session::write_commands`] writes; true if it wrote something.
fn write_commands_of(wire: &mut Wire, tx: &mut Tx, pipelined: bool) -> crate::Result<bool> {
    let mut wrote = false;
    if !tx.mail_sent {
        if !room(wire, pipelined) {
            return Ok(false);
        }
        if tx.leading_rset {
            wire.command(&Command::Rset, Awaiting::Reset)?;
        }
        let command = Command::Mail {
            from: &tx.env.from,
            params: &tx.params.params,
        };
        wire.command(&command, Awaiting::Mail(tx.seq))?;
        tx.mail_sent = true;
        tx.in_flight += 1;
        wrote = true;
    }
    while tx.next_rcpt < tx.targets.len() {
        if !room(wire, pipelined) || tx.mail_refused() {
            return Ok(wrote);
        }
        let params = tx.rcpt_command_params(tx.next_rcpt);
        let address = &tx.env.recipients[tx.targets[tx.next_rcpt]].address;
        let command = Command::Rcpt {
            to: address,
            params: &params,
        };
        wire.command(&command, Awaiting::Rcpt(tx.seq, tx.next_rcpt))?;
        tx.next_rcpt += 1;
        tx.in_flight += 1;
        tx.rcpts_written = true;
        wrote = true;
    }
    // Without PIPELINING, DATA or BDAT only once a recipient was accepted.
    if !room(wire, pipelined) || (!pipelined && !tx.viable()) {
        return Ok(wrote);
    }
    match tx.mode {
        Mode::Data => {
            wire.command(&Command::Data, Awaiting::Data(tx.seq))?;
            tx.in_flight += 1;
            tx.stage = Stage::AwaitGo;
        }
        Mode::Bdat if tx.single => {
            if !room(wire, pipelined) {
                return Ok(wrote);
            }
            write_chunk(wire, tx);
        }
        Mode::Bdat => tx.stage = Stage::AwaitRcpts,
    }
    Ok(true)
}

/// Whether a recipient was refused for "too many recipients" (RFC 5321 section
/// 4.5.3.1.10): 452, with no enhanced code or 4.5.3 (not, e.g., 4.2.2 mailbox full).
fn too_many_recipients(result: &RecipientResult) -> bool {
    result.code == 452
        && result
            .enhanced()
            .map_or(true, |e| e.subject == 5 && e.detail == 3)
}

/// Writes the next chunk: `BDAT n LAST` with all that is left once the body is
/// done and fits, else `BDAT n` with exactly [`CHUNK`] bytes (the rest stays).
fn write_chunk(wire: &mut Wire, tx: &mut Tx) {
    let last = tx.body_done && tx.chunk.len() <= CHUNK;
    let size = if last { tx.chunk.len() } else { CHUNK };
    let command = Command::Bdat {
        size: size as u64,
        last,
    };
    // BDAT has no argument that could be refused.
    let _ = wire.command(&command, Awaiting::Bdat { tx: tx.seq, last });
    wire.bytes(&tx.chunk[..size]);
    tx.chunk.drain(..size);
    // Its reply is legitimate only once the chunk itself is written.
    let end = wire.produced();
    if let Some(pending) = wire.awaiting.back_mut() {
        pending.end = end;
    }
    tx.in_flight += 1;
    if last {
        tx.end_mark = Some(end);
        tx.stage = Stage::AwaitFinal;
    } else {
        tx.stage = Stage::Chunks;
    }
}

/// Each recipient of this attempt that the server accepted at RCPT either got the
/// message (`failure` None) or shares the transaction's failure; one never answered
/// shares it too.
fn mark_recipients(tx: &mut Tx, failure: Option<ErrorKind>) {
    for &r in &tx.targets {
        let result = &mut tx.report.recipients[r];
        if result.accepted() || result.code == 0 {
            result.failure = failure.or(if result.code == 0 {
                Some(ErrorKind::NotSent)
            } else {
                None
            });
        }
    }
}

/// The message's result from its report and the last transaction's failure.
fn conclude(report: Report, error: Option<Error>, rcpts_written: bool) -> crate::Result<Report> {
    let total = report.recipients.len();
    let delivered = report.delivered_count();
    let unknown = error
        .as_ref()
        .is_some_and(|e| e.kind() == ErrorKind::UnknownOutcome);
    if delivered == total && error.is_none() {
        return Ok(report);
    }
    let error = if delivered > 0 && !unknown {
        let refused: Vec<String> = report
            .recipients
            .iter()
            .filter(|r| !r.delivered())
            .map(|r| format!("<{}> {} {}", r.address, r.code, r.text.replace('\n', " ")))
            .collect();
        let mut e = Error::new(
            ErrorKind::Partial,
            format!(
                "delivered to {delivered} of {total} recipients; refused: {}",
                refused.join("; ")
            ),
        );
        if let Some(reply) = &report.final_reply {
            e = e.with_reply(reply.clone());
        }
        e
    } else {
        error.unwrap_or_else(|| Error::new(ErrorKind::RecipientsRejected, "nothing was delivered"))
    };
    if rcpts_written {
        Err(error.with_report(report))
    } else {
        Err(error)
    }
}
