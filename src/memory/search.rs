//! Search over memory and past sessions: ranked legs (FTS5 `unicode61` bm25, FTS5 `trigram`
//! for substrings and CJK, optional vectors), fused by reciprocal rank (k = 60), recency decay
//! (core and pinned exempt), near-duplicate suppression, and the scope filter (user memory,
//! this project's memory, this project's sessions — never another project's).
//!
//! Each leg is bounded ([`LEG_LIMIT`] candidates), so a search costs the same at 100k chunks
//! as at 1k, give or take the FTS lookups.

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use super::dirs::MemoryDirs;
use super::index::project_key;
use super::vectors;
use crate::protocol::MemoryScopeFilter;
use crate::store::{Store, StoreError};

/// Candidates each leg contributes.
pub const LEG_LIMIT: usize = 100;
/// Reciprocal rank fusion constant.
pub const RRF_K: f64 = 60.0;
/// Trigram overlap above which two hits count as the same fact.
const DUPLICATE_OVERLAP: f64 = 0.85;

/// What to search for.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub scope: MemoryScopeFilter,
    pub k: usize,
    pub include_superseded: bool,
    pub include_sessions: bool,
    /// (model, query vector) for the vector leg.
    pub vector: Option<(String, Vec<f32>)>,
    /// Unix seconds.
    pub now: i64,
    pub half_life_days: u32,
}

impl Query {
    pub fn new(text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            scope: MemoryScopeFilter::All,
            k: 10,
            include_superseded: false,
            include_sessions: true,
            vector: None,
            now: crate::store::now_ms() / 1000,
            half_life_days: 30,
        }
    }
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// "memory" or "session".
    pub source: String,
    /// Relative to the memory folder (empty for sessions).
    pub path: String,
    /// First and last line (memory); `[0, 0]` for sessions.
    pub lines: [u32; 2],
    pub snippet: String,
    pub score: f64,
    /// The memory entry's id (`memory forget ID`), or `s<chunk>` for a session item.
    pub id: String,
    pub session_id: Option<String>,
    pub item_id: Option<i64>,
    pub scope: String,
    pub superseded: bool,
    #[serde(skip)]
    pub chunk_id: i64,
}

/// Reciprocal rank fusion: each leg's ranking (best first) adds `1 / (k + rank)` per id.
pub fn rrf(legs: &[Vec<i64>], k: f64) -> HashMap<i64, f64> {
    let mut scores: HashMap<i64, f64> = HashMap::new();
    for leg in legs {
        for (rank, id) in leg.iter().enumerate() {
            *scores.entry(*id).or_insert(0.0) += 1.0 / (k + rank as f64 + 1.0);
        }
    }
    scores
}

/// Recency factor: 1 now, 0.5 after one half-life; exempt entries (core, pinned) keep 1.
pub fn decay(age_secs: i64, half_life_days: u32, exempt: bool) -> f64 {
    if exempt || half_life_days == 0 {
        return 1.0;
    }
    let age_days = age_secs.max(0) as f64 / 86_400.0;
    0.5f64.powf(age_days / f64::from(half_life_days))
}

fn trigrams(text: &str) -> std::collections::HashSet<[char; 3]> {
    let chars: Vec<char> = super::format::normalize(text).chars().collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// Jaccard overlap of the two texts' character trigrams (after normalizing).
pub fn trigram_overlap(a: &str, b: &str) -> f64 {
    let (ta, tb) = (trigrams(a), trigrams(b));
    if ta.is_empty() || tb.is_empty() {
        return if super::format::normalize(a) == super::format::normalize(b) {
            1.0
        } else {
            0.0
        };
    }
    let inter = ta.intersection(&tb).count() as f64;
    inter / ((ta.len() + tb.len()) as f64 - inter)
}

/// Keep the best-scored of each group of near-identical texts (input sorted best first).
pub fn dedup<T>(hits: Vec<T>, text: impl Fn(&T) -> &str) -> Vec<T> {
    let mut kept: Vec<T> = Vec::with_capacity(hits.len());
    for hit in hits {
        let t = text(&hit);
        if kept
            .iter()
            .all(|k| trigram_overlap(text(k), t) < DUPLICATE_OVERLAP)
        {
            kept.push(hit);
        }
    }
    kept
}

/// FTS5 query: each word quoted (no operators from the user), OR-ed.
fn match_expr(text: &str, min_chars: usize) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '_' && c != '-'))
        .filter(|w| w.chars().count() >= min_chars)
        .map(|w| format!("\"{}\"", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" OR "))
}

