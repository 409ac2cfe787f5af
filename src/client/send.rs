//! One mail transaction: MAIL FROM, RCPT TO for every recipient, DATA, the message
//! streamed through the transparency encoder, and the outcome for each recipient.
//!
//! With PIPELINING, MAIL, every RCPT and DATA go out in one write and the replies
//! are matched to them in order; without it, one command per round trip. Either way
//! the rules of `protocol::transaction` decide what each reply means.

use super::report::{RecipientResult, Report};
use super::session::Session;
use super::transcript::Transcript;
use super::ProgressFn;
use crate::error::{Error, ErrorKind, Result};
use crate::protocol::command::Command;
use crate::protocol::data::DataEncoder;
use crate::protocol::reply::Reply;
use crate::protocol::transaction as rules;
use crate::transport::CancelHandle;
use std::io::Read;

/// Bytes read from the message per step, and the size at which the encoded data is
/// written out.
const CHUNK: usize = 64 * 1024;

/// Most RCPT commands in one pipelined write.
const MAX_PIPELINED_RCPTS: usize = 100;

/// What one send transmits.
pub(crate) struct Outgoing<'a> {
    pub(crate) from: &'a str,
    pub(crate) recipients: &'a [String],
    pub(crate) source: &'a mut dyn Read,
    /// Bytes the source yields (the progress total).
    pub(crate) len: u64,
    /// The message size with CRLF line ends, before dot-stuffing (RFC 1870 SIZE).
    pub(crate) size: u64,
    pub(crate) eight_bit: bool,
    pub(crate) smtputf8: bool,
}

/// How a transaction failed.
pub(crate) enum Failure {
    /// The session was found dead (connection lost or 421) before anything was
    /// transferred: the same transaction may be retried on a new connection.
    Stale(Error),
    /// Any other failure.
    Failed(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Failed(e)
    }
}

