//! How a query reads lexically and how a hit is scored: stopwords, words, FTS5 match and
//! proximity expressions, reciprocal rank fusion, recency decay and query-word coverage.
//!
//! Fusion by rank alone is flat (rank 1 and rank 10 differ by 13 % at k = 60), so a noisy leg
//! or a recent partial match can push an old exact match out of the top 10. Two things keep the
//! exact match on top: a proximity leg (the query's neighbouring words near each other, e.g.
//! "dentist's hometown", not "dentist" in one sentence and "hometown" in another), and
//! weighing the fused score by the share of query words the chunk holds.

use std::collections::HashMap;

/// Recency never takes more than this share off a score: it orders comparable hits (the newer
/// value of an updated fact first) but never buries an old exact match under a recent partial
/// one (a plain multiplier at a 30-day half-life would).
const DECAY_FLOOR: f64 = 0.85;
/// Words left out of queries: they match nearly every chunk and say nothing about it.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "is", "are", "was", "were",
    "be", "i", "my", "me", "you", "your", "we", "our", "it", "its", "that", "this", "what",
    "which", "do", "did", "does", "with", "about", "as", "by", "so", "have", "has", "had", "s",
    "where", "when", "who", "how", "why", "can", "again", "remind", "tell", "us", "there",
];
/// A chunk holding none of the query's words keeps this share of its fused score (it came from
/// a leg that matched otherwise: a substring, a vector); one holding all of them keeps all.
const COVERAGE_FLOOR: f64 = 0.5;
/// A chunk holding every query word, but not the neighbouring ones near each other, is at most
/// this relevant ("my barber … a hometown" does not answer "my barber's hometown").
const APART_RELEVANCE: f64 = 0.7;
/// Words within this many tokens of each other count as near (the proximity leg).
const NEAR_TOKENS: usize = 3;
/// At most this many neighbouring pairs go into the proximity expression.
const MAX_PAIRS: usize = 8;

/// Whether `word` (lowercase) is a stopword.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// A query's or a chunk's words as relevance counts them: lowercased, stopwords dropped.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// The share of `query_words` found in `text`.
pub fn coverage(query_words: &[String], text: &str) -> f64 {
    if query_words.is_empty() {
        return 0.0;
    }
    // Once per fused candidate (hundreds a search): no set, and a word is lowercased only when
    // it is not already (the query's words are lowercase and hold no stopword).
    let mut found = vec![false; query_words.len()];
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let lowered;
        let word = if word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            word
        } else {
            lowered = word.to_lowercase();
            lowered.as_str()
        };
        for (hit, q) in found.iter_mut().zip(query_words) {
            *hit |= q == word;
        }
    }
    found.iter().filter(|hit| **hit).count() as f64 / query_words.len() as f64
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

/// Whether `text` holds CJK characters (words not separated by spaces).
pub fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{9fff}' | '\u{ac00}'..='\u{d7af}')
    })
}

/// FTS5 query: each word quoted (no operators from the user), OR-ed; stopwords left out unless
/// the query holds nothing else.
pub fn match_expr(text: &str, min_chars: usize) -> Option<String> {
    let all: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '_' && c != '-'))
        .filter(|w| w.chars().count() >= min_chars)
        .collect();
    let meaningful: Vec<&str> = all
        .iter()
        .copied()
        .filter(|w| !STOPWORDS.contains(&w.to_lowercase().as_str()))
        .collect();
    let chosen = if meaningful.is_empty() {
        all
    } else {
        meaningful
    };
    let words: Vec<String> = chosen.iter().filter_map(|w| fts_phrase(w)).collect();
    (!words.is_empty()).then(|| words.join(" OR "))
}

/// `word` as an FTS5 string: quotes and control characters (a NUL ends the query string
/// early in SQLite's parser) removed; `None` when nothing is left.
fn fts_phrase(word: &str) -> Option<String> {
    let clean = clean_word(word);
    (!clean.is_empty()).then(|| format!("\"{clean}\""))
}

fn clean_word(word: &str) -> String {
    word.chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect()
}

