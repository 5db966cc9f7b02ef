//! The vector leg's vectors decoded once and kept in memory (normalized, one flat array), so a
//! hybrid search scores 100k chunks without reading and decoding 100k BLOBs. The copy is checked
//! against the table at each search by a cheap stamp — count, sum and max of the chunk ids of
//! the model's vectors at that dimension (answered from the `(model, dim)` index) — and loaded
//! again when it differs. Scope and superseded filters are applied by the caller on the ranked
//! ids, so a candidate that is gone or out of scope never ranks.

use std::sync::{Arc, Mutex};

use rusqlite::{Connection, params};

use super::vectors;

type Stamp = (i64, f64, i64);

pub struct VectorMatrix {
    model: String,
    dim: usize,
    stamp: Stamp,
    ids: Vec<i64>,
    flat: Vec<f32>,
}

impl std::fmt::Debug for VectorMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "VectorMatrix({} × {} of {})",
            self.ids.len(),
            self.dim,
            self.model
        )
    }
}

fn stamp(conn: &Connection, model: &str, dim: usize) -> rusqlite::Result<Stamp> {
    conn.query_row(
        "SELECT count(*), total(chunk_id), COALESCE(max(chunk_id), 0) FROM memory_vectors \
         WHERE model = ?1 AND dim = ?2",
        params![model, i64::try_from(dim).unwrap_or(i64::MAX)],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

impl VectorMatrix {
    fn load(conn: &Connection, model: &str, dim: usize) -> rusqlite::Result<VectorMatrix> {
        let stamp = stamp(conn, model, dim)?;
        let mut stmt = conn.prepare_cached(
            "SELECT chunk_id, vec FROM memory_vectors WHERE model = ?1 AND dim = ?2 ORDER BY chunk_id",
        )?;
        let mut rows = stmt.query(params![model, i64::try_from(dim).unwrap_or(i64::MAX)])?;
        let (mut ids, mut flat) = (Vec::new(), Vec::new());
        while let Some(r) = rows.next()? {
            let blob: Vec<u8> = r.get(1)?;
            if let Some(v) = vectors::decode(&blob).filter(|v| v.len() == dim) {
                ids.push(r.get(0)?);
                flat.extend(vectors::normalized(&v));
            }
        }
        Ok(VectorMatrix {
            model: model.to_string(),
            dim,
            stamp,
            ids,
            flat,
        })
    }

    /// Every chunk by cosine with `query`, best first (ties by id); empty when the dimension
    /// differs.
    pub fn ranked(&self, query: &[f32]) -> Vec<(i64, f32)> {
        if query.len() != self.dim || self.dim == 0 {
            return Vec::new();
        }
        let q = vectors::normalized(query);
        let mut scored: Vec<(i64, f32)> = self
            .flat
            .chunks_exact(self.dim)
            .zip(&self.ids)
            .map(|(v, id)| (*id, v.iter().zip(&q).map(|(a, b)| a * b).sum::<f32>()))
            .filter(|(_, s)| s.is_finite())
            .collect();
        scored.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}

/// The last matrix loaded, reused while its stamp matches the table.
#[derive(Default)]
pub struct VectorCache(Mutex<Option<Arc<VectorMatrix>>>);

impl VectorCache {
    pub fn get(
        &self,
        conn: &Connection,
        model: &str,
        dim: usize,
    ) -> rusqlite::Result<Arc<VectorMatrix>> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = slot.as_ref()
            && m.model == model
            && m.dim == dim
            && m.stamp == stamp(conn, model, dim)?
        {
            return Ok(Arc::clone(m));
        }
        let fresh = Arc::new(VectorMatrix::load(conn, model, dim)?);
        *slot = Some(Arc::clone(&fresh));
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE memory_vectors (chunk_id INTEGER PRIMARY KEY, model TEXT, dim INTEGER,
                                          text_hash BLOB, vec BLOB);",
        )
        .unwrap();
        c
    }

    fn put(c: &Connection, id: i64, model: &str, v: &[f32]) {
        c.execute(
            "INSERT OR REPLACE INTO memory_vectors VALUES (?1, ?2, ?3, x'', ?4)",
            params![id, model, v.len() as i64, vectors::encode(v)],
        )
        .unwrap();
    }

    #[test]
    fn ranks_by_cosine_and_reloads_when_the_table_changes() {
        let c = conn();
        put(&c, 1, "m", &[1.0, 0.0]);
        put(&c, 2, "m", &[0.0, 3.0]);
        put(&c, 3, "other", &[1.0, 0.0]);
        put(&c, 4, "m", &[1.0, 0.0, 0.0]);
        let cache = VectorCache::default();
        let m = cache.get(&c, "m", 2).unwrap();
        let ids: Vec<i64> = m.ranked(&[0.1, 1.0]).iter().map(|r| r.0).collect();
        assert_eq!(ids, vec![2, 1]);
        assert!(m.ranked(&[1.0, 0.0, 0.0]).is_empty());
        // Unchanged: the same copy; a delete plus an insert elsewhere: a new one.
        assert!(Arc::ptr_eq(&m, &cache.get(&c, "m", 2).unwrap()));
        c.execute("DELETE FROM memory_vectors WHERE chunk_id = 2", [])
            .unwrap();
        put(&c, 5, "m", &[0.0, 1.0]);
        let m2 = cache.get(&c, "m", 2).unwrap();
        assert!(!Arc::ptr_eq(&m, &m2));
        let ids: Vec<i64> = m2.ranked(&[0.1, 1.0]).iter().map(|r| r.0).collect();
        assert_eq!(ids, vec![5, 1]);
    }
}
