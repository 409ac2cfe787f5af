//! Mailboxes in address headers (From, To, Cc, Reply-To): display names as atoms,
//! quoted strings or encoded-words, and the address in angle brackets.

use super::header::{check_header_text, HeaderBuilder, MAX_LINE};
use super::rfc2047;
use crate::error::Result;
use crate::protocol::address::check_address;

/// A display name (possibly none) and an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// Trimmed display name; `None` when absent or empty.
    pub name: Option<String>,
    /// The address, checked, without angle brackets.
    pub address: String,
}

impl Mailbox {
    /// Checks and keeps a mailbox; `what` names it in errors ("From", "To 2"...).
    pub fn new(name: Option<&str>, address: &str, what: &str) -> Result<Mailbox> {
        check_header_text(address, &format!("{what} address"))?;
        check_address(address, what)?;
        let name = match name {
            Some(n) => {
                check_header_text(n, &format!("{what} name"))?;
                let n = n.trim_matches([' ', '\t']);
                (!n.is_empty()).then(|| n.to_string())
            }
            None => None,
        };
        Ok(Mailbox {
            name,
            address: address.to_string(),
        })
    }
}

/// RFC 5322 atext: the characters of an atom.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// Renders `Name: mailbox, mailbox, ...` with its CRLF.
pub fn render_list(name: &str, mailboxes: &[Mailbox]) -> Result<String> {
    let mut header = HeaderBuilder::new(name);
    for (i, mailbox) in mailboxes.iter().enumerate() {
        let comma = if i + 1 < mailboxes.len() { "," } else { "" };
        push_mailbox(&mut header, mailbox, comma);
    }
    header.finish(name)
}

