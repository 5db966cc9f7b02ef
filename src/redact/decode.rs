//! Secrets in disguise: candidate tokens that carry JSON escapes, percent-encoding or look like
//! base64 are decoded (up to two layers) and the decoded text is scanned; a token that hides a
//! secret is replaced whole.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use regex::Regex;

/// Shortest token worth decoding (the shortest secret pattern is longer once encoded).
const MIN_TOKEN: usize = 16;
/// Decoding layers tried (base64 of a percent-encoded key, …).
const MAX_DEPTH: usize = 2;

fn token_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[A-Za-z0-9+/=_\-\\%.:@~]{16,}").ok())
        .as_ref()
}

/// `text` with every encoded token that decodes to a secret replaced, or `None` when there
/// was none. `is_secret` scans decoded text.
pub(super) fn redact_encoded(text: &str, is_secret: impl Fn(&str) -> bool) -> Option<String> {
    let re = token_re()?;
    let mut out: Option<String> = None;
    let mut last = 0;
    for m in re.find_iter(text) {
        let token = m.as_str();
        if !hides_secret(token, &is_secret, MAX_DEPTH) {
            continue;
        }
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
        buf.push_str(&text[last..m.start()]);
        buf.push_str("[REDACTED encoded secret]");
        last = m.end();
    }
    let mut buf = out?;
    buf.push_str(&text[last..]);
    Some(buf)
}

fn hides_secret(token: &str, is_secret: &impl Fn(&str) -> bool, depth: usize) -> bool {
    if depth == 0 || token.len() < MIN_TOKEN {
        return false;
    }
    decodings(token)
        .into_iter()
        .any(|d| is_secret(&d) || hides_secret(&d, is_secret, depth - 1))
}

/// Every plausible decoding of `token` that differs from it.
fn decodings(token: &str) -> Vec<String> {
    let mut out = Vec::new();
    if token.contains('\\')
        && let Some(d) = json_unescape(token)
    {
        out.push(d);
    }
    if token.contains('%')
        && let Some(d) = percent_decode(token)
    {
        out.push(d);
    }
    // Base64 stops at characters outside its alphabets (`key:<base64>`, `a.b.c`).
    for piece in token
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=')))
    {
        if let Some(d) = base64_decode(piece) {
            out.push(d);
        }
    }
    out
}

/// `\uXXXX`, `\xXX`, `\/` and the other JSON escapes.
fn json_unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    let mut changed = false;
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let ch = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)?;
                out.push(ch);
            }
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let ch = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)?;
                out.push(ch);
            }
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
        changed = true;
    }
    changed.then_some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut changed = false;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            changed = true;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if !changed {
        return None;
    }
    String::from_utf8(out).ok()
}

/// Standard or URL-safe base64 (padding optional) that decodes to printable UTF-8.
fn base64_decode(s: &str) -> Option<String> {
    let trimmed = s.trim_end_matches('=');
    if trimmed.len() < MIN_TOKEN
        || !trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
    {
        return None;
    }
    // A plain word or path is not base64: it needs digits or mixed case.
    let has_upper = trimmed.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = trimmed.bytes().any(|b| b.is_ascii_lowercase());
    if !(has_upper && has_lower) {
        return None;
    }
    // Decode a 4-aligned prefix too: base64 glued to other characters still reveals its start.
    let aligned = &trimmed[..trimmed.len() / 4 * 4];
    let decoded = STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .or_else(|_| STANDARD_NO_PAD.decode(aligned))
        .or_else(|_| URL_SAFE_NO_PAD.decode(aligned))
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let printable = text
        .chars()
        .all(|c| !c.is_control() || c == '\n' || c == '\r' || c == '\t');
    printable.then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders() {
        assert_eq!(json_unescape(r"\u0041b\/c").as_deref(), Some("Ab/c"));
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(
            base64_decode("aGVsbG8gd29ybGQgaGVsbG8=").as_deref(),
            Some("hello world hello")
        );
        assert_eq!(base64_decode("src/tools/compress.rs"), None);
    }
}
