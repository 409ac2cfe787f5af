//! SASL authentication (RFC 4954): PLAIN, LOGIN, CRAM-MD5 and XOAUTH2.
//!
//! Mechanism choice, first match wins among those the server offers:
//! - OAuth 2.0 token: XOAUTH2 only.
//! - Password over TLS: PLAIN, LOGIN, CRAM-MD5 (inside TLS the simple mechanisms
//!   are as safe, and CRAM-MD5 forces servers to keep plaintext-equivalent secrets).
//! - Password without TLS (only with SMTPC_TLS_NONE): CRAM-MD5 first, because it
//!   never puts the password on the wire, then PLAIN, LOGIN.
//!
//! Secrets never reach a log, a reply text or an error: every payload is registered
//! with the transcript's redactor before it is sent, and commands log it as `***`.

use super::session::Session;
use super::transcript::Transcript;
use super::{Credentials, TlsMode};
use crate::error::{Error, ErrorKind, Result};
use crate::protocol::command::Command;
use crate::protocol::reply::Reply;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};

const PASSWORD_ORDER_TLS: [&str; 3] = ["PLAIN", "LOGIN", "CRAM-MD5"];
const PASSWORD_ORDER_PLAINTEXT: [&str; 3] = ["CRAM-MD5", "PLAIN", "LOGIN"];
const TOKEN_ORDER: [&str; 1] = ["XOAUTH2"];

/// Authenticates the session with the configured credentials.
pub(crate) fn authenticate(
    s: &mut Session,
    t: &mut Transcript,
    credentials: &Credentials,
    mode: TlsMode,
) -> Result<()> {
    let tls = s.is_tls();
    if !tls && mode != TlsMode::None {
        return Err(Error::new(
            ErrorKind::AuthUnavailable,
            "refusing to send credentials over a connection without TLS: the server did not \
             offer STARTTLS (opportunistic mode). Use SMTPC_TLS_STARTTLS or SMTPC_TLS_IMPLICIT, \
             or SMTPC_TLS_NONE to accept the risk",
        ));
    }
    let offered = s.ext.auth_mechanisms();
    if offered.is_empty() {
        return Err(Error::new(
            ErrorKind::AuthUnavailable,
            "the server offers no AUTH mechanism (many servers offer AUTH only after TLS)",
        ));
    }
    let ours: &[&str] = match credentials {
        Credentials::OAuth2 { .. } => &TOKEN_ORDER,
        Credentials::Password { .. } if tls => &PASSWORD_ORDER_TLS,
        Credentials::Password { .. } => &PASSWORD_ORDER_PLAINTEXT,
    };
    let Some(mechanism) = ours.iter().find(|m| offered.iter().any(|o| o == *m)) else {
        return Err(Error::new(
            ErrorKind::AuthUnavailable,
            format!(
                "no AUTH mechanism in common: the server offers {}, smtpc can use {} with these credentials",
                offered.join(" "),
                ours.join(" ")
            ),
        ));
    };
    t.info(&format!(
        "authenticating as {} with {mechanism}",
        credentials.user()
    ));
    let reply = match (credentials, *mechanism) {
        (Credentials::Password { user, password }, "PLAIN") => plain(s, t, user, password)?,
        (Credentials::Password { user, password }, "LOGIN") => login(s, t, user, password)?,
        (Credentials::Password { user, password }, "CRAM-MD5") => cram_md5(s, t, user, password)?,
        (Credentials::OAuth2 { user, token }, "XOAUTH2") => xoauth2(s, t, user, token)?,
        _ => unreachable!("mechanism lists match the credential kinds"),
    };
    if reply.code == 235 {
        t.info("authenticated");
        return Ok(());
    }
    if reply.code == 334 {
        // The exchange went somewhere we do not follow: cancel it (RFC 4954).
        let _ = s.command(t, &Command::AuthResponse("*"), "cancelling AUTH");
    }
    Err(Error::from_reply(
        ErrorKind::AuthFailed,
        &format!("the server rejected the credentials ({mechanism})"),
        &reply,
    ))
}

