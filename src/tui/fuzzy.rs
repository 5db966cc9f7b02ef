//! One fuzzy ranking for the composer's lists (`@` paths, Ctrl+R prompts): nucleo-matcher
//! with smart case; best score first, ties keep the order the candidates came in.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

/// What the candidates are: paths score separators as word boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Haystack {
    Text,
    Paths,
}

/// Indices of `candidates` matching `query`, best first (an empty query keeps them all, in
/// order). At most `limit`.
pub fn rank<S: AsRef<str>>(
    query: &str,
    candidates: &[S],
    kind: Haystack,
    limit: usize,
) -> Vec<usize> {
    if query.trim().is_empty() {
        return (0..candidates.len().min(limit)).collect();
    }
    let config = match kind {
        Haystack::Text => Config::DEFAULT,
        Haystack::Paths => Config::DEFAULT.match_paths(),
    };
    let mut matcher = Matcher::new(config);
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let indexed = candidates
        .iter()
        .enumerate()
        .map(|(i, s)| Indexed(i, s.as_ref()));
    let mut hits = pattern.match_list(indexed, &mut matcher);
    hits.truncate(limit);
    hits.into_iter().map(|(Indexed(i, _), _)| i).collect()
}

struct Indexed<'a>(usize, &'a str);

impl AsRef<str> for Indexed<'_> {
    fn as_ref(&self) -> &str {
        self.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_first_ties_in_order_and_limit() {
        let items = ["cargo test", "git status", "cargo build", "grep tests"];
        assert_eq!(rank("cargo", &items, Haystack::Text, 10), vec![0, 2]);
        assert_eq!(rank("", &items, Haystack::Text, 3), vec![0, 1, 2]);
        assert_eq!(rank("gst", &items, Haystack::Text, 10)[0], 1);
        assert!(rank("zzz", &items, Haystack::Text, 10).is_empty());
        assert_eq!(rank("cargo", &items, Haystack::Text, 1).len(), 1);
    }

    #[test]
    fn paths_prefer_the_file_name() {
        let items = ["src/tui/mod.rs", "src/main.rs", "docs/main_notes.md"];
        assert_eq!(rank("main.rs", &items, Haystack::Paths, 10)[0], 1);
    }
}
