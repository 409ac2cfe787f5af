//! The envelope of one message: reverse-path, forward-paths with their DSN
//! requests, and what the body needs of the server. Built by every kind of send
//! (a built message, raw bytes) through [`Envelope::new`], which validates it once;
//! the session only turns it into MAIL FROM and RCPT TO parameters.

use crate::error::{Error, ErrorKind, Result};
use crate::protocol::address::{check_address, needs_smtputf8, split_at_at};
use crate::protocol::dsn::{self, DsnRequest, Notify};
use crate::protocol::extensions::Extensions;
use std::collections::HashSet;

/// One forward-path and its DSN request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipient {
    /// The address, without angle brackets.
    pub address: String,
    /// When to report (RFC 3461 NOTIFY); default: the server decides.
    pub notify: Notify,
    /// The original recipient to quote in reports (RFC 3461 ORCPT), if any.
    pub orcpt: Option<String>,
}

impl Recipient {
    /// A recipient without DSN requests.
    pub fn new(address: &str) -> Recipient {
        Recipient {
            address: address.to_string(),
            ..Recipient::default()
        }
    }
}

/// A recipient compares equal to its address.
impl PartialEq<&str> for Recipient {
    fn eq(&self, other: &&str) -> bool {
        self.address == *other
    }
}

/// What the message body needs of the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BodyInfo {
    /// The size with CRLF line ends, before dot-stuffing (RFC 1870 SIZE; also the
    /// exact BDAT byte count).
    pub size: u64,
    /// Some byte is 8-bit: BODY=8BITMIME is needed.
    pub eight_bit: bool,
    /// A header holds a non-ASCII address: SMTPUTF8 is needed.
    pub smtputf8: bool,
}

/// The envelope of one send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse-path; empty for the null path `<>`.
    pub from: String,
    /// The forward-paths, without duplicates, in the order given.
    pub recipients: Vec<Recipient>,
    /// What the body needs; set by the sender once the body is known.
    pub body: BodyInfo,
    /// The per-message DSN request.
    pub dsn: DsnRequest,
}

impl Envelope {
    /// Validates and builds an envelope. Refused with `InvalidArgument`: a malformed
    /// sender or recipient (see [`check_address`]; `from` may be empty), no
    /// recipient, a malformed ENVID or ORCPT. Duplicate recipients are dropped (the
    /// first keeps its place): the local part is compared exactly (it is
    /// case-sensitive, RFC 5321 section 2.4), the domain without regard to case.
    pub fn new(from: &str, recipients: Vec<Recipient>, dsn: DsnRequest) -> Result<Envelope> {
        if !from.is_empty() {
            check_address(from, "sender")?;
        }
        if recipients.is_empty() {
            return Err(Error::invalid("no recipient"));
        }
        if let Some(envid) = &dsn.envid {
            dsn::check_envid(envid)?;
        }
        let mut seen = HashSet::with_capacity(recipients.len());
        let mut unique = Vec::with_capacity(recipients.len());
        for (i, recipient) in recipients.into_iter().enumerate() {
            let what = format!("recipient {}", i + 1);
            check_address(&recipient.address, &what)?;
            if let Some(original) = &recipient.orcpt {
                check_address(original, &format!("{what}: original recipient"))?;
            }
            if seen.insert(dedup_key(&recipient.address)) {
                unique.push(recipient);
            }
        }
        Ok(Envelope {
            from: from.to_string(),
            recipients: unique,
            body: BodyInfo::default(),
            dsn,
        })
    }

    /// The same envelope with the body's needs.
    pub fn with_body(mut self, body: BodyInfo) -> Envelope {
        self.body = body;
        self
    }

    /// Whether the send needs SMTPUTF8: a non-ASCII address in the envelope, or one
    /// in the headers.
    pub fn needs_smtputf8(&self) -> bool {
        self.body.smtputf8
            || needs_smtputf8(&self.from)
            || self.recipients.iter().any(|r| needs_smtputf8(&r.address))
    }

    /// Whether any DSN parameter is asked for.
    pub fn wants_dsn(&self) -> bool {
        !self.dsn.is_empty()
            || self
                .recipients
                .iter()
                .any(|r| !r.notify.is_default() || r.orcpt.is_some())
    }

    /// The MAIL FROM parameters for a server with `ext`, after checking that the
    /// message can go there: `MessageTooBig` over its SIZE, `Unsupported` when 8-bit
    /// data, a non-ASCII address or a required DSN meets a server without
    /// 8BITMIME, SMTPUTF8 or DSN. `use_dsn` tells whether the RCPT parameters may
    /// carry DSN requests; `notes` gets what is worth a log line.
    pub fn mail_params(&self, ext: &Extensions, notes: &mut Vec<String>) -> Result<MailParams> {
        let mut params = Vec::new();
        if let Some(limit) = ext.size_limit() {
            if self.body.size > limit {
                return Err(Error::new(
                    ErrorKind::MessageTooBig,
                    format!(
                        "the message is {} bytes; the server accepts at most {limit} (SIZE)",
                        self.body.size
                    ),
                ));
            }
        }
        if ext.has("SIZE") {
            params.push(format!("SIZE={}", self.body.size));
        }
        if self.body.eight_bit {
            if !ext.has("8BITMIME") {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "the message contains 8-bit data and the server does not offer 8BITMIME",
                ));
            }
            params.push("BODY=8BITMIME".to_string());
        }
        if self.needs_smtputf8() {
            if !ext.has("SMTPUTF8") {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "an address is not ASCII and the server does not offer SMTPUTF8",
                ));
            }
            params.push("SMTPUTF8".to_string());
        }
        let use_dsn = self.wants_dsn() && ext.has("DSN");
        if self.wants_dsn() && !use_dsn {
            if self.dsn.required {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "delivery status notifications were required and the server does not offer DSN",
                ));
            }
            notes.push(
                "the server does not offer DSN: sending without the DSN parameters (RET, ENVID, \
                 NOTIFY, ORCPT)"
                    .to_string(),
            );
        }
        if use_dsn {
            self.dsn.mail_params(&mut params);
        }
        Ok(MailParams { params, use_dsn })
    }

    /// The RCPT TO parameters of recipient `index`.
    pub fn rcpt_params(&self, index: usize, use_dsn: bool) -> Vec<String> {
        let mut params = Vec::new();
        if use_dsn {
            let r = &self.recipients[index];
            dsn::rcpt_params(r.notify, r.orcpt.as_deref(), &mut params);
        }
        params
    }
}