fn secret(t: &mut Transcript, bytes: &[u8]) -> String {
    let encoded = B64.encode(bytes);
    t.redactor.add_exact(&encoded);
    t.redactor.add_exact(encoded.trim_end_matches('='));
    encoded
}

fn plain(s: &mut Session, t: &mut Transcript, user: &str, password: &str) -> Result<Reply> {
    let mut raw = Vec::with_capacity(user.len() + password.len() + 2);
    raw.push(0);
    raw.extend_from_slice(user.as_bytes());
    raw.push(0);
    raw.extend_from_slice(password.as_bytes());
    let response = secret(t, &raw);
    let command = Command::Auth {
        mechanism: "PLAIN",
        initial_response: Some(&response),
    };
    let reply = s.command(t, &command, "sending AUTH PLAIN")?;
    if reply.code == 334 {
        // A server that ignores initial responses asks again with an empty challenge.
        return respond(s, t, &response);
    }
    Ok(reply)
}

fn login(s: &mut Session, t: &mut Transcript, user: &str, password: &str) -> Result<Reply> {
    let command = Command::Auth {
        mechanism: "LOGIN",
        initial_response: None,
    };
    let reply = s.command(t, &command, "sending AUTH LOGIN")?;
    if reply.code != 334 {
        return Ok(reply);
    }
    let user_b64 = secret(t, user.as_bytes());
    let reply = respond(s, t, &user_b64)?;
    if reply.code != 334 {
        return Ok(reply);
    }
    let password_b64 = secret(t, password.as_bytes());
    respond(s, t, &password_b64)
}

fn cram_md5(s: &mut Session, t: &mut Transcript, user: &str, password: &str) -> Result<Reply> {
    let command = Command::Auth {
        mechanism: "CRAM-MD5",
        initial_response: None,
    };
    let reply = s.command(t, &command, "sending AUTH CRAM-MD5")?;
    if reply.code != 334 {
        return Ok(reply);
    }
    let challenge = B64
        .decode(reply.text().trim())
        .map_err(|_| Error::protocol("the CRAM-MD5 challenge is not valid base64"))?;
    let mut mac = Hmac::<md5::Md5>::new_from_slice(password.as_bytes())
        .map_err(|_| Error::new(ErrorKind::AuthFailed, "CRAM-MD5: unusable key"))?;
    mac.update(&challenge);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let response = secret(t, format!("{user} {hex}").as_bytes());
    respond(s, t, &response)
}

fn xoauth2(s: &mut Session, t: &mut Transcript, user: &str, token: &str) -> Result<Reply> {
    let raw = format!("user={user}\x01auth=Bearer {token}\x01\x01");
    let response = secret(t, raw.as_bytes());
    let command = Command::Auth {
        mechanism: "XOAUTH2",
        initial_response: Some(&response),
    };
    let reply = s.command(t, &command, "sending AUTH XOAUTH2")?;
    if reply.code == 334 {
        // The server sent an error description (base64 JSON) and waits for an empty
        // line before its final 5xx.
        return respond(s, t, "");
    }
    Ok(reply)
}

/// Sends one SASL continuation line.
fn respond(s: &mut Session, t: &mut Transcript, line: &str) -> Result<Reply> {
    let reply = s.command(t, &Command::AuthResponse(line), "sending AUTH data")?;
    Ok(reply)
}

impl Credentials {
    fn user(&self) -> &str {
        match self {
            Credentials::Password { user, .. } | Credentials::OAuth2 { user, .. } => user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cram_md5_digest_matches_rfc2195_example() {
        // RFC 2195's worked example: user tim, secret tanstaaftanstaaf.
        let challenge = b"<1896.697170952@postoffice.reston.mci.net>";
        let mut mac = Hmac::<md5::Md5>::new_from_slice(b"tanstaaftanstaaf").unwrap();
        mac.update(challenge);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "b913a602c7eda7a495b4e6e7334d3890");
    }
}
