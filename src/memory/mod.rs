//! Long-term memory: Markdown files under the per-user data dir are the source of truth
//! (`MEMORY.md` core + topic files, user-scoped, and per project beside them); an index in
//! SQLite derived from them (rebuildable); search over memory and past sessions.
//!
//! Files: `format.rs` (the file format: one entry per bullet or paragraph, metadata in a
//! trailing `<!-- m:ID … -->` comment), `index.rs` (files and session items → index rows),
//! `search.rs` (fusion, dedup), `legs.rs` (the bounded full-text legs, the scope filter), `rank.rs` (query words, FTS5 expressions, RRF, decay, coverage), `edit.rs` (atomic writes, supersede,
//! forget, pin, undo), `service.rs` (one workspace's memory: change + reindex + undo log,
//! listing, status), `query_vector.rs` (the query's vector and the search mode for the CLI), `vector_leg.rs` (the configured embedder, when search may use vectors,
//! the background worker: `embed*.rs`), `core.rs` (the core file for the prompt), `dirs.rs`, `vectors.rs`.

pub mod core;
pub mod dirs;
pub mod edit;
pub mod embed;
pub mod embed_probe;
pub mod embed_sql;
pub mod embed_worker;
pub mod format;
pub mod index;
mod legs;
pub mod query_vector;
pub mod rank;
pub mod search;
pub mod service;
mod stage;
pub mod vector_cache;
pub mod vector_leg;
pub mod vectors;

pub use self::core::{CORE_FILE, CORE_MAX_LINES, CoreMemory, load_core};
pub use dirs::MemoryDirs;
pub use edit::{MemoryError, WriteMode, WriteRequest};
pub use search::{Hit, Query, search};
pub use service::{MemoryService, MemoryStatus};
