//! EHLO capabilities (RFC 5321 section 4.1.1.1 and the extension RFCs).

use crate::protocol::reply::Reply;
use std::collections::BTreeMap;

/// The most AUTH mechanisms taken from one EHLO reply (servers offer a handful).
pub const MAX_AUTH_MECHANISMS: usize = 32;

/// What the server advertised in its EHLO reply. Keywords are compared
/// case-insensitively; odd lines (empty text, a last line `250 ` with no keyword,
/// stray spaces) are tolerated and ignored.
///
/// Memory stays in line with the reply: each keyword keeps its parameters as one
/// string, never one allocation per parameter (a 4 MB reply of one-letter
/// parameters would otherwise cost 30 times its size).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extensions {
    /// Upper-cased keyword -> its parameters as sent, joined by single spaces. A
    /// keyword advertised on several lines gets the parameters of all of them, in
    /// order.
    keywords: BTreeMap<String, String>,
}

impl Extensions {
    /// No extensions (after HELO, or before EHLO).
    pub fn none() -> Extensions {
        Extensions::default()
    }

    /// Parses a positive EHLO reply: the first line is the server's greeting; every
    /// further line is `KEYWORD [param ...]`. The old `AUTH=PLAIN LOGIN` form counts
    /// as AUTH.
    pub fn from_ehlo(reply: &Reply) -> Extensions {
        let mut keywords: BTreeMap<String, String> = BTreeMap::new();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split_ascii_whitespace();
            let Some(first) = words.next() else {
                continue;
            };
            // Pre-RFC 4954 servers write `AUTH=LOGIN PLAIN`; keywords never contain
            // '=', so splitting on it is safe for every keyword.
            let (keyword, glued) = match first.split_once('=') {
                Some((k, p)) => (k, Some(p).filter(|p| !p.is_empty())),
                None => (first, None),
            };
            if keyword.is_empty() {
                continue;
            }
            let params = keywords.entry(keyword.to_ascii_uppercase()).or_default();
            for word in glued.into_iter().chain(words) {
                if !params.is_empty() {
                    params.push(' ');
                }
                params.push_str(word);
            }
        }
        for params in keywords.values_mut() {
            params.shrink_to_fit();
        }
        Extensions { keywords }
    }

    /// Whether `keyword` (any case) was advertised.
    pub fn has(&self, keyword: &str) -> bool {
        // Keywords are stored upper-cased; the library's own lookups already are.
        if keyword.bytes().any(|b| b.is_ascii_lowercase()) {
            self.keywords.contains_key(&keyword.to_ascii_uppercase())
        } else {
            self.keywords.contains_key(keyword)
        }
    }

    /// The parameters of `keyword`, if advertised (none: an empty iterator).
    pub fn params(&self, keyword: &str) -> Option<impl Iterator<Item = &str> + '_> {
        self.keywords
            .get(&keyword.to_ascii_uppercase())
            .map(|p| p.split(' ').filter(|w| !w.is_empty()))
    }

    /// The SIZE limit in bytes; `None` when SIZE is absent, has no value, is 0
    /// (no fixed limit) or is not a number.
    pub fn size_limit(&self) -> Option<u64> {
        self.params("SIZE")?
            .next()?
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
    }

    /// The advertised AUTH mechanisms, upper-cased, in the server's order, without
    /// duplicates. Only names a mechanism can have (RFC 4422: at most 20
    /// characters) are kept, and at most [`MAX_AUTH_MECHANISMS`] of them, so a
    /// hostile reply can make this neither large nor slow.
    pub fn auth_mechanisms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for mechanism in self.params("AUTH").into_iter().flatten() {
            if mechanism.len() > 20 {
                continue;
            }
            let upper = mechanism.to_ascii_uppercase();
            if !out.contains(&upper) {
                out.push(upper);
                if out.len() == MAX_AUTH_MECHANISMS {
                    break;
                }
            }
        }
        out
    }

    /// The advertised keywords, upper-cased, in alphabetical order (for logs).
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.keywords.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(ext: &'a Extensions, keyword: &str) -> Option<Vec<&'a str>> {
        ext.params(keyword).map(Iterator::collect)
    }

    fn ehlo(lines: &[&str]) -> Extensions {
        Extensions::from_ehlo(&Reply::new(
            250,
            lines.iter().map(|l| l.to_string()).collect(),
        ))
    }

    #[test]
    fn typical_postfix_reply() {
        let ext = ehlo(&[
            "mail.example.com",
            "PIPELINING",
            "SIZE 10240000",
            "VRFY",
            "ETRN",
            "STARTTLS",
            "AUTH PLAIN LOGIN",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "DSN",
            "SMTPUTF8",
            "CHUNKING",
        ]);
        assert!(ext.has("STARTTLS"));
        assert!(ext.has("pipelining"));
        assert!(ext.has("8bitmime"));
        assert!(!ext.has("BINARYMIME"));
        assert_eq!(ext.size_limit(), Some(10_240_000));
        assert_eq!(ext.auth_mechanisms(), vec!["PLAIN", "LOGIN"]);
        assert_eq!(params(&ext, "size"), Some(vec!["10240000"]));
        assert_eq!(params(&ext, "DSN"), Some(vec![]));
        assert_eq!(params(&ext, "XCLIENT"), None);
        assert_eq!(ext.keywords().count(), 11);
    }

    #[test]
    fn first_line_is_the_greeting_not_a_keyword() {
        let ext = ehlo(&["STARTTLS greets you"]);
        assert!(!ext.has("STARTTLS"));
        assert_eq!(ext, Extensions::none());
    }

    #[test]
    fn keywords_are_case_insensitive_and_stored_upper_case() {
        let ext = ehlo(&["mx", "starttls", "Auth login Plain", "size 100"]);
        assert!(ext.has("STARTTLS") && ext.has("StartTLS"));
        assert_eq!(
            ext.keywords().collect::<Vec<_>>(),
            ["AUTH", "SIZE", "STARTTLS"]
        );
        assert_eq!(ext.auth_mechanisms(), vec!["LOGIN", "PLAIN"]);
        assert_eq!(ext.size_limit(), Some(100));
        // Parameters other than AUTH's are kept as sent.
        assert_eq!(params(&ext, "AUTH").unwrap(), ["login", "Plain"]);
    }

    #[test]
    fn odd_lines_are_tolerated() {
        let ext = ehlo(&[
            "mx.example",
            "",
            "   ",
            "  PIPELINING  ",
            "\tDSN\t",
            "SIZE   2048  ",
            "=",
            "=PLAIN",
            "",
        ]);
        assert!(ext.has("PIPELINING"));
        assert!(ext.has("DSN"));
        assert_eq!(ext.size_limit(), Some(2048));
        assert_eq!(
            ext.keywords().collect::<Vec<_>>(),
            ["DSN", "PIPELINING", "SIZE"]
        );
    }

    #[test]
    fn old_auth_equals_form() {
        let ext = ehlo(&["mx", "AUTH=LOGIN PLAIN"]);
        assert!(ext.has("AUTH"));
        assert_eq!(ext.auth_mechanisms(), vec!["LOGIN", "PLAIN"]);

        let ext = ehlo(&["mx", "AUTH=", "STARTTLS"]);
        assert!(ext.has("AUTH"));
        assert!(ext.auth_mechanisms().is_empty());
    }

    #[test]
    fn auth_on_two_lines_is_merged_without_duplicates() {
        let ext = ehlo(&[
            "mx",
            "AUTH LOGIN PLAIN CRAM-MD5",
            "AUTH=login plain XOAUTH2",
        ]);
        assert_eq!(
            ext.auth_mechanisms(),
            vec!["LOGIN", "PLAIN", "CRAM-MD5", "XOAUTH2"]
        );
    }

    #[test]
    fn size_values() {
        assert_eq!(ehlo(&["mx", "SIZE"]).size_limit(), None);
        assert_eq!(ehlo(&["mx", "SIZE 0"]).size_limit(), None);
        assert_eq!(ehlo(&["mx", "SIZE big"]).size_limit(), None);
        assert_eq!(ehlo(&["mx", "SIZE -5"]).size_limit(), None);
        assert_eq!(ehlo(&["mx", "SIZE 1"]).size_limit(), Some(1));
        assert_eq!(
            ehlo(&["mx", "SIZE 18446744073709551615"]).size_limit(),
            Some(u64::MAX)
        );
        assert_eq!(
            ehlo(&["mx", "SIZE 18446744073709551616"]).size_limit(),
            None
        );
        assert!(ehlo(&["mx", "SIZE"]).has("SIZE"));
        assert_eq!(ehlo(&["mx"]).size_limit(), None);
    }

    #[test]
    fn no_extensions() {
        let ext = Extensions::none();
        assert!(!ext.has("AUTH"));
        assert!(ext.auth_mechanisms().is_empty());
        assert_eq!(ext.size_limit(), None);
        assert_eq!(params(&ext, "SIZE"), None);
        assert_eq!(ehlo(&[]), Extensions::none());
    }

    #[test]
    fn from_parsed_wire_reply() {
        use crate::protocol::reply::ReplyParser;
        let wire = b"250-mx.example.com Hello\r\n250-auth=plain\r\n250-SIZE 512\r\n250 \r\n";
        let (_, reply) = ReplyParser::new().parse(wire).unwrap();
        let ext = Extensions::from_ehlo(&reply.unwrap());
        assert_eq!(ext.auth_mechanisms(), vec!["PLAIN"]);
        assert_eq!(ext.size_limit(), Some(512));
        assert!(!ext.has("HELLO"));
        assert_eq!(ext.keywords().count(), 2);
    }
}
