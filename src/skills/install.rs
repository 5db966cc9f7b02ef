//! `skills install` (a local folder or a git URL → restricted `installed_skills/<name>`, after
//! the user has seen what [`scan_dangerous`] found), `skills rm`, `skills new`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::catalog::{Catalog, SkillRoots, Source};
use super::discover::find_skill_dirs;
use super::parse::{Skill, validate_name};
use super::scan::{Finding, scan_dangerous};
use super::{Diagnostic, SKILL_FILE, SkillError};

/// Files larger than this are not scanned (and count as binary).
const MAX_SCANNED: u64 = crate::fsread::SKILL_FILE_MAX;
/// A skill folder bigger than this is refused.
const MAX_FILES: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileFindings {
    /// Relative to the skill folder.
    pub file: String,
    pub findings: Vec<Finding>,
}

/// A skill checked and ready to copy; nothing is installed until [`PendingInstall::commit`].
#[derive(Debug)]
pub struct PendingInstall {
    pub skill: Skill,
    pub warnings: Vec<Diagnostic>,
    /// The folder that will be copied.
    pub source_dir: PathBuf,
    /// `installed_dir/<name>`.
    pub target: PathBuf,
    /// Whether `target` exists already (commit then needs `overwrite`).
    pub exists: bool,
    pub findings: Vec<FileFindings>,
    /// Files skipped when copying (symlinks: they could point at anything).
    pub skipped: Vec<String>,
    _clone: Option<TempClone>,
}

/// A clone in the temp dir, deleted when the install is committed or dropped.
#[derive(Debug)]
struct TempClone(PathBuf);

