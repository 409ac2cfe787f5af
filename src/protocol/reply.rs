//! Server reply parsing (RFC 5321 section 4.2) with enhanced status codes (RFC 3463).
//!
//! The parser is incremental: bytes may arrive split at any position. It consumes
//! input only up to the end of a complete reply, so bytes that follow a reply stay
//! with the caller (needed for PIPELINING and for detecting bytes injected after a
//! STARTTLS 220). Memory is bounded by [`MAX_LINE_LEN`] and [`MAX_REPLY_LINES`].

use crate::error::{Error, Result};
use crate::redact::Redactor;
use std::fmt;

/// Longest accepted reply line in bytes, including the line ending.
pub const MAX_LINE_LEN: usize = 4096;
/// Most lines accepted in one (multi-line) reply.
pub const MAX_REPLY_LINES: usize = 1000;

/// How much of an offending line an error message quotes.
const EXCERPT_LEN: usize = 60;

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

impl EnhancedCode {
    /// Parses the enhanced code at the start of `text` for a reply of `code`: it must
    /// be `class.subject.detail` followed by a space or the end of the text, with a
    /// class of 2, 4 or 5 equal to the first digit of `code` (RFC 3463 section 2).
    pub fn parse(code: u16, text: &str) -> Option<EnhancedCode> {
        let token = text.split(' ').next().unwrap_or("");
        let mut parts = token.split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some()
            || !is_digits(class, 1)
            || !is_digits(subject, 3)
            || !is_digits(detail, 3)
        {
            return None;
        }
        let class: u8 = class.parse().ok()?;
        if !matches!(class, 2 | 4 | 5) || u16::from(class) != code / 100 {
            return None;
        }
        Some(EnhancedCode {
            class,
            subject: subject.parse().ok()?,
            detail: detail.parse().ok()?,
        })
    }
}

/// `s` is 1 to `max` ASCII digits.
fn is_digits(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
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
        let enhanced = lines
            .first()
            .and_then(|first| EnhancedCode::parse(code, first));
        Reply {
            code,
            enhanced,
            lines,
        }
    }

    /// 2xx.
    pub fn is_positive(&self) -> bool {
        self.code / 100 == 2
    }

    /// 3xx.
    pub fn is_intermediate(&self) -> bool {
        self.code / 100 == 3
    }

    /// 4xx.
    pub fn is_transient(&self) -> bool {
        self.code / 100 == 4
    }

    /// 5xx.
    pub fn is_permanent(&self) -> bool {
        self.code / 100 == 5
    }

    /// The line texts joined with "\n" (no codes).
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The code and all line texts on one line: `550 5.1.1 <a@b>: Recipient ...`.
    pub fn one_line(&self) -> String {
        let mut out = self.code.to_string();
        // Empty lines are skipped so that "250-\r\n250 ok" reads "250 ok".
        for line in self.lines.iter().filter(|l| !l.is_empty()) {
            out.push(' ');
            out.push_str(line);
        }
        out
    }

    /// The lines as they were on the wire (`250-first`, `250 last`), for logging.
    pub fn wire_lines(&self) -> Vec<String> {
        if self.lines.is_empty() {
            return vec![self.code.to_string()];
        }
        let last = self.lines.len() - 1;
        self.lines
            .iter()
            .enumerate()
            .map(|(i, line)| match (i == last, line.is_empty()) {
                (true, true) => self.code.to_string(),
                (true, false) => format!("{} {line}", self.code),
                (false, _) => format!("{}-{line}", self.code),
            })
            .collect()
    }

    /// Passes every line text through `scrub` (the client removes secrets with it).
    pub fn scrub(&mut self, scrub: &dyn Fn(&str) -> String) {
        for line in &mut self.lines {
            *line = scrub(line);
        }
    }
}

/// Incremental reply parser. Feed it bytes; it yields complete replies.
#[derive(Debug, Default)]
pub struct ReplyParser {
    /// The current line so far, without its LF; never longer than [`MAX_LINE_LEN`].
    partial: Vec<u8>,
    /// The code of the reply in progress (set by its first line).
    code: Option<u16>,
    /// The texts of the completed lines of the reply in progress.
    lines: Vec<String>,
    /// Secrets to remove from the server's bytes before they are quoted in an error.
    redactor: Redactor,
}

