//! What the `activate_skill` tool and `/skill-name args` return: the body read fresh from disk
//! (bundled: the embedded text), the folder, and a bounded listing of the folder's files.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::bundled::bundled_text;
use super::catalog::{SkillEntry, Source, Trust};
use super::load::load_skill_md;
use super::parse::parse_skill_md;
use super::{SKILL_FILE, SkillError};

/// At most this many files are listed.
pub const MAX_LISTED_FILES: usize = 100;
const MAX_LIST_DEPTH: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activation {
    pub name: String,
    pub source: Source,
    pub trust: Trust,
    /// The folder (`bundled:<name>` for bundled skills).
    pub dir: PathBuf,
    /// The Markdown body, frontmatter stripped.
    pub body: String,
    /// Relative paths of the folder's files other than SKILL.md, sorted.
    pub files: Vec<String>,
    /// More files exist than are listed.
    pub files_truncated: bool,
}

/// Reads `entry`'s SKILL.md again (it may have changed since the scan) and lists its folder.
pub fn activate(entry: &SkillEntry) -> Result<Activation, SkillError> {
    let folder = entry
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (parsed, files, truncated) = if entry.source == Source::Bundled {
        let name = folder.strip_prefix("bundled:").unwrap_or(&folder);
        let text = bundled_text(name).ok_or_else(|| SkillError::NotFound(entry.name.clone()))?;
        (
            parse_skill_md(text, &entry.file, &folder),
            Vec::new(),
            false,
        )
    } else {
        let (parsed, _) = load_skill_md(&entry.file, &folder);
        let (files, truncated) = list_files(&entry.dir);
        (parsed, files, truncated)
    };
    let skill = parsed.result.map_err(SkillError::Invalid)?;
    Ok(Activation {
        name: entry.name.clone(),
        source: entry.source,
        trust: entry.trust,
        dir: entry.dir.clone(),
        body: skill.body,
        files,
        files_truncated: truncated,
    })
}

/// The text the `activate_skill` tool returns to the model.
pub fn render_activation(a: &Activation) -> String {
    let mut out = format!(
        "Skill `{}` is active (folder: {}). Follow these instructions:\n\n",
        a.name,
        a.dir.display()
    );
    out.push_str(&expand_arguments(&a.body, ""));
    out.push('\n');
    if !a.files.is_empty() {
        out.push_str(
            "\nFiles in this skill's folder (read them with read_file when the instructions \
             point to them):\n",
        );
        for f in &a.files {
            out.push_str("- ");
            out.push_str(f);
            out.push('\n');
        }
        if a.files_truncated {
            out.push_str(&format!(
                "(only the first {MAX_LISTED_FILES} files are listed; use list_dir for more)\n"
            ));
        }
    }
    out
}

