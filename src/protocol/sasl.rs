//! SASL for SMTP AUTH (RFC 4954): PLAIN, LOGIN, CRAM-MD5 and XOAUTH2 — which
//! mechanism to use, and each one's exchange as a small state machine (the AUTH
//! line, then one answer per 334 challenge). No I/O: the session drives it.
//!
//! Mechanism choice, first match among those the server offers:
//! - OAuth 2.0 token: XOAUTH2 only.
//! - Password over TLS: PLAIN, LOGIN, CRAM-MD5 (inside TLS the simple mechanisms
//!   are as safe, and CRAM-MD5 forces servers to keep plaintext-equivalent secrets).
//! - Password without TLS (the caller chose plaintext): CRAM-MD5 first, because it
//!   never puts the password on the wire, then PLAIN, LOGIN.

use crate::error::{Error, ErrorKind, Result};
use crate::protocol::reply::Reply;
use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD as B64_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};

/// What AUTH proves. `Debug` shows the user name only.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and password.
    Password {
        /// The user name.
        user: String,
        /// The password (secret).
        password: String,
    },
    /// A user name and an OAuth 2.0 bearer token (XOAUTH2).
    OAuth2 {
        /// The user name.
        user: String,
        /// The token (secret).
        token: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Credentials::Password { .. } => "Password",
            Credentials::OAuth2 { .. } => "OAuth2",
        };
        f.debug_struct(kind).field("user", &self.user()).finish()
    }
}

impl Credentials {
    /// A user name and password. Refused: an empty user name, CR, LF or NUL in the
    /// user name, NUL in the password (it separates the PLAIN fields; everything
    /// else travels base64-encoded).
    pub fn password(user: &str, password: &str) -> Result<Credentials> {
        check_user(user)?;
        if password.contains('\0') {
            return Err(Error::invalid("the password contains NUL"));
        }
        Ok(Credentials::Password {
            user: user.to_string(),
            password: password.to_string(),
        })
    }

    /// A user name and OAuth 2.0 token. Refused: an empty user name or token, and
    /// any control character in either (a `\x01` would forge an XOAUTH2 field).
    pub fn oauth2(user: &str, token: &str) -> Result<Credentials> {
        check_user(user)?;
        if user.chars().any(char::is_control) {
            return Err(Error::invalid(
                "the user name contains a control character (not allowed with XOAUTH2)",
            ));
        }
        if token.is_empty() || token.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(Error::invalid(
                "the token is empty or contains control characters",
            ));
        }
        Ok(Credentials::OAuth2 {
            user: user.to_string(),
            token: token.to_string(),
        })
    }

    /// The user name.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Password { user, .. } | Credentials::OAuth2 { user, .. } => user,
        }
    }

    /// Every form in which the secret can appear on the wire or in a server's echo:
    /// the secret itself, its base64 (with and without padding), and the base64 of
    /// the whole PLAIN or XOAUTH2 string. The client registers them with its
    /// redactor as soon as the credentials are set.
    pub fn secret_forms(&self) -> Vec<String> {
        let (secret, whole) = match self {
            Credentials::Password { user, password } => (password, plain_string(user, password)),
            Credentials::OAuth2 { user, token } => (token, xoauth2_string(user, token)),
        };
        let mut forms = vec![secret.clone()];
        for bytes in [secret.as_bytes(), &whole] {
            forms.push(B64.encode(bytes));
            forms.push(B64_NO_PAD.encode(bytes));
        }
        forms.retain(|f| !f.is_empty());
        forms.dedup();
        forms
    }
}

fn check_user(user: &str) -> Result<()> {
    if user.is_empty() {
        return Err(Error::invalid("the user name is empty"));
    }
    if user.contains(['\0', '\r', '\n']) {
        return Err(Error::invalid("the user name contains CR, LF or NUL"));
    }
    Ok(())
}

fn plain_string(user: &str, password: &str) -> Vec<u8> {
    let mut raw = Vec::with_capacity(user.len() + password.len() + 2);
    raw.push(0);
    raw.extend_from_slice(user.as_bytes());
    raw.push(0);
    raw.extend_from_slice(password.as_bytes());
    raw
}

fn xoauth2_string(user: &str, token: &str) -> Vec<u8> {
    format!("user={user}\x01auth=Bearer {token}\x01\x01").into_bytes()
}

/// A SASL mechanism smtpc can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616.
    Plain,
    /// The de-facto LOGIN mechanism (user name, then password).
    Login,
    /// RFC 2195.
    CramMd5,
    /// Google's and Microsoft's OAuth 2.0 bearer mechanism.
    XOAuth2,
}

impl Mechanism {
    /// The name in EHLO and AUTH.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
        }
    }
}

