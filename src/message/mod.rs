//! The streaming MIME message builder.
//!
//! A [`Message`] collects headers, bodies and attachments. [`Message::open`] turns it
//! into a [`MessageStream`]: the RFC 5322 bytes (CRLF line ends, before SMTP
//! dot-stuffing), produced on the fly; file attachments are read and base64-encoded
//! while the stream is read, so memory does not grow with their size.
//!
//! Sending does not change a message: several clients may send the same `&Message`
//! on several threads at once. Date, Message-ID and the boundaries are fixed the
//! first time they are needed and kept, so every send and every
//! [`Message::write_file`] produce the same bytes.
//!
//! Encodings: non-ASCII header text as RFC 2047 B encoded-words (UTF-8), file
//! names as RFC 2231 `filename*` plus an encoded `name=` for older readers, text
//! bodies as 7bit when that is safe and quoted-printable otherwise, files in
//! base64. Every line ends in CRLF and none is longer than 998 bytes; header lines
//! are folded at 76 characters where the content allows.

mod base64_stream;
mod body;
mod date;
mod header;
mod layout;
mod mailbox;
mod mime_types;
mod params;
mod quoted_printable;
mod rfc2047;
mod stream;
mod unique;
mod unstructured;

pub use mime_types::guess as guess_content_type;
pub use stream::MessageStream;

use crate::error::{Error, ErrorKind, Result};
use crate::protocol::dsn::{DsnRequest, DsnReturn, Notify};
use crate::protocol::envelope::{Envelope, Recipient};
use body::TextBody;
use header::check_header_text;
use mailbox::Mailbox;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use unstructured::Mode;

/// Where an attached file's bytes come from.
enum Source {
    File(PathBuf),
    Memory(Vec<u8>),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(path) => f.debug_tuple("File").field(path).finish(),
            Source::Memory(bytes) => write!(f, "Memory({} bytes)", bytes.len()),
        }
    }
}

/// An attached or inline file: its source and its rendered part headers (all but
/// Content-Transfer-Encoding), checked when it was added.
#[derive(Debug)]
struct FilePart {
    source: Source,
    headers: String,
    /// For inline parts, to refuse a duplicate.
    content_id: Option<String>,
}

/// A mail being built. See the module documentation.
#[derive(Debug, Default)]
pub struct Message {
    from: Option<Mailbox>,
    reply_to: Option<Mailbox>,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
    /// Rendered header fields (with CRLF), checked when set.
    subject: Option<String>,
    date_field: Option<String>,
    message_id_field: Option<String>,
    custom: Vec<String>,
    text: Option<TextBody>,
    html: Option<TextBody>,
    attachments: Vec<FilePart>,
    inlines: Vec<FilePart>,
    /// The DSN request of the message (RET, ENVID, required).
    dsn: DsnRequest,
    /// NOTIFY for recipients without one of their own.
    default_notify: Notify,
    /// Per recipient address: NOTIFY and ORCPT.
    recipient_dsn: HashMap<String, (Notify, Option<String>)>,
    /// Fixed on first open, then kept (see the module documentation).
    generated_date: OnceLock<String>,
    generated_id: OnceLock<String>,
    boundary_token: OnceLock<String>,
}

/// Header names the builder writes itself; `add_header` refuses them, with the
/// call to use instead.
const OWNED_HEADERS: &[(&str, &str)] = &[
    ("from", "set_from"),
    ("to", "add_to"),
    ("cc", "add_cc"),
    ("bcc", "add_bcc (Bcc is never written as a header)"),
    ("reply-to", "set_reply_to"),
    ("subject", "set_subject"),
    ("mime-version", "nothing: the builder writes MIME-Version"),
];

impl Message {
    /// An empty message.
    pub fn new() -> Message {
        Message::default()
    }

    /// Sets From. `name` may be `None`; non-ASCII names are RFC 2047 encoded.
    pub fn set_from(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        self.from = Some(Mailbox::new(name, address, "From")?);
        Ok(())
    }

