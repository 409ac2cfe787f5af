//! Cancellation from another thread.
//!
//! A blocked `read` cannot be interrupted portably except by shutting the socket
//! down, so the handle keeps a second handle on the current socket and shuts it down;
//! the blocked call then fails and the client reports `Cancelled`.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    socket: Mutex<Option<TcpStream>>,
}

/// Cancels the operation in progress on a client; cheap to clone, usable from any
/// thread at any time.
#[derive(Clone, Debug, Default)]
pub struct CancelHandle {
    inner: Arc<Inner>,
}

impl CancelHandle {
    /// A handle with nothing to cancel yet.
    pub fn new() -> CancelHandle {
        CancelHandle::default()
    }

    /// Cancels the operation in progress: it fails with `Cancelled`, and the
    /// connection is closed (a message being transferred is not delivered, because the
    /// end-of-data mark is never sent). When nothing is in progress, the idle
    /// connection is closed and the next operation reconnects.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        if let Ok(guard) = self.inner.socket.lock() {
            if let Some(sock) = guard.as_ref() {
                let _ = sock.shutdown(Shutdown::Both);
            }
        }
    }

    /// Whether [`CancelHandle::cancel`] was called since the last [`CancelHandle::reset`].
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Clears the flag at the start of a new operation.
    pub fn reset(&self) {
        self.inner.cancelled.store(false, Ordering::SeqCst);
    }

    /// Registers the socket that [`CancelHandle::cancel`] shuts down (or none).
    pub fn set_socket(&self, socket: Option<TcpStream>) {
        if let Ok(mut guard) = self.inner.socket.lock() {
            *guard = socket;
        }
    }
}
