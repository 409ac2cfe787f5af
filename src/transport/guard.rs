//! The socket under everything: a `TcpStream` whose reads and writes end by a
//! deadline on a monotonic clock and notice a cancel within a fraction of a second,
//! however slowly the peer sends. TLS runs on top of it, so a server trickling
//! its TLS records a byte at a time is bounded too (each socket call is only a
//! slice of the wait, and the deadline covers the whole reply or handshake).
//!
//! Waiting in short slices is also what makes cancel work on Windows, where
//! shutting a socket down from another thread does not wake a blocked `recv`.

use super::CancelHandle;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest single wait in a socket call: the cancel flag is checked this often.
const SLICE: Duration = Duration::from_millis(100);

/// Why the guard itself failed a call (as opposed to the socket failing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The deadline passed.
    Deadline,
    /// The operation was cancelled.
    Cancelled,
}

/// A TCP stream with a deadline and a cancel flag.
#[derive(Debug)]
pub(crate) struct Guarded {
    tcp: TcpStream,
    cancel: CancelHandle,
    deadline: Option<Instant>,
    /// Reads return at once (`WouldBlock` when nothing is there).
    immediate: bool,
    /// The socket timeouts last set, to avoid a system call per read.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// Set when the guard failed the last call.
    stopped: Option<Stop>,
    /// Set during a TLS handshake: where the guard notes what the socket saw.
    watch: Option<HandshakeWatch>,
    /// During a TLS handshake, before the server's first byte.
    first_record: bool,
}

/// What the socket saw during a TLS handshake. The TLS library drops the socket
/// when the handshake fails and words its errors differently on each platform, so
/// the handshake's error is classified from this instead.
#[derive(Debug, Default)]
pub(crate) struct HandshakeSeen {
    /// The start of what the server sent instead of a TLS record, escaped.
    pub(crate) plain_text: Option<String>,
    /// How the connection ended under the handshake, if it did, in words for
    /// the error message ("the server closed the connection", or the socket's
    /// error).
    pub(crate) lost: Option<String>,
}

/// Shared between the guard (inside the TLS library) and the handshake's caller.
pub(crate) type HandshakeWatch = Arc<Mutex<HandshakeSeen>>;

/// At most this much of a plain-text answer goes into an error message.
const PLAIN_TEXT_SHOWN: usize = 60;

impl Guarded {
    pub(crate) fn new(tcp: TcpStream, cancel: CancelHandle) -> Guarded {
        Guarded {
            tcp,
            cancel,
            deadline: None,
            immediate: false,
            read_timeout: None,
            write_timeout: None,
            stopped: None,
            watch: None,
            first_record: false,
        }
    }

    /// Watches the socket for a TLS handshake, until [`Guarded::end_watch`]:
    /// - if the first bytes read cannot start a TLS record (the server answered in
    ///   plain text, e.g. an SMTP greeting on a STARTTLS port), the read fails at
    ///   once instead of the TLS library waiting for a "record" thousands of bytes
    ///   long that never comes, and the watch holds the start of the text;
    /// - if the server closes or resets the connection, the watch says so.
    pub(crate) fn watch_handshake(&mut self) -> HandshakeWatch {
        let watch = HandshakeWatch::default();
        self.watch = Some(watch.clone());
        self.first_record = true;
        watch
    }

    /// Ends the watch of [`Guarded::watch_handshake`].
    pub(crate) fn end_watch(&mut self) {
        self.watch = None;
        self.first_record = false;
    }

