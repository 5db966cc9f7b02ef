//! The memory file format: plain Markdown the user can edit, the index rebuildable from it.
//!
//! One entry = one bullet (`- `, `* `, `+ `, `1. `, with its indented continuation lines) or one
//! paragraph. Headings and blank lines separate entries; a fenced code block stays inside the
//! entry it starts in. What the index needs is kept at the end of the entry's last line as a
//! short HTML comment (invisible when rendered):
//!
//! ```text
//! - Prefers tabs over spaces. <!-- m:7f3a9c01 kind=semantic by=model at=2026-11-30 -->
//! - ~~Deploys on Fridays.~~ <!-- m:1b2c3d4e by=user at=2026-11-02 sup=2026-11-30 -->
//! - Release: bump, tag, push. <!-- m:0a0b0c0d kind=procedural pin -->
//! ```
//!
//! Keys: `m:ID` (the entry's id), `kind=episodic|semantic|procedural`, `by=user|model|imported|
//! tool_output` (provenance), `at=YYYY-MM-DD` (created), `sup=YYYY-MM-DD` (superseded by a
//! correction: the text is struck through and left out of default recall), `pin` (exempt from
//! recency decay). An entry without a comment (typed by the user) is valid: provenance user,
//! kind inferred from its text, id derived from the file and the text.

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use crate::protocol::{MemoryKind, MemoryProvenance};

/// The metadata comment of one entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub id: Option<String>,
    pub kind: Option<MemoryKind>,
    pub by: Option<MemoryProvenance>,
    /// Unix seconds (midnight UTC of the date).
    pub at: Option<i64>,
    pub superseded: Option<i64>,
    pub pinned: bool,
}

/// One entry of a memory file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    /// 1-based, inclusive.
    pub line_start: u32,
    pub line_end: u32,
    /// The text without the bullet marker, strike marks and metadata comment.
    pub text: String,
    pub kind: MemoryKind,
    pub meta: Meta,
    /// Byte length of the first line's prefix (indentation + bullet marker).
    pub marker_len: usize,
}

impl Entry {
    pub fn provenance(&self) -> MemoryProvenance {
        self.meta.by.unwrap_or(MemoryProvenance::User)
    }
}

static COMMENT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\s*<!--\s*m:([0-9a-zA-Z]{4,32})((?:\s+[a-z_]+(?:=[^\s>]+)?)*)\s*-->\s*$").ok()
});
static BULLET: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s?(?:[-*+]|\d{1,9}[.)])\s+").ok());

/// Split a line into (text, metadata) when it ends in a metadata comment.
fn split_comment(line: &str) -> (&str, Option<Meta>) {
    let Some(re) = COMMENT.as_ref() else {
        return (line, None);
    };
    let Some(caps) = re.captures(line) else {
        return (line, None);
    };
    let (Some(whole), Some(id)) = (caps.get(0), caps.get(1)) else {
        return (line, None);
    };
    let mut meta = Meta {
        id: Some(id.as_str().to_ascii_lowercase()),
        ..Meta::default()
    };
    for field in caps
        .get(2)
        .map(|m| m.as_str())
        .unwrap_or("")
        .split_whitespace()
    {
        let (key, value) = field.split_once('=').unwrap_or((field, ""));
        match key {
            "kind" => meta.kind = parse_kind(value),
            "by" => meta.by = parse_provenance(value),
            "at" => meta.at = parse_date(value),
            "sup" => meta.superseded = parse_date(value).or(Some(0)),
            "pin" => meta.pinned = true,
            _ => {}
        }
    }
    (&line[..whole.start()], Some(meta))
}

fn bullet_len(line: &str) -> Option<usize> {
    BULLET.as_ref()?.find(line).map(|m| m.end())
}

fn is_heading(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#')
        && (t.trim_start_matches('#').starts_with(' ') || t.trim_matches('#').is_empty())
}

fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

struct Open {
    start: usize,
    end: usize,
    in_fence: bool,
}

/// The entries of a file (`rel_path` seeds the ids of entries without a comment).
pub fn parse(rel_path: &str, text: &str) -> Vec<Entry> {
    let lines: Vec<&str> = text.lines().collect();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut open: Option<Open> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(o) = open.as_mut()
            && o.in_fence
        {
            o.end = i;
            if is_fence(line) {
                o.in_fence = false;
            }
            continue;
        }
        let blank = line.trim().is_empty();
        let bullet = bullet_len(line).is_some();
        // Lazy continuation: any other text line belongs to the open entry.
        let continues = open.is_some() && !blank && !bullet && !is_heading(line);
        if continues {
            if let Some(o) = open.as_mut() {
                o.end = i;
                o.in_fence = is_fence(line);
            }
            continue;
        }
        if let Some(o) = open.take() {
            spans.push((o.start, o.end));
        }
        if blank || is_heading(line) {
            continue;
        }
        open = Some(Open {
            start: i,
            end: i,
            in_fence: is_fence(line),
        });
    }
    if let Some(o) = open {
        spans.push((o.start, o.end));
    }
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    spans
        .into_iter()
        .filter_map(|(start, end)| entry(rel_path, &lines[start..=end], start, &mut seen))
        .collect()
}

