//! A memory folder with one notes file, its database, and the embedding pass the runtime's
//! background worker runs: shared by the memory vector and CLI search tests.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pincer::config::{EmbeddingsConfig, MemoryConfig};
use pincer::memory::embed_worker::Trigger;
use pincer::memory::{MemoryDirs, MemoryService};
use pincer::store::Store;

use super::mock_server::MockServer;

pub const TABS: &str = "The user prefers tabs for indentation";
pub const DEPLOY: &str = "Deploys happen on Fridays after lunch";
/// Shares no word with TABS (no stemming in FTS, no substring for the trigram leg), but its
/// character trigrams overlap "indentation": only the vector leg can find it.
pub const PARAPHRASE: &str = "indenting choice";

/// `memory/notes.md` holding `notes`, a workspace `ws/` and the database path, in a temp dir.
pub struct MemoryWorld {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
}

impl MemoryWorld {
    pub fn new(notes: &str) -> MemoryWorld {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("ws")).unwrap();
        std::fs::create_dir_all(root.join("memory")).unwrap();
        std::fs::write(root.join("memory/notes.md"), notes).unwrap();
        MemoryWorld { _tmp: tmp, root }
    }

    pub fn dirs(&self) -> MemoryDirs {
        MemoryDirs::under(&self.root.join("memory"), &self.root.join("ws"))
    }

    pub fn db(&self) -> PathBuf {
        self.root.join("pincer.db")
    }
}

/// `[memory.embeddings]` pointing at the mock server's `/v1/embeddings`.
pub fn embeddings(server: &MockServer, model: &str, dimensions: Option<usize>) -> MemoryConfig {
    MemoryConfig {
        embeddings: Some(EmbeddingsConfig {
            url: format!("{}/v1", server.url()),
            model: model.into(),
            api_key_env: None,
            dimensions,
            batch: 8,
        }),
        ..MemoryConfig::default()
    }
}

/// A service over `world`'s files, indexed, and one finished embedding pass.
pub async fn indexed(
    world: &MemoryWorld,
    config: MemoryConfig,
) -> (MemoryService, Arc<Mutex<Store>>) {
    let service = MemoryService::new(world.dirs(), config);
    let db = Arc::new(Mutex::new(Store::open(&world.db()).unwrap()));
    service.sync(&db.lock().unwrap()).unwrap();
    if let Some(leg) = service.vector_leg() {
        let worker = leg.worker(Arc::clone(&db));
        worker.kick(Trigger::Reindexed).unwrap().await.unwrap();
    }
    (service, db)
}
