//! The outcome of one send: every recipient's reply and the reply to the data.

use crate::protocol::reply::Reply;

/// What the server said to one recipient's RCPT TO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientResult {
    /// The address as given.
    pub address: String,
    /// The reply code (250, 550, ...); 0 when no reply was received for it.
    pub code: u16,
    /// The reply text (all lines joined with "\n"), with the enhanced code if any.
    pub text: String,
}

impl RecipientResult {
    /// Whether the server accepted this recipient.
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.code)
    }
}

/// The outcome of one send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One entry per envelope recipient, in the order given.
    pub recipients: Vec<RecipientResult>,
    /// The reply to the message data (after the final dot or last BDAT), if any.
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

    /// How many recipients the server accepted.
    pub fn accepted_count(&self) -> usize {
        self.recipients.iter().filter(|r| r.accepted()).count()
    }
}
