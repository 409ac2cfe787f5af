//! TCP connect: every resolved address in turn, each with the connect timeout.

use super::CancelHandle;
use crate::error::{Error, ErrorKind, Result};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Resolves `host` (a name, an IPv4 literal or an IPv6 literal with or without
/// brackets) to all its addresses and connects to the first that accepts, trying
/// each with `connect_timeout`. The stream gets TCP_NODELAY (commands are written
/// one group per write, so Nagle only adds delay) and `io_timeout` for reads and
/// writes. `on_attempt` is told about each address tried.
pub fn connect_tcp(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    io_timeout: Duration,
    cancel: &CancelHandle,
    on_attempt: &mut dyn FnMut(&str),
) -> Result<TcpStream> {
    let addrs = resolve(host, port)?;
    let mut failures = Vec::new();
    let mut all_timeouts = true;
    for addr in &addrs {
        if cancel.is_cancelled() {
            return Err(Error::new(ErrorKind::Cancelled, "connect cancelled"));
        }
        on_attempt(&format!("connecting to {addr}"));
        match TcpStream::connect_timeout(addr, connect_timeout) {
            Ok(stream) => {
                let setup = stream
                    .set_nodelay(true)
                    .and_then(|_| stream.set_read_timeout(Some(io_timeout)))
                    .and_then(|_| stream.set_write_timeout(Some(io_timeout)));
                if let Err(e) = setup {
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
