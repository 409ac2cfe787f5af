//! Header lines: injection checks, field-name syntax and folding.
//!
//! [`HeaderBuilder`] assembles one header field from atoms (text that may not be
//! split) separated by white space, where it may fold (RFC 5322 section 2.2.3:
//! CRLF inserted before existing white space). Lines are kept to 76 characters
//! where the atoms allow it; a line over the hard limit of 998 is an error.

use super::rfc2047;
use crate::error::{Error, Result};

/// Preferred longest header line, without its CRLF.
pub const MAX_LINE: usize = 76;

/// Hard limit on any line of a message, without its CRLF (RFC 5322 section 2.1.1).
pub const HARD_LINE: usize = 998;

/// Refuses CR, LF and NUL in text that goes into a header: they would end the
/// header early and let the caller inject others.
pub fn check_header_text(text: &str, what: &str) -> Result<()> {
    if let Some(c) = text.chars().find(|c| matches!(c, '\r' | '\n' | '\0')) {
        return Err(Error::invalid(format!(
            "{what} contains {}, which is not allowed in a header",
            c.escape_default()
        )));
    }
    Ok(())
}

/// Checks a header field name: printable ASCII (33..=126) except ':', not empty,
/// short enough that its first line stays under the hard limit.
pub fn check_field_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("header name is empty"));
    }
    if name.len() > HARD_LINE / 2 {
        return Err(Error::invalid(format!(
            "header name is longer than {} bytes",
            HARD_LINE / 2
        )));
    }
    if let Some(c) = name.chars().find(|&c| !matches!(c, '!'..='~') || c == ':') {
        return Err(Error::invalid(format!(
            "header name {name:?} contains {c:?}: a field name is printable ASCII without ':' or spaces"
        )));
    }
    Ok(())
}

/// One header field being assembled. See the module documentation.
pub struct HeaderBuilder {
    out: String,
    line_len: usize,
    longest: usize,
    has_atom: bool,
}

impl HeaderBuilder {
    /// Starts the field `name:` (the name must already be checked).
    pub fn new(name: &str) -> HeaderBuilder {
        let mut out = String::with_capacity(name.len() + 64);
        out.push_str(name);
        out.push(':');
        HeaderBuilder {
            line_len: out.len(),
            longest: out.len(),
            out,
            has_atom: false,
        }
    }

    /// Whether a fold may go before the next atom: only after one atom, so the
    /// first line never holds the name alone (except before an encoded-word
    /// that does not fit after a long name: [`HeaderBuilder::encoded`]).
    fn may_fold(&self, sep: &str) -> bool {
        self.has_atom && !sep.is_empty()
    }

    fn fold(&mut self) {
        self.out.push_str("\r\n");
        self.line_len = 0;
    }

    fn push(&mut self, text: &str) {
        self.out.push_str(text);
        self.line_len += text.len();
        self.longest = self.longest.max(self.line_len);
    }

    /// The longest text that [`HeaderBuilder::atom`] can append after `sep`
    /// within [`MAX_LINE`]: on a fresh line when it may fold there, else on this
    /// one (the first atom cannot leave the field name alone on its line).
    pub fn room(&self, sep: &str) -> usize {
        let line_len = if self.may_fold(sep) { 0 } else { self.line_len };
        MAX_LINE.saturating_sub(line_len + sep.len())
    }

    /// Appends `sep` (white space, or empty to glue) and `text`, folding before
    /// `sep` when the line would pass [`MAX_LINE`].
    pub fn atom(&mut self, sep: &str, text: &str) {
        if self.may_fold(sep) && self.line_len + sep.len() + text.len() > MAX_LINE {
            self.fold();
        }
        self.push(sep);
        self.push(text);
        self.has_atom = true;
    }

