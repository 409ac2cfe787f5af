//! TCP connect: the name resolved, then every address in turn, each with the
//! connect timeout; all of it within the call's deadline and ended by a cancel.
//! The lookup and each connect run on a helper thread (`off_thread`), because
//! neither `getaddrinfo` nor a blocking connect can be given a deadline or be
//! interrupted from another thread on every platform.

use super::off_thread::{self, Stopped};
use super::CancelHandle;
use crate::error::{Error, ErrorKind, Result};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Resolves `host` (a name, an IPv4 literal or an IPv6 literal with or without
/// brackets) to all its addresses and connects to the first that accepts. The
/// lookup and each address get `connect_timeout`, cut short by `deadline` (the
/// whole call's); `cancel` ends either at once. The stream gets TCP_NODELAY
/// (commands are written one group per write, so Nagle only adds delay).
/// `on_attempt` is told about each address tried.
pub(crate) fn connect(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    deadline: Option<Instant>,
    cancel: &CancelHandle,
    on_attempt: &mut dyn FnMut(&str),
) -> Result<TcpStream> {
    let limit = Limit {
        step: connect_timeout,
        deadline,
    };
    let addrs = resolve(host, port, limit, cancel)?;
    connect_any(&addrs, host, port, limit, cancel, on_attempt)
}

/// The bound of one step: its own timeout, cut short by the call's deadline.
#[derive(Clone, Copy)]
struct Limit {
    step: Duration,
    deadline: Option<Instant>,
}

impl Limit {
    /// When a step starting now must end, and how long that is.
    fn starting_now(self) -> (Instant, Duration) {
        let now = Instant::now();
        let own = now + self.step;
        let until = self.deadline.map_or(own, |d| d.min(own));
        (until, until.saturating_duration_since(now))
    }
}

/// Tries each address in order; the first that accepts wins.
fn connect_any(
    addrs: &[SocketAddr],
    host: &str,
    port: u16,
    limit: Limit,
    cancel: &CancelHandle,
    on_attempt: &mut dyn FnMut(&str),
) -> Result<TcpStream> {
    let mut failures = Vec::new();
    let mut all_timeouts = true;
    for addr in addrs {
        let (until, allowed) = limit.starting_now();
        if allowed.is_zero() {
            failures.push(format!("{addr}: not tried, no time left"));
            break;
        }
        on_attempt(&format!("connecting to {addr}"));
        let target = *addr;
        let attempt = off_thread::run(until, cancel, move || {
            TcpStream::connect_timeout(&target, allowed)
        });
        let outcome = match attempt {
            Ok(outcome) => outcome,
            Err(Stopped::Cancelled) => {
                return Err(Error::new(
                    ErrorKind::Cancelled,
                    format!("cancelled while connecting to {addr}"),
                ))
            }
            Err(Stopped::Deadline) => Err(std::io::ErrorKind::TimedOut.into()),
            Err(Stopped::NoThread(why)) => {
                return Err(Error::new(
                    ErrorKind::Connect,
                    format!("connecting to {addr}: {why}"),
                ))
            }
        };
        match outcome {
            Ok(stream) => {
                if let Err(e) = stream.set_nodelay(true) {
                    return Err(Error::new(
                        ErrorKind::Io,
                        format!("configuring the socket to {addr}: {e}"),
                    ));
                }
                return Ok(stream);
            }
            Err(e) => {
                let timed_out = matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                );
                all_timeouts &= timed_out;
                let why = if timed_out {
                    format!("timed out after {} ms", allowed.as_millis())
                } else {
                    e.to_string()
                };
                failures.push(format!("{addr}: {why}"));
            }
        }
    }
    let kind = if all_timeouts {
        ErrorKind::Timeout
    } else {
        ErrorKind::Connect
    };
    Err(Error::new(
        kind,
        format!(
            "could not connect to {host} port {port}: {}",
            failures.join("; ")
        ),
    ))
}