struct Filter {
    user: bool,
    project: bool,
    sessions: bool,
    key: String,
    root: String,
    superseded: bool,
}

const FILTER_SQL: &str = "(c.superseded IS NULL OR ?3)
    AND ((c.scope = 'user' AND ?4) OR (c.scope = 'project' AND ?5 AND c.project = ?6)
         OR (c.scope = 'session' AND ?7 AND (c.project = ?8 OR substr(c.project, 1, length(?8) + 1) = ?8 || '/')))";

fn leg(store: &Store, table: &str, expr: &str, f: &Filter) -> Result<Vec<i64>, StoreError> {
    let sql = format!(
        "SELECT c.id FROM {table} JOIN memory_chunks c ON c.id = {table}.rowid
         WHERE {table} MATCH ?1 AND {FILTER_SQL} ORDER BY bm25({table}) LIMIT ?2"
    );
    let mut stmt = store.connection().prepare_cached(&sql)?;
    let ids = stmt
        .query_map(
            params![
                expr,
                LEG_LIMIT as i64,
                f.superseded,
                f.user,
                f.project,
                f.key,
                f.sessions,
                f.root
            ],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

fn vector_leg(store: &Store, model: &str, q: &[f32], f: &Filter) -> Result<Vec<i64>, StoreError> {
    let sql = format!(
        "SELECT c.id, v.vec FROM memory_vectors v JOIN memory_chunks c ON c.id = v.chunk_id
         WHERE v.model = ?1 AND v.dim = ?2 AND {FILTER_SQL}"
    );
    let mut stmt = store.connection().prepare_cached(&sql)?;
    let rows: Vec<(i64, Vec<u8>)> = stmt
        .query_map(
            params![
                model,
                q.len() as i64,
                f.superseded,
                f.user,
                f.project,
                f.key,
                f.sessions,
                f.root
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<_, _>>()?;
    Ok(
        vectors::top_k(q, rows.iter().map(|(id, b)| (*id, b.as_slice())), LEG_LIMIT)
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    )
}

/// Ranked hits for `q` among what `dirs` may see.
pub fn search(store: &Store, dirs: &MemoryDirs, q: &Query) -> Result<Vec<Hit>, StoreError> {
    let f = Filter {
        user: q.scope != MemoryScopeFilter::Project,
        project: q.scope != MemoryScopeFilter::User,
        sessions: q.include_sessions && q.scope != MemoryScopeFilter::User,
        key: project_key(dirs),
        root: dirs.project_root.to_string_lossy().into_owned(),
        superseded: q.include_superseded,
    };
    let mut legs = Vec::new();
    if let Some(expr) = match_expr(&q.text, 1) {
        legs.push(leg(store, "memory_fts", &expr, &f)?);
    }
    if let Some(expr) = match_expr(&q.text, 3) {
        legs.push(leg(store, "memory_trigram", &expr, &f)?);
    }
    if let Some((model, v)) = &q.vector {
        legs.push(vector_leg(store, model, v, &f)?);
    }
    let fused = rrf(&legs, RRF_K);
    let mut hits = load_hits(store, &fused, q)?;
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.chunk_id.cmp(&b.chunk_id))
    });
    let mut hits = dedup(hits, |h| h.snippet.as_str());
    hits.truncate(q.k);
    Ok(hits)
}

fn load_hits(store: &Store, fused: &HashMap<i64, f64>, q: &Query) -> Result<Vec<Hit>, StoreError> {
    let mut stmt = store.connection().prepare_cached(
        "SELECT source, path, line_start, line_end, text, entry_id, session_id, item_id, scope,
                superseded, created, pinned, core
         FROM memory_chunks WHERE id = ?1",
    )?;
    let mut hits = Vec::with_capacity(fused.len());
    for (&id, &score) in fused {
        let hit = stmt.query_row([id], |r| {
            let created: i64 = r.get(10)?;
            let exempt = r.get::<_, bool>(11)? || r.get::<_, bool>(12)?;
            let entry: Option<String> = r.get(5)?;
            Ok(Hit {
                source: r.get(0)?,
                path: r.get(1)?,
                lines: [r.get(2)?, r.get(3)?],
                snippet: snippet(&r.get::<_, String>(4)?, &q.text),
                score: score * decay(q.now - created, q.half_life_days, exempt),
                id: entry.unwrap_or_else(|| format!("s{id}")),
                session_id: r.get(6)?,
                item_id: r.get(7)?,
                scope: r.get(8)?,
                superseded: r.get::<_, Option<i64>>(9)?.is_some(),
                chunk_id: id,
            })
        });
        match hit {
            Ok(h) => hits.push(h),
            Err(rusqlite::Error::QueryReturnedNoRows) => {} // removed meanwhile
            Err(e) => return Err(e.into()),
        }
    }
    Ok(hits)
}

/// Up to ~240 characters of `text`, around the first query word found.
pub fn snippet(text: &str, query: &str) -> String {
    const WIDTH: usize = 240;
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= WIDTH {
        return text.to_string();
    }
    let lower = text.to_lowercase();
    let at = query
        .split_whitespace()
        .filter_map(|w| lower.find(&w.to_lowercase()))
        .min()
        .map(|byte| text[..byte.min(text.len())].chars().count())
        .unwrap_or(0);
    let start = at.saturating_sub(WIDTH / 4);
    let end = (start + WIDTH).min(chars.len());
    let mut s: String = chars[start..end].iter().collect();
    if start > 0 {
        s.insert(0, '…');
    }
    if end < chars.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrf_adds_reciprocal_ranks() {
        let s = rrf(&[vec![1, 2, 3], vec![3, 1]], 60.0);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(s[&1], 1.0 / 61.0 + 1.0 / 62.0));
        assert!(close(s[&2], 1.0 / 62.0));
        assert!(close(s[&3], 1.0 / 63.0 + 1.0 / 61.0));
        assert!(s[&1] > s[&3] && s[&3] > s[&2]);
    }

    #[test]
    fn decay_halves_per_half_life_and_spares_exempt() {
        assert_eq!(decay(0, 30, false), 1.0);
        assert!((decay(30 * 86_400, 30, false) - 0.5).abs() < 1e-12);
        assert!((decay(60 * 86_400, 30, false) - 0.25).abs() < 1e-12);
        assert_eq!(decay(365 * 86_400, 30, true), 1.0);
        assert_eq!(decay(-5, 30, false), 1.0);
    }

    #[test]
    fn near_duplicates_collapse_to_the_best() {
        let hits = vec![
            ("The user prefers tabs over spaces.", 3),
            ("the user prefers tabs over spaces", 2),
            ("The user prefers dark themes", 1),
        ];
        let kept = dedup(hits, |h| h.0);
        let scores: Vec<i32> = kept.iter().map(|h| h.1).collect();
        assert_eq!(scores, vec![3, 1]);
    }

    #[test]
    fn overlap_bounds() {
        assert!((trigram_overlap("abcdef", "abcdef") - 1.0).abs() < 1e-12);
        assert_eq!(trigram_overlap("abcdef", "uvwxyz"), 0.0);
        assert_eq!(trigram_overlap("ab", "AB"), 1.0);
    }

    #[test]
    fn match_expressions_quote_words() {
        assert_eq!(
            match_expr("tabs OR \"x", 1).as_deref(),
            Some("\"tabs\" OR \"OR\" OR \"x\"")
        );
        assert_eq!(match_expr("ab", 3), None);
        assert_eq!(match_expr("日本語の", 3).as_deref(), Some("\"日本語の\""));
    }

    #[test]
    fn snippets_centre_on_the_match() {
        let text = format!("{} needle {}", "a ".repeat(300), "b ".repeat(300));
        let s = snippet(&text, "needle");
        assert!(
            s.contains("needle") && s.starts_with('…') && s.ends_with('…'),
            "{s}"
        );
    }
}
