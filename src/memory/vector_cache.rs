//! The vector leg's vectors decoded once and kept in memory (normalized, one flat array), so a
//! hybrid search scores 100k chunks without reading and decoding 100k BLOBs. The copy is checked
//! against the table at each search by one row — `memory_state.vectors_version`, bumped by
//! triggers on every insert, update and delete of `memory_vectors` (migration 9) — and loaded
//! again when it differs. Scope and superseded filters are applied by the caller on the ranked
//! ids, so a candidate that is gone or out of scope never ranks.
//!
//! Scoring is a dot product per vector (they are normalized) in eight independent lanes, which
//! the compiler turns into SIMD, and only the best `n` are sorted.

use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

use super::vectors;

/// `memory_state.vectors_version` (0 when the row is missing).
type Stamp = i64;
/// Independent partial sums in a dot product (lets the compiler vectorize it).
const LANES: usize = 8;

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

fn stamp(conn: &Connection) -> rusqlite::Result<Stamp> {
    conn.prepare_cached("SELECT value FROM memory_state WHERE key = 'vectors_version'")?
        .query_row([], |r| r.get(0))
        .optional()
        .map(Option::unwrap_or_default)
}

/// `a · b` for slices of the same length, summed in [`LANES`] lanes.
#[cfg(not(target_arch = "x86_64"))]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail = tail_dot(ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `a · b` for slices of the same length, summed in [`LANES`] lanes held in two SSE2 registers.
/// The release build is optimised for size, which turns LLVM's vectorizers off, and the lane
/// loop above then ran scalar: hybrid search at 100k chunks took three times as long. SSE2 is
/// in every x86_64, so no detection is needed; the sums are the same as the loop's.
#[cfg(target_arch = "x86_64")]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::{_mm_add_ps, _mm_loadu_ps, _mm_mul_ps, _mm_setzero_ps, _mm_storeu_ps};
    let n = a.len().min(b.len());
    let whole = n - n % LANES;
    let mut lanes = [0.0f32; LANES];
    // SAFETY: SSE2 is in the x86_64 baseline. Every load reads 4 floats at `i` or `i + 4` with
    // `i + LANES <= whole <= n`, inside both slices; the stores write the 8 floats of `lanes`.
    unsafe {
        let (ap, bp) = (a.as_ptr(), b.as_ptr());
        let (mut low, mut high) = (_mm_setzero_ps(), _mm_setzero_ps());
        let mut i = 0;
        while i < whole {
            low = _mm_add_ps(
                low,
                _mm_mul_ps(_mm_loadu_ps(ap.add(i)), _mm_loadu_ps(bp.add(i))),
            );
            let (a4, b4) = (_mm_loadu_ps(ap.add(i + 4)), _mm_loadu_ps(bp.add(i + 4)));
            high = _mm_add_ps(high, _mm_mul_ps(a4, b4));
            i += LANES;
        }
        _mm_storeu_ps(lanes.as_mut_ptr(), low);
        _mm_storeu_ps(lanes.as_mut_ptr().add(4), high);
    }
    let tail = tail_dot(&a[whole..n], &b[whole..n]);
    lanes.iter().sum::<f32>() + tail
}

