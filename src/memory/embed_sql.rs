//! The SQL of the vector leg, on a plain `&Connection` so it runs wherever the store's
//! connection lives: chunks still lacking a vector, the cache by (model, text) hash, writing a
//! batch of vectors, stale rows (another model or dimension), and the status line for
//! `pincer memory status`.
//!
//! Tables (created by the memory index's migration):
//! `memory_vectors(chunk_id INTEGER PRIMARY KEY, model TEXT, dim INTEGER, text_hash BLOB, vec BLOB)`
//! and `embedding_cache(key BLOB PRIMARY KEY, model TEXT, dim INTEGER, vec BLOB)`.

use std::collections::HashMap;
use std::fmt;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::embed::{EmbedSettings, cache_key, text_hash};
use super::vectors;

/// Where chunk texts live: table and column names (the index's own, plugged in by its owner).
#[derive(Debug, Clone, Copy)]
pub struct ChunkTable {
    pub table: &'static str,
    pub id: &'static str,
    pub text: &'static str,
}

/// The memory index's chunk table.
pub const CHUNKS: ChunkTable = ChunkTable {
    table: "memory_chunks",
    id: "id",
    text: "text",
};

/// A chunk that needs a vector.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingChunk {
    pub id: i64,
    pub text: String,
}

/// Up to `limit` chunks with an id above `after` and no vector row, in id order.
pub fn pending_chunks(
    conn: &Connection,
    chunks: &ChunkTable,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<PendingChunk>> {
    let ChunkTable { table, id, text } = chunks;
    let sql = format!(
        "SELECT c.{id}, c.{text} FROM {table} c LEFT JOIN memory_vectors v ON v.chunk_id = c.{id} \
         WHERE v.chunk_id IS NULL AND c.{id} > ?1 AND length(trim(c.{text})) > 0 \
         ORDER BY c.{id} LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![after, limit], |r| {
        Ok(PendingChunk {
            id: r.get(0)?,
            text: r.get(1)?,
        })
    })?;
    rows.collect()
}

/// Vectors of `model` at `dim` in the cache for these texts, keyed by text.
pub fn cached(
    conn: &Connection,
    model: &str,
    dim: Option<usize>,
    texts: &[&str],
) -> rusqlite::Result<HashMap<String, Vec<f32>>> {
    let mut stmt =
        conn.prepare_cached("SELECT dim, vec FROM embedding_cache WHERE key = ?1 AND model = ?2")?;
    let mut found = HashMap::new();
    for text in texts {
        let row: Option<(i64, Vec<u8>)> = stmt
            .query_row(params![&cache_key(model, text)[..], model], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let Some((d, blob)) = row else { continue };
        let Some(v) = vectors::decode(&blob) else {
            continue;
        };
        let fits = usize::try_from(d).is_ok_and(|d| d == v.len() && dim.is_none_or(|w| w == d));
        if fits {
            found.insert((*text).to_string(), v);
        }
    }
    Ok(found)
}

/// Store vectors for chunks (and the cache) in one immediate transaction.
pub fn save_vectors(
    conn: &Connection,
    model: &str,
    rows: &[(i64, &str, &[f32])],
) -> rusqlite::Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    {
        let mut put_vec = tx.prepare_cached(
            "INSERT OR REPLACE INTO memory_vectors (chunk_id, model, dim, text_hash, vec) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut put_cache = tx.prepare_cached(
            "INSERT OR REPLACE INTO embedding_cache (key, model, dim, vec) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (id, text, v) in rows {
            let blob = vectors::encode(v);
            let dim = i64::try_from(v.len()).unwrap_or(i64::MAX);
            put_vec.execute(params![id, model, dim, &text_hash(text)[..], &blob])?;
            put_cache.execute(params![&cache_key(model, text)[..], model, dim, &blob])?;
        }
    }
    tx.commit()
}

