//! The caller's one-line commands: NOOP, RSET, VRFY, ETRN, QUIT.

use super::{Awaiting, Event, Phase, Session};
use crate::error::{Error, ErrorKind, Result};
use crate::protocol::command::Command;
use crate::protocol::reply::Reply;
use crate::protocol::rules;

/// A command the caller runs on an established session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimpleCommand {
    /// `NOOP`: is the session alive?
    Noop,
    /// `RSET`: abandon any transaction in progress on the server.
    Rset,
    /// `VRFY <address>`; a non-ASCII address needs SMTPUTF8 (RFC 6531).
    Vrfy(String),
    /// `ETRN <node>` (RFC 1985): ask the server to flush its queue for a domain.
    Etrn(String),
    /// `QUIT`: end the session.
    Quit,
}

impl Session {
    /// Writes a queued command, or reports at once why it cannot be sent.
    pub(super) fn start_command(&mut self, command: SimpleCommand) {
        if let Err(e) = self.check_command(&command) {
            self.wire.event(Event::CommandDone(Err(e)));
            self.completed += 1;
            return;
        }
        let vrfy_argument;
        let (wire_command, what) = match &command {
            SimpleCommand::Noop => (Command::Noop, Awaiting::Command),
            SimpleCommand::Rset => (Command::Rset, Awaiting::Command),
            SimpleCommand::Vrfy(address) => {
                vrfy_argument = if address.is_ascii() {
                    address.clone()
                } else {
                    format!("{address} SMTPUTF8")
                };
                (Command::Vrfy(&vrfy_argument), Awaiting::Command)
            }
            SimpleCommand::Etrn(node) => (Command::Etrn(node), Awaiting::Command),
            SimpleCommand::Quit => (Command::Quit, Awaiting::Quit { quiet: false }),
        };
        if let Err(e) = self.wire.command(&wire_command, what) {
            self.wire.event(Event::CommandDone(Err(e)));
            self.completed += 1;
            return;
        }
        if command == SimpleCommand::Quit {
            self.phase = Phase::Quitting;
        }
        self.command = Some(command);
    }

    /// What must hold before a command is sent.
    fn check_command(&self, command: &SimpleCommand) -> Result<()> {
        match command {
            SimpleCommand::Vrfy(address) if !address.is_ascii() && !self.ext.has("SMTPUTF8") => {
                Err(Error::new(
                    ErrorKind::Unsupported,
                    "VRFY of a non-ASCII address needs SMTPUTF8, which the server does not offer",
                ))
            }
            SimpleCommand::Etrn(_) if !self.ext.has("ETRN") => Err(Error::new(
                ErrorKind::Unsupported,
                "the server does not offer ETRN",
            )),
            _ => Ok(()),
        }
    }

    /// The reply to a caller's command (or to the QUIT after a failed setup).
    pub(super) fn on_command_reply(&mut self, what: Awaiting, reply: Reply) {
        if what == (Awaiting::Quit { quiet: true }) {
            self.phase = Phase::Closed;
            return;
        }
        let Some(command) = self.command.take() else {
            return;
        };
        let result = rules::command_result(&command, reply);
        self.completed += 1;
        if command == SimpleCommand::Quit {
            self.phase = Phase::Closed;
        }
        self.wire.event(Event::CommandDone(result));
    }

    /// The reply to the RSET after a failed transaction: anything but 2xx leaves the
    /// server in an unknown state, so the session ends.
    pub(super) fn on_reset_reply(&mut self, reply: Reply) {
        if !reply.is_positive() {
            self.abort = true;
            self.fail(Error::from_reply(
                ErrorKind::Protocol,
                "the server refused RSET after a failed transaction; the session is closed",
                &reply,
            ));
        }
    }
}
