//! Quoted-printable (RFC 2045 section 6.7) for text bodies whose lines are already
//! split (the line breaks themselves are written as CRLF by the caller).

/// Longest encoded line, soft-break '=' included.
const MAX_QP_LINE: usize = 76;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the encoding of one text line (no line break inside) to `out`. Soft
/// line breaks keep every output line within 76 characters and never split an
/// `=XX`; white space at the end of the line is encoded (transports strip it); a
/// '.' or "From " at the start of an output line is encoded too, so no relay
/// dot-stuffing slip or mbox "From " quoting can alter the body.
pub fn encode_line(line: &[u8], out: &mut Vec<u8>) {
    let mut col = 0;
    for (i, &b) in line.iter().enumerate() {
        let last = i + 1 == line.len();
        let mut escape = needs_escape(line, i, col, last);
        let mut width = if escape { 3 } else { 1 };
        // A soft break costs one '=' column, except after the line's last
        // character, which may reach column 76.
        let limit = if last { MAX_QP_LINE } else { MAX_QP_LINE - 1 };
        if col + width > limit {
            out.extend_from_slice(b"=\r\n");
            col = 0;
            escape = needs_escape(line, i, col, last);
            width = if escape { 3 } else { 1 };
        }
        if escape {
            out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        } else {
            out.push(b);
        }
        col += width;
    }
}

/// Whether byte `i` of `line`, placed at column `col`, must be written as `=XX`.
fn needs_escape(line: &[u8], i: usize, col: usize, last: bool) -> bool {
    let b = line[i];
    match b {
        b' ' | b'\t' => last,
        b'=' => true,
        b'.' => col == 0,
        b'F' => col == 0 && line[i..].starts_with(b"From "),
        b'!'..=b'~' => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(line: &str) -> String {
        let mut out = Vec::new();
        encode_line(line.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    /// Decodes one encoded line (with soft breaks) back to bytes.
    fn dec(s: &str) -> Vec<u8> {
        let joined = s.replace("=\r\n", "");
        let b = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' {
                out.push(u8::from_str_radix(&joined[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    fn check(line: &str) -> String {
        let e = enc(line);
        for l in e.split("\r\n") {
            assert!(l.len() <= MAX_QP_LINE, "{l:?}");
            assert!(!l.starts_with('.') && !l.starts_with("From "), "{l:?}");
            assert!(!l.ends_with(' ') && !l.ends_with('\t'), "{l:?}");
            assert!(l.bytes().all(|b| (b' '..=b'~').contains(&b) || b == b'\t'));
        }
        assert_eq!(dec(&e), line.as_bytes(), "{e}");
        e
    }

    #[test]
    fn plain_ascii_is_unchanged() {
        assert_eq!(check("Hello, world!"), "Hello, world!");
        assert_eq!(check(""), "");
    }

    #[test]
    fn specials() {
        assert_eq!(check("a=b"), "a=3Db");
        assert_eq!(check("é"), "=C3=A9");
        assert_eq!(check("trailing  "), "trailing =20");
        assert_eq!(check("tab\t"), "tab=09");
        assert_eq!(check(".dot"), "=2Edot");
        assert_eq!(check("a.b"), "a.b");
        assert_eq!(check("From here"), "=46rom here");
        assert_eq!(check("Fromage"), "Fromage");
        assert_eq!(check("\u{7f}\0"), "=7F=00");
    }

    #[test]
    fn soft_breaks_at_76() {
        assert_eq!(check(&"a".repeat(76)), "a".repeat(76));
        assert_eq!(check(&"a".repeat(77)), format!("{}=\r\naa", "a".repeat(75)));
        assert_eq!(check(&"a".repeat(75)), "a".repeat(75));
        for n in 70..160 {
            check(&"a".repeat(n));
            check(&"é".repeat(n));
            check(&format!("{}=", "a".repeat(n)));
            check(&format!("{} ", "a".repeat(n)));
            check(&format!("{}.x", "a".repeat(n)));
            check(&format!("{}From x", "a".repeat(n)));
            check(&format!("{}  中😀", "a ".repeat(n / 2)));
        }
    }

    #[test]
    fn escapes_are_never_split() {
        for pad in 0..6 {
            let e = check(&format!("{}{}", "a".repeat(72 + pad), "=".repeat(10)));
            for l in e.split("\r\n") {
                let body = l.strip_suffix('=').unwrap_or(l);
                // every '=' in the line body starts a complete escape
                for (i, _) in body.match_indices('=') {
                    assert!(i + 3 <= body.len(), "{l}");
                }
            }
        }
    }

    #[test]
    fn trailing_space_right_at_the_limit() {
        // the space lands exactly where the line ends: encoded, which forces a break
        let e = check(&format!("{} ", "a".repeat(75)));
        assert_eq!(e, format!("{}=\r\n=20", "a".repeat(75)));
    }
}
