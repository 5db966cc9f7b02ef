//! Changing memory files: append / create a topic / replace / supersede / forget / pin, and
//! undoing a change. Every write is atomic (temp file beside the target + rename), refuses text
//! the leak detector flags, never follows a symlink at the target and never leaves the memory
//! folders (topic names are plain file names). The index is brought up to date by the caller.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::dirs::MemoryDirs;
use super::format::{self, Entry, Meta};
use super::index::{MemoryFile, memory_files, project_key};
use crate::fsread::{self, MEMORY_FILE_MAX};
use crate::protocol::{MemoryAction, MemoryKind, MemoryProvenance, MemoryScope};

/// Bytes the core file may hold (besides `[memory] core_max_lines`).
pub const CORE_MAX_BYTES: usize = 8 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error(
        "cannot write memory file {path}: {source}; check the folder's permissions and free space"
    )]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Read(#[from] fsread::ReadError),
    #[error(
        "not written: the text looks like it contains a secret (key, token or password); memory never stores secrets — leave the secret out"
    )]
    Secret,
    #[error(
        "the core memory file {path} is full ({lines} lines, {bytes} bytes; the cap is {max_lines} lines / {max_bytes} bytes); write this to a topic file instead (file: \"<topic>.md\"), or supersede/forget an old core entry"
    )]
    CoreFull {
        path: String,
        lines: usize,
        bytes: usize,
        max_lines: usize,
        max_bytes: usize,
    },
    #[error("no memory entry matches {0:?}; search memory (memory_search) for its id")]
    NotFound(String),
    #[error("{target:?} matches several memory entries ({ids}); name one by its id")]
    Ambiguous { target: String, ids: String },
    #[error(
        "{0:?} is not a usable topic file name; use letters, digits, '-', '_' and '.', ending in .md (e.g. \"build.md\")"
    )]
    BadName(String),
    #[error("the topic file {0} already exists; append to it instead")]
    Exists(String),
    #[error("{0}")]
    BadText(String),
    #[error(
        "already remembered (id {id}, {path}): nothing written; to change it, write with mode \"supersede\" and target \"{id}\""
    )]
    AlreadyRemembered { id: String, path: String },
    #[error(
        "{0} is a symbolic link; pincer writes only regular files in the memory folder — replace the link with the file"
    )]
    Symlink(String),
    #[error(
        "cannot undo: {0} was changed after this change (by you or another write); open it and edit it by hand"
    )]
    EditedSince(String),
    #[error("no change {0} to undo in this session")]
    NoSuchChange(u64),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

/// How `memory_write` changes a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Append,
    Create,
    Replace,
    Supersede,
}

#[derive(Debug, Clone)]
pub struct WriteRequest {
    pub text: String,
    pub mode: WriteMode,
    pub scope: MemoryScope,
    /// Topic file; `None`: the core `MEMORY.md`.
    pub file: Option<String>,
    pub kind: Option<MemoryKind>,
    /// The entry to replace or supersede: its id or a passage of its text.
    pub target: Option<String>,
}

/// One change made to one file (what undo needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub action: MemoryAction,
    pub scope: MemoryScope,
    pub rel: String,
    pub abs: PathBuf,
    /// `None`: the file did not exist.
    pub before: Option<String>,
    pub after: Option<String>,
    pub entry_id: String,
    pub provenance: MemoryProvenance,
    pub summary: String,
}

/// The file for `scope` + `name` (`None`: the core file).
pub fn file_for(
    dirs: &MemoryDirs,
    scope: MemoryScope,
    name: Option<&str>,
) -> Result<MemoryFile, MemoryError> {
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => super::CORE_FILE.to_string(),
        Some(n) => topic_name(n)?,
    };
    Ok(match scope {
        MemoryScope::User => MemoryFile {
            scope,
            project: String::new(),
            rel: name.clone(),
            abs: dirs.user.join(&name),
        },
        MemoryScope::Project => {
            let key = project_key(dirs);
            MemoryFile {
                scope,
                rel: format!("projects/{key}/{name}"),
                project: key,
                abs: dirs.project.join(&name),
            }
        }
    })
}

