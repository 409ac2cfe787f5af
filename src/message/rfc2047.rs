//! RFC 2047 encoded-words for non-ASCII header text.
//!
//! Always UTF-8 with the B (base64) encoding. B rather than Q because its size is
//! predictable (4 characters per 3 bytes, so a chunk that fits is a formula), it is
//! compact for CJK and emoji (Q needs 9 characters per CJK character), and it is
//! allowed unchanged in every context — Q in a display name may use only a restricted
//! character set (RFC 2047 section 5, rule 3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

const PREFIX: &str = "=?UTF-8?B?";
const SUFFIX: &str = "?=";

/// Longest encoded-word (RFC 2047 section 2).
pub const MAX_WORD: usize = 75;

/// Length of the encoded-word carrying `bytes` bytes of text.
pub fn word_len(bytes: usize) -> usize {
    PREFIX.len() + SUFFIX.len() + 4 * bytes.div_ceil(3)
}

/// Byte length of the longest prefix of `text`, in whole characters, whose
/// encoded-word is at most `width` characters (0 when not even one fits). Whole
/// characters because a decoder may decode each encoded-word on its own: a split
/// UTF-8 sequence would become two replacement characters.
pub fn fitting_prefix(text: &str, width: usize) -> usize {
    let mut end = 0;
    for (start, c) in text.char_indices() {
        let next = start + c.len_utf8();
        if word_len(next) > width {
            break;
        }
        end = next;
    }
    end
}

/// Appends the encoded-word of `chunk` to `out`.
pub fn push_word(chunk: &str, out: &mut String) {
    out.push_str(PREFIX);
    STANDARD.encode_string(chunk, out);
    out.push_str(SUFFIX);
}

/// Whether a word would be taken for an encoded-word by a decoder, so that plain
/// text containing one has to be encoded to survive unchanged.
pub fn looks_encoded(word: &str) -> bool {
    word.contains("=?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(s: &str) -> String {
        let mut out = String::new();
        push_word(s, &mut out);
        out
    }

    #[test]
    fn lengths_follow_the_formula() {
        for s in ["", "a", "ab", "abc", "é", "中", "😀", "年度报告"] {
            assert_eq!(word(s).len(), word_len(s.len()), "{s}");
        }
        assert_eq!(word("é"), "=?UTF-8?B?w6k=?=");
    }

    #[test]
    fn longest_word_is_75() {
        // 45 bytes -> 60 base64 characters -> 72; 48 bytes would be 76.
        assert_eq!(word_len(45), 72);
        assert_eq!(word_len(46), 76);
        assert_eq!(fitting_prefix(&"a".repeat(100), MAX_WORD), 45);
    }

    #[test]
    fn never_splits_a_character() {
        for c in ['é', '中', '😀'] {
            let text: String = std::iter::repeat(c).take(40).collect();
            for width in 0..=MAX_WORD {
                let n = fitting_prefix(&text, width);
                assert!(text.is_char_boundary(n));
                assert!(n == 0 || word_len(n) <= width);
                // one more character would not fit
                if n < text.len() {
                    assert!(word_len(n + c.len_utf8()) > width);
                }
            }
        }
    }

    #[test]
    fn too_narrow_gives_nothing() {
        assert_eq!(fitting_prefix("😀", 19), 0);
        assert_eq!(fitting_prefix("😀", 20), 4);
        assert_eq!(fitting_prefix("", 75), 0);
    }

    #[test]
    fn detects_encoded_word_lookalikes() {
        assert!(looks_encoded("=?utf-8?q?x?="));
        assert!(!looks_encoded("a=b?c"));
    }
}
