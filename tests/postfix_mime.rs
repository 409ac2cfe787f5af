//! MIME messages built with `Message` and sent through a real Postfix, read back
//! from the maildir and parsed by an independent parser: Python's `email` package
//! with `policy.default` (python3 must be on PATH; its absence fails the tests).
//!
//! Run with a mail server started by tests/setup/mailserver.sh:
//!     SMTPC_TEST_ENV=$D/env cargo test --test postfix_mime

mod common;
mod postfix_support;

use postfix_support::{
    addr, assert_same_bytes, header_section, longest_line, plain_client, Rng, DELIVERY_TIMEOUT,
};
use smtpc::{ErrorKind, Message};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const SUBJECT: &str = "年度报告：第一季度 — 测试 😀";
const FROM_NAME: &str = "Renée Müller";
const TO_NAME: &str = "王小明";
const CC_NAME: &str = "O'Brien, Zoë";
const BCC_NAME: &str = "Hidden Bcc Person";
const PDF_NAME: &str = "年度报告 2026.pdf";
const CSV_NAME: &str = "données.csv";
const DATA_NAME: &str = "mémoire brute — 2026.bin";
const CONTENT_ID: &str = "logo.0001@smtpc.test";

fn text_body() -> String {
    format!(
        "Bonjour Renée,\n\n年度报告见附件。Grüße aus Köln.\n.hidden line starting with a dot\n\
         From the start of a line\ntrailing spaces   \n{}\n{}\nEnd.\n",
        "x".repeat(1200),
        "长".repeat(400)
    )
}

fn html_body() -> String {
    format!(
        "<html><body><p>Rapport — <b>年度报告</b> für Renée</p>\n\
         <p><img src=\"cid:{CONTENT_ID}\" alt=\"logo\"></p>\n<p>{}</p>\n</body></html>\n",
        "y".repeat(1500)
    )
}

/// A directory for one test's files, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(common::unique_local(&format!("smtpc-pfmime-{tag}")));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, data).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------
// the independent parser

const PARSER: &str = r#"
import hashlib, sys
from email import policy
from email.parser import BytesParser

def h(s):
    return "x" + str(s).encode("utf-8", "surrogateescape").hex()

def structure(p):
    if p.is_multipart():
        return p.get_content_subtype() + "[" + ",".join(structure(c) for c in p.get_payload()) + "]"
    return p.get_content_type()

with open(sys.argv[1], "rb") as f:
    msg = BytesParser(policy=policy.default).parse(f)
out = ["structure " + structure(msg), "subject " + h(msg["subject"])]
for field in ("from", "to", "cc", "bcc"):
    value = msg[field]
    if value is None:
        continue
    for a in value.addresses:
        out.append("addr %s %s %s" % (field, h(a.display_name), h(a.addr_spec)))
for key in msg.keys():
    out.append("key " + h(key))
for part in msg.walk():
    for d in part.defects:
        out.append("defect " + h("%s: %s" % (type(d).__name__, d)))
    for k, v in part.items():
        for d in getattr(v, "defects", ()):
            out.append("defect " + h("%s: %s: %s" % (k, type(d).__name__, d)))
    if part.is_multipart():
        continue
    payload = part.get_payload(decode=True) or b""
    disposition = part.get_content_disposition() or ""
    filename = part.get_filename()
    cid = part.get("content-id")
    out.append("part %s %s %s %s %s %d" % (
        part.get_content_type(), h(disposition), h(filename) if filename is not None else "-",
        h(cid) if cid is not None else "-", hashlib.sha256(payload).hexdigest(), len(payload)))
    if part.get_content_maintype() == "text" and disposition != "attachment":
        out.append("content %s %s" % (part.get_content_type(), h(part.get_content())))
print("\n".join(out))
"#;

#[derive(Debug, Default)]
struct Parsed {
    structure: String,
    subject: String,
    /// (field, display name, address)
    addresses: Vec<(String, String, String)>,
    keys: Vec<String>,
    defects: Vec<String>,
    parts: Vec<Part>,
    /// (content type, decoded text) of the inline text parts
    contents: Vec<(String, String)>,
}

#[derive(Debug)]
struct Part {
    content_type: String,
    disposition: String,
    filename: Option<String>,
    content_id: Option<String>,
    sha256: String,
    len: usize,
}