/// A plain file name ending in `.md` (added when missing).
pub fn topic_name(name: &str) -> Result<String, MemoryError> {
    let name = if name.ends_with(".md") {
        name.to_string()
    } else {
        format!("{name}.md")
    };
    let ok = name.len() <= 80
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.contains("..");
    if ok {
        Ok(name)
    } else {
        Err(MemoryError::BadName(name))
    }
}

fn check_text(text: &str) -> Result<String, MemoryError> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let text = lines.join("\n");
    if text.trim().is_empty() {
        return Err(MemoryError::BadText(
            "the memory text is empty; say what to remember".into(),
        ));
    }
    if text.contains("<!--") || text.contains("-->") {
        return Err(MemoryError::BadText(
            "memory text cannot contain HTML comments (<!-- -->); pincer keeps its metadata there — rephrase".into(),
        ));
    }
    if text.len() > 4_000 {
        return Err(MemoryError::BadText(format!(
            "the memory text is {} bytes; keep one entry under 4000 bytes (split it, or put details in a topic file)",
            text.len()
        )));
    }
    if crate::redact::contains_secret(&text) {
        return Err(MemoryError::Secret);
    }
    Ok(text.trim().to_string())
}

fn read_opt(path: &Path) -> Result<Option<String>, MemoryError> {
    Ok(fsread::read_text_if_exists(path, MEMORY_FILE_MAX)?)
}

/// Replace the file's contents atomically (`None`: remove it).
pub fn write_file(file: &MemoryFile, content: Option<&str>) -> Result<(), MemoryError> {
    let io = |source| MemoryError::Io {
        path: file.abs.display().to_string(),
        source,
    };
    if std::fs::symlink_metadata(&file.abs).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(MemoryError::Symlink(file.abs.display().to_string()));
    }
    let Some(content) = content else {
        return match std::fs::remove_file(&file.abs) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
        };
    };
    let dir = file
        .abs
        .parent()
        .ok_or_else(|| MemoryError::BadName(file.rel.clone()))?;
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{:08x}",
        file.abs
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        fastrand::u32(..)
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &file.abs)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

fn core_check(file: &MemoryFile, after: &str, max_lines: usize) -> Result<(), MemoryError> {
    let lines = after.lines().count();
    if file.is_core() && (lines > max_lines || after.len() > CORE_MAX_BYTES) {
        return Err(MemoryError::CoreFull {
            path: file.rel.clone(),
            lines,
            bytes: after.len(),
            max_lines,
            max_bytes: CORE_MAX_BYTES,
        });
    }
    Ok(())
}

fn with_newline(mut s: String) -> String {
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Replace lines `start..=end` (1-based) of `text` by `with`.
fn splice(text: &str, start: u32, end: u32, with: &[String]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let (s, e) = (
        (start as usize).saturating_sub(1),
        (end as usize).min(lines.len()),
    );
    let mut out: Vec<String> = lines[..s].iter().map(|l| l.to_string()).collect();
    out.extend(with.iter().cloned());
    out.extend(lines[e..].iter().map(|l| l.to_string()));
    with_newline(out.join("\n"))
}

fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut s: String = line.chars().take(80).collect();
    if line.chars().count() > 80 || text.lines().count() > 1 {
        s.push('…');
    }
    s
}

/// The live entry of `text` (the file's text) whose text is `wanted` once normalized (case,
/// spacing, punctuation): saying the same fact again writes nothing.
fn same_fact(file: &MemoryFile, text: &str, wanted: &str) -> Option<MemoryError> {
    let wanted = format::normalize(wanted);
    format::parse(&file.rel, text)
        .into_iter()
        .find(|e| e.meta.superseded.is_none() && format::normalize(&e.text) == wanted)
        .map(|e| MemoryError::AlreadyRemembered {
            id: e.id,
            path: file.rel.clone(),
        })
}

