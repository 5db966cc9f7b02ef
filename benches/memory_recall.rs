//! Memory recall on LongMemEval-shaped data, scored with no model (`cargo bench --bench
//! memory_recall`; `MEMORY_RECALL_SCALES=1000,10000` to pick sizes).
//!
//! For 1k, 10k and 100k chunks, text-only and hybrid: recall@5 / recall@10 of the message or
//! memory note holding the answer (per question kind), newer-above-older for updated facts,
//! abstention on never-stated facts (no hit's relevance above the threshold) and false
//! abstention on answerable ones, search latency p50 / p95, and the tokens auto-recall would
//! inject (top 5 hits). Also the time to index one 1,000-message session.
//!
//! The index is pincer's own (benches/support/recall_real.rs: the store's tables, the memory
//! file format, `MemoryService::search`, the background embedding pass), through the
//! `RecallIndex` trait (benches/support/recall_sqlite.rs, which also holds a stand-alone baseline
//! scored too with `MEMORY_RECALL_BASELINE=1`). The hybrid leg embeds in process with the mock
//! server's hashed bag of words (tests/support/mock_embeddings.rs, 256 dims) through the same
//! `Embedder` trait the worker uses: it measures the vector leg's cost and the fusion, not a
//! real model's understanding of paraphrase. 100k chunks: `MEMORY_RECALL_SCALES=1000,10000,100000`;
//! `MEMORY_RECALL_LABELS=text` or `hybrid` for one of the two; `MEMORY_RECALL_CACHE=DIR` keeps
//! the built databases there and reuses them (a dev-profile run at 100k then skips minutes of
//! generating and indexing).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support {
    #[path = "../../tests/support/mock_embeddings.rs"]
    #[allow(dead_code)]
    pub mod embeddings;
    pub mod longmem;
    pub mod recall_real;
    pub mod recall_sqlite;
}

use std::time::{Duration, Instant};

use support::longmem::{self, Dataset, Kind, Loc};
use support::recall_real::RealRecall;
use support::recall_sqlite::{Embed, HitRef, RecallIndex, SqliteRecall};

const DIMS: usize = 256;
/// A hit at or above this relevance counts as an answer (below it: abstain).
const ABSTAIN_BELOW: f32 = 0.75;
const AUTO_RECALL_HITS: usize = 5;

fn embed(text: &str) -> Vec<f32> {
    support::embeddings::hashed_embedding(text, DIMS)
}

#[derive(Default)]
struct Tally {
    n: usize,
    at5: usize,
    at10: usize,
}

impl Tally {
    fn add(&mut self, hits: &[HitRef], answers: &[Loc]) {
        let rank = hits.iter().position(|h| answers.contains(&h.loc));
        self.n += 1;
        self.at5 += usize::from(rank.is_some_and(|r| r < 5));
        self.at10 += usize::from(rank.is_some_and(|r| r < 10));
    }