const PASSWORD_ORDER_TLS: [Mechanism; 3] = [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5];
const PASSWORD_ORDER_PLAINTEXT: [Mechanism; 3] =
    [Mechanism::CramMd5, Mechanism::Plain, Mechanism::Login];
const TOKEN_ORDER: [Mechanism; 1] = [Mechanism::XOAuth2];

/// The mechanism to use with `credentials` among the server's `offered` ones
/// (upper-case); `AuthUnavailable` when there is none in common.
pub fn choose(credentials: &Credentials, offered: &[String], tls: bool) -> Result<Mechanism> {
    if offered.is_empty() {
        return Err(Error::new(
            ErrorKind::AuthUnavailable,
            "the server offers no AUTH mechanism (many servers offer AUTH only after TLS)",
        ));
    }
    let ours: &[Mechanism] = match credentials {
        Credentials::OAuth2 { .. } => &TOKEN_ORDER,
        Credentials::Password { .. } if tls => &PASSWORD_ORDER_TLS,
        Credentials::Password { .. } => &PASSWORD_ORDER_PLAINTEXT,
    };
    ours.iter()
        .copied()
        .find(|m| offered.iter().any(|o| o == m.name()))
        .ok_or_else(|| {
            let names: Vec<&str> = ours.iter().map(|m| m.name()).collect();
            Error::new(
                ErrorKind::AuthUnavailable,
                format!(
                    "no AUTH mechanism in common: the server offers {}, smtpc can use {} with these credentials",
                    offered.join(" "),
                    names.join(" ")
                ),
            )
        })
}

/// What to send next in an exchange.
#[derive(Clone, Debug)]
pub enum Answer {
    /// This line (base64, or empty); a secret.
    Line(String),
    /// `*`: cancel the exchange (RFC 4954 section 4); the error says why, with the
    /// challenge that could not be answered.
    Cancel(Error),
}

/// One AUTH exchange in progress.
#[derive(Debug)]
pub struct Exchange {
    mechanism: Mechanism,
    /// How many 334 challenges have been answered.
    answered: u8,
}