    /// Notes in the watch what a read during the handshake gave, and fails a
    /// first read that is not TLS.
    fn watch_read(&mut self, result: io::Result<usize>, buf: &[u8]) -> io::Result<usize> {
        match result {
            Ok(0) if !buf.is_empty() => {
                self.note_lost("the server closed the connection".into());
                Ok(0)
            }
            Ok(n) if self.first_record => {
                self.first_record = false;
                // TLS record types: change_cipher_spec (20), alert (21), handshake
                // (22), application_data (23). A server's first record is a
                // handshake or an alert.
                if matches!(buf.first(), Some(20..=23)) {
                    return Ok(n);
                }
                let shown = buf[..n.min(PLAIN_TEXT_SHOWN)].escape_ascii().to_string();
                self.note(|seen| seen.plain_text = Some(shown));
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the server sent plain text, not TLS",
                ))
            }
            Err(e) => {
                self.note_if_lost(&e);
                Err(e)
            }
            other => other,
        }
    }

    /// Notes a socket error that means the server closed or reset the
    /// connection (not the guard's own deadline or cancel).
    fn note_if_lost(&self, e: &io::Error) {
        if self.stopped.is_none() && crate::error::is_connection_lost(e) {
            self.note_lost(format!("connection lost ({e})"));
        }
    }

    fn note_lost(&self, how: String) {
        self.note(|seen| {
            seen.lost.get_or_insert(how);
        });
    }

    fn note(&self, f: impl FnOnce(&mut HandshakeSeen)) {
        if let Some(watch) = &self.watch {
            f(&mut watch.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }

    pub(crate) fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// Sets the deadline of the calls that follow and clears the last stop.
    pub(crate) fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
        self.stopped = None;
    }

    /// Why the guard failed the last call, if it did.
    pub(crate) fn stopped(&self) -> Option<Stop> {
        self.stopped
    }

    /// Makes reads return at once (`true`, `WouldBlock` when nothing is there) or
    /// wait until the deadline (`false`).
    pub(crate) fn set_immediate(&mut self, immediate: bool) -> io::Result<()> {
        if self.immediate != immediate {
            // On Unix each immediate read asks for it itself (MSG_DONTWAIT), so the
            // socket's mode never changes; elsewhere the socket is switched.
            if !cfg!(unix) {
                self.tcp.set_nonblocking(immediate)?;
            }
            self.immediate = immediate;
        }
        Ok(())
    }

    /// Notes that the cancel stopped the call; the error to return for it.
    fn stop_cancelled(&mut self) -> io::Error {
        self.stopped = Some(Stop::Cancelled);
        io::Error::new(io::ErrorKind::Interrupted, "cancelled")
    }

    /// How long the next socket call may wait, or why it must not start.
    fn next_wait(&mut self) -> io::Result<Duration> {
        if self.cancel.is_cancelled() {
            return Err(self.stop_cancelled());
        }
        let left = match self.deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            None => SLICE,
        };
        if left.is_zero() {
            self.stopped = Some(Stop::Deadline);
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
        }
        Ok(left.min(SLICE))
    }
}