fn unhex(s: &str) -> String {
    let hex = s
        .strip_prefix('x')
        .unwrap_or_else(|| panic!("bad field {s:?}"));
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

fn opt_unhex(s: &str) -> Option<String> {
    (s != "-").then(|| unhex(s))
}

fn python(args: &[&str]) -> String {
    let out = Command::new("python3")
        .args(args)
        .output()
        .expect("python3 must be installed for these tests");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn parse_with_python(message: &Path) -> Parsed {
    let output = python(&["-c", PARSER, message.to_str().unwrap()]);
    let mut p = Parsed::default();
    for line in output.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f[0] {
            "structure" => p.structure = f[1].to_string(),
            "subject" => p.subject = unhex(f[1]),
            "addr" => p
                .addresses
                .push((f[1].to_string(), unhex(f[2]), unhex(f[3]))),
            "key" => p.keys.push(unhex(f[1])),
            "defect" => p.defects.push(unhex(f[1])),
            "part" => p.parts.push(Part {
                content_type: f[1].to_string(),
                disposition: unhex(f[2]),
                filename: opt_unhex(f[3]),
                content_id: opt_unhex(f[4]),
                sha256: f[5].to_string(),
                len: f[6].parse().unwrap(),
            }),
            "content" => p.contents.push((f[1].to_string(), unhex(f[2]))),
            other => panic!("unexpected parser output {other:?}"),
        }
    }
    p
}

/// SHA-256 of files, computed by Python's hashlib (not by anything in smtpc).
fn sha256_files(paths: &[&Path]) -> Vec<String> {
    let mut args = vec![
        "-c",
        "import hashlib, sys\nfor p in sys.argv[1:]:\n    print(hashlib.sha256(open(p, 'rb').read()).hexdigest())",
    ];
    let strs: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(strs);
    python(&args).lines().map(str::to_string).collect()
}

fn normalise_text(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end_matches('\n').to_string()
}

// ---------------------------------------------------------------------------
// the full message

struct Sizes {
    pdf: usize,
    csv: usize,
    data: usize,
}

fn full_message_roundtrip(tag: &str, sizes: Sizes, seed: u64) {
    let env = common::env();
    let scratch = Scratch::new(tag);
    let mut rng = Rng::new(seed);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(rng.bytes(300));
    let pdf = rng.bytes(sizes.pdf);
    let csv = rng.bytes(sizes.csv);
    let data = rng.bytes(sizes.data);
    let png_path = scratch.file("logo.png", &png);
    let pdf_path = scratch.file(PDF_NAME, &pdf);
    let csv_path = scratch.file(CSV_NAME, &csv);
    let data_copy = scratch.file("in-memory-copy", &data);

    let from = env.user.clone();
    let to = addr(&format!("{tag}-to"));
    let cc = addr(&format!("{tag}-cc"));
    let bcc = addr(&format!("{tag}-bcc"));

    let mut m = Message::new();
    m.set_from(Some(FROM_NAME), &from).unwrap();
    m.add_to(Some(TO_NAME), &to).unwrap();
    m.add_cc(Some(CC_NAME), &cc).unwrap();
    m.add_bcc(Some(BCC_NAME), &bcc).unwrap();
    m.set_subject(SUBJECT).unwrap();
    m.set_text(&text_body()).unwrap();
    m.set_html(&html_body()).unwrap();
    m.embed_file(&png_path, CONTENT_ID, None).unwrap();
    m.attach_file(&pdf_path, None, None).unwrap();
    m.attach_file(&csv_path, None, None).unwrap();
    m.attach_data(&data, Some(DATA_NAME), None).unwrap();

    let written_before = scratch.0.join("before.eml");
    m.write_file(&written_before).unwrap();

    let (mut c, log) = plain_client(&env);
    let report = c
        .send(&m)
        .unwrap_or_else(|e| panic!("send failed: {e}\nlog:\n{}", log.dump()));
    c.quit().unwrap();
    let envelope: Vec<&str> = report
        .recipients
        .iter()
        .map(|r| r.address.as_str())
        .collect();
    assert_eq!(envelope, [&to, &cc, &bcc], "envelope: To, Cc, Bcc");
    assert!(
        report.recipients.iter().all(|r| r.code == 250),
        "{report:?}"
    );
    assert_eq!(report.final_code(), 250);
    assert_eq!(log.mail_from_lines().len(), 1, "{}", log.dump());
    assert!(
        log.mail_from_lines()[0].contains(&format!("<{from}>")),
        "envelope sender is the From address: {}",
        log.dump()
    );

    let written_after = scratch.0.join("after.eml");
    m.write_file(&written_after).unwrap();
    let expected = std::fs::read(&written_before).unwrap();
    assert_same_bytes(
        &std::fs::read(&written_after).unwrap(),
        &expected,
        "write_file before and after the send",
    );

    // Every copy arrives, equal to write_file's bytes, without Bcc, lines <= 998.
    let bcc_lower = bcc.to_lowercase();
    let mut stored_to = Vec::new();
    for rcpt in [&to, &cc, &bcc] {
        let stored = common::wait_for_deliveries(&env, rcpt, 1, DELIVERY_TIMEOUT);
        assert_eq!(stored.len(), 1, "one copy for {rcpt}");
        assert_eq!(
            stored[0].sender, from,
            "envelope sender of the copy for {rcpt}"
        );
        let sent = common::as_sent(&stored[0].data);
        assert_same_bytes(&sent, &expected, &format!("copy for {rcpt} vs write_file"));
        assert!(
            longest_line(&sent) <= 998,
            "copy for {rcpt}: a line of {} bytes",
            longest_line(&sent)
        );
        let headers = String::from_utf8_lossy(header_section(&sent)).to_lowercase();
        assert!(
            !headers.contains(&bcc_lower) && !headers.contains(&BCC_NAME.to_lowercase()),
            "copy for {rcpt}: the Bcc recipient shows in the headers"
        );
        assert!(
            !headers.starts_with("bcc:") && !headers.contains("\nbcc:"),
            "copy for {rcpt}: a Bcc header"
        );
        if rcpt == &to {
            stored_to = stored[0].data.clone();
        }
    }
    postfix_support::assert_delivery_counts(&env, &[&to, &cc, &bcc], 1, Duration::from_millis(300));

    // The independent parser reads the stored copy (Received: header, LF ends).
    let stored_path = scratch.0.join("stored-to.eml");
    std::fs::write(&stored_path, &stored_to).unwrap();
    let p = parse_with_python(&stored_path);
    // The builder writes non-ASCII names as `name="=?UTF-8?B?...?="` on
    // Content-Type (next to RFC 2231 `filename*=` on Content-Disposition), the
    // common practice for old readers; RFC 2047 section 5 does not allow encoded
    // words in quoted strings, so Python notes it. Every other defect fails.
    let defects: Vec<&String> = p
        .defects
        .iter()
        .filter(|d| {
            !(d.starts_with("Content-Type: ")
                && (d.ends_with("encoded word inside quoted string")
                    || d.ends_with("missing trailing whitespace after encoded-word")))
        })
        .collect();
    assert!(defects.is_empty(), "parser defects: {defects:#?}");
    assert_eq!(
        p.structure,
        "mixed[related[alternative[text/plain,text/html],image/png],\
         application/pdf,text/csv,application/octet-stream]"
    );
    assert_eq!(p.subject, SUBJECT);
    let addresses: Vec<(&str, &str, &str)> = p
        .addresses
        .iter()
        .map(|(f, n, a)| (f.as_str(), n.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        addresses,
        [
            ("from", FROM_NAME, from.as_str()),
            ("to", TO_NAME, to.as_str()),
            ("cc", CC_NAME, cc.as_str()),
        ]
    );
    assert!(
        !p.keys.iter().any(|k| k.eq_ignore_ascii_case("bcc")),
        "{:?}",
        p.keys
    );
    for needed in ["Date", "Message-ID", "MIME-Version"] {
        assert!(
            p.keys.iter().any(|k| k.eq_ignore_ascii_case(needed)),
            "{needed} header: {:?}",
            p.keys
        );
    }

    let contents: Vec<(&str, String)> = p
        .contents
        .iter()
        .map(|(t, c)| (t.as_str(), normalise_text(c)))
        .collect();
    assert_eq!(
        contents,
        [
            ("text/plain", normalise_text(&text_body())),
            ("text/html", normalise_text(&html_body())),
        ]
    );

    let hashes = sha256_files(&[&png_path, &pdf_path, &csv_path, &data_copy]);
    let leaves: Vec<&Part> = p.parts.iter().collect();
    assert_eq!(leaves.len(), 6, "{leaves:#?}");
    let image = leaves[2];
    assert_eq!(image.content_type, "image/png");
    assert_eq!(
        image.content_id.as_deref(),
        Some(format!("<{CONTENT_ID}>").as_str())
    );
    assert_eq!(image.disposition, "inline", "{image:?}");
    assert_eq!(
        (image.sha256.as_str(), image.len),
        (hashes[0].as_str(), png.len())
    );
    let attachments = [
        (
            leaves[3],
            "application/pdf",
            PDF_NAME,
            &hashes[1],
            pdf.len(),
        ),
        (leaves[4], "text/csv", CSV_NAME, &hashes[2], csv.len()),
        (
            leaves[5],
            "application/octet-stream",
            DATA_NAME,
            &hashes[3],
            data.len(),
        ),
    ];
    for (part, ctype, name, sha, len) in attachments {
        assert_eq!(part.content_type, ctype, "{part:?}");
        assert_eq!(part.disposition, "attachment", "{part:?}");
        assert_eq!(part.filename.as_deref(), Some(name), "{part:?}");
        assert_eq!(part.len, len, "{name}: decoded size");
        assert_eq!(
            &part.sha256, sha,
            "{name}: SHA-256 of the decoded attachment"
        );
    }
}

#[test]
fn full_message_small_attachments() {
    // PDF empty, CSV one byte, in-memory attachment 57 bytes.
    full_message_roundtrip(
        "mime-small",
        Sizes {
            pdf: 0,
            csv: 1,
            data: 57,
        },
        0xA11CE,
    );
}

#[test]
fn full_message_three_megabyte_attachment() {
    // PDF 3 MB, CSV 57 bytes, in-memory attachment one byte.
    full_message_roundtrip(
        "mime-large",
        Sizes {
            pdf: 3 * 1024 * 1024,
            csv: 57,
            data: 1,
        },
        0xB0B,
    );
}

// ---------------------------------------------------------------------------
// an attachment that disappeared

#[test]
fn deleted_attachment_is_a_file_error_before_mail_from() {
    let env = common::env();
    let scratch = Scratch::new("mime-deleted");
    let path = scratch.file("vanishing report.pdf", b"%PDF-1.4 soon gone");
    let to = addr("mime-deleted");

    let mut m = Message::new();
    m.set_from(Some(FROM_NAME), &env.user).unwrap();
    m.add_to(None, &to).unwrap();
    m.set_subject("attachment deleted before send").unwrap();
    m.set_text("the attachment is gone\n").unwrap();
    m.attach_file(&path, None, None).unwrap();
    std::fs::remove_file(&path).unwrap();

    let (mut c, log) = plain_client(&env);
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    let err = c
        .send(&m)
        .expect_err("the attachment file no longer exists");
    assert_eq!(err.kind(), ErrorKind::File, "{err}\nlog:\n{}", log.dump());
    let shown = path.display().to_string();
    assert!(
        err.message().contains(&shown),
        "the error names the path {shown:?}: {}",
        err.message()
    );
    assert!(
        log.mail_from_lines().is_empty(),
        "detected before MAIL FROM:\n{}",
        log.dump()
    );
    assert_eq!(c.last_error().map(|e| e.kind()), Some(ErrorKind::File));

    // write_file fails the same way.
    let err = m
        .write_file(&scratch.0.join("out.eml"))
        .expect_err("write_file with a missing attachment");
    assert_eq!(err.kind(), ErrorKind::File, "{err}");

    // The session is still usable for a message without the missing file.
    let mut ok = Message::new();
    ok.set_from(None, &env.user).unwrap();
    ok.add_to(None, &to).unwrap();
    ok.set_subject("after the file error").unwrap();
    ok.set_text("fine\n").unwrap();
    let expected_path = scratch.0.join("ok.eml");
    ok.write_file(&expected_path).unwrap();
    c.send(&ok)
        .unwrap_or_else(|e| panic!("send after the file error failed: {e}\n{}", log.dump()));
    c.quit().unwrap();
    let stored = common::wait_for_n(&env, &to, 1, DELIVERY_TIMEOUT);
    assert_eq!(stored.len(), 1, "only the good message arrives");
    assert_same_bytes(
        &common::as_sent(&stored[0]),
        &std::fs::read(&expected_path).unwrap(),
        "message after the file error",
    );
    postfix_support::assert_delivery_counts(&env, &[&to], 1, Duration::from_millis(500));
}

// ---------------------------------------------------------------------------
// addresses with RFC 5322 specials (issue 9, #11)

#[test]
fn address_with_specials_is_refused_before_anything_is_sent() {
    let env = common::env();
    let local = common::unique_local("specials");
    // Postfix took `RCPT TO:<user@exa(mple.test>` and delivered to <user@exa>.
    let bad = format!("{local}@exa(mple.test");
    let truncated = format!("{local}@exa");
    let to = addr("specials-good");

    let (mut c, log) = plain_client(&env);
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    log.clear();

    // Through the envelope of a raw send...
    let raw = format!(
        "From: <{}>\r\nTo: <{bad}>\r\nSubject: x\r\n\r\nx\r\n",
        env.user
    );
    let err = c
        .send_raw(&env.user, &[&to, &bad], raw.as_bytes())
        .expect_err("a '(' in the domain");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(
        err.message().starts_with("recipient 2: ") && err.message().contains("domain"),
        "names the argument and the reason: {err}"
    );
    // ...and through the message builder, for every address argument.
    let mut m = Message::new();
    for bad in [
        bad.as_str(),
        "x,victim@example.test",
        "a;b@example.test",
        ":@J",
    ] {
        let err = m.add_to(None, bad).expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}: {err}");
        assert!(err.message().starts_with("To: "), "{err}");
        let err = m.set_from(None, bad).expect_err(bad);
        assert!(err.message().starts_with("From: "), "{err}");
    }
    assert!(
        log.sent().is_empty(),
        "nothing was sent for the refused addresses:\n{}",
        log.dump()
    );

    // A good message on the same connection arrives, the address written in
    // angle brackets.
    m.set_from(None, &env.user).unwrap();
    m.add_to(None, &to).unwrap();
    m.set_subject("angle brackets").unwrap();
    m.set_text("fine\n").unwrap();
    let report = c
        .send(&m)
        .unwrap_or_else(|e| panic!("send failed: {e}\nlog:\n{}", log.dump()));
    assert_eq!(report.recipients.len(), 1, "{report:?}");
    c.quit().unwrap();
    let stored = common::wait_for_n(&env, &to, 1, DELIVERY_TIMEOUT);
    assert_eq!(stored.len(), 1);
    assert_eq!(
        postfix_support::header_values(&stored[0], "To"),
        [format!("<{to}>")]
    );
    assert_eq!(
        postfix_support::header_values(&stored[0], "From"),
        [format!("<{}>", env.user)]
    );
    let raw_to = format!("\nTo: <{to}>\n");
    assert!(
        String::from_utf8_lossy(header_section(&stored[0])).contains(&raw_to),
        "written as {raw_to:?}"
    );
    common::assert_no_mail(&env, &truncated, Duration::from_millis(300));
}

// ---------------------------------------------------------------------------
// a FIFO in place of an attachment (issue 9, #4)

#[cfg(unix)]
#[test]
fn fifo_attachment_fails_the_send_at_once_before_mail_from() {
    use std::os::unix::ffi::OsStrExt;
    let env = common::env();
    let scratch = Scratch::new("mime-fifo");
    let path = scratch.file("report.pdf", b"%PDF-1.4");
    let to = addr("mime-fifo");
    let mut m = Message::new();
    m.set_from(None, &env.user).unwrap();
    m.add_to(None, &to).unwrap();
    m.set_subject("attachment became a FIFO").unwrap();
    m.set_text("x\n").unwrap();
    m.attach_file(&path, None, None).unwrap();
    // Between the attach and the send, the file becomes a FIFO no one writes.
    std::fs::remove_file(&path).unwrap();
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);

    let (mut c, log) = plain_client(&env);
    c.connect()
        .unwrap_or_else(|e| panic!("connect failed: {e}\nlog:\n{}", log.dump()));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = c.send(&m).map(|_| ());
        let _ = tx.send((result, c));
    });
    let (result, mut c) = rx
        .recv_timeout(Duration::from_secs(2))
        .expect("the send blocked on the FIFO for more than 2 s");
    let err = result.expect_err("a FIFO attachment");
    assert_eq!(err.kind(), ErrorKind::File, "{err}");
    let shown = path.display().to_string();
    assert!(err.message().contains(&shown), "names {shown}: {err}");
    assert!(
        log.mail_from_lines().is_empty(),
        "refused before MAIL FROM:\n{}",
        log.dump()
    );
    c.quit().unwrap();
}