    /// Appends `text` (not empty) as RFC 2047 encoded-words after `sep`, with
    /// `prefix` glued before the first word and `suffix` after the last (for a
    /// quoted parameter value). The first word fills what is left of the line; the
    /// others start continuation lines. Words are separated by white space, which
    /// decoders drop between adjacent encoded-words.
    pub fn encoded(&mut self, sep: &str, prefix: &str, text: &str, suffix: &str) {
        let mut rest = text;
        let mut sep = sep;
        let mut prefix = prefix;
        // Reserved on every word for simplicity: it costs a few characters at most.
        let reserve = prefix.len() + suffix.len();
        while !rest.is_empty() {
            let width = |line_len: usize| {
                MAX_LINE
                    .saturating_sub(line_len + sep.len() + reserve)
                    .min(rfc2047::MAX_WORD)
            };
            let mut n = rfc2047::fitting_prefix(rest, width(self.line_len));
            // Fold first when nothing fits here, or when the rest would fit whole
            // on a fresh line instead of being split. When nothing fits after a
            // long field name, its line may hold the name alone (RFC 5322 allows
            // folding right after the colon): a line with an encoded-word must
            // stay within 76 (RFC 2047 section 2).
            let split_needlessly =
                n < rest.len() && rfc2047::fitting_prefix(rest, width(0)) == rest.len();
            let may_fold = self.may_fold(sep) || (n == 0 && !sep.is_empty());
            if (n == 0 || split_needlessly) && may_fold {
                self.fold();
                n = rfc2047::fitting_prefix(rest, width(0));
            }
            if n == 0 {
                // Nothing fits even on a fresh line (only with a long prefix):
                // take one character; the line stays far under the hard limit.
                n = rest.chars().next().map_or(0, char::len_utf8);
            }
            let (chunk, tail) = rest.split_at(n);
            let mut word = String::with_capacity(rfc2047::word_len(n) + reserve);
            word.push_str(prefix);
            rfc2047::push_word(chunk, &mut word);
            if tail.is_empty() {
                word.push_str(suffix);
            }
            self.push(sep);
            self.push(&word);
            self.has_atom = true;
            rest = tail;
            sep = " ";
            prefix = "";
        }
    }

