//! `[memory] auto_recall`: before a turn is planned, the top memory hits for the user's message
//! fill the pipeline's "retrieved" segment — scope-filtered by search (user memory, this
//! project's memory and sessions), near-duplicates already merged by it, the core file and the
//! current session left out (both are in the request anyway), hits of low relevance left out
//! (abstain rather than inject noise), and cut at `[memory] auto_recall_tokens`.

use std::sync::Arc;

use super::Runtime;
use crate::memory::search::{Hit, Query};
use crate::pipeline::estimate_tokens;

/// Hits searched for; fewer are kept when the token budget runs out first.
const RECALL_HITS: usize = 8;
/// A hit below this relevance (share of the message's words it holds, or its cosine) is not
/// injected: nothing is better than noise.
const MIN_RELEVANCE: f64 = 0.5;

impl Runtime {
    /// The block for the "retrieved" segment ("" when auto-recall is off or nothing matched).
    pub(super) async fn auto_recall(&self, message: &str) -> String {
        let memory = &self.settings.config.memory;
        if !memory.auto_recall || memory.auto_recall_tokens == 0 || message.trim().is_empty() {
            return String::new();
        }
        let (Some(service), Some(store)) = (self.memory_service(), self.store.clone()) else {
            return String::new();
        };
        // What a message is about shows in its start; a 10 MB paste is not searched whole.
        let message = recall_query(message);
        let vector = super::memory_tool::query_vector(&service, &store, message).await;
        let mut q = Query::new(message);
        q.k = RECALL_HITS;
        let svc = Arc::clone(&service);
        // Files edited since the last look are taken in first (cheap when none changed).
        let searched = store.call(move |s| {
            svc.sync(s)?;
            svc.search(s, &q, vector)
        });
        let hits = match searched.await {
            Ok(hits) => hits,
            Err(e) => {
                tracing::warn!(error = %e, "auto-recall skipped");
                return String::new();
            }
        };
        recall_block(&hits, self.session_id.as_deref(), memory.auto_recall_tokens)
    }
}

/// Longest start of a message that auto-recall searches with.
const RECALL_QUERY_BYTES: usize = 2000;

/// At most the first `RECALL_QUERY_BYTES` of `message`, cut at a character boundary.
fn recall_query(message: &str) -> &str {
    let mut end = message.len().min(RECALL_QUERY_BYTES);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    &message[..end]
}

/// The hits as lines under a heading, within `budget` tokens; `session`: the current session
/// (its items are already in the conversation).
pub(super) fn recall_block(hits: &[Hit], session: Option<&str>, budget: usize) -> String {
    let heading = "Memories that may be relevant to the user's message (recalled automatically; \
                   use them only if they apply):";
    let mut out = String::from(heading);
    let mut kept = 0;
    for hit in hits {
        if hit.relevance < MIN_RELEVANCE
            || is_core(hit)
            || (session.is_some() && hit.session_id.as_deref() == session)
        {
            continue;
        }
        let line = format!("\n- {} {}", place(hit), hit.snippet.replace('\n', " "));
        if estimate_tokens(out.len() + line.len()) > budget as u64 {
            break;
        }
        out.push_str(&line);
        kept += 1;
    }
    if kept == 0 { String::new() } else { out }
}

fn is_core(hit: &Hit) -> bool {
    hit.source == "memory"
        && (hit.path == crate::memory::CORE_FILE
            || hit
                .path
                .ends_with(&format!("/{}", crate::memory::CORE_FILE)))
}

fn place(hit: &Hit) -> String {
    match &hit.session_id {
        Some(s) => format!("[past session {}]", crate::store::short_id(s)),
        None => format!("[{}:{} id {}]", hit.path, hit.lines[0], hit.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(path: &str, session: Option<&str>, text: &str) -> Hit {
        Hit {
            source: if session.is_some() {
                "session"
            } else {
                "memory"
            }
            .into(),
            path: path.into(),
            lines: [3, 3],
            snippet: text.into(),
            score: 0.1,
            id: "m1".into(),
            session_id: session.map(str::to_string),
            item_id: session.map(|_| 7),
            scope: "user".into(),
            superseded: false,
            relevance: if text.contains("unrelated") { 0.2 } else { 1.0 },
            chunk_id: 1,
        }
    }

    #[test]
    fn core_and_current_session_are_left_out() {
        let hits = [
            hit("MEMORY.md", None, "core fact"),
            hit("projects/p/MEMORY.md", None, "project core"),
            hit("", Some("current"), "said a minute ago"),
            hit("", Some("older"), "decided last week"),
            hit("tools.md", None, "uses cargo nextest"),
            hit("misc.md", None, "an unrelated note"),
        ];
        let block = recall_block(&hits, Some("current"), 800);
        assert!(block.contains("decided last week"), "{block}");
        assert!(
            block.contains("[tools.md:3 id m1] uses cargo nextest"),
            "{block}"
        );
        for absent in ["core fact", "project core", "a minute ago", "unrelated"] {
            assert!(!block.contains(absent), "{block}");
        }
    }

    #[test]
    fn the_budget_bounds_the_block_and_nothing_left_is_empty() {
        let long = "word ".repeat(60);
        let hits: Vec<Hit> = (0..20).map(|_| hit("notes.md", None, &long)).collect();
        let block = recall_block(&hits, None, 200);
        assert!(estimate_tokens(block.len()) <= 200, "{}", block.len());
        let lines = block.lines().count() - 1;
        assert!((1..20).contains(&lines), "{lines} hits kept");
        assert_eq!(recall_block(&hits, None, 10), "");
        assert_eq!(recall_block(&[], None, 800), "");
    }
}
