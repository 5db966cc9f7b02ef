//! What changed between two scans, so a front end announces only that ("reloaded code-review",
//! "code-review: line 3: description missing — disabled").

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::catalog::{Catalog, SkillEntry, Status};

/// What changed between two scans, for a short notice per skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SkillChange {
    Added {
        name: String,
    },
    Changed {
        name: String,
    },
    Removed {
        name: String,
    },
    /// The entry loads, with warnings (the first one is named).
    Warned {
        name: String,
        file: PathBuf,
        line: usize,
        message: String,
    },
    /// The entry is now an Error.
    Broken {
        name: String,
        file: PathBuf,
        line: usize,
        message: String,
    },
}

impl SkillChange {
    /// "reloaded code-review", "code-review: line 3: description missing — disabled".
    pub fn notice(&self) -> String {
        match self {
            SkillChange::Added { name } => format!("added skill {name}"),
            SkillChange::Changed { name } => format!("reloaded {name}"),
            SkillChange::Removed { name } => format!("removed skill {name}"),
            SkillChange::Warned {
                name,
                line,
                message,
                ..
            } => format!(
                "{name}: line {line}: {} — loaded with a warning",
                short(message)
            ),
            SkillChange::Broken {
                name,
                line,
                message,
                ..
            } => format!("{name}: line {line}: {} — disabled", short(message)),
        }
    }
}

/// A diagnostic's message without its advice (the part before ` — `).
fn short(message: &str) -> &str {
    message.split(" — ").next().unwrap_or(message)
}

/// Changes from `old` to `new`, entries matched by folder. A name both removed and added (a
/// folder renamed) is reported once, as changed.
pub fn diff(old: &Catalog, new: &Catalog) -> Vec<SkillChange> {
    let old_by_dir: HashMap<&Path, &SkillEntry> =
        old.entries.iter().map(|e| (e.dir.as_path(), e)).collect();
    let new_dirs: HashSet<&Path> = new.entries.iter().map(|e| e.dir.as_path()).collect();
    let mut changes = Vec::new();
    for e in &new.entries {
        let before = old_by_dir.get(e.dir.as_path());
        if let Status::Error { error } = &e.status {
            let same =
                before.is_some_and(|b| b.status == e.status && b.fingerprint == e.fingerprint);
            if !same {
                changes.push(SkillChange::Broken {
                    name: e.name.clone(),
                    file: error.file.clone(),
                    line: error.line,
                    message: error.message.clone(),
                });
            }
            continue;
        }
        match before {
            None => changes.push(SkillChange::Added {
                name: e.name.clone(),
            }),
            Some(b) if b.fingerprint != e.fingerprint || b.name != e.name => {
                changes.push(SkillChange::Changed {
                    name: e.name.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for e in &old.entries {
        if !new_dirs.contains(e.dir.as_path()) {
            changes.push(SkillChange::Removed {
                name: e.name.clone(),
            });
        }
    }
    with_warnings(merge_renames(changes), new)
}

/// An added or changed skill that loads with warnings is announced with its first warning,
/// as `skills list`, `skills validate` and the pane show it.
fn with_warnings(changes: Vec<SkillChange>, new: &Catalog) -> Vec<SkillChange> {
    changes
        .into_iter()
        .map(|c| {
            let (SkillChange::Added { name } | SkillChange::Changed { name }) = &c else {
                return c;
            };
            let first = new.entries.iter().find_map(|e| match &e.status {
                Status::Warning { warnings } if &e.name == name => warnings.first(),
                _ => None,
            });
            match first {
                Some(w) => SkillChange::Warned {
                    name: name.clone(),
                    file: w.file.clone(),
                    line: w.line,
                    message: w.message.clone(),
                },
                None => c,
            }
        })
        .collect()
}

fn merge_renames(changes: Vec<SkillChange>) -> Vec<SkillChange> {
    let added: HashSet<String> = changes
        .iter()
        .filter_map(|c| match c {
            SkillChange::Added { name } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let removed: HashSet<String> = changes
        .iter()
        .filter_map(|c| match c {
            SkillChange::Removed { name } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let both: HashSet<&String> = added.intersection(&removed).collect();
    let mut out = Vec::new();
    for c in changes {
        match &c {
            SkillChange::Added { name } if both.contains(name) => {
                out.push(SkillChange::Changed { name: name.clone() })
            }
            SkillChange::Removed { name } if both.contains(name) => {}
            _ => out.push(c),
        }
    }
    out
}
