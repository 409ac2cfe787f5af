//! The transcript of a session: every line goes to the log callback after secrets
//! are removed, and the last reply is remembered for `last_reply`.

use super::redact::Redactor;
use super::{LogFn, LogKind};
use crate::protocol::reply::Reply;

/// Log callback, redaction and the last reply, owned by the client and lent to
/// each step of a session.
#[derive(Default)]
pub(crate) struct Transcript {
    log: Option<LogFn>,
    pub(crate) redactor: Redactor,
    pub(crate) last_reply: Option<Reply>,
}

impl Transcript {
    pub(crate) fn set_log(&mut self, log: Option<LogFn>) {
        self.log = log;
    }

    fn emit(&mut self, kind: LogKind, line: &str) {
        if let Some(log) = self.log.as_mut() {
            let line = self.redactor.apply(line);
            log(kind, &line);
        }
    }

    /// An informational line (connecting, TLS established, sizes, ...).
    pub(crate) fn info(&mut self, line: &str) {
        self.emit(LogKind::Info, line);
    }

    /// One command line as sent (already with AUTH payloads replaced by `***`).
    pub(crate) fn sent(&mut self, line: &str) {
        self.emit(LogKind::Sent, line);
    }

    /// A reply: secrets removed from it in place, each line logged, remembered.
    pub(crate) fn received(&mut self, reply: &mut Reply) {
        reply.redact(&self.redactor);
        if self.log.is_some() {
            for line in reply.wire_lines() {
                self.emit(LogKind::Received, &line);
            }
        }
        self.last_reply = Some(reply.clone());
    }
}
