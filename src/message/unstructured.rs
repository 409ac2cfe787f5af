//! Unstructured header values (Subject, custom headers): which words stay as they
//! are and which become RFC 2047 encoded-words.
//!
//! The value is cut into words and the white-space gaps between them. Adjacent
//! words that need encoding form one run, encoded together with the gaps inside it
//! (a decoder drops white space between adjacent encoded-words, so those gaps must
//! travel inside the encoding). Gaps next to a plain word stay literal and are where
//! the header folds.

use super::header::{check_header_text, HeaderBuilder, MAX_LINE};
use super::rfc2047;
use crate::error::Result;

/// How much of a value may be encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Free text (Subject): also encodes what a decoder would alter or what cannot
    /// fold — leading and trailing white space, long gaps, words longer than a
    /// line, plain words that look like encoded-words — so it decodes to the input.
    Text,
    /// A caller's header, which may be structured (an address, a URL): only
    /// non-ASCII and control characters are encoded; ends are trimmed; a word too
    /// long for the hard line limit is refused.
    Custom,
}

/// Longest white-space gap kept literal in [`Mode::Text`].
const MAX_LITERAL_GAP: usize = 16;

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Renders the field `name: value` with its CRLF. `what` names the value in errors.
pub fn render(name: &str, value: &str, mode: Mode, what: &str) -> Result<String> {
    check_header_text(value, what)?;
    let value = match mode {
        Mode::Text => value,
        Mode::Custom => value.trim_matches(is_wsp),
    };
    let mut header = HeaderBuilder::new(name);
    let words = split_words(value);
    if words.is_empty() {
        if !value.is_empty() {
            // Only white space: encoding is the one way to keep it.
            header.encoded(" ", "", value, "");
        }
        return header.finish(what);
    }

    let mut encode: Vec<bool> = words
        .iter()
        .enumerate()
        .map(|(i, &(start, end))| {
            // A literal word must fit on a line with the gap before it, which a
            // fold leaves at the start of the new line.
            let room = if i == 0 {
                MAX_LINE.saturating_sub(name.len() + 2)
            } else {
                MAX_LINE.saturating_sub(start - words[i - 1].1)
            };
            needs_encoding(&value[start..end], mode, room)
        })
        .collect();
    if mode == Mode::Text {
        let last = words.len() - 1;
        if words[0].0 > 0 {
            encode[0] = true;
        }
        if words[last].1 < value.len() {
            encode[last] = true;
        }
        for i in 0..last {
            if words[i + 1].0 - words[i].1 > MAX_LITERAL_GAP {
                encode[i] = true;
                encode[i + 1] = true;
            }
        }
    }

    let mut sep = " ";
    let mut i = 0;
    while i < words.len() {
        let mut j = i;
        let mut next_sep = None;
        if encode[i] {
            while j + 1 < words.len() && encode[j + 1] {
                j += 1;
            }
            let mut start = if i == 0 { 0 } else { words[i].0 };
            let mut end = if j + 1 == words.len() {
                value.len()
            } else {
                words[j].1
            };
            // A long gap next to the run (only in Mode::Custom, where the plain
            // word beyond it stays plain) cannot stay literal: a fold would start
            // a line with it and leave no room for the encoded-words there. All
            // but one white-space character of it travel inside the encoding; a
            // decoder keeps white space between an encoded-word and plain text,
            // so the value decodes unchanged.
            if i > 0 && sep.len() > MAX_LITERAL_GAP {
                start -= sep.len() - 1;
                sep = &sep[..1];
            }
            if j + 1 < words.len() && words[j + 1].0 - end > MAX_LITERAL_GAP {
                let gap_end = words[j + 1].0;
                next_sep = Some(&value[gap_end - 1..gap_end]);
                end = gap_end - 1;
            }
            header.encoded(sep, "", &value[start..end], "");
        } else {
            header.atom(sep, &value[words[i].0..words[i].1]);
        }
        if j + 1 < words.len() {
            sep = next_sep.unwrap_or(&value[words[j].1..words[j + 1].0]);
        }
        i = j + 1;
    }
    header.finish(what)
}

/// Byte ranges of the words (runs without space or tab).
fn split_words(value: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in value.char_indices() {
        match (is_wsp(c), start) {
            (true, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, value.len()));
    }
    words
}

