//! One live SMTP session: the connection, what the server advertised, and the
//! steps of opening it (greeting, EHLO with HELO fallback, STARTTLS, AUTH).

use super::auth;
use super::transcript::Transcript;
use super::{Config, TlsMode};
use crate::error::{Error, ErrorKind, Result};
use crate::protocol::command::Command;
use crate::protocol::extensions::Extensions;
use crate::protocol::reply::Reply;
use crate::transport::{connect_tcp, CancelHandle, Connection};

/// An open session. `broken` is set when the connection can no longer be trusted
/// (an I/O error, a protocol error, an aborted transfer); the client then drops it.
pub(crate) struct Session {
    conn: Option<Connection>,
    pub(crate) ext: Extensions,
    out: Vec<u8>,
    pub(crate) broken: bool,
}

impl Session {
    /// Connects and brings the session to the point where mail can be sent.
    pub(crate) fn open(cfg: &Config, t: &mut Transcript, cancel: &CancelHandle) -> Result<Session> {
        let mode = cfg.tls_mode();
        let tcp = connect_tcp(
            &cfg.host,
            cfg.port,
            cfg.connect_timeout,
            cfg.io_timeout,
            cancel,
            &mut |line| t.info(line),
        )?;
        cancel.set_socket(tcp.try_clone().ok());
        let local = tcp.local_addr().ok();
        let conn = if mode == TlsMode::Implicit {
            let conn = Connection::implicit_tls(tcp, &cfg.tls, &cfg.host).map_err(|e| {
                if e.message().contains("wrong version number") {
                    e.context(
                        "implicit TLS: the server did not answer in TLS (is this a STARTTLS \
                         or plain port such as 587 or 25? use SMTPC_TLS_STARTTLS)",
                    )
                } else {
                    e
                }
            })?;
            t.info(&format!(
                "TLS established (implicit TLS), {}",
                cfg.tls_checks()
            ));
            conn
        } else {
            Connection::plain(tcp)?
        };
        t.info(&format!("connected to {}", conn.peer()));
        let mut session = Session {
            conn: Some(conn),
            ext: Extensions::none(),
            out: Vec::with_capacity(1024),
            broken: false,
        };
        match session.handshake(cfg, t, mode, local) {
            Ok(()) => Ok(session),
            Err(e) => {
                session.quit_quietly(t);
                Err(e)
            }
        }
    }

    /// Greeting, EHLO, TLS and AUTH on a fresh connection.
    fn handshake(
        &mut self,
        cfg: &Config,
        t: &mut Transcript,
        mode: TlsMode,
        local: Option<std::net::SocketAddr>,
    ) -> Result<()> {
        let greeting = self.read(t, "reading the server greeting").map_err(|e| {
            if e.kind() == ErrorKind::Timeout && mode != TlsMode::Implicit {
                e.context(
                    "no greeting (a server on an implicit-TLS port such as 465 waits for \
                         the TLS handshake: use SMTPC_TLS_IMPLICIT there)",
                )
            } else {
                e
            }
        })?;
        if greeting.code != 220 {
            return Err(Error::from_reply(
                ErrorKind::GreetingRejected,
                "the server refused the session in its greeting",
                &greeting,
            ));
        }
        let helo = cfg.helo_name_for(local);
        self.hello(t, &helo)?;
        if matches!(mode, TlsMode::StartTls | TlsMode::StartTlsOpportunistic) {
            self.start_tls(cfg, t, mode, &helo)?;
        }
        if let Some(credentials) = &cfg.credentials {
            auth::authenticate(self, t, credentials, mode)?;
        }
        Ok(())
    }

    /// Says QUIT on a connection that is still healthy, after a failure, without
    /// letting the 221 replace the reply that explains the failure.
    pub(crate) fn quit_quietly(&mut self, t: &mut Transcript) {
        if self.broken || self.conn.is_none() {
            return;
        }
        let saved = t.last_reply.clone();
        let _ = self.command(t, &Command::Quit, "sending QUIT");
        t.last_reply = saved;
        self.broken = true;
    }

