//! Finding skill folders below a root, within bounds: at most [`MAX_DEPTH`] levels, skipping
//! `.git`, `node_modules`, `target` and hidden folders; a folder holding SKILL.md is a skill and
//! is not descended into.

use std::fs;
use std::path::{Path, PathBuf};

use super::SKILL_FILE;

/// Levels below a root that are searched (`root/a/b/c/d/SKILL.md` is the deepest found).
pub const MAX_DEPTH: usize = 4;

/// More than this many skills under one root are ignored (a runaway folder, not a library).
const MAX_SKILLS_PER_ROOT: usize = 1000;

const SKIP: [&str; 3] = [".git", "node_modules", "target"];

/// Skill folders under `root`, sorted by path. A missing or unreadable root yields none.
pub fn find_skill_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    walk(root, 1, &mut found);
    found.sort();
    found
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH || found.len() >= MAX_SKILLS_PER_ROOT {
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
        if found.len() >= MAX_SKILLS_PER_ROOT {
            return;
        }
        if child.join(SKILL_FILE).is_file() {
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
