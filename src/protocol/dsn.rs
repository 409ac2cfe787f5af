//! Delivery status notifications (RFC 3461): what the sender asks for, and the
//! MAIL FROM / RCPT TO parameters that carry it, in xtext (RFC 3461 section 4) and,
//! for non-ASCII addresses, utf-8-addr-xtext (RFC 6533).

use crate::error::{Error, Result};

/// `RET`: what a failure report returns of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsnReturn {
    /// The whole message (`RET=FULL`).
    Full,
    /// Only its headers (`RET=HDRS`).
    Headers,
}

/// `NOTIFY`: when the recipient's server should report. The default (no flag)
/// sends no NOTIFY parameter and leaves the choice to the server (failures and
/// delays, usually).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Notify(u8);

impl Notify {
    /// `NOTIFY=SUCCESS`: report the delivery.
    pub const SUCCESS: Notify = Notify(1);
    /// `NOTIFY=FAILURE`: report a failure.
    pub const FAILURE: Notify = Notify(2);
    /// `NOTIFY=DELAY`: report a long delay.
    pub const DELAY: Notify = Notify(4);
    /// `NOTIFY=NEVER`: never report (not combinable with the others).
    pub const NEVER: Notify = Notify(8);

    /// The flags from their bit values (SUCCESS 1, FAILURE 2, DELAY 4, NEVER 8; 0 is
    /// the server's default). Refuses unknown bits and NEVER combined with another.
    pub fn from_bits(bits: u32) -> Result<Notify> {
        if bits & !0xf != 0 {
            return Err(Error::invalid(format!(
                "DSN notify flags {bits:#x} contain unknown bits (known: 1 SUCCESS, 2 FAILURE, 4 DELAY, 8 NEVER)"
            )));
        }
        if bits & 8 != 0 && bits != 8 {
            return Err(Error::invalid(
                "DSN notify NEVER cannot be combined with SUCCESS, FAILURE or DELAY",
            ));
        }
        Ok(Notify(bits as u8))
    }

    /// Both sets of flags.
    pub fn union(self, other: Notify) -> Notify {
        Notify(self.0 | other.0)
    }

    /// Whether no flag is set (no NOTIFY parameter is sent).
    pub fn is_default(self) -> bool {
        self.0 == 0
    }

    /// The `NOTIFY=...` parameter, or `None` for the default.
    fn param(self) -> Option<String> {
        if self.is_default() {
            return None;
        }
        let names: Vec<&str> = [
            (Notify::SUCCESS, "SUCCESS"),
            (Notify::FAILURE, "FAILURE"),
            (Notify::DELAY, "DELAY"),
            (Notify::NEVER, "NEVER"),
        ]
        .iter()
        .filter(|(flag, _)| self.0 & flag.0 != 0)
        .map(|(_, name)| *name)
        .collect();
        Some(format!("NOTIFY={}", names.join(",")))
    }
}

/// The per-message part of a DSN request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DsnRequest {
    /// `RET=`; `None` leaves it to the server.
    pub ret: Option<DsnReturn>,
    /// `ENVID=`: an identifier the reports will quote (printable ASCII).
    pub envid: Option<String>,
    /// Fail with `Unsupported` when the server does not offer DSN, instead of
    /// sending without the DSN parameters.
    pub required: bool,
}

/// Longest ENVID (RFC 3461 section 4.4: 100 characters).
pub const MAX_ENVID_LEN: usize = 100;

/// Checks an ENVID: 1 to [`MAX_ENVID_LEN`] printable ASCII characters (it is
/// xtext-encoded on the wire, so `+`, `=` and spaces are allowed).
pub fn check_envid(envid: &str) -> Result<()> {
    if envid.is_empty() || envid.len() > MAX_ENVID_LEN {
        return Err(Error::invalid(format!(
            "the DSN envelope id must be 1 to {MAX_ENVID_LEN} characters long"
        )));
    }
    if !envid.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(Error::invalid(
            "the DSN envelope id may only contain printable ASCII characters",
        ));
    }
    Ok(())
}

impl DsnRequest {
    /// Whether anything is asked for at the message level.
    pub fn is_empty(&self) -> bool {
        self.ret.is_none() && self.envid.is_none()
    }