/// Runs one transaction on an open session.
pub(crate) fn transaction(
    s: &mut Session,
    t: &mut Transcript,
    out: &mut Outgoing<'_>,
    progress: &mut Option<ProgressFn>,
    cancel: &CancelHandle,
) -> std::result::Result<Report, Failure> {
    let params = mail_params(s, out)?;
    let no_params: [String; 0] = [];
    let mail = Command::Mail {
        from: out.from,
        params: &params,
    };
    let rcpts: Vec<Command<'_>> = out
        .recipients
        .iter()
        .map(|to| Command::Rcpt {
            to,
            params: &no_params,
        })
        .collect();

    let pipelining = s.ext.has("PIPELINING");
    let mut mail_reply = None;
    let mut rcpt_replies = Vec::with_capacity(rcpts.len());
    let mut data_reply = None;
    if pipelining {
        // At most MAX_PIPELINED_RCPTS recipients per write, and each group's replies
        // read before the next is written: a huge group could otherwise fill both
        // socket buffers with unread data and deadlock (RFC 2920 section 3.1).
        let groups: Vec<&[Command<'_>]> = rcpts.chunks(MAX_PIPELINED_RCPTS).collect();
        for (i, chunk) in groups.iter().enumerate() {
            let first = i == 0;
            let last = i + 1 == groups.len();
            let mut group = Vec::with_capacity(chunk.len() + 2);
            if first {
                group.push(mail.clone());
            }
            group.extend(chunk.iter().cloned());
            if last {
                group.push(Command::Data);
            }
            let written = s.write_commands(t, &group, "sending MAIL FROM, RCPT TO and DATA");
            if first {
                written.map_err(stale_if_lost)?;
                mail_reply = Some(read_mail_reply(s, t)?);
            } else {
                written?;
            }
            for _ in chunk.iter() {
                rcpt_replies.push(s.read(t, "reading the reply to RCPT TO")?);
            }
            if last {
                data_reply = Some(s.read(t, "reading the reply to DATA")?);
            } else if mail_reply.as_ref().and_then(rules::mail_error).is_some() {
                break;
            }
        }
    } else {
        s.write_commands(t, std::slice::from_ref(&mail), "sending MAIL FROM")
            .map_err(stale_if_lost)?;
        let reply = read_mail_reply(s, t)?;
        if rules::mail_error(&reply).is_none() {
            for rcpt in &rcpts {
                rcpt_replies.push(s.command(t, rcpt, "sending RCPT TO")?);
            }
        }
        mail_reply = Some(reply);
        if rcpt_replies.iter().any(rules::rcpt_accepted) {
            data_reply = Some(s.command(t, &Command::Data, "sending DATA")?);
        }
    }
    let mail_reply = mail_reply.expect("MAIL FROM was sent");

    if let Some(kind) = rules::mail_error(&mail_reply) {
        s.reset_quietly(t);
        return Err(Error::from_reply(
            kind,
            &format!("the server refused the sender <{}>", out.from),
            &mail_reply,
        )
        .into());
    }

    let mut report = Report {
        recipients: out
            .recipients
            .iter()
            .zip(rcpt_replies.iter())
            .map(|(address, reply)| RecipientResult {
                address: address.clone(),
                code: reply.code,
                text: reply.text(),
            })
            .collect(),
        final_reply: None,
    };
    let accepted = report.accepted_count();

    if accepted == 0 {
        if data_reply.as_ref().is_some_and(|r| r.code == 354) {
            // A pipelining server that said 354 anyway gets an empty message.
            s.write_raw(b".\r\n", "ending the empty message")?;
            s.read(t, "reading the reply to the empty message")?;
        }
        s.reset_quietly(t);
        let first = &report.recipients[0];
        let first_reply = rcpt_replies[0].clone();
        return Err(Error::new(
            ErrorKind::RecipientsRejected,
            format!(
                "the server refused every recipient ({} of {}); nothing was sent. First: <{}>: {} {}",
                out.recipients.len(),
                out.recipients.len(),
                first.address,
                first.code,
                first.text.replace('\n', " ")
            ),
        )
        .with_reply(first_reply)
        .with_report(report)
        .into());
    }

    let data_reply = data_reply.expect("DATA was sent when a recipient was accepted");
    if let Some(kind) = rules::data_error(&data_reply) {
        s.reset_quietly(t);
        return Err(
            Error::from_reply(kind, "the server refused DATA", &data_reply)
                .with_report(report)
                .into(),
        );
    }

    stream_data(s, t, out, progress, cancel)?;
    let final_reply = s
        .read(t, "waiting for the reply to the message data")
        .map_err(|e| {
            let (kind, what) = if cancel.is_cancelled() {
                (
                    ErrorKind::Cancelled,
                    "cancelled while waiting for the final reply",
                )
            } else {
                (ErrorKind::UnknownOutcome, e.message())
            };
            Error::new(
                kind,
                format!(
                    "the whole message was sent, then {what}: it may or may not have been \
                     delivered (not retried)"
                ),
            )
        })?;
    report.final_reply = Some(final_reply.clone());
    if let Some(kind) = rules::final_error(&final_reply) {
        return Err(
            Error::from_reply(kind, "the server refused the message data", &final_reply)
                .with_report(report)
                .into(),
        );
    }
    if let Some(kind) = rules::delivery_error(accepted, out.recipients.len()) {
        let refused: Vec<String> = report
            .recipients
            .iter()
            .filter(|r| !r.accepted())
            .map(|r| format!("<{}> {} {}", r.address, r.code, r.text.replace('\n', " ")))
            .collect();
        return Err(Error::new(
            kind,
            format!(
                "delivered to {accepted} of {} recipients; refused: {}",
                out.recipients.len(),
                refused.join("; ")
            ),
        )
        .with_reply(final_reply)
        .with_report(report)
        .into());
    }
    Ok(report)
}

/// The ESMTP parameters of MAIL FROM, after checking the message fits the server.
fn mail_params(s: &Session, out: &Outgoing<'_>) -> Result<Vec<String>> {
    let mut params = Vec::new();
    if let Some(limit) = s.ext.size_limit() {
        if out.size > limit {
            return Err(Error::new(
                ErrorKind::MessageTooBig,
                format!(
                    "the message is {} bytes; the server accepts at most {limit} (SIZE)",
                    out.size
                ),
            ));
        }
    }
    if s.ext.has("SIZE") {
        params.push(format!("SIZE={}", out.size));
    }
    if out.eight_bit {
        if !s.ext.has("8BITMIME") {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "the message contains 8-bit data and the server does not offer 8BITMIME",
            ));
        }
        params.push("BODY=8BITMIME".to_string());
    }
    if out.smtputf8 {
        if !s.ext.has("SMTPUTF8") {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "an address is not ASCII and the server does not offer SMTPUTF8",
            ));
        }
        params.push("SMTPUTF8".to_string());
    }
    Ok(params)
}