/// The addresses of `host`: an IP literal at once, a name by the system resolver
/// on a helper thread, waited for within the limit.
fn resolve(host: &str, port: u16, limit: Limit, cancel: &CancelHandle) -> Result<Vec<SocketAddr>> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (until, allowed) = limit.starting_now();
    let name = bare.to_string();
    let lookup = off_thread::run(until, cancel, move || {
        (name.as_str(), port)
            .to_socket_addrs()
            .map(Iterator::collect::<Vec<SocketAddr>>)
    });
    let addrs = match lookup {
        Ok(Ok(addrs)) => addrs,
        Ok(Err(e)) => {
            return Err(Error::new(
                ErrorKind::Dns,
                format!("could not resolve {host}: {e}"),
            ))
        }
        Err(Stopped::Deadline) => {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "resolving {host}: no answer from the resolver within {} ms",
                    allowed.as_millis()
                ),
            ))
        }
        Err(Stopped::Cancelled) => {
            return Err(Error::new(
                ErrorKind::Cancelled,
                format!("cancelled while resolving {host}"),
            ))
        }
        Err(Stopped::NoThread(why)) => {
            return Err(Error::new(
                ErrorKind::Dns,
                format!("could not resolve {host}: {why}"),
            ))
        }
    };
    if addrs.is_empty() {
        return Err(Error::new(
            ErrorKind::Dns,
            format!("could not resolve {host}: no addresses"),
        ));
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn two_seconds() -> Limit {
        Limit {
            step: Duration::from_secs(2),
            deadline: None,
        }
    }

    fn closed_port(ip: &str) -> SocketAddr {
        let listener = TcpListener::bind((ip, 0)).expect("bind");
        listener.local_addr().expect("addr")
    }

    #[test]
    fn falls_back_to_the_next_address_ipv6_then_ipv4() {
        let refused = closed_port("::1");
        let open = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut attempts = Vec::new();
        let stream = connect_any(
            &[refused, open.local_addr().unwrap()],
            "example.test",
            25,
            two_seconds(),
            &CancelHandle::new(),
            &mut |line| attempts.push(line.to_string()),
        )
        .expect("second address accepts");
        assert_eq!(stream.peer_addr().unwrap(), open.local_addr().unwrap());
        assert!(stream.nodelay().unwrap(), "TCP_NODELAY set");
        assert_eq!(attempts.len(), 2, "{attempts:?}");
        assert!(attempts[0].contains("[::1]"), "{attempts:?}");
    }

    #[test]
    fn every_address_refused_lists_each_failure() {
        let a = closed_port("127.0.0.1");
        let b = closed_port("::1");
        let err = connect_any(
            &[a, b],
            "example.test",
            25,
            two_seconds(),
            &CancelHandle::new(),
            &mut |_| {},
        )
        .expect_err("nothing listens");
        assert_eq!(err.kind(), ErrorKind::Connect);
        assert!(err.message().contains(&a.to_string()), "{err}");
        assert!(err.message().contains(&b.to_string()), "{err}");
    }

    #[test]
    fn unknown_host_is_a_dns_error() {
        let err = resolve(
            "no-such-host.invalid",
            25,
            two_seconds(),
            &CancelHandle::new(),
        )
        .expect_err("must not resolve");
        assert_eq!(err.kind(), ErrorKind::Dns);
        assert!(err.message().contains("no-such-host.invalid"), "{err}");
    }

    #[test]
    fn the_call_deadline_cuts_the_step_short() {
        let deadline = Instant::now() + Duration::from_millis(300);
        let limit = Limit {
            step: Duration::from_secs(30),
            deadline: Some(deadline),
        };
        let (until, allowed) = limit.starting_now();
        assert_eq!(until, deadline);
        assert!(allowed <= Duration::from_millis(300), "{allowed:?}");
    }

    #[test]
    fn nothing_is_tried_once_the_deadline_has_passed() {
        let open = TcpListener::bind("127.0.0.1:0").expect("bind");
        let limit = Limit {
            step: Duration::from_secs(2),
            deadline: Some(Instant::now()),
        };
        let mut attempts = 0;
        let err = connect_any(
            &[open.local_addr().unwrap()],
            "example.test",
            25,
            limit,
            &CancelHandle::new(),
            &mut |_| attempts += 1,
        )
        .expect_err("no time left");
        assert_eq!(attempts, 0);
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(err.message().contains("no time left"), "{err}");
    }

    #[test]
    fn a_cancelled_lookup_is_cancelled_not_a_dns_error() {
        let cancel = CancelHandle::new();
        cancel.cancel();
        let err = resolve("localhost", 25, two_seconds(), &cancel).expect_err("cancelled");
        assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    }

    #[test]
    fn bracketed_ipv6_literal_resolves() {
        let addrs = resolve("[::1]", 587, two_seconds(), &CancelHandle::new()).expect("literal");
        assert_eq!(addrs, vec!["[::1]:587".parse::<SocketAddr>().unwrap()]);
    }
}
