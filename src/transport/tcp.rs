//! TCP connect: every resolved address in turn, each with the connect timeout.

use super::CancelHandle;
use crate::error::{Error, ErrorKind, Result};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Resolves `host` (a name, an IPv4 literal or an IPv6 literal with or without
/// brackets) to all its addresses and connects to the first that accepts, trying
/// each with `connect_timeout`. The stream gets TCP_NODELAY (commands are written
/// one group per write, so Nagle only adds delay). `on_attempt` is told about each
/// address tried.
pub(crate) fn connect(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    cancel: &CancelHandle,
    on_attempt: &mut dyn FnMut(&str),
) -> Result<TcpStream> {
    let addrs = resolve(host, port)?;
    connect_any(&addrs, host, port, connect_timeout, cancel, on_attempt)
}

/// Tries each address in order; the first that accepts wins.
fn connect_any(
    addrs: &[SocketAddr],
    host: &str,
    port: u16,
    connect_timeout: Duration,
    cancel: &CancelHandle,
    on_attempt: &mut dyn FnMut(&str),
) -> Result<TcpStream> {
    let mut failures = Vec::new();
    let mut all_timeouts = true;
    for addr in addrs {
        if cancel.is_cancelled() {
            return Err(Error::new(ErrorKind::Cancelled, "connect cancelled"));
        }
        on_attempt(&format!("connecting to {addr}"));
        match TcpStream::connect_timeout(addr, connect_timeout) {
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
                    format!("timed out after {} ms", connect_timeout.as_millis())
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

fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let addrs: Vec<SocketAddr> = (bare, port)
        .to_socket_addrs()
        .map_err(|e| Error::new(ErrorKind::Dns, format!("could not resolve {host}: {e}")))?
        .collect();
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
            Duration::from_secs(2),
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
            Duration::from_secs(2),
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
        let err = resolve("no-such-host.invalid", 25).expect_err("must not resolve");
        assert_eq!(err.kind(), ErrorKind::Dns);
        assert!(err.message().contains("no-such-host.invalid"), "{err}");
    }

    #[test]
    fn bracketed_ipv6_literal_resolves() {
        let addrs = resolve("[::1]", 587).expect("literal");
        assert_eq!(addrs, vec!["[::1]:587".parse::<SocketAddr>().unwrap()]);
    }
}