fn stale_if_lost(e: Error) -> Failure {
    if e.kind() == ErrorKind::ConnectionLost {
        Failure::Stale(e)
    } else {
        Failure::Failed(e)
    }
}

fn read_mail_reply(s: &mut Session, t: &mut Transcript) -> std::result::Result<Reply, Failure> {
    let reply = s
        .read(t, "reading the reply to MAIL FROM")
        .map_err(stale_if_lost)?;
    if rules::is_closing(&reply) {
        s.broken = true;
        return Err(Failure::Stale(Error::from_reply(
            ErrorKind::ConnectionLost,
            "the server is closing the session",
            &reply,
        )));
    }
    Ok(reply)
}

/// Streams the message through the DATA encoder. A read failure or a cancel aborts
/// by closing the connection: the end-of-data mark is never sent, so the server
/// discards the partial message and nothing truncated is delivered.
fn stream_data(
    s: &mut Session,
    t: &mut Transcript,
    out: &mut Outgoing<'_>,
    progress: &mut Option<ProgressFn>,
    cancel: &CancelHandle,
) -> Result<()> {
    t.info(&format!("sending {} bytes of message data", out.len));
    let mut encoder = DataEncoder::new();
    let mut input = vec![0u8; CHUNK];
    let mut encoded = Vec::with_capacity(CHUNK * 2 + 16);
    let mut sent: u64 = 0;
    let mut on_wire: u64 = 0;
    let cancelled = |s: &mut Session, sent: u64| {
        s.abort();
        Error::new(
            ErrorKind::Cancelled,
            format!("cancelled after {sent} bytes of message data; the connection was closed, so nothing was delivered"),
        )
    };
    if report_progress(progress, 0, out.len) {
        return Err(cancelled(s, 0));
    }
    loop {
        if cancel.is_cancelled() {
            return Err(cancelled(s, sent));
        }
        let n = match out.source.read(&mut input) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                s.abort();
                return Err(Error::new(
                    ErrorKind::File,
                    format!(
                        "reading the message failed after {sent} bytes: {e}; the transfer was \
                         aborted by closing the connection, so no truncated message was delivered"
                    ),
                ));
            }
        };
        if n == 0 {
            break;
        }
        encoder.encode(&input[..n], &mut encoded);
        sent += n as u64;
        if encoded.len() >= CHUNK {
            s.write_raw(&encoded, "sending the message data")?;
            on_wire += encoded.len() as u64;
            encoded.clear();
        }
        if report_progress(progress, sent, out.len) {
            return Err(cancelled(s, sent));
        }
    }
    // The last piece and the terminator go out in one write.
    encoder.finish(&mut encoded);
    s.write_raw(&encoded, "sending the end of the message data")?;
    on_wire += encoded.len() as u64;
    t.info(&format!(
        "message data sent: {sent} bytes ({on_wire} on the wire)"
    ));
    Ok(())
}

/// Calls the progress callback; true means the caller asked to cancel.
fn report_progress(progress: &mut Option<ProgressFn>, sent: u64, total: u64) -> bool {
    progress.as_mut().is_some_and(|p| p(sent, total))
}