fn entry(
    rel_path: &str,
    lines: &[&str],
    start: usize,
    seen: &mut std::collections::HashMap<String, u32>,
) -> Option<Entry> {
    let last = lines.len().saturating_sub(1);
    let (last_text, meta) = split_comment(lines.get(last)?);
    let meta = meta.unwrap_or_default();
    let marker_len = bullet_len(lines.first()?).unwrap_or(0);
    let mut parts: Vec<String> = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let mut l: &str = if i == last { last_text } else { line };
        if i == 0 {
            l = l.get(marker_len..).unwrap_or("");
        }
        parts.push(l.trim().to_string());
    }
    let mut text = parts.join("\n").trim().to_string();
    if text.starts_with("~~") && text.ends_with("~~") && text.len() >= 4 {
        text = text[2..text.len() - 2].trim().to_string();
    }
    if text.is_empty() {
        return None;
    }
    let id = match &meta.id {
        Some(id) => id.clone(),
        None => {
            let n = seen.entry(normalize(&text)).or_insert(0);
            *n += 1;
            derived_id(rel_path, &text, *n - 1)
        }
    };
    let kind = meta.kind.unwrap_or_else(|| infer_kind(&text));
    Some(Entry {
        id,
        line_start: start as u32 + 1,
        line_end: (start + lines.len()) as u32,
        text,
        kind,
        meta,
        marker_len,
    })
}

/// The id of an entry without a comment: file + text (+ which occurrence), 8 hex digits.
pub fn derived_id(rel_path: &str, text: &str, occurrence: u32) -> String {
    let mut h = Sha256::new();
    h.update(rel_path.as_bytes());
    h.update([0]);
    h.update(normalize(text).as_bytes());
    if occurrence > 0 {
        h.update(occurrence.to_le_bytes());
    }
    hex(&h.finalize()[..4])
}

/// A fresh random id for a new entry.
pub fn new_id() -> String {
    format!("{:08x}", fastrand::u32(..))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase, whitespace collapsed, punctuation dropped: equal for near-identical texts.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let w: String = word
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if w.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w);
    }
    out
}

/// SHA-256 of the normalized text (near-duplicate suppression, vector staleness).
pub fn text_hash(text: &str) -> Vec<u8> {
    Sha256::digest(normalize(text).as_bytes()).to_vec()
}

/// A guess for entries the user typed: steps are procedural, dated events episodic.
pub fn infer_kind(text: &str) -> MemoryKind {
    let lower = text.to_lowercase();
    let procedural = [
        "how to",
        "steps",
        "to release",
        "to deploy",
        "run `",
        "```",
        "1.",
    ]
    .iter()
    .any(|p| lower.contains(p));
    let dated = DATE.as_ref().is_some_and(|re| re.is_match(text));
    let episodic = dated
        || [
            "yesterday",
            "last week",
            "we decided",
            "on monday",
            "today we",
        ]
        .iter()
        .any(|p| lower.contains(p));
    if procedural {
        MemoryKind::Procedural
    } else if episodic {
        MemoryKind::Episodic
    } else {
        MemoryKind::Semantic
    }
}

static DATE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\b\d{4}-\d{2}-\d{2}\b").ok());

pub fn kind_name(kind: MemoryKind) -> &'static str {
    match kind {
        MemoryKind::Episodic => "episodic",
        MemoryKind::Semantic => "semantic",
        MemoryKind::Procedural => "procedural",
    }
}

pub fn parse_kind(s: &str) -> Option<MemoryKind> {
    match s {
        "episodic" => Some(MemoryKind::Episodic),
        "semantic" => Some(MemoryKind::Semantic),
        "procedural" => Some(MemoryKind::Procedural),
        _ => None,
    }
}

pub fn provenance_name(p: MemoryProvenance) -> &'static str {
    match p {
        MemoryProvenance::User => "user",
        MemoryProvenance::Model => "model",
        MemoryProvenance::Imported => "imported",
        MemoryProvenance::ToolOutput => "tool_output",
    }
}

pub fn parse_provenance(s: &str) -> Option<MemoryProvenance> {
    match s {
        "user" => Some(MemoryProvenance::User),
        "model" => Some(MemoryProvenance::Model),
        "imported" => Some(MemoryProvenance::Imported),
        "tool_output" => Some(MemoryProvenance::ToolOutput),
        _ => None,
    }
}

/// `YYYY-MM-DD` → unix seconds at midnight UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400)
}

/// The comment for `meta` (`id` must be set).
pub fn render_meta(id: &str, meta: &Meta) -> String {
    let mut s = format!("<!-- m:{id}");
    if let Some(kind) = meta.kind {
        s.push_str(&format!(" kind={}", kind_name(kind)));
    }
    if let Some(by) = meta.by {
        s.push_str(&format!(" by={}", provenance_name(by)));
    }
    if let Some(at) = meta.at {
        s.push_str(&format!(" at={}", crate::time::utc_date(at * 1000)));
    }
    if let Some(sup) = meta.superseded {
        s.push_str(&format!(" sup={}", crate::time::utc_date(sup * 1000)));
    }
    if meta.pinned {
        s.push_str(" pin");
    }
    s.push_str(" -->");
    s
}

