//! Typed SMTP commands and their wire form (RFC 5321 section 4.1).
//!
//! Every argument is checked: CR, LF and NUL are refused, so no caller input can
//! inject a second command. AUTH payloads are secrets and are shown as `***` in
//! [`Command::log_line`].

use crate::error::Result;

/// One SMTP command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `EHLO <domain>`
    Ehlo(&'a str),
    /// `HELO <domain>`
    Helo(&'a str),
    /// `STARTTLS`
    StartTls,
    /// `AUTH <mechanism> [initial-response]`; the initial response is a secret.
    Auth {
        /// The SASL mechanism name, e.g. `PLAIN`.
        mechanism: &'a str,
        /// The base64 initial response, if any (secret).
        initial_response: Option<&'a str>,
    },
    /// A SASL continuation line (base64, or `*` to cancel); a secret.
    AuthResponse(&'a str),
    /// `MAIL FROM:<path> [params]`; an empty path gives `<>`.
    Mail {
        /// The reverse-path without angle brackets.
        from: &'a str,
        /// ESMTP parameters such as `SIZE=1234`, `BODY=8BITMIME`, `SMTPUTF8`.
        params: &'a [String],
    },
    /// `RCPT TO:<path> [params]`
    Rcpt {
        /// The forward-path without angle brackets.
        to: &'a str,
        /// ESMTP parameters such as `NOTIFY=SUCCESS`.
        params: &'a [String],
    },
    /// `DATA`
    Data,
    /// `BDAT <size> [LAST]` (RFC 3030); the chunk follows the command line.
    Bdat {
        /// The chunk size in bytes.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`
    Rset,
    /// `NOOP`
    Noop,
    /// `VRFY <string>`
    Vrfy(&'a str),
    /// `ETRN <node>`
    Etrn(&'a str),
    /// `QUIT`
    Quit,
}

impl Command<'_> {
    /// Appends the command line, with CRLF, to `out`. Fails with
    /// [`crate::ErrorKind::InvalidArgument`] (naming the command and the argument)
    /// when an argument is empty where one is required, contains CR, LF or NUL, or,
    /// for paths, contains `<`, `>` or white space; `out` is left unchanged then.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        todo!()
    }

    /// The line as it should appear in a log, without CRLF; AUTH payloads are `***`.
    pub fn log_line(&self) -> String {
        todo!()
    }
}
