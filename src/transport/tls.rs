//! TLS via native-tls (OpenSSL on Linux, SChannel on Windows): certificate and
//! host name verification unless the caller turned it off explicitly.

use super::guard::Guarded;
use super::CancelHandle;
use crate::error::{Error, ErrorKind, Result};
use native_tls::{Certificate, HandshakeError, Protocol, TlsConnector, TlsStream};
use std::path::Path;
use std::time::Instant;

/// What the TLS handshake verifies against.
#[derive(Clone, Default)]
pub struct TlsSettings {
    /// Extra trusted certificates (in addition to the system store).
    pub ca_certs: Vec<Certificate>,
    /// The name to verify instead of the host the client connects to.
    pub server_name: Option<String>,
    /// Skip certificate and host name verification (dangerous).
    pub accept_invalid_certs: bool,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_certs", &self.ca_certs.len())
            .field("server_name", &self.server_name)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl TlsSettings {
    /// Reads every certificate of a PEM file. Fails with `File` when the file cannot
    /// be read and `InvalidArgument` when it holds no valid certificate.
    pub fn load_ca_file(path: &Path) -> Result<Vec<Certificate>> {
        let text = std::fs::read(path).map_err(|e| {
            Error::new(
                ErrorKind::File,
                format!("cannot read CA file {}: {e}", path.display()),
            )
        })?;
        let text = String::from_utf8_lossy(&text);
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let mut certs = Vec::new();
        let mut rest = text.as_ref();
        while let Some(start) = rest.find(BEGIN) {
            let Some(len) = rest[start..].find(END) else {
                break;
            };
            let block = &rest[start..start + len + END.len()];
            let cert = Certificate::from_pem(block.as_bytes()).map_err(|e| {
                Error::invalid(format!(
                    "CA file {}: certificate {} is not valid: {e}",
                    path.display(),
                    certs.len() + 1
                ))
            })?;
            certs.push(cert);
            rest = &rest[start + len + END.len()..];
        }
        if certs.is_empty() {
            return Err(Error::invalid(format!(
                "CA file {} contains no PEM certificate",
                path.display()
            )));
        }
        Ok(certs)
    }
}

/// Runs the client handshake over `socket`, whose deadline bounds the whole of it.
/// A failure is classified from what happened to the socket (the deadline passed,
/// the call was cancelled), not from the TLS library's message text.
pub(crate) fn handshake(
    socket: Guarded,
    settings: &TlsSettings,
    host: &str,
    deadline: Instant,
    cancel: &CancelHandle,
) -> Result<TlsStream<Guarded>> {
    let mut builder = TlsConnector::builder();
    builder.min_protocol_version(Some(Protocol::Tlsv12));
    for cert in &settings.ca_certs {
        builder.add_root_certificate(cert.clone());
    }
    if settings.accept_invalid_certs {
        builder.danger_accept_invalid_certs(true);
        builder.danger_accept_invalid_hostnames(true);
    }
    let connector = builder
        .build()
        .map_err(|e| Error::new(ErrorKind::Tls, format!("setting up TLS: {e}")))?;
    let name = settings.server_name.as_deref().unwrap_or(host);
    let name = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    match connector.connect(name, socket) {
        Ok(stream) => Ok(stream),
        Err(e) => {
            let text = match e {
                HandshakeError::WouldBlock(_) => "the handshake did not complete".to_string(),
                HandshakeError::Failure(e) => e.to_string(),
            };
            Err(if cancel.is_cancelled() {
                Error::new(ErrorKind::Cancelled, "cancelled during the TLS handshake")
            } else if Instant::now() >= deadline {
                Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "TLS handshake with {name} timed out: the server did not complete it in time"
                    ),
                )
            } else {
                Error::new(
                    ErrorKind::Tls,
                    format!("TLS handshake with {name} failed: {text}"),
                )
            })
        }
    }
}