/// Put one query's vector in the cache.
pub fn cache_put(conn: &Connection, model: &str, text: &str, v: &[f32]) -> rusqlite::Result<()> {
    let dim = i64::try_from(v.len()).unwrap_or(i64::MAX);
    conn.execute(
        "INSERT OR REPLACE INTO embedding_cache (key, model, dim, vec) VALUES (?1, ?2, ?3, ?4)",
        params![&cache_key(model, text)[..], model, dim, vectors::encode(v)],
    )?;
    Ok(())
}

/// The dimension the index already holds for `model` (the most common one), if any.
pub fn indexed_dim(conn: &Connection, model: &str) -> rusqlite::Result<Option<usize>> {
    let d: Option<i64> = conn
        .query_row(
            "SELECT dim FROM memory_vectors WHERE model = ?1 GROUP BY dim \
             ORDER BY count(*) DESC LIMIT 1",
            params![model],
            |r| r.get(0),
        )
        .optional()?;
    Ok(d.and_then(|d| usize::try_from(d).ok()))
}

/// Whether search may use vectors of `model` (at `dim` when configured): some exist and none
/// of another model or dimension is left. Range conditions so the `(model, dim)` index answers
/// without a scan.
pub fn leg_usable(conn: &Connection, model: &str, dim: Option<usize>) -> rusqlite::Result<bool> {
    let dim = dim.and_then(|d| i64::try_from(d).ok());
    // Each EXISTS is one seek in the (model, dim) index (an OR of ranges scanned the table:
    // 46 ms at 100k vectors).
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM memory_vectors WHERE model = ?1) \
         AND NOT EXISTS (SELECT 1 FROM memory_vectors WHERE model < ?1) \
         AND NOT EXISTS (SELECT 1 FROM memory_vectors WHERE model > ?1) \
         AND NOT (?2 IS NOT NULL AND EXISTS (SELECT 1 FROM memory_vectors WHERE model = ?1 AND dim < ?2)) \
         AND NOT (?2 IS NOT NULL AND EXISTS (SELECT 1 FROM memory_vectors WHERE model = ?1 AND dim > ?2))",
    )?
    .query_row(
        params![model, dim],
        |r| r.get(0),
    )
}

/// Before chunks are deleted (forget, an edited entry, a removed file): drop the cached
/// vectors of their texts too, so a forgotten text leaves no vector anywhere. The chunks' own
/// vector rows go with them (`ON DELETE CASCADE`).
pub fn forget_cached(conn: &Connection, chunk_ids: &[i64]) -> rusqlite::Result<()> {
    let mut find = conn.prepare_cached(
        "SELECT v.model, c.text FROM memory_vectors v JOIN memory_chunks c ON c.id = v.chunk_id \
         WHERE v.chunk_id = ?1",
    )?;
    let mut drop = conn.prepare_cached("DELETE FROM embedding_cache WHERE key = ?1")?;
    for id in chunk_ids {
        let row: Option<(String, String)> = find
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((model, text)) = row {
            drop.execute([&cache_key(&model, &text)[..]])?;
        }
    }
    Ok(())
}

/// Rows made by another model or at another dimension than configured.
pub fn stale_count(conn: &Connection, model: &str, dim: Option<usize>) -> rusqlite::Result<u64> {
    let dim = dim.and_then(|d| i64::try_from(d).ok());
    count(
        conn,
        "SELECT count(*) FROM memory_vectors WHERE model != ?1 OR (?2 IS NOT NULL AND dim != ?2)",
        params![model, dim],
    )
}

fn count(conn: &Connection, sql: &str, args: impl rusqlite::Params) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row(sql, args, |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// For `pincer memory reindex`: drop vectors of another model or dimension, and of chunks that
/// no longer exist or whose text changed, so the next pass embeds them again. Returns how many
/// rows went.
pub fn drop_stale(
    conn: &Connection,
    chunks: &ChunkTable,
    model: &str,
    dim: Option<usize>,
) -> rusqlite::Result<usize> {
    let ChunkTable { table, id, text } = chunks;
    let d = dim.and_then(|d| i64::try_from(d).ok());
    let mut gone = conn.execute(
        &format!(
            "DELETE FROM memory_vectors WHERE model != ?1 OR (?2 IS NOT NULL AND dim != ?2) \
             OR chunk_id NOT IN (SELECT {id} FROM {table})"
        ),
        params![model, d],
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT v.chunk_id, v.text_hash, c.{text} FROM memory_vectors v JOIN {table} c ON c.{id} = v.chunk_id"
    ))?;
    let changed: Vec<i64> = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .filter_map(Result::ok)
        .filter(|(_, h, t)| h[..] != text_hash(t)[..])
        .map(|(id, _, _)| id)
        .collect();
    for chunk in changed {
        gone += conn.execute(
            "DELETE FROM memory_vectors WHERE chunk_id = ?1",
            params![chunk],
        )?;
    }
    Ok(gone)
}

