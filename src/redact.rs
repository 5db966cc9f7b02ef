//! Secret redaction for text pincer stores (the audit log) or shows.

use std::sync::OnceLock;

use regex::{Regex, RegexSet};

/// Named patterns of credentials that must not be written down.
const PATTERNS: &[(&str, &str)] = &[
    ("anthropic key", r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    ("openai key", r"sk-(?:proj-)?[A-Za-z0-9_\-]{20,}"),
    ("aws access key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    (
        "github token",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b",
    ),
    ("slack token", r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    ("google api key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    (
        "stripe key",
        r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}\b",
    ),
    (
        "private key",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
    ),
    ("bearer token", r"(?i)\bbearer\s+[A-Za-z0-9_\-\.=]{16,}"),
    (
        "password assignment",
        r#"(?i)\b(?:password|passwd|secret|api[_-]?key|token)\s*[=:]\s*["']?[^\s"']{6,}"#,
    ),
];

fn compiled() -> &'static (RegexSet, Vec<(&'static str, Regex)>) {
    static SET: OnceLock<(RegexSet, Vec<(&'static str, Regex)>)> = OnceLock::new();
    SET.get_or_init(|| {
        let set =
            RegexSet::new(PATTERNS.iter().map(|(_, p)| *p)).unwrap_or_else(|_| RegexSet::empty());
        let each = PATTERNS
            .iter()
            .filter_map(|(name, p)| Regex::new(p).ok().map(|r| (*name, r)))
            .collect();
        (set, each)
    })
}

/// `text` with every credential replaced by `[REDACTED name]`.
pub fn redact(text: &str) -> String {
    let (set, each) = compiled();
    let hits = set.matches(text);
    if !hits.matched_any() {
        return text.to_string();
    }
    let mut out = text.to_string();
    for (i, (name, re)) in each.iter().enumerate() {
        if hits.matched(i) {
            out = re
                .replace_all(&out, format!("[REDACTED {name}]"))
                .into_owned();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_common_secrets() {
        let text = "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123' OPENAI_API_KEY=sk-proj-aaaaaaaaaaaaaaaaaaaaaaaa aws AKIAABCDEFGHIJKLMNOP ghp_0123456789abcdefghijklmnopqrstuvwxyz";
        let r = redact(text);
        assert!(!r.contains("abcdefghijklmnopqrstuvwxyz0123"), "{r}");
        assert!(!r.contains("sk-proj-aaaa"), "{r}");
        assert!(!r.contains("AKIAABCDEFGHIJKLMNOP"), "{r}");
        assert!(!r.contains("ghp_0123"), "{r}");
        assert!(r.contains("[REDACTED"));
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        assert_eq!(redact("cargo test --release"), "cargo test --release");
        assert_eq!(
            redact("{\"path\":\"src/main.rs\"}"),
            "{\"path\":\"src/main.rs\"}"
        );
    }

    #[test]
    fn private_keys_are_removed_whole() {
        let r = redact(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\ndef\n-----END OPENSSH PRIVATE KEY-----\nrest",
        );
        assert_eq!(r, "[REDACTED private key]\nrest");
    }
}
