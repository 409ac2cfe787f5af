//! Text bodies: line ends normalised to CRLF, then 7bit when that is safe, else
//! quoted-printable. Encoded once when the body is set.

use super::header::HARD_LINE;
use super::quoted_printable;

/// A text body ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextBody {
    /// `7bit` or `quoted-printable`.
    pub transfer_encoding: &'static str,
    /// The encoded bytes, CRLF line ends, ending in CRLF when the input ended with
    /// a line break.
    pub bytes: Vec<u8>,
}

/// Splits at LF, CRLF and lone CR; returns the lines and whether the text ended
/// with a line break.
fn split_lines(text: &[u8]) -> (Vec<&[u8]>, bool) {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if text.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let ends_with_break = start == text.len() && !text.is_empty();
    if !ends_with_break {
        lines.push(&text[start..]);
    }
    (lines, ends_with_break)
}

/// 7bit is safe for ASCII without NUL, lines within the hard limit, and no "=_"
/// (the marker of this builder's boundaries, so a 7bit body can never contain a
/// boundary line; quoted-printable and base64 cannot produce "=_").
fn fits_7bit(text: &[u8], lines: &[&[u8]]) -> bool {
    text.iter().all(|&b| (1..0x80).contains(&b))
        && lines.iter().all(|l| l.len() <= HARD_LINE)
        && !text.windows(2).any(|w| w == b"=_")
}

/// Encodes a text body. See the module documentation.
pub fn encode(text: &str) -> TextBody {
    let (lines, ends_with_break) = split_lines(text.as_bytes());
    let seven_bit = fits_7bit(text.as_bytes(), &lines);
    let mut bytes = Vec::with_capacity(text.len() + text.len() / 16 + 2);
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        if seven_bit {
            bytes.extend_from_slice(line);
        } else {
            quoted_printable::encode_line(line, &mut bytes);
        }
        if i < last || ends_with_break {
            bytes.extend_from_slice(b"\r\n");
        }
    }
    TextBody {
        transfer_encoding: if seven_bit {
            "7bit"
        } else {
            "quoted-printable"
        },
        bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> (String, &'static str) {
        let b = encode(s);
        (String::from_utf8(b.bytes).unwrap(), b.transfer_encoding)
    }

    #[test]
    fn line_ends_become_crlf() {
        assert_eq!(text("a\nb\r\nc\rd"), ("a\r\nb\r\nc\r\nd".into(), "7bit"));
        assert_eq!(text("a\n"), ("a\r\n".into(), "7bit"));
        assert_eq!(text("a\r"), ("a\r\n".into(), "7bit"));
        assert_eq!(text("\n\n"), ("\r\n\r\n".into(), "7bit"));
        assert_eq!(text("\r\r\n"), ("\r\n\r\n".into(), "7bit"));
        assert_eq!(text(""), ("".into(), "7bit"));
    }

    #[test]
    fn chooses_quoted_printable_when_needed() {
        assert_eq!(text("café\n"), ("caf=C3=A9\r\n".into(), "quoted-printable"));
        assert_eq!(text("a=_b").1, "quoted-printable");
        assert_eq!(text("nul\0").1, "quoted-printable");
        assert_eq!(text(&"a".repeat(998)).1, "7bit");
        let (long, cte) = text(&"a".repeat(999));
        assert_eq!(cte, "quoted-printable");
        assert!(long.split("\r\n").all(|l| l.len() <= 76));
    }

    #[test]
    fn seven_bit_keeps_dots_and_from() {
        // the SMTP layer dot-stuffs; 7bit text is sent as written
        assert_eq!(text(".\nFrom x").0, ".\r\nFrom x");
        assert_eq!(text("é\n.\nFrom x").0, "=C3=A9\r\n=2E\r\n=46rom x");
    }
}
