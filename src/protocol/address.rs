//! Mailbox checks for envelope addresses (RFC 5321 section 4.1.2, RFC 6531).

use crate::error::{Error, Result};

/// Longest accepted address in bytes (RFC 5321 path limit less the angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;

/// How many characters of a refused value an error message shows.
const SHOWN_CHARS: usize = 60;

/// Checks an envelope address (`local@domain`, no angle brackets): an RFC 5321
/// Mailbox (section 4.1.2), with the UTF-8 of RFC 6531. `what` names it in the
/// error ("sender", "recipient 3", ...). Refused with
/// [`crate::ErrorKind::InvalidArgument`], the error saying which part is wrong and
/// why: empty, longer than [`MAX_ADDRESS_LEN`], CR/LF/NUL or other control
/// characters, `<`, `>`, white space outside a quoted local part, no `@`, an empty
/// local part or domain, and anything that is not
///
/// - a local part that is a Dot-string (atoms of letters, digits and
///   ``!#$%&'*+-/=?^_`{|}~`` — or any non-ASCII character — joined by single
///   dots) or a Quoted-string (`"john doe"@example.com`; inside the quotes any
///   printable character, `"` and `\` escaped with `\`);
/// - a domain of labels of letters, digits and hyphens (not at either end of a
///   label, at most 63 bytes), joined by single dots, where a label may be a
///   U-label (non-ASCII letters); or an address literal `[192.0.2.1]` or
///   `[IPv6:2001:db8::1]`.
///
/// So RFC 5322 specials such as `,` `;` `:` `(` `)` `[` `]` `\` `"` outside a
/// quoted local part, which a header parser would read as list separators,
/// groups or comments, are refused. An `@` in the domain is refused too. The
/// domain's U-labels are not checked against the IDNA tables: that is the
/// server's (and the DNS's) job; what could change how the path is read is
/// refused here.
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
    if let Err(reason) = check_local_part(local) {
        return fail(&format!("the local part {reason}"));
    }
    if let Err(reason) = check_domain(domain) {
        return fail(&format!("the domain {reason}"));
    }
    Ok(())
}

/// Checks a name for EHLO/HELO (RFC 5321 section 4.1.1.1): a domain in ASCII (an
/// international name as its A-labels, since SMTPUTF8 is not yet negotiated) or
/// an address literal. `INVALID_ARGUMENT` says what is wrong.
pub fn check_helo_name(name: &str) -> Result<()> {
    let fail = |reason: &str| {
        Err(Error::invalid(format!(
            "invalid EHLO name {}: {reason}",
            quote_value(name)
        )))
    };
    if name.is_empty() {
        return Err(Error::invalid("the EHLO name is empty"));
    }
    if name.len() > 255 {
        return fail("longer than 255 bytes");
    }
    if !name.is_ascii() {
        return fail("not ASCII (give an international name as its A-labels, xn--...)");
    }
    match check_domain(name) {
        Ok(()) => Ok(()),
        Err(why) => fail(&format!("the name {why}")),
    }
}

/// RFC 5321 atext, with RFC 6531's UTF8-non-ascii (control and white space
/// characters are refused before this is asked).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// Checks a local part: Dot-string or Quoted-string. The error completes "the
/// local part ...".
fn check_local_part(local: &str) -> std::result::Result<(), String> {
    if let Some(quoted) = local.strip_prefix('"') {
        // split_at_at found the closing quote: the last character.
        let inner = &quoted[..quoted.len() - 1];
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                // quoted-pairSMTP: a backslash and one printable ASCII character.
                match chars.next() {
                    Some(' '..='~') => {}
                    _ => {
                        return Err("is a quoted local part with a backslash that is not \
                                    followed by a printable ASCII character"
                            .to_string())
                    }
                }
            }
        }
        return Ok(());
    }
    if let Some(c) = local.chars().find(|&c| c != '.' && !is_atext(c)) {
        return Err(format!(
            "contains '{c}', which is allowed only inside a quoted local part \
             (\"...\"@domain)"
        ));
    }
    if local.split('.').any(str::is_empty) {
        return Err(
            "starts or ends with '.' or has two '.' in a row (allowed only inside a \
             quoted local part)"
                .to_string(),
        );
    }
    Ok(())
}

/// Longest DNS label in bytes (RFC 1035 section 2.3.4).
const MAX_LABEL: usize = 63;

/// Non-ASCII characters a U-label never holds: the dots IDNA maps to '.', and
/// invisible format characters (soft hyphen, zero-width and bidi controls, BOM)
/// that would make the address read differently from what it is.
fn is_forbidden_in_u_label(c: char) -> bool {
    matches!(
        c,
        '\u{3002}' | '\u{ff0e}' | '\u{ff61}' | '\u{ad}' | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}'
            | '\u{feff}' | '\u{fffd}'
    )
}

