//! Server reply parsing (RFC 5321 section 4.2) with enhanced status codes (RFC 3463).
//!
//! The parser is incremental: bytes may arrive split at any position. It consumes
//! input only up to the end of a complete reply, so bytes that follow a reply stay
//! with the caller (needed for PIPELINING and for detecting bytes injected after a
//! STARTTLS 220). Memory is bounded by [`MAX_LINE_LEN`] and [`MAX_REPLY_LINES`].

use crate::client::redact::Redactor;
use crate::error::Result;
use std::fmt;

/// Longest accepted reply line in bytes, including the line ending.
pub const MAX_LINE_LEN: usize = 4096;
/// Most lines accepted in one (multi-line) reply.
pub const MAX_REPLY_LINES: usize = 1000;

/// An RFC 3463 enhanced status code such as `5.1.1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnhancedCode {
    /// 2, 4 or 5.
    pub class: u8,
    /// The subject (0..=999).
    pub subject: u16,
    /// The detail (0..=999).
    pub detail: u16,
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One complete server reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// The enhanced status code at the start of the first line's text, when present
    /// and of the same class as `code`.
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line after "NNN-" / "NNN " (the enhanced code, if any, is
    /// left in), without the line ending; invalid UTF-8 replaced by U+FFFD.
    pub lines: Vec<String>,
}

impl Reply {
    /// Builds a reply from its code and line texts; parses the enhanced code.
    pub fn new(code: u16, lines: Vec<String>) -> Reply {
        todo!()
    }

    /// 2xx.
    pub fn is_positive(&self) -> bool {
        todo!()
    }

    /// 3xx.
    pub fn is_intermediate(&self) -> bool {
        todo!()
    }

    /// 4xx.
    pub fn is_transient(&self) -> bool {
        todo!()
    }

    /// 5xx.
    pub fn is_permanent(&self) -> bool {
        todo!()
    }

    /// The line texts joined with "\n" (no codes).
    pub fn text(&self) -> String {
        todo!()
    }

    /// The code and all line texts on one line: `550 5.1.1 <a@b>: Recipient ...`.
    pub fn one_line(&self) -> String {
        todo!()
    }

    /// The lines as they were on the wire (`250-first`, `250 last`), for logging.
    pub fn wire_lines(&self) -> Vec<String> {
        todo!()
    }

    /// Replaces every secret in the line texts with `***`.
    pub fn redact(&mut self, redactor: &Redactor) {
        for line in &mut self.lines {
            *line = redactor.apply(line);
        }
    }
}

/// Incremental reply parser. Feed it bytes; it yields complete replies.
#[derive(Debug, Default)]
pub struct ReplyParser {
    // implementation detail: the partial line and the lines of the reply so far
}

impl ReplyParser {
    /// A parser with nothing buffered.
    pub fn new() -> ReplyParser {
        todo!()
    }

    /// Consumes bytes from `input` and returns how many were consumed and, if a reply
    /// was completed, that reply. Consumption stops right after the last line of a
    /// reply: the caller keeps any further bytes and calls again. Lines may end in
    /// CRLF or a bare LF. Errors (all [`crate::ErrorKind::Protocol`]): a line longer
    /// than [`MAX_LINE_LEN`], more than [`MAX_REPLY_LINES`] lines, a line that does
    /// not start with three digits and a space, hyphen or line end, a code that
    /// changes within one multi-line reply, or a NUL byte.
    pub fn parse(&mut self, input: &[u8]) -> Result<(usize, Option<Reply>)> {
        todo!()
    }

    /// True when no partial reply is buffered.
    pub fn is_idle(&self) -> bool {
        todo!()
    }
}
