//! The transcript of a session: every line goes to the log callback after secrets
//! are removed, and the last reply is remembered for `last_reply`.

use super::{LogFn, LogKind};
use crate::protocol::reply::Reply;
use crate::protocol::sasl::Credentials;
use crate::protocol::session::Event;
use crate::redact::Redactor;
use std::sync::Mutex;

/// Log callback, redaction and the last reply, owned by the client.
///
/// The callback sits in a `Mutex` only so that a client is `Sync` (the C handle
/// needs that); it is reached through `&mut self` with `get_mut`, never locked.
#[derive(Default)]
pub(crate) struct Transcript {
    log: Option<Mutex<LogFn>>,
    redactor: Redactor,
    pub(crate) last_reply: Option<Reply>,
}

impl Transcript {
    pub(crate) fn set_log(&mut self, log: Option<LogFn>) {
        self.log = log.map(Mutex::new);
    }

    /// Whether a log callback is set (command lines are then formatted for it).
    pub(crate) fn logging(&self) -> bool {
        self.log.is_some()
    }

    /// Registers every form of the credentials' secret, as soon as they are set.
    pub(crate) fn add_secrets(&mut self, credentials: &Credentials) {
        for form in credentials.secret_forms() {
            self.redactor.add(&form);
        }
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        self.redactor.apply(text)
    }

    fn emit(&mut self, kind: LogKind, line: &str) {
        if let Some(log) = self.log.as_mut() {
            let line = self.redactor.apply(line);
            let log = log.get_mut().unwrap_or_else(|e| e.into_inner());
            log(kind, &line);
        }
    }

    /// An informational line (connecting, TLS established, sizes, ...).
    pub(crate) fn info(&mut self, line: &str) {
        self.emit(LogKind::Info, line);
    }

    /// Takes a session event that is about the transcript (lines, secrets); hands
    /// back the others.
    pub(crate) fn take(&mut self, event: Event) -> Option<Event> {
        match event {
            Event::Sent(line) => self.emit(LogKind::Sent, &line),
            Event::Received(mut reply) => {
                if !self.redactor.is_empty() {
                    reply.scrub(&|line| self.redactor.apply(line));
                }
                if self.log.is_some() {
                    for line in reply.wire_lines() {
                        self.emit(LogKind::Received, &line);
                    }
                }
                self.last_reply = Some(reply);
            }
            Event::Info(line) => self.emit(LogKind::Info, &line),
            Event::Secret(secret) => self.redactor.add_exact(&secret),
            other => return Some(other),
        }
        None
    }
}
