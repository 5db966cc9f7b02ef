//! The harness's index contract ([`RecallIndex`]) and a straightforward implementation so the
//! benchmark runs before the real memory index is plugged in: SQLite FTS5 (`unicode61`, bm25)
//! for text, brute-force cosine over normalized vectors (`pincer::memory::vectors` BLOBs,
//! decoded once into memory) for the vector leg, fused by reciprocal rank (k = 60), with
//! recency decay (30-day half-life, bounded below at 0.85; memory notes exempt) and near-duplicate suppression.

use std::collections::HashSet;

use pincer::memory::vectors;
use rusqlite::{Connection, params};

use super::longmem::{DAY_MS, Loc, Memory, Session};

/// One search hit.
#[derive(Debug, Clone)]
pub struct HitRef {
    pub loc: Loc,
    /// 0..1, comparable across queries: the share of the query's terms the hit contains (text),
    /// or its cosine (vectors), whichever is higher. Abstention looks at this.
    pub relevance: f32,
    /// Length of the hit's text in bytes (what auto-recall would inject).
    pub bytes: usize,
}

/// What the benchmark needs from a memory index.
pub trait RecallIndex {
    fn add_session(&mut self, session: &Session);
    fn add_memory(&mut self, memory: &Memory);
    fn search(&self, query: &str, k: usize) -> Vec<HitRef>;
}

/// Text → vector (the mock server's hashed bag of words stands in for a model).
pub type Embed = fn(&str) -> Vec<f32>;

struct Chunk {
    loc: Loc,
    time_ms: i64,
    text: String,
    exempt: bool,
}

pub struct SqliteRecall {
    conn: Connection,
    chunks: Vec<Chunk>,
    embed: Option<Embed>,
    dims: usize,
    /// Normalized vectors, `dims` per chunk, in chunk order.
    flat: Vec<f32>,
    now_ms: i64,
    half_life_days: f64,
}

const RRF_K: f32 = 60.0;
const LEG_DEPTH: usize = 50;
const DECAY_FLOOR: f32 = 0.85;

impl SqliteRecall {
    pub fn new(embed: Option<(Embed, usize)>, now_ms: i64) -> SqliteRecall {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, tokenize = 'unicode61');
             CREATE TABLE vectors (chunk_id INTEGER PRIMARY KEY, vec BLOB);",
        )
        .unwrap();
        SqliteRecall {
            conn,
            chunks: Vec::new(),
            embed: embed.map(|e| e.0),
            dims: embed.map_or(0, |e| e.1),
            flat: Vec::new(),
            now_ms,
            half_life_days: 30.0,
        }
    }

    fn add(&mut self, loc: Loc, time_ms: i64, text: &str, exempt: bool) {
        let id = self.chunks.len() as i64;
        self.conn
            .prepare_cached("INSERT INTO chunks_fts (rowid, text) VALUES (?1, ?2)")
            .unwrap()
            .execute(params![id, text])
            .unwrap();
        if let Some(embed) = self.embed {
            let v = vectors::normalized(&embed(text));
            self.conn
                .prepare_cached("INSERT INTO vectors (chunk_id, vec) VALUES (?1, ?2)")
                .unwrap()
                .execute(params![id, vectors::encode(&v)])
                .unwrap();
            self.flat.extend_from_slice(&v);
        }
        self.chunks.push(Chunk {
            loc,
            time_ms,
            text: text.to_string(),
            exempt,
        });
    }

    fn text_leg(&self, terms: &[String]) -> Vec<usize> {
        if terms.is_empty() {
            return Vec::new();
        }
        let q = terms
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" OR ");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY rank LIMIT ?2",
            )
            .unwrap();
        stmt.query_map(params![q, LEG_DEPTH as i64], |r| r.get::<_, i64>(0))
            .unwrap()
            .map(|r| r.unwrap() as usize)
            .collect()
    }

    fn vector_leg(&self, query: &[f32]) -> Vec<(usize, f32)> {
        let q = vectors::normalized(query);
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(LEG_DEPTH + 1);
        for (i, v) in self.flat.chunks_exact(self.dims).enumerate() {
            let s: f32 = v.iter().zip(&q).map(|(a, b)| a * b).sum();
            if best.len() < LEG_DEPTH || s > best[best.len() - 1].1 {
                let at = best.partition_point(|b| b.1 >= s);
                best.insert(at, (i, s));
                best.truncate(LEG_DEPTH);
            }
        }
        best
    }

    fn decay(&self, c: &Chunk) -> f32 {
        if c.exempt {
            return 1.0;
        }
        let age_days = (self.now_ms - c.time_ms).max(0) as f64 / DAY_MS as f64;
        let decay = 0.5f64.powf(age_days / self.half_life_days) as f32;
        // Bounded: recency orders comparable hits but never buries a relevant old one (a
        // plain multiplier at a 30-day half-life puts a year-old exact match below any
        // recent partial match).
        DECAY_FLOOR + (1.0 - DECAY_FLOOR) * decay
    }
}