impl ReplyParser {
    /// A parser with nothing buffered.
    pub fn new() -> ReplyParser {
        ReplyParser::default()
    }

    /// A parser that removes `redactor`'s secrets from every excerpt of the
    /// server's bytes it quotes in an error, before escaping and cutting them.
    pub fn redacting(redactor: Redactor) -> ReplyParser {
        ReplyParser {
            redactor,
            ..ReplyParser::default()
        }
    }

    /// Consumes bytes from `input` and returns how many were consumed and, if a reply
    /// was completed, that reply. Consumption stops right after the last line of a
    /// reply: the caller keeps any further bytes and calls again. Lines may end in
    /// CRLF or a bare LF. Errors (all [`crate::ErrorKind::Protocol`]): a line longer
    /// than [`MAX_LINE_LEN`], more than [`MAX_REPLY_LINES`] lines, a line that does
    /// not start with three digits and a space, hyphen or line end, a code that
    /// changes within one multi-line reply, or a NUL byte.
    ///
    /// The first digit of the code must be 2 to 5 (RFC 5321 section 4.2). After an
    /// error the parser is reset to idle; the connection should be dropped anyway.
    pub fn parse(&mut self, input: &[u8]) -> Result<(usize, Option<Reply>)> {
        let result = self.parse_inner(input);
        if result.is_err() {
            let redactor = std::mem::take(&mut self.redactor);
            *self = ReplyParser::redacting(redactor);
        }
        result
    }

    fn parse_inner(&mut self, input: &[u8]) -> Result<(usize, Option<Reply>)> {
        let mut pos = 0;
        while pos < input.len() {
            let rest = &input[pos..];
            let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
                // No line end yet: buffer, but refuse as soon as the line cannot fit,
                // so an endless line costs at most MAX_LINE_LEN bytes.
                if self.partial.len() + rest.len() >= MAX_LINE_LEN {
                    return Err(self.too_long(rest));
                }
                self.append(rest)?;
                return Ok((input.len(), None));
            };
            // The line ending counts towards the limit (the CR, if any, is in `rest`).
            if self.partial.len() + lf + 1 > MAX_LINE_LEN {
                return Err(self.too_long(&rest[..lf]));
            }
            self.append(&rest[..lf])?;
            pos += lf + 1;
            if let Some(reply) = self.complete_line()? {
                return Ok((pos, Some(reply)));
            }
        }
        Ok((pos, None))
    }

    /// True when no partial reply is buffered.
    pub fn is_idle(&self) -> bool {
        self.partial.is_empty() && self.lines.is_empty()
    }

    /// Adds bytes of the current line, checking what can be checked already (NUL, the
    /// code prefix) so that garbage fails before its line ends.
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.contains(&0) {
            let mut seen = self.partial.clone();
            seen.extend_from_slice(bytes);
            return Err(Error::protocol(format!(
                "server reply contains a NUL byte: {}",
                self.excerpt(&seen)
            )));
        }
        self.partial.extend_from_slice(bytes);
        if !prefix_may_be_valid(&self.partial) {
            return Err(self.garbage());
        }
        Ok(())
    }

    /// Handles the line in `partial` (its LF already consumed); returns the reply if
    /// that line was the last one.
    fn complete_line(&mut self) -> Result<Option<Reply>> {
        let mut line = std::mem::take(&mut self.partial);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let Some((code, last, text)) = split_line(&line) else {
            self.partial = line;
            return Err(self.garbage());
        };
        match self.code {
            Some(expected) if expected != code => {
                return Err(Error::protocol(format!(
                    "server reply code changed from {expected} to {code} within a \
                     multi-line reply: {}",
                    self.excerpt(&line)
                )));
            }
            _ => self.code = Some(code),
        }
        if self.lines.len() >= MAX_REPLY_LINES {
            return Err(Error::protocol(format!(
                "server reply has more than {MAX_REPLY_LINES} lines"
            )));
        }
        self.lines.push(String::from_utf8_lossy(text).into_owned());
        if !last {
            return Ok(None);
        }
        self.code = None;
        Ok(Some(Reply::new(code, std::mem::take(&mut self.lines))))
    }

    fn too_long(&self, more: &[u8]) -> Error {
        // All of what is at hand is redacted before the excerpt is cut from it.
        let mut seen = self.partial.clone();
        seen.extend_from_slice(&more[..more.len().min(MAX_LINE_LEN)]);
        Error::protocol(format!(
            "server reply line longer than {MAX_LINE_LEN} bytes: {}",
            self.excerpt(&seen)
        ))
    }

    /// An excerpt of the server's bytes for an error, secrets removed first.
    fn excerpt(&self, bytes: &[u8]) -> String {
        if self.redactor.is_empty() {
            excerpt(bytes)
        } else {
            excerpt(&self.redactor.apply_to_quote(bytes))
        }
    }

    fn garbage(&self) -> Error {
        Error::protocol(format!(
            "not an SMTP reply line: {}",
            self.excerpt(&self.partial)
        ))
    }
}

