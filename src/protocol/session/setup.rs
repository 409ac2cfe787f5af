//! Opening a session: greeting, EHLO with HELO fallback, STARTTLS, AUTH.

use super::{Awaiting, Event, Phase, Session, TlsMode};
use crate::error::{Error, ErrorKind};
use crate::protocol::command::Command;
use crate::protocol::extensions::Extensions;
use crate::protocol::reply::Reply;
use crate::protocol::rules;
use crate::protocol::sasl::{self, Answer, Exchange, Mechanism};

impl Session {
    /// A reply to a setup step.
    pub(super) fn on_setup_reply(&mut self, what: Awaiting, reply: Reply) {
        match what {
            Awaiting::Greeting if reply.code == 220 => self.hello(),
            Awaiting::Greeting => self.setup_refused(Error::from_reply(
                ErrorKind::GreetingRejected,
                "the server refused the session in its greeting",
                &reply,
            )),
            Awaiting::Ehlo if reply.is_positive() => {
                self.set_extensions(Extensions::from_ehlo(&reply));
                self.after_hello();
            }
            Awaiting::Ehlo if matches!(reply.code, 500 | 502) => {
                self.wire
                    .info("the server does not support EHLO; falling back to HELO (no extensions)");
                let name = self.cfg.helo_name.clone();
                self.setup_command(&Command::Helo(&name), Awaiting::Helo);
            }
            Awaiting::Ehlo | Awaiting::Helo if !reply.is_positive() => {
                let verb = if what == Awaiting::Ehlo {
                    "EHLO"
                } else {
                    "HELO"
                };
                self.setup_refused(Error::from_reply(
                    ErrorKind::Protocol,
                    &format!("the server refused {verb}"),
                    &reply,
                ));
            }
            Awaiting::Helo => {
                self.set_extensions(Extensions::none());
                self.after_hello();
            }
            Awaiting::StartTls => self.on_starttls_reply(reply),
            Awaiting::Auth => self.on_auth_reply(reply),
            _ => {}
        }
    }

    /// Sends EHLO (again after TLS).
    fn hello(&mut self) {
        self.phase = Phase::Hello;
        let name = self.cfg.helo_name.clone();
        self.setup_command(&Command::Ehlo(&name), Awaiting::Ehlo);
    }

    /// After a positive EHLO/HELO: STARTTLS per the policy, then AUTH.
    fn after_hello(&mut self) {
        let starttls = matches!(
            self.cfg.tls,
            TlsMode::StartTls | TlsMode::StartTlsOpportunistic
        ) && !self.tls_active;
        if starttls {
            if self.ext.has("STARTTLS") {
                self.phase = Phase::StartTls;
                self.setup_command(&Command::StartTls, Awaiting::StartTls);
                return;
            }
            if self.cfg.tls == TlsMode::StartTls {
                self.setup_refused(Error::new(
                    ErrorKind::TlsUnavailable,
                    "the server does not offer STARTTLS, which SMTPC_TLS_STARTTLS requires \
                     (for port 465 use SMTPC_TLS_IMPLICIT)",
                ));
                return;
            }
            self.wire.info(
                "the server does not offer STARTTLS; continuing without TLS (opportunistic mode)",
            );
        }
        self.authenticate();
    }

    fn on_starttls_reply(&mut self, reply: Reply) {
        if reply.code == 220 {
            self.phase = Phase::Upgrading;
            return;
        }
        if self.cfg.tls == TlsMode::StartTls {
            self.setup_refused(Error::from_reply(
                ErrorKind::TlsUnavailable,
                "the server refused STARTTLS",
                &reply,
            ));
            return;
        }
        self.wire
            .info("the server refused STARTTLS; continuing without TLS (opportunistic mode)");
        self.authenticate();
    }

    /// The handshake after STARTTLS succeeded: everything learnt before TLS is void
    /// (RFC 3207), so EHLO again.
    pub(super) fn tls_upgraded(&mut self) {
        self.set_extensions(Extensions::none());
        self.hello();
    }

