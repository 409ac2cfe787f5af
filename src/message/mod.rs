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

use crate::error::Result;
use std::io::Read;
use std::path::Path;

/// An envelope: the reverse-path and the forward-paths of one send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The sender (the From address).
    pub from: String,
    /// To, then Cc, then Bcc addresses, without duplicates, in that order.
    pub recipients: Vec<String>,
}

/// A mail being built. See the module documentation.
#[derive(Debug, Default)]
pub struct Message {
    // implementation detail
}

impl Message {
    /// An empty message.
    pub fn new() -> Message {
        todo!()
    }

    /// Sets From. `name` may be `None`; non-ASCII names are RFC 2047 encoded.
    pub fn set_from(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        todo!()
    }

    /// Adds a To recipient.
    pub fn add_to(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        todo!()
    }

    /// Adds a Cc recipient.
    pub fn add_cc(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        todo!()
    }

    /// Adds a Bcc recipient: in the envelope only, never in a header.
    pub fn add_bcc(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        todo!()
    }

    /// Sets Reply-To.
    pub fn set_reply_to(&mut self, name: Option<&str>, address: &str) -> Result<()> {
        todo!()
    }

    /// Sets the subject (any UTF-8; encoded as needed).
    pub fn set_subject(&mut self, subject: &str) -> Result<()> {
        todo!()
    }

    /// Sets the text/plain body (UTF-8).
    pub fn set_text(&mut self, text: &str) -> Result<()> {
        todo!()
    }

    /// Sets the text/html body (UTF-8); with a text body: multipart/alternative.
    pub fn set_html(&mut self, html: &str) -> Result<()> {
        todo!()
    }

    /// Adds a custom header. The name must be a valid field name (printable ASCII,
    /// no colon or space) and not one the builder owns (MIME-Version, Content-*,
    /// Bcc); Date and Message-ID set here replace the generated ones. The value is
    /// folded and, when non-ASCII, RFC 2047 encoded.
    pub fn add_header(&mut self, name: &str, value: &str) -> Result<()> {
        todo!()
    }

    /// Attaches a file, read when the message is sent or written. `filename`
    /// defaults to the path's base name, `content_type` is guessed from the
    /// extension when `None`.
    pub fn attach_file(
        &mut self,
        path: &Path,
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<()> {
        todo!()
    }

    /// Attaches bytes (copied now).
    pub fn attach_data(
        &mut self,
        data: &[u8],
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<()> {
        todo!()
    }

    /// Adds an inline file referenced from the HTML as `cid:<content_id>`.
    pub fn embed_file(
        &mut self,
        path: &Path,
        content_id: &str,
        content_type: Option<&str>,
    ) -> Result<()> {
        todo!()
    }

    /// The envelope of a send: From and To + Cc + Bcc. Fails with
    /// [`crate::ErrorKind::InvalidArgument`] when there is no From or no recipient.
    pub fn envelope(&self) -> Result<Envelope> {
        todo!()
    }

    /// Opens every attached file and returns the message as a byte stream. Fails with
    /// [`crate::ErrorKind::File`] naming the path when a file cannot be opened.
    pub fn open(&self) -> Result<MessageStream<'_>> {
        todo!()
    }

    /// Writes exactly the bytes a send transmits (before dot-stuffing) to `path`.
    pub fn write_file(&self, path: &Path) -> Result<()> {
        todo!()
    }
}

/// The message as a stream of RFC 5322 bytes. A read error (an attachment that
/// became unreadable) is returned as an `io::Error` whose text names the file.
pub struct MessageStream<'a> {
    _message: &'a Message,
}

impl MessageStream<'_> {
    /// The exact number of bytes the stream will yield.
    pub fn total_len(&self) -> u64 {
        todo!()
    }

    /// Whether any byte of the message is 8-bit (then BODY=8BITMIME is needed).
    pub fn is_8bit(&self) -> bool {
        todo!()
    }

    /// Whether the message needs SMTPUTF8 (a non-ASCII address in the envelope or a
    /// header).
    pub fn needs_smtputf8(&self) -> bool {
        todo!()
    }
}

impl Read for MessageStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        todo!()
    }
}
