//! The core memory: `MEMORY.md` of the user scope and of this project, always in the prompt,
//! capped at [`CORE_MAX_LINES`] lines per file and a token budget, whichever is smaller.

use std::path::PathBuf;

use super::dirs::MemoryDirs;
use crate::fsread::{self, MEMORY_FILE_MAX};

/// The core file's name in each memory folder.
pub const CORE_FILE: &str = "MEMORY.md";
/// Lines of one core file that go into the prompt.
pub const CORE_MAX_LINES: usize = 200;

/// The core memory as it goes into the prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoreMemory {
    /// The text for the prompt (user core first, then this project's), empty when there is none.
    pub text: String,
    /// True when lines were left out (over [`CORE_MAX_LINES`] or the token budget).
    pub truncated: bool,
    /// Lines admitted / lines in the files.
    pub lines_used: usize,
    pub lines_total: usize,
    /// The files read.
    pub sources: Vec<PathBuf>,
    /// Files that could not be read, each a message saying what to do.
    pub problems: Vec<String>,
}

/// Read both core files; `token_cap` bounds the whole block (estimated at 4 bytes a token).
/// A file that cannot be read is reported in `problems` and skipped; nothing is changed.
pub fn load_core(dirs: &MemoryDirs, token_cap: usize) -> CoreMemory {
    let mut core = CoreMemory::default();
    let byte_cap = token_cap.saturating_mul(4);
    let files = [
        ("user memory", dirs.user.join(CORE_FILE)),
        ("project memory", dirs.project.join(CORE_FILE)),
    ];
    for (label, path) in files {
        let text = match fsread::read_text_if_exists(&path, MEMORY_FILE_MAX) {
            Ok(Some(text)) => text,
            Ok(None) => continue,
            Err(e) => {
                core.problems
                    .push(format!("{e} (core memory left out of the prompt)"));
                continue;
            }
        };
        let lines: Vec<&str> = text.lines().collect();
        if lines.iter().all(|l| l.trim().is_empty()) {
            continue;
        }
        core.lines_total += lines.len();
        core.sources.push(path.clone());
        let header = format!("## {label} ({})\n", path.display());
        if core.text.len() + header.len() > byte_cap {
            core.truncated = true;
            continue;
        }
        core.text.push_str(&header);
        for (i, line) in lines.iter().enumerate() {
            if i >= CORE_MAX_LINES || core.text.len() + line.len() + 1 > byte_cap {
                core.truncated = true;
                break;
            }
            core.text.push_str(line);
            core.text.push('\n');
            core.lines_used += 1;
        }
        core.text.push('\n');
    }
    let trimmed = core.text.trim_end().len();
    core.text.truncate(trimmed);
    core
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(tmp: &std::path::Path) -> MemoryDirs {
        let ws = tmp.join("ws");
        std::fs::create_dir_all(&ws).unwrap();
        let d = MemoryDirs::under(&tmp.join("memory"), &ws);
        std::fs::create_dir_all(&d.project).unwrap();
        d
    }

    #[test]
    fn user_core_then_project_core() {
        let tmp = tempfile::tempdir().unwrap();
        let d = dirs(tmp.path());
        std::fs::write(d.user.join(CORE_FILE), "- prefers tabs\n").unwrap();
        std::fs::write(d.project.join(CORE_FILE), "- uses cargo nextest\n").unwrap();
        let core = load_core(&d, 2000);
        let tabs = core.text.find("prefers tabs").unwrap();
        let nextest = core.text.find("nextest").unwrap();
        assert!(tabs < nextest);
        assert!(!core.truncated);
        assert_eq!(core.lines_used, 2);
    }

    #[test]
    fn long_core_is_cut_at_200_lines_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let d = dirs(tmp.path());
        let text: String = (0..300).map(|i| format!("- fact {i}\n")).collect();
        std::fs::write(d.user.join(CORE_FILE), text).unwrap();
        let core = load_core(&d, 100_000);
        assert!(core.truncated);
        assert_eq!(core.lines_used, CORE_MAX_LINES);
        assert_eq!(core.lines_total, 300);
        assert!(core.text.contains("fact 199") && !core.text.contains("fact 200"));
    }

    #[test]
    fn token_cap_wins_when_smaller() {
        let tmp = tempfile::tempdir().unwrap();
        let d = dirs(tmp.path());
        let text: String = (0..100).map(|i| format!("- fact number {i}\n")).collect();
        std::fs::write(d.user.join(CORE_FILE), text).unwrap();
        let core = load_core(&d, 50);
        assert!(core.truncated);
        assert!(core.text.len() <= 200, "{}", core.text.len());
    }

    #[test]
    fn unreadable_core_is_reported_and_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let d = dirs(tmp.path());
        std::fs::write(d.user.join(CORE_FILE), b"ok\n\xff\xfe bad").unwrap();
        std::fs::write(d.project.join(CORE_FILE), "- project fact\n").unwrap();
        let core = load_core(&d, 2000);
        assert_eq!(core.problems.len(), 1, "{:?}", core.problems);
        assert!(core.text.contains("project fact"));
        assert!(!core.text.contains("ok"));
    }

    #[test]
    fn no_files_no_text() {
        let tmp = tempfile::tempdir().unwrap();
        let core = load_core(&dirs(tmp.path()), 2000);
        assert!(core.text.is_empty() && core.sources.is_empty());
    }
}
