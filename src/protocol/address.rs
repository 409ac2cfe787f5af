//! Mailbox checks for envelope addresses (RFC 5321 section 4.1.2, RFC 6531).

use crate::error::{Error, Result};

/// Longest accepted address in bytes (RFC 5321 path limit less the angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;

/// How many characters of a refused value an error message shows.
const SHOWN_CHARS: usize = 60;

/// Checks an envelope address (`local@domain`, no angle brackets). `what` names it
/// in the error ("sender", "recipient 3", ...). Refused with
/// [`crate::ErrorKind::InvalidArgument`]: empty, longer than [`MAX_ADDRESS_LEN`],
/// CR/LF/NUL or other control characters, `<`, `>`, white space outside a quoted
/// local part, no `@`, an empty local part or domain.
///
/// The local part may be a quoted string (`"john doe"@example.com`); the address
/// may contain UTF-8 (see [`needs_smtputf8`]). An `@` in the domain is refused too.
pub fn check_address(address: &str, what: &str) -> Result<()> {
    let fail = |reason: &str| {
        Err(Error::invalid(format!(
            "{what}: invalid address {}: {reason}",
            quote_value(address)
        )))
    };
    if address.is_empty() {
        return Err(Error::invalid(format!("{what}: the address is empty")));
    }
    if address.len() > MAX_ADDRESS_LEN {
        return fail(&format!(
            "longer than {MAX_ADDRESS_LEN} bytes ({})",
            address.len()
        ));
    }
    if let Some(c) = address.chars().find(|c| c.is_control()) {
        return fail(&format!(
            "contains the control character {}",
            c.escape_unicode()
        ));
    }
    if address.contains(['<', '>']) {
        return fail("contains '<' or '>' (give the address without angle brackets)");
    }
    let (local, domain) = match split_at_at(address) {
        Ok(parts) => parts,
        Err(reason) => return fail(reason),
    };
    if local.is_empty() {
        return fail("the local part before '@' is empty");
    }
    if domain.is_empty() {
        return fail("the domain after '@' is empty");
    }
    if domain.contains('@') {
        return fail("more than one '@' outside a quoted local part");
    }
    // A quoted local part may hold spaces; nothing else may.
    if outside_quoted_local_part(address).contains(char::is_whitespace) {
        return fail("contains white space");
    }
    Ok(())
}

/// Splits at the `@` that ends the local part, skipping over a quoted local part
/// (which may itself contain `@` and escaped quotes).
pub(crate) fn split_at_at(address: &str) -> std::result::Result<(&str, &str), &'static str> {
    let end_of_local = if let Some(quoted) = address.strip_prefix('"') {
        let mut escaped = false;
        let close = quoted.char_indices().find_map(|(i, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes.then_some(i)
        });
        let Some(close) = close else {
            return Err("the quoted local part has no closing '\"'");
        };
        // 1 for the opening quote, 1 for the closing one.
        let end = close + 2;
        if !address[end..].starts_with('@') {
            return Err("a quoted local part must be followed by '@'");
        }
        end
    } else {
        address.find('@').ok_or("has no '@'")?
    };
    Ok((&address[..end_of_local], &address[end_of_local + 1..]))
}

/// The part of `address` after a leading, properly closed quoted local part (the
/// whole address when it has none): where white space is not allowed.
pub(crate) fn outside_quoted_local_part(address: &str) -> &str {
    match split_at_at(address) {
        Ok((local, _)) if local.starts_with('"') => &address[local.len()..],
        _ => address,
    }
}

/// Whether the address needs SMTPUTF8 (contains non-ASCII characters).
pub fn needs_smtputf8(address: &str) -> bool {
    !address.is_ascii()
}

