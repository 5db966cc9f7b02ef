//! The full-text legs of a search, each bounded so that its cost follows the answer, not the
//! size of the index.
//!
//! FTS5 spends time on every chunk it ranks: bm25 reads the chunk's size and its term
//! instances, and the join checks the scope. Ranking every chunk that holds a common word
//! ("my dentist …" in a year of chat: 5,000 of 100k chunks) is what made search grow with the
//! corpus. Two bounds keep it flat:
//! - the any-word leg searches the query's *distinctive* words: each word's matches are counted,
//!   stopping at [`COMMON_MATCHES`] (a walk of the start of its doclist, no ranking), and the
//!   rarest words are kept while their matches add up to at most that; a commoner word is left
//!   out. It adds little idf; it still counts in the proximity leg and in the coverage weighing
//!   (`rank.rs`). A query made only of common words searches for all of them together (AND),
//!   then for any of them.
//! - any leg whose expression matches more than [`COMMON_MATCHES`] chunks takes its newest
//!   in-scope matches (FTS5 walks the doclist from its end and stops after [`LEG_LIMIT`]) instead
//!   of ranking all of them by bm25.
//!
//! Each word is counted once a search ([`WordCounts`]), and those counts bound the legs made of
//! the words: a leg whose size they already tell is not counted again, and a proximity pair
//! with a word found nowhere is not evaluated at all. A count of 0 ends a leg at once.

use std::collections::HashMap;

use rusqlite::params;

use super::rank::{all_words_expr, any_word_expr, is_stopword, match_expr, proximity_expr};
use super::search::LEG_LIMIT;
use crate::store::{Store, StoreError};

/// A leg whose expression matches more chunks than this is not ranked by bm25 (its newest
/// matches are taken), and a word held by more chunks is left out of the any-word leg when a
/// rarer word is in the query.
pub const COMMON_MATCHES: usize = 500;

/// The all-words leg of a query made only of common words is ranked by bm25 up to this many
/// matches, else it takes its newest: bm25 reads each match's size and term positions (about
/// 10 µs a chunk), and 500 matches of "uncle AND birthday" made the slowest searches at 100k.
/// Every match holds every word, so the coverage weighing still sees them alike.
const ALL_WORDS_RANKED: usize = 200;

/// Which chunks a search may return.
pub(super) struct Filter {
    pub user: bool,
    pub project: bool,
    pub sessions: bool,
    pub key: String,
    pub root: String,
    pub superseded: bool,
}

impl Filter {
    /// The parameters of a statement whose own two come first (`?1`, `?2`) and whose scope
    /// filter is [`FILTER_SQL`] (`?3`..`?8`).
    pub(super) fn params<'a>(
        &'a self,
        first: &'a dyn rusqlite::ToSql,
        second: &'a dyn rusqlite::ToSql,
    ) -> [&'a dyn rusqlite::ToSql; 8] {
        [
            first,
            second,
            &self.superseded,
            &self.user,
            &self.project,
            &self.key,
            &self.sessions,
            &self.root,
        ]
    }
}

/// The scope filter over `memory_chunks c`, parameters `?3`..`?8` (see [`Filter`]).
pub(super) const FILTER_SQL: &str = "(c.superseded IS NULL OR ?3)
    AND ((c.scope = 'user' AND ?4) OR (c.scope = 'project' AND ?5 AND c.project = ?6)
         OR (c.scope = 'session' AND ?7 AND (c.project = ?8 OR substr(c.project, 1, length(?8) + 1) = ?8 || '/')))";