/// The vector leg's state, for `pincer memory status` and the log.
#[derive(Debug, Clone, PartialEq)]
pub enum VectorStatus {
    /// No `[memory.embeddings]`: text search only. `suggestion`: a local server the probe found.
    NotConfigured { suggestion: Option<String> },
    /// `embedded` of `total` chunks have a vector of the configured model.
    Ready {
        model: String,
        dim: Option<usize>,
        embedded: u64,
        total: u64,
        last_error: Option<String>,
    },
    /// Vectors of another model or dimension are in the index.
    Stale {
        model: String,
        stale: u64,
        last_error: Option<String>,
    },
}

impl VectorStatus {
    /// Whether search may add the vector leg.
    pub fn vector_leg_usable(&self) -> bool {
        matches!(self, VectorStatus::Ready { embedded, .. } if *embedded > 0)
    }
}

impl fmt::Display for VectorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = |f: &mut fmt::Formatter<'_>, e: &Option<String>| match e {
            Some(e) => write!(f, "\n  last embedding error: {e}"),
            None => Ok(()),
        };
        match self {
            VectorStatus::NotConfigured { suggestion } => {
                write!(f, "vectors: off (no [memory.embeddings]); text search only")?;
                if let Some(s) = suggestion {
                    write!(f, "\n  {s}")?;
                }
                Ok(())
            }
            VectorStatus::Ready {
                model,
                dim,
                embedded,
                total,
                last_error,
            } => {
                let dim = dim.map(|d| format!(", {d} dims")).unwrap_or_default();
                write!(f, "vectors: {embedded} of {total} chunks ({model}{dim})")?;
                last(f, last_error)
            }
            VectorStatus::Stale {
                model,
                stale,
                last_error,
            } => {
                write!(
                    f,
                    "vectors stale (model changed): text search until `pincer memory reindex` \
                     ({stale} vectors not from {model})"
                )?;
                last(f, last_error)
            }
        }
    }
}

/// The vector leg's status for `settings` (`None`: not configured). `last_error`: the last
/// failure the worker or a query saw, kept by the caller.
pub fn embedding_status(
    conn: &Connection,
    chunks: &ChunkTable,
    settings: Option<&EmbedSettings>,
    last_error: Option<&str>,
) -> rusqlite::Result<VectorStatus> {
    let Some(s) = settings else {
        return Ok(VectorStatus::NotConfigured { suggestion: None });
    };
    let last_error = last_error.map(str::to_string);
    let stale = stale_count(conn, &s.model, s.dimensions)?;
    if stale > 0 {
        return Ok(VectorStatus::Stale {
            model: s.model.clone(),
            stale,
            last_error,
        });
    }
    let ChunkTable { table, id, .. } = chunks;
    let total = count(conn, &format!("SELECT count(*) FROM {table}"), [])?;
    let embedded = count(
        conn,
        &format!(
            "SELECT count(*) FROM memory_vectors v JOIN {table} c ON c.{id} = v.chunk_id \
             WHERE v.model = ?1"
        ),
        params![s.model],
    )?;
    Ok(VectorStatus::Ready {
        model: s.model.clone(),
        dim: s.dimensions.or(indexed_dim(conn, &s.model)?),
        embedded,
        total,
        last_error,
    })
}

#[cfg(test)]
#[path = "embed_sql_tests.rs"]
mod tests;