/// Append, create, replace or supersede, as `req` says.
pub fn write(
    dirs: &MemoryDirs,
    core_max_lines: usize,
    req: &WriteRequest,
    by: MemoryProvenance,
    now_secs: i64,
) -> Result<Applied, MemoryError> {
    let text = check_text(&req.text)?;
    let meta = Meta {
        kind: Some(req.kind.unwrap_or_else(|| format::infer_kind(&text))),
        by: Some(by),
        at: Some(now_secs),
        ..Meta::default()
    };
    let id = format::new_id();
    let line = format::render_entry(&text, &id, &meta);
    let (file, before, after, action) = match req.mode {
        WriteMode::Append | WriteMode::Create => {
            let file = file_for(dirs, req.scope, req.file.as_deref())?;
            let before = read_opt(&file.abs)?;
            if req.mode == WriteMode::Create && before.is_some() {
                return Err(MemoryError::Exists(file.rel));
            }
            if let Some(same) = before.as_deref().and_then(|b| same_fact(&file, b, &text)) {
                return Err(same);
            }
            let head = match &before {
                Some(b) => with_newline(b.clone()),
                None if file.is_core() => String::new(),
                None => format!(
                    "# {}\n\n",
                    file.rel
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .trim_end_matches(".md")
                ),
            };
            let action = if before.is_some() {
                MemoryAction::Appended
            } else {
                MemoryAction::Created
            };
            (file, before, format!("{head}{line}\n"), action)
        }
        WriteMode::Replace | WriteMode::Supersede => {
            let target = req.target.as_deref().unwrap_or("");
            let (file, before, old) = locate(dirs, target)?;
            let mut lines = vec![line.clone()];
            let action = if req.mode == WriteMode::Supersede {
                let src: Vec<&str> = before.lines().collect();
                let old_lines =
                    &src[(old.line_start as usize - 1)..(old.line_end as usize).min(src.len())];
                let old_meta = Meta {
                    id: Some(old.id.clone()),
                    superseded: Some(now_secs),
                    ..old.meta.clone()
                };
                let mut struck = format::rewrite(&old, old_lines, &old_meta);
                struck.append(&mut lines);
                lines = struck;
                MemoryAction::Superseded
            } else {
                MemoryAction::Replaced
            };
            let after = splice(&before, old.line_start, old.line_end, &lines);
            (file, Some(before), after, action)
        }
    };
    core_check(&file, &after, core_max_lines)?;
    write_file(&file, Some(&after))?;
    let verb = match action {
        MemoryAction::Superseded => "corrected",
        MemoryAction::Replaced => "replaced",
        _ => "remembered",
    };
    Ok(Applied {
        action,
        scope: file.scope,
        summary: format!("{verb} in {}: {}", file.rel, short(&text)),
        rel: file.rel.clone(),
        abs: file.abs.clone(),
        before,
        after: Some(after),
        entry_id: id,
        provenance: by,
    })
}

/// Remove an entry's text from its file.
pub fn forget(dirs: &MemoryDirs, target: &str) -> Result<Applied, MemoryError> {
    let (file, before, old) = locate(dirs, target)?;
    let after = splice(&before, old.line_start, old.line_end, &[]);
    write_file(&file, Some(&after))?;
    Ok(Applied {
        action: MemoryAction::Forgot,
        scope: file.scope,
        summary: format!("forgot from {}: {}", file.rel, short(&old.text)),
        rel: file.rel.clone(),
        abs: file.abs.clone(),
        before: Some(before),
        after: Some(after),
        entry_id: old.id,
        provenance: MemoryProvenance::User,
    })
}

/// Pin (exempt from decay) or unpin an entry.
pub fn set_pinned(dirs: &MemoryDirs, target: &str, pinned: bool) -> Result<Applied, MemoryError> {
    let (file, before, old) = locate(dirs, target)?;
    let src: Vec<&str> = before.lines().collect();
    let old_lines = &src[(old.line_start as usize - 1)..(old.line_end as usize).min(src.len())];
    let meta = Meta {
        id: Some(old.id.clone()),
        pinned,
        ..old.meta.clone()
    };
    let after = splice(
        &before,
        old.line_start,
        old.line_end,
        &format::rewrite(&old, old_lines, &meta),
    );
    write_file(&file, Some(&after))?;
    let (action, verb) = if pinned {
        (MemoryAction::Pinned, "pinned")
    } else {
        (MemoryAction::Unpinned, "unpinned")
    };
    Ok(Applied {
        action,
        scope: file.scope,
        summary: format!("{verb} in {}: {}", file.rel, short(&old.text)),
        rel: file.rel.clone(),
        abs: file.abs.clone(),
        before: Some(before),
        after: Some(after),
        entry_id: old.id,
        provenance: MemoryProvenance::User,
    })
}

