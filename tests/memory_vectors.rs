//! The vector leg wired into memory: `[memory.embeddings]` → the service's vector leg, the
//! background pass over the real chunk table (through the mock server's `/v1/embeddings`),
//! hybrid search finding what text alone misses, forget removing the vector and its cache row
//! (checked with SQL), a server that is down or answers the wrong dimension named by
//! `memory status` while text search keeps working, a model change leaving vectors stale until
//! reindex, and the runtime embedding in the background and recalling automatically.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pincer::config::{Config, MemoryConfig, NetworkConfig};
use pincer::memory::embed::cache_key;
use pincer::memory::embed_worker::Trigger;
use pincer::memory::{MemoryService, Query};
use pincer::protocol::{Event, MemoryScopeFilter, Op};
use pincer::runtime::{self, RuntimeSettings};
use pincer::store::Store;
use support::events::{finished, mock_provider, until};
use support::memory::{DEPLOY, MemoryWorld, PARAPHRASE, TABS, embeddings, indexed};
use support::mock_server::*;

async fn hybrid(service: &MemoryService, db: &Arc<Mutex<Store>>, text: &str) -> Vec<String> {
    let vector = match service.vector_leg() {
        Some(leg) => leg.query_vector(&**db, text).await,
        None => None,
    };
    let hits = service
        .search(&db.lock().unwrap(), &Query::new(text), vector)
        .unwrap();
    hits.into_iter().map(|h| h.snippet).collect()
}

