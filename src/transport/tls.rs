//! TLS via native-tls (OpenSSL on Linux, SChannel on Windows): certificate and
//! host name verification unless the caller turned it off explicitly.

use super::guard::Guarded;
use super::CancelHandle;
use crate::error::{Error, ErrorKind, Result};
use crate::regular_file::open_regular;
use native_tls::{Certificate, HandshakeError, Protocol, TlsConnector, TlsStream};
use std::io::Read;
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
    /// Reads every certificate of a PEM file. Fails with `File`, naming the path,
    /// when the file cannot be read, is not a regular file (a FIFO or device is
    /// refused at once, without blocking on it or reading it), is larger than
    /// 16 MiB, or holds no valid certificate — what c-api.md and the
    /// header give for `smtpc_client_set_ca_file`: a file that cannot be used.
    pub fn load_ca_file(path: &Path) -> Result<Vec<Certificate>> {
        let fail = |why: String| {
            Error::new(
                ErrorKind::File,
                format!("cannot read CA file {}: {why}", path.display()),
            )
        };
        let (file, meta) = open_regular(path).map_err(|e| fail(e.to_string()))?;
        if meta.len() > MAX_CA_FILE {
            return Err(fail(too_big(meta.len())));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        // Bounded again while reading: the file may grow after the check.
        file.take(MAX_CA_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(e.to_string()))?;
        if bytes.len() as u64 > MAX_CA_FILE {
            return Err(fail(too_big(bytes.len() as u64)));
        }
        let text = String::from_utf8_lossy(&bytes);
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
                Error::new(
                    ErrorKind::File,
                    format!(
                        "CA file {}: certificate {} is not valid: {e}",
                        path.display(),
                        certs.len() + 1
                    ),
                )
            })?;
            certs.push(cert);
            rest = &rest[start + len + END.len()..];
        }
        if certs.is_empty() {
            return Err(Error::new(
                ErrorKind::File,
                format!("CA file {} contains no PEM certificate", path.display()),
            ));
        }
        Ok(certs)
    }
}

/// Largest CA file read, in bytes. The biggest bundles in use (Mozilla's root
/// store as shipped by Debian's ca-certificates, the curl bundle) are about
/// 200 KiB; 16 MiB is far beyond any real bundle and still a bounded amount of
/// memory, so a wrong path (a disk image, a log) fails at once instead of being
/// read whole.
const MAX_CA_FILE: u64 = 16 * 1024 * 1024;

fn too_big(len: u64) -> String {
    format!("{len} bytes, more than the {MAX_CA_FILE} bytes a CA file may have")
}

/// Runs the client handshake over `socket`, whose deadline bounds the whole of it.
/// A failure is classified from what happened to the socket (the deadline passed,
/// the call was cancelled), not from the TLS library's message text.
pub(crate) fn handshake(
    mut socket: Guarded,
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
    let watch = socket.watch_handshake();
    let failure = match connector.connect(name, socket) {
        Ok(mut stream) => {
            stream.get_mut().end_watch();
            return Ok(stream);
        }
        Err(HandshakeError::WouldBlock(_)) => "the handshake did not complete".to_string(),
        Err(HandshakeError::Failure(e)) => describe_failure(&e.to_string(), name),
    };
    let seen = std::mem::take(&mut *watch.lock().unwrap_or_else(|p| p.into_inner()));
    Err(if cancel.is_cancelled() {
        Error::new(ErrorKind::Cancelled, "cancelled during the TLS handshake")
    } else if let Some(sent) = seen.plain_text {
        Error::new(
            ErrorKind::Tls,
            format!(
                "TLS handshake with {name} failed: the server answered in plain text, \
                 not TLS (\"{sent}\"); for implicit TLS, is this a STARTTLS or plain \
                 port such as 587 or 25? (use SMTPC_TLS_STARTTLS there)"
            ),
        )
    } else if Instant::now() >= deadline {
        Error::new(
            ErrorKind::Timeout,
            format!("TLS handshake with {name} timed out: the server did not complete it in time"),
        )
    } else if let Some(how) = seen.lost {
        // Like a close at any other step: the server went away (overloaded,
        // restarted, or refusing what we offered without saying so).
        Error::new(
            ErrorKind::ConnectionLost,
            format!("TLS handshake with {name}: {how} before the handshake completed"),
        )
    } else {
        Error::new(
            ErrorKind::Tls,
            format!("TLS handshake with {name} failed: {failure}"),
        )
    })
}

/// The TLS library's failure text, with Windows' numeric SChannel and certificate
/// errors (which reach us only as "OS Error -2146762481 (...)", often with no
/// message at all) replaced by what they mean.
fn describe_failure(text: &str, name: &str) -> String {
    let known = os_error_code(text).and_then(|code| Some((code, windows_tls_error(code)?)));
    match known {
        Some((code, (symbol, meaning))) => {
            format!(
                "{} ({symbol}, 0x{code:08X})",
                meaning.replace("{name}", name)
            )
        }
        None => text.to_string(),
    }
}

/// The number in the "(os error N)" that std's `io::Error` ends its text with.
fn os_error_code(text: &str) -> Option<u32> {
    let start = text.rfind("(os error ")? + "(os error ".len();
    let digits = text[start..].strip_suffix(')')?;
    digits.parse::<i32>().ok().map(|code| code as u32)
}

