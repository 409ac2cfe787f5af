//! Quoted-printable text bodies and base64 attachments, through the public
//! `smtpc::Message` API (the encoders are private to `smtpc::message`): an
//! arbitrary UTF-8 text body and arbitrary attachment bytes, read back from
//! `Message::open` with read sizes the fuzzer chooses.
//!
//! Input: the text (invalid UTF-8 replaced by U+FFFD) up to the first 0xFF byte
//! (never in UTF-8), then one byte of read size (see
//! `smtpc_fuzz::mime::read_message`; 0: large reads), then the attachment bytes.
//!
//! The message is multipart/mixed: the text part, then the attachment. The
//! parts are cut out of the raw bytes at the delimiters of the boundary the
//! message declares, and their bodies decoded by independent crates.
//! Properties:
//! - the boundary occurs nowhere but in the delimiters (exactly two parts);
//! - 7bit is chosen exactly when it is safe (ASCII without NUL, lines ≤ 998, no
//!   "=_"); a 7bit body is the text with CRLF line breaks;
//! - a quoted-printable body has lines ≤ 76 without trailing white space, '.'
//!   or "From " at their start, and `quoted_printable` (strict) decodes it to the
//!   text with CRLF line breaks;
//! - the base64 body has 76-character lines and `data-encoding` (strict) decodes
//!   it to the attachment's bytes;
//! - the stream's length and 8-bit flag are right, whatever the read sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quoted_printable::ParseMode;
use smtpc::Message;
use smtpc_fuzz::mime::{
    boundary, check_quoted_printable, decode_base64_body, find, multipart_parts, read_message,
    split_head,
};
use smtpc_fuzz::{crlf_breaks, HARD_LINE};

struct Input<'a> {
    text: String,
    read_size: u8,
    attachment: &'a [u8],
}

impl Input<'_> {
    fn new(data: &[u8]) -> Input<'_> {
        let end = data.iter().position(|&b| b == 0xFF).unwrap_or(data.len());
        let rest = data.get(end + 1..).unwrap_or_default();
        let (read_size, attachment) = rest.split_first().map_or((0, rest), |(&s, a)| (s, a));
        Input {
            text: String::from_utf8_lossy(&data[..end]).into_owned(),
            read_size,
            attachment,
        }
    }
}

fn fits_7bit(text: &str) -> bool {
    let lines = crlf_breaks(text.as_bytes());
    text.bytes().all(|b| (1..0x80).contains(&b))
        && !text.contains("=_")
        && lines
            .split(|&b| b == b'\n')
            .all(|l| l.strip_suffix(b"\r").unwrap_or(l).len() <= HARD_LINE)
}

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data);
    let mut message = Message::new();
    message.set_text(&input.text).expect("any text is accepted");
    message
        .attach_data(input.attachment, Some("data.bin"), None)
        .expect("attach_data");
    let sizes: &[u8] = if input.read_size == 0 {
        &[]
    } else {
        &[input.read_size - 1]
    };
    let bytes = read_message(&message, sizes).expect("open");

    let (head, body) = split_head(&bytes);
    let parts = multipart_parts(body, &boundary(head));
    assert_eq!(parts.len(), 2, "a boundary inside a part");
    let (text_head, text_body) = split_head(parts[0]);
    let (file_head, file_body) = split_head(parts[1]);

    let expected = crlf_breaks(input.text.as_bytes());
    let cte = |name: &str| {
        find(
            text_head,
            format!("Content-Transfer-Encoding: {name}\r\n").as_bytes(),
        )
    };
    if cte("7bit").is_some() {
        assert!(fits_7bit(&input.text), "7bit chosen for unsafe text");
        assert_eq!(text_body, expected.as_slice(), "7bit body");
    } else {
        assert!(cte("quoted-printable").is_some(), "no transfer encoding");
        assert!(
            !fits_7bit(&input.text),
            "quoted-printable chosen for 7bit-safe text"
        );
        let body = text_body;
        check_quoted_printable(body);
        let decoded = quoted_printable::decode(body, ParseMode::Strict)
            .unwrap_or_else(|e| panic!("strict QP decoding failed: {e:?}"));
        assert_eq!(decoded, expected, "quoted-printable body");
    }

    assert!(find(file_head, b"Content-Transfer-Encoding: base64\r\n").is_some());
    assert_eq!(
        decode_base64_body(file_body),
        input.attachment,
        "base64 body"
    );
});
