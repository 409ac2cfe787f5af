//! The blocking driver: runs a [`Session`] over a [`Pipe`] until the session has
//! nothing left to do. It moves bytes and keeps time; every decision about the
//! conversation is the session's.
//!
//! Time: each write may take the I/O timeout; each whole reply must arrive within
//! the I/O timeout from when the client started waiting for it (a server that
//! trickles a reply a byte at a time cannot stretch it); the TLS handshake as a
//! whole gets the I/O timeout. The call's deadline, when one is set, cuts every
//! one of these short.

use super::bodies::Bodies;
use super::transcript::Transcript;
use super::{Config, ProgressFn};
use crate::error::{Error, ErrorKind, Result};
use crate::protocol::session::{Event, Session, SessionConfig, TlsMode, Want};
use crate::transport::{CancelHandle, Pipe};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Size of the read buffer (replies) and of each body read.
const BUF_LEN: usize = 64 * 1024;

/// What one run of the driver needs besides the connection.
pub(crate) struct Run<'a> {
    pub(crate) config: &'a Config,
    pub(crate) transcript: &'a mut Transcript,
    pub(crate) cancel: &'a CancelHandle,
    pub(crate) progress: &'a mut Option<Mutex<ProgressFn>>,
    pub(crate) bodies: Option<&'a mut dyn Bodies>,
    /// When the whole call must end, if the caller set a deadline.
    pub(crate) deadline: Option<Instant>,
}

impl Run<'_> {
    /// When a wait of `step` that started at `from` must end.
    fn until(&self, from: Instant, step: Duration) -> Instant {
        bound(self.deadline, from, step)
    }
}

/// When a wait of `step` that started at `from` must end: its own timeout, cut
/// short by the call's deadline.
fn bound(deadline: Option<Instant>, from: Instant, step: Duration) -> Instant {
    let own = from + step;
    deadline.map_or(own, |d| d.min(own))
}

/// A timeout says how long was waited.
fn timed_out(error: Error, from: Instant, until: Instant) -> Error {
    if error.kind() != ErrorKind::Timeout {
        return error;
    }
    let waited = until.saturating_duration_since(from).as_millis();
    Error::new(ErrorKind::Timeout, format!("timed out after {waited} ms"))
}

/// An open connection: the byte pipe and the conversation on it.
pub(crate) struct Connection {
    pipe: Pipe,
    pub(crate) session: Session,
    buf: Box<[u8]>,
}

impl Connection {
    /// Connects, runs implicit TLS if asked, and brings the session to the point
    /// where mail can be sent (greeting, EHLO, STARTTLS, AUTH).
    pub(crate) fn open(run: &mut Run<'_>) -> Result<Connection> {
        let cfg = run.config;
        let mode = cfg.tls_mode();
        let call_deadline = run.deadline;
        let t = &mut *run.transcript;
        let mut pipe = Pipe::connect(
            &cfg.host,
            cfg.port,
            cfg.connect_timeout,
            run.deadline,
            run.cancel,
            &mut |line| t.info(line),
        )?;
        if mode == TlsMode::Implicit {
            let deadline = bound(call_deadline, Instant::now(), cfg.io_timeout);
            pipe.start_tls(&cfg.tls, &cfg.host, deadline, false)?;
            t.info(&format!(
                "TLS established (implicit TLS), {}",
                cfg.tls_checks()
            ));
        }
        t.info(&format!("connected to {}", pipe.peer()));
        let session = Session::new(
            SessionConfig {
                helo_name: cfg.helo_name_for(pipe.local_addr()),
                tls: mode,
                credentials: cfg.credentials.clone(),
                pipelining: cfg.pipelining,
                chunking: cfg.chunking,
                log_lines: t.logging(),
            },
            pipe.is_tls(),
        );
        let mut conn = Connection {
            pipe,
            session,
            buf: vec![0u8; BUF_LEN].into_boxed_slice(),
        };
        let mut outcome = None;
        conn.run(run, &mut |event| match event {
            Event::Ready => outcome = Some(Ok(())),
            Event::SetupFailed(e) => outcome = Some(Err(e)),
            _ => {}
        });
        match outcome {
            Some(Ok(())) if conn.session.is_ready() => Ok(conn),
            Some(Err(e)) => Err(e),
            _ => Err(Error::protocol("the session ended during its setup")),
        }
    }

    /// Whether the conversation is over (the connection should be dropped).
    pub(crate) fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    /// Whether the connection is encrypted.
    pub(crate) fn is_tls(&self) -> bool {
        self.pipe.is_tls()
    }

    /// Looks, without waiting, at what the server sent while the session was idle:
    /// its close (EOF or 421) or bytes out of step both end the session. True when
    /// the session is still usable.
    pub(crate) fn still_alive(&mut self, t: &mut Transcript) -> bool {
        loop {
            match self.pipe.read_now(&mut self.buf) {
                Ok(None) => break,
                Ok(Some(0)) => self.session.peer_closed(),
                Ok(Some(n)) => self.session.receive(&self.buf[..n]),
                Err(e) => self.session.io_failed(e),
            }
            if self.session.is_closed() {
                break;
            }
        }
        while let Some(event) = self.session.poll_event() {
            t.take(event);
        }
        !self.session.is_closed()
    }

