//! `pincer memory search` (`memory_cli::run`) searches like the runtime: with the vector leg
//! when `[memory.embeddings]` is set and its vectors are current (the query embedded through
//! the mock server's `/v1/embeddings`), else on text, saying why — not configured, vectors of
//! another model, none yet, or an endpoint that fails at query time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pincer::config::{EmbeddingsConfig, MemoryConfig};
use pincer::memory::embed_worker::Trigger;
use pincer::memory::{MemoryDirs, MemoryService};
use pincer::memory_cli::{MemoryCommand, ScopeArg, run};
use pincer::store::Store;
use support::mock_server::*;

const TABS: &str = "The user prefers tabs for indentation";
const DEPLOY: &str = "Deploys happen on Fridays after lunch";
/// Shares no word with TABS: only the vector leg finds it (see tests/memory_vectors.rs).
const PARAPHRASE: &str = "indenting choice";

struct Setup {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("ws")).unwrap();
        std::fs::create_dir_all(root.join("memory")).unwrap();
        std::fs::write(
            root.join("memory/notes.md"),
            format!("- {TABS}\n- {DEPLOY}\n"),
        )
        .unwrap();
        Setup { _tmp: tmp, root }
    }

    fn dirs(&self) -> MemoryDirs {
        MemoryDirs::under(&self.root.join("memory"), &self.root.join("ws"))
    }

    fn db(&self) -> PathBuf {
        self.root.join("pincer.db")
    }

    /// Index the files and run one embedding pass with `config` (what the runtime's background
    /// worker does), on a runtime of its own that is gone before the CLI runs.
    fn embed(&self, config: MemoryConfig) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let service = MemoryService::new(self.dirs(), config);
            let db = Arc::new(Mutex::new(Store::open(&self.db()).unwrap()));
            service.sync(&db.lock().unwrap()).unwrap();
            let leg = service.vector_leg().unwrap();
            leg.worker(Arc::clone(&db))
                .kick(Trigger::Reindexed)
                .unwrap()
                .await
                .unwrap();
        });
    }

    /// `pincer memory search QUERY [--json]`: what it printed.
    fn search(&self, config: MemoryConfig, query: &str, json: bool) -> String {
        let command = MemoryCommand::Search {
            query: query.into(),
            json,
            k: 5,
            scope: ScopeArg::All,
            superseded: false,
        };
        let mut out = Vec::new();
        run(&command, &self.db(), self.dirs(), config, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }
}

fn embeddings(server: &MockServer, model: &str) -> MemoryConfig {
    MemoryConfig {
        embeddings: Some(EmbeddingsConfig {
            url: format!("{}/v1", server.url()),
            model: model.into(),
            api_key_env: None,
            dimensions: None,
            batch: 8,
        }),
        ..MemoryConfig::default()
    }
}

#[test]
fn current_vectors_make_the_search_hybrid_and_find_a_paraphrase() {
    let server = MockServer::start_blocking(vec![]);
    let setup = Setup::new();
    setup.embed(embeddings(&server, "mock-embed"));
    let before = server.embedding_requests().len();

    let out = setup.search(embeddings(&server, "mock-embed"), PARAPHRASE, false);
    assert!(
        out.starts_with("search: hybrid (text + vectors of mock-embed)\n"),
        "{out}"
    );
    assert!(
        out.contains(TABS),
        "the vector leg finds the paraphrase: {out}"
    );
    assert_eq!(
        server.embedding_requests().len(),
        before + 1,
        "the query is embedded once"
    );

    // --json: stdout is one array of hits, the mode goes to stderr.
    let out = setup.search(embeddings(&server, "mock-embed"), PARAPHRASE, true);
    let hits: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(hits[0]["snippet"], TABS, "{out}");
    assert_eq!(hits[0]["source"], "memory");
}

#[test]
fn without_embeddings_the_search_is_text_only_and_says_so() {
    let setup = Setup::new();
    let out = setup.search(MemoryConfig::default(), PARAPHRASE, false);
    assert!(
        out.starts_with("search: text only (no [memory.embeddings] in config.toml)\n"),
        "{out}"
    );
    assert!(!out.contains(TABS), "text alone cannot find it: {out}");
    let out = setup.search(MemoryConfig::default(), "Fridays", false);
    assert!(out.contains(DEPLOY), "{out}");
}

#[test]
fn stale_missing_or_failing_vectors_fall_back_to_text_with_the_reason() {
    let server = MockServer::start_blocking(vec![]);
    let setup = Setup::new();

    // Configured, but nothing embedded yet (the CLI does not embed the memory itself).
    let out = setup.search(embeddings(&server, "mock-embed"), "Fridays", false);
    assert!(
        out.starts_with("search: text only (no vectors yet"),
        "{out}"
    );
    assert!(out.contains(DEPLOY), "{out}");

    // Vectors of one model, the config now names another: stale until reindexed.
    setup.embed(embeddings(&server, "mock-embed"));
    let out = setup.search(embeddings(&server, "other-embed"), PARAPHRASE, false);
    assert!(
        out.starts_with(
            "search: text only (2 vectors are not from other-embed: run `pincer memory reindex`"
        ),
        "{out}"
    );
    assert!(!out.contains(TABS), "{out}");

    // Current vectors, but the endpoint fails for the query: text, and the error.
    server.set_embeddings(EmbeddingsMode::Status(503));
    let out = setup.search(embeddings(&server, "mock-embed"), "indenting tabs", false);
    assert!(out.starts_with("search: text only ("), "{out}");
    assert!(out.contains("503"), "{out}");
    assert!(out.contains(TABS), "text still finds the word: {out}");
}
