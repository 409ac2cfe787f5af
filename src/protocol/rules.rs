//! What each reply means (RFC 5321 section 3.3 and 4.2, RFC 1870, RFC 3463): the
//! rules, without the conversation that collects the replies.

use crate::error::{Error, ErrorKind, Result};
use crate::protocol::reply::Reply;
use crate::protocol::session::SimpleCommand;

/// True for replies that mean "the message is too big": 552 (RFC 5321 and RFC 1870
/// use it for size) or an enhanced code X.3.4.
fn is_too_big(reply: &Reply) -> bool {
    reply.code == 552
        || reply
            .enhanced
            .is_some_and(|e| e.subject == 3 && e.detail == 4 && e.class != 2)
}

/// The error a reply to MAIL FROM means, or `None` when the sender was accepted.
pub fn mail_error(reply: &Reply) -> Option<ErrorKind> {
    match reply.code {
        200..=299 => None,
        _ if is_too_big(reply) => Some(ErrorKind::MessageTooBig),
        _ => Some(ErrorKind::SenderRejected),
    }
}

/// Whether a reply to RCPT TO accepted the recipient (250 or 251).
pub fn rcpt_accepted(reply: &Reply) -> bool {
    reply.is_positive()
}

/// The error a reply to DATA means, or `None` for 354 (go ahead).
pub fn data_error(reply: &Reply) -> Option<ErrorKind> {
    match reply.code {
        354 => None,
        _ if is_too_big(reply) => Some(ErrorKind::MessageTooBig),
        _ => Some(ErrorKind::MessageRejected),
    }
}

/// The error the reply after the end of data means, or `None` when it was accepted.
pub fn final_error(reply: &Reply) -> Option<ErrorKind> {
    match reply.code {
        200..=299 => None,
        _ if is_too_big(reply) => Some(ErrorKind::MessageTooBig),
        _ => Some(ErrorKind::MessageRejected),
    }
}

/// The error a failed reply to AUTH (or to a SASL response) means (RFC 4954
/// section 6): only 535 (or an enhanced 5.7.8) says the credentials are wrong;
/// 534 and 538 (mechanism too weak, encryption required) and 504 (mechanism not
/// supported) say this mechanism cannot be used; any other positive reply than
/// 235 or 334 is out of place; everything else (421, 432, 451, 452, 454, 554, ...)
/// refused the command without judging the credentials.
pub fn auth_error(reply: &Reply) -> ErrorKind {
    let credentials_wrong = reply.code == 535
        || reply
            .enhanced
            .is_some_and(|e| e.class == 5 && e.subject == 7 && e.detail == 8);
    match reply.code {
        _ if credentials_wrong => ErrorKind::AuthFailed,
        504 | 534 | 538 => ErrorKind::AuthUnavailable,
        200..=399 => ErrorKind::Protocol,
        _ => ErrorKind::CommandRejected,
    }
}

/// Whether a reply code says "try again later" (4xx) rather than "never" (5xx).
pub fn is_temporary(code: u16) -> bool {
    (400..500).contains(&code)
}

/// Whether a reply code is a permanent failure (5xx).
pub fn is_permanent(code: u16) -> bool {
    (500..600).contains(&code)
}

