//! Reading a built message back and checking the form of its lines.

use crate::{crlf_lines, HARD_LINE, MAX_ENCODED_WORD, SOFT_LINE};
use smtpc::Message;
use std::io::Read;

/// The opening of every encoded-word smtpc writes (UTF-8, B encoding).
const WORD_START: &[u8] = b"=?UTF-8?B?";

/// Reads the whole message through its public stream ([`Message::open`]), each
/// read of a size taken in turn from `read_sizes` (byte `s` asks for `1 + 8 * s`
/// bytes; no sizes: 64 KiB reads). Checks that the stream yields exactly
/// `total_len()` bytes and that `is_8bit()` tells whether any byte is non-ASCII.
///
/// With `SMTPC_FUZZ_DUMP=path` in the environment the bytes are also written
/// there (to look at the message of a crash input).
///
/// Returns the builder's error when it refuses to open the message.
pub fn read_message(message: &Message, read_sizes: &[u8]) -> smtpc::Result<Vec<u8>> {
    let mut stream = message.open()?;
    let total = stream.total_len();
    let eight_bit = stream.is_8bit();
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    let mut sizes = read_sizes.iter().cycle();
    loop {
        let want = sizes.next().map_or(buf.len(), |&s| 1 + 8 * usize::from(s));
        let n = stream
            .read(&mut buf[..want])
            .expect("reading the message stream");
        if n == 0 {
            break;
        }
        assert!(n <= want);
        out.extend_from_slice(&buf[..n]);
    }
    if let Some(path) = std::env::var_os("SMTPC_FUZZ_DUMP") {
        std::fs::write(path, &out).expect("writing SMTPC_FUZZ_DUMP");
    }
    assert_eq!(
        out.len() as u64,
        total,
        "total_len() is not what the stream gave"
    );
    assert_eq!(eight_bit, !out.is_ascii(), "is_8bit() is wrong");
    Ok(out)
}

/// Splits a message (or a MIME part) into its header section, including the
/// CRLF of its last field, and its body, after the empty line.
pub fn split_head(bytes: &[u8]) -> (&[u8], &[u8]) {
    let at = find(bytes, b"\r\n\r\n").expect("no empty line after the header section");
    (&bytes[..at + 2], &bytes[at + 4..])
}

/// The parts of a multipart body, each with its headers, cut at the delimiters
/// of `boundary` (the preamble and the epilogue left out). Panics when the close
/// delimiter is missing.
pub fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let open = format!("--{boundary}\r\n");
    let delimiter = format!("\r\n--{boundary}");
    let first = find(body, open.as_bytes()).expect("no first delimiter");
    // The CRLF before the first delimiter may be the header section's empty line.
    let mut rest = &body[first + open.len()..];
    let mut parts = Vec::new();
    loop {
        let end = find(rest, delimiter.as_bytes()).expect("no close delimiter");
        parts.push(&rest[..end]);
        rest = &rest[end + delimiter.len()..];
        if rest.starts_with(b"--") {
            return parts;
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .expect("delimiter line not ended by CRLF");
    }
}

/// The `boundary` parameter of a header section's Content-Type, as smtpc writes
/// it (quoted).
pub fn boundary(head: &[u8]) -> String {
    let lines = field(head, "Content-Type").expect("no Content-Type");
    let value = String::from_utf8(lines.concat()).expect("Content-Type is not UTF-8");
    let start = value.find("boundary=\"").expect("no boundary") + "boundary=\"".len();
    let len = value[start..].find('"').expect("unterminated boundary");
    value[start..start + len].to_string()
}

/// The first index of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The header fields of a header section, each as its lines (first line, then
/// the continuation lines, which start with a space or a tab).
pub fn fields(head: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut out: Vec<Vec<&[u8]>> = Vec::new();
    for line in crlf_lines(head) {
        match (line.first(), out.last_mut()) {
            (Some(b' ' | b'\t'), Some(field)) => field.push(line),
            (Some(b' ' | b'\t'), None) => {
                panic!("the header section starts with a continuation line")
            }
            _ => out.push(vec![line]),
        }
    }
    out
}