impl Exchange {
    /// Starts an exchange: the exchange, and the AUTH command's initial response
    /// (a secret), if the mechanism sends one.
    pub fn start(mechanism: Mechanism, credentials: &Credentials) -> (Exchange, Option<String>) {
        let initial = match (mechanism, credentials) {
            (Mechanism::Plain, Credentials::Password { user, password }) => {
                Some(B64.encode(plain_string(user, password)))
            }
            (Mechanism::XOAuth2, Credentials::OAuth2 { user, token }) => {
                Some(B64.encode(xoauth2_string(user, token)))
            }
            _ => None,
        };
        (
            Exchange {
                mechanism,
                answered: 0,
            },
            initial,
        )
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The answer to a 334 `challenge`.
    pub fn answer(&mut self, credentials: &Credentials, challenge: &Reply) -> Answer {
        self.answered += 1;
        let step = self.answered;
        let unusable = |why: &str| {
            Answer::Cancel(Error::from_reply(
                ErrorKind::Protocol,
                &format!(
                    "AUTH {}: {why}; the exchange was cancelled",
                    self.mechanism.name()
                ),
                challenge,
            ))
        };
        match (self.mechanism, credentials, step) {
            // A server that ignored the initial response asks for it again.
            (Mechanism::Plain, Credentials::Password { user, password }, 1) => {
                Answer::Line(B64.encode(plain_string(user, password)))
            }
            (Mechanism::Login, Credentials::Password { user, .. }, 1) => {
                Answer::Line(B64.encode(user.as_bytes()))
            }
            (Mechanism::Login, Credentials::Password { password, .. }, 2) => {
                Answer::Line(B64.encode(password.as_bytes()))
            }
            (Mechanism::CramMd5, Credentials::Password { user, password }, 1) => {
                match B64.decode(challenge.text().trim()) {
                    Ok(nonce) if !nonce.is_empty() => {
                        let digest = cram_md5_digest(password, &nonce);
                        Answer::Line(B64.encode(format!("{user} {digest}")))
                    }
                    _ => unusable("the CRAM-MD5 challenge is not valid base64"),
                }
            }
            // The server sent its error (base64 JSON) and waits for an empty line
            // before its final reply.
            (Mechanism::XOAuth2, Credentials::OAuth2 { .. }, 1) => Answer::Line(String::new()),
            _ => unusable("the server sent one challenge more than the mechanism has"),
        }
    }
}

/// The CRAM-MD5 response digest (RFC 2195): HMAC-MD5 of the challenge keyed with
/// the password, in lower-case hex.
pub fn cram_md5_digest(password: &str, challenge: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<md5::Md5>::new_from_slice(password.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(challenge);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw() -> Credentials {
        Credentials::password("tim", "tanstaaftanstaaf").unwrap()
    }

    fn challenge(text: &str) -> Reply {
        Reply::new(334, vec![text.to_string()])
    }

    #[test]
    fn cram_md5_digest_matches_rfc2195_example() {
        let digest = cram_md5_digest(
            "tanstaaftanstaaf",
            b"<1896.697170952@postoffice.reston.mci.net>",
        );
        assert_eq!(digest, "b913a602c7eda7a495b4e6e7334d3890");
        let (mut x, initial) = Exchange::start(Mechanism::CramMd5, &pw());
        assert_eq!(initial, None);
        let nonce = B64.encode("<1896.697170952@postoffice.reston.mci.net>");
        let Answer::Line(line) = x.answer(&pw(), &challenge(&nonce)) else {
            panic!("answer expected")
        };
        assert_eq!(
            B64.decode(line).unwrap(),
            b"tim b913a602c7eda7a495b4e6e7334d3890"
        );
        assert!(matches!(x.answer(&pw(), &challenge("")), Answer::Cancel(_)));
    }

    #[test]
    fn unusable_cram_challenge_is_cancelled_with_the_334() {
        let (mut x, _) = Exchange::start(Mechanism::CramMd5, &pw());
        let Answer::Cancel(e) = x.answer(&pw(), &challenge("not base64 !!")) else {
            panic!("cancel expected")
        };
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert_eq!(e.reply().map(|r| r.code), Some(334));
    }

    #[test]
    fn plain_login_xoauth2_exchanges() {
        let (mut x, initial) = Exchange::start(Mechanism::Plain, &pw());
        assert_eq!(
            B64.decode(initial.unwrap()).unwrap(),
            b"\0tim\0tanstaaftanstaaf"
        );
        assert!(matches!(x.answer(&pw(), &challenge("")), Answer::Line(_)));
        assert!(matches!(x.answer(&pw(), &challenge("")), Answer::Cancel(_)));

        let (mut x, initial) = Exchange::start(Mechanism::Login, &pw());
        assert_eq!(initial, None);
        assert!(
            matches!(x.answer(&pw(), &challenge("VXNlcm5hbWU6")), Answer::Line(l) if l == B64.encode("tim"))
        );
        assert!(
            matches!(x.answer(&pw(), &challenge("UGFzc3dvcmQ6")), Answer::Line(l) if l == B64.encode("tanstaaftanstaaf"))
        );
        assert!(matches!(x.answer(&pw(), &challenge("")), Answer::Cancel(_)));

        let token = Credentials::oauth2("u@x", "ya29.tok").unwrap();
        let (mut x, initial) = Exchange::start(Mechanism::XOAuth2, &token);
        assert_eq!(
            B64.decode(initial.unwrap()).unwrap(),
            b"user=u@x\x01auth=Bearer ya29.tok\x01\x01"
        );
        assert!(matches!(x.answer(&token, &challenge("eyJ9")), Answer::Line(l) if l.is_empty()));
        assert!(matches!(
            x.answer(&token, &challenge("")),
            Answer::Cancel(_)
        ));
    }

    #[test]
    fn choice_follows_the_documented_order() {
        let offered = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let all = offered(&["LOGIN", "CRAM-MD5", "PLAIN", "XOAUTH2"]);
        assert_eq!(choose(&pw(), &all, true).unwrap(), Mechanism::Plain);
        assert_eq!(choose(&pw(), &all, false).unwrap(), Mechanism::CramMd5);
        let token = Credentials::oauth2("u", "t").unwrap();
        assert_eq!(choose(&token, &all, true).unwrap(), Mechanism::XOAuth2);
        let e = choose(&token, &offered(&["PLAIN"]), true).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AuthUnavailable);
        assert!(
            e.message().contains("PLAIN") && e.message().contains("XOAUTH2"),
            "{e}"
        );
        assert_eq!(
            choose(&pw(), &[], true).unwrap_err().kind(),
            ErrorKind::AuthUnavailable
        );
    }

    #[test]
    fn credentials_checks_and_secret_forms() {
        assert!(Credentials::password("", "x").is_err());
        assert!(Credentials::password("u\r\n", "x").is_err());
        assert!(Credentials::password("u", "a\0b").is_err());
        assert!(Credentials::password("u", "a\r\nb").is_ok());
        assert!(Credentials::oauth2("u\x01auth=Bearer evil", "t").is_err());
        assert!(Credentials::oauth2("u", "").is_err());
        assert!(Credentials::oauth2("u", "t\x01").is_err());
        let forms = pw().secret_forms();
        assert!(forms.contains(&"tanstaaftanstaaf".to_string()));
        assert!(forms.contains(&B64.encode("tanstaaftanstaaf")));
        assert!(forms.contains(&B64.encode("\0tim\0tanstaaftanstaaf")));
        assert!(!format!("{:?}", pw()).contains("tanstaaf"));
    }
}