fn count(db: &Arc<Mutex<Store>>, sql: &str, arg: &dyn rusqlite::ToSql) -> i64 {
    db.lock()
        .unwrap()
        .connection()
        .query_row(sql, [arg], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_search_finds_a_paraphrase_and_forget_removes_the_vector() {
    let server = MockServer::start(vec![]).await;
    let setup = MemoryWorld::new(&format!("- {TABS}\n- {DEPLOY}\n"));
    let (service, db) = indexed(&setup, embeddings(&server, "mock-embed", None)).await;

    let status = service.status(&db.lock().unwrap()).unwrap();
    assert_eq!(
        status.vectors, "vectors: 2 of 2 chunks (mock-embed, 64 dims)",
        "{status:?}"
    );
    assert!(service.vectors_usable(&db.lock().unwrap()).unwrap());

    // Text alone misses the paraphrase; the vector leg ranks the right entry first.
    let text_only = service
        .search(&db.lock().unwrap(), &Query::new(PARAPHRASE), None)
        .unwrap();
    assert!(text_only.is_empty(), "{text_only:?}");
    let found = hybrid(&service, &db, PARAPHRASE).await;
    assert_eq!(found.first().map(String::as_str), Some(TABS), "{found:?}");
    // An exact word still wins through both legs.
    assert_eq!(
        hybrid(&service, &db, "Fridays")
            .await
            .first()
            .map(String::as_str),
        Some(DEPLOY)
    );

    let chunk: i64 = count(
        &db,
        "SELECT id FROM memory_chunks WHERE text = ?1",
        &TABS.to_string(),
    );
    service
        .forget(&db.lock().unwrap(), "tabs for indentation")
        .unwrap();
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM memory_vectors WHERE chunk_id = ?1",
            &chunk
        ),
        0
    );
    let key = cache_key("mock-embed", TABS).to_vec();
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM embedding_cache WHERE key = ?1",
            &key
        ),
        0,
        "the forgotten text's cached vector stays"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM memory_fts WHERE memory_fts MATCH ?1",
            &"tabs".to_string()
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM memory_vectors WHERE model = ?1",
            &"mock-embed"
        ),
        1,
        "the other entry keeps its vector"
    );
    let after = hybrid(&service, &db, PARAPHRASE).await;
    assert!(after.iter().all(|s| s != TABS), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_server_or_wrong_dimension_is_named_and_text_search_works() {
    let server = MockServer::start(vec![]).await;
    let setup = MemoryWorld::new(&format!("- {TABS}\n- {DEPLOY}\n"));

    server.set_embeddings(EmbeddingsMode::Status(503));
    let (service, db) = indexed(&setup, embeddings(&server, "mock-embed", None)).await;
    let status = service.status(&db.lock().unwrap()).unwrap();
    assert!(
        status.vectors.contains("vectors: 0 of 2 chunks")
            && status.vectors.contains("HTTP 503")
            && status.vectors.contains("[memory.embeddings]"),
        "{}",
        status.vectors
    );
    assert!(!service.vectors_usable(&db.lock().unwrap()).unwrap());
    assert_eq!(hybrid(&service, &db, "tabs").await, vec![TABS.to_string()]);

    // The server answers 64 dimensions; the config asks for 32.
    server.set_embeddings(EmbeddingsMode::Ok { dims: 64 });
    let setup = MemoryWorld::new(&format!("- {TABS}\n- {DEPLOY}\n"));
    let (service, db) = indexed(&setup, embeddings(&server, "mock-embed", Some(32))).await;
    let status = service.status(&db.lock().unwrap()).unwrap();
    assert!(
        status
            .vectors
            .contains("returned 64-dimension vectors, expected 32"),
        "{}",
        status.vectors
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM memory_vectors WHERE dim = ?1",
            &64
        ),
        0,
        "nothing of the wrong size is stored"
    );
    assert_eq!(
        hybrid(&service, &db, "Fridays").await,
        vec![DEPLOY.to_string()]
    );

    // Unreachable: the port of a server that is gone.
    let gone = MockServer::start(vec![]).await;
    let mut config = embeddings(&gone, "mock-embed", None);
    drop(gone);
    tokio::time::sleep(Duration::from_millis(50)).await;
    if let Some(e) = config.embeddings.as_mut() {
        e.batch = 1;
    }
    let setup = MemoryWorld::new(&format!("- {TABS}\n"));
    let (service, db) = indexed(&setup, config).await;
    let status = service.status(&db.lock().unwrap()).unwrap();
    assert!(
        status.vectors.contains("not reachable") || status.vectors.contains("HTTP"),
        "{}",
        status.vectors
    );
    assert_eq!(hybrid(&service, &db, "tabs").await, vec![TABS.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_model_is_stale_until_reindex_then_embedded_again() {
    let server = MockServer::start(vec![]).await;
    let setup = MemoryWorld::new(&format!("- {TABS}\n- {DEPLOY}\n"));
    let (_, db) = indexed(&setup, embeddings(&server, "mock-embed", None)).await;
    drop(db);
    let (service, db) = indexed(&setup, embeddings(&server, "other-embed", None)).await;
    let status = service.status(&db.lock().unwrap()).unwrap();
    assert!(
        status.vectors.contains("stale") && status.vectors.contains("reindex"),
        "{}",
        status.vectors
    );
    assert!(!service.vectors_usable(&db.lock().unwrap()).unwrap());
    assert!(hybrid(&service, &db, PARAPHRASE).await.is_empty());

    service.reindex(&db.lock().unwrap()).unwrap();
    let worker = service.vector_leg().unwrap().worker(Arc::clone(&db));
    worker.kick(Trigger::Reindexed).unwrap().await.unwrap();
    assert!(service.vectors_usable(&db.lock().unwrap()).unwrap());
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM memory_vectors WHERE model != ?1",
            &"other-embed"
        ),
        0
    );
    assert_eq!(
        hybrid(&service, &db, PARAPHRASE)
            .await
            .first()
            .map(String::as_str),
        Some(TABS)
    );
}

fn runtime_settings(
    server: &MockServer,
    setup: &MemoryWorld,
    memory: MemoryConfig,
) -> RuntimeSettings {
    let config = Config {
        network: NetworkConfig {
            stream_idle_timeout_ms: 5_000,
            max_retries: 1,
            retry_base_delay_ms: 10,
            ..NetworkConfig::default()
        },
        memory,
        ..Config::default()
    };
    let mut s = RuntimeSettings::new(
        config,
        Ok(mock_provider(&server.url())),
        setup.root.join("ws"),
    );
    s.env = Arc::new(|_: &str| None);
    s.database = Some(setup.db());
    s.memory_dir = Some(setup.root.join("memory"));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_embeds_in_the_background_and_the_pane_says_so() {
    let server = MockServer::start(vec![]).await;
    let setup = MemoryWorld::new(&format!("- {TABS}\n- {DEPLOY}\n"));
    let memory = embeddings(&server, "mock-embed", None);
    let mut rt = runtime::spawn(runtime_settings(&server, &setup, memory));
    assert!(
        server
            .wait_for_embedding_requests(1, Duration::from_secs(30))
            .await,
        "no embedding request after start-up"
    );
    let store = Store::open(&setup.db()).unwrap();
    let mut embedded = 0;
    for _ in 0..300 {
        embedded = store
            .connection()
            .query_row("SELECT count(*) FROM memory_vectors", [], |r| r.get(0))
            .unwrap();
        if embedded == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        embedded, 2,
        "the background pass did not embed both entries"
    );
    rt.ops
        .send(Op::ListMemory {
            scope: MemoryScopeFilter::All,
            query: String::new(),
        })
        .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::MemoryList(_))).await;
    let Some(Event::MemoryList(listing)) = evs.last() else {
        panic!()
    };
    assert!(
        listing.status.contains("2 of 2 chunks (mock-embed"),
        "{}",
        listing.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_recall_puts_relevant_memories_in_the_prompt_and_nothing_unrelated() {
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["it is db-stage-7"], None)),
        Reply::sse(openai_sse(&["sure"], None)),
    ])
    .await;
    let setup = MemoryWorld::new(
        "- The staging database lives on host db-stage-7\n- Deploys happen on Fridays\n",
    );
    let memory = MemoryConfig {
        auto_recall: true,
        ..MemoryConfig::default()
    };
    let mut rt = runtime::spawn(runtime_settings(&server, &setup, memory));
    rt.ops
        .send(Op::UserMessage {
            text: "which host is the staging database on?".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    rt.ops
        .send(Op::UserMessage {
            text: "write a haiku about autumn leaves".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    let requests = server.requests();
    let system = |i: usize| {
        let body = requests[i].json().unwrap();
        body["messages"][0]["content"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let first = system(0);
    assert!(
        first.contains("recalled automatically") && first.contains("db-stage-7"),
        "{first}"
    );
    assert!(
        !first.contains("Fridays"),
        "an unrelated memory was injected: {first}"
    );
    let second = system(1);
    assert!(!second.contains("recalled automatically"), "{second}");
}