/// Query terms as the text leg sees them (stopwords dropped, as the mock embedder does).
fn query_terms(q: &str) -> Vec<String> {
    super::embeddings::terms(q)
}

fn coverage(terms: &[String], text: &str) -> f32 {
    if terms.is_empty() {
        return 0.0;
    }
    let have: HashSet<String> = super::embeddings::terms(text).into_iter().collect();
    terms.iter().filter(|t| have.contains(*t)).count() as f32 / terms.len() as f32
}

impl RecallIndex for SqliteRecall {
    fn add_session(&mut self, session: &Session) {
        self.conn.execute_batch("BEGIN").unwrap();
        for (item, m) in session.messages.iter().enumerate() {
            let loc = Loc::Message {
                session: session.id,
                item,
            };
            self.add(loc, session.time_ms, &m.text, false);
        }
        self.conn.execute_batch("COMMIT").unwrap();
    }

    fn add_memory(&mut self, memory: &Memory) {
        self.add(Loc::Memory(memory.id), memory.time_ms, &memory.text, true);
    }

    fn search(&self, query: &str, k: usize) -> Vec<HitRef> {
        let terms = query_terms(query);
        let mut fused: Vec<(usize, f32, f32)> = Vec::new(); // chunk, rrf, cosine
        let mut add = |chunk: usize, rank: usize, cos: f32| {
            let rrf = 1.0 / (RRF_K + rank as f32 + 1.0);
            match fused.iter_mut().find(|f| f.0 == chunk) {
                Some(f) => {
                    f.1 += rrf;
                    f.2 = f.2.max(cos);
                }
                None => fused.push((chunk, rrf, cos)),
            }
        };
        for (rank, c) in self.text_leg(&terms).into_iter().enumerate() {
            add(c, rank, 0.0);
        }
        if let Some(embed) = self.embed {
            for (rank, (c, cos)) in self.vector_leg(&embed(query)).into_iter().enumerate() {
                add(c, rank, cos);
            }
        }
        let mut hits: Vec<(usize, f32, f32)> = fused
            .into_iter()
            .map(|(c, rrf, cos)| (c, rrf * self.decay(&self.chunks[c]), cos))
            .collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut seen: Vec<HashSet<String>> = Vec::new();
        let mut out = Vec::with_capacity(k);
        for (c, _score, cos) in hits {
            let chunk = &self.chunks[c];
            let words: HashSet<String> =
                super::embeddings::terms(&chunk.text).into_iter().collect();
            if seen.iter().any(|s| jaccard(s, &words) > 0.9) {
                continue; // near-duplicate of a better hit
            }
            seen.push(words);
            out.push(HitRef {
                loc: chunk.loc,
                relevance: coverage(&terms, &chunk.text).max(cos),
                bytes: chunk.text.len(),
            });
            if out.len() == k {
                break;
            }
        }
        out
    }
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        1.0
    } else {
        inter as f32 / union as f32
    }
}
