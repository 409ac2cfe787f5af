//! [`MessageStream`]: the message as a sequence of segments — header and boundary
//! text, text bodies borrowed from the message, base64 readers over attachments —
//! read one after the other.

use super::base64_stream::Base64Reader;
use std::borrow::Cow;
use std::io::{self, Read};

enum Segment<'a> {
    Bytes(Cow<'a, [u8]>),
    Base64(Base64Reader<'a>),
}

/// Collects segments while the message is laid out.
pub(super) struct StreamBuilder<'a> {
    segments: Vec<Segment<'a>>,
    pending: Vec<u8>,
    eight_bit: bool,
    ends_with_line_break: bool,
}

impl<'a> StreamBuilder<'a> {
    pub(super) fn new() -> StreamBuilder<'a> {
        StreamBuilder {
            segments: Vec::new(),
            pending: Vec::new(),
            eight_bit: false,
            ends_with_line_break: true,
        }
    }

    fn note(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.eight_bit |= !bytes.is_ascii();
            self.ends_with_line_break = bytes.ends_with(b"\r\n");
        }
    }

    /// Appends generated text (headers, boundaries).
    pub(super) fn text(&mut self, text: &str) {
        self.note(text.as_bytes());
        self.pending.extend_from_slice(text.as_bytes());
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let bytes = std::mem::take(&mut self.pending);
            self.segments.push(Segment::Bytes(Cow::Owned(bytes)));
        }
    }

    /// Appends bytes held by the message, without copying them.
    pub(super) fn borrowed(&mut self, bytes: &'a [u8]) {
        self.note(bytes);
        if !bytes.is_empty() {
            self.flush();
            self.segments.push(Segment::Bytes(Cow::Borrowed(bytes)));
        }
    }

    /// Appends an attachment's base64 body.
    pub(super) fn base64(&mut self, reader: Base64Reader<'a>) {
        if reader.len() > 0 {
            self.ends_with_line_break = false;
        }
        self.flush();
        self.segments.push(Segment::Base64(reader));
    }

    /// Whether everything so far ends with CRLF (or nothing was added).
    pub(super) fn ends_with_line_break(&self) -> bool {
        self.ends_with_line_break
    }

    /// The finished stream; `needs_smtputf8` is decided by the caller.
    pub(super) fn finish(mut self, needs_smtputf8: bool) -> MessageStream<'a> {
        self.flush();
        let total_len = self
            .segments
            .iter()
            .map(|s| match s {
                Segment::Bytes(b) => b.len() as u64,
                Segment::Base64(r) => r.len(),
            })
            .sum();
        MessageStream {
            segments: self.segments,
            index: 0,
            offset: 0,
            total_len,
            eight_bit: self.eight_bit,
            needs_smtputf8,
        }
    }
}

/// The message as a stream of RFC 5322 bytes. A read error (an attachment that
/// became unreadable) is returned as an `io::Error` whose text names the file.
///
/// Produced by [`super::Message::open`]; every attached file is already open, so
/// a missing file is reported before anything is sent.
pub struct MessageStream<'a> {
    segments: Vec<Segment<'a>>,
    index: usize,
    /// Read position inside the current `Bytes` segment.
    offset: usize,
    total_len: u64,
    eight_bit: bool,
    needs_smtputf8: bool,
}

impl MessageStream<'_> {
    /// The exact number of bytes the stream will yield.
    pub fn total_len(&self) -> u64 {
        self.total_len
    }

    /// Whether any byte of the message is 8-bit (then BODY=8BITMIME is needed).
    pub fn is_8bit(&self) -> bool {
        self.eight_bit
    }

    /// Whether the message needs SMTPUTF8 (a non-ASCII address in the envelope or a
    /// header).
    pub fn needs_smtputf8(&self) -> bool {
        self.needs_smtputf8
    }
}

impl std::fmt::Debug for MessageStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStream")
            .field("segments", &self.segments.len())
            .field("index", &self.index)
            .field("total_len", &self.total_len)
            .field("eight_bit", &self.eight_bit)
            .field("needs_smtputf8", &self.needs_smtputf8)
            .finish()
    }
}

impl Read for MessageStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while let Some(segment) = self.segments.get_mut(self.index) {
            match segment {
                Segment::Bytes(bytes) => {
                    let rest = &bytes[self.offset..];
                    if !rest.is_empty() {
                        let n = rest.len().min(buf.len());
                        buf[..n].copy_from_slice(&rest[..n]);
                        self.offset += n;
                        return Ok(n);
                    }
                }
                Segment::Base64(reader) => {
                    let n = reader.read(buf)?;
                    if n > 0 {
                        return Ok(n);
                    }
                }
            }
            // This segment is done: free what it held and move on.
            self.segments[self.index] = Segment::Bytes(Cow::Borrowed(&[]));
            self.index += 1;
            self.offset = 0;
        }
        Ok(0)
    }
}