/// Replaces `$ARGUMENTS` with `args`; when the body has no placeholder and `args` is not
/// empty, appends them under `ARGUMENTS:`. With no args, a line that is only the placeholder
/// is dropped and an inline one says to take it from the conversation.
pub fn expand_arguments(body: &str, args: &str) -> String {
    const PLACEHOLDER: &str = "$ARGUMENTS";
    let args = args.trim();
    if !body.contains(PLACEHOLDER) {
        return if args.is_empty() {
            body.to_string()
        } else {
            format!("{}\n\nARGUMENTS: {args}", body.trim_end())
        };
    }
    if !args.is_empty() {
        return body.replace(PLACEHOLDER, args);
    }
    body.lines()
        .filter(|l| l.trim() != PLACEHOLDER)
        .map(|l| l.replace(PLACEHOLDER, "(not given: take it from the conversation)"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Relative paths below `dir` (not SKILL.md itself, not `.git` / `node_modules` / `target`),
/// sorted, at most [`MAX_LISTED_FILES`]; and whether more were left out.
fn list_files(dir: &Path) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut truncated = false;
    walk(dir, dir, 1, &mut out, &mut truncated);
    out.sort();
    (out, truncated)
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<String>, truncated: &mut bool) {
    let Ok(read) = fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<_> = read.filter_map(Result::ok).collect();
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let name = child.file_name();
        let name = name.to_string_lossy();
        if matches!(name.as_ref(), ".git" | "node_modules" | "target") {
            continue;
        }
        let path = child.path();
        let Ok(ft) = child.file_type() else { continue };
        if ft.is_dir() {
            if depth < MAX_LIST_DEPTH {
                walk(root, &path, depth + 1, out, truncated);
            } else {
                *truncated = true;
            }
        } else if !(depth == 1 && name == SKILL_FILE) {
            if out.len() >= MAX_LISTED_FILES {
                *truncated = true;
                return;
            }
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skills::{Catalog, SkillRoots};

    fn roots(tmp: &Path) -> SkillRoots {
        SkillRoots {
            project: None,
            include_claude: false,
            user_dir: tmp.join("user"),
            user_agents_dir: None,
            installed_dir: tmp.join("installed"),
            bundled: true,
        }
    }

    #[test]
    fn reads_fresh_and_lists_files() {
        let tmp = tempfile::tempdir().unwrap();
        let r = roots(tmp.path());
        let d = r.user_dir.join("demo");
        fs::create_dir_all(d.join("scripts/deep")).unwrap();
        fs::write(
            d.join("SKILL.md"),
            "---\nname: demo\ndescription: d\n---\nold body\n",
        )
        .unwrap();
        fs::write(d.join("reference.md"), "ref").unwrap();
        fs::write(d.join("scripts/run.sh"), "echo").unwrap();
        fs::write(d.join("scripts/deep/x.txt"), "x").unwrap();
        let cat = Catalog::scan(&r, &|_| None, &|_| true);
        let entry = cat.get("demo").unwrap().clone();
        fs::write(
            d.join("SKILL.md"),
            "---\nname: demo\ndescription: d\n---\nnew body\n",
        )
        .unwrap();
        let a = activate(&entry).unwrap();
        assert_eq!(a.body, "new body");
        assert_eq!(
            a.files,
            vec!["reference.md", "scripts/deep/x.txt", "scripts/run.sh"]
        );
        let text = render_activation(&a);
        assert!(text.starts_with("Skill `demo` is active (folder: "));
        assert!(text.contains("new body"));
        assert!(text.contains("Files in this skill's folder (read them with read_file"));
        assert!(text.contains("- scripts/run.sh"));
        // Broken since the scan: a clear error.
        fs::write(d.join("SKILL.md"), "no frontmatter").unwrap();
        assert!(matches!(activate(&entry), Err(SkillError::Invalid(_))));
    }

    #[test]
    fn listing_is_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        for i in 0..150 {
            fs::write(tmp.path().join(format!("f{i:03}")), "").unwrap();
        }
        let (files, truncated) = list_files(tmp.path());
        assert_eq!(files.len(), MAX_LISTED_FILES);
        assert!(truncated);
    }

    #[test]
    fn bundled_activation_uses_embedded_text() {
        let tmp = tempfile::tempdir().unwrap();
        let cat = Catalog::scan(&roots(tmp.path()), &|_| None, &|_| true);
        let a = activate(cat.get("code-review").unwrap()).unwrap();
        assert!(a.body.contains("git diff"));
        assert!(a.files.is_empty());
        let text = render_activation(&a);
        assert!(text.contains("folder: bundled:code-review"));
        assert!(!text.contains("$ARGUMENTS"));
    }

    #[test]
    fn expand_arguments_both_ways() {
        assert_eq!(
            expand_arguments("Fix $ARGUMENTS now", " issue 4 "),
            "Fix issue 4 now"
        );
        assert_eq!(expand_arguments("Body\n", "x y"), "Body\n\nARGUMENTS: x y");
        assert_eq!(expand_arguments("Body", "  "), "Body");
        assert_eq!(
            expand_arguments("A\n$ARGUMENTS\nTarget: $ARGUMENTS", ""),
            "A\nTarget: (not given: take it from the conversation)"
        );
    }
}
