//! Memory's vector leg against the mock server's `/v1/embeddings`: the client's typed errors,
//! the cache (a hit sends no request), the background pass filling missing rows and never
//! mixing dimensions, and the query vector falling back to text search.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pincer::memory::embed::{EmbedClient, EmbedError, EmbedSettings};
use pincer::memory::embed_sql::{self, CHUNKS, VectorStatus};
use pincer::memory::embed_worker::{
    EmbedWorker, LastError, PassError, QueryEmbedder, Trigger, run_pass,
};
use pincer::memory::vectors;
use rusqlite::{Connection, params};
use support::mock_server::{EmbeddingsMode, MockServer, embeddings::hashed_embedding};

fn settings(server: &MockServer) -> EmbedSettings {
    let mut s = EmbedSettings::new(&format!("{}/v1", server.url()), "mock-embed");
    s.timeout = Duration::from_secs(30);
    s.query_timeout = Duration::from_secs(30);
    s
}

fn client(s: EmbedSettings) -> EmbedClient {
    EmbedClient::new(s).unwrap()
}

fn db(texts: &[&str]) -> Mutex<Connection> {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(
        "CREATE TABLE memory_chunks (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
         CREATE TABLE memory_vectors (chunk_id INTEGER PRIMARY KEY, model TEXT, dim INTEGER,
                                      text_hash BLOB, vec BLOB);
         CREATE TABLE embedding_cache (key BLOB PRIMARY KEY, model TEXT, dim INTEGER, vec BLOB);",
    )
    .unwrap();
    for (i, t) in texts.iter().enumerate() {
        c.execute(
            "INSERT INTO memory_chunks (id, text) VALUES (?1, ?2)",
            params![i as i64 + 1, t],
        )
        .unwrap();
    }
    Mutex::new(c)
}

