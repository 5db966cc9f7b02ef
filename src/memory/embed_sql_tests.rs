use rusqlite::Connection;

use super::*;

/// The index's tables as the memory migration creates them (chunk table reduced to id + text).
pub(crate) fn db() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(
        "CREATE TABLE memory_chunks (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
         CREATE TABLE memory_vectors (chunk_id INTEGER PRIMARY KEY, model TEXT, dim INTEGER,
                                      text_hash BLOB, vec BLOB);
         CREATE TABLE embedding_cache (key BLOB PRIMARY KEY, model TEXT, dim INTEGER, vec BLOB);",
    )
    .unwrap();
    c
}

fn add_chunk(c: &Connection, id: i64, text: &str) {
    c.execute(
        "INSERT INTO memory_chunks (id, text) VALUES (?1, ?2)",
        params![id, text],
    )
    .unwrap();
}

#[test]
fn pending_skips_embedded_and_blank_chunks_in_id_order() {
    let c = db();
    for (id, t) in [(3, "three"), (1, "one"), (2, "   "), (4, "four")] {
        add_chunk(&c, id, t);
    }
    save_vectors(&c, "m", &[(3, "three", &[1.0, 0.0])]).unwrap();
    let ids: Vec<i64> = pending_chunks(&c, &CHUNKS, i64::MIN, 10)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, vec![1, 4]);
    let after_one = pending_chunks(&c, &CHUNKS, 1, 1).unwrap();
    assert_eq!(after_one[0].id, 4);
}

#[test]
fn saved_vectors_fill_the_cache_by_model_and_text() {
    let c = db();
    add_chunk(&c, 1, "tabs over spaces");
    save_vectors(&c, "m", &[(1, "tabs over spaces", &[0.5, 0.5])]).unwrap();
    let hit = cached(&c, "m", Some(2), &["tabs over spaces", "other"]).unwrap();
    assert_eq!(hit.len(), 1);
    assert_eq!(hit["tabs over spaces"], vec![0.5, 0.5]);
    assert!(
        cached(&c, "other-model", None, &["tabs over spaces"])
            .unwrap()
            .is_empty()
    );
    assert!(
        cached(&c, "m", Some(3), &["tabs over spaces"])
            .unwrap()
            .is_empty()
    );
    let (dim, hash): (i64, Vec<u8>) = c
        .query_row(
            "SELECT dim, text_hash FROM memory_vectors WHERE chunk_id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(dim, 2);
    assert_eq!(hash, text_hash("tabs over spaces").to_vec());
}

#[test]
fn another_model_or_dimension_is_stale_and_status_says_reindex() {
    let c = db();
    add_chunk(&c, 1, "a");
    add_chunk(&c, 2, "b");
    save_vectors(&c, "old", &[(1, "a", &[1.0, 0.0])]).unwrap();
    let s = EmbedSettings::new("http://h/v1", "new");
    let st = embedding_status(&c, &CHUNKS, Some(&s), None).unwrap();
    assert!(matches!(st, VectorStatus::Stale { stale: 1, .. }), "{st:?}");
    assert!(!st.vector_leg_usable());
    assert!(
        st.to_string()
            .contains("vectors stale (model changed): text search until `pincer memory reindex`")
    );

    // Same model, another configured dimension: stale too.
    let mut same = EmbedSettings::new("http://h/v1", "old");
    same.dimensions = Some(3);
    assert_eq!(stale_count(&c, "old", Some(3)).unwrap(), 1);
    assert_eq!(stale_count(&c, "old", Some(2)).unwrap(), 0);
    assert!(matches!(
        embedding_status(&c, &CHUNKS, Some(&same), None).unwrap(),
        VectorStatus::Stale { .. }
    ));

    // Reindex drops the stale rows; then the status counts N of M.
    assert_eq!(drop_stale(&c, &CHUNKS, "new", None).unwrap(), 1);
    save_vectors(&c, "new", &[(2, "b", &[0.0, 1.0, 0.0])]).unwrap();
    let st = embedding_status(&c, &CHUNKS, Some(&s), Some("server down")).unwrap();
    assert_eq!(
        st,
        VectorStatus::Ready {
            model: "new".into(),
            dim: Some(3),
            embedded: 1,
            total: 2,
            last_error: Some("server down".into()),
        }
    );
    assert!(st.vector_leg_usable());
    let line = st.to_string();
    assert!(
        line.contains("1 of 2 chunks (new, 3 dims)") && line.contains("server down"),
        "{line}"
    );
}

#[test]
fn reindex_drops_vectors_of_edited_and_deleted_chunks() {
    let c = db();
    add_chunk(&c, 1, "kept");
    add_chunk(&c, 2, "before edit");
    add_chunk(&c, 3, "deleted soon");
    save_vectors(
        &c,
        "m",
        &[
            (1, "kept", &[1.0]),
            (2, "before edit", &[1.0]),
            (3, "deleted soon", &[1.0]),
        ],
    )
    .unwrap();
    c.execute(
        "UPDATE memory_chunks SET text = 'after edit' WHERE id = 2",
        [],
    )
    .unwrap();
    c.execute("DELETE FROM memory_chunks WHERE id = 3", [])
        .unwrap();
    assert_eq!(drop_stale(&c, &CHUNKS, "m", None).unwrap(), 2);
    let left: Vec<i64> = c
        .prepare("SELECT chunk_id FROM memory_vectors")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(left, vec![1]);
    let ids: Vec<i64> = pending_chunks(&c, &CHUNKS, i64::MIN, 10)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, vec![2]);
}

#[test]
fn not_configured_says_text_only() {
    let c = db();
    let st = embedding_status(&c, &CHUNKS, None, None).unwrap();
    assert!(!st.vector_leg_usable());
    assert!(st.to_string().contains("text search only"));
}