/// The lines of the first field named `name` (ASCII case-insensitive).
pub fn field<'a>(head: &'a [u8], name: &str) -> Option<Vec<&'a [u8]>> {
    fields(head).into_iter().find(|lines| {
        let first = lines[0];
        first.len() > name.len()
            && first[name.len()] == b':'
            && first[..name.len()].eq_ignore_ascii_case(name.as_bytes())
    })
}

/// Checks a header section: CRLF everywhere, no line over 998 characters, no
/// empty or white-space-only line, every encoded-word complete, at most 75
/// characters, valid base64 that decodes to whole UTF-8 characters by itself (a
/// reader may decode each word alone), and every line holding an encoded-word at
/// most 76 characters.
pub fn check_head(head: &[u8]) {
    for lines in fields(head) {
        for line in lines {
            let shown = String::from_utf8_lossy(line);
            assert!(line.len() <= HARD_LINE, "header line over 998: {shown:?}");
            assert!(
                line.iter().any(|&b| b != b' ' && b != b'\t'),
                "blank header line: {shown:?}"
            );
            let mut rest = line;
            let mut words = 0;
            while let Some(start) = find(rest, WORD_START) {
                let after = &rest[start + WORD_START.len()..];
                let end = find(after, b"?=").expect("unterminated encoded-word");
                let word_len = WORD_START.len() + end + 2;
                assert!(
                    word_len <= MAX_ENCODED_WORD,
                    "encoded-word of {word_len}: {shown:?}"
                );
                let text = data_encoding::BASE64
                    .decode(&after[..end])
                    .unwrap_or_else(|e| panic!("bad base64 in {shown:?}: {e}"));
                assert!(
                    std::str::from_utf8(&text).is_ok(),
                    "encoded-word is not UTF-8 by itself: {shown:?}"
                );
                words += 1;
                rest = &after[end + 2..];
            }
            if words > 0 {
                assert!(
                    line.len() <= SOFT_LINE,
                    "line with encoded-words over 76: {shown:?}"
                );
            }
        }
    }
}

/// Checks the lines of a quoted-printable body (soft line breaks included): at
/// most 76 characters, printable ASCII, space or tab only, no white space at a
/// line's end, and (smtpc's promise) no line starting with '.' or "From ".
pub fn check_quoted_printable(body: &[u8]) {
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let shown = String::from_utf8_lossy(line);
        assert!(line.len() <= SOFT_LINE, "QP line over 76: {shown:?}");
        assert!(
            line.iter()
                .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b)),
            "QP line with a raw byte: {shown:?}"
        );
        assert!(
            !line.ends_with(b" ") && !line.ends_with(b"\t"),
            "QP line ends in white space: {shown:?}"
        );
        assert!(
            !line.starts_with(b".") && !line.starts_with(b"From "),
            "QP line starts with '.' or \"From \": {shown:?}"
        );
    }
}

/// Checks a base64 body (lines joined by CRLF, no CRLF after the last) and
/// decodes it with `data-encoding` (strict: canonical, padded): every line but the
/// last exactly 76 characters, the last 1 to 76.
pub fn decode_base64_body(body: &[u8]) -> Vec<u8> {
    if body.is_empty() {
        return Vec::new();
    }
    let mut joined = body.to_vec();
    joined.extend_from_slice(b"\r\n");
    let lines = crlf_lines(&joined);
    for (i, line) in lines.iter().enumerate() {
        if i + 1 < lines.len() {
            assert_eq!(line.len(), SOFT_LINE, "base64 line {i} is not 76 long");
        } else {
            assert!(
                (1..=SOFT_LINE).contains(&line.len()),
                "last base64 line of {}",
                line.len()
            );
        }
    }
    data_encoding::BASE64
        .decode(&lines.concat())
        .unwrap_or_else(|e| panic!("base64 body does not decode: {e}"))
}
