//! Search over memory and past sessions: ranked legs (FTS5 `unicode61` bm25 over the words
//! and over neighbouring words near each other, FTS5 `trigram` for substrings and CJK,
//! optional vectors), fused by reciprocal rank (k = 60) and weighed by recency (core and
//! pinned exempt) and query-word coverage (`rank.rs`), near-duplicate suppression, and the scope filter (user memory,
//! this project's memory, this project's sessions — never another project's).
//!
//! Each leg is bounded: at most [`LEG_LIMIT`] candidates, and the full-text legs rank by bm25
//! only what a bounded count of matches allows (`legs.rs`), so a search's cost follows the
//! query's rarest words, not the size of the index.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::dirs::MemoryDirs;
use super::index::project_key;
use super::legs::{FILTER_SQL, Filter, proximity_leg, ranked_leg, word_legs};
use super::rank::{
    coverage, decay, has_cjk, lexical_relevance, match_expr, neighbour_pairs, rrf, weigh, words,
};
use super::vector_cache::VectorMatrix;
use super::vectors;
use crate::protocol::MemoryScopeFilter;
use crate::store::{Store, StoreError};

/// Candidates each leg contributes.
pub const LEG_LIMIT: usize = 100;
/// Vector candidates checked against the scope filter before the leg stops looking.
const MATRIX_CHECKS: usize = 5_000;
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
    /// The model's vectors in memory (`vector_cache.rs`); `None`: read them from the table.
    pub matrix: Option<std::sync::Arc<VectorMatrix>>,
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
            matrix: None,
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
    /// 0..1, comparable across queries: the share of the query's words the hit holds (capped
    /// when the query's neighbouring words are apart in it), or its cosine with the query's
    /// vector, whichever is higher (auto-recall's threshold, the benchmark's abstention).
    #[serde(skip)]
    pub relevance: f64,
    #[serde(skip)]
    pub chunk_id: i64,
}

