//! Facts about the machine the task runs on: the OS and which runtimes are on PATH.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The runtimes a task may use (scripts' interpreters and step programs).
pub const RUNTIMES: &[&str] = &["bash", "sh", "python3", "node", "git"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub os: String,
    /// Runtime → found on PATH.
    pub runtimes: BTreeMap<String, bool>,
}

impl Facts {
    /// This machine, looking each runtime up in `path` (the `PATH` value).
    pub fn probe(path: Option<&str>) -> Facts {
        let dirs: Vec<&Path> = path
            .unwrap_or_default()
            .split(':')
            .filter(|d| !d.is_empty())
            .map(Path::new)
            .collect();
        let runtimes = RUNTIMES
            .iter()
            .map(|r| {
                (
                    r.to_string(),
                    dirs.iter().any(|d| is_executable(&d.join(r))),
                )
            })
            .collect();
        Facts {
            os: std::env::consts::OS.to_string(),
            runtimes,
        }
    }

    /// This machine with the process's PATH.
    pub fn here() -> Facts {
        Facts::probe(std::env::var("PATH").ok().as_deref())
    }

    /// Every runtime present (tests and benches).
    pub fn all(os: &str) -> Facts {
        Facts {
            os: os.into(),
            runtimes: RUNTIMES.iter().map(|r| (r.to_string(), true)).collect(),
        }
    }

    pub fn has(&self, runtime: &str) -> bool {
        self.runtimes.get(runtime).copied().unwrap_or(false)
    }

    /// `linux; runtimes: bash sh python3 (missing: node)`.
    pub fn describe(&self) -> String {
        let have: Vec<&str> = RUNTIMES.iter().copied().filter(|r| self.has(r)).collect();
        let missing: Vec<&str> = RUNTIMES.iter().copied().filter(|r| !self.has(r)).collect();
        let mut s = format!("{}; runtimes: {}", self.os, have.join(" "));
        if !missing.is_empty() {
            s.push_str(&format!(" (missing: {})", missing.join(" ")));
        }
        s
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_are_found_on_the_given_path_only() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let f = Facts::probe(Some(&dir.path().display().to_string()));
        assert!(!f.has("bash"));
        std::fs::write(dir.path().join("node"), "#!/bin/sh\n").unwrap_or_default();
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(
            dir.path().join("node"),
            std::fs::Permissions::from_mode(0o755),
        );
        let f = Facts::probe(Some(&format!("/nonexistent:{}", dir.path().display())));
        assert!(f.has("node") && !f.has("python3"));
        assert!(
            f.describe().contains("missing: bash sh python3 git"),
            "{}",
            f.describe()
        );
    }
}
