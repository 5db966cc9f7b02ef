//! Lexical path clean-up before matching, and the paths pincer protects.

use std::path::{Path, PathBuf};

/// Drops `.` components, empty components (`a//b`) and trailing slashes, and resolves `..`
/// against earlier components. Leading `..` of a relative path are kept; `..` at the root of an
/// absolute path is dropped. No file-system access.
pub(crate) fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Folders and files pincer itself depends on: its configuration (config.toml, the trust
/// list in it, themes), the project's `.pincer/`, every skill root and the memory folder.
/// Writes to them ask in every mode, and only a rule that names them explicitly (no
/// wildcard, a path at or beneath a protected root) may allow them.
#[derive(Debug, Clone, Default)]
pub struct ProtectedPaths {
    workspace: PathBuf,
    /// (what it is, for messages; lexically normalised absolute path; the same with its
    /// existing ancestors' symlinks resolved).
    roots: Vec<(String, PathBuf, PathBuf)>,
}

impl ProtectedPaths {
    /// `workspace` resolves relative paths (and is the root of relative protected paths).
    pub fn new(workspace: &Path) -> ProtectedPaths {
        ProtectedPaths {
            workspace: workspace.to_path_buf(),
            roots: Vec::new(),
        }
    }

    /// Protects `path` and everything beneath it; `what` names it in messages. The path need
    /// not exist (the memory folder before its first note).
    pub fn add(&mut self, what: &str, path: &Path) {
        let absolute = self.absolute(&path.to_string_lossy());
        if self.roots.iter().any(|(_, p, _)| *p == absolute) {
            return;
        }
        let real = real_path(&absolute);
        self.roots.push((what.to_string(), absolute, real));
    }

    /// The protected roots, for messages and tests.
    pub fn roots(&self) -> impl Iterator<Item = (&str, &Path)> {
        self.roots.iter().map(|(w, p, _)| (w.as_str(), p.as_path()))
    }

    /// What protects `path` (as a tool subject gives it: workspace-relative or absolute),
    /// checked both lexically and with symlinks resolved.
    pub fn covering(&self, path: &str) -> Option<&str> {
        let absolute = self.absolute(path);
        let real = real_path(&absolute);
        self.roots
            .iter()
            .find(|(_, root, real_root)| {
                absolute.starts_with(root)
                    || absolute.starts_with(real_root)
                    || real.starts_with(root)
                    || real.starts_with(real_root)
            })
            .map(|(what, _, _)| what.as_str())
    }

    /// Whether a path rule's pattern names a protected path explicitly: no wildcard, and the
    /// path it spells is at or beneath a protected root.
    pub fn named_by(&self, pattern: &str) -> bool {
        !has_wildcard(pattern) && self.covering(&unescape(pattern)).is_some()
    }

    fn absolute(&self, path: &str) -> PathBuf {
        let joined = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("{}/{path}", self.workspace.to_string_lossy())
        };
        PathBuf::from(normalize(&joined))
    }
}

/// `*`, `?`, `[` or `{` not escaped by a backslash.
fn has_wildcard(pattern: &str) -> bool {
    let mut escaped = false;
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '*' | '?' | '[' | '{' => return true,
            _ => {}
        }
    }
    false
}

fn unescape(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut escaped = false;
    for c in pattern.chars() {
        if c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

/// The deepest existing ancestor with symlinks resolved, plus the components that do not
/// exist yet.
fn real_path(absolute: &Path) -> PathBuf {
    let mut existing = absolute.to_path_buf();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return absolute.to_path_buf(),
        }
    }
}

/// Escapes glob syntax so a path pattern matches exactly that path.
pub(crate) fn escape_glob(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;
    use super::*;

    fn protected(ws: &Path) -> ProtectedPaths {
        let mut p = ProtectedPaths::new(ws);
        p.add("the project's .pincer folder", Path::new(".pincer"));
        p.add(
            "pincer's memory",
            Path::new("/nonexistent-pincer-test/data/memory"),
        );
        p
    }

    #[test]
    fn covers_lexically_and_beneath() {
        let p = protected(Path::new("/ws"));
        assert!(p.covering(".pincer/config.toml").is_some());
        assert!(p.covering("./src/../.pincer").is_some());
        assert!(p.covering("/ws/.pincer/skills/x/SKILL.md").is_some());
        assert!(
            p.covering("/nonexistent-pincer-test/data/memory/n.md")
                .is_some()
        );
        assert!(p.covering(".pincerx/a").is_none());
        assert!(p.covering("src/.pincer").is_none());
        assert!(
            p.covering("/nonexistent-pincer-test/data/memoryx")
                .is_none()
        );
    }

    #[test]
    fn covers_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        let cfg = dir.path().join("cfg");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::create_dir_all(&cfg).unwrap();
        std::os::unix::fs::symlink(&cfg, ws.join("link")).unwrap();
        let mut p = ProtectedPaths::new(&ws);
        p.add("pincer's configuration", &cfg);
        assert!(p.covering("link/config.toml").is_some());
        assert!(p.covering("other/config.toml").is_none());
    }

    #[test]
    fn only_literal_rules_name_a_protected_path() {
        let p = protected(Path::new("/ws"));
        assert!(p.named_by(".pincer/config.toml"));
        assert!(p.named_by(".pincer"));
        assert!(!p.named_by(".pincer/**"));
        assert!(!p.named_by("**"));
        assert!(!p.named_by(".pinc?r/config.toml"));
        assert!(!p.named_by("/"));
        assert!(!p.named_by("src"));
        assert!(p.named_by(&escape_glob(".pincer/a[1].toml")));
    }

    #[test]
    fn lexical() {
        assert_eq!(normalize("src/main.rs"), "src/main.rs");
        assert_eq!(normalize("./src//a/./b.rs/"), "src/a/b.rs");
        assert_eq!(normalize("src/../Cargo.toml"), "Cargo.toml");
        assert_eq!(normalize("src/../../x"), "../x");
        assert_eq!(normalize("/etc/../../passwd"), "/passwd");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("."), ".");
        assert_eq!(normalize(""), ".");
    }
}
