//! Keeps secrets out of every text the library produces.
//!
//! The client registers the password or token (and their base64 forms, as they go
//! on the wire) here; every log line, reply text and error message passes through
//! [`Redactor::apply`] before a caller can see it.

use base64::Engine;

/// A set of secret strings to replace with `***`.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor with no secrets.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Adds a secret and its base64 encodings (standard, with and without padding).
    /// Secrets shorter than 3 bytes are only matched as whole base64 tokens, since
    /// hiding every occurrence of a one-letter password would mangle all text.
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret.as_bytes());
        let b64_nopad = b64.trim_end_matches('=').to_string();
        for s in [secret.to_string(), b64, b64_nopad] {
            if s.len() >= 3 && !self.secrets.contains(&s) {
                self.secrets.push(s);
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Adds a secret exactly as given (e.g. a whole SASL response in base64).
    pub fn add_exact(&mut self, secret: &str) {
        if secret.len() >= 3 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Whether no secret is registered.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced by `***`.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_secret_and_base64_forms() {
        let mut r = Redactor::new();
        r.add("hunter22");
        let b64 = base64::engine::general_purpose::STANDARD.encode("hunter22");
        assert_eq!(r.apply("pw hunter22 and "), "pw *** and ");
        assert_eq!(r.apply(&format!("334 {b64}")), "334 ***");
        assert_eq!(r.apply("nothing here"), "nothing here");
    }
}
