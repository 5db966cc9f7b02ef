//! `pincer memory search` (`memory_cli::run`) searches like the runtime: with the vector leg
//! when `[memory.embeddings]` is set and its vectors are current (the query embedded through
//! the mock server's `/v1/embeddings`), else on text, saying why — not configured, vectors of
//! another model, none yet, or an endpoint that fails at query time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use pincer::config::MemoryConfig;
use pincer::memory_cli::{MemoryCommand, ScopeArg, run};
use support::memory::{DEPLOY, MemoryWorld, PARAPHRASE, TABS, indexed};
use support::mock_server::*;

/// The notes file of TABS and DEPLOY, and the CLI run against it.
struct Setup(MemoryWorld);

impl Setup {
    fn new() -> Setup {
        Setup(MemoryWorld::new(&format!("- {TABS}\n- {DEPLOY}\n")))
    }

    /// Index the files and run one embedding pass with `config` (what the runtime's background
    /// worker does), on a runtime of its own that is gone before the CLI runs.
    fn embed(&self, config: MemoryConfig) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(indexed(&self.0, config));
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
        run(&command, &self.0.db(), self.0.dirs(), config, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }
}

fn embeddings(server: &MockServer, model: &str) -> MemoryConfig {
    support::memory::embeddings(server, model, None)
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