    /// Adds a To recipient.
    pub fn add_to(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        self.to.push(Mailbox::new(name, address, "To")?);
        Ok(())
    }

    /// Adds a Cc recipient.
    pub fn add_cc(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        self.cc.push(Mailbox::new(name, address, "Cc")?);
        Ok(())
    }

    /// Adds a Bcc recipient: in the envelope only, never in a header.
    pub fn add_bcc(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        self.bcc.push(Mailbox::new(name, address, "Bcc")?);
        Ok(())
    }

    /// Sets Reply-To.
    pub fn set_reply_to(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        self.reply_to = Some(Mailbox::new(name, address, "Reply-To")?);
        Ok(())
    }

    /// Sets the subject (any UTF-8; encoded as needed).
    pub fn set_subject(&mut self, subject: &str) -> Result<()> {
        self.subject = Some(unstructured::render(
            "Subject",
            subject,
            Mode::Text,
            "subject",
        )?);
        Ok(())
    }

    /// Sets the text/plain body (UTF-8).
    pub fn set_text(&mut self, text: &str) -> Result<()> {
        self.text = Some(body::encode(text));
        Ok(())
    }

    /// Sets the text/html body (UTF-8); with a text body: multipart/alternative.
    pub fn set_html(&mut self, html: &str) -> Result<()> {
        self.html = Some(body::encode(html));
        Ok(())
    }

    /// Adds a custom header. The name must be a valid field name (printable ASCII,
    /// no colon or space) and not one the builder owns (MIME-Version, Content-*,
    /// Bcc); Date and Message-ID set here replace the generated ones. The value is
    /// folded and, when non-ASCII, RFC 2047 encoded.
    ///
    /// From, To, Cc, Reply-To and Subject are refused too: they have their own
    /// calls, which also feed the envelope. Other names may repeat.
    pub fn add_header(&mut self, name: &str, value: &str) -> Result<()> {
        header::check_field_name(name)?;
        let what = format!("header {name}");
        check_header_text(value, &what)?;
        let lower = name.to_ascii_lowercase();
        if let Some((_, instead)) = OWNED_HEADERS.iter().find(|(n, _)| *n == lower) {
            return Err(Error::invalid(format!(
                "header {name} cannot be added as a custom header: use {instead}"
            )));
        }
        if lower.starts_with("content-") {
            return Err(Error::invalid(format!(
                "header {name} cannot be added: the builder writes the Content-* headers"
            )));
        }
        match lower.as_str() {
            "date" => {
                let value = value.trim();
                if value.is_empty() || !value.is_ascii() {
                    return Err(Error::invalid("a Date header must be non-empty ASCII"));
                }
                self.date_field = Some(unstructured::render(name, value, Mode::Custom, &what)?);
            }
            "message-id" => {
                let id = value.trim();
                if id.is_empty() || !id.chars().all(|c| c.is_ascii_graphic()) {
                    return Err(Error::invalid(
                        "a Message-ID must be printable ASCII without spaces",
                    ));
                }
                let id = if id.starts_with('<') && id.ends_with('>') {
                    id.to_string()
                } else {
                    format!("<{id}>")
                };
                self.message_id_field = Some(unstructured::render(name, &id, Mode::Custom, &what)?);
            }
            _ => self
                .custom
                .push(unstructured::render(name, value, Mode::Custom, &what)?),
        }
        Ok(())
    }