/// Checks a domain: sub-domains or an address literal. The error completes "the
/// domain ...".
fn check_domain(domain: &str) -> std::result::Result<(), String> {
    if let Some(literal) = domain.strip_prefix('[') {
        let Some(inner) = literal.strip_suffix(']') else {
            return Err("starts with '[' but does not end with ']'".to_string());
        };
        return check_address_literal(inner);
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(
                "has an empty label (starts or ends with '.' or has two '.' in a row)".to_string(),
            );
        }
        if let Some(c) = label.chars().find(|&c| {
            if c.is_ascii() {
                !(c.is_ascii_alphanumeric() || c == '-')
            } else {
                is_forbidden_in_u_label(c)
            }
        }) {
            let code = if c.is_ascii() {
                String::new()
            } else {
                format!(" (U+{:04X})", u32::from(c))
            };
            return Err(format!(
                "contains '{c}'{code} (a domain is letters, digits, '-' and '.', or an \
                 address literal such as [192.0.2.1])"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("has a label that starts or ends with '-'".to_string());
        }
        if label.is_ascii() && label.len() > MAX_LABEL {
            return Err(format!("has a label longer than {MAX_LABEL} bytes"));
        }
    }
    Ok(())
}

/// Checks what is between the brackets of an address literal.
fn check_address_literal(inner: &str) -> std::result::Result<(), String> {
    const IPV6: &str = "IPv6:";
    if inner.len() >= IPV6.len() && inner[..IPV6.len()].eq_ignore_ascii_case(IPV6) {
        let addr = &inner[IPV6.len()..];
        return addr
            .parse::<std::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| "is an address literal whose IPv6 address is not valid".to_string());
    }
    if inner.contains(':') || inner.is_empty() {
        return Err(
            "is an address literal that is neither [IPv4 address] nor [IPv6:address]".to_string(),
        );
    }
    let octets: Vec<&str> = inner.split('.').collect();
    let snum = |s: &&str| {
        !s.is_empty()
            && s.len() <= 3
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u16>().is_ok_and(|n| n <= 255)
    };
    if octets.len() != 4 || !octets.iter().all(snum) {
        return Err("is an address literal whose IPv4 address is not valid".to_string());
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
    fn refuses_rfc5322_specials_in_the_local_part() {
        // Each of these was accepted and written bare into To:, where a header
        // parser reads several addresses (or none) out of it.
        for (a, shown) in [
            ("x,victim@example.com", "','"),
            ("a;b@example.com", "';'"),
            (":@J", "':'"),
            ("a(b)@example.com", "'('"),
            ("a)b@example.com", "')'"),
            ("a[b@example.com", "'['"),
            ("a]b@example.com", "']'"),
            ("a\\b@example.com", "'\\'"),
            ("a\"b@example.com", "'\"'"),
        ] {
            let msg = refused(a);
            assert!(msg.contains("local part"), "{a}: {msg}");
            assert!(
                msg.contains(shown),
                "{a}: names the character {shown}: {msg}"
            );
        }
        for a in [
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            ".@example.com",
        ] {
            let msg = refused(a);
            assert!(
                msg.contains("local part") && msg.contains("'.'"),
                "{a}: {msg}"
            );
        }
    }

    #[test]
    fn helo_names_are_domains_or_address_literals() {
        for good in [
            "mail.example.com",
            "localhost",
            "[192.0.2.1]",
            "[IPv6:2001:db8::1]",
            "a-b.c",
        ] {
            check_helo_name(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in [
            "a@b",
            "bad;name<>",
            "",
            "x y",
            "m\u{e4}il.example",
            "-a.b",
            "a..b",
            "[1.2.3]",
        ] {
            let e = check_helo_name(bad).expect_err(bad);
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn refuses_malformed_domains() {
        for (a, why) in [
            ("user@exa(mple.test", "'('"),
            ("user@exa)mple.test", "')'"),
            ("user@a,b.test", "','"),
            ("user@a;b.test", "';'"),
            ("user@a:b", "':'"),
            ("user@a\"b", "'\"'"),
            ("user@a_b.test", "'_'"),
            ("user@a!b.test", "'!'"),
            ("user@-a.test", "'-'"),
            ("user@a-.test", "'-'"),
            ("user@a..test", "empty label"),
            ("user@.a.test", "empty label"),
            ("user@a.test.", "empty label"),
            ("user@a[b]", "'['"),
            ("user@[192.0.2.1", "']'"),
            ("user@[192.0.2]", "IPv4"),
            ("user@[192.0.2.256]", "IPv4"),
            ("user@[192.0.2.1.5]", "IPv4"),
            ("user@[IPv6:2001:db8::zz]", "IPv6"),
            ("user@[IPv6:192.0.2.1]", "IPv6"),
            ("user@[tag:value]", "address literal"),
            ("user@[]", "address literal"),
            ("user@[1.2.3.4]x", "']'"),
            ("user@例子。测试", "'。'"),
        ] {
            let msg = refused(a);
            assert!(msg.contains("domain"), "{a}: {msg}");
            assert!(msg.contains(why), "{a}: says {why}: {msg}");
        }
        let label = "a".repeat(64);
        assert!(refused(&format!("user@{label}.test")).contains("63"));
        check_address(&format!("user@{}.test", "a".repeat(63)), "sender").unwrap();
    }

    #[test]
    fn accepts_every_rfc5321_form() {
        for a in [
            "!#$%&'*+-/=?^_`{|}~@example.com",
            "a.b.c@example.com",
            "user@a-b.example",
            "user@a--b.example",
            "user@1example.com",
            "user@123",
            "user@x",
            "user@[0.0.0.0]",
            "user@[255.255.255.255]",
            "user@[IPv6:::1]",
            "user@[IPv6:::ffff:192.0.2.1]",
            "user@[ipv6:2001:DB8::1]",
            "\"a,b;c:d(e)f[g]h\"@example.com",
            "\"a..b\"@example.com",
            "\".a\"@example.com",
            "用户.名@例子.测试",
            "\"用 户\"@例子.测试",
            "अजय@डाटा.भारत",
            "user@xn--fsqu00a.xn--0zwm56d",
        ] {
            check_address(a, "sender").unwrap_or_else(|e| panic!("{a}: {e}"));
        }
    }

    #[test]
    fn refuses_bad_quoted_pairs() {
        // quoted-pairSMTP is a backslash and printable ASCII (RFC 5321 4.1.2).
        assert!(refused("\"a\\é\"@example.com").contains("quoted local part"));
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
