//! Long-term memory: Markdown files under the per-user data dir are the source of truth
//! (`MEMORY.md` core + topic files, user-scoped, and per project beside them); an index in
//! SQLite derived from them (rebuildable); search over memory and past sessions.

pub mod core;
pub mod dirs;
pub mod embed;
pub mod embed_probe;
pub mod embed_sql;
pub mod embed_worker;
pub mod vectors;

pub use self::core::{CORE_FILE, CORE_MAX_LINES, CoreMemory, load_core};
pub use dirs::MemoryDirs;
