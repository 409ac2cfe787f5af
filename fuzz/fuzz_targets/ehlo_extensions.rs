//! EHLO capabilities (`smtpc::protocol::extensions::Extensions::from_ehlo`) of
//! arbitrary reply lines, compared with a model written from RFC 5321 section
//! 4.1.1.1: after the greeting line, each line is `keyword [param ...]`,
//! separated by ASCII white space, the keyword compared case-insensitively; the
//! old `AUTH=PLAIN LOGIN` form is a keyword glued to its first parameter.
//!
//! The input is split at LF into line texts (invalid UTF-8 replaced). Properties:
//! - every advertised keyword is found by `has` and `params` in any case, with the
//!   model's parameters (all lines of that keyword, in order); nothing else is;
//! - `keywords()` is sorted, upper-case, without white space or '=';
//! - `size_limit` is SIZE's first parameter as a non-zero u64, else `None`;
//! - `auth_mechanisms` is AUTH's parameters of at most 20 characters (RFC 4422)
//!   upper-cased, first occurrences kept, at most `MAX_AUTH_MECHANISMS`;
//! - the same lines sent as a wire reply and parsed by `ReplyParser` (when they
//!   are a valid reply) give the same capabilities.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpc::protocol::extensions::{Extensions, MAX_AUTH_MECHANISMS};
use smtpc::protocol::reply::{Reply, ReplyParser};
use std::collections::BTreeMap;

/// The model: upper-cased keyword -> parameters.
fn model(lines: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines.iter().skip(1) {
        let tokens: Vec<&str> = line
            .split(|c: char| c.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        let Some((first, params)) = tokens.split_first() else {
            continue;
        };
        let (keyword, glued) = match first.find('=') {
            Some(at) => (
                &first[..at],
                Some(&first[at + 1..]).filter(|p| !p.is_empty()),
            ),
            None => (*first, None),
        };
        if keyword.is_empty() {
            continue;
        }
        let entry = map.entry(keyword.to_ascii_uppercase()).or_default();
        entry.extend(glued.map(str::to_string));
        entry.extend(params.iter().map(|p| p.to_string()));
    }
    map
}

fn params_of(ext: &Extensions, keyword: &str) -> Option<Vec<String>> {
    ext.params(keyword).map(|p| p.map(str::to_string).collect())
}

fn check(ext: &Extensions, lines: &[String]) {
    let expected = model(lines);
    let keywords: Vec<&str> = ext.keywords().collect();
    let model_keys: Vec<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(keywords, model_keys);
    for (keyword, params) in &expected {
        assert!(!keyword.is_empty() && !keyword.contains('='));
        assert!(!keyword.bytes().any(|b| b.is_ascii_whitespace()));
        assert!(ext.has(keyword) && ext.has(&keyword.to_ascii_lowercase()));
        assert_eq!(params_of(ext, keyword).as_ref(), Some(params));
        assert_eq!(
            params_of(ext, &keyword.to_ascii_lowercase()).as_ref(),
            Some(params)
        );
    }
    let size = expected
        .get("SIZE")
        .and_then(|p| p.first())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&n| n > 0);
    assert_eq!(ext.size_limit(), size);
    let mut mechanisms: Vec<String> = Vec::new();
    for m in expected.get("AUTH").into_iter().flatten() {
        let upper = m.to_ascii_uppercase();
        if m.len() <= 20 && !mechanisms.contains(&upper) && mechanisms.len() < MAX_AUTH_MECHANISMS {
            mechanisms.push(upper);
        }
    }
    assert_eq!(ext.auth_mechanisms(), mechanisms);
    for probe in [
        "STARTTLS",
        "pipelining",
        "Chunking",
        "8BITMIME",
        "smtputf8",
        "",
    ] {
        assert_eq!(
            ext.has(probe),
            expected.contains_key(&probe.to_ascii_uppercase())
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let lines: Vec<String> = data
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    let ext = Extensions::from_ehlo(&Reply::new(250, lines.clone()));
    check(&ext, &lines);

    // The same lines on the wire.
    let mut wire = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { " " } else { "-" };
        wire.extend_from_slice(format!("250{sep}{line}\r\n").as_bytes());
    }
    if let Ok((_, Some(reply))) = ReplyParser::new().parse(&wire) {
        assert_eq!(Extensions::from_ehlo(&reply), ext);
    }
});