fn vector_rows(db: &Mutex<Connection>) -> Vec<(i64, String, i64)> {
    let c = db.lock().unwrap();
    let mut stmt = c
        .prepare("SELECT chunk_id, model, dim FROM memory_vectors ORDER BY chunk_id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors_come_back_in_order_with_the_mock_dimension() {
    let server = MockServer::start(vec![]).await;
    let mut s = settings(&server);
    s.batch = 2;
    s.api_key = Some("sk-embed".into());
    let c = client(s);
    let texts = [
        "I prefer tabs",
        "deploy on fridays",
        "tabs are preferred",
        "x",
    ];
    let got = c.embed(&texts, None).await.unwrap();
    assert_eq!(got.len(), 4);
    for (v, t) in got.iter().zip(texts) {
        assert_eq!(v, &hashed_embedding(t, 64));
    }
    // Two requests of two, with the model and the key.
    let reqs = server.embedding_requests();
    assert_eq!(reqs.len(), 2);
    let body = reqs[0].json().unwrap();
    assert_eq!(body["model"], "mock-embed");
    assert_eq!(body["input"].as_array().unwrap().len(), 2);
    assert_eq!(reqs[0].header("authorization"), Some("Bearer sk-embed"));
    assert!(reqs[0].path.ends_with("/v1/embeddings"));
    // Overlapping texts are closer than unrelated ones.
    let near = vectors::cosine(&got[0], &got[2]).unwrap();
    let far = vectors::cosine(&got[0], &got[1]).unwrap();
    assert!(near > far + 0.3, "near {near} far {far}");
    // The chat script was not touched.
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_is_its_own_error_and_says_what_to_do() {
    let server = MockServer::start(vec![]).await;
    let c = client(settings(&server));

    server.set_embeddings(EmbeddingsMode::Status(503));
    let e = c.embed(&["a"], None).await.unwrap_err();
    assert!(matches!(e, EmbedError::Http { status: 503, .. }), "{e}");
    assert!(e.to_string().contains("mock embeddings status 503"), "{e}");

    server.set_embeddings(EmbeddingsMode::Close);
    let e = c.embed(&["a"], None).await.unwrap_err();
    assert!(matches!(e, EmbedError::Down { .. }), "{e}");

    server.set_embeddings(EmbeddingsMode::BadJson);
    let e = c.embed(&["a"], None).await.unwrap_err();
    assert!(matches!(e, EmbedError::BadJson { .. }), "{e}");
    assert!(e.to_string().contains("/v1/embeddings"), "{e}");

    server.set_embeddings(EmbeddingsMode::DropOne { dims: 64 });
    let e = c.embed(&["a", "b", "c"], None).await.unwrap_err();
    assert!(
        matches!(
            e,
            EmbedError::CountMismatch {
                sent: 3,
                got: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("batch = 1"), "{e}");

    server.set_embeddings(EmbeddingsMode::Ok { dims: 32 });
    let mut s = settings(&server);
    s.dimensions = Some(64);
    let e = client(s).embed(&["a"], None).await.unwrap_err();
    assert!(
        matches!(
            e,
            EmbedError::WrongDimension {
                expected: 64,
                got: 32,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("dimensions = 32"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_or_slow_is_named_as_such() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = client(EmbedSettings::new(
        &format!("http://127.0.0.1:{port}/v1"),
        "m",
    ));
    let e = down.embed(&["a"], None).await.unwrap_err();
    assert!(matches!(e, EmbedError::Down { .. }), "{e}");
    assert!(e.to_string().contains("text only"), "{e}");

    let server = MockServer::start(vec![]).await;
    server.set_embeddings(EmbeddingsMode::Slow {
        delay: Duration::from_secs(600),
        dims: 64,
    });
    let mut s = settings(&server);
    s.query_timeout = Duration::from_millis(200);
    let e = client(s).embed_query("a", None).await.unwrap_err();
    assert!(matches!(e, EmbedError::Slow { millis: 200, .. }), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_fills_missing_rows_and_the_cache_spares_a_second_request() {
    let server = MockServer::start(vec![]).await;
    let mut s = settings(&server);
    s.batch = 2;
    let c = client(s);
    let store = db(&["alpha fact", "beta fact", "  ", "gamma fact"]);
    let report = run_pass(&store, &c, &CHUNKS).await.unwrap();
    assert_eq!(report.embedded, 3);
    assert_eq!(report.requests, 2);
    assert_eq!(server.embedding_requests().len(), 2);
    let rows = vector_rows(&store);
    assert_eq!(
        rows,
        vec![
            (1, "mock-embed".into(), 64),
            (2, "mock-embed".into(), 64),
            (4, "mock-embed".into(), 64)
        ]
    );
    // Nothing left: a second pass sends nothing.
    assert_eq!(run_pass(&store, &c, &CHUNKS).await.unwrap().embedded, 0);
    assert_eq!(server.embedding_requests().len(), 2);

    // Chunks rewritten with the same text (a re-index) come from the cache: no request.
    store
        .lock()
        .unwrap()
        .execute_batch(
            "DELETE FROM memory_vectors; DELETE FROM memory_chunks;
             INSERT INTO memory_chunks (id, text) VALUES (10, 'alpha fact'), (11, 'beta fact');",
        )
        .unwrap();
    let report = run_pass(&store, &c, &CHUNKS).await.unwrap();
    assert_eq!(
        (report.embedded, report.from_cache, report.requests),
        (2, 2, 0)
    );
    assert_eq!(server.embedding_requests().len(), 2);

    // The query vector is cached too.
    let q = QueryEmbedder::new(Arc::new(c), Arc::default());
    let v1 = q.query_vector(&store, "which fact").await.unwrap();
    let v2 = q.query_vector(&store, "which fact").await.unwrap();
    assert_eq!(v1, v2);
    assert_eq!(server.embedding_requests().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dimension_change_mid_run_stops_the_pass_without_mixing_sizes() {
    let server = MockServer::start(vec![]).await;
    let mut s = settings(&server);
    s.batch = 2;
    let c = client(s);
    let store = db(&["one", "two", "three", "four", "five"]);
    server.queue_embeddings(vec![
        EmbeddingsMode::Ok { dims: 64 },
        EmbeddingsMode::Ok { dims: 48 },
    ]);
    let e = run_pass(&store, &c, &CHUNKS).await.unwrap_err();
    assert!(
        matches!(
            e,
            PassError::Embed(EmbedError::DimensionChanged {
                before: 64,
                now: 48,
                ..
            })
        ),
        "{e}"
    );
    let dims: Vec<i64> = vector_rows(&store).iter().map(|r| r.2).collect();
    assert_eq!(dims, vec![64, 64], "only the first batch was stored");

    // A later pass keeps the size the index holds: the server now at 48 is refused again.
    server.set_embeddings(EmbeddingsMode::Ok { dims: 48 });
    let e = run_pass(&store, &c, &CHUNKS).await.unwrap_err();
    assert!(
        matches!(e, PassError::Embed(EmbedError::WrongDimension { .. })),
        "{e}"
    );
    assert_eq!(vector_rows(&store).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_model_leaves_vectors_stale_until_reindex() {
    let server = MockServer::start(vec![]).await;
    let store = db(&["one", "two"]);
    let old = client(EmbedSettings {
        model: "old-model".into(),
        ..settings(&server)
    });
    run_pass(&store, &old, &CHUNKS).await.unwrap();
    let new_settings = settings(&server);
    let new = client(new_settings.clone());
    let status = |last: Option<&str>| {
        let c = store.lock().unwrap();
        embed_sql::embedding_status(&c, &CHUNKS, Some(&new_settings), last).unwrap()
    };
    assert!(matches!(status(None), VectorStatus::Stale { stale: 2, .. }));
    // A normal pass does not touch them (the user decides when to pay for a re-embed).
    assert_eq!(run_pass(&store, &new, &CHUNKS).await.unwrap().embedded, 0);
    {
        let c = store.lock().unwrap();
        embed_sql::drop_stale(&c, &CHUNKS, "mock-embed", None).unwrap();
    }
    assert_eq!(run_pass(&store, &new, &CHUNKS).await.unwrap().embedded, 2);
    let st = status(None);
    assert!(st.vector_leg_usable(), "{st}");
    assert!(
        st.to_string()
            .contains("2 of 2 chunks (mock-embed, 64 dims)"),
        "{st}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_query_falls_back_to_text_and_says_why_once() {
    let server = MockServer::start(vec![]).await;
    server.set_embeddings(EmbeddingsMode::Status(500));
    let last = Arc::new(LastError::default());
    let q = QueryEmbedder::new(Arc::new(client(settings(&server))), last.clone());
    let store = db(&[]);
    assert!(q.query_vector(&store, "tabs").await.is_none());
    let reason = last.get().unwrap();
    assert!(
        reason.contains("fell back to text") && reason.contains("500"),
        "{reason}"
    );
    // The same reason again is not news (set() reports false → not logged twice).
    assert!(q.query_vector(&store, "tabs").await.is_none());
    assert!(!last.set(reason));
    server.set_embeddings(EmbeddingsMode::default());
    assert!(q.query_vector(&store, "tabs").await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kicks_start_one_pass_and_a_kick_during_it_goes_round_once_more() {
    let server = MockServer::start(vec![]).await;
    server.set_embeddings(EmbeddingsMode::Slow {
        delay: Duration::from_millis(300),
        dims: 64,
    });
    let store = Arc::new(db(&["first"]));
    let last = Arc::new(LastError::default());
    let worker = EmbedWorker::new(
        store.clone(),
        Arc::new(client(settings(&server))),
        CHUNKS,
        last.clone(),
    );
    let task = worker.kick(Trigger::FirstFrame).unwrap();
    assert!(
        server
            .wait_for_embedding_requests(1, Duration::from_secs(30))
            .await
    );
    // While the first request is outstanding: a write adds a chunk and kicks twice.
    store
        .lock()
        .unwrap()
        .execute(
            "INSERT INTO memory_chunks (id, text) VALUES (2, 'second')",
            [],
        )
        .unwrap();
    assert!(worker.kick(Trigger::MemoryWritten).is_none());
    assert!(worker.kick(Trigger::MemoryWritten).is_none());
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(vector_rows(&store).len(), 2);
    assert_eq!(
        worker.passes(),
        2,
        "two kicks during a pass make one more pass"
    );
    assert!(last.get().is_none());

    // A failing pass leaves its reason for `memory status`.
    server.set_embeddings(EmbeddingsMode::Status(503));
    store
        .lock()
        .unwrap()
        .execute(
            "INSERT INTO memory_chunks (id, text) VALUES (3, 'third')",
            [],
        )
        .unwrap();
    let task = worker.kick(Trigger::Reindexed).unwrap();
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .unwrap()
        .unwrap();
    assert!(last.get().unwrap().contains("503"));
}
