//! Keeps secrets out of every text the library produces.
//!
//! The client registers the password or token (and their base64 forms, as they go
//! on the wire) here; every log line, reply text and error message passes through
//! [`Redactor::apply`] before a caller can see it.

use base64::Engine;

/// A set of secret strings to replace with `***`. Its `Debug` form shows how
/// many secrets it holds, never the secrets.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
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

    /// Untrusted bytes about to be quoted (escaped and cut short) in a message,
    /// with every secret replaced by `***` first, in the raw bytes, so that no
    /// escaped or cut form of a secret survives. The bytes may themselves be a
    /// piece of what the server sent, cut anywhere: a tail that is the start of a
    /// secret, or a head that is its end (3 bytes or more), is hidden too.
    pub fn apply_to_quote(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for s in &self.secrets {
            out = replace_all(&out, s.as_bytes());
        }
        for s in &self.secrets {
            let s = s.as_bytes();
            if let Some(k) = (3..s.len()).rev().find(|&k| out.ends_with(&s[..k])) {
                out.truncate(out.len() - k);
                out.extend_from_slice(MASK.as_bytes());
            }
            if let Some(k) = (3..s.len())
                .rev()
                .find(|&k| out.starts_with(&s[s.len() - k..]))
            {
                out.splice(..k, MASK.bytes());
            }
        }
        out
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

/// What a secret becomes.
const MASK: &str = "***";

/// `haystack` with every occurrence of `needle` replaced by [`MASK`].
fn replace_all(haystack: &[u8], needle: &[u8]) -> Vec<u8> {
    let finder = memchr::memmem::Finder::new(needle);
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = finder.find(rest) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(MASK.as_bytes());
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
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

    #[test]
    fn quoted_bytes_lose_secrets_whole_and_cut() {
        let mut r = Redactor::new();
        r.add("pässwörd-密码");
        let secret = "pässwörd-密码".as_bytes();
        let mut whole = b"xx ".to_vec();
        whole.extend_from_slice(secret);
        whole.extend_from_slice(b" yy");
        assert_eq!(r.apply_to_quote(&whole), b"xx *** yy");
        // Cut anywhere inside the secret, at either end of the piece.
        for cut in 3..secret.len() {
            let mut head = b"garbage ".to_vec();
            head.extend_from_slice(&secret[..cut]);
            assert_eq!(r.apply_to_quote(&head), b"garbage ***", "cut at {cut}");
            let mut tail = secret[secret.len() - cut..].to_vec();
            tail.extend_from_slice(b" end");
            assert_eq!(r.apply_to_quote(&tail), b"*** end", "cut at {cut}");
        }
        assert_eq!(r.apply_to_quote(b"nothing secret"), b"nothing secret");
    }
}
