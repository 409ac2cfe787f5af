//! The only module that touches sockets: TCP with timeouts, TLS via native-tls.
//!
//! [`Connection`] is a byte pipe plus a read buffer that yields whole server replies
//! (parsed by the sans-IO [`ReplyParser`]). It knows nothing about what the replies
//! mean.

mod cancel;
mod tcp;
mod tls;

pub use cancel::CancelHandle;
pub use tcp::connect_tcp;
pub use tls::TlsSettings;

use crate::error::{from_net_io, Error, ErrorKind, Result};
use crate::protocol::reply::{Reply, ReplyParser};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Size of the read buffer: replies are small, and the parser bounds what it keeps.
const READ_BUF_LEN: usize = 8 * 1024;

enum Stream {
    Plain(TcpStream),
    Tls(Box<native_tls::TlsStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// An open connection to the server, plain or TLS, with a reply reader.
pub struct Connection {
    stream: Stream,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    parser: ReplyParser,
    peer: SocketAddr,
    /// The longest wait for one whole reply (the socket's read timeout at connect).
    reply_timeout: Option<Duration>,
}

impl Connection {
    /// Wraps a connected TCP stream (timeouts and TCP_NODELAY already set).
    pub fn plain(tcp: TcpStream) -> Result<Connection> {
        let peer = tcp
            .peer_addr()
            .map_err(|e| from_net_io(&e, "reading the peer address"))?;
        let reply_timeout = tcp.read_timeout().ok().flatten();
        Ok(Connection {
            stream: Stream::Plain(tcp),
            buf: vec![0u8; READ_BUF_LEN].into_boxed_slice(),
            start: 0,
            end: 0,
            parser: ReplyParser::new(),
            peer,
            reply_timeout,
        })
    }

    /// Connects TLS from the first byte (implicit TLS, port 465).
    pub fn implicit_tls(tcp: TcpStream, settings: &TlsSettings, host: &str) -> Result<Connection> {
        let mut conn = Connection::plain(tcp)?;
        let tcp = match conn.stream {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(_) => unreachable!("a new connection is plain"),
        };
        conn.stream = Stream::Tls(Box::new(tls::handshake(tcp, settings, host)?));
        Ok(conn)
    }

    /// Upgrades a plain connection after the server's 220 to STARTTLS.
    ///
    /// Fails if any byte is already waiting after that 220: before our ClientHello
    /// the server has nothing legitimate to send, so such bytes were injected by a
    /// man in the middle (the CVE-2021-22947 class) and must never be read as a reply
    /// after the handshake.
    pub fn start_tls(self, settings: &TlsSettings, host: &str) -> Result<Connection> {
        let pending = self.end - self.start;
        if pending > 0 || !self.parser.is_idle() {
            return Err(Error::protocol(format!(
                "the server sent {pending} unexpected byte(s) after its 220 reply to STARTTLS \
                 (possible response injection); refusing to start TLS"
            )));
        }
        let Connection {
            stream,
            buf,
            parser,
            peer,
            reply_timeout,
            ..
        } = self;
        let tcp = match stream {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(_) => return Err(Error::new(ErrorKind::State, "TLS is already active")),
        };
        if bytes_waiting(&tcp)? {
            return Err(Error::protocol(
                "the server sent unexpected bytes after its 220 reply to STARTTLS \
                 (possible response injection); refusing to start TLS",
            ));
        }
        let tls = tls::handshake(tcp, settings, host)?;
        Ok(Connection {
            stream: Stream::Tls(Box::new(tls)),
            buf,
            start: 0,
            end: 0,
            parser,
            peer,
            reply_timeout,
        })
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// The server's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// A second handle on the socket, so that another thread can shut it down.
    pub fn try_clone_socket(&self) -> Option<TcpStream> {
        self.stream.tcp().try_clone().ok()
    }

    /// Writes all of `bytes`.
    pub fn write_all(&mut self, bytes: &[u8], context: &str) -> Result<()> {
        self.stream
            .write_all(bytes)
            .and_then(|_| self.stream.flush())
            .map_err(|e| from_net_io(&e, context))
    }

    /// Reads until one complete reply is available and returns it. Bytes after it
    /// stay buffered for the next call. The whole reply must arrive within the I/O
    /// timeout: a server trickling a byte at a time cannot stall the client.
    pub fn read_reply(&mut self, context: &str) -> Result<Reply> {
        let deadline = self.reply_timeout.map(|t| Instant::now() + t);
        loop {
            if self.start < self.end {
                let (used, reply) = self
                    .parser
                    .parse(&self.buf[self.start..self.end])
                    .map_err(|e| e.context(context))?;
                self.start += used;
                if let Some(reply) = reply {
                    return Ok(reply);
                }
            }
            self.start = 0;
            self.end = 0;
            let n = match self.read_before(deadline) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(from_net_io(&e, context)),
            };
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::ConnectionLost,
                    format!("{context}: the server closed the connection"),
                ));
            }
            self.end = n;
        }
    }

    /// One read into the buffer that gives up at `deadline`; the socket's timeout
    /// is restored afterwards (the TLS handshake and writes rely on it).
    fn read_before(&mut self, deadline: Option<Instant>) -> std::io::Result<usize> {
        let Some(deadline) = deadline else {
            return self.stream.read(&mut self.buf);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        self.stream.tcp().set_read_timeout(Some(left))?;
        let result = self.stream.read(&mut self.buf);
        self.stream.tcp().set_read_timeout(self.reply_timeout)?;
        result
    }

    /// Whether reply bytes are buffered but not yet returned.
    pub fn has_buffered(&self) -> bool {
        self.start < self.end || !self.parser.is_idle()
    }

    /// Closes the connection at once, without any goodbye. Used to abort a DATA
    /// transfer: the server then discards the partial message.
    pub fn abort(self) {
        let _ = self.stream.tcp().shutdown(Shutdown::Both);
    }
}

/// True when the socket has a byte (or EOF) ready to read right now.
fn bytes_waiting(tcp: &TcpStream) -> Result<bool> {
    tcp.set_nonblocking(true)
        .map_err(|e| from_net_io(&e, "checking the socket"))?;
    let mut probe = [0u8; 1];
    let result = tcp.peek(&mut probe);
    tcp.set_nonblocking(false)
        .map_err(|e| from_net_io(&e, "checking the socket"))?;
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(false),
        Err(_) => Ok(true),
    }
}