/// A new bullet entry (continuation lines indented by two spaces).
pub fn render_entry(text: &str, id: &str, meta: &Meta) -> String {
    let body: Vec<&str> = text.trim().lines().map(str::trim_end).collect();
    format!("- {} {}", body.join("\n  "), render_meta(id, meta))
}

/// The entry's lines rewritten with `meta` (and struck through when superseded).
pub fn rewrite(entry: &Entry, lines: &[&str], meta: &Meta) -> Vec<String> {
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let last = out.len().saturating_sub(1);
    if let Some(l) = out.get_mut(last) {
        let (text, _) = split_comment(l);
        *l = text.trim_end().to_string();
    }
    let struck = out.first().is_some_and(|l| {
        l.get(entry.marker_len..)
            .is_some_and(|t| t.starts_with("~~"))
    }) && out.get(last).is_some_and(|l| l.ends_with("~~"));
    if meta.superseded.is_some() && !struck {
        if let Some(first) = out.first_mut() {
            first.insert_str(entry.marker_len.min(first.len()), "~~");
        }
        if let Some(l) = out.get_mut(last) {
            l.push_str("~~");
        }
    }
    if let Some(l) = out.get_mut(last) {
        l.push(' ');
        l.push_str(&render_meta(&entry.id, meta));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bullets_paragraphs_and_comments() {
        let text = "# Prefs\n\n- Prefers tabs. <!-- m:7f3a9c01 kind=semantic by=model at=2026-11-30 -->\n- Uses fish\n  on every machine\n\nA paragraph\nover two lines.\n\n## Old\n- ~~Deploys Fridays~~ <!-- m:aaaa1111 sup=2026-11-29 pin -->\n";
        let e = parse("MEMORY.md", text);
        assert_eq!(e.len(), 4, "{e:#?}");
        assert_eq!(e[0].id, "7f3a9c01");
        assert_eq!(e[0].text, "Prefers tabs.");
        assert_eq!(e[0].provenance(), MemoryProvenance::Model);
        assert_eq!(e[0].meta.at, parse_date("2026-11-30"));
        assert_eq!((e[1].line_start, e[1].line_end), (4, 5));
        assert_eq!(e[1].text, "Uses fish\non every machine");
        assert_eq!(e[1].provenance(), MemoryProvenance::User);
        assert_eq!(e[2].text, "A paragraph\nover two lines.");
        assert_eq!(e[3].text, "Deploys Fridays");
        assert!(e[3].meta.superseded.is_some() && e[3].meta.pinned);
    }

    #[test]
    fn derived_ids_are_stable_and_distinct_for_duplicates() {
        let a = parse("t.md", "- same\n- same\n- other\n");
        let b = parse("t.md", "- same\n- same\n- other\n");
        assert_eq!(a, b);
        assert_ne!(a[0].id, a[1].id);
        assert_ne!(parse("u.md", "- same\n")[0].id, a[0].id);
    }

    #[test]
    fn fenced_code_stays_in_one_entry() {
        let e = parse(
            "t.md",
            "Release:\n```\ncargo build\n\ncargo publish\n```\n\n- next\n",
        );
        assert_eq!(e.len(), 2, "{e:#?}");
        assert!(e[0].text.contains("cargo publish"));
        assert_eq!(e[0].kind, MemoryKind::Procedural);
    }

    #[test]
    fn render_then_parse_round_trips() {
        let meta = Meta {
            kind: Some(MemoryKind::Semantic),
            by: Some(MemoryProvenance::ToolOutput),
            at: parse_date("2026-01-02"),
            ..Meta::default()
        };
        let line = render_entry("likes green", "0123abcd", &meta);
        let e = parse("MEMORY.md", &line);
        assert_eq!(e[0].id, "0123abcd");
        assert_eq!(e[0].text, "likes green");
        assert_eq!(e[0].provenance(), MemoryProvenance::ToolOutput);
        assert_eq!(e[0].meta.at, meta.at);
    }

    #[test]
    fn rewrite_strikes_superseded_and_keeps_id() {
        let text = "- old fact";
        let e = &parse("m.md", text)[0];
        let meta = Meta {
            superseded: parse_date("2026-11-30"),
            ..e.meta.clone()
        };
        let out = rewrite(e, &[text], &meta);
        assert!(out[0].starts_with("- ~~old fact~~ <!-- m:"), "{out:?}");
        let again = &parse("m.md", &out[0])[0];
        assert_eq!(again.id, e.id);
        assert_eq!(again.text, "old fact");
        assert!(again.meta.superseded.is_some());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(951_868_800));
        assert_eq!(parse_date("nope"), None);
        assert_eq!(
            crate::time::utc_date(parse_date("2026-11-30").unwrap_or(0) * 1000),
            "2026-11-30"
        );
    }

    #[test]
    fn normalize_ignores_case_space_and_punctuation() {
        assert_eq!(normalize("Prefers  TABS."), normalize("prefers tabs"));
        assert_eq!(text_hash("A b"), text_hash("a   B!"));
    }
}
