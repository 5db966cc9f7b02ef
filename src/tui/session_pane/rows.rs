//! The rows of the pane: the fork tree (no filter) and the fuzzy-ranked flat list.

use std::cmp::Reverse;
use std::collections::HashMap;

use nucleo_matcher::Utf32String;
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};

use super::fit::shorten_home;
use super::{Row, SessionPane};
use crate::protocol::SessionSummary;

/// How much of the first prompt the filter looks at.
const PROMPT_CHARS: usize = 300;
/// Deeper forks keep the guides of this depth (the title still shows).
const MAX_GUIDE_DEPTH: u16 = 8;

impl SessionPane {
    /// Convert the searchable text of every session once per list, so a keystroke only scores.
    pub(super) fn rebuild_haystacks(&mut self) {
        let home = self.home.as_deref();
        self.haystacks = self
            .sessions
            .iter()
            .map(|s| {
                let prompt: String = s.first_prompt.chars().take(PROMPT_CHARS).collect();
                [
                    Utf32String::from(s.title.as_str()),
                    Utf32String::from(prompt),
                    Utf32String::from(shorten_home(&s.cwd, home)),
                ]
            })
            .collect();
        self.ranked_for.clear();
    }

    /// Score every session against the filter and keep the matches ranked by score, ties by
    /// newest. Each word of the filter scores the best of title (×1.25), first prompt and cwd,
    /// so "parser pincer" finds a title word and a folder word; a `!word` excludes sessions
    /// where any field matches. Reuses the matcher and buffers.
    pub(super) fn rank(&mut self) -> Vec<Row> {
        let filter = self.list.filter().to_string();
        let pattern = Pattern::parse(&filter, CaseMatching::Smart, Normalization::Smart);
        // Typing more only narrows the matches (unless the old filter negates or anchors the
        // end): score the previous matches only.
        let narrowing = !self.ranked_for.is_empty()
            && filter.starts_with(self.ranked_for.as_str())
            && !self.ranked_for.contains(['!', '$', '\\']);
        self.candidates.clear();
        if narrowing {
            self.candidates.extend(self.scored.iter().map(|&(_, i)| i));
        } else {
            self.candidates.extend(0..self.haystacks.len());
        }
        self.scored.clear();
        'sessions: for &i in &self.candidates {
            let Some([title, prompt, cwd]) = self.haystacks.get(i) else {
                continue;
            };
            let mut total = 0u32;
            for atom in &pattern.atoms {
                // First: sets the matcher's case and normalisation for this atom.
                let t = atom.score(title.slice(..), &mut self.matcher);
                let (p, c) = if atom.negative || atom.kind != AtomKind::Fuzzy {
                    (
                        atom.score(prompt.slice(..), &mut self.matcher),
                        atom.score(cwd.slice(..), &mut self.matcher),
                    )
                } else {
                    // Long text: the linear greedy match is plenty for ranking.
                    let needle = atom.needle_text();
                    (
                        self.matcher.fuzzy_match_greedy(prompt.slice(..), needle),
                        self.matcher.fuzzy_match_greedy(cwd.slice(..), needle),
                    )
                };
                let best = if atom.negative {
                    t.and(p).and(c).map(u32::from)
                } else {
                    let t = t.map(|t| u32::from(t) + u32::from(t) / 4);
                    t.max(p.map(u32::from)).max(c.map(u32::from))
                };
                match best {
                    Some(b) => total += b,
                    None => continue 'sessions,
                }
            }
            self.scored.push((total, i));
        }
        self.ranked_for = filter;
        let sessions = &self.sessions;
        let newest = |i: usize| sessions.get(i).map(|s| s.updated_ms).unwrap_or(0);
        self.scored
            .sort_unstable_by_key(|&(score, i)| (Reverse(score), Reverse(newest(i)), i));
        self.scored
            .iter()
            .map(|&(_, idx)| Row {
                idx,
                depth: 0,
                prefix: String::new(),
            })
            .collect()
    }
}

/// The fork tree: roots newest first, each fork right under its parent (newest first). A fork
/// whose parent is not listed is a root; sessions caught in a parent cycle are shown as roots.
pub(super) fn tree(sessions: &[SessionSummary]) -> Vec<Row> {
    let n = sessions.len();
    let by_id: HashMap<&str, usize> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        match s.parent_id.as_deref().and_then(|p| by_id.get(p)) {
            Some(&p) if p != i => children[p].push(i),
            _ => roots.push(i),
        }
    }
    let newest_first = |v: &mut Vec<usize>| {
        v.sort_by_key(|&i| (Reverse(sessions[i].updated_ms), i));
    };
    newest_first(&mut roots);
    for c in &mut children {
        newest_first(c);
    }

    let mut rows = Vec::with_capacity(n);
    let mut visited = vec![false; n];
    walk(&roots, &children, &mut visited, &mut rows);
    if rows.len() < n {
        let mut rest: Vec<usize> = (0..n).filter(|&i| !visited[i]).collect();
        newest_first(&mut rest);
        for r in rest {
            walk(&[r], &children, &mut visited, &mut rows);
        }
    }
    rows
}

/// Depth-first without recursion (fork chains can be long).
fn walk(roots: &[usize], children: &[Vec<usize>], visited: &mut [bool], rows: &mut Vec<Row>) {
    // (index, depth, guides of the ancestors, last among its siblings)
    let mut stack: Vec<(usize, u16, String, bool)> = roots
        .iter()
        .rev()
        .map(|&r| (r, 0, String::new(), true))
        .collect();
    while let Some((i, depth, lead, last)) = stack.pop() {
        if visited.get(i).copied().unwrap_or(true) {
            continue;
        }
        visited[i] = true;
        let (prefix, child_lead) = if depth == 0 {
            (String::new(), String::new())
        } else {
            let branch = if last { "└─ " } else { "├─ " };
            let cont = if last { "   " } else { "│  " };
            let child_lead = if depth < MAX_GUIDE_DEPTH {
                format!("{lead}{cont}")
            } else {
                lead.clone()
            };
            (format!("{lead}{branch}"), child_lead)
        };
        rows.push(Row {
            idx: i,
            depth,
            prefix,
        });
        let kids = &children[i];
        for (k, &c) in kids.iter().enumerate().rev() {
            stack.push((
                c,
                depth.saturating_add(1),
                child_lead.clone(),
                k + 1 == kids.len(),
            ));
        }
    }
}
