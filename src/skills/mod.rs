//! Agent Skills: folders with a `SKILL.md` (YAML frontmatter + Markdown body).
//!
//! `parse` reads one SKILL.md leniently (warnings keep a skill, errors disable it, every
//! diagnostic names file and line); `discover` walks the skill roots within bounds; `catalog`
//! ranks sources, shadows duplicates, gates on binaries / env vars and renders the prompt's
//! catalog within a token budget; `activate` reads a skill fresh for the `activate_skill` tool;
//! `scan` flags dangerous instructions; `install` adds / removes / creates skills on disk;
//! `watch` wakes the front end once per debounced batch of file events (no polling);
//! `bundled` holds the skills shipped inside the binary (the repo's `skills/`).

mod activate;
mod bundled;
mod catalog;
mod diff;
mod discover;
mod gate;
mod install;
mod load;
mod parse;
mod scan;
mod watch;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use activate::{Activation, MAX_LISTED_FILES, activate, expand_arguments, render_activation};
pub use bundled::{BUNDLED, bundled_text, copy_bundled};
pub use catalog::{
    CappedRoot, Catalog, Fingerprint, SkillEntry, SkillRoots, Source, Status, Trust,
};
pub use diff::{SkillChange, diff};
pub use discover::{MAX_DEPTH, MAX_SKILLS_PER_ROOT, discover, find_skill_dirs};
pub use gate::{env_var, has_binary_on_path};
pub use install::{FileFindings, PendingInstall, new_skill, prepare_install, remove};
pub use load::load_skill_md;
pub use parse::{Parsed, Requirements, Skill, parse_skill_md, validate_name};
pub use scan::{Finding, scan_dangerous, scan_script};
pub use watch::SkillWatcher;

/// The file every skill folder holds.
pub const SKILL_FILE: &str = "SKILL.md";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in one SKILL.md, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn warning(file: &Path, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_path_buf(),
            line,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    pub fn error(file: &Path, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_path_buf(),
            line,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{}:{}: {sev}: {}",
            self.file.display(),
            self.line,
            self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SkillError {
    #[error("cannot {action} {}: {source}; check that it exists and is readable", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}; fix SKILL.md and try again")]
    Invalid(Diagnostic),
    #[error("no skill named `{0}`; `pincer skills list` shows the skills there are")]
    NotFound(String),
    #[error("skill `{name}` cannot be used: {reason}")]
    Unusable { name: String, reason: String },
    #[error("`{name}` is not a valid skill name: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("no SKILL.md found in {}; pass a skill folder (one holding SKILL.md)", .0.display())]
    NoSkill(PathBuf),
    #[error("{} holds {} skills ({}); pass the path of the one to install", path.display(), names.len(), names.join(", "))]
    ManySkills { path: PathBuf, names: Vec<String> },
    #[error("{} already exists; remove it first (`pincer skills rm {name}`) or choose another name", path.display())]
    Exists { name: String, path: PathBuf },
    #[error(
        "git is not installed or not on PATH, so {url} cannot be cloned; install git or clone it yourself and pass the folder"
    )]
    GitMissing { url: String },
    #[error("git clone {url} failed: {stderr}; check the URL and your network")]
    GitFailed { url: String, stderr: String },
    #[error("`{name}` is a bundled skill, built into pincer, and cannot be removed; to replace it, create a skill of the same name in {} (it shadows the bundled one)", user_dir.display())]
    BundledNotRemovable { name: String, user_dir: PathBuf },
    #[error("`{name}` lives in {} ({why}); delete that folder yourself if you mean to", path.display())]
    NotRemovable {
        name: String,
        path: PathBuf,
        why: &'static str,
    },
    #[error("cannot watch skill folders for changes: {0}; edits will show after a restart")]
    Watch(String),
}

impl SkillError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> SkillError {
        SkillError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Diagnostics for `skills validate PATH`: PATH is a SKILL.md, a skill folder, or a folder of
/// skills (searched like a root). Nothing found is itself an error diagnostic. Each SKILL.md is
/// read by [`load_skill_md`], as the catalog reads it, so both report the same problems.
pub fn validate_path(path: &Path) -> Vec<Diagnostic> {
    let is_dir = path.is_dir();
    let mut out = Vec::new();
    let files: Vec<PathBuf> = if path.symlink_metadata().is_ok() && !is_dir {
        // A file of any type: a FIFO or device is refused by the reader, never opened blocking.
        vec![path.to_path_buf()]
    } else if path.join(SKILL_FILE).symlink_metadata().is_ok() {
        vec![path.join(SKILL_FILE)]
    } else if is_dir {
        let found = discover(path);
        if found.capped {
            out.push(Diagnostic::error(
                path,
                1,
                CappedRoot {
                    source: Source::User,
                    root: path.to_path_buf(),
                    limit: MAX_SKILLS_PER_ROOT,
                }
                .message(),
            ));
        }
        found.dirs.into_iter().map(|d| d.join(SKILL_FILE)).collect()
    } else {
        return vec![Diagnostic::error(
            path,
            1,
            "no such file or folder; pass a SKILL.md, a skill folder or a folder of skills",
        )];
    };
    if files.is_empty() {
        return vec![Diagnostic::error(
            path,
            1,
            "no SKILL.md found here (searched 4 levels deep); a skill is a folder holding SKILL.md",
        )];
    }
    for file in files {
        let folder = load::folder_of(&file);
        out.extend(load_skill_md(&file, &folder).0.diagnostics());
    }
    out
}

/// One line per entry for `skills list`: name, source, trust, status, description.
pub fn list_lines(catalog: &Catalog) -> Vec<String> {
    let entries = catalog.entries();
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    entries
        .iter()
        .map(|e| {
            let desc = first_line(&e.description, 80);
            format!(
                "{:<width$}  {:<13}  {:<10}  {:<11}  {desc}",
                e.name,
                e.source.label(),
                e.trust.label(),
                e.status.label(),
            )
            .trim_end()
            .to_string()
        })
        .collect()
}

/// The first line of a description, cut for a terminal line.
pub fn truncate_for_cli(text: &str) -> String {
    first_line(text, 100)
}

/// The first line of `text`, cut to `max` chars with an ellipsis.
pub(crate) fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    truncate_chars(line, max)
}

pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_path_reports_missing_path_and_empty_folder() {
        let dir = tempfile::tempdir().unwrap();
        let d = validate_path(&dir.path().join("nope"));
        assert_eq!(d.len(), 1);
        assert!(d[0].is_error());
        let d = validate_path(dir.path());
        assert!(d[0].message.contains("no SKILL.md"));
    }

    #[test]
    fn validate_path_accepts_file_folder_and_tree() {
        let dir = tempfile::tempdir().unwrap();
        let skill = dir.path().join("a/ok");
        std::fs::create_dir_all(&skill).unwrap();
        std::fs::write(
            skill.join("SKILL.md"),
            "---\nname: ok\ndescription: fine\n---\nbody\n",
        )
        .unwrap();
        let bad = dir.path().join("b/bad");
        std::fs::create_dir_all(&bad).unwrap();
        std::fs::write(bad.join("SKILL.md"), "---\nname: bad\n---\nbody\n").unwrap();
        assert!(validate_path(&skill.join("SKILL.md")).is_empty());
        assert!(validate_path(&skill).is_empty());
        let all = validate_path(dir.path());
        assert_eq!(all.len(), 1);
        assert!(all[0].is_error() && all[0].message.contains("description"));
    }

    #[test]
    fn truncation_is_char_safe() {
        assert_eq!(truncate_chars("ééééé", 3), "éé…");
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(first_line("one\ntwo", 10), "one");
    }
}
