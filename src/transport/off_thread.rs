//! Blocking system calls that cannot be given a deadline or be interrupted —
//! `getaddrinfo` and `connect` — run on a helper thread, and the caller waits for
//! the result only until its deadline or a cancel. A thread given up on finishes
//! in the background (the resolver's and the kernel's own timeouts end it) and its
//! result is dropped: a late connection is closed at once.
//!
//! Why threads rather than an asynchronous resolver crate: the system resolver is
//! the one that knows the host's configuration on every platform (hosts file,
//! nsswitch, search domains, LLMNR and the DNS servers Windows got by DHCP or VPN),
//! which is what the programs smtpc replaces used.

use super::CancelHandle;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often a wait looks at the cancel flag.
const SLICE: Duration = Duration::from_millis(50);

/// Helper threads running in the whole process (in use or given up on and still
/// blocked). Past this many, new calls fail instead of piling up threads behind a
/// dead resolver; far more than the concurrent connects of a busy program.
const MAX_RUNNING: usize = 256;

static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Why a wait ended without a result.
#[derive(Debug)]
pub(crate) enum Stopped {
    /// The deadline passed first.
    Deadline,
    /// The cancel handle was triggered.
    Cancelled,
    /// No helper thread could be started (or too many are still blocked).
    NoThread(String),
}

/// Counts a running helper thread; the count drops when the thread ends.
struct Running;

impl Running {
    fn enter() -> Option<Running> {
        let before = RUNNING.fetch_add(1, Ordering::SeqCst);
        if before >= MAX_RUNNING {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Running)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `job` on a helper thread and waits for its result until `until`, checking
/// `cancel` every few milliseconds.
pub(crate) fn run<T, F>(until: Instant, cancel: &CancelHandle, job: F) -> Result<T, Stopped>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if cancel.is_cancelled() {
        return Err(Stopped::Cancelled);
    }
    let running = Running::enter().ok_or_else(|| {
        Stopped::NoThread(format!(
            "{MAX_RUNNING} lookups or connects are already running, most of them blocked \
             in the system"
        ))
    })?;
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("smtpc-net".into())
        .spawn(move || {
            let _running = running;
            // The receiver is gone when the caller gave up; the result is dropped.
            let _ = tx.send(job());
        })
        .map_err(|e| Stopped::NoThread(format!("could not start a helper thread: {e}")))?;
    loop {
        if cancel.is_cancelled() {
            return Err(Stopped::Cancelled);
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stopped::Deadline);
        }
        match rx.recv_timeout(left.min(SLICE)) {
            Ok(value) => return Ok(value),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Stopped::NoThread("the helper thread panicked".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_result_of_a_quick_job() {
        let until = Instant::now() + Duration::from_secs(5);
        let value = run(until, &CancelHandle::new(), || 42).expect("result");
        assert_eq!(value, 42);
    }

    #[test]
    fn stops_waiting_at_the_deadline() {
        let start = Instant::now();
        let until = start + Duration::from_millis(200);
        let result = run(until, &CancelHandle::new(), || {
            std::thread::sleep(Duration::from_secs(3));
        });
        assert!(matches!(result, Err(Stopped::Deadline)), "{result:?}");
        assert!(
            start.elapsed() < Duration::from_millis(600),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_cancel_from_another_thread_ends_the_wait() {
        let cancel = CancelHandle::new();
        let other = cancel.clone();
        let start = Instant::now();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            other.cancel();
        });
        let result = run(start + Duration::from_secs(10), &cancel, || {
            std::thread::sleep(Duration::from_secs(3));
        });
        canceller.join().unwrap();
        assert!(matches!(result, Err(Stopped::Cancelled)), "{result:?}");
        assert!(
            start.elapsed() < Duration::from_millis(600),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_panicking_job_is_reported_not_propagated() {
        let until = Instant::now() + Duration::from_secs(5);
        let result: Result<(), _> = run(until, &CancelHandle::new(), || panic!("job failed"));
        assert!(matches!(result, Err(Stopped::NoThread(_))), "{result:?}");
    }
}