fn trigrams(text: &str) -> std::collections::HashSet<[char; 3]> {
    let chars: Vec<char> = super::format::normalize(text).chars().collect();
    chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// Jaccard overlap of the two texts' character trigrams (after normalizing).
pub fn trigram_overlap(a: &str, b: &str) -> f64 {
    let (na, nb) = (super::format::normalize(a), super::format::normalize(b));
    overlap(&trigrams(a), &na, &trigrams(b), &nb)
}

/// Near-duplicate suppression as hits arrive best first: a text whose trigram overlap with
/// one already admitted reaches [`DUPLICATE_OVERLAP`] is refused. Trigrams computed once each.
#[derive(Default)]
pub struct Distinct {
    kept: Vec<(std::collections::HashSet<[char; 3]>, String)>,
}

impl Distinct {
    pub fn admit(&mut self, text: &str) -> bool {
        let (grams, norm) = (trigrams(text), super::format::normalize(text));
        let duplicate = self
            .kept
            .iter()
            .any(|(g, n)| overlap(g, n, &grams, &norm) >= DUPLICATE_OVERLAP);
        if !duplicate {
            self.kept.push((grams, norm));
        }
        !duplicate
    }
}

/// Keep the best-scored of each group of near-identical texts (input sorted best first), up to
/// `limit` kept.
pub fn dedup<T>(hits: Vec<T>, limit: usize, text: impl Fn(&T) -> &str) -> Vec<T> {
    let mut seen = Distinct::default();
    hits.into_iter()
        .filter(|h| seen.admit(text(h)))
        .take(limit)
        .collect()
}

fn overlap(
    ta: &std::collections::HashSet<[char; 3]>,
    na: &str,
    tb: &std::collections::HashSet<[char; 3]>,
    nb: &str,
) -> f64 {
    if ta.is_empty() || tb.is_empty() {
        return if na == nb { 1.0 } else { 0.0 };
    }
    let inter = ta.intersection(tb).count() as f64;
    inter / ((ta.len() + tb.len()) as f64 - inter)
}

fn vector_leg(
    store: &Store,
    model: &str,
    q: &[f32],
    f: &Filter,
) -> Result<Vec<(i64, f32)>, StoreError> {
    let sql = format!(
        "SELECT c.id, v.vec FROM memory_vectors v JOIN memory_chunks c ON c.id = v.chunk_id
         WHERE v.model = ?1 AND v.dim = ?2 AND {FILTER_SQL}"
    );
    let mut stmt = store.connection().prepare_cached(&sql)?;
    let rows: Vec<(i64, Vec<u8>)> = stmt
        .query_map(f.params(&model, &(q.len() as i64)), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(vectors::top_k(
        q,
        rows.iter().map(|(id, b)| (*id, b.as_slice())),
        LEG_LIMIT,
    ))
}

/// Ids the in-memory matrix ranks best that pass the scope filter, up to [`LEG_LIMIT`] (at most
/// [`MATRIX_CHECKS`] looked at).
fn cached_vector_leg(
    store: &Store,
    m: &VectorMatrix,
    q: &[f32],
    f: &Filter,
) -> Result<Vec<(i64, f32)>, StoreError> {
    let sql = format!(
        "SELECT count(*) FROM memory_chunks c WHERE c.id = ?1 AND ?2 >= 0 AND {FILTER_SQL}"
    );
    let mut stmt = store.connection().prepare_cached(&sql)?;
    let mut out = Vec::with_capacity(LEG_LIMIT);
    for (id, cos) in m.ranked(q, MATRIX_CHECKS) {
        let n: i64 = stmt.query_row(f.params(&id, &0), |r| r.get(0))?;
        if n > 0 {
            out.push((id, cos));
            if out.len() >= LEG_LIMIT {
                break;
            }
        }
    }
    Ok(out)
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
    let (mut legs, counts) = word_legs(store, &q.text, q.k, &f)?;
    let words_found = legs.iter().map(Vec::len).max().unwrap_or(0);
    // `Some(ids)` when the query has neighbouring words: the chunks holding them near each other.
    let mut near = None;
    if let Some(ids) = proximity_leg(store, &neighbour_pairs(&q.text), &counts, &f)? {
        near = Some(ids.iter().copied().collect::<HashSet<i64>>());
        legs.push(ids);
    }
    // Substrings and scripts without spaces: the trigram leg, when words alone find too little
    // (with plenty of word hits its partial-word matches only add noise to the fusion).
    if (words_found < q.k || has_cjk(&q.text))
        && let Some(expr) = match_expr(&q.text, 3)
    {
        legs.push(ranked_leg(store, "memory_trigram", &expr, &f)?);
    }
    let mut cosines = HashMap::new();
    if let Some((model, v)) = &q.vector {
        let ranked = match &q.matrix {
            Some(m) => cached_vector_leg(store, m, v, &f)?,
            None => vector_leg(store, model, v, &f)?,
        };
        legs.push(ranked.iter().map(|(id, _)| *id).collect());
        cosines.extend(ranked);
    }
    let fused = rrf(&legs, RRF_K);
    let ranked = rank(store, &fused, q)?;
    // Full rows only for the best, until k distinct hits are kept.
    let mut kept: Vec<Hit> = Vec::with_capacity(q.k);
    let mut seen = Distinct::default();
    for (id, score) in ranked {
        if kept.len() >= q.k {
            break;
        }
        if let Some(hit) = load_hit(store, id, score, &cosines, near.as_ref(), q)?
            && seen.admit(&hit.snippet)
        {
            kept.push(hit);
        }
    }
    Ok(kept)
}

/// Fused ids weighed by recency and by the share of query words they hold, best first (ties
/// by id).
fn rank(
    store: &Store,
    fused: &HashMap<i64, f64>,
    q: &Query,
) -> Result<Vec<(i64, f64)>, StoreError> {
    let mut stmt = store
        .connection()
        .prepare_cached("SELECT created, pinned OR core, text FROM memory_chunks WHERE id = ?1")?;
    let query_words = words(&q.text);
    let mut ranked = Vec::with_capacity(fused.len());
    for (&id, &score) in fused {
        let row = stmt.query_row([id], |r| {
            let text: String = r.get(2)?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, bool>(1)?,
                coverage(&query_words, &text),
            ))
        });
        match row {
            Ok((created, exempt, covered)) => {
                let recency = decay(q.now - created, q.half_life_days, exempt);
                ranked.push((id, weigh(score, recency, covered)));
            }
            Err(rusqlite::Error::QueryReturnedNoRows) => {} // removed meanwhile
            Err(e) => return Err(e.into()),
        }
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(ranked)
}

fn load_hit(
    store: &Store,
    id: i64,
    score: f64,
    cosines: &HashMap<i64, f32>,
    near: Option<&HashSet<i64>>,
    q: &Query,
) -> Result<Option<Hit>, StoreError> {
    let mut stmt = store.connection().prepare_cached(
        "SELECT source, path, line_start, line_end, text, entry_id, session_id, item_id, scope,
                superseded
         FROM memory_chunks WHERE id = ?1",
    )?;
    let hit = stmt.query_row([id], |r| {
        let entry: Option<String> = r.get(5)?;
        let text: String = r.get(4)?;
        let cosine = cosines.get(&id).map_or(0.0, |c| f64::from(*c));
        Ok(Hit {
            source: r.get(0)?,
            path: r.get(1)?,
            lines: [r.get(2)?, r.get(3)?],
            snippet: snippet(&text, &q.text),
            score,
            relevance: lexical_relevance(
                coverage(&words(&q.text), &text),
                near.map(|ids| ids.contains(&id)),
            )
            .max(cosine),
            id: entry.unwrap_or_else(|| format!("s{id}")),
            session_id: r.get(6)?,
            item_id: r.get(7)?,
            scope: r.get(8)?,
            superseded: r.get::<_, Option<i64>>(9)?.is_some(),
            chunk_id: id,
        })
    });
    match hit {
        Ok(h) => Ok(Some(h)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(e.into()),
    }
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
    fn near_duplicates_collapse_to_the_best() {
        let hits = vec![
            ("The user prefers tabs over spaces.", 3),
            ("the user prefers tabs over spaces", 2),
            ("The user prefers dark themes", 1),
        ];
        let kept = dedup(hits.clone(), 10, |h| h.0);
        let scores: Vec<i32> = kept.iter().map(|h| h.1).collect();
        assert_eq!(scores, vec![3, 1]);
        assert_eq!(dedup(hits, 1, |h| h.0).len(), 1);
    }

    #[test]
    fn overlap_bounds() {
        assert!((trigram_overlap("abcdef", "abcdef") - 1.0).abs() < 1e-12);
        assert_eq!(trigram_overlap("abcdef", "uvwxyz"), 0.0);
        assert_eq!(trigram_overlap("ab", "AB"), 1.0);
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
