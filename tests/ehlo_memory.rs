//! Memory stays in line with the reply caps: an EHLO reply as large as the
//! parser allows (1000 lines of 4000 bytes, one-letter parameters) costs the
//! client a small multiple of its 4 MB, not one allocation per parameter (which
//! came to 128 MB per client). Counted by a global allocator that tracks the
//! bytes live and the peak; this file holds a single test so nothing else runs
//! while it counts.

mod fault_server;

use fault_server::{FaultServer, Script};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LINES: usize = 1000;
const LINE_LEN: usize = 4000;

/// 1000 lines: the greeting line, 998 lines of `Xnnn a b c ...` and `SIZE 1000`.
fn huge_ehlo_reply() -> String {
    let mut reply = String::from("250-fault.test hello\r\n");
    for i in 0..LINES - 2 {
        let mut line = format!("250-X{i:03}");
        while line.len() + 2 <= LINE_LEN {
            line.push_str(" a");
        }
        reply.push_str(&line);
        reply.push_str("\r\n");
    }
    reply.push_str("250 SIZE 1000\r\n");
    reply
}

#[test]
fn a_maximal_ehlo_reply_costs_a_small_multiple_of_its_size() {
    let reply = huge_ehlo_reply();
    let reply_len = reply.len();
    assert!(reply_len > 3_900_000, "{reply_len}");
    let server = FaultServer::start(Script::new().greet().expect("EHLO ").send(reply));
    let mut client = server.client();
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    client.connect().expect("the reply is within the caps");
    let peak = PEAK.load(Ordering::SeqCst) - before;
    let connected = LIVE.load(Ordering::SeqCst);
    assert!(client.has_extension("X997"));
    drop(client);
    let retained = connected.saturating_sub(LIVE.load(Ordering::SeqCst));
    eprintln!("reply {reply_len} bytes; client retained {retained}, peak {peak}");
    // The reply itself (kept as the last reply) plus the capabilities: about 2x.
    assert!(
        retained < 3 * reply_len,
        "retained {retained} for a {reply_len}-byte reply"
    );
    assert!(
        peak < 5 * reply_len,
        "peak {peak} for a {reply_len}-byte reply"
    );
    drop(server);
}
