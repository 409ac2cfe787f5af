//! What each reply of a mail transaction means (RFC 5321 section 3.3, RFC 1870,
//! RFC 3463): the rules, without the I/O that collects the replies.

use crate::error::ErrorKind;
use crate::protocol::reply::Reply;

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

/// The overall outcome once the data was accepted: every recipient, some, or none.
pub fn delivery_error(accepted: usize, total: usize) -> Option<ErrorKind> {
    if accepted == total {
        None
    } else if accepted == 0 {
        Some(ErrorKind::RecipientsRejected)
    } else {
        Some(ErrorKind::Partial)
    }
}

/// Whether the server is closing the session (421): the transaction can be retried
/// on a new connection when nothing was transferred yet.
pub fn is_closing(reply: &Reply) -> bool {
    reply.code == 421
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
        assert_eq!(delivery_error(3, 3), None);
        assert_eq!(delivery_error(2, 3), Some(ErrorKind::Partial));
        assert_eq!(delivery_error(0, 3), Some(ErrorKind::RecipientsRejected));
        assert!(is_closing(&reply(421, "4.4.2 timeout")));
        assert!(!is_closing(&reply(250, "ok")));
    }
}