    /// Attaches a file, read when the message is sent or written. `filename`
    /// defaults to the path's base name, `content_type` is guessed from the
    /// extension when `None`.
    ///
    /// Only regular files: a path that exists and is a FIFO, a device or a
    /// directory fails now with [`crate::ErrorKind::File`] naming it (checked
    /// without opening it, so it never blocks). A missing file is accepted and
    /// fails the send or write; the file is checked again when it is opened.
    pub fn attach_file(
        &mut self,
        path: &Path,
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<()> {
        let base = base_name(path)?;
        refuse_special(path, "attach")?;
        let name = match filename.filter(|n| !n.is_empty()) {
            Some(n) => n.to_string(),
            None => base,
        };
        let part = file_part(
            Source::File(path.to_path_buf()),
            Some(&name),
            content_type,
            "attachment",
        )?;
        self.attachments.push(part);
        Ok(())
    }

    /// Attaches bytes (copied now).
    pub fn attach_data(
        &mut self,
        data: &[u8],
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<()> {
        let name = filename.filter(|n| !n.is_empty());
        let part = file_part(
            Source::Memory(data.to_vec()),
            name,
            content_type,
            "attachment",
        )?;
        self.attachments.push(part);
        Ok(())
    }

    /// Adds an inline file referenced from the HTML as `cid:<content_id>`.
    ///
    /// `content_id` is printable ASCII without spaces, `<`, `>`, quotes, or
    /// backslashes (surrounding angle brackets are accepted and removed), unique
    /// within the message. The file is checked like [`Message::attach_file`]'s.
    pub fn embed_file(
        &mut self,
        path: &Path,
        content_id: &str,
        content_type: Option<&str>,
    ) -> Result<()> {
        check_header_text(content_id, "content id")?;
        let id = content_id
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or(content_id);
        if id.is_empty()
            || id.len() > 250
            || !id
                .chars()
                .all(|c| c.is_ascii_graphic() && !"<>\"\\()".contains(c))
        {
            return Err(Error::invalid(format!(
                "content id {content_id:?} must be 1 to 250 printable ASCII characters without spaces, <, >, quotes, backslashes or parentheses"
            )));
        }
        if self
            .inlines
            .iter()
            .any(|p| p.content_id.as_deref() == Some(id))
        {
            return Err(Error::invalid(format!(
                "content id {id:?} is already used in this message"
            )));
        }
        let name = base_name(path)?;
        refuse_special(path, "embed")?;
        let mut part = file_part(
            Source::File(path.to_path_buf()),
            Some(&name),
            content_type,
            "inline",
        )?;
        part.headers.push_str(&format!("Content-ID: <{id}>\r\n"));
        part.content_id = Some(id.to_string());
        self.inlines.push(part);
        Ok(())
    }

    /// Asks for delivery status notifications (RFC 3461): `ret` says what a failure
    /// report returns of the message, `envid` an identifier the reports quote
    /// (printable ASCII, at most 100 characters). With `required`, a send to a
    /// server without DSN fails with `Unsupported`; otherwise it goes without the
    /// DSN parameters and the log says so.
    pub fn set_dsn(
        &mut self,
        ret: Option<DsnReturn>,
        envid: Option<&str>,
        required: bool,
    ) -> Result<()> {
        if let Some(envid) = envid {
            crate::protocol::dsn::check_envid(envid)?;
        }
        self.dsn = DsnRequest {
            ret,
            envid: envid.map(str::to_string),
            required,
        };
        Ok(())
    }

    /// When the server should report on a recipient (NOTIFY) and the original
    /// recipient address the report should quote (ORCPT). `address` `None` sets the
    /// NOTIFY of every recipient without one of its own (no ORCPT then); otherwise
    /// it must be a recipient already added (To, Cc or Bcc).
    pub fn set_dsn_notify(
        &mut self,
        address: Option<&str>,
        notify: Notify,
        orcpt: Option<&str>,
    ) -> Result<()> {
        let Some(address) = address else {
            if orcpt.is_some() {
                return Err(Error::invalid(
                    "an original recipient (ORCPT) needs the address of the recipient it is for",
                ));
            }
            self.default_notify = notify;
            return Ok(());
        };
        let known = self
            .to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .any(|m| m.address == address);
        if !known {
            return Err(Error::invalid(format!(
                "{} is not a recipient of this message (add it with add_to, add_cc or add_bcc first)",
                crate::protocol::address::quote_value(address)
            )));
        }
        if let Some(original) = orcpt {
            crate::protocol::address::check_address(original, "original recipient")?;
        }
        self.recipient_dsn
            .insert(address.to_string(), (notify, orcpt.map(str::to_string)));
        Ok(())
    }

    /// The envelope of a send: From, To + Cc + Bcc and the DSN requests. Fails with
    /// [`crate::ErrorKind::InvalidArgument`] when there is no From or no recipient.
    ///
    /// Duplicate recipients are dropped, the first occurrence keeping its place:
    /// the local part is compared exactly (it is case-sensitive), the domain
    /// without regard to case.
    pub fn envelope(&self) -> Result<Envelope> {
        let from = self
            .from
            .as_ref()
            .ok_or_else(|| Error::invalid("the message has no From address"))?;
        let recipients: Vec<Recipient> = self
            .to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .map(|mailbox| {
                let own = self.recipient_dsn.get(&mailbox.address);
                Recipient {
                    address: mailbox.address.clone(),
                    notify: own.map_or(self.default_notify, |(n, _)| *n),
                    orcpt: own.and_then(|(_, o)| o.clone()),
                }
            })
            .collect();
        if recipients.is_empty() {
            return Err(Error::invalid(
                "the message has no recipient (To, Cc or Bcc)",
            ));
        }
        Envelope::new(&from.address, recipients, self.dsn.clone())
    }

    /// Whether an address anywhere in the message (From, Reply-To, To, Cc, Bcc) is
    /// non-ASCII, so that the send needs SMTPUTF8.
    fn needs_smtputf8(&self) -> bool {
        self.from
            .iter()
            .chain(&self.reply_to)
            .chain(&self.to)
            .chain(&self.cc)
            .chain(&self.bcc)
            .any(|m| crate::protocol::address::needs_smtputf8(&m.address))
    }

    /// The top-level header fields, before MIME-Version and Content-*.
    fn top_headers(&self) -> Result<String> {
        let mut out = String::new();
        match &self.date_field {
            Some(field) => out.push_str(field),
            None => {
                let date = self.generated_date.get_or_init(date::now);
                out.push_str(&format!("Date: {date}\r\n"));
            }
        }
        if let Some(from) = &self.from {
            out.push_str(&mailbox::render_list("From", std::slice::from_ref(from))?);
        }
        if let Some(reply_to) = &self.reply_to {
            out.push_str(&mailbox::render_list(
                "Reply-To",
                std::slice::from_ref(reply_to),
            )?);
        }
        if !self.to.is_empty() {
            out.push_str(&mailbox::render_list("To", &self.to)?);
        }
        if !self.cc.is_empty() {
            out.push_str(&mailbox::render_list("Cc", &self.cc)?);
        }
        if let Some(subject) = &self.subject {
            out.push_str(subject);
        }
        match &self.message_id_field {
            Some(field) => out.push_str(field),
            None => {
                let id = self.generated_id.get_or_init(|| {
                    let domain = self
                        .from
                        .as_ref()
                        .and_then(|f| f.address.rsplit_once('@'))
                        .map(|(_, d)| d);
                    unique::message_id(domain)
                });
                out.push_str(&format!("Message-ID: {id}\r\n"));
            }
        }
        for field in &self.custom {
            out.push_str(field);
        }
        Ok(out)
    }

    /// Opens every attached file and returns the message as a byte stream. Fails with
    /// [`crate::ErrorKind::File`] naming the path when a file cannot be opened or
    /// is not a regular file (a FIFO or device put there since it was attached is
    /// refused without blocking).
    pub fn open(&self) -> Result<MessageStream<'_>> {
        let headers = self.top_headers()?;
        let token = self.boundary_token.get_or_init(unique::token);
        layout::open(self, &headers, token, self.needs_smtputf8())
    }

    /// Writes exactly the bytes a send transmits (before dot-stuffing) to `path`.
    ///
    /// The bytes go to a temporary file beside `path`, renamed over it at the end,
    /// so a failure leaves no partial file. Fails with [`crate::ErrorKind::File`]
    /// naming the path (and the attachment, when one could not be read); also,
    /// at once and without blocking, when `path` exists and is not a regular file
    /// (a FIFO, a device, a directory), which is left as it is.
    pub fn write_file(&self, path: &Path) -> Result<()> {
        let fail = |e: std::io::Error| {
            Error::new(
                ErrorKind::File,
                format!("cannot write {}: {e}", path.display()),
            )
        };
        // The bytes are written beside the path and renamed over it: that never
        // blocks, but it would replace a FIFO or a device node (as root, even
        // /dev/null). Only a regular file (or nothing) may be there.
        crate::regular_file::refuse_special(path).map_err(fail)?;
        let mut stream = self.open()?;
        let tmp = temporary_path(path);
        // create_new: never opens whatever might already be at the temporary
        // name (and so never removes it below).
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(fail)?;
        let result = copy_stream(&mut stream, &mut file);
        drop(file);
        result
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                // Best effort: the error that matters is the one returned.
                let _ = std::fs::remove_file(&tmp);
                fail(e)
            })
    }
}

