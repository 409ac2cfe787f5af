//! EHLO capabilities (RFC 5321 section 4.1.1.1 and the extension RFCs).

use crate::protocol::reply::Reply;

/// What the server advertised in its EHLO reply. Keywords are compared
/// case-insensitively; odd lines (empty text, a last line `250 ` with no keyword,
/// stray spaces) are tolerated and ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extensions {
    // implementation detail: upper-cased keyword -> its parameters
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
        todo!()
    }

    /// Whether `keyword` (any case) was advertised.
    pub fn has(&self, keyword: &str) -> bool {
        todo!()
    }

    /// The parameters of `keyword`, if advertised.
    pub fn params(&self, keyword: &str) -> Option<&[String]> {
        todo!()
    }

    /// The SIZE limit in bytes; `None` when SIZE is absent, has no value, is 0
    /// (no fixed limit) or is not a number.
    pub fn size_limit(&self) -> Option<u64> {
        todo!()
    }

    /// The advertised AUTH mechanisms, upper-cased, in the server's order, without
    /// duplicates.
    pub fn auth_mechanisms(&self) -> Vec<String> {
        todo!()
    }
}
