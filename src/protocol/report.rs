//! The outcome of one message: every recipient's reply and fate, and the reply to
//! the data.

use crate::error::ErrorKind;
use crate::protocol::reply::{EnhancedCode, Reply};

/// What the server said to one recipient, and what became of the message for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientResult {
    /// The address as given.
    pub address: String,
    /// The reply code to its RCPT TO (250, 550, ...); 0 when no reply was received
    /// for it.
    pub code: u16,
    /// The reply text (all lines joined with "\n"), with the enhanced code if any.
    pub text: String,
    /// `None` when the message reached this recipient (RCPT and data accepted);
    /// otherwise why not: [`ErrorKind::RecipientsRejected`] when its RCPT TO was
    /// refused, else the failure of the message (message refused, unknown outcome,
    /// not sent, ...).
    pub failure: Option<ErrorKind>,
}

impl RecipientResult {
    /// A recipient nothing has been sent for yet.
    pub(crate) fn unsent(address: &str) -> RecipientResult {
        RecipientResult {
            address: address.to_string(),
            code: 0,
            text: String::new(),
            failure: Some(ErrorKind::NotSent),
        }
    }

    /// Whether the server accepted this recipient at RCPT TO.
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// Whether the message reached this recipient.
    pub fn delivered(&self) -> bool {
        self.failure.is_none()
    }

    /// The RFC 3463 enhanced status code of its RCPT reply, if the server sent one.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        EnhancedCode::parse(self.code, &self.text)
    }
}

/// The outcome of one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One entry per envelope recipient, in the order given.
    pub recipients: Vec<RecipientResult>,
    /// The reply to the message data (after the final dot or last BDAT), if any.
    /// When recipients refused with 452 went in a further transaction, the reply of
    /// the last transaction whose data was answered.
    pub final_reply: Option<Reply>,
}

impl Report {
    /// The code of the reply to the data, 0 if none was received.
    pub fn final_code(&self) -> u16 {
        self.final_reply.as_ref().map_or(0, |r| r.code)
    }

    /// The text of the reply to the data, e.g. "2.0.0 Ok: queued as 4ABC"; empty if none.
    pub fn final_text(&self) -> String {
        self.final_reply
            .as_ref()
            .map_or(String::new(), |r| r.text())
    }

    /// The enhanced status code of the reply to the data, if any.
    pub fn final_enhanced(&self) -> Option<EnhancedCode> {
        self.final_reply.as_ref().and_then(|r| r.enhanced)
    }

    /// How many recipients the server accepted at RCPT TO.
    pub fn accepted_count(&self) -> usize {
        self.recipients.iter().filter(|r| r.accepted()).count()
    }

    /// Passes every text through `scrub` (see [`crate::Error::scrub`]).
    pub fn scrub(&mut self, scrub: &dyn Fn(&str) -> String) {
        for r in &mut self.recipients {
            r.text = scrub(&r.text);
        }
        if let Some(reply) = self.final_reply.as_mut() {
            reply.scrub(scrub);
        }
    }

    /// How many recipients the message reached.
    pub fn delivered_count(&self) -> usize {
        self.recipients.iter().filter(|r| r.delivered()).count()
    }
}
