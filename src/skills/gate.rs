//! Gating: a skill whose `metadata.requires` names a binary not on PATH or an unset environment
//! variable is listed as unavailable, with the reason.

use std::path::Path;

use super::catalog::{SkillEntry, Status};
use super::parse::Requirements;

pub(crate) fn gate(
    entries: &mut [SkillEntry],
    env_lookup: &dyn Fn(&str) -> Option<String>,
    has_binary: &dyn Fn(&str) -> bool,
) {
    for e in entries.iter_mut().filter(|e| e.status.is_usable()) {
        let Some(req) = e.skill.as_ref().map(|s| &s.requires) else {
            continue;
        };
        if let Some(reason) = missing(req, env_lookup, has_binary) {
            e.status = Status::Unavailable { reason };
        }
    }
}

fn missing(
    req: &Requirements,
    env_lookup: &dyn Fn(&str) -> Option<String>,
    has_binary: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let bins: Vec<String> = req
        .bins
        .iter()
        .filter(|b| !has_binary(b))
        .map(|b| format!("`{b}`"))
        .collect();
    let env: Vec<String> = req
        .env
        .iter()
        .filter(|v| env_lookup(v).is_none_or(|s| s.is_empty()))
        .map(|v| format!("${v}"))
        .collect();
    let mut parts = Vec::new();
    if !bins.is_empty() {
        parts.push(format!("needs {} on PATH", bins.join(", ")));
    }
    if !env.is_empty() {
        parts.push(format!("needs {}", env.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `$NAME` set and not empty.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// An executable called `name` in a `PATH` folder (or at `name`, when it is a path).
pub fn has_binary_on_path(name: &str) -> bool {
    fn executable(p: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    if name.contains('/') {
        return executable(Path::new(name));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| executable(&dir.join(name))))
}