fn push_mailbox(header: &mut HeaderBuilder, mailbox: &Mailbox, comma: &str) {
    // Always in angle brackets, with or without a display name (`<addr>` alone is
    // a name-addr, RFC 5322 section 3.4): the brackets delimit the address for
    // every reader. Raw UTF-8 when the address has it (RFC 6532): an address
    // cannot be encoded.
    let angle = format!("<{}>{comma}", mailbox.address);
    let Some(name) = mailbox.name.as_deref() else {
        header.atom(" ", &angle);
        return;
    };
    let printable = name.chars().all(|c| matches!(c, ' '..='~'));
    let words: Vec<&str> = name.split(' ').collect();
    // The first word goes where the header is now (after the field name it
    // cannot fold), the others on a fresh line if need be.
    let first_room = header.room(" ");
    let is_phrase = printable
        && !rfc2047::looks_encoded(name)
        && words.iter().enumerate().all(|(i, w)| {
            let room = if i == 0 { first_room } else { MAX_LINE - 1 };
            !w.is_empty() && w.len() <= room && w.chars().all(is_atext)
        });
    let quoted = (printable && !is_phrase && !rfc2047::looks_encoded(name)).then(|| {
        let mut quoted = String::with_capacity(name.len() + 4);
        quoted.push('"');
        for c in name.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    });
    if is_phrase {
        for word in words {
            header.atom(" ", word);
        }
    } else if let Some(quoted) = quoted.filter(|q| q.len() <= first_room) {
        // Measured with its escapes: a name of quotes doubles in length.
        header.atom(" ", &quoted);
    } else {
        // Non-ASCII, control characters, lookalikes, or a quoted string too long
        // for a line: encoded-words are the one form every reader decodes, and
        // they fold.
        header.encoded(" ", "", name, "");
    }
    header.atom(" ", &angle);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::header::tests::decode_words;

    fn mb(name: Option<&str>, address: &str) -> Mailbox {
        Mailbox::new(name, address, "To").unwrap()
    }

    #[test]
    fn plain_and_quoted_names() {
        assert_eq!(
            render_list("From", &[mb(Some("John Doe"), "j@example.com")]).unwrap(),
            "From: John Doe <j@example.com>\r\n"
        );
        assert_eq!(
            render_list("To", &[mb(Some("Doe, \"J\" \\ Jr."), "j@example.com")]).unwrap(),
            "To: \"Doe, \\\"J\\\" \\\\ Jr.\" <j@example.com>\r\n"
        );
    }

    #[test]
    fn bare_addresses_are_in_angle_brackets() {
        // `<addr>` alone is a name-addr without display name (RFC 5322 3.4): the
        // brackets keep a reader from taking anything in it for a list separator.
        assert_eq!(
            render_list("To", &[mb(None, "a@x.org"), mb(Some(""), "b@x.org")]).unwrap(),
            "To: <a@x.org>, <b@x.org>\r\n"
        );
        assert_eq!(
            render_list("From", &[mb(Some("  "), "\"a b\"@x.org")]).unwrap(),
            "From: <\"a b\"@x.org>\r\n"
        );
    }

    /// Reads a rendered single-mailbox field back: the display name (unescaped
    /// quoted string, decoded encoded-words, or atoms) and the address.
    fn read_back(field: &str, header: &str) -> (String, String) {
        let unfolded = field.strip_suffix("\r\n").unwrap().replace("\r\n", "");
        let value = unfolded.strip_prefix(&format!("{header}: ")).unwrap();
        let open = value.rfind('<').unwrap();
        let address = value[open + 1..].strip_suffix('>').unwrap().to_string();
        let phrase = value[..open].trim_end_matches(' ');
        let name = if let Some(quoted) = phrase.strip_prefix('"') {
            let quoted = quoted.strip_suffix('"').unwrap();
            let mut out = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next().unwrap() } else { c });
            }
            out
        } else if phrase.contains("=?UTF-8?B?") {
            decode_words(phrase)
        } else {
            phrase.to_string()
        };
        (name, address)
    }

    #[test]
    fn generated_names_fold_within_76() {
        use crate::message::header::tests::{generated_text, Rng};
        let mut rng = Rng::new(0x5eed_0012);
        for round in 0..3000 {
            let name = generated_text(&mut rng);
            for header in ["From", "To", "Reply-To"] {
                let m = Mailbox::new(Some(&name), "a@example.com", header).unwrap();
                let field = render_list(header, std::slice::from_ref(&m)).unwrap();
                for line in field.strip_suffix("\r\n").unwrap().split("\r\n") {
                    assert!(
                        line.len() <= MAX_LINE,
                        "round {round}, {name:?}: a line of {}: {line:?}",
                        line.len()
                    );
                    assert!(line.is_ascii(), "{line:?}");
                }
                let expected = name.trim_matches([' ', '\t']);
                let (read_name, read_address) = read_back(&field, header);
                assert_eq!(read_name, expected, "round {round}: {field:?}");
                assert_eq!(read_address, "a@example.com");
            }
        }
    }

    #[test]
    fn quotes_and_backslashes_are_counted_escaped() {
        for c in ["\"", "\\"] {
            for n in 30..80 {
                let name = c.repeat(n);
                let field = render_list("To", &[mb(Some(&name), "a@b.c")]).unwrap();
                for line in field.trim_end().split("\r\n") {
                    assert!(line.len() <= MAX_LINE, "{n} x {c}: {line:?}");
                }
                assert_eq!(read_back(&field, "To").0, name);
            }
        }
        // A long atom must fit after the field name too.
        for header in ["To", "Reply-To"] {
            for n in 60..80 {
                let name = "w".repeat(n);
                let field = render_list(header, &[mb(Some(&name), "a@b.c")]).unwrap();
                for line in field.trim_end().split("\r\n") {
                    assert!(line.len() <= MAX_LINE, "{header} {n}: {line:?}");
                }
                assert_eq!(read_back(&field, header).0, name);
            }
        }
    }

    #[test]
    fn non_ascii_names_are_encoded() {
        let out = render_list("From", &[mb(Some("José García"), "j@example.com")]).unwrap();
        assert!(out.starts_with("From: =?UTF-8?B?"), "{out}");
        assert_eq!(decode_words(&out), "José García");
        assert!(out.ends_with(" <j@example.com>\r\n"));
    }

    #[test]
    fn long_lists_fold_between_mailboxes() {
        let list: Vec<Mailbox> = (0..20)
            .map(|i| {
                mb(
                    Some(&format!("Person Number {i}")),
                    &format!("p{i}@example.com"),
                )
            })
            .collect();
        let out = render_list("To", &list).unwrap();
        for line in out.trim_end().split("\r\n") {
            assert!(line.len() <= MAX_LINE, "{line}");
        }
        assert_eq!(out.matches(',').count(), 19);
    }

    #[test]
    fn long_and_odd_names() {
        let long = "年度报告".repeat(20);
        let out = render_list("To", &[mb(Some(&long), "a@b.c")]).unwrap();
        for line in out.trim_end().split("\r\n") {
            assert!(line.len() <= MAX_LINE, "{line}");
        }
        assert_eq!(decode_words(&out), long);
        let tricky = "=?utf-8?q?x?=";
        let out = render_list("To", &[mb(Some(tricky), "a@b.c")]).unwrap();
        assert_eq!(decode_words(&out), tricky);
    }

    #[test]
    fn refuses_injection() {
        assert!(Mailbox::new(Some("a\r\nBcc: x@y.z"), "a@b.c", "To").is_err());
        assert!(Mailbox::new(None, "a@b.c\r\nBcc: x@y.z", "To").is_err());
        assert!(Mailbox::new(None, "not an address", "To").is_err());
    }
}
