//! The only module that touches sockets: a byte pipe to the server — TCP, TLS via
//! native-tls, deadlines and cancel. It knows nothing about SMTP: no reply
//! parsing, no commands (the protocol module does all of that).

mod cancel;
mod guard;
mod off_thread;
mod tcp;
mod tls;

pub use cancel::CancelHandle;
pub use tls::TlsSettings;

use crate::error::{Error, ErrorKind, Result};
use guard::{Guarded, Stop};
use native_tls::TlsStream;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

enum Stream {
    Plain(Guarded),
    Tls(Box<TlsStream<Guarded>>),
    /// Between taking the plain stream and installing the TLS one (or after a
    /// failed handshake, which consumes the socket).
    Gone,
}

/// An open connection to the server, plain or TLS.
pub struct Pipe {
    stream: Stream,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    cancel: CancelHandle,
}

impl Pipe {
    /// Resolves `host`, connects to the first of its addresses that accepts, and
    /// registers the socket with `cancel`. The lookup and each address get
    /// `connect_timeout`, cut short by `deadline`; a cancel ends either at once.
    /// `on_attempt` is told about each address tried.
    pub fn connect(
        host: &str,
        port: u16,
        connect_timeout: Duration,
        deadline: Option<Instant>,
        cancel: &CancelHandle,
        on_attempt: &mut dyn FnMut(&str),
    ) -> Result<Pipe> {
        let tcp = tcp::connect(host, port, connect_timeout, deadline, cancel, on_attempt)?;
        let peer = tcp
            .peer_addr()
            // A reset right after the connect shows here first (ENOTCONN).
            .map_err(|e| crate::error::from_net_io(&e, "reading the peer address"))?;
        let local = tcp.local_addr().ok();
        cancel.set_socket(tcp.try_clone().ok());
        Ok(Pipe {
            stream: Stream::Plain(Guarded::new(tcp, cancel.clone())),
            peer,
            local,
            cancel: cancel.clone(),
        })
    }

    /// Runs the TLS handshake (implicit TLS, or after the 220 to STARTTLS), bounded
    /// as a whole by `deadline`. With `refuse_pending`, fails if the server already
    /// sent anything: before our ClientHello it has nothing legitimate to send, so
    /// such bytes were injected (the CVE-2021-22947 class).
    pub fn start_tls(
        &mut self,
        settings: &TlsSettings,
        host: &str,
        deadline: Instant,
        refuse_pending: bool,
    ) -> Result<()> {
        let mut socket = match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Plain(socket) => socket,
            other => {
                self.stream = other;
                return Err(Error::new(ErrorKind::State, "TLS is already active"));
            }
        };
        if refuse_pending {
            let waiting = bytes_waiting(&mut socket);
            self.stream = Stream::Plain(socket);
            if waiting? {
                return Err(Error::protocol(
                    "the server sent unexpected bytes after its 220 reply to STARTTLS \
                     (possible response injection); refusing to start TLS",
                ));
            }
            socket = match std::mem::replace(&mut self.stream, Stream::Gone) {
                Stream::Plain(socket) => socket,
                _ => unreachable!("put back above"),
            };
        }
        socket.set_deadline(deadline);
        let tls = tls::handshake(socket, settings, host, deadline, &self.cancel)?;
        self.stream = Stream::Tls(Box::new(tls));
        Ok(())
    }

    /// Reads what the server sent, waiting until `deadline`; 0 means it closed the
    /// connection.
    pub fn read(&mut self, buf: &mut [u8], deadline: Instant) -> Result<usize> {
        self.guard_mut()?.set_deadline(deadline);
        let result = match &mut self.stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => return Err(gone()),
        };
        result.map_err(|e| self.failure(&e, "reading from the server"))
    }

    /// Reads what the server already sent, without waiting: `None` when nothing
    /// is there, `Some(0)` when it closed the connection.
    pub fn read_now(&mut self, buf: &mut [u8]) -> Result<Option<usize>> {
        let guard = self.guard_mut()?;
        guard.set_deadline(Instant::now() + Duration::from_secs(1));
        guard
            .set_immediate(true)
            .map_err(|e| Error::new(ErrorKind::Io, format!("polling the socket: {e}")))?;
        let result = match &mut self.stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => return Err(gone()),
        };
        let restored = self.guard_mut()?.set_immediate(false);
        let outcome = match result {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(self.failure(&e, "reading from the server")),
        };
        restored.map_err(|e| Error::new(ErrorKind::Io, format!("polling the socket: {e}")))?;
        outcome
    }

    /// Writes some of `bytes` (at least one), waiting until `deadline`; returns how
    /// many were written.
    pub fn write(&mut self, bytes: &[u8], deadline: Instant) -> Result<usize> {
        self.guard_mut()?.set_deadline(deadline);
        let result = match &mut self.stream {
            Stream::Plain(s) => s.write(bytes),
            Stream::Tls(s) => s.write(bytes),
            Stream::Gone => return Err(gone()),
        };
        match result {
            Ok(0) => Err(Error::new(
                ErrorKind::ConnectionLost,
                "writing to the server: the connection accepts no more data",
            )),
            Ok(n) => Ok(n),
            Err(e) => Err(self.failure(&e, "writing to the server")),
        }
    }

    /// Closes the connection at once, without any goodbye.
    pub fn abort(&mut self) {
        if let Some(guard) = self.guard() {
            let _ = guard.tcp().shutdown(Shutdown::Both);
        }
        self.cancel.set_socket(None);
        self.stream = Stream::Gone;
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// The server's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Our address on the connection.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }

    fn guard(&self) -> Option<&Guarded> {
        match &self.stream {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(s.get_ref()),
            Stream::Gone => None,
        }
    }

    fn guard_mut(&mut self) -> Result<&mut Guarded> {
        match &mut self.stream {
            Stream::Plain(s) => Ok(s),
            Stream::Tls(s) => Ok(s.get_mut()),
            Stream::Gone => Err(gone()),
        }
    }

    /// The error of a failed read or write: the guard's deadline or cancel if it
    /// stopped the call, else what the socket said.
    fn failure(&self, e: &io::Error, what: &str) -> Error {
        match self.guard().and_then(Guarded::stopped) {
            Some(Stop::Cancelled) => Error::new(ErrorKind::Cancelled, "cancelled"),
            Some(Stop::Deadline) => Error::new(ErrorKind::Timeout, "timed out"),
            None if self.cancel.is_cancelled() => Error::new(ErrorKind::Cancelled, "cancelled"),
            None => crate::error::from_net_io(e, what),
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.cancel.set_socket(None);
    }
}

fn gone() -> Error {
    Error::new(ErrorKind::ConnectionLost, "the connection is closed")
}

/// True when the socket has a byte (or EOF) ready to read right now.
fn bytes_waiting(socket: &mut Guarded) -> Result<bool> {
    let fail = |e: io::Error| Error::new(ErrorKind::Io, format!("checking the socket: {e}"));
    socket.tcp().set_nonblocking(true).map_err(fail)?;
    let mut probe = [0u8; 1];
    let result = socket.tcp().peek(&mut probe);
    socket.tcp().set_nonblocking(false).map_err(fail)?;
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(_) => Ok(true),
    }
}