/// Put the file back as it was before `change`, if nobody changed it since.
pub fn undo(change: &Applied) -> Result<Applied, MemoryError> {
    let file = MemoryFile {
        scope: change.scope,
        project: String::new(),
        rel: change.rel.clone(),
        abs: change.abs.clone(),
    };
    let now = read_opt(&file.abs)?;
    if now != change.after {
        return Err(MemoryError::EditedSince(change.rel.clone()));
    }
    write_file(&file, change.before.as_deref())?;
    Ok(Applied {
        action: MemoryAction::Undone,
        before: now,
        after: change.before.clone(),
        summary: format!("undid: {}", change.summary),
        ..change.clone()
    })
}

/// The entry `target` names (its id, `m:ID`, or a passage of its text) among this workspace's
/// memory files: (file, file text, entry).
pub fn locate(dirs: &MemoryDirs, target: &str) -> Result<(MemoryFile, String, Entry), MemoryError> {
    let target = target.trim();
    if target.is_empty() {
        return Err(MemoryError::NotFound(String::new()));
    }
    let id = target.trim_start_matches("m:").to_ascii_lowercase();
    let (files, _) = memory_files(dirs);
    let mut by_text = Vec::new();
    for file in files {
        let Ok(text) = fsread::read_text(&file.abs, MEMORY_FILE_MAX) else {
            continue;
        };
        for entry in format::parse(&file.rel, &text) {
            if entry.id == id {
                return Ok((file, text, entry));
            }
            if entry.text.contains(target) {
                by_text.push((file.clone(), text.clone(), entry));
            }
        }
    }
    match by_text.len() {
        0 => Err(MemoryError::NotFound(target.to_string())),
        1 => Ok(by_text.remove(0)),
        _ => Err(MemoryError::Ambiguous {
            target: target.to_string(),
            ids: by_text
                .iter()
                .map(|(_, _, e)| e.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// `memory_get`: a file (or lines of it), or the entry an id names.
pub fn get(
    dirs: &MemoryDirs,
    target: &str,
    lines: Option<(u32, u32)>,
) -> Result<String, MemoryError> {
    let target = target.trim();
    let (files, _) = memory_files(dirs);
    let file = files.into_iter().find(|f| {
        f.rel == target
            || f.abs
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == target)
                && f.scope == MemoryScope::User
    });
    let Some(file) = file.or_else(|| {
        let (files, _) = memory_files(dirs);
        files.into_iter().find(|f| {
            f.abs
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == target)
        })
    }) else {
        let (file, text, entry) = locate(dirs, target)?;
        let src: Vec<&str> = text.lines().collect();
        let body = src[(entry.line_start as usize - 1)..(entry.line_end as usize).min(src.len())]
            .join("\n");
        return Ok(format!(
            "{} lines {}-{}:\n{body}",
            file.rel, entry.line_start, entry.line_end
        ));
    };
    let text = fsread::read_text(&file.abs, MEMORY_FILE_MAX)?;
    let all: Vec<&str> = text.lines().collect();
    let (from, to) = lines.unwrap_or((1, all.len() as u32));
    let from = from.max(1) as usize;
    let to = (to as usize).min(all.len());
    if from > to {
        return Ok(format!(
            "{} has {} lines; nothing in {from}-{to}",
            file.rel,
            all.len()
        ));
    }
    Ok(format!(
        "{} lines {from}-{to} of {}:\n{}",
        file.rel,
        all.len(),
        all[from - 1..to].join("\n")
    ))
}