/// Names and meanings of the HRESULTs SChannel and the certificate chain check
/// fail a handshake with. (Their range, 0x8009xxxx and 0x800Bxxxx, is never an
/// errno, so this is safe to ask on every platform.)
fn windows_tls_error(code: u32) -> Option<(&'static str, &'static str)> {
    const NOT_TRUSTED: &str = "the server's certificate was not issued by a trusted CA \
                               (a private CA can be added with smtpc_client_set_ca_file)";
    const WRONG_NAME: &str = "the server's certificate is not valid for the name \"{name}\"";
    const EXPIRED: &str = "the server's certificate has expired or is not valid yet";
    const REVOKED: &str = "the server's certificate has been revoked";
    const NO_REVOCATION: &str =
        "the revocation status of the server's certificate could not be checked";
    Some(match code {
        0x800B_0101 => ("CERT_E_EXPIRED", EXPIRED),
        0x8009_0328 => ("SEC_E_CERT_EXPIRED", EXPIRED),
        0x800B_0106 => (
            "CERT_E_PURPOSE",
            "the server's certificate is not meant for TLS servers",
        ),
        0x800B_0110 => (
            "CERT_E_WRONG_USAGE",
            "the server's certificate is not meant for TLS servers",
        ),
        0x800B_0109 => ("CERT_E_UNTRUSTEDROOT", NOT_TRUSTED),
        0x8009_0325 => ("SEC_E_UNTRUSTED_ROOT", NOT_TRUSTED),
        0x800B_010A => ("CERT_E_CHAINING", NOT_TRUSTED),
        0x800B_010C => ("CERT_E_REVOKED", REVOKED),
        0x8009_2010 => ("CRYPT_E_REVOKED", REVOKED),
        0x800B_010E => ("CERT_E_REVOCATION_FAILURE", NO_REVOCATION),
        0x8009_2013 => ("CRYPT_E_REVOCATION_OFFLINE", NO_REVOCATION),
        0x800B_010F => ("CERT_E_CN_NO_MATCH", WRONG_NAME),
        0x8009_0322 => ("SEC_E_WRONG_PRINCIPAL", WRONG_NAME),
        0x8009_0327 => (
            "SEC_E_CERT_UNKNOWN",
            "the server's certificate could not be processed",
        ),
        0x8009_0326 => (
            "SEC_E_ILLEGAL_MESSAGE",
            "the server sent a TLS message that cannot be accepted (or a fatal alert)",
        ),
        0x8009_0331 => (
            "SEC_E_ALGORITHM_MISMATCH",
            "client and server have no TLS version or cipher suite in common",
        ),
        0x8009_0308 => ("SEC_E_INVALID_TOKEN", "the server's TLS data is malformed"),
        0x8009_0330 => (
            "SEC_E_DECRYPT_FAILURE",
            "the server's TLS data could not be decrypted",
        ),
        0x8009_0302 => (
            "SEC_E_UNSUPPORTED_FUNCTION",
            "a TLS version or feature the server asked for is not supported by this system",
        ),
        0x8009_0317 => ("SEC_E_CONTEXT_EXPIRED", "the TLS session was closed"),
        0x8009_030E => ("SEC_E_NO_CREDENTIALS", "no TLS credentials could be set up"),
        0x8009_0304 => ("SEC_E_INTERNAL_ERROR", "SChannel failed internally"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "smtpc-ca-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn file_error(path: &Path) -> String {
        let Err(err) = TlsSettings::load_ca_file(path) else {
            panic!("{}: not a usable CA file", path.display());
        };
        assert_eq!(err.kind(), ErrorKind::File, "{err}");
        assert!(
            err.message().contains(&path.display().to_string()),
            "names the path: {err}"
        );
        err.message().to_string()
    }

    #[test]
    fn unusable_ca_files_are_file_errors() {
        let dir = scratch("bad");
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, b"hello\n").unwrap();
        assert!(file_error(&not_pem).contains("no PEM certificate"));
        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(file_error(&broken).contains("certificate 1 is not valid"));
        file_error(&dir.join("missing.pem"));
        assert!(file_error(&dir).contains("not a regular file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn oversized_ca_files_are_refused_unread() {
        let dir = scratch("big");
        let big = dir.join("big.pem");
        // Sparse: no 16 MiB written.
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_CA_FILE + 1).unwrap();
        drop(f);
        assert!(file_error(&big).contains("more than the 16777216 bytes"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn fifos_and_devices_are_refused_at_once() {
        use std::os::unix::ffi::OsStrExt;
        let dir = scratch("fifo");
        let fifo = dir.join("ca.pem");
        let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // On a thread: a blocking open would never return.
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send((file_error(&path), file_error(Path::new("/dev/zero"))));
        });
        let (on_fifo, on_zero) = rx
            .recv_timeout(std::time::Duration::from_secs(2))
            .expect("refused within 2 s");
        assert!(on_fifo.contains("a FIFO"), "{on_fifo}");
        assert!(on_zero.contains("character device"), "{on_zero}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn windows_codes_are_named_and_explained() {
        let wine = "OS Error -2146762481 (FormatMessageW() returned error 317) \
                    (os error -2146762481)";
        assert_eq!(
            describe_failure(wine, "mail.example.org"),
            "the server's certificate is not valid for the name \"mail.example.org\" \
             (CERT_E_CN_NO_MATCH, 0x800B010F)"
        );
        let text = describe_failure("x (os error -2146893019)", "h");
        assert!(text.starts_with("the server's certificate was not issued by a trusted CA"));
        assert!(
            text.ends_with("(SEC_E_UNTRUSTED_ROOT, 0x80090325)"),
            "{text}"
        );
    }

    #[test]
    fn other_failures_keep_their_text() {
        for text in [
            "error:0A000086:SSL routines::certificate verify failed",
            "Connection reset by peer (os error 104)",
            "OS Error -1 (os error -1)",
            "(os error ",
        ] {
            assert_eq!(describe_failure(text, "h"), text);
        }
    }
}