/// A refused value, quoted for an error message: at most [`SHOWN_CHARS`]
/// characters, letters and digits of any script kept, every other non-printable or
/// non-ASCII character (controls, bidi marks, ...) escaped as `\u{..}`.
pub(crate) fn quote_value(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars().take(SHOWN_CHARS) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            ' '..='~' => out.push(c),
            c if c.is_alphanumeric() => out.push(c),
            c => out.extend(c.escape_unicode()),
        }
    }
    out.push('"');
    if value.chars().nth(SHOWN_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn refused(address: &str) -> String {
        let err = check_address(address, "recipient 2").expect_err(address);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(
            err.message().starts_with("recipient 2: "),
            "{}",
            err.message()
        );
        assert!(
            !err.message().contains(['\r', '\n', '\0']),
            "{:?}",
            err.message()
        );
        err.message().to_string()
    }

    #[test]
    fn accepts_ordinary_addresses() {
        for a in [
            "a@b",
            "user@example.com",
            "first.last+tag@sub.example.co.uk",
            "user@[192.0.2.1]",
            "user@[IPv6:2001:db8::1]",
            "Postmaster@example.com",
            "o'brien@example.ie",
        ] {
            check_address(a, "sender").unwrap_or_else(|e| panic!("{a}: {e}"));
        }
    }

    #[test]
    fn accepts_utf8_addresses() {
        check_address("用户@例子.测试", "sender").unwrap();
        check_address("josé@bücher.example", "sender").unwrap();
        assert!(needs_smtputf8("用户@例子.测试"));
        assert!(needs_smtputf8("josé@example.com"));
        assert!(!needs_smtputf8("jose@example.com"));
        assert!(!needs_smtputf8(""));
    }

    #[test]
    fn accepts_quoted_local_parts() {
        for a in [
            "\"john doe\"@example.com",
            "\"a@b\"@example.com",
            "\"with \\\" quote\"@example.com",
            "\"back\\\\\"@example.com",
            "\"\"@example.com",
        ] {
            check_address(a, "sender").unwrap_or_else(|e| panic!("{a}: {e}"));
        }
    }

    #[test]
    fn refuses_malformed_quoted_local_parts() {
        assert!(refused("\"john doe@example.com").contains("closing"));
        assert!(refused("\"john\"doe@example.com").contains("followed by '@'"));
        assert!(refused("\"ends in escape\\\"@example.com").contains("closing"));
        // Spaces are only allowed inside the quotes.
        assert!(refused("\"john\"@exa mple.com").contains("white space"));
    }

    #[test]
    fn refuses_angle_brackets() {
        assert!(refused("a@b>").contains("'<' or '>'"));
        refused("<a@b>");
        refused("\"<x>\"@b");
    }

    #[test]
    fn refuses_white_space() {
        for a in [
            "a b@c",
            "a@b c",
            " a@b",
            "a@b ",
            "a\u{3000}b@c",
            "a@b\u{a0}",
        ] {
            assert!(refused(a).contains("white space"), "{a:?}");
        }
    }

    #[test]
    fn refuses_injection_and_controls() {
        let msg = refused("a@b\r\nRCPT TO:<x>");
        assert!(msg.contains("control character"), "{msg}");
        assert!(msg.contains("\\r\\n"), "value shown escaped: {msg}");
        for a in ["a@b\n", "a\0@b", "a@b\x1b", "a@b\x7f", "a@b\u{85}", "a\t@b"] {
            assert!(refused(a).contains("control character"), "{a:?}");
        }
    }

    #[test]
    fn refuses_missing_parts() {
        assert!(refused("").contains("empty"));
        assert!(refused("ab").contains("no '@'"));
        assert!(refused("@b").contains("local part"));
        assert!(refused("a@").contains("domain"));
        assert!(refused("@").contains("local part"));
        assert!(refused("a@b@c").contains("more than one '@'"));
    }

    #[test]
    fn length_limit_is_in_bytes() {
        let domain = "@example.com";
        let ok = format!("{}{domain}", "a".repeat(MAX_ADDRESS_LEN - domain.len()));
        assert_eq!(ok.len(), MAX_ADDRESS_LEN);
        check_address(&ok, "sender").unwrap();
        let long = format!("a{ok}");
        let msg = refused(&long);
        assert!(msg.contains("254"), "{msg}");
        assert!(msg.contains("..."), "long value truncated: {msg}");
        assert!(msg.len() < 200, "{msg}");
        // 85 three-byte characters: few characters, too many bytes.
        let wide = format!("{}@b", "用".repeat(85));
        assert!(refused(&wide).contains("longer than"));
    }

    #[test]
    fn quote_value_escapes() {
        assert_eq!(quote_value("a@b"), "\"a@b\"");
        assert_eq!(quote_value("用户@例子"), "\"用户@例子\"");
        assert_eq!(quote_value("a\r\n\0\t\"\\"), r#""a\r\n\0\t\"\\""#);
        assert_eq!(quote_value("x\u{202e}y\u{7f}"), "\"x\\u{202e}y\\u{7f}\"");
        assert_eq!(
            quote_value(&"z".repeat(61)),
            format!("\"{}\"...", "z".repeat(60))
        );
        assert_eq!(
            quote_value(&"z".repeat(60)),
            format!("\"{}\"", "z".repeat(60))
        );
    }
}