/// The query's meaningful words (stopwords out, at least two characters, quotes and control
/// characters removed), in order, as FTS5 tokenizes them (lowercase).
pub fn meaningful_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
        .map(|w| w.trim_matches('-'))
        .filter(|w| w.chars().count() >= 2 && !STOPWORDS.contains(&w.to_lowercase().as_str()))
        .map(|w| clean_word(w).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// FTS5 expression matching chunks that hold every one of `words` (two or more).
pub fn all_words_expr(words: &[String]) -> Option<String> {
    let quoted: Vec<String> = words.iter().filter_map(|w| fts_phrase(w)).collect();
    (quoted.len() >= 2).then(|| quoted.join(" AND "))
}

/// FTS5 expression matching chunks that hold any of `words`.
pub fn any_word_expr(words: &[&String]) -> Option<String> {
    let quoted: Vec<String> = words.iter().filter_map(|w| fts_phrase(w)).collect();
    (!quoted.is_empty()).then(|| quoted.join(" OR "))
}

/// The query's neighbouring meaningful words (see [`meaningful_words`]), two different words
/// each, at most [`MAX_PAIRS`]: what the proximity leg looks for near each other.
pub fn neighbour_pairs(text: &str) -> Vec<(String, String)> {
    meaningful_words(text)
        .windows(2)
        .filter(|w| w[0] != w[1])
        .take(MAX_PAIRS)
        .map(|w| (w[0].clone(), w[1].clone()))
        .collect()
}

/// FTS5 proximity expression: each pair near each other, OR-ed; `None` without pairs.
pub fn proximity_expr(pairs: &[(String, String)]) -> Option<String> {
    let near: Vec<String> = pairs
        .iter()
        .filter_map(|(a, b)| {
            Some(format!(
                "NEAR({} {}, {NEAR_TOKENS})",
                fts_phrase(a)?,
                fts_phrase(b)?
            ))
        })
        .collect();
    (!near.is_empty()).then(|| near.join(" OR "))
}

/// The final score of a fused hit: its fused rank score, lowered by age (never by more than
/// `1 - DECAY_FLOOR`) and by the share of query words it lacks (never by more than
/// `1 - COVERAGE_FLOOR`).
pub fn weigh(fused: f64, recency: f64, coverage: f64) -> f64 {
    fused
        * (DECAY_FLOOR + (1.0 - DECAY_FLOOR) * recency)
        * (COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * coverage)
}

/// How well a chunk answers the query by its words, 0..1: the share of the query's words it
/// holds, capped at [`APART_RELEVANCE`] when the query has neighbouring words (`near` is
/// `Some`) that the chunk does not hold near each other.
pub fn lexical_relevance(coverage: f64, near: Option<bool>) -> f64 {
    match near {
        Some(false) => coverage.min(APART_RELEVANCE),
        _ => coverage,
    }
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
    fn match_expressions_quote_words() {
        assert_eq!(
            match_expr("tabs NOT \"x", 1).as_deref(),
            Some("\"tabs\" OR \"NOT\" OR \"x\"")
        );
        assert_eq!(
            match_expr("what did I say about the deploy", 1).as_deref(),
            Some("\"say\" OR \"deploy\"")
        );
        assert_eq!(
            match_expr("what is it", 1).as_deref(),
            Some("\"what\" OR \"is\" OR \"it\"")
        );
        assert_eq!(match_expr("\"\"", 1), None);
        assert_eq!(match_expr("ab", 3), None);
        assert_eq!(match_expr("日本語の", 3).as_deref(), Some("\"日本語の\""));
    }

    fn near_expr(text: &str) -> Option<String> {
        proximity_expr(&neighbour_pairs(text))
    }

    #[test]
    fn proximity_pairs_neighbouring_meaningful_words() {
        assert_eq!(
            near_expr("What is my dentist's hometown?").as_deref(),
            Some("NEAR(\"dentist\" \"hometown\", 3)")
        );
        assert_eq!(
            near_expr("deploy the staging server").as_deref(),
            Some("NEAR(\"deploy\" \"staging\", 3) OR NEAR(\"staging\" \"server\", 3)")
        );
        // Nothing an FTS5 operator could be made of gets through.
        assert_eq!(
            near_expr("deploy\" OR NEAR(x) \"staging*").as_deref(),
            Some("NEAR(\"deploy\" \"near\", 3) OR NEAR(\"near\" \"staging\", 3)")
        );
        assert_eq!(near_expr("tabs"), None);
        assert_eq!(near_expr("what is it"), None);
    }

    #[test]
    fn an_old_exact_match_outranks_a_recent_partial_one() {
        let r = |rank: f64| 1.0 / (60.0 + rank);
        // First in the word and proximity legs, a year old, every query word.
        let old_exact = weigh(r(1.0) + r(1.0), 0.0, 1.0);
        // Second in the word leg and first in a noisy vector leg, today, half the words.
        let recent_partial = weigh(r(2.0) + r(1.0), 1.0, 0.5);
        assert!(old_exact > recent_partial);
        // Between equal matches, the newer wins.
        assert!(weigh(r(1.0), 1.0, 1.0) > weigh(r(1.0), 0.2, 1.0));
    }

    #[test]
    fn words_apart_are_less_relevant_than_words_together() {
        assert_eq!(lexical_relevance(1.0, Some(true)), 1.0);
        assert_eq!(lexical_relevance(1.0, Some(false)), APART_RELEVANCE);
        assert_eq!(lexical_relevance(0.5, Some(false)), 0.5);
        assert_eq!(lexical_relevance(1.0, None), 1.0);
    }

    #[test]
    fn coverage_counts_meaningful_words_only() {
        let q = words("What is my dentist's hometown?");
        assert_eq!(q, vec!["dentist", "hometown"]);
        assert_eq!(coverage(&q, "My dentist's hometown is Tarbes."), 1.0);
        assert_eq!(coverage(&q, "My dentist fixed the lamp."), 0.5);
        assert_eq!(coverage(&[], "anything"), 0.0);
        assert_eq!(coverage(&q, "DENTIST: HOMETOWN"), 1.0);
        assert_eq!(coverage(&q, "Dentists' home town"), 0.0);
        assert_eq!(coverage(&words("Straße café"), "STRASSE Café"), 0.5);
        let repeated = words("tabs tabs spaces");
        assert_eq!(coverage(&repeated, "tabs only"), 2.0 / 3.0);
    }
}