/// One read that does not wait: `WouldBlock` when nothing has arrived.
#[cfg(unix)]
fn read_now(tcp: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: the descriptor is open for as long as `tcp` lives, and `buf` is a
    // writable buffer of `buf.len()` bytes.
    let n = unsafe {
        libc::recv(
            tcp.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// One read that does not wait (the socket is in non-blocking mode here).
#[cfg(not(unix))]
fn read_now(mut tcp: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    tcp.read(buf)
}

/// Whether an error only means "this slice of the wait is over".
fn slice_over(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl Read for Guarded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.read_guarded(buf);
        if self.watch.is_none() {
            return result;
        }
        self.watch_read(result, buf)
    }
}

impl Guarded {
    /// A read bounded by the deadline and the cancel flag (or an immediate one).
    fn read_guarded(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.immediate {
            return read_now(&self.tcp, buf);
        }
        loop {
            let wait = self.next_wait()?;
            if self.read_timeout != Some(wait) {
                self.tcp.set_read_timeout(Some(wait))?;
                self.read_timeout = Some(wait);
            }
            match self.tcp.read(buf) {
                Err(e) if slice_over(&e) || e.kind() == io::ErrorKind::Interrupted => continue,
                // A cancel shuts the socket down, which ends a blocked read as if
                // the server had closed (Linux) or reset (Windows) the
                // connection: say it was the cancel.
                Ok(0) | Err(_) if !buf.is_empty() && self.cancel.is_cancelled() => {
                    return Err(self.stop_cancelled());
                }
                other => return other,
            }
        }
    }
}

impl Write for Guarded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            let wait = self.next_wait()?;
            if self.write_timeout != Some(wait) {
                self.tcp.set_write_timeout(Some(wait))?;
                self.write_timeout = Some(wait);
            }
            match self.tcp.write(buf) {
                Err(e) if slice_over(&e) || e.kind() == io::ErrorKind::Interrupted => continue,
                // The cancel's shutdown, not the server.
                Err(_) if self.cancel.is_cancelled() => return Err(self.stop_cancelled()),
                Err(e) => {
                    self.note_if_lost(&e);
                    return Err(e);
                }
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn pair() -> (Guarded, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Guarded::new(client, CancelHandle::new()), server)
    }

    #[test]
    fn a_trickling_peer_cannot_outlast_the_deadline() {
        let (mut g, mut server) = pair();
        let writer = std::thread::spawn(move || {
            for _ in 0..30 {
                if server.write_all(b"x").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(40));
            }
        });
        let start = Instant::now();
        g.set_deadline(start + Duration::from_millis(300));
        let mut got = 0;
        let mut buf = [0u8; 1];
        let err = loop {
            match g.read(&mut buf) {
                Ok(n) => got += n,
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(g.stopped(), Some(Stop::Deadline));
        assert!(got >= 2, "{got}");
        let elapsed = start.elapsed();
        assert!(elapsed < Duration::from_millis(450), "{elapsed:?}");
        drop(g);
        writer.join().unwrap();
    }

    #[test]
    fn cancel_ends_a_blocked_read_within_a_slice() {
        let (mut g, _server) = pair();
        let cancel = g.cancel.clone();
        g.set_deadline(Instant::now() + Duration::from_secs(30));
        let start = Instant::now();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            cancel.cancel_flag_only();
        });
        let err = g.read(&mut [0u8; 8]).unwrap_err();
        t.join().unwrap();
        assert_eq!(g.stopped(), Some(Stop::Cancelled), "{err}");
        assert!(start.elapsed() < Duration::from_millis(150) + SLICE * 2);
    }

    #[test]
    fn a_cancel_that_shuts_the_socket_down_is_a_cancel_not_a_close() {
        let (mut g, _server) = pair();
        let cancel = g.cancel.clone();
        cancel.set_socket(Some(g.tcp().try_clone().unwrap()));
        g.set_deadline(Instant::now() + Duration::from_secs(30));
        let start = Instant::now();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            cancel.cancel();
        });
        let err = g.read(&mut [0u8; 8]).unwrap_err();
        t.join().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::Interrupted, "{err}");
        assert_eq!(g.stopped(), Some(Stop::Cancelled));
        // On Linux woken by the shutdown, not by the next slice; Wine's sockets
        // do not wake a blocked read there, the next slice's check ends it.
        let woken = if cfg!(target_os = "linux") {
            SLICE
        } else {
            SLICE * 2
        };
        assert!(
            start.elapsed() < Duration::from_millis(100) + woken,
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn plain_text_where_tls_is_expected_fails_the_first_read() {
        let (mut g, mut server) = pair();
        g.set_deadline(Instant::now() + Duration::from_secs(5));
        let watch = g.watch_handshake();
        server.write_all(b"220 mx ESMTP\r\n\x1b[31m").unwrap();
        let err = g.read(&mut [0u8; 64]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let sent = watch.lock().unwrap().plain_text.clone().unwrap();
        assert_eq!(sent, "220 mx ESMTP\\r\\n\\x1b[31m");
    }

    #[test]
    fn a_tls_record_passes_the_check_once() {
        let (mut g, mut server) = pair();
        g.set_deadline(Instant::now() + Duration::from_secs(5));
        let watch = g.watch_handshake();
        server.write_all(&[0x16, 0x03, 0x03]).unwrap();
        assert_eq!(g.read(&mut [0u8; 3]).unwrap(), 3);
        server.write_all(b"220").unwrap();
        assert_eq!(
            g.read(&mut [0u8; 3]).unwrap(),
            3,
            "only the first byte is checked"
        );
        let seen = watch.lock().unwrap();
        assert!(seen.plain_text.is_none() && seen.lost.is_none());
    }

    #[test]
    fn the_watch_notes_a_close_and_a_reset_but_not_its_own_deadline() {
        let (mut g, server) = pair();
        g.set_deadline(Instant::now() + Duration::from_secs(5));
        let watch = g.watch_handshake();
        drop(server);
        assert_eq!(g.read(&mut [0u8; 8]).unwrap(), 0);
        assert_eq!(
            watch.lock().unwrap().lost.as_deref(),
            Some("the server closed the connection")
        );

        let (mut g, _server) = pair();
        g.set_deadline(Instant::now() + Duration::from_millis(50));
        let watch = g.watch_handshake();
        assert!(g.read(&mut [0u8; 8]).is_err());
        assert_eq!(g.stopped(), Some(Stop::Deadline));
        assert!(watch.lock().unwrap().lost.is_none(), "a timeout is no loss");

        let (mut g, server) = pair();
        g.set_deadline(Instant::now() + Duration::from_secs(5));
        let watch = g.watch_handshake();
        g.end_watch();
        drop(server);
        assert_eq!(g.read(&mut [0u8; 8]).unwrap(), 0);
        assert!(watch.lock().unwrap().lost.is_none(), "the watch has ended");
    }

    #[test]
    fn immediate_reads_do_not_wait() {
        let (mut g, mut server) = pair();
        g.set_immediate(true).unwrap();
        let err = g.read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        server.write_all(b"hi").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(g.read(&mut [0u8; 8]).unwrap(), 2);
        g.set_immediate(false).unwrap();
    }
}