/// Copies the whole stream into `file` and flushes it. A read error's text names
/// the attachment that failed.
fn copy_stream(stream: &mut MessageStream<'_>, file: &mut File) -> std::io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        file.write_all(&buf[..n])?;
    }
    file.flush()
}

/// A temporary name beside `path`, unique per process and call so concurrent
/// writers of the same path do not share it.
fn temporary_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.{n}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Refuses, at attach time and without opening it, a path that exists and is not
/// a regular file (a FIFO, a device, a directory). A missing file is accepted: it
/// is read when the message is sent or written, and checked again then.
fn refuse_special(path: &Path, verb: &str) -> Result<()> {
    crate::regular_file::refuse_special(path).map_err(|e| {
        Error::new(
            ErrorKind::File,
            format!("cannot {verb} {}: {e}", path.display()),
        )
    })
}

/// The file name of `path`, for the default attachment name.
fn base_name(path: &Path) -> Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::invalid(format!("path {} has no file name", path.display())))
}

/// Checks the name and content type of a file part and renders its headers.
fn file_part(
    source: Source,
    name: Option<&str>,
    content_type: Option<&str>,
    disposition: &str,
) -> Result<FilePart> {
    if let Some(name) = name {
        check_header_text(name, "file name")?;
    }
    let content_type = match content_type {
        Some(ct) => ct,
        None => name.map_or(mime_types::DEFAULT, mime_types::guess),
    };
    let mut headers = params::content_type_header(content_type, name)?;
    headers.push_str(&params::disposition_header(disposition, name)?);
    Ok(FilePart {
        source,
        headers,
        content_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_between_threads() {
        fn sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        sync::<Message>();
        send::<MessageStream<'static>>();
    }

    #[test]
    fn temporary_names_are_beside_and_distinct() {
        let a = temporary_path(Path::new("/x/y/m.eml"));
        let b = temporary_path(Path::new("/x/y/m.eml"));
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(Path::new("/x/y")));
        assert!(a.to_string_lossy().ends_with(".tmp"));
    }

    #[test]
    fn base_names() {
        assert_eq!(
            base_name(Path::new("/a/b/report.pdf")).unwrap(),
            "report.pdf"
        );
        assert!(base_name(Path::new("/")).is_err());
        assert!(base_name(Path::new("..")).is_err());
    }

    #[test]
    fn related_names_its_root() {
        let mut m = Message::new();
        m.set_html("<img src=cid:a>").unwrap();
        m.inlines
            .push(file_part(Source::Memory(vec![1]), Some("a.png"), None, "inline").unwrap());
        let mut bytes = Vec::new();
        m.open().unwrap().read_to_end(&mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("Content-Type: multipart/related; type=\"text/html\";\r\n boundary="));
    }
}
