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
    // Raw UTF-8 when the address has it (RFC 6532): an address cannot be encoded.
    let angle = format!("<{}>{comma}", mailbox.address);
    let Some(name) = mailbox.name.as_deref() else {
        header.atom(" ", &format!("{}{comma}", mailbox.address));
        return;
    };
    let printable = name.chars().all(|c| matches!(c, ' '..='~'));
    let words: Vec<&str> = name.split(' ').collect();
    let is_phrase = printable
        && !rfc2047::looks_encoded(name)
        && words
            .iter()
            .all(|w| !w.is_empty() && w.len() < MAX_LINE && w.chars().all(is_atext));
    if is_phrase {
        for word in words {
            header.atom(" ", word);
        }
    } else if printable && !rfc2047::looks_encoded(name) && name.len() + 3 < MAX_LINE {
        let mut quoted = String::with_capacity(name.len() + 4);
        quoted.push('"');
        for c in name.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        header.atom(" ", &quoted);
    } else {
        // Non-ASCII, control characters, lookalikes, or a quoted string too long
        // to fold: encoded-words are the one form every reader decodes.
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
        assert_eq!(
            render_list("To", &[mb(None, "a@x.org"), mb(Some(""), "b@x.org")]).unwrap(),
            "To: a@x.org, b@x.org\r\n"
        );
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
