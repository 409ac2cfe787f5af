//! Helpers shared by the fuzz targets in `fuzz_targets/`: how a fuzz input is cut
//! into pieces, the reference line-end normalisation, and line checks.
//!
//! The reference functions here are written from the RFCs' rules, one byte at a
//! time, deliberately unlike smtpc's own (vectorised, streaming) code.

pub mod mime;
pub mod words;

/// Cuts a fuzz input into pieces that concatenate to its payload.
///
/// Layout: byte 0 says how the payload is cut. `0xFF`: one byte per piece.
/// Otherwise the next `byte0 % 16` bytes are piece lengths (0 gives an empty
/// piece; a length past the end takes what is left), and whatever the lengths do
/// not cover is the last piece. The payload is everything after those bytes.
///
/// Returns the pieces and the payload.
pub fn split_input(data: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    if mode == 0xFF {
        return (rest.chunks(1).collect(), rest);
    }
    let cuts = usize::from(mode % 16).min(rest.len());
    let (lengths, payload) = rest.split_at(cuts);
    let mut pieces = Vec::with_capacity(cuts + 1);
    let mut left = payload;
    for &len in lengths {
        let (piece, tail) = left.split_at(usize::from(len).min(left.len()));
        pieces.push(piece);
        left = tail;
    }
    pieces.push(left);
    (pieces, payload)
}

/// Every line break (CRLF, a lone CR, a lone LF) written as CRLF; when the input
/// does not end with a line break, a CRLF is added after its last line. The empty
/// input stays empty. What both DATA and BDAT must carry.
pub fn normalise_lines(input: &[u8]) -> Vec<u8> {
    let mut out = crlf_breaks(input);
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Every line break (CRLF, a lone CR, a lone LF) written as CRLF, nothing else
/// changed.
pub fn crlf_breaks(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 2);
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if input.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Splits `bytes` into its CRLF-terminated lines (without the CRLF). Panics, with
/// the offending offset, when a CR or LF occurs other than as a CRLF pair or when
/// the bytes do not end with CRLF (empty input gives no lines).
pub fn crlf_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at offset {i}");
                lines.push(&bytes[start..i]);
                i += 2;
                start = i;
            }
            b'\n' => panic!("bare LF at offset {i}"),
            _ => i += 1,
        }
    }
    assert_eq!(start, bytes.len(), "the last line has no CRLF");
    lines
}

/// RFC 5322 section 2.1.1: no line of a message is longer than 998 characters.
pub const HARD_LINE: usize = 998;

/// RFC 2045/2047: the longest line of quoted-printable, base64, or a header
/// line holding encoded-words.
pub const SOFT_LINE: usize = 76;

/// RFC 2047 section 2: the longest encoded-word.
pub const MAX_ENCODED_WORD: usize = 75;