    fn conn(&mut self) -> Result<&mut Connection> {
        self.conn
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::State, "the connection is closed"))
    }

    /// Whether the connection is encrypted.
    pub(crate) fn is_tls(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| c.is_tls())
    }

    /// EHLO, falling back to HELO when the server does not know EHLO (500/502).
    fn hello(&mut self, t: &mut Transcript, name: &str) -> Result<()> {
        let reply = self.command(t, &Command::Ehlo(name), "sending EHLO")?;
        if reply.is_positive() {
            self.ext = Extensions::from_ehlo(&reply);
            return Ok(());
        }
        if reply.code != 500 && reply.code != 502 {
            return Err(Error::from_reply(
                ErrorKind::Protocol,
                "the server refused EHLO",
                &reply,
            ));
        }
        t.info("the server does not support EHLO; falling back to HELO (no extensions)");
        let reply = self.command(t, &Command::Helo(name), "sending HELO")?;
        if !reply.is_positive() {
            return Err(Error::from_reply(
                ErrorKind::Protocol,
                "the server refused HELO",
                &reply,
            ));
        }
        self.ext = Extensions::none();
        Ok(())
    }

    /// STARTTLS per the mode: required fails without it, opportunistic goes on
    /// in plaintext (and `auth` then refuses to send credentials).
    fn start_tls(
        &mut self,
        cfg: &Config,
        t: &mut Transcript,
        mode: TlsMode,
        helo: &str,
    ) -> Result<()> {
        let required = mode == TlsMode::StartTls;
        if !self.ext.has("STARTTLS") {
            if required {
                return Err(Error::new(
                    ErrorKind::TlsUnavailable,
                    "the server does not offer STARTTLS, which SMTPC_TLS_STARTTLS requires \
                     (for port 465 use SMTPC_TLS_IMPLICIT)",
                ));
            }
            t.info(
                "the server does not offer STARTTLS; continuing without TLS (opportunistic mode)",
            );
            return Ok(());
        }
        let reply = self.command(t, &Command::StartTls, "sending STARTTLS")?;
        if reply.code != 220 {
            if required {
                return Err(Error::from_reply(
                    ErrorKind::TlsUnavailable,
                    "the server refused STARTTLS",
                    &reply,
                ));
            }
            t.info("the server refused STARTTLS; continuing without TLS (opportunistic mode)");
            return Ok(());
        }
        let conn = self.conn.take().expect("connection present");
        match conn.start_tls(&cfg.tls, &cfg.host) {
            Ok(conn) => self.conn = Some(conn),
            Err(e) => {
                self.broken = true;
                return Err(e);
            }
        }
        t.info(&format!("TLS established (STARTTLS), {}", cfg.tls_checks()));
        // RFC 3207: everything learnt before TLS is void; ask again.
        self.ext = Extensions::none();
        self.hello(t, helo)
    }

    /// Encodes `commands` and writes them in one write (one command group: with
    /// PIPELINING several commands, otherwise one).
    pub(crate) fn write_commands(
        &mut self,
        t: &mut Transcript,
        commands: &[Command<'_>],
        context: &str,
    ) -> Result<()> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let encoded = commands.iter().try_for_each(|c| c.encode(&mut out));
        if let Err(e) = encoded {
            self.out = out;
            return Err(e);
        }
        for c in commands {
            t.sent(&c.log_line());
        }
        let result = self.write_raw(&out, context);
        self.out = out;
        result
    }

    /// Writes bytes as they are (message data).
    pub(crate) fn write_raw(&mut self, bytes: &[u8], context: &str) -> Result<()> {
        let result = self.conn()?.write_all(bytes, context);
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    /// Reads one reply and passes it through the transcript.
    pub(crate) fn read(&mut self, t: &mut Transcript, context: &str) -> Result<Reply> {
        match self.conn()?.read_reply(context) {
            Ok(mut reply) => {
                t.received(&mut reply);
                Ok(reply)
            }
            Err(e) => {
                self.broken = true;
                Err(e)
            }
        }
    }

    /// One command, one reply.
    pub(crate) fn command(
        &mut self,
        t: &mut Transcript,
        command: &Command<'_>,
        context: &str,
    ) -> Result<Reply> {
        self.write_commands(t, std::slice::from_ref(command), context)?;
        self.read(t, context)
    }

    /// RSET after a failed transaction so the session stays usable; a failure here
    /// only marks the session broken (the caller reports the original error).
    pub(crate) fn reset_quietly(&mut self, t: &mut Transcript) {
        match self.command(t, &Command::Rset, "sending RSET") {
            Ok(reply) if reply.is_positive() => {}
            _ => self.broken = true,
        }
    }

    /// Closes the connection at once (aborting a transfer: no end-of-data is sent).
    pub(crate) fn abort(&mut self) {
        self.broken = true;
        if let Some(conn) = self.conn.take() {
            conn.abort();
        }
    }
}