    /// AUTH when credentials are set, else the session is ready.
    fn authenticate(&mut self) {
        let Some(credentials) = self.cfg.credentials.clone() else {
            self.ready();
            return;
        };
        if !self.tls_active && self.cfg.tls != TlsMode::None {
            self.setup_refused(Error::new(
                ErrorKind::AuthUnavailable,
                "refusing to send credentials over a connection without TLS: the server did not \
                 offer STARTTLS (opportunistic mode). Use SMTPC_TLS_STARTTLS or SMTPC_TLS_IMPLICIT, \
                 or SMTPC_TLS_NONE to accept the risk",
            ));
            return;
        }
        let mechanism =
            match sasl::choose(&credentials, &self.ext.auth_mechanisms(), self.tls_active) {
                Ok(m) => m,
                Err(e) => {
                    self.setup_refused(e);
                    return;
                }
            };
        self.wire.info(format!(
            "authenticating as {} with {}",
            credentials.user(),
            mechanism.name()
        ));
        let (exchange, initial) = Exchange::start(mechanism, &credentials);
        self.phase = Phase::Auth {
            exchange,
            cancelled: None,
        };
        let command = Command::Auth {
            mechanism: mechanism.name(),
            initial_response: initial.as_deref(),
        };
        self.setup_command(&command, Awaiting::Auth);
    }

    fn on_auth_reply(&mut self, reply: Reply) {
        let Phase::Auth {
            exchange,
            cancelled,
        } = &mut self.phase
        else {
            return;
        };
        if let Some(error) = cancelled.take() {
            // The answer to our `*`: the exchange is over; report why it was cancelled.
            self.setup_refused(error);
            return;
        }
        let mechanism = exchange.mechanism();
        if reply.code == 235 {
            self.wire.info("authenticated");
            self.ready();
            return;
        }
        if reply.code != 334 {
            let kind = rules::auth_error(&reply);
            let what = match kind {
                ErrorKind::AuthFailed => "the server rejected the credentials",
                ErrorKind::AuthUnavailable => "the server refused this mechanism",
                ErrorKind::Protocol => "unexpected reply to AUTH",
                _ if reply.is_transient() => {
                    "the server could not authenticate now (temporary; the credentials \
                     were not judged)"
                }
                _ => "the server refused AUTH (the credentials were not judged)",
            };
            self.setup_refused(Error::from_reply(
                kind,
                &format!("{what} ({})", mechanism.name()),
                &reply,
            ));
            return;
        }
        let Some(credentials) = self.cfg.credentials.as_ref() else {
            return;
        };
        match exchange.answer(credentials, &reply) {
            Answer::Line(line) => {
                if mechanism == Mechanism::CramMd5 {
                    self.wire.event(Event::Secret(line.clone()));
                }
                self.setup_command(&Command::AuthResponse(&line), Awaiting::Auth);
            }
            Answer::Cancel(error) => {
                *cancelled = Some(error);
                self.setup_command(&Command::AuthResponse("*"), Awaiting::Auth);
            }
        }
    }

    fn ready(&mut self) {
        self.phase = Phase::Ready;
        self.wire.event(Event::Ready);
    }

    /// Writes a setup command; a command that cannot be encoded fails the setup.
    fn setup_command(&mut self, command: &Command<'_>, what: Awaiting) {
        if let Err(e) = self.wire.command(command, what) {
            self.abort = true;
            self.fail(e);
        }
    }

    /// The setup failed on a well-formed answer or a policy decision: the server is
    /// healthy, so the session ends politely with QUIT (its reply changes nothing).
    fn setup_refused(&mut self, error: Error) {
        self.wire.event(Event::SetupFailed(error.clone()));
        self.fail_operations(&error);
        self.phase = Phase::Quitting;
        if self
            .wire
            .command(&Command::Quit, Awaiting::Quit { quiet: true })
            .is_err()
        {
            self.phase = Phase::Closed;
        }
    }

    /// A failure while waiting for the greeting, with a hint for the usual cause.
    pub(super) fn greeting_hint(&self, what: Awaiting, error: Error) -> Error {
        let error = error.context(what.describe());
        if error.kind() == ErrorKind::Timeout && self.cfg.tls != TlsMode::Implicit {
            error.context(
                "no greeting (a server on an implicit-TLS port such as 465 waits for the TLS \
                 handshake: use SMTPC_TLS_IMPLICIT there)",
            )
        } else {
            error
        }
    }
}
