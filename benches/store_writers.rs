//! Several writers on one store: what the concurrency model costs and whether it loses anything.
//!
//! `single`: one writer appending finished items (what a turn's user message and tool rows cost).
//! `two`: two writers (each its own `Store`, as two pincer processes have) each storing turns —
//! a user item, then a reply streamed as begin + parts + finish — into ONE session at once. It
//! prints the latency of each write call (p50 / p95 / max: the lock waits), the writes that
//! failed, and the items lost (expected − stored). Uses only `Store`'s public API, so the same
//! file runs against an older pincer for a before / after comparison.
//!
//! Run: `cargo bench --bench store_writers` (set `STORE_BENCH_N` for the rounds per writer).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use pincer::store::{ItemKind, NewSession, Store};

const SESSION: &str = "bench-session";

fn session(db: &Path) {
    Store::open(db)
        .unwrap()
        .create_session(&NewSession {
            id: SESSION.into(),
            title: String::new(),
            cwd: "/bench".into(),
            provider: String::new(),
            model: String::new(),
        })
        .unwrap();
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn single(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pincer.db");
    session(&db);
    let store = Store::open(&db).unwrap();
    let started = Instant::now();
    for i in 0..n {
        store
            .append_item(
                SESSION,
                ItemKind::User,
                &format!("message {i}"),
                false,
                None,
            )
            .unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "single: {n} appends in {:.2} s = {:.0} appends/s ({:.1} µs each)",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        elapsed.as_micros() as f64 / n as f64
    );
}

/// One writer's turns; returns each write call's latency and how many calls failed.
fn writer(db: &Path, name: &str, rounds: usize) -> (Vec<Duration>, usize, Vec<String>) {
    let store = Store::open(db).unwrap();
    let mut waits = Vec::with_capacity(rounds * 6);
    let mut errors = Vec::new();
    let timed = |waits: &mut Vec<Duration>, f: &mut dyn FnMut() -> Result<(), String>| {
        let t = Instant::now();
        let r = f();
        waits.push(t.elapsed());
        r
    };
    for round in 0..rounds {
        let user = timed(&mut waits, &mut || {
            store
                .append_item(
                    SESSION,
                    ItemKind::User,
                    &format!("{name} asks {round}"),
                    false,
                    None,
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
        if let Err(e) = user {
            errors.push(e);
        }
        let mut item = None;
        let begun = timed(&mut waits, &mut || {
            item = Some(
                store
                    .begin_item_with(SESSION, ItemKind::Assistant, name)
                    .map_err(|e| e.to_string())?,
            );
            Ok(())
        });
        let Some(item) = item else {
            errors.extend(begun.err());
            continue;
        };
        for part in [" answers", " to", " round"] {
            if let Err(e) = timed(&mut waits, &mut || {
                store.append_part(item, part).map_err(|e| e.to_string())
            }) {
                errors.push(e);
            }
        }
        if let Err(e) = timed(&mut waits, &mut || {
            store
                .finish_item(item, &format!("{name} answers {round}"), false, None)
                .map_err(|e| e.to_string())
        }) {
            errors.push(e);
        }
    }
    let failed = errors.len();
    (waits, failed, errors)
}

fn two(rounds: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pincer.db");
    session(&db);
    let started = Instant::now();
    let threads: Vec<_> = ["one", "two"]
        .into_iter()
        .map(|name| {
            let db = db.clone();
            std::thread::spawn(move || writer(&db, name, rounds))
        })
        .collect();
    let mut waits = Vec::new();
    let mut failed = 0;
    let mut samples = Vec::new();
    for t in threads {
        let (w, f, e) = t.join().unwrap();
        waits.extend(w);
        failed += f;
        samples.extend(e.into_iter().take(2));
    }
    let elapsed = started.elapsed();
    waits.sort();
    let loaded = Store::open(&db).unwrap().load_session(SESSION).unwrap();
    let whole = loaded
        .items
        .iter()
        .filter(|i| !i.interrupted && (i.content.contains("asks") || i.content.contains("answers")))
        .count();
    let expected = 2 * 2 * rounds;
    println!(
        "two writers: {} write calls in {:.2} s; latency p50 {:?} p95 {:?} p99 {:?} max {:?}",
        waits.len(),
        elapsed.as_secs_f64(),
        percentile(&waits, 0.50),
        percentile(&waits, 0.95),
        percentile(&waits, 0.99),
        waits.last().copied().unwrap_or_default(),
    );
    println!(
        "two writers: items lost {} of {expected}; failed write calls {failed}{}",
        expected.saturating_sub(whole),
        samples
            .first()
            .map(|e| format!(" (e.g. {e})"))
            .unwrap_or_default()
    );
}

fn main() {
    let n: usize = std::env::var("STORE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    single(n);
    two(n / 2);
}
