//! The whole message builder (`smtpc::Message`, public API only): subject, From
//! and To with display names, text and HTML bodies, attachments from memory or
//! from temporary files, with any (also non-ASCII) names and content types.
//!
//! The message is read with `Message::open` at read sizes the fuzzer chooses
//! (and, when asked, written with `Message::write_file`) and parsed by
//! `mail-parser`. Refusing invalid input with an error is fine. Properties:
//! - every read of the message gives the same bytes (`write_file` too);
//! - the header sections of the message and of every part are well formed
//!   (`smtpc_fuzz::mime::check_head`), every line ≤ 998 with CRLF, the
//!   quoted-printable and base64 lines ≤ 76;
//! - the Subject decodes (`smtpc_fuzz::words`, strict) to the input exactly;
//!   `mail-parser`'s, with white space squeezed as it squeezes it, agrees;
//! - parsed back by `mail-parser`: the display names and addresses of From and To,
//!   the text and HTML bodies, and every attachment's file name and bytes, in
//!   order, are what went in.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mail_parser::{Encoding, MessageParser, MessagePart, MimeHeaders, PartType};
use smtpc::Message;
use smtpc_fuzz::mime::{
    check_head, check_quoted_printable, decode_base64_body, read_message, split_head,
};
use smtpc_fuzz::words::{decode_unstructured, field_value, squeeze};
use smtpc_fuzz::{crlf_breaks, crlf_lines, HARD_LINE};
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
struct Person {
    name: Option<String>,
    /// Picks the address from [`ADDRESSES`].
    address: u8,
}

/// Where an attachment's bytes come from.
#[derive(Arbitrary, Debug)]
enum Source {
    Memory,
    /// A temporary file, attached under `name`.
    File,
    /// A temporary file named `name`, attached under its own name.
    NamedFile,
}

#[derive(Arbitrary, Debug)]
struct Attachment {
    name: Option<String>,
    /// Picks the content type from [`CONTENT_TYPES`].
    content_type: u8,
    bytes: Vec<u8>,
    source: Source,
}

#[derive(Arbitrary, Debug)]
struct Spec {
    subject: Option<String>,
    from: Person,
    to: Vec<Person>,
    text: Option<String>,
    html: Option<String>,
    attachments: Vec<Attachment>,
    read_sizes: Vec<u8>,
    write_file: bool,
}

const ADDRESSES: &[&str] = &[
    "alice@example.com",
    "bob.smith+tag@mail.example.org",
    "o'brien@example.net",
    "zhang@例子.测试",
    "josé@example.es",
    "\"john doe\"@example.com",
];

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/octet-stream"),
    Some("application/pdf"),
    Some("image/png"),
    Some("text/plain; charset=utf-8"),
    Some("application/x-fuzz; name=\"given.bin\""),
];

/// A directory of this process for the attachment files.
fn temp_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("smtpc-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    })
}

/// What the reader must see of an attachment: its name and bytes.
struct Expected {
    name: Option<String>,
    bytes: Vec<u8>,
}

/// Adds one attachment; `None` when the builder refused it (or the file name
/// cannot be a file's).
fn attach(message: &mut Message, index: usize, a: &Attachment) -> Option<Expected> {
    let content_type = CONTENT_TYPES[usize::from(a.content_type) % CONTENT_TYPES.len()];
    let given = a.name.as_deref().filter(|n| !n.is_empty());
    let name = match a.source {
        Source::Memory => {
            message
                .attach_data(&a.bytes, a.name.as_deref(), content_type)
                .ok()?;
            given.map(str::to_string)
        }
        Source::File => {
            let path = temp_dir().join(format!("attachment-{index}.bin"));
            std::fs::write(&path, &a.bytes).expect("write temp file");
            message
                .attach_file(&path, a.name.as_deref(), content_type)
                .ok()?;
            Some(given.map_or_else(|| format!("attachment-{index}.bin"), str::to_string))
        }
        Source::NamedFile => {
            let file_name = given?;
            let plain = !file_name.contains(['/', '\0']) && file_name != "." && file_name != "..";
            if !plain || file_name.len() > 200 {
                return None;
            }
            let dir = temp_dir().join(format!("named-{index}"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(file_name);
            std::fs::write(&path, &a.bytes).expect("write temp file");
            message.attach_file(&path, None, content_type).ok()?;
            Some(file_name.to_string())
        }
    };
    Some(Expected {
        name,
        bytes: a.bytes.clone(),
    })
}

/// A display name as the reader must see it: without surrounding spaces and
/// tabs, none when empty.
fn display(name: Option<&str>) -> Option<&str> {
    name.map(|n| n.trim_matches([' ', '\t']))
        .filter(|n| !n.is_empty())
}

/// The raw bytes of a part, from its header to its end.
fn raw<'a>(bytes: &'a [u8], part: &MessagePart) -> &'a [u8] {
    &bytes[part.raw_header_offset() as usize..part.raw_end_offset() as usize]
}