    /// The MAIL FROM parameters (`RET=`, `ENVID=`).
    pub fn mail_params(&self, out: &mut Vec<String>) {
        match self.ret {
            Some(DsnReturn::Full) => out.push("RET=FULL".to_string()),
            Some(DsnReturn::Headers) => out.push("RET=HDRS".to_string()),
            None => {}
        }
        if let Some(envid) = &self.envid {
            out.push(format!("ENVID={}", xtext(envid)));
        }
    }
}

/// The RCPT TO parameters for one recipient (`NOTIFY=`, `ORCPT=`).
pub fn rcpt_params(notify: Notify, orcpt: Option<&str>, out: &mut Vec<String>) {
    if let Some(param) = notify.param() {
        out.push(param);
    }
    if let Some(original) = orcpt {
        out.push(format!("ORCPT={}", orcpt_value(original)));
    }
}

/// The ORCPT value for an address: `rfc822;` + xtext for ASCII addresses, `utf-8;`
/// + utf-8-addr-xtext (RFC 6533) for the others.
fn orcpt_value(address: &str) -> String {
    if address.is_ascii() {
        format!("rfc822;{}", xtext(address))
    } else {
        format!("utf-8;{}", utf8_addr_xtext(address))
    }
}

/// xtext (RFC 3461 section 4): `!` to `~` except `+` and `=` as they are, every
/// other byte as `+XX` (upper-case hex).
pub fn xtext(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if (0x21..=0x7e).contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// utf-8-addr-xtext (RFC 6533 section 3): printable ASCII except `\`, `+` and `=`
/// as they are, every other character as `\x{HEX}`.
pub fn utf8_addr_xtext(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if ('!'..='~').contains(&c) && !matches!(c, '\\' | '+' | '=') {
            out.push(c);
        } else {
            out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xtext_encodes_plus_equals_and_non_printables() {
        assert_eq!(xtext("abc-123@example.com"), "abc-123@example.com");
        assert_eq!(xtext("a+b=c"), "a+2Bb+3Dc");
        assert_eq!(xtext("a b\t"), "a+20b+09");
        assert_eq!(xtext("é"), "+C3+A9");
        assert_eq!(xtext("~!"), "~!");
    }

    #[test]
    fn utf8_addr_xtext_escapes_code_points() {
        assert_eq!(
            utf8_addr_xtext("用户@例子.测试"),
            "\\x{7528}\\x{6237}@\\x{4F8B}\\x{5B50}.\\x{6D4B}\\x{8BD5}"
        );
        assert_eq!(
            utf8_addr_xtext("a+b\\c=d e"),
            "a\\x{2B}b\\x{5C}c\\x{3D}d\\x{20}e"
        );
    }

    #[test]
    fn notify_flags() {
        assert!(Notify::from_bits(0).unwrap().is_default());
        assert_eq!(Notify::from_bits(0).unwrap().param(), None);
        assert_eq!(
            Notify::from_bits(1 | 2 | 4).unwrap().param().unwrap(),
            "NOTIFY=SUCCESS,FAILURE,DELAY"
        );
        assert_eq!(
            Notify::from_bits(8).unwrap().param().unwrap(),
            "NOTIFY=NEVER"
        );
        assert!(Notify::from_bits(8 | 1).is_err());
        assert!(Notify::from_bits(16).is_err());
        assert_eq!(
            Notify::SUCCESS.union(Notify::DELAY),
            Notify::from_bits(5).unwrap()
        );
    }

    #[test]
    fn parameters() {
        let mut out = Vec::new();
        DsnRequest {
            ret: Some(DsnReturn::Headers),
            envid: Some("id+1 x".into()),
            required: false,
        }
        .mail_params(&mut out);
        assert_eq!(out, ["RET=HDRS", "ENVID=id+2B1+20x"]);
        let mut out = Vec::new();
        rcpt_params(Notify::SUCCESS, Some("a+b@example.com"), &mut out);
        assert_eq!(out, ["NOTIFY=SUCCESS", "ORCPT=rfc822;a+2Bb@example.com"]);
        let mut out = Vec::new();
        rcpt_params(Notify::default(), Some("josé@example.com"), &mut out);
        assert_eq!(out, ["ORCPT=utf-8;jos\\x{E9}@example.com"]);
    }

    #[test]
    fn envid_checks() {
        check_envid("QQ314159").unwrap();
        check_envid(&"x".repeat(100)).unwrap();
        assert!(check_envid("").is_err());
        assert!(check_envid(&"x".repeat(101)).is_err());
        assert!(check_envid("a\r\nb").is_err());
        assert!(check_envid("é").is_err());
    }
}