/// Whether `partial` (a line without its LF, possibly incomplete) can still become
/// a valid reply line: `[2-5]DD` then space, hyphen, or CR (of a CRLF).
fn prefix_may_be_valid(partial: &[u8]) -> bool {
    partial.iter().take(4).enumerate().all(|(i, &b)| match i {
        0 => (b'2'..=b'5').contains(&b),
        1 | 2 => b.is_ascii_digit(),
        _ => matches!(b, b' ' | b'-' | b'\r'),
    })
}

/// Splits a complete line (without line ending) into code, "is last line" and text.
fn split_line(line: &[u8]) -> Option<(u16, bool, &[u8])> {
    if line.len() < 3 || !prefix_may_be_valid(line) {
        return None;
    }
    let code = line[..3]
        .iter()
        .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    match line.get(3) {
        None => Some((code, true, &[])),
        Some(b' ') => Some((code, true, &line[4..])),
        Some(b'-') => Some((code, false, &line[4..])),
        // A CR that was not part of the line ending.
        Some(_) => None,
    }
}

/// A short, printable, quoted excerpt of untrusted bytes for an error message:
/// printable ASCII as is, everything else escaped, at most [`EXCERPT_LEN`] bytes.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes.iter().take(EXCERPT_LEN) {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    if bytes.len() > EXCERPT_LEN {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// Feeds `input` in the given pieces (carrying unconsumed bytes over like a
    /// real caller) and returns every reply, plus the bytes never consumed.
    fn feed_pieces(pieces: &[&[u8]]) -> Result<(Vec<Reply>, Vec<u8>)> {
        let mut parser = ReplyParser::new();
        let mut replies = Vec::new();
        let mut pending = Vec::new();
        for piece in pieces {
            pending.extend_from_slice(piece);
            loop {
                let (used, reply) = parser.parse(&pending)?;
                pending.drain(..used);
                match reply {
                    Some(r) => replies.push(r),
                    None => {
                        assert!(pending.is_empty(), "incomplete input must be buffered");
                        break;
                    }
                }
            }
        }
        Ok((replies, pending))
    }

    fn parse_all(input: &[u8]) -> Result<Vec<Reply>> {
        feed_pieces(&[input]).map(|(r, _)| r)
    }

    fn parse_one(input: &[u8]) -> Reply {
        let mut parser = ReplyParser::new();
        let (used, reply) = parser.parse(input).expect("valid reply");
        assert_eq!(used, input.len());
        assert!(parser.is_idle());
        reply.expect("a complete reply")
    }

    fn parse_err(input: &[u8]) -> Error {
        let err = parse_all(input).expect_err("must be refused");
        assert_eq!(err.kind(), ErrorKind::Protocol);
        err
    }

    #[test]
    fn single_line_reply() {
        let r = parse_one(b"220 mail.example.com ESMTP ready\r\n");
        assert_eq!(r.code, 220);
        assert_eq!(r.lines, vec!["mail.example.com ESMTP ready"]);
        assert_eq!(r.enhanced, None);
        assert!(r.is_positive());
    }

    #[test]
    fn multi_line_reply() {
        let r = parse_one(b"250-mail.example.com\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
        assert_eq!(r.code, 250);
        assert_eq!(r.lines, vec!["mail.example.com", "PIPELINING", "SIZE 1000"]);
        assert_eq!(r.text(), "mail.example.com\nPIPELINING\nSIZE 1000");
        assert_eq!(
            r.wire_lines(),
            vec!["250-mail.example.com", "250-PIPELINING", "250 SIZE 1000"]
        );
    }

    #[test]
    fn bare_lf_and_mixed_line_endings() {
        let r = parse_one(b"250-first\n250-second\r\n250 last\n");
        assert_eq!(r.lines, vec!["first", "second", "last"]);
    }

    #[test]
    fn code_without_text_is_valid() {
        for input in [&b"250\r\n"[..], b"250\n", b"250 \r\n"] {
            let r = parse_one(input);
            assert_eq!(r.code, 250);
            assert_eq!(r.lines, vec![""]);
            assert_eq!(r.one_line(), "250");
            assert_eq!(r.wire_lines(), vec!["250"]);
        }
        let r = parse_one(b"250-\r\n250 ok\r\n");
        assert_eq!(r.lines, vec!["", "ok"]);
        assert_eq!(r.one_line(), "250 ok");
    }

    #[test]
    fn every_split_point_gives_the_same_replies() {
        let input: &[u8] = b"220 hi there\r\n250-mx.example\r\n250-8BITMIME\n250 SIZE 5\r\n\
                             550 5.1.1 <a@b>: no\r\n";
        let whole = parse_all(input).unwrap();
        assert_eq!(whole.len(), 3);
        for split in 0..=input.len() {
            let (replies, rest) = feed_pieces(&[&input[..split], &input[split..]]).unwrap();
            assert_eq!(replies, whole, "split at {split}");
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let input: &[u8] = b"250-a\r\n250-b\r\n250 c\r\n354 go ahead\r\n";
        let pieces: Vec<&[u8]> = input.chunks(1).collect();
        let (replies, _) = feed_pieces(&pieces).unwrap();
        assert_eq!(replies, parse_all(input).unwrap());
        assert_eq!(replies[0].lines, vec!["a", "b", "c"]);
        assert_eq!(replies[1].code, 354);
    }

    #[test]
    fn idle_tracks_partial_input() {
        let mut p = ReplyParser::new();
        assert!(p.is_idle());
        assert_eq!(p.parse(b"25").unwrap(), (2, None));
        assert!(!p.is_idle());
        assert_eq!(p.parse(b"0-x\r\n").unwrap(), (5, None));
        assert!(!p.is_idle(), "first line of a multi-line reply is buffered");
        let (used, reply) = p.parse(b"250 y\r\n").unwrap();
        assert_eq!(used, 7);
        assert_eq!(reply.unwrap().lines, vec!["x", "y"]);
        assert!(p.is_idle());
        assert_eq!(p.parse(b"").unwrap(), (0, None));
        assert!(p.is_idle());
    }

    #[test]
    fn stops_right_after_the_reply() {
        let input = b"250 ok\r\n354 send\r\nEXTRA";
        let mut p = ReplyParser::new();
        let (used, reply) = p.parse(input).unwrap();
        assert_eq!(used, 8);
        assert_eq!(reply.unwrap().code, 250);
        assert!(p.is_idle());
        let (used2, reply2) = p.parse(&input[used..]).unwrap();
        assert_eq!(used2, 10);
        assert_eq!(reply2.unwrap().code, 354);
        assert_eq!(&input[used + used2..], b"EXTRA");
    }

    #[test]
    fn bytes_after_a_reply_are_untouched_even_if_garbage() {
        // After STARTTLS's 220 the caller must see the injected bytes, not an error.
        let input = b"220 go ahead\r\n\x00garbage";
        let mut p = ReplyParser::new();
        let (used, reply) = p.parse(input).unwrap();
        assert_eq!(reply.unwrap().code, 220);
        assert_eq!(&input[used..], b"\x00garbage");
        assert!(p.is_idle());
    }

    #[test]
    fn enhanced_codes() {
        let r = parse_one(b"550 5.1.1 <a@b>: Recipient address rejected\r\n");
        assert_eq!(
            r.enhanced,
            Some(EnhancedCode {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!(r.enhanced.unwrap().to_string(), "5.1.1");
        assert_eq!(r.one_line(), "550 5.1.1 <a@b>: Recipient address rejected");
        assert!(r.is_permanent());

        let r = parse_one(b"452 4.123.999\r\n");
        assert_eq!(
            r.enhanced,
            Some(EnhancedCode {
                class: 4,
                subject: 123,
                detail: 999
            })
        );
        assert!(r.is_transient());
    }

    #[test]
    fn enhanced_code_rejects_bad_forms() {
        for text in [
            "4.1.1 class differs from code",
            "5.1 two parts",
            "5.1.1.1 four parts",
            "5.1234.1 subject too long",
            "5.1.1234 detail too long",
            "5..1 empty subject",
            "5.1.x letters",
            "5.1.1: glued to text",
            "55.1.1 class too long",
            "3.1.1 not a class",
            "",
        ] {
            assert_eq!(
                Reply::new(550, vec![text.into()]).enhanced,
                None,
                "{text:?}"
            );
        }
        // Only the first line counts.
        let r = Reply::new(250, vec!["hello".into(), "2.0.0 ok".into()]);
        assert_eq!(r.enhanced, None);
        assert_eq!(
            EnhancedCode::parse(250, "2.0.0"),
            Some(EnhancedCode {
                class: 2,
                subject: 0,
                detail: 0
            })
        );
        assert_eq!(EnhancedCode::parse(354, "3.0.0 go"), None);
    }

    #[test]
    fn classes() {
        let r = |code| Reply::new(code, vec![]);
        assert!(r(250).is_positive() && !r(250).is_intermediate());
        assert!(r(334).is_intermediate() && !r(334).is_positive());
        assert!(r(421).is_transient() && !r(421).is_permanent());
        assert!(r(554).is_permanent() && !r(554).is_transient());
        assert_eq!(r(221).one_line(), "221");
        assert_eq!(r(221).wire_lines(), vec!["221"]);
        assert_eq!(r(221).text(), "");
    }

    #[test]
    fn one_line_joins_with_spaces() {
        let r = Reply::new(550, vec!["5.7.1 first".into(), "second".into()]);
        assert_eq!(r.one_line(), "550 5.7.1 first second");
        assert_eq!(r.wire_lines(), vec!["550-5.7.1 first", "550 second"]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let r = parse_one(b"250 caf\xe9 ok\r\n");
        assert_eq!(r.lines, vec!["caf\u{fffd} ok"]);
    }

    #[test]
    fn garbage_is_refused_with_a_safe_excerpt() {
        let err = parse_err(b"HTTP/1.1 400 Bad Request\r\n");
        assert!(err.message().contains("\"H"), "{}", err.message());
        for input in [
            &b"hello\r\n"[..],
            b"25x ok\r\n",
            b"2500 ok\r\n",
            b"25\r\n",
            b"\r\n",
            b"\n",
            b"250\rx\r\n",
            b"250\r\r\n",
            b"199 too low\r\n",
            b"650 too high\r\n",
            b" 250 leading space\r\n",
        ] {
            parse_err(input);
        }
        let err = parse_err(b"250 a\x00b\r\n");
        assert!(err.message().contains("NUL"), "{}", err.message());
        assert!(err.message().contains("\\x00"), "{}", err.message());
    }

    #[test]
    fn garbage_fails_before_its_line_ends() {
        let mut p = ReplyParser::new();
        assert!(p.parse(b"HTTP/1.1 200 OK").is_err());
        assert!(p.is_idle(), "reset after an error");
        let mut p = ReplyParser::new();
        assert_eq!(p.parse(b"25").unwrap(), (2, None));
        assert!(p.parse(b"0x").is_err());
        let mut p = ReplyParser::new();
        assert!(p.parse(b"250 ok\x00").is_err(), "NUL refused at once");
    }

    #[test]
    fn excerpt_is_escaped_and_short() {
        let long = [b'A'; 500];
        let e = excerpt(&long);
        assert_eq!(e.len(), EXCERPT_LEN + 2 + 3);
        assert!(e.ends_with("\"..."));
        assert_eq!(excerpt(b"a\"\\\r\n\t\x1b\xff"), r#""a\"\\\r\n\t\x1b\xff""#);

        let mut input = b"bogus \x1b[31m ".to_vec();
        input.extend_from_slice(&[b'z'; 300]);
        input.extend_from_slice(b"\r\n");
        let msg = parse_err(&input).message().to_string();
        assert!(msg.contains("\\x1b[31m"), "{msg}");
        assert!(msg.len() < 150, "{msg}");
        assert!(msg.bytes().all(|b| (0x20..0x7f).contains(&b)), "{msg}");
    }

    #[test]
    fn code_must_not_change_within_a_reply() {
        let err = parse_err(b"250-first\r\n251 second\r\n");
        assert!(err.message().contains("250"), "{}", err.message());
        assert!(err.message().contains("251"), "{}", err.message());
    }

    #[test]
    fn line_length_limit_includes_the_line_ending() {
        let line = |total: usize, ending: &[u8]| {
            let mut l = b"250 ".to_vec();
            l.resize(total - ending.len(), b'x');
            l.extend_from_slice(ending);
            l
        };
        assert_eq!(parse_all(&line(MAX_LINE_LEN, b"\r\n")).unwrap().len(), 1);
        assert_eq!(parse_all(&line(MAX_LINE_LEN, b"\n")).unwrap().len(), 1);
        parse_err(&line(MAX_LINE_LEN + 1, b"\r\n"));
        parse_err(&line(MAX_LINE_LEN + 1, b"\n"));

        // The same limits hold when the line arrives one byte at a time.
        for (len, ok) in [(MAX_LINE_LEN, true), (MAX_LINE_LEN + 1, false)] {
            let input = line(len, b"\r\n");
            let pieces: Vec<&[u8]> = input.chunks(1).collect();
            assert_eq!(feed_pieces(&pieces).is_ok(), ok, "len {len}");
        }
    }

    #[test]
    fn endless_line_fails_after_the_limit_without_growing() {
        let mut p = ReplyParser::new();
        p.parse(b"250 ").unwrap();
        let chunk = [b'x'; 100];
        let mut fed = 4;
        loop {
            match p.parse(&chunk) {
                Ok((used, None)) => {
                    assert_eq!(used, chunk.len());
                    fed += used;
                    assert!(p.partial.len() < MAX_LINE_LEN);
                }
                Ok((_, Some(_))) => panic!("no reply expected"),
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::Protocol);
                    assert!(e.message().contains("4096"), "{}", e.message());
                    break;
                }
            }
            assert!(fed <= MAX_LINE_LEN, "should have failed by now");
        }
        assert!(fed >= MAX_LINE_LEN - chunk.len());
        // One huge chunk fails in one call too.
        let mut p = ReplyParser::new();
        let huge = vec![b'5'; 1 << 20];
        assert!(p.parse(&huge).is_err());
    }

    #[test]
    fn line_count_limit() {
        let mut input = b"250-x\r\n".repeat(MAX_REPLY_LINES - 1);
        input.extend_from_slice(b"250 end\r\n");
        let replies = parse_all(&input).unwrap();
        assert_eq!(replies[0].lines.len(), MAX_REPLY_LINES);

        let mut input = b"250-x\r\n".repeat(MAX_REPLY_LINES);
        input.extend_from_slice(b"250 end\r\n");
        let err = parse_err(&input);
        assert!(err.message().contains("1000"), "{}", err.message());

        // An endless multi-line reply fails as well, however it is split.
        let input = b"250-x\r\n".repeat(MAX_REPLY_LINES + 1);
        let pieces: Vec<&[u8]> = input.chunks(3).collect();
        assert!(feed_pieces(&pieces).is_err());
    }

    #[test]
    fn scrub_rewrites_every_line() {
        let mut r = Reply::new(
            535,
            vec!["5.7.8 bad hunter22".into(), "again hunter22".into()],
        );
        r.scrub(&|line| line.replace("hunter22", "***"));
        assert_eq!(r.lines, vec!["5.7.8 bad ***", "again ***"]);
    }
}
