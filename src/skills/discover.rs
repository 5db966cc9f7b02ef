//! Finding skill folders below a root, within bounds: at most [`MAX_DEPTH`] levels, skipping
//! `.git`, `node_modules`, `target` and hidden folders; a folder holding SKILL.md is a skill and
//! is not descended into.

use std::fs;
use std::path::{Path, PathBuf};

use super::SKILL_FILE;

/// Levels below a root that are searched (`root/a/b/c/d/SKILL.md` is the deepest found).
pub const MAX_DEPTH: usize = 4;

/// Skills loaded from one root; more is a runaway folder, not a library. The ones over the cap
/// are left out and the catalog says so ([`Discovery::capped`]).
pub const MAX_SKILLS_PER_ROOT: usize = 1000;

const SKIP: [&str; 3] = [".git", "node_modules", "target"];

/// The skill folders found under one root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Sorted by path, at most [`MAX_SKILLS_PER_ROOT`].
    pub dirs: Vec<PathBuf>,
    /// More skill folders were there than [`MAX_SKILLS_PER_ROOT`].
    pub capped: bool,
}

/// Skill folders under `root`, sorted by path. A missing or unreadable root yields none.
pub fn find_skill_dirs(root: &Path) -> Vec<PathBuf> {
    discover(root).dirs
}

/// Skill folders under `root` and whether some were left out over the cap. The walk stops
/// at the first folder over the cap (it is counted, not loaded).
pub fn discover(root: &Path) -> Discovery {
    let mut found = Vec::new();
    walk(root, 1, &mut found);
    let capped = found.len() > MAX_SKILLS_PER_ROOT;
    found.truncate(MAX_SKILLS_PER_ROOT);
    found.sort();
    Discovery {
        dirs: found,
        capped,
    }
}

/// A folder is a skill when it holds a SKILL.md of any type: a FIFO or a directory called
/// SKILL.md is a broken skill (reported when read), not a folder to descend into.
fn holds_skill_md(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(SKILL_FILE)).is_ok()
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH || found.len() > MAX_SKILLS_PER_ROOT {
        return;
    }
    let Ok(read) = fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && !SKIP.contains(&name.as_ref())
        })
        .map(|e| e.path())
        // fs::metadata follows symlinks: a skill linked into a root counts.
        .filter(|p| fs::metadata(p).is_ok_and(|m| m.is_dir()))
        .collect();
    children.sort();
    for child in children {
        if found.len() > MAX_SKILLS_PER_ROOT {
            return;
        }
        if holds_skill_md(&child) {
            found.push(child);
        } else {
            walk(&child, depth + 1, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(root: &Path, rel: &str) {
        let d = root.join(rel);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("SKILL.md"), "---\nname: x\ndescription: y\n---\n").unwrap();
    }

    #[test]
    fn finds_nested_skills_within_depth_and_skips_noise() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        skill(root, "a");
        skill(root, "group/b");
        skill(root, "1/2/3/c");
        skill(root, "1/2/3/4/too-deep");
        skill(root, ".hidden/h");
        skill(root, "node_modules/n");
        skill(root, "target/t");
        skill(root, ".git/g");
        skill(root, "a/inner"); // inside a skill: not a separate skill
        let found: Vec<String> = find_skill_dirs(root)
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(found, vec!["1/2/3/c", "a", "group/b"]);
    }

    #[test]
    fn missing_root_is_empty() {
        assert!(find_skill_dirs(Path::new("/nonexistent/skills/root")).is_empty());
    }
}
