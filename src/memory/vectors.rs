//! Embedding vectors as stored BLOBs (little-endian `f32`s) and brute-force cosine top-k.

/// A vector as a BLOB: little-endian `f32`s.
pub fn encode(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A BLOB back to a vector; `None` when its length is not a whole number of `f32`s.
pub fn decode(blob: &[u8]) -> Option<Vec<f32>> {
    if !blob.len().is_multiple_of(4) {
        return None;
    }
    Some(
        blob.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// `v` scaled to length 1 (unchanged when it is all zeros).
pub fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return v.to_vec();
    }
    v.iter().map(|x| x / norm).collect()
}

/// Cosine similarity of two vectors of the same dimension; `None` when the dimensions differ.
pub fn cosine(a: &[f32], b: &[f32]) -> Option<f32> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    let denom = (na * nb).sqrt();
    (denom > 0.0).then(|| dot / denom)
}

/// The `k` candidates most similar to `query`, best first. Candidates whose BLOB is malformed
/// or has another dimension are skipped (a stale vector never ranks).
pub fn top_k<'a>(
    query: &[f32],
    candidates: impl IntoIterator<Item = (i64, &'a [u8])>,
    k: usize,
) -> Vec<(i64, f32)> {
    let q = normalized(query);
    let mut scored: Vec<(i64, f32)> = candidates
        .into_iter()
        .filter_map(|(id, blob)| {
            let v = decode(blob)?;
            Some((id, cosine(&q, &v)?))
        })
        .filter(|(_, s)| s.is_finite())
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip() {
        let v = vec![0.5, -1.25, 3.0e-7, f32::MAX];
        assert_eq!(decode(&encode(&v)).unwrap(), v);
        assert!(decode(&[1, 2, 3]).is_none());
    }

    #[test]
    fn nearest_first_and_wrong_dimensions_skipped() {
        let a = encode(&[1.0, 0.0]);
        let b = encode(&[0.7, 0.7]);
        let c = encode(&[0.0, 1.0]);
        let wrong = encode(&[1.0, 0.0, 0.0]);
        let hits = top_k(
            &[1.0, 0.1],
            [(1, &a[..]), (2, &b[..]), (3, &c[..]), (4, &wrong[..])],
            3,
        );
        let ids: Vec<i64> = hits.iter().map(|h| h.0).collect();
        assert_eq!(ids, vec![1, 2, 3]);
    }
}