/// The query's words as FTS5 tokenizes them (lowercase), stopwords left out, each once; one
/// character is enough ("1 September").
fn query_terms(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    text.split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
        .map(|w| w.trim_matches('-').to_lowercase())
        .filter(|w| !w.is_empty() && !is_stopword(w))
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

/// How many chunks of `table` match `expr`, counted up to `cap + 1` (the cost of the count is
/// bounded by `cap`, whatever the index holds).
fn matches_up_to(store: &Store, table: &str, expr: &str, cap: usize) -> Result<usize, StoreError> {
    let sql =
        format!("SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ?1 LIMIT ?2)");
    let n: i64 = store
        .connection()
        .prepare_cached(&sql)?
        .query_row(params![expr, cap as i64 + 1], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Up to [`LEG_LIMIT`] in-scope chunks matching `expr`, best first: by bm25 when the expression
/// matches at most [`COMMON_MATCHES`] chunks, else the newest.
pub(super) fn leg(
    store: &Store,
    table: &str,
    expr: &str,
    f: &Filter,
) -> Result<Vec<i64>, StoreError> {
    leg_ranked_up_to(store, table, expr, f, COMMON_MATCHES)
}

/// [`leg`] ranked by bm25 only when the expression matches at most `ranked` chunks.
fn leg_ranked_up_to(
    store: &Store,
    table: &str,
    expr: &str,
    f: &Filter,
    ranked: usize,
) -> Result<Vec<i64>, StoreError> {
    match matches_up_to(store, table, expr, ranked)? {
        // Nothing matches (often, for a proximity pair): no second walk to find that again.
        0 => Ok(Vec::new()),
        n => ordered_leg(store, table, expr, f, n <= ranked),
    }
}

/// [`leg`] when the expression matches at most [`COMMON_MATCHES`] chunks; empty otherwise (the
/// substring leg: partial words found everywhere only add noise to the fusion).
pub(super) fn ranked_leg(
    store: &Store,
    table: &str,
    expr: &str,
    f: &Filter,
) -> Result<Vec<i64>, StoreError> {
    match matches_up_to(store, table, expr, COMMON_MATCHES)? {
        0 => Ok(Vec::new()),
        n if n > COMMON_MATCHES => Ok(Vec::new()),
        _ => ordered_leg(store, table, expr, f, true),
    }
}

fn ordered_leg(
    store: &Store,
    table: &str,
    expr: &str,
    f: &Filter,
    by_bm25: bool,
) -> Result<Vec<i64>, StoreError> {
    let order = if by_bm25 {
        format!("bm25({table})")
    } else {
        format!("{table}.rowid DESC")
    };
    let sql = format!(
        "SELECT c.id FROM {table} JOIN memory_chunks c ON c.id = {table}.rowid
         WHERE {table} MATCH ?1 AND {FILTER_SQL} ORDER BY {order} LIMIT ?2"
    );
    let mut stmt = store.connection().prepare_cached(&sql)?;
    let ids = stmt
        .query_map(f.params(&expr, &(LEG_LIMIT as i64)), |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// How many chunks each of the query's words matches, each counted once per search up to
/// [`COMMON_MATCHES`]` + 1`: what bounds the legs built from those words without walking their
/// doclists again.
#[derive(Debug, Default)]
pub(super) struct WordCounts(HashMap<String, usize>);

impl WordCounts {
    fn get(&self, word: &str) -> Option<usize> {
        self.0.get(word).copied()
    }

    /// At most how many chunks hold one of `pairs` near each other: each pair's rarer word
    /// bounds it. `None` when a word was not counted.
    fn near_bound(&self, pairs: &[(String, String)]) -> Option<usize> {
        pairs
            .iter()
            .try_fold(0, |sum, (a, b)| Some(sum + self.get(a)?.min(self.get(b)?)))
    }
}

/// The word legs of `text` (see the module doc): the any-word leg over its distinctive words,
/// or, when every word is common, all of them together and then (if that finds fewer than `k`)
/// any of them. Empty when no word of the query is in the index. Also each word's count.
pub(super) fn word_legs(
    store: &Store,
    text: &str,
    k: usize,
    f: &Filter,
) -> Result<(Vec<Vec<i64>>, WordCounts), StoreError> {
    let words = query_terms(text);
    if words.is_empty() {
        // Only stopwords ("what is it"): search for them as they are (bounded by `leg`).
        let legs = match match_expr(text, 1) {
            Some(expr) => vec![leg(store, "memory_fts", &expr, f)?],
            None => Vec::new(),
        };
        return Ok((legs, WordCounts::default()));
    }
    let mut counted = Vec::with_capacity(words.len());
    for w in &words {
        if let Some(expr) = any_word_expr(&[w]) {
            counted.push((
                matches_up_to(store, "memory_fts", &expr, COMMON_MATCHES)?,
                w,
            ));
        }
    }
    counted.sort_by_key(|(n, _)| *n);
    let counts = WordCounts(counted.iter().map(|(n, w)| ((*w).clone(), *n)).collect());
    let known: Vec<&String> = counted
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(_, w)| *w)
        .collect();
    // The rarest words while their matches add up to at most COMMON_MATCHES, so the leg is
    // ranked by bm25 (several rare-ish words together would flip it to newest-first).
    let mut rare = Vec::new();
    let mut total = 0;
    for (n, w) in counted.iter().filter(|(n, _)| *n > 0) {
        total += n;
        if total > COMMON_MATCHES {
            break;
        }
        rare.push(*w);
    }
    if let Some(expr) = any_word_expr(&rare) {
        // At most `total` matches: ranked without counting them again.
        return Ok((
            vec![ordered_leg(store, "memory_fts", &expr, f, true)?],
            counts,
        ));
    }
    let mut legs = Vec::new();
    let owned: Vec<String> = known.iter().map(|w| (*w).clone()).collect();
    if let Some(expr) = all_words_expr(&owned) {
        legs.push(leg_ranked_up_to(
            store,
            "memory_fts",
            &expr,
            f,
            ALL_WORDS_RANKED,
        )?);
    }
    if legs.first().is_none_or(|ids| ids.len() < k)
        && let Some(expr) = any_word_expr(&known)
    {
        // Every one of these words alone matches more than COMMON_MATCHES: the newest.
        legs.push(ordered_leg(store, "memory_fts", &expr, f, false)?);
    }
    Ok((legs, counts))
}

/// The proximity leg: chunks holding one of the query's neighbouring `pairs` near each other
/// (see [`proximity_expr`]). Its size is bounded by the words' counts when they tell it (no
/// count of the expression, which walks every chunk holding both words of a pair); a pair
/// with a word found nowhere adds nothing, and no pair left means no leg.
pub(super) fn proximity_leg(
    store: &Store,
    pairs: &[(String, String)],
    counts: &WordCounts,
    f: &Filter,
) -> Result<Option<Vec<i64>>, StoreError> {
    let Some(expr) = proximity_expr(pairs) else {
        return Ok(None);
    };
    match counts.near_bound(pairs) {
        Some(0) => Ok(Some(Vec::new())),
        Some(n) if n <= COMMON_MATCHES => {
            ordered_leg(store, "memory_fts", &expr, f, true).map(Some)
        }
        _ => leg(store, "memory_fts", &expr, f).map(Some),
    }
}

#[cfg(test)]
#[path = "legs_tests.rs"]
mod tests;