    fn show(&self) -> String {
        if self.n == 0 {
            return "       -        ".into();
        }
        let f = |x: usize| x as f64 / self.n as f64;
        format!("{:.2}/{:.2} (n={:>2})", f(self.at5), f(self.at10), self.n)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn build<I: RecallIndex>(mut index: I, data: &Dataset) -> (I, Duration) {
    let t = Instant::now();
    for s in &data.sessions {
        index.add_session(s);
    }
    for m in &data.memories {
        index.add_memory(m);
    }
    index.finish();
    (index, t.elapsed())
}

/// Bump when the generator or the index format changes (names the saved databases).
const SAVED_VERSION: u32 = 1;

/// The real index of `data`, built, or copied from a database saved by an earlier run when
/// `MEMORY_RECALL_CACHE` names a folder (dev-profile runs at 100k: generating takes minutes).
fn build_real(label: &str, e: Option<(Embed, usize)>, data: &Dataset) -> (RealRecall, String) {
    let Some(dir) = std::env::var_os("MEMORY_RECALL_CACHE") else {
        let (index, built) = build(RealRecall::new(e, data.now_ms()), data);
        return (index, format!("{built:.2?}"));
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let saved = dir.join(format!("v{SAVED_VERSION}-{}-{label}.db", data.chunks()));
    if saved.exists() {
        let index =
            RealRecall::from_saved(e, data.now_ms(), &saved, &data.sessions, &data.memories);
        return (index, "saved".into());
    }
    let (index, built) = build(RealRecall::new(e, data.now_ms()), data);
    index.save(&saved);
    (index, format!("{built:.2?}"))
}

fn score(label: &str, data: &Dataset, index: &impl RecallIndex, built: &str) {
    let (mut single, mut updated, mut temporal, mut pref) = Default::default();
    let (mut newer_first, mut updates) = (0, 0);
    let (mut abstained, mut never) = (0, 0);
    let (mut false_abstain, mut answerable) = (0, 0);
    let mut tokens = Vec::new();
    let mut times = Vec::new();
    let mut slowest = Vec::new();
    for q in &data.questions {
        let t = Instant::now();
        let hits = index.search(&q.text, 10);
        times.push(t.elapsed());
        slowest.push((t.elapsed(), q.text.as_str()));
        let answered = hits.first().is_some_and(|h| h.relevance >= ABSTAIN_BELOW);
        let injected: usize = hits.iter().take(AUTO_RECALL_HITS).map(|h| h.bytes).sum();
        tokens.push(pincer::runtime::estimate_tokens(injected));
        match q.kind {
            Kind::NeverStated => {
                never += 1;
                abstained += usize::from(!answered);
                continue;
            }
            Kind::SingleSession => {
                show_miss(q, &hits);
                single_add(&mut single, &hits, &q.answers)
            }
            Kind::Updated => single_add(&mut updated, &hits, &q.answers),
            Kind::Temporal => single_add(&mut temporal, &hits, &q.answers),
            Kind::Preference => single_add(&mut pref, &hits, &q.answers),
        }
        answerable += 1;
        false_abstain += usize::from(!answered);
        if !answered && std::env::var_os("MEMORY_RECALL_MISSES").is_some() {
            let top = hits.first().map(|h| (h.loc, h.relevance));
            println!(
                "  false abstention: {:?} (answer {:?}) top: {top:?}",
                q.text, q.answers
            );
        }
        if let Some(older) = q.older {
            updates += 1;
            let pos = |loc: Loc| hits.iter().position(|h| h.loc == loc);
            let newer = q.answers.first().and_then(|a| pos(*a));
            newer_first += usize::from(match (newer, pos(older)) {
                (Some(n), Some(o)) => n < o,
                (Some(_), None) => true,
                _ => false,
            });
        }
    }
    times.sort();
    tokens.sort();
    show_slowest(slowest);
    let mean_tokens = tokens.iter().sum::<u64>() as f64 / tokens.len().max(1) as f64;
    println!(
        "{label:<7} {:>7} | single {} | updated {} | temporal {} | pref {} | newer>older {:.2} | \
         abstain {:.2} (false {:.2}) | p50 {:>8.3?} p95 {:>8.3?} | recall tokens mean {:.0} max {} | build {}",
        data.chunks(),
        single.show(),
        updated.show(),
        temporal.show(),
        pref.show(),
        newer_first as f64 / updates.max(1) as f64,
        abstained as f64 / never.max(1) as f64,
        false_abstain as f64 / answerable.max(1) as f64,
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        mean_tokens,
        tokens.last().copied().unwrap_or(0),
        built,
    );
}

/// `MEMORY_RECALL_SLOW=N`: print the N slowest questions with their times.
fn show_slowest(mut slowest: Vec<(Duration, &str)>) {
    let n: usize = std::env::var("MEMORY_RECALL_SLOW")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (took, text) in slowest.into_iter().take(n) {
        println!("  slow: {took:>8.3?} {text:?}");
    }
}

/// `MEMORY_RECALL_MISSES=1`: print each single-session question whose answer is not in the top 10.
fn show_miss(q: &longmem::Question, hits: &[HitRef]) {
    if std::env::var_os("MEMORY_RECALL_MISSES").is_none()
        || hits.iter().any(|h| q.answers.contains(&h.loc))
    {
        return;
    }
    let top: Vec<String> = hits
        .iter()
        .take(3)
        .map(|h| format!("{:?} rel {:.2}", h.loc, h.relevance))
        .collect();
    println!(
        "  miss: {:?} (answer {:?}) top: {}",
        q.text,
        q.answers,
        top.join("; ")
    );
}

fn single_add(t: &mut Tally, hits: &[HitRef], answers: &[Loc]) {
    t.add(hits, answers);
}

/// The time to index one stored 1,000-message session (what runs after a turn), and for
/// hybrid the embedding pass over it too.
fn index_one_session() {
    let session = longmem::long_session(1000, 7);
    for (label, e) in [("text", None), ("hybrid", Some(embed as Embed))] {
        let mut index = RealRecall::new(e.map(|e| (e, DIMS)), 0);
        index.store_session(&session);
        let t = Instant::now();
        let n = index.index_sessions();
        let indexed = t.elapsed();
        index.embed_pending();
        println!(
            "index one 1,000-message session ({label}): {n} items indexed in {indexed:.1?}, \
             {:.1?} with the embedding pass",
            t.elapsed()
        );
    }
}

/// `MEMORY_RECALL_LABELS=text` (or `hybrid`): only those runs.
fn wanted(label: &str) -> bool {
    std::env::var("MEMORY_RECALL_LABELS").map_or(true, |l| l.split(',').any(|x| x.trim() == label))
}

fn main() {
    let scales: Vec<usize> = std::env::var("MEMORY_RECALL_SCALES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    // `cargo bench` passes `--bench`; anything else (cargo test --benches) just checks it runs.
    let quick = !std::env::args().any(|a| a == "--bench");
    let scales = if quick { vec![1_000] } else { scales };
    println!(
        "recall@5/@10 per kind; abstain = never-stated questions with no hit of relevance ≥ {ABSTAIN_BELOW}; \
         hybrid = FTS5 + {DIMS}-dim hashed-bag-of-words vectors, RRF k=60"
    );
    let baseline = std::env::var_os("MEMORY_RECALL_BASELINE").is_some();
    for chunks in scales {
        let data = longmem::generate(chunks, 42);
        for (label, e) in [("text", None), ("hybrid", Some(embed as Embed))] {
            if !wanted(label) {
                continue;
            }
            let e = e.map(|e| (e, DIMS));
            let (index, built) = build_real(label, e, &data);
            score(label, &data, &index, &built);
            if baseline {
                let (index, built) = build(SqliteRecall::new(e, data.now_ms()), &data);
                score(
                    &format!("{label}-b"),
                    &data,
                    &index,
                    &format!("{built:.2?}"),
                );
            }
        }
    }
    index_one_session();
}
