//! The MIME structure of a message and its layout as a stream.
//!
//! - one body and nothing else: a single part;
//! - text and HTML: multipart/alternative, text first;
//! - inline files: multipart/related holding the body first, then the files;
//! - attachments: multipart/mixed holding the body (if any), then the files;
//! - nothing at all: an empty text/plain body.

use super::base64_stream::{Base64Reader, Input};
use super::body::TextBody;
use super::stream::{MessageStream, StreamBuilder};
use super::{FilePart, Message, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::regular_file::open_regular;

static EMPTY_TEXT: TextBody = TextBody {
    transfer_encoding: "7bit",
    bytes: Vec::new(),
};

/// Marks this builder's boundaries. Base64 never contains '=' followed by '_'
/// and quoted-printable writes '=' only before hex digits or a line break; 7bit
/// bodies containing "=_" are sent as quoted-printable. So no content line can
/// equal a boundary.
const BOUNDARY_MARKER: &str = "=_smtpc_";

enum Node<'a> {
    Text(&'static str, &'a TextBody),
    File(&'a FilePart),
    Multipart(&'static str, Vec<Node<'a>>),
}

fn tree(message: &Message) -> Node<'_> {
    let body = match (&message.text, &message.html) {
        (Some(text), Some(html)) => Some(Node::Multipart(
            "alternative",
            vec![Node::Text("plain", text), Node::Text("html", html)],
        )),
        (Some(text), None) => Some(Node::Text("plain", text)),
        (None, Some(html)) => Some(Node::Text("html", html)),
        (None, None) => None,
    };
    let body = if message.inlines.is_empty() {
        body
    } else {
        let mut children = vec![body.unwrap_or(Node::Text("plain", &EMPTY_TEXT))];
        children.extend(message.inlines.iter().map(Node::File));
        Some(Node::Multipart("related", children))
    };
    if message.attachments.is_empty() {
        return body.unwrap_or(Node::Text("plain", &EMPTY_TEXT));
    }
    let mut children: Vec<Node> = body.into_iter().collect();
    children.extend(message.attachments.iter().map(Node::File));
    Node::Multipart("mixed", children)
}

/// Lays out `message` after its top-level `headers` (which end with CRLF), opening
/// every attached file.
pub(super) fn open<'a>(
    message: &'a Message,
    headers: &str,
    boundary_token: &str,
    needs_smtputf8: bool,
) -> Result<MessageStream<'a>> {
    let mut out = StreamBuilder::new();
    out.text(headers);
    out.text("MIME-Version: 1.0\r\n");
    let mut counter = 0;
    emit(&tree(message), &mut out, boundary_token, &mut counter)?;
    if !out.ends_with_line_break() {
        out.text("\r\n");
    }
    Ok(out.finish(needs_smtputf8))
}

fn emit<'a>(
    node: &Node<'a>,
    out: &mut StreamBuilder<'a>,
    token: &str,
    counter: &mut usize,
) -> Result<()> {
    match node {
        Node::Text(subtype, body) => {
            out.text(&format!(
                "Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: {}\r\n\r\n",
                body.transfer_encoding
            ));
            out.borrowed(&body.bytes);
        }
        Node::File(part) => {
            out.text(&part.headers);
            out.text("Content-Transfer-Encoding: base64\r\n\r\n");
            out.base64(Base64Reader::new(open_source(&part.source)?));
        }
        Node::Multipart(subtype, children) => {
            let boundary = format!("{BOUNDARY_MARKER}{token}_{counter}");
            *counter += 1;
            // RFC 2387 requires multipart/related to name its root part's type.
            let root_type = match (*subtype, children.first()) {
                ("related", Some(root)) => format!(" type=\"{}\";", media_type(root)),
                _ => String::new(),
            };
            out.text(&format!(
                "Content-Type: multipart/{subtype};{root_type}\r\n boundary=\"{boundary}\"\r\n\r\n"
            ));
            for (i, child) in children.iter().enumerate() {
                let lead = if i == 0 { "" } else { "\r\n" };
                out.text(&format!("{lead}--{boundary}\r\n"));
                emit(child, out, token, counter)?;
            }
            out.text(&format!("\r\n--{boundary}--"));
        }
    }
    Ok(())
}

/// The media type of a body node (the root of a multipart/related).
fn media_type(node: &Node<'_>) -> String {
    match node {
        Node::Text(subtype, _) => format!("text/{subtype}"),
        Node::Multipart(subtype, _) => format!("multipart/{subtype}"),
        // never a root; a generic answer keeps this total
        Node::File(_) => "application/octet-stream".to_string(),
    }
}

fn open_source(source: &Source) -> Result<Input<'_>> {
    match source {
        Source::Memory(bytes) => Ok(Input::Memory(bytes)),
        Source::File(path) => {
            let label = path.display().to_string();
            // Only a regular file, opened without blocking: a FIFO put there
            // since the attach would otherwise hang the send in the kernel, and
            // a pipe or device has no size to announce (a directory no bytes).
            let (file, meta) = open_regular(path).map_err(|e| {
                Error::new(
                    ErrorKind::File,
                    format!("cannot read attachment {label}: {e}"),
                )
            })?;
            Ok(Input::File {
                file,
                expected: meta.len(),
                consumed: 0,
                label,
            })
        }
    }
}
