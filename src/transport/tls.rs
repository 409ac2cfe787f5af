//! TLS via native-tls: certificate and host name verification unless the caller
//! turned it off explicitly.

use crate::error::{Error, ErrorKind, Result};
use native_tls::{Certificate, HandshakeError, Protocol, TlsConnector, TlsStream};
use std::net::TcpStream;
use std::path::Path;

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

/// Runs the client handshake over `tcp` (whose read/write timeouts bound each step).
pub fn handshake(
    tcp: TcpStream,
    settings: &TlsSettings,
    host: &str,
) -> Result<TlsStream<TcpStream>> {
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
    match connector.connect(name, tcp) {
        Ok(stream) => Ok(stream),
        Err(HandshakeError::WouldBlock(_)) => Err(Error::new(
            ErrorKind::Timeout,
            "TLS handshake timed out: the server did not complete it",
        )),
        Err(HandshakeError::Failure(e)) => {
            let text = e.to_string();
            let kind = if text.contains("timed out") || text.contains("temporarily unavailable") {
                ErrorKind::Timeout
            } else {
                ErrorKind::Tls
            };
            Err(Error::new(
                kind,
                format!("TLS handshake with {name} failed: {text}"),
            ))
        }
    }
}
