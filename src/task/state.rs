//! Recorded state: `<data>/tasks/<task-id>/state.json`, written atomically (temp + rename);
//! the previous file is kept as `state.prev.json`; a file that does not parse is reported and
//! left alone, never overwritten. Each run's log sits beside it in `runs/`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub task: String,
    /// `KIND.NAME` → what was applied.
    pub resources: BTreeMap<String, ResourceState>,
    /// Build-folder path → sha256 of the content written.
    #[serde(default)]
    pub artifacts: BTreeMap<String, String>,
    #[serde(default)]
    pub last_run: Option<RunRecord>,
    /// Unix seconds of each automatic fix (the fix budget counts them).
    #[serde(default)]
    pub auto_fixes: Vec<u64>,
    /// Health-check tuning applied by automatic fixes: `KIND.NAME` → setting → value (e.g.
    /// `http_check.home` → `retries` → 10). `task drift` checks with it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tuning: BTreeMap<String, BTreeMap<String, i64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    pub kind: String,
    /// sha256 of the kind and the attributes (see `plan::resource_hash`).
    pub hash: String,
    pub attrs: BTreeMap<String, Value>,
    /// The last step for it succeeded.
    pub ok: bool,
    /// Position in the dependency order when applied (destroy goes backwards).
    pub order: usize,
    /// A service's process group when it was started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub started: u64,
    pub finished: u64,
    pub ok: bool,
    pub steps: Vec<StepRecord>,
    pub log: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub purpose: String,
    pub command: String,
    pub exit_code: Option<i32>,
    /// `ok`, `failed`, `timed out`, `refused`, `not started: …`.
    pub outcome: String,
    /// The last lines of the step's output (or why it did not run), capped.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    #[serde(default)]
    pub duration_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "the state file {path} is corrupted ({reason}); it was kept as it is: move it aside (the previous one is state.prev.json beside it) and run again"
    )]
    Corrupt { path: String, reason: String },
    #[error(
        "cannot read or write the task state in {path}: {reason}; check the folder's permissions and free space"
    )]
    Io { path: String, reason: String },
}

/// Where one task's state and logs live.
#[derive(Debug, Clone)]
pub struct StateStore {
    pub dir: PathBuf,
}

/// `NAME-xxxxxxxx`: the task name and a hash of the `.cw` file's absolute path, so two
/// tasks of the same name in different folders keep apart.
pub fn task_id(name: &str, file: &Path) -> String {
    let abs = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let hash = hex(&Sha256::digest(abs.to_string_lossy().as_bytes()));
    format!("{name}-{}", &hash[..8])
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl StateStore {
    pub fn new(data_dir: &Path, task_id: &str) -> StateStore {
        StateStore {
            dir: data_dir.join("tasks").join(task_id),
        }
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    fn io(&self, e: std::io::Error) -> StateError {
        StateError::Io {
            path: self.dir.display().to_string(),
            reason: e.to_string(),
        }
    }

    /// The recorded state; an empty one when none was recorded yet.
    pub fn load(&self, task: &str) -> Result<State, StateError> {
        let path = self.file();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(State {
                    version: STATE_VERSION,
                    task: task.into(),
                    ..State::default()
                });
            }
            Err(e) => return Err(self.io(e)),
        };
        let state: State = serde_json::from_str(&text).map_err(|e| StateError::Corrupt {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if state.version != STATE_VERSION {
            return Err(StateError::Corrupt {
                path: path.display().to_string(),
                reason: format!(
                    "version {} (this pincer writes {STATE_VERSION})",
                    state.version
                ),
            });
        }
        Ok(state)
    }

    /// Write `state` atomically; the file it replaces becomes `state.prev.json`.
    pub fn save(&self, state: &State) -> Result<(), StateError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
        let path = self.file();
        let text = serde_json::to_string_pretty(state).map_err(|e| StateError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let tmp = self.dir.join("state.json.tmp");
        let mut f = std::fs::File::create(&tmp).map_err(|e| self.io(e))?;
        f.write_all(text.as_bytes()).map_err(|e| self.io(e))?;
        f.sync_all().map_err(|e| self.io(e))?;
        if path.exists() {
            std::fs::copy(&path, self.dir.join("state.prev.json")).map_err(|e| self.io(e))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| self.io(e))
    }

    /// The log file of a run started at `started` (unix seconds).
    pub fn run_log(&self, started: u64) -> PathBuf {
        self.dir.join("runs").join(format!("{started}.log"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, StateStore) {
        let d = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let s = StateStore::new(d.path(), "t-1");
        (d, s)
    }

    #[test]
    fn saves_atomically_and_keeps_the_previous() {
        let (_d, s) = store();
        let mut st = s.load("t").unwrap_or_default();
        assert!(st.resources.is_empty());
        st.auto_fixes.push(1);
        assert!(s.save(&st).is_ok());
        st.auto_fixes.push(2);
        assert!(s.save(&st).is_ok());
        assert_eq!(s.load("t").ok().map(|x| x.auto_fixes), Some(vec![1, 2]));
        let prev = std::fs::read_to_string(s.dir.join("state.prev.json")).unwrap_or_default();
        assert!(prev.contains("\"auto_fixes\": [\n    1\n  ]"), "{prev}");
        assert!(!s.dir.join("state.json.tmp").exists());
    }

    #[test]
    fn a_corrupted_file_is_reported_and_kept() {
        let (_d, s) = store();
        let _ = std::fs::create_dir_all(&s.dir);
        let _ = std::fs::write(s.file(), "{not json");
        let err = s.load("t").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("corrupted") && err.contains("kept"), "{err}");
        assert_eq!(
            std::fs::read_to_string(s.file()).unwrap_or_default(),
            "{not json"
        );
    }

    #[test]
    fn ids_differ_by_folder() {
        assert_ne!(
            task_id("a", Path::new("/x/a.cw")),
            task_id("a", Path::new("/y/a.cw"))
        );
        assert!(task_id("web", Path::new("/x/a.cw")).starts_with("web-"));
    }
}
