//! RFC 2047 encoded-words and RFC 2231 parameters, through the public
//! `smtpc::Message` API (the encoders themselves are private to
//! `smtpc::message`): arbitrary UTF-8 as Subject, as From and To display names,
//! as an attachment's file name and as a custom header's value (under a field
//! name of a length the fuzzer chooses: long names leave no room on the first
//! line).
//!
//! Input: the five texts separated by 0xFF bytes (never in UTF-8, so any text
//! can be written; other invalid UTF-8 is replaced by U+FFFD), in the order of
//! [`Input`]'s fields, then a sixth part whose length (up to 120) lengthens the
//! custom field name; missing ones are empty.
//!
//! The message is read from `Message::open` and parsed by `mail-parser`.
//! Properties:
//! - the builder refuses a subject, display name or file name only when it holds
//!   CR, LF or NUL (documented: anything else is encoded as needed);
//! - the header section is well formed (`smtpc_fuzz::mime::check_head`: CRLF
//!   lines ≤ 998, encoded-words ≤ 75 and whole UTF-8, their lines ≤ 76);
//! - Content-Disposition lines (RFC 2231 `filename*` segments) are ≤ 76;
//! - decoded (`smtpc_fuzz::words`, strict; `mail-parser` compared with white
//!   space squeezed, as it squeezes it), the Subject is the input exactly, the display names are the input
//!   without surrounding spaces and tabs, the file name is the input both from
//!   RFC 2231 `filename` and from RFC 2047 `name`, and the custom value is the
//!   input trimmed (one with "=?" is not added: a custom header keeps that as is).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_parser::{MessageParser, MimeHeaders};
use smtpc::Message;
use smtpc_fuzz::mime::{check_head, field, read_message, split_head};
use smtpc_fuzz::words::{decode_unstructured, field_value, squeeze};
use smtpc_fuzz::SOFT_LINE;

#[derive(Debug)]
struct Input {
    subject: String,
    from_name: String,
    to_name: String,
    file_name: String,
    note: String,
    /// The custom field's name: `X-Fuzz-Note` and as many `x` as the input says.
    note_name: String,
}

impl Input {
    fn new(data: &[u8]) -> Input {
        let mut texts = data
            .split(|&b| b == 0xFF)
            .map(|t| String::from_utf8_lossy(t).into_owned());
        let mut next = || texts.next().unwrap_or_default();
        Input {
            subject: next(),
            from_name: next(),
            to_name: next(),
            file_name: next(),
            note: next(),
            note_name: format!("X-Fuzz-Note{}", "x".repeat(next().len().min(120))),
        }
    }
}

/// Text the builder must refuse in a header.
fn forbidden(text: &str) -> bool {
    text.contains(['\r', '\n', '\0'])
}

fn trimmed(name: &str) -> Option<&str> {
    Some(name.trim_matches([' ', '\t'])).filter(|n| !n.is_empty())
}

/// Applies a setter; it must fail exactly for forbidden text. Returns whether
/// the text went in.
fn accepted(result: smtpc::Result<()>, text: &str, what: &str) -> bool {
    match result {
        Ok(()) => {
            assert!(!forbidden(text), "{what} with CR/LF/NUL accepted: {text:?}");
            true
        }
        Err(e) => {
            assert!(forbidden(text), "{what} {text:?} refused: {}", e.message());
            false
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data);
    let mut message = Message::new();
    let from_ok = accepted(
        message.set_from(Some(&input.from_name), "sender@example.com"),
        &input.from_name,
        "From name",
    );
    if !from_ok {
        message.set_from(None, "sender@example.com").unwrap();
    }
    let to_ok = accepted(
        message.add_to(Some(&input.to_name), "rcpt@example.org"),
        &input.to_name,
        "To name",
    );
    if !to_ok {
        message.add_to(None, "rcpt@example.org").unwrap();
    }
    let subject_ok = accepted(
        message.set_subject(&input.subject),
        &input.subject,
        "subject",
    );
    let file_ok = accepted(
        message.attach_data(
            b"x",
            Some(&input.file_name),
            Some("application/octet-stream"),
        ),
        &input.file_name,
        "file name",
    );
    // A custom value may be refused for more reasons (a word over 998); fine. One
    // with "=?" is left out: a custom header keeps such text as it is, by design,
    // and a reader would take it for an encoded-word.
    let note_ok =
        !input.note.contains("=?") && message.add_header(&input.note_name, &input.note).is_ok();

    let bytes = read_message(&message, &[]).expect("open");
    let (head, _) = split_head(&bytes);
    check_head(head);

    let parsed = MessageParser::default()
        .parse(&bytes)
        .expect("mail-parser failed");
    if subject_ok {
        let raw = field_value(head, "Subject").expect("Subject");
        assert_eq!(decode_unstructured(&raw), input.subject, "Subject");
        let lenient = parsed.subject().unwrap_or("");
        assert_eq!(
            squeeze(lenient),
            squeeze(&input.subject),
            "Subject (mail-parser)"
        );
    }
    let name_of = |addr: Option<&mail_parser::Address>| {
        addr.and_then(|a| a.first())
            .and_then(|a| a.name())
            .map(str::to_string)
    };
    if from_ok {
        let want = trimmed(&input.from_name);
        assert_eq!(name_of(parsed.from()).as_deref(), want, "From name");
    }
    if to_ok {
        let want = trimmed(&input.to_name);
        assert_eq!(name_of(parsed.to()).as_deref(), want, "To name");
    }
    if file_ok {
        let part = parsed.attachment(0).expect("the attachment");
        let (part_head, _) =
            split_head(&bytes[part.raw_header_offset() as usize..part.raw_end_offset() as usize]);
        check_head(part_head);
        for line in field(part_head, "Content-Disposition").expect("Content-Disposition") {
            assert!(
                line.len() <= SOFT_LINE,
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
        // An empty name means none.
        let want = Some(input.file_name.as_str()).filter(|n| !n.is_empty());
        let filename = part
            .content_disposition()
            .and_then(|d| d.attribute("filename"));
        assert_eq!(filename, want, "RFC 2231 filename");
        let name = part.content_type().and_then(|t| t.attribute("name"));
        assert_eq!(name, want, "RFC 2047 name");
        assert_eq!(part.contents(), b"x");
    }
    if note_ok {
        let raw = field_value(head, &input.note_name).expect("the custom field");
        let want = input.note.trim_matches([' ', '\t']);
        assert_eq!(decode_unstructured(&raw), want, "{}", input.note_name);
    }
});