/// The products of the last `len % LANES` elements, summed in order.
fn tail_dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl VectorMatrix {
    fn load(conn: &Connection, model: &str, dim: usize) -> rusqlite::Result<VectorMatrix> {
        let stamp = stamp(conn)?;
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

    /// The `n` chunks of highest cosine with `query`, best first (ties by id); empty when the
    /// dimension differs.
    pub fn ranked(&self, query: &[f32], n: usize) -> Vec<(i64, f32)> {
        if query.len() != self.dim || self.dim == 0 || n == 0 {
            return Vec::new();
        }
        let q = vectors::normalized(query);
        let mut scored: Vec<(i64, f32)> = self
            .flat
            .chunks_exact(self.dim)
            .zip(&self.ids)
            .map(|(v, id)| (*id, dot(v, &q)))
            .filter(|(_, s)| s.is_finite())
            .collect();
        let best_first = |a: &(i64, f32), b: &(i64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > n {
            scored.select_nth_unstable_by(n - 1, best_first);
            scored.truncate(n);
        }
        scored.sort_unstable_by(best_first);
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
            && m.stamp == stamp(conn)?
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

    /// The real schema (migration 9's triggers included), with chunks 1..=9 to hang vectors on.
    fn store() -> crate::store::Store {
        let s = crate::store::Store::open_in_memory().unwrap();
        for id in 1..=9 {
            s.connection()
                .execute(
                    "INSERT INTO memory_chunks (id, source, scope, kind, provenance, created,
                        text_hash, text) VALUES (?1, 'memory', 'user', 'semantic', 'user', 0, x'', 'x')",
                    [id],
                )
                .unwrap();
        }
        s
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
        let store = store();
        let c = store.connection();
        put(c, 1, "m", &[1.0, 0.0]);
        put(c, 2, "m", &[0.0, 3.0]);
        put(c, 3, "other", &[1.0, 0.0]);
        put(c, 4, "m", &[1.0, 0.0, 0.0]);
        let cache = VectorCache::default();
        let m = cache.get(c, "m", 2).unwrap();
        let ids: Vec<i64> = m.ranked(&[0.1, 1.0], 10).iter().map(|r| r.0).collect();
        assert_eq!(ids, vec![2, 1]);
        assert!(m.ranked(&[1.0, 0.0, 0.0], 10).is_empty());
        // Unchanged: the same copy; a delete plus an insert elsewhere: a new one.
        assert!(Arc::ptr_eq(&m, &cache.get(c, "m", 2).unwrap()));
        c.execute("DELETE FROM memory_vectors WHERE chunk_id = 2", [])
            .unwrap();
        put(c, 5, "m", &[0.0, 1.0]);
        let m2 = cache.get(c, "m", 2).unwrap();
        assert!(!Arc::ptr_eq(&m, &m2));
        let ids: Vec<i64> = m2.ranked(&[0.1, 1.0], 10).iter().map(|r| r.0).collect();
        assert_eq!(ids, vec![5, 1]);
    }

    /// What the old stamp (count, sum and max of the ids) missed: a vector replaced in place,
    /// and vectors gone with their chunk (the foreign key's cascade).
    #[test]
    fn reloads_after_an_update_in_place_and_a_cascading_delete() {
        let store = store();
        let c = store.connection();
        put(c, 1, "m", &[1.0, 0.0]);
        put(c, 2, "m", &[0.0, 1.0]);
        let cache = VectorCache::default();
        let top = |m: &VectorMatrix| m.ranked(&[1.0, 0.0], 1)[0].0;
        assert_eq!(top(&cache.get(c, "m", 2).unwrap()), 1);
        c.execute(
            "UPDATE memory_vectors SET vec = ?1 WHERE chunk_id = 1",
            [vectors::encode(&[0.0, 1.0])],
        )
        .unwrap();
        c.execute(
            "UPDATE memory_vectors SET vec = ?1 WHERE chunk_id = 2",
            [vectors::encode(&[1.0, 0.0])],
        )
        .unwrap();
        assert_eq!(top(&cache.get(c, "m", 2).unwrap()), 2);
        c.execute("DELETE FROM memory_chunks WHERE id = 2", [])
            .unwrap();
        assert_eq!(top(&cache.get(c, "m", 2).unwrap()), 1);
    }

    #[test]
    fn dot_products_match_a_plain_sum() {
        for len in [0, 1, 3, 7, 8, 9, 17, 64, 256, 1536] {
            let a: Vec<f32> = (0..len)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) / 5.0)
                .collect();
            let b: Vec<f32> = (0..len)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0)
                .collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let got = dot(&a, &b);
            assert!(
                (got - plain).abs() <= 1e-3 * plain.abs().max(1.0),
                "{len}: {got} vs {plain}"
            );
        }
    }

    #[test]
    fn the_best_n_are_a_full_sorts_prefix() {
        let store = store();
        let c = store.connection();
        // 13 dimensions: lanes and a remainder.
        let v = |seed: usize| -> Vec<f32> {
            (0..13)
                .map(|i| ((seed * 7 + i * 3) % 11) as f32 - 5.0)
                .collect()
        };
        for id in 1..=9 {
            put(c, id, "m", &v(id as usize));
        }
        let m = VectorCache::default().get(c, "m", 13).unwrap();
        let q = v(42);
        let all = m.ranked(&q, 100);
        assert_eq!(all.len(), 9);
        for n in 1..=9 {
            assert_eq!(m.ranked(&q, n), all[..n].to_vec());
        }
        for (id, score) in &all {
            let cos = vectors::cosine(&q, &v(*id as usize)).unwrap();
            assert!((cos - score).abs() < 1e-5, "{id}: {cos} vs {score}");
        }
    }
}
