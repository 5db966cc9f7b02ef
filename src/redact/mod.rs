//! The one leak detector. Every path a secret could take out of pincer passes through here:
//! tool output before the model sees it, items before they are stored, the audit log, exports,
//! tool output shown by the front ends, and (later) memory writes.
//!
//! Mechanism: a table of named patterns ([`patterns`]); an Aho-Corasick prefilter over the
//! patterns' literal anchors picks the few patterns that could match at all, so clean text costs
//! one linear scan; the exact values of the keys pincer itself uses are added at start-up
//! ([`add_exact`]). Encoded secrets (JSON `\uXXXX` escapes, percent-encoding, base64) are found
//! by decoding candidate tokens and scanning the decoded text ([`decode`]).

mod decode;
mod patterns;
mod records;

use std::borrow::Cow;
use std::sync::{OnceLock, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Captures, Regex};

use patterns::{Check, PATTERNS};

/// Shortest exact secret worth registering (shorter values would redact ordinary words).
const MIN_EXACT_LEN: usize = 8;

struct Compiled {
    regexes: Vec<Option<Regex>>,
    /// Anchor index → pattern index.
    anchor_owner: Vec<usize>,
    prefilter: Option<AhoCorasick>,
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let regexes = PATTERNS.iter().map(|p| Regex::new(p.regex).ok()).collect();
        let mut anchors = Vec::new();
        let mut anchor_owner = Vec::new();
        for (i, p) in PATTERNS.iter().enumerate() {
            for a in p.anchors {
                anchors.push(*a);
                anchor_owner.push(i);
            }
        }
        let prefilter = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&anchors)
            .ok();
        Compiled {
            regexes,
            anchor_owner,
            prefilter,
        }
    })
}

/// The exact secret values registered at start-up (provider keys pincer uses).
struct Exact {
    values: Vec<String>,
    matcher: Option<AhoCorasick>,
}

fn exact() -> &'static RwLock<Exact> {
    static E: OnceLock<RwLock<Exact>> = OnceLock::new();
    E.get_or_init(|| {
        RwLock::new(Exact {
            values: Vec::new(),
            matcher: None,
        })
    })
}

/// Registers a secret value to be redacted wherever it appears exactly (a provider key read
/// from the environment or the secrets store). Short values are ignored.
pub fn add_exact(secret: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_EXACT_LEN {
        return;
    }
    let mut guard = exact().write().unwrap_or_else(|p| p.into_inner());
    if guard.values.iter().any(|v| v == secret) {
        return;
    }
    guard.values.push(secret.to_string());
    guard.matcher = AhoCorasick::new(&guard.values).ok();
}

/// Which patterns could match `text` (by their anchors), as a bit set over [`PATTERNS`].
fn candidates(text: &str) -> u64 {
    let c = compiled();
    let Some(pre) = &c.prefilter else {
        // No prefilter: try every pattern.
        return u64::MAX;
    };
    let mut set = 0u64;
    let all = (1u64 << PATTERNS.len()) - 1;
    for m in pre.find_overlapping_iter(text) {
        set |= 1 << c.anchor_owner[m.pattern().as_usize()];
        if set == all {
            break;
        }
    }
    set
}

/// Replaces the matches of the named patterns and the exact secrets; no decoding.
fn redact_plain(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    {
        let guard = exact().read().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = &guard.matcher
            && m.is_match(text)
        {
            out = Cow::Owned(m.replace_all(text, &vec!["[REDACTED key]"; guard.values.len()]));
        }
    }
    let set = candidates(&out);
    if set == 0 {
        return out;
    }
    let c = compiled();
    for (i, p) in PATTERNS.iter().enumerate() {
        if set & (1 << i) == 0 {
            continue;
        }
        let Some(re) = &c.regexes[i] else { continue };
        if !re.is_match(&out) {
            continue;
        }
        let replaced = replace(re, &out, p.name, p.check);
        if let Cow::Owned(s) = replaced
            && s != *out
        {
            out = Cow::Owned(s);
        }
    }
    out
}

/// Replaces each match (or its `s` group) whose value passes the check.
fn replace<'t>(re: &Regex, text: &'t str, name: &str, check: Check) -> Cow<'t, str> {
    re.replace_all(text, |caps: &Captures| {
        let whole = caps.get(0).map(|m| m.as_str()).unwrap_or("");
        match caps.name("s") {
            Some(s) if patterns::passes(check, s.as_str()) => {
                let start = s.start() - caps.get(0).map(|m| m.start()).unwrap_or(0);
                let end = start + s.as_str().len();
                format!("{}[REDACTED {name}]{}", &whole[..start], &whole[end..])
            }
            Some(_) => whole.to_string(),
            None => format!("[REDACTED {name}]"),
        }
    })
}

/// `text` with every credential replaced by `[REDACTED name]`, including credentials hidden
/// in JSON escapes, percent-encoding or base64 (the encoded token is replaced whole).
pub fn redact(text: &str) -> String {
    redact_cow(text).into_owned()
}

/// [`redact`] without a copy when nothing was found.
pub fn redact_cow(text: &str) -> Cow<'_, str> {
    let plain = redact_plain(text);
    match decode::redact_encoded(&plain, |decoded| redact_plain(decoded) != decoded) {
        Some(s) => Cow::Owned(s),
        None => plain,
    }
}

/// Whether `text` holds anything [`redact`] would remove (for memory writes and checks).
pub fn contains_secret(text: &str) -> bool {
    redact_cow(text) != text
}

/// Redacts every string inside a JSON value (keys stay).
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            if let Cow::Owned(r) = redact_cow(s) {
                *s = r;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