    /// Drives the session until it is idle or over; every event that is not a log
    /// line goes to `on_event`.
    pub(crate) fn run(&mut self, run: &mut Run<'_>, on_event: &mut dyn FnMut(Event)) {
        let io_timeout = run.config.io_timeout;
        let mut seen_replies = self.session.replies_received();
        let mut waiting_since: Option<Instant> = None;
        loop {
            while let Some(event) = self.session.poll_event() {
                if let Some(event) = run.transcript.take(event) {
                    on_event(event);
                }
            }
            if run.cancel.is_cancelled() && !self.session.is_closed() {
                self.session
                    .io_failed(Error::new(ErrorKind::Cancelled, "cancelled"));
                continue;
            }
            match self.session.want() {
                Want::Write => {
                    if self.session.wants_early_input() && !self.poll_input() {
                        continue;
                    }
                    if self.session.want() != Want::Write {
                        continue;
                    }
                    let from = Instant::now();
                    let until = run.until(from, io_timeout);
                    match self.pipe.write(self.session.output(), until) {
                        Ok(n) => self.session.written(n),
                        Err(e) => self.session.io_failed(timed_out(e, from, until)),
                    }
                    waiting_since = None;
                }
                Want::Read => {
                    let replies = self.session.replies_received();
                    if replies != seen_replies || waiting_since.is_none() {
                        seen_replies = replies;
                        waiting_since = Some(Instant::now());
                    }
                    let from = waiting_since.unwrap_or_else(Instant::now);
                    let until = run.until(from, io_timeout);
                    match self.pipe.read(&mut self.buf, until) {
                        Ok(0) => self.session.peer_closed(),
                        Ok(n) => self.session.receive(&self.buf[..n]),
                        Err(e) => self.session.io_failed(timed_out(e, from, until)),
                    }
                }
                Want::Body {
                    message,
                    offset,
                    max,
                } => self.feed_body(run, message, offset, max),
                Want::StartTls => {
                    let deadline = run.until(Instant::now(), io_timeout);
                    let cfg = run.config;
                    match self.pipe.start_tls(&cfg.tls, &cfg.host, deadline, true) {
                        Ok(()) => {
                            run.transcript
                                .info(&format!("TLS established (STARTTLS), {}", cfg.tls_checks()));
                            self.session.tls_started();
                        }
                        Err(e) => self.session.io_failed(e),
                    }
                }
                Want::Abort => {
                    self.pipe.abort();
                    break;
                }
                Want::Closed | Want::Idle => break,
            }
        }
        while let Some(event) = self.session.poll_event() {
            if let Some(event) = run.transcript.take(event) {
                on_event(event);
            }
        }
    }

    /// Feeds what the server already sent to the session, without waiting. False
    /// when that ended the session.
    fn poll_input(&mut self) -> bool {
        match self.pipe.read_now(&mut self.buf) {
            Ok(None) => {}
            Ok(Some(0)) => self.session.peer_closed(),
            Ok(Some(n)) => self.session.receive(&self.buf[..n]),
            Err(e) => self.session.io_failed(e),
        }
        !self.session.is_closed()
    }

    /// One piece of a message body, with the progress callback (which may cancel).
    fn feed_body(&mut self, run: &mut Run<'_>, message: usize, offset: u64, max: usize) {
        let Some(bodies) = run.bodies.as_mut() else {
            self.session
                .body_failed(Error::new(ErrorKind::State, "no message body to send"));
            return;
        };
        let total = bodies.len(message);
        if offset == 0 {
            run.transcript
                .info(&format!("sending {total} bytes of message data"));
            if report_progress(run.progress, 0, total) {
                self.session.io_failed(cancelled_by_callback(0));
                return;
            }
        }
        let limit = max.min(self.buf.len());
        match bodies.read(message, offset, &mut self.buf[..limit]) {
            Ok(0) => self.session.end_body(),
            Ok(n) => {
                self.session.push_body(&self.buf[..n]);
                let sent = offset + n as u64;
                if report_progress(run.progress, sent, total) {
                    self.session.io_failed(cancelled_by_callback(sent));
                }
            }
            Err(e) => self.session.body_failed(e),
        }
    }
}

/// Calls the progress callback; true means the caller asked to cancel.
fn report_progress(progress: &mut Option<Mutex<ProgressFn>>, sent: u64, total: u64) -> bool {
    progress.as_mut().is_some_and(|p| {
        let p = p.get_mut().unwrap_or_else(|e| e.into_inner());
        p(sent, total)
    })
}

fn cancelled_by_callback(sent: u64) -> Error {
    Error::new(
        ErrorKind::Cancelled,
        format!(
            "cancelled by the progress callback after {sent} bytes of message data; the \
             connection was closed, so nothing was delivered"
        ),
    )
}