/// The parameters of MAIL FROM, and whether the RCPTs carry DSN requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailParams {
    /// `SIZE=`, `BODY=`, `SMTPUTF8`, `RET=`, `ENVID=`.
    pub params: Vec<String>,
    /// The server offers DSN and the envelope asks for it.
    pub use_dsn: bool,
}

/// Local part as given, domain lower-cased.
fn dedup_key(address: &str) -> (String, String) {
    match split_at_at(address) {
        Ok((local, domain)) => (local.to_string(), domain.to_lowercase()),
        Err(_) => (address.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::reply::Reply;

    fn ext(lines: &[&str]) -> Extensions {
        let mut all = vec!["mx".to_string()];
        all.extend(lines.iter().map(|l| l.to_string()));
        Extensions::from_ehlo(&Reply::new(250, all))
    }

    fn rcpts(list: &[&str]) -> Vec<Recipient> {
        list.iter().map(|a| Recipient::new(a)).collect()
    }

    #[test]
    fn validates_and_dedups_by_exact_local_part() {
        let e = Envelope::new(
            "s@example.com",
            rcpts(&[
                "User@example.com",
                "user@example.com",
                "user@EXAMPLE.com",
                "User@Example.COM",
            ]),
            DsnRequest::default(),
        )
        .unwrap();
        assert_eq!(e.recipients, ["User@example.com", "user@example.com"]);
        assert!(Envelope::new("", rcpts(&["a@b"]), DsnRequest::default()).is_ok());
        let err = Envelope::new("s@x", rcpts(&["ok@x", "bad"]), DsnRequest::default()).unwrap_err();
        assert!(err.message().starts_with("recipient 2:"), "{err}");
        assert!(Envelope::new("s@x", vec![], DsnRequest::default()).is_err());
        assert!(Envelope::new("a b@x", rcpts(&["ok@x"]), DsnRequest::default()).is_err());
    }

    #[test]
    fn dedup_of_many_recipients_is_linear() {
        let list: Vec<Recipient> = (0..100_000)
            .map(|i| Recipient::new(&format!("u{}@example.com", i % 50_000)))
            .collect();
        let e = Envelope::new("s@x", list, DsnRequest::default()).unwrap();
        assert_eq!(e.recipients.len(), 50_000);
    }

    #[test]
    fn mail_params_follow_the_server() {
        let e = Envelope::new("s@x", rcpts(&["a@x"]), DsnRequest::default())
            .unwrap()
            .with_body(BodyInfo {
                size: 10,
                eight_bit: true,
                smtputf8: false,
            });
        let mut notes = Vec::new();
        let p = e
            .mail_params(&ext(&["SIZE 100", "8BITMIME"]), &mut notes)
            .unwrap();
        assert_eq!(p.params, ["SIZE=10", "BODY=8BITMIME"]);
        assert!(!p.use_dsn);
        let err = e
            .mail_params(&ext(&["SIZE 5", "8BITMIME"]), &mut notes)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooBig);
        let err = e.mail_params(&ext(&[]), &mut notes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(notes.is_empty());
    }

    #[test]
    fn dsn_parameters_or_a_note() {
        let mut list = rcpts(&["a@x", "b@x"]);
        list[0].notify = Notify::SUCCESS.union(Notify::FAILURE);
        list[1].orcpt = Some("orig@y".into());
        let dsn = DsnRequest {
            ret: Some(dsn::DsnReturn::Full),
            envid: Some("E1".into()),
            required: false,
        };
        let e = Envelope::new("s@x", list, dsn).unwrap();
        let mut notes = Vec::new();
        let p = e.mail_params(&ext(&["DSN"]), &mut notes).unwrap();
        assert_eq!(p.params, ["RET=FULL", "ENVID=E1"]);
        assert_eq!(e.rcpt_params(0, p.use_dsn), ["NOTIFY=SUCCESS,FAILURE"]);
        assert_eq!(e.rcpt_params(1, p.use_dsn), ["ORCPT=rfc822;orig@y"]);
        let p = e.mail_params(&ext(&[]), &mut notes).unwrap();
        assert!(p.params.is_empty() && !p.use_dsn);
        assert!(e.rcpt_params(0, p.use_dsn).is_empty());
        assert_eq!(notes.len(), 1);
        let mut required = e.clone();
        required.dsn.required = true;
        let err = required.mail_params(&ext(&[]), &mut notes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn non_ascii_address_needs_smtputf8() {
        let e = Envelope::new("用户@例子.测试", rcpts(&["a@x"]), DsnRequest::default()).unwrap();
        assert!(e.needs_smtputf8());
        let mut notes = Vec::new();
        let p = e.mail_params(&ext(&["SMTPUTF8"]), &mut notes).unwrap();
        assert_eq!(p.params, ["SMTPUTF8"]);
    }
}
