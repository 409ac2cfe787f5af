//! Unique tokens for Message-IDs and MIME boundaries, from the clock, the process
//! id, a process-wide counter and the OS-seeded keys of std's `RandomState` (no
//! extra crate: uniqueness is what matters here, not secrecy).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn nanos_now() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// 64 bits that differ between calls, threads and processes.
fn entropy(salt: u64) -> u64 {
    // Each RandomState gets fresh keys (random per process, then advanced per
    // instance), so two hashes of the same input still differ.
    let mut hasher = RandomState::new().build_hasher();
    (nanos_now(), std::process::id(), salt).hash(&mut hasher);
    std::thread::current().id().hash(&mut hasher);
    hasher.finish()
}

/// A 32-hex-digit token, unique within and across processes in practice.
pub fn token() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{:016x}", entropy(n), entropy(!n))
}

/// A Message-ID `<time.pid.counter.random@domain>`. `domain` is the From
/// address's domain when it is usable in an id, else `localhost`.
pub fn message_id(from_domain: Option<&str>) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let domain = from_domain
        .filter(|d| is_id_domain(d))
        .unwrap_or("localhost");
    format!(
        "<{:x}.{:x}.{:x}.{:016x}@{domain}>",
        nanos_now() / 1000,
        std::process::id(),
        n,
        entropy(n)
    )
}

/// A domain fit for the right side of a msg-id: an ASCII host name or a bracketed
/// literal without white space.
fn is_id_domain(domain: &str) -> bool {
    let host = |d: &str| {
        !d.is_empty()
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    let literal = |d: &str| {
        d.len() > 2
            && d.starts_with('[')
            && d.ends_with(']')
            && d[1..d.len() - 1]
                .chars()
                .all(|c| c.is_ascii_graphic() && !"[]\\".contains(c))
    };
    host(domain) || literal(domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn tokens_are_unique_and_hex() {
        let tokens: HashSet<String> = (0..10_000).map(|_| token()).collect();
        assert_eq!(tokens.len(), 10_000);
        assert!(tokens
            .iter()
            .all(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit())));
    }

    #[test]
    fn unique_across_threads() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..1000).map(|_| message_id(None)).collect::<Vec<_>>()))
            .collect();
        let mut all = HashSet::new();
        for h in handles {
            for id in h.join().unwrap() {
                assert!(all.insert(id));
            }
        }
    }

    #[test]
    fn message_id_domains() {
        assert!(message_id(Some("example.com")).ends_with("@example.com>"));
        assert!(message_id(Some("[192.0.2.1]")).ends_with("@[192.0.2.1]>"));
        assert!(message_id(Some("bücher.de")).ends_with("@localhost>"));
        assert!(message_id(None).ends_with("@localhost>"));
        let id = message_id(Some("x.org"));
        assert!(id.starts_with('<') && id.is_ascii() && !id.contains(' '));
    }
}