/// What the reply to a caller's command means.
pub fn command_result(command: &SimpleCommand, reply: Reply) -> Result<Reply> {
    let unexpected = |what: &str, reply: &Reply| {
        Err(Error::from_reply(
            ErrorKind::Protocol,
            &format!("unexpected reply to {what}"),
            reply,
        ))
    };
    match command {
        SimpleCommand::Noop if reply.is_positive() => Ok(reply),
        SimpleCommand::Noop => unexpected("NOOP", &reply),
        SimpleCommand::Rset if reply.is_positive() => Ok(reply),
        SimpleCommand::Rset => unexpected("RSET", &reply),
        SimpleCommand::Vrfy(address) => match reply.code {
            250..=252 => Ok(reply),
            500 | 502 | 504 => Err(Error::from_reply(
                ErrorKind::Unsupported,
                "the server does not support VRFY",
                &reply,
            )),
            550 | 551 | 553 => Err(Error::from_reply(
                ErrorKind::RecipientsRejected,
                &format!("the server does not know <{address}>"),
                &reply,
            )),
            _ => unexpected("VRFY", &reply),
        },
        SimpleCommand::Etrn(node) => match reply.code {
            250..=253 => Ok(reply),
            500 | 502 | 504 => Err(Error::from_reply(
                ErrorKind::Unsupported,
                "the server does not support ETRN",
                &reply,
            )),
            400..=599 => Err(Error::from_reply(
                ErrorKind::CommandRejected,
                &format!("the server refused ETRN {node}"),
                &reply,
            )),
            _ => unexpected("ETRN", &reply),
        },
        // 421 is the server closing too: what QUIT asked for.
        SimpleCommand::Quit if matches!(reply.code, 221 | 421) => Ok(reply),
        SimpleCommand::Quit => unexpected("QUIT (the connection is closed anyway)", &reply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, text: &str) -> Reply {
        Reply::new(code, vec![text.to_string()])
    }

    #[test]
    fn mail_replies() {
        assert_eq!(mail_error(&reply(250, "2.1.0 Ok")), None);
        assert_eq!(
            mail_error(&reply(553, "5.7.1 <x>: Sender address rejected")),
            Some(ErrorKind::SenderRejected)
        );
        assert_eq!(
            mail_error(&reply(552, "5.3.4 Message size exceeds fixed limit")),
            Some(ErrorKind::MessageTooBig)
        );
        assert_eq!(
            mail_error(&reply(452, "4.3.4 too big for now")),
            Some(ErrorKind::MessageTooBig)
        );
        assert_eq!(
            mail_error(&reply(451, "4.3.0 try later")),
            Some(ErrorKind::SenderRejected)
        );
    }

    #[test]
    fn data_and_final_replies() {
        assert_eq!(
            data_error(&reply(354, "End data with <CR><LF>.<CR><LF>")),
            None
        );
        assert_eq!(
            data_error(&reply(554, "5.5.1 Error: no valid recipients")),
            Some(ErrorKind::MessageRejected)
        );
        assert_eq!(final_error(&reply(250, "2.0.0 Ok: queued as X")), None);
        assert_eq!(
            final_error(&reply(550, "5.7.1 spam")),
            Some(ErrorKind::MessageRejected)
        );
        assert_eq!(
            final_error(&reply(552, "5.3.4 too big")),
            Some(ErrorKind::MessageTooBig)
        );
    }

    #[test]
    fn recipients_outcome() {
        assert!(rcpt_accepted(&reply(250, "2.1.5 Ok")));
        assert!(rcpt_accepted(&reply(251, "will forward")));
        assert!(!rcpt_accepted(&reply(550, "5.1.1 unknown")));
        assert!(!rcpt_accepted(&reply(450, "4.2.0 greylisted")));
    }

    #[test]
    fn auth_replies() {
        assert_eq!(auth_error(&reply(535, "5.7.8 bad")), ErrorKind::AuthFailed);
        assert_eq!(auth_error(&reply(554, "5.7.8 bad")), ErrorKind::AuthFailed);
        assert_eq!(
            auth_error(&reply(538, "5.7.11 tls")),
            ErrorKind::AuthUnavailable
        );
        assert_eq!(
            auth_error(&reply(534, "5.7.9 weak")),
            ErrorKind::AuthUnavailable
        );
        assert_eq!(auth_error(&reply(250, "ok")), ErrorKind::Protocol);
        for code in [421, 432, 451, 452, 454, 554] {
            let e = auth_error(&reply(code, "no"));
            assert_eq!(e, ErrorKind::CommandRejected, "{code}");
        }
    }

    #[test]
    fn temporary_and_permanent() {
        assert!(is_temporary(421) && is_temporary(452) && !is_temporary(550));
        assert!(is_permanent(550) && is_permanent(554) && !is_permanent(451));
        assert!(!is_temporary(250) && !is_permanent(250));
    }

    #[test]
    fn command_replies() {
        let ok = |c: SimpleCommand, code| command_result(&c, reply(code, "x")).is_ok();
        let kind =
            |c: SimpleCommand, code| command_result(&c, reply(code, "x")).unwrap_err().kind();
        assert!(ok(SimpleCommand::Noop, 250));
        assert_eq!(kind(SimpleCommand::Rset, 500), ErrorKind::Protocol);
        let vrfy = || SimpleCommand::Vrfy("a@b".into());
        assert!(ok(vrfy(), 252));
        assert_eq!(kind(vrfy(), 502), ErrorKind::Unsupported);
        assert_eq!(kind(vrfy(), 550), ErrorKind::RecipientsRejected);
        let etrn = || SimpleCommand::Etrn("example.com".into());
        assert!(ok(etrn(), 250) && ok(etrn(), 253));
        assert_eq!(kind(etrn(), 459), ErrorKind::CommandRejected);
        assert_eq!(kind(etrn(), 502), ErrorKind::Unsupported);
        assert!(ok(SimpleCommand::Quit, 221));
        assert!(ok(SimpleCommand::Quit, 421));
        assert_eq!(kind(SimpleCommand::Quit, 250), ErrorKind::Protocol);
    }
}