    /// The finished field with its CRLF; fails when a line passes [`HARD_LINE`].
    pub fn finish(mut self, what: &str) -> Result<String> {
        if self.longest > HARD_LINE {
            return Err(Error::invalid(format!(
                "{what}: a header line would be longer than {HARD_LINE} bytes (a word that cannot be folded)"
            )));
        }
        self.out.push_str("\r\n");
        Ok(self.out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<&str> {
        assert!(s.ends_with("\r\n"));
        s[..s.len() - 2].split("\r\n").collect()
    }

    #[test]
    fn refuses_injection() {
        for bad in ["a\rb", "a\nBcc: x", "a\0"] {
            assert!(check_header_text(bad, "subject").is_err());
        }
        assert!(check_header_text("tab\tok é", "subject").is_ok());
    }

    #[test]
    fn field_names() {
        assert!(check_field_name("X-Mailer").is_ok());
        assert!(check_field_name("!#~").is_ok());
        for bad in ["", "X Y", "X:Y", "Xé", "X\t", "X\r\n"] {
            assert!(check_field_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn folds_before_white_space_at_76() {
        let mut h = HeaderBuilder::new("X");
        for _ in 0..30 {
            h.atom(" ", "abcdefghi");
        }
        let out = h.finish("x").unwrap();
        for line in lines(&out) {
            assert!(line.len() <= MAX_LINE, "{line}");
        }
        assert_eq!(
            out.replace("\r\n", ""),
            format!("X:{}", " abcdefghi".repeat(30))
        );
    }

    #[test]
    fn exact_fit_does_not_fold() {
        // "X:" + " " + 73 chars = 76 exactly: stays on one line; 74 folds.
        let mut h = HeaderBuilder::new("X");
        h.atom(" ", "a");
        h.atom(" ", &"b".repeat(71));
        assert_eq!(lines(&h.finish("x").unwrap()).len(), 1);
        let mut h = HeaderBuilder::new("X");
        h.atom(" ", "a");
        h.atom(" ", &"b".repeat(72));
        assert_eq!(lines(&h.finish("x").unwrap()).len(), 2);
    }

    #[test]
    fn glued_atoms_never_fold() {
        let mut h = HeaderBuilder::new("X");
        h.atom(" ", &"a".repeat(70));
        h.atom("", &"b".repeat(20));
        assert_eq!(lines(&h.finish("x").unwrap()).len(), 1);
    }

    #[test]
    fn hard_limit_is_an_error() {
        let mut h = HeaderBuilder::new("X");
        h.atom(" ", &"a".repeat(995));
        assert!(h.finish("x").is_ok());
        let mut h = HeaderBuilder::new("X");
        h.atom(" ", &"a".repeat(996));
        assert!(h.finish("x").is_err());
    }

    #[test]
    fn encoded_words_fit_and_keep_characters_whole() {
        for c in ['é', '中', '😀', 'a'] {
            for n in [1, 10, 23, 24, 25, 44, 45, 46, 200] {
                let text: String = std::iter::repeat(c).take(n).collect();
                let mut h = HeaderBuilder::new("Subject");
                h.encoded(" ", "", &text, "");
                let out = h.finish("s").unwrap();
                for line in lines(&out) {
                    assert!(line.len() <= MAX_LINE, "{c} {n}: {line}");
                }
                let decoded = decode_words(&out);
                assert_eq!(decoded, text);
            }
        }
    }

    #[test]
    fn encoded_with_prefix_and_suffix() {
        let text = "年度报告".repeat(10);
        let mut h = HeaderBuilder::new("Content-Type");
        h.atom(" ", "application/pdf;");
        h.encoded(" ", "name=\"", &text, "\"");
        let out = h.finish("ct").unwrap();
        for line in lines(&out) {
            assert!(line.len() <= MAX_LINE, "{line}");
        }
        assert!(out.contains(" name=\"=?UTF-8?B?"));
        assert!(out.ends_with("?=\"\r\n"));
        assert_eq!(out.matches('"').count(), 2);
    }

    /// Test helper: a deterministic xorshift generator.
    pub(crate) struct Rng(u64);

    impl Rng {
        pub(crate) fn new(seed: u64) -> Rng {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        pub(crate) fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Test helper: header text made of the pieces that stress folding — runs of
    /// quotes and backslashes, long runs of spaces and tabs, long words, specials,
    /// non-ASCII, encoded-word lookalikes. Never CR, LF or NUL.
    pub(crate) fn generated_text(rng: &mut Rng) -> String {
        const PIECES: &[&str] = &[
            "a", "Zoë", "年度", "😀", "\"", "\\", "(", ")", ",", ";", ":", "<", "@", ".", "=?",
            "?=", "'", "-", "\u{7}", "\u{a0}", "\u{2028}", "x\ty",
        ];
        let mut out = String::new();
        for _ in 0..1 + rng.below(12) {
            match rng.below(6) {
                0 => out.push_str(&" ".repeat(1 + rng.below(90))),
                1 => out.push(' '),
                2 => {
                    let c = ["\"", "\\", "a", "é"][rng.below(4)];
                    out.push_str(&c.repeat(1 + rng.below(80)));
                }
                3 => out.push_str(&"w".repeat(1 + rng.below(100))),
                _ => out.push_str(PIECES[rng.below(PIECES.len())]),
            }
        }
        out
    }

    /// Test helper: decodes every encoded-word in a header, ignoring the rest.
    pub(crate) fn decode_words(header: &str) -> String {
        use base64::Engine;
        let mut bytes = Vec::new();
        let mut rest = header;
        while let Some(start) = rest.find("=?UTF-8?B?") {
            let after = &rest[start + 10..];
            let end = after.find("?=").unwrap();
            let chunk = base64::engine::general_purpose::STANDARD
                .decode(&after[..end])
                .unwrap();
            // each word must be valid UTF-8 on its own
            String::from_utf8(chunk.clone()).unwrap();
            bytes.extend(chunk);
            rest = &after[end + 2..];
        }
        String::from_utf8(bytes).unwrap()
    }
}
