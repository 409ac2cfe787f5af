//! A strict reader of unstructured header values (RFC 5322 section 2.2.3
//! unfolding, RFC 2047 encoded-words), written for these checks.
//!
//! `mail-parser`, the other reader used here, is lenient by design: it turns any
//! white space at a fold or next to an encoded-word into one space and trims the
//! value, so it cannot tell whether white space survived. This one keeps every
//! white-space character except the CRLF of a fold and the white space between
//! two adjacent encoded-words (RFC 2047 section 6.2).

use crate::mime::field;

/// The value of the first field `name` in a header section: the lines joined
/// without their CRLFs (unfolding), after the colon, without the one space that
/// follows the colon. `None` when there is no such field.
pub fn field_value(head: &[u8], name: &str) -> Option<String> {
    let lines = field(head, name)?;
    let joined = lines.concat();
    let text = String::from_utf8(joined).expect("header field is not UTF-8");
    let value = &text[name.len() + 1..];
    Some(value.strip_prefix(' ').unwrap_or(value).to_string())
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Decodes an unstructured value: encoded-words become their text, white space
/// between two encoded-words is dropped, everything else is kept as it is.
pub fn decode_unstructured(value: &str) -> String {
    let mut out = String::new();
    let mut gap = String::new();
    let mut last_encoded = false;
    let mut rest = value;
    while !rest.is_empty() {
        let split = rest.find(|c: char| !is_wsp(c)).unwrap_or(rest.len());
        gap.push_str(&rest[..split]);
        rest = &rest[split..];
        if rest.is_empty() {
            break;
        }
        let end = rest.find(is_wsp).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        match decode_word(word) {
            Some(text) => {
                if !last_encoded {
                    out.push_str(&gap);
                }
                out.push_str(&text);
                last_encoded = true;
            }
            None => {
                out.push_str(&gap);
                out.push_str(word);
                last_encoded = false;
            }
        }
        gap.clear();
    }
    out.push_str(&gap);
    out
}

/// The text of one RFC 2047 encoded-word `=?charset?B|Q?text?=` in UTF-8 (or
/// US-ASCII), or `None` when `word` is not one.
pub fn decode_word(word: &str) -> Option<String> {
    let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let charset = parts.next()?;
    let encoding = parts.next()?;
    let text = parts.next()?;
    if text.contains('?') || text.contains(is_wsp) {
        return None;
    }
    // RFC 2231 section 5 allows a language after '*'.
    let charset = charset.split('*').next()?;
    if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("us-ascii") {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => data_encoding::BASE64.decode(text.as_bytes()).ok()?,
        "Q" | "q" => decode_q(text)?,
        _ => return None,
    };
    String::from_utf8(bytes).ok()
}

/// RFC 2047 section 4.2: '_' is a space, `=XX` a byte.
fn decode_q(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// `text` with every run of spaces and tabs made one space and the ends trimmed:
/// what a lenient reader (`mail-parser`) is compared on.
pub fn squeeze(text: &str) -> String {
    text.split(is_wsp)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