/// Checks the form of every part and returns the decoded bytes of `part`'s body.
fn check_part(bytes: &[u8], part: &MessagePart) {
    let (head, body) = split_head(raw(bytes, part));
    check_head(head);
    match part.encoding {
        Encoding::QuotedPrintable => check_quoted_printable(body),
        Encoding::Base64 => {
            let body = body.strip_suffix(b"\r\n").unwrap_or(body);
            decode_base64_body(body);
        }
        Encoding::None => {}
    }
}

fuzz_target!(|spec: Spec| {
    let mut message = Message::new();
    let mut from = None;
    let address = ADDRESSES[usize::from(spec.from.address) % ADDRESSES.len()];
    if message.set_from(spec.from.name.as_deref(), address).is_ok() {
        from = Some((display(spec.from.name.as_deref()), address));
    }
    let mut to = Vec::new();
    for person in spec.to.iter().take(4) {
        let address = ADDRESSES[usize::from(person.address) % ADDRESSES.len()];
        if message.add_to(person.name.as_deref(), address).is_ok() {
            to.push((display(person.name.as_deref()), address));
        }
    }
    let subject = spec
        .subject
        .as_deref()
        .filter(|s| message.set_subject(s).is_ok());
    let text = spec.text.as_deref().filter(|t| message.set_text(t).is_ok());
    let html = spec.html.as_deref().filter(|h| message.set_html(h).is_ok());
    let mut attachments = Vec::new();
    for (i, a) in spec.attachments.iter().take(4).enumerate() {
        attachments.extend(attach(&mut message, i, a));
    }

    let Ok(bytes) = read_message(&message, &spec.read_sizes) else {
        return;
    };
    assert_eq!(
        read_message(&message, &[]).unwrap(),
        bytes,
        "a second read differs"
    );
    if spec.write_file {
        let path = temp_dir().join("message.eml");
        message.write_file(&path).expect("write_file");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "write_file differs");
    }
    for line in crlf_lines(&bytes) {
        assert!(line.len() <= HARD_LINE, "line over 998");
    }
    let head = split_head(&bytes).0;
    check_head(head);

    let parsed = MessageParser::default()
        .parse(&bytes)
        .expect("mail-parser failed");
    for part in &parsed.parts {
        check_part(&bytes, part);
    }
    if let Some(subject) = subject {
        let raw = field_value(head, "Subject").expect("Subject");
        assert_eq!(decode_unstructured(&raw), subject, "Subject");
    }
    let lenient = parsed.subject().unwrap_or("");
    assert_eq!(
        squeeze(lenient),
        squeeze(subject.unwrap_or("")),
        "Subject (mail-parser)"
    );
    let people = |list: Option<&mail_parser::Address>| -> Vec<(Option<String>, Option<String>)> {
        list.into_iter()
            .flat_map(|l| l.iter())
            .map(|a| {
                (
                    a.name().map(str::to_string),
                    a.address().map(str::to_string),
                )
            })
            .collect()
    };
    let want = |list: &[(Option<&str>, &str)]| -> Vec<(Option<String>, Option<String>)> {
        list.iter()
            .map(|(n, a)| (n.map(str::to_string), Some(a.to_string())))
            .collect()
    };
    assert_eq!(people(parsed.from()), want(from.as_slice()), "From");
    assert_eq!(people(parsed.to()), want(&to), "To");

    // Bodies: the text part has no disposition; attachments have one.
    let body_of = |subtype: &str| {
        parsed
            .parts
            .iter()
            .find(|p| p.is_content_type("text", subtype) && p.content_disposition().is_none())
            .map(|p| p.text_contents().expect("text part").to_string())
    };
    let alone = attachments.is_empty() && (text.is_none() || html.is_none());
    for (given, subtype) in [(text, "plain"), (html, "html")] {
        let Some(given) = given else { continue };
        let got = body_of(subtype).unwrap_or_default();
        let mut want = String::from_utf8(crlf_breaks(given.as_bytes())).unwrap();
        // A body alone in the message ends the message, and so with a CRLF.
        if alone && !want.is_empty() && !want.ends_with("\r\n") {
            want.push_str("\r\n");
        }
        assert_eq!(got, want, "text/{subtype} body");
    }

    let files: Vec<&MessagePart> = parsed
        .parts
        .iter()
        .filter(|p| {
            p.content_disposition()
                .is_some_and(|d| d.ctype() == "attachment")
        })
        .collect();
    assert_eq!(files.len(), attachments.len(), "number of attachments");
    for (part, expected) in files.iter().zip(&attachments) {
        let name = part
            .content_disposition()
            .and_then(|d| d.attribute("filename"));
        assert_eq!(name, expected.name.as_deref(), "attachment file name");
        let contents = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
            // Text attachments are charset-decoded by mail-parser: decode the
            // base64 ourselves.
            _ => {
                let (_, body) = split_head(raw(&bytes, part));
                decode_base64_body(body.strip_suffix(b"\r\n").unwrap_or(body))
            }
        };
        assert_eq!(contents, expected.bytes, "attachment bytes");
    }
});