/// Whether a word cannot appear literally; `room` is the line space it would get.
fn needs_encoding(word: &str, mode: Mode, room: usize) -> bool {
    if word.bytes().any(|b| !(b'!'..=b'~').contains(&b)) {
        return true;
    }
    mode == Mode::Text && (rfc2047::looks_encoded(word) || word.len() > room)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::header::tests::decode_words;

    fn lines(s: &str) -> Vec<&str> {
        s.trim_end_matches("\r\n").split("\r\n").collect()
    }

    /// Decodes like a reader: unfold, decode encoded-words, drop white space
    /// between adjacent encoded-words, keep it elsewhere.
    fn decode(field: &str) -> String {
        let unfolded = field.trim_end_matches("\r\n").replace("\r\n", "");
        let value = &unfolded[unfolded.find(':').unwrap() + 1..];
        let value = value.strip_prefix(' ').unwrap_or(value);
        let mut out = String::new();
        let mut pending_gap = String::new();
        let mut last_encoded = false;
        let mut rest = value;
        while !rest.is_empty() {
            let gap_len = rest.len() - rest.trim_start_matches(is_wsp).len();
            let (gap, tail) = rest.split_at(gap_len);
            pending_gap.push_str(gap);
            let word_len = tail.find(is_wsp).unwrap_or(tail.len());
            let (word, tail) = tail.split_at(word_len);
            rest = tail;
            if word.is_empty() {
                break;
            }
            let encoded = word.starts_with("=?UTF-8?B?") && word.ends_with("?=");
            if !(encoded && last_encoded) {
                out.push_str(&pending_gap);
            }
            pending_gap.clear();
            if encoded {
                out.push_str(&decode_words(word));
            } else {
                out.push_str(word);
            }
            last_encoded = encoded;
        }
        out.push_str(&pending_gap);
        out
    }

    fn check(value: &str) -> String {
        let field = render("Subject", value, Mode::Text, "subject").unwrap();
        for line in lines(&field) {
            assert!(line.len() <= MAX_LINE, "{value:?}: {line:?}");
            assert!(line.is_ascii());
        }
        assert_eq!(decode(&field), value, "{field}");
        field
    }

    #[test]
    fn ascii_stays_plain() {
        assert_eq!(check("Hello world"), "Subject: Hello world\r\n");
        assert_eq!(check(""), "Subject:\r\n");
    }

    #[test]
    fn mixed_text_encodes_only_what_it_must() {
        let f = check("Re: 年度报告 2026 final");
        assert!(f.starts_with("Subject: Re: =?UTF-8?B?"));
        assert!(f.ends_with("?= 2026 final\r\n"));
        check("Café au lait");
        check("😀 a 😀😀 b 😀");
        check("中 中");
    }

    #[test]
    fn long_subjects_fold_everywhere() {
        check(&"年度报告".repeat(40));
        check(&"word ".repeat(60));
        check(&"é".repeat(200));
        check(&"😀x".repeat(77));
        for n in 60..80 {
            check(&"a".repeat(n));
            check(&format!("x {}", "b".repeat(n)));
        }
    }

    #[test]
    fn multi_byte_characters_at_every_fold_position() {
        for pad in 0..50 {
            for c in ["é", "中", "😀"] {
                check(&format!("{}{}", "a".repeat(pad), c.repeat(30)));
                check(&format!("{} {}", "a".repeat(pad), c.repeat(30)));
            }
        }
    }

    #[test]
    fn white_space_survives() {
        check("  leading");
        check("trailing  ");
        check("   ");
        check("a\tb");
        check(&format!("a{}b", " ".repeat(40)));
        check("two  spaces");
    }

    #[test]
    fn lookalikes_are_encoded() {
        let f = check("=?utf-8?q?hi?= there");
        assert!(!f.contains("=?utf-8?q?"));
    }

    #[test]
    fn control_characters_are_encoded() {
        check("bell\u{7}here");
    }

    #[test]
    fn words_after_runs_of_spaces_fit() {
        // A gap of up to 16 spaces stays literal; the word after it still fits.
        for gap in 1..=20 {
            for n in 55..80 {
                check(&format!("a{}{}", " ".repeat(gap), "w".repeat(n)));
                check(&format!("é{}{}", " ".repeat(gap), "w".repeat(n)));
            }
        }
    }

    #[test]
    fn generated_subjects_fold_within_76() {
        use crate::message::header::tests::{generated_text, Rng};
        let mut rng = Rng::new(0x5eed_0013);
        for _ in 0..3000 {
            check(&generated_text(&mut rng));
        }
    }

    #[test]
    fn generated_custom_headers_fold_within_76_around_encoded_words() {
        use crate::message::header::tests::{generated_text, Rng};
        let mut rng = Rng::new(0x5eed_0014);
        for round in 0..3000 {
            let value = generated_text(&mut rng);
            let field = render("X-Note", &value, Mode::Custom, "h").unwrap();
            for line in lines(&field) {
                assert!(line.is_ascii());
                // Plain ASCII may be structured (a URL) and is never encoded; a
                // line holding an encoded-word is limited to 76 (RFC 2047 section 2).
                if line.contains("=?UTF-8?B?") {
                    assert!(
                        line.len() <= MAX_LINE,
                        "round {round}, {value:?}: a line of {}: {line:?}",
                        line.len()
                    );
                }
            }
            assert_eq!(decode(&field), value.trim_matches(is_wsp), "{field}");
        }
    }

    #[test]
    fn long_field_names_move_encoded_words_to_the_next_line() {
        for len in [40, 56, 57, 58, 60, 70, 76, 100, 400] {
            let name = format!("X-{}", "n".repeat(len - 2));
            for value in ["中文 plain 中文", "é", "ascii then 😀"] {
                let field = render(&name, value, Mode::Custom, "h").unwrap();
                for line in lines(&field) {
                    if line.contains("=?UTF-8?B?") {
                        assert!(line.len() <= MAX_LINE, "{len}, {value:?}: {line:?}");
                    }
                }
                assert_eq!(decode(&field), value, "{field}");
            }
        }
    }

    #[test]
    fn custom_headers_keep_ascii_structure() {
        let long = format!("<https://example.com/{}>", "x".repeat(100));
        let f = render("List-Unsubscribe", &long, Mode::Custom, "h").unwrap();
        assert_eq!(f, format!("List-Unsubscribe: {long}\r\n"));
        let f = render("X-Note", "  hé  ", Mode::Custom, "h").unwrap();
        assert_eq!(decode(&f), "hé");
        assert!(render("X", &"a".repeat(1000), Mode::Custom, "h").is_err());
        assert!(render("X", "a\r\nBcc: x", Mode::Custom, "h").is_err());
    }
}
