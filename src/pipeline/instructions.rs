//! Project instructions: `AGENTS.md` (and `CLAUDE.md` with `[instructions] claude_md = true`)
//! in every folder from the repository root down to the workspace, the nearest last (it has
//! the last word). Read through `fsread` (regular files only, `INSTRUCTIONS_MAX`); a file that
//! cannot be read is a problem to report, never fatal. The files are the user's own repo: they
//! go into the prompt as instructions, not as untrusted tool output.

use std::path::{Path, PathBuf};

use crate::fsread::{self, INSTRUCTIONS_MAX};

/// The instruction files found, farthest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instructions {
    pub files: Vec<(PathBuf, String)>,
    /// What could not be read, each with the file and what to do.
    pub problems: Vec<String>,
}

impl Instructions {
    /// The prompt text: each file under a heading naming it, nearest last. Empty when none.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (path, text) in &self.files {
            if text.trim().is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&format!("From {}:\n{}", path.display(), text.trim()));
        }
        out
    }
}

/// Read the instruction files from `root` (the repository root, or the workspace itself when
/// it is in none) down to `workspace`.
pub fn load(workspace: &Path, root: &Path, claude_md: bool) -> Instructions {
    let mut dirs: Vec<&Path> = workspace
        .ancestors()
        .take_while(|d| d.starts_with(root))
        .collect();
    if dirs.is_empty() {
        dirs.push(workspace);
    }
    dirs.reverse();
    let mut names = vec!["AGENTS.md"];
    if claude_md {
        names.push("CLAUDE.md");
    }
    let mut found = Instructions::default();
    for dir in dirs {
        for name in &names {
            let path = dir.join(name);
            match fsread::read_text_if_exists(&path, INSTRUCTIONS_MAX) {
                Ok(Some(text)) => found.files.push((path, text)),
                Ok(None) => {}
                Err(e) => found
                    .problems
                    .push(format!("{e} (project instructions; the file was left out)")),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn nearest_last_from_root_to_workspace_and_claude_md_only_when_asked() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let ws = root.join("crates/app");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::write(root.join("AGENTS.md"), "root rules").unwrap();
        std::fs::write(ws.join("AGENTS.md"), "app rules").unwrap();
        std::fs::write(ws.join("CLAUDE.md"), "claude rules").unwrap();
        std::fs::write(tmp.path().join("AGENTS.md"), "outside the repo").unwrap();
        let got = load(&ws, &root, false);
        let text = got.text();
        assert!(!text.contains("outside"), "{text}");
        assert!(!text.contains("claude"), "{text}");
        let (r, a) = (
            text.find("root rules").unwrap(),
            text.find("app rules").unwrap(),
        );
        assert!(r < a, "nearest last: {text}");
        assert!(load(&ws, &root, true).text().ends_with("claude rules"));
    }

    #[test]
    fn unreadable_file_is_a_problem_not_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("AGENTS.md")).unwrap();
        std::fs::write(tmp.path().join("CLAUDE.md"), [0xff, 0xfe, b'\n']).unwrap();
        let got = load(tmp.path(), tmp.path(), true);
        assert!(got.files.is_empty());
        assert_eq!(got.problems.len(), 2, "{:?}", got.problems);
        assert!(
            got.problems[0].contains("not a regular file"),
            "{:?}",
            got.problems
        );
        assert!(
            got.problems[1].contains("CLAUDE.md:1:1"),
            "{:?}",
            got.problems
        );
    }
}