impl Drop for TempClone {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `git@…`, `ssh://…`, `http(s)://…`, or anything ending in `.git`.
fn is_git_url(src: &str) -> bool {
    src.starts_with("https://")
        || src.starts_with("http://")
        || src.starts_with("git@")
        || src.starts_with("ssh://")
        || src.ends_with(".git")
}

/// Checks `src` (a skill folder, a folder holding exactly one skill, or a git URL; GitHub
/// `…/tree/<ref>/<path>` URLs are understood) and scans every text file in it.
pub fn prepare_install(
    src: &str,
    installed_dir: &Path,
    temp_dir: &Path,
) -> Result<PendingInstall, SkillError> {
    let (root, clone) = if is_git_url(src) && !Path::new(src).exists() {
        let (dir, clone) = git_clone(src, temp_dir)?;
        (dir, Some(clone))
    } else {
        (PathBuf::from(src), None)
    };
    let skill_dir = pick_skill_dir(&root)?;
    let file = skill_dir.join(SKILL_FILE);
    let folder = skill_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (parsed, _) = super::load::load_skill_md(&file, &folder);
    let skill = parsed.result.map_err(SkillError::Invalid)?;
    validate_name(&skill.name).map_err(|reason| SkillError::InvalidName {
        name: skill.name.clone(),
        reason: format!("{reason}; fix `name:` in {}", file.display()),
    })?;
    let (findings, skipped) = scan_folder(&skill_dir)?;
    let target = installed_dir.join(&skill.name);
    Ok(PendingInstall {
        exists: target.exists(),
        skill,
        warnings: parsed.warnings,
        source_dir: skill_dir,
        target,
        findings,
        skipped,
        _clone: clone,
    })
}

impl PendingInstall {
    /// Copies the folder (without `.git` and symlinks) to `installed_dir/<name>`: into a hidden
    /// staging folder first, then renamed into place, so a watcher sees one complete skill.
    pub fn commit(self, overwrite: bool) -> Result<PathBuf, SkillError> {
        if self.target.exists() && !overwrite {
            return Err(SkillError::Exists {
                name: self.skill.name.clone(),
                path: self.target.clone(),
            });
        }
        let parent = self
            .target
            .parent()
            .ok_or_else(|| SkillError::NoSkill(self.target.clone()))?;
        fs::create_dir_all(parent).map_err(|e| SkillError::io("create", parent, e))?;
        let staging = parent.join(format!(".{}.installing", self.skill.name));
        let _ = fs::remove_dir_all(&staging);
        copy_tree(&self.source_dir, &staging)?;
        if self.target.exists() {
            fs::remove_dir_all(&self.target)
                .map_err(|e| SkillError::io("replace", &self.target, e))?;
        }
        fs::rename(&staging, &self.target)
            .map_err(|e| SkillError::io("move into place", &self.target, e))?;
        Ok(self.target.clone())
    }
}

fn git_clone(url: &str, temp_dir: &Path) -> Result<(PathBuf, TempClone), SkillError> {
    // https://github.com/owner/repo/tree/<ref>/<path> → clone owner/repo at <ref>, use <path>.
    let (repo, branch, sub) = match url.split_once("/tree/") {
        Some((repo, rest)) if url.contains("github.com/") => {
            let (branch, sub) = rest.split_once('/').unwrap_or((rest, ""));
            (repo.to_string(), Some(branch.to_string()), sub.to_string())
        }
        _ => (url.to_string(), None, String::new()),
    };
    let dest = temp_dir.join(format!(
        "pincer-skill-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let guard = TempClone(dest.clone());
    let mut cmd = Command::new("git");
    cmd.args(["clone", "--depth", "1", "--quiet"]);
    if let Some(b) = &branch {
        cmd.args(["--branch", b]);
    }
    cmd.arg("--").arg(&repo).arg(&dest);
    // Never wait on a credential prompt.
    cmd.env("GIT_TERMINAL_PROMPT", "0");
    let out = cmd.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SkillError::GitMissing { url: url.into() },
        _ => SkillError::GitFailed {
            url: url.into(),
            stderr: e.to_string(),
        },
    })?;
    if !out.status.success() {
        return Err(SkillError::GitFailed {
            url: url.into(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok((dest.join(sub), guard))
}

/// `root` itself when it holds SKILL.md, else its only skill folder.
fn pick_skill_dir(root: &Path) -> Result<PathBuf, SkillError> {
    // Any type counts: a FIFO or directory SKILL.md is then refused, with its type, when read.
    if root.join(SKILL_FILE).symlink_metadata().is_ok() {
        return Ok(root.to_path_buf());
    }
    if !root.is_dir() {
        return Err(SkillError::NoSkill(root.to_path_buf()));
    }
    let mut found = find_skill_dirs(root);
    match found.len() {
        0 => Err(SkillError::NoSkill(root.to_path_buf())),
        1 => Ok(found.remove(0)),
        _ => Err(SkillError::ManySkills {
            path: root.to_path_buf(),
            names: found
                .iter()
                .filter_map(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect(),
        }),
    }
}

/// Findings per text file, and the symlinks that will not be copied.
fn scan_folder(dir: &Path) -> Result<(Vec<FileFindings>, Vec<String>), SkillError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    collect(dir, dir, &mut files, &mut skipped)?;
    let mut out = Vec::new();
    for rel in files {
        let path = dir.join(&rel);
        // Over the cap, not a regular file, unreadable: not scanned (and never blocking).
        let Ok(bytes) = crate::fsread::read_bytes(&path, MAX_SCANNED) else {
            continue;
        };
        if bytes.iter().take(8192).any(|b| *b == 0) {
            continue;
        }
        let findings = scan_dangerous(&String::from_utf8_lossy(&bytes));
        if !findings.is_empty() {
            out.push(FileFindings {
                file: rel,
                findings,
            });
        }
    }
    Ok((out, skipped))
}

fn collect(
    root: &Path,
    dir: &Path,
    files: &mut Vec<String>,
    skipped: &mut Vec<String>,
) -> Result<(), SkillError> {
    let read = fs::read_dir(dir).map_err(|e| SkillError::io("list", dir, e))?;
    let mut entries: Vec<_> = read.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name() == ".git" {
            continue;
        }
        let path = e.path();
        let rel = path
            .strip_prefix(root)
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ft = e
            .file_type()
            .map_err(|err| SkillError::io("inspect", &path, err))?;
        if ft.is_symlink() {
            skipped.push(rel);
        } else if ft.is_dir() {
            collect(root, &path, files, skipped)?;
        } else if ft.is_file() {
            files.push(rel);
            if files.len() > MAX_FILES {
                return Err(SkillError::Unusable {
                    name: root.display().to_string(),
                    reason: format!(
                        "the folder has more than {MAX_FILES} files; a skill should be small"
                    ),
                });
            }
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), SkillError> {
    fs::create_dir_all(to).map_err(|e| SkillError::io("create", to, e))?;
    let read = fs::read_dir(from).map_err(|e| SkillError::io("list", from, e))?;
    for e in read.filter_map(Result::ok) {
        if e.file_name() == ".git" {
            continue;
        }
        let src = e.path();
        let dst = to.join(e.file_name());
        let ft = e
            .file_type()
            .map_err(|err| SkillError::io("inspect", &src, err))?;
        if ft.is_dir() {
            copy_tree(&src, &dst)?;
        } else if ft.is_file() {
            fs::copy(&src, &dst).map_err(|err| SkillError::io("copy", &src, err))?;
        }
    }
    Ok(())
}

/// Deletes the user or installed skill `name` (the one the catalog would use). Bundled, project
/// and `~/.agents/skills` skills are refused, with the reason.
pub fn remove(name: &str, roots: &SkillRoots) -> Result<PathBuf, SkillError> {
    validate_name(name).map_err(|reason| SkillError::InvalidName {
        name: name.into(),
        reason,
    })?;
    let catalog = Catalog::scan(roots, &|_| None, &|_| true);
    let mut refusal = None;
    for e in catalog.entries().iter().filter(|e| e.name == name) {
        match e.source {
            Source::User | Source::Installed => {
                fs::remove_dir_all(&e.dir).map_err(|err| SkillError::io("delete", &e.dir, err))?;
                return Ok(e.dir.clone());
            }
            Source::Bundled => {
                refusal.get_or_insert(SkillError::BundledNotRemovable {
                    name: name.into(),
                    user_dir: roots.user_dir.clone(),
                });
            }
            Source::UserAgents => {
                refusal.get_or_insert(SkillError::NotRemovable {
                    name: name.into(),
                    path: e.dir.clone(),
                    why: "~/.agents/skills is shared with other agents",
                });
            }
            Source::ProjectPincer | Source::ProjectAgents | Source::ProjectClaude => {
                refusal.get_or_insert(SkillError::NotRemovable {
                    name: name.into(),
                    path: e.dir.clone(),
                    why: "it belongs to the project",
                });
            }
        }
    }
    Err(refusal.unwrap_or_else(|| SkillError::NotFound(name.into())))
}

/// Creates `user_dir/<name>/SKILL.md` from a template; returns the file's path.
pub fn new_skill(name: &str, user_dir: &Path) -> Result<PathBuf, SkillError> {
    validate_name(name).map_err(|reason| SkillError::InvalidName {
        name: name.into(),
        reason,
    })?;
    let dir = user_dir.join(name);
    if dir.exists() {
        return Err(SkillError::Exists {
            name: name.into(),
            path: dir,
        });
    }
    fs::create_dir_all(&dir).map_err(|e| SkillError::io("create", &dir, e))?;
    let file = dir.join(SKILL_FILE);
    fs::write(&file, template(name)).map_err(|e| SkillError::io("write", &file, e))?;
    Ok(file)
}

fn template(name: &str) -> String {
    format!(
        "---\n\
         name: {name}\n\
         description: \"TODO: say what this skill does and when to use it; the model reads only this line to decide whether to activate the skill.\"\n\
         # Optional: license: MIT\n\
         # Optional: only offer the skill when these exist:\n\
         # metadata:\n\
         #   requires:\n\
         #     bins: [git]\n\
         #     env: [GITHUB_TOKEN]\n\
         ---\n\
         \n\
         # {name}\n\
         \n\
         Write the instructions the assistant follows once this skill is active: the steps, the\n\
         commands to run, what to check, and what to report. `$ARGUMENTS` is replaced by whatever\n\
         follows `/{name}` when you type it.\n\
         \n\
         Put long reference material in other files in this folder and say here when to read them\n\
         (for example: \"for the API details, read reference.md\").\n"
    )
}

#[cfg(test)]
#[path = "install_tests.rs"]
mod tests;
