//! Content-Type and Content-Disposition of attached and inline files: the caller's
//! content type checked, file names as RFC 2231 parameters (`filename*`) for
//! standard readers and an RFC 2047 `name=` for older ones (Outlook, some webmail).

use super::header::{check_header_text, HeaderBuilder, MAX_LINE};
use super::rfc2047;
use crate::error::{Error, Result};

/// RFC 2045 token characters: printable ASCII except tspecials.
fn is_token_char(c: char) -> bool {
    matches!(c, '!'..='~') && !"()<>@,;:\\\"/[]?=".contains(c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// What [`check_content_type`] learned about a content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentTypeInfo {
    /// The caller gave a `name` parameter (then none is added).
    pub has_name: bool,
    /// The content type as it is written: the input without the space and tab
    /// around it and without a trailing `;` — exactly what was checked.
    pub value: String,
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Checks `type/subtype` with optional `; attribute=value` parameters (token or
/// quoted-string values). Multipart types are refused: an attached file is sent in
/// base64, which multipart may not use (RFC 2045 section 6.4).
///
/// Only printable ASCII, space and tab are allowed anywhere (RFC 2045 has no
/// other characters in a content type); space and tab around the value and a
/// trailing `;` are dropped, and nothing else: other white space (form feed,
/// no-break space, line separator...) is refused rather than trimmed, so the
/// value written is the value checked.
pub fn check_content_type(content_type: &str) -> Result<ContentTypeInfo> {
    check_header_text(content_type, "content type")?;
    let bad = |why: &str| {
        Err(Error::invalid(format!(
            "content type {:?} is not valid: {why}",
            content_type
        )))
    };
    if let Some(c) = content_type
        .chars()
        .find(|&c| !matches!(c, ' '..='~' | '\t'))
    {
        return bad(&format!(
            "contains {}: only printable ASCII, space and tab are allowed",
            c.escape_unicode()
        ));
    }
    let value = content_type.trim_matches(is_wsp);
    let value = value
        .strip_suffix(';')
        .map_or(value, |v| v.trim_end_matches(is_wsp));
    let (media, mut params) = match value.split_once(';') {
        Some((m, p)) => (m.trim_matches(is_wsp), Some(p)),
        None => (value, None),
    };
    let Some((kind, subtype)) = media.split_once('/') else {
        return bad("expected type/subtype");
    };
    if !is_token(kind) || !is_token(subtype) {
        return bad("type and subtype must be tokens");
    }
    if kind.eq_ignore_ascii_case("multipart") {
        return bad("a multipart type cannot be attached as a file");
    }
    let mut info = ContentTypeInfo {
        has_name: false,
        value: value.to_string(),
    };
    while let Some(rest) = params {
        let rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            break;
        }
        let Some((attribute, value)) = rest.split_once('=') else {
            return bad("a parameter must be attribute=value");
        };
        let attribute = attribute.trim_end_matches([' ', '\t']);
        if !is_token(attribute) {
            return bad("a parameter name must be a token");
        }
        info.has_name |= attribute.eq_ignore_ascii_case("name");
        let value = value.trim_start_matches([' ', '\t']);
        let after = if let Some(quoted) = value.strip_prefix('"') {
            match quoted_string_end(quoted) {
                Some(end) => &quoted[end..],
                None => return bad("unterminated quoted string"),
            }
        } else {
            let end = value.find(|c| !is_token_char(c)).unwrap_or(value.len());
            if end == 0 {
                return bad("a parameter value must be a token or a quoted string");
            }
            &value[end..]
        };
        let after = after.trim_start_matches([' ', '\t']);
        params = match after.strip_prefix(';') {
            Some(next) => Some(next),
            None if after.is_empty() => None,
            None => return bad("expected ';' between parameters"),
        };
    }
    Ok(info)
}

/// Index just past the closing quote of a quoted string whose opening quote has
/// been removed; `None` when it is not closed or holds a control character.
fn quoted_string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if c.is_control() && c != '\t' {
            return None;
        }
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// A file name fit for a plain quoted-string parameter: printable ASCII without
/// quotes or backslashes (which some readers unescape wrongly), nothing that looks
/// like an encoded-word, and short enough for one line.
fn is_simple_name(name: &str, param: &str) -> bool {
    name.chars()
        .all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\')
        && !rfc2047::looks_encoded(name)
        // ' ' + param + '="' + name + '"'
        && param.len() + name.len() + 4 <= MAX_LINE
}

/// RFC 2231 attribute-char: token characters except '*', '\'' and '%'.
fn is_attribute_char(c: char) -> bool {
    is_token_char(c) && !"*'%".contains(c)
}

/// Percent-encodes one character per RFC 2231 (UTF-8 bytes as %XX).
fn push_percent_encoded(c: char, out: &mut String) {
    if is_attribute_char(c) {
        out.push(c);
        return;
    }
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        out.push('%');
        out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
    }
}

/// Appends the `filename` parameter: quoted when simple, else RFC 2231
/// `filename*=UTF-8''...`, split into `filename*0*=`, `filename*1*=`... when a line
/// would pass 76 characters. Segments hold whole characters, so readers that decode
/// each segment on its own still get valid UTF-8.
fn push_filename(header: &mut HeaderBuilder, name: &str) {
    if is_simple_name(name, "filename") {
        header.atom(" ", &format!("filename=\"{name}\""));
        return;
    }
    let encoded: Vec<String> = name
        .chars()
        .map(|c| {
            let mut s = String::new();
            push_percent_encoded(c, &mut s);
            s
        })
        .collect();
    let whole: usize = encoded.iter().map(String::len).sum();
    let single = "filename*=UTF-8''";
    if 1 + single.len() + whole <= MAX_LINE {
        header.atom(" ", &format!("{single}{}", encoded.concat()));
        return;
    }
    let mut segments: Vec<String> = Vec::new();
    let mut current = String::new();
    for piece in &encoded {
        let prefix_len = if segments.is_empty() {
            "filename*0*=UTF-8''".len()
        } else {
            format!("filename*{}*=", segments.len()).len()
        };
        // " " + prefix + value + ";" on one line
        if !current.is_empty() && 1 + prefix_len + current.len() + piece.len() + 1 > MAX_LINE {
            segments.push(std::mem::take(&mut current));
        }
        current.push_str(piece);
    }
    segments.push(current);
    let last = segments.len() - 1;
    for (i, value) in segments.iter().enumerate() {
        let charset = if i == 0 { "UTF-8''" } else { "" };
        let semicolon = if i < last { ";" } else { "" };
        header.atom(" ", &format!("filename*{i}*={charset}{value}{semicolon}"));
    }
}

/// `Content-Type: <type>; name="..."` with its CRLF (the content type checked).
pub fn content_type_header(content_type: &str, name: Option<&str>) -> Result<String> {
    let info = check_content_type(content_type)?;
    let mut header = HeaderBuilder::new("Content-Type");
    // Without the trailing ';' (allowed above), which would double the one
    // written before name=.
    let content_type = info.value.as_str();
    match name {
        Some(name) if !info.has_name => {
            header.atom(" ", &format!("{content_type};"));
            if is_simple_name(name, "name") {
                header.atom(" ", &format!("name=\"{name}\""));
            } else {
                header.encoded(" ", "name=\"", name, "\"");
            }
        }
        _ => header.atom(" ", content_type),
    }
    header.finish("Content-Type")
}

/// `Content-Disposition: <disposition>; filename...` with its CRLF.
pub fn disposition_header(disposition: &str, name: Option<&str>) -> Result<String> {
    let mut header = HeaderBuilder::new("Content-Disposition");
    match name {
        Some(name) => {
            header.atom(" ", &format!("{disposition};"));
            push_filename(&mut header, name);
        }
        None => header.atom(" ", disposition),
    }
    header.finish("Content-Disposition")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::header::tests::decode_words;

    fn lines(s: &str) -> Vec<&str> {
        s.trim_end_matches("\r\n").split("\r\n").collect()
    }

    /// Reassembles an RFC 2231 filename the way a reader does.
    fn decode_2231(header: &str) -> String {
        let unfolded = header.replace("\r\n", "");
        if let Some(start) = unfolded.find("filename=\"") {
            let rest = &unfolded[start + 10..];
            return rest[..rest.find('"').unwrap()].to_string();
        }
        let mut bytes = Vec::new();
        for param in unfolded.split(';').map(str::trim) {
            let Some((attr, value)) = param.split_once('=') else {
                continue;
            };
            if !attr.starts_with("filename*") {
                continue;
            }
            let value = value.strip_prefix("UTF-8''").unwrap_or(value);
            let b = value.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                    bytes.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                } else {
                    bytes.push(b[i]);
                    i += 1;
                }
            }
        }
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn content_types() {
        for ok in [
            "application/pdf",
            "text/plain; charset=iso-8859-1",
            "text/plain;charset=\"utf-8\"; format=flowed",
            "application/vnd.ms-excel",
            "image/svg+xml",
            "text/csv;",
        ] {
            assert!(check_content_type(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "pdf",
            "application/",
            "/pdf",
            "application/pdf\r\nBcc: x@y",
            "text/plain; charset",
            "text/plain; charset=\"open",
            "text/plain; a=b c=d",
            "multipart/mixed",
            "appli cation/pdf",
            "application/pdf/x",
        ] {
            assert!(check_content_type(bad).is_err(), "{bad}");
        }
        assert!(check_content_type("text/plain; NAME=x").unwrap().has_name);
    }

    #[test]
    fn content_types_with_other_white_space_are_refused() {
        // trim() would drop these before the check, and the header would then carry
        // them: refused instead, whatever the position.
        for ws in [
            "\x0c", "\x0b", "\u{a0}", "\u{2028}", "\u{3000}", "\u{85}", "\u{feff}",
        ] {
            for bad in [
                format!("application/pdf{ws}"),
                format!("{ws}application/pdf"),
                format!("application/pdf{ws}; name=x"),
                format!("application/pdf;{ws}name=x"),
                format!("text/plain; charset=\"a{ws}b\""),
                format!("text/plain; charset=utf-8{ws}"),
            ] {
                let err = check_content_type(&bad).expect_err(&bad);
                assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
                assert!(content_type_header(&bad, Some("x.pdf")).is_err(), "{bad:?}");
                assert!(content_type_header(&bad, None).is_err(), "{bad:?}");
            }
        }
    }

    #[test]
    fn content_type_is_written_as_checked() {
        // Space and tab around the type and a trailing ';' are the only things
        // dropped; what is written is exactly what was checked.
        for (given, written) in [
            (" application/pdf\t", "application/pdf"),
            ("text/csv;", "text/csv"),
            ("text/plain ;charset=x ; ", "text/plain ;charset=x"),
            ("text/plain; charset=\"a b\"", "text/plain; charset=\"a b\""),
        ] {
            assert_eq!(
                content_type_header(given, None).unwrap(),
                format!("Content-Type: {written}\r\n"),
                "{given:?}"
            );
            assert_eq!(
                content_type_header(given, Some("x.pdf")).unwrap(),
                format!("Content-Type: {written}; name=\"x.pdf\"\r\n"),
                "{given:?}"
            );
        }
    }

    #[test]
    fn simple_names_are_quoted() {
        assert_eq!(
            disposition_header("attachment", Some("report 2026.pdf")).unwrap(),
            "Content-Disposition: attachment; filename=\"report 2026.pdf\"\r\n"
        );
        assert_eq!(
            content_type_header("application/pdf", Some("x.pdf")).unwrap(),
            "Content-Type: application/pdf; name=\"x.pdf\"\r\n"
        );
        assert_eq!(
            disposition_header("inline", None).unwrap(),
            "Content-Disposition: inline\r\n"
        );
    }

    #[test]
    fn non_ascii_names_use_rfc2231_and_rfc2047() {
        let name = "年度报告 2026.pdf";
        let d = disposition_header("attachment", Some(name)).unwrap();
        assert!(d.contains("filename*=UTF-8''%E5%B9%B4"), "{d}");
        assert_eq!(decode_2231(&d), name);
        let t = content_type_header("application/pdf", Some(name)).unwrap();
        assert_eq!(decode_words(&t), name);
    }

    #[test]
    fn long_names_continue_without_splitting_characters() {
        for name in [
            "年".repeat(100),
            "é".repeat(100),
            "😀".repeat(60),
            format!("{}.pdf", "a".repeat(100)),
            "quote\"and\\backslash.txt".to_string(),
            "=?utf-8?q?x?=.txt".to_string(),
        ] {
            let d = disposition_header("attachment", Some(&name)).unwrap();
            for line in lines(&d) {
                assert!(line.len() <= MAX_LINE, "{line}");
            }
            assert_eq!(decode_2231(&d), name);
            let t = content_type_header("application/octet-stream", Some(&name)).unwrap();
            for line in lines(&t) {
                assert!(line.len() <= MAX_LINE, "{line}");
            }
            assert_eq!(decode_words(&t), name);
        }
        let d = disposition_header("attachment", Some(&"年".repeat(100))).unwrap();
        assert!(d.contains("filename*0*=UTF-8''%E5"));
        assert!(d.contains(" filename*1*=%E5"));
    }

    #[test]
    fn generated_file_names_fold_within_76() {
        use crate::message::header::tests::{generated_text, Rng};
        let mut rng = Rng::new(0x5eed_0015);
        for round in 0..2000 {
            let name = generated_text(&mut rng);
            let d = disposition_header("attachment", Some(&name)).unwrap();
            let t = content_type_header("application/octet-stream", Some(&name)).unwrap();
            for line in lines(&d).into_iter().chain(lines(&t)) {
                assert!(line.len() <= MAX_LINE, "round {round}, {name:?}: {line:?}");
            }
            assert_eq!(decode_2231(&d), name, "round {round}");
        }
    }

    #[test]
    fn caller_name_parameter_is_kept() {
        assert_eq!(
            content_type_header("text/plain; name=a.txt", Some("b.txt")).unwrap(),
            "Content-Type: text/plain; name=a.txt\r\n"
        );
    }
}
