//! Cancellation from another thread.
//!
//! Two mechanisms, so that a cancel is prompt everywhere: the flag, which every
//! socket call checks between short slices of its wait (see `guard`), and a second
//! handle on the current socket, shut down at once (which wakes a blocked call on
//! Linux at once, but not on Windows).

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

    /// Cancels the operation in progress: it fails with `Cancelled` and the
    /// connection is closed (a message being transferred is not delivered, because
    /// the end-of-data mark is never sent) — or with `UnknownOutcome` when the whole
    /// message was already sent. When nothing is in progress, the idle connection is
    /// closed and the next operation reconnects.
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

    /// Sets the flag without touching the socket, as a cancel looks on a system
    /// where shutdown does not wake a blocked call.
    #[cfg(test)]
    pub(crate) fn cancel_flag_only(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
    }

    /// Registers the socket that [`CancelHandle::cancel`] shuts down (or none).
    pub fn set_socket(&self, socket: Option<TcpStream>) {
        if let Ok(mut guard) = self.inner.socket.lock() {
            *guard = socket;
        }
    }
}
