//! Resolving the paths the model passes: relative to the workspace, `~` expanded, symlinks
//! followed, and classified as inside or outside the workspace.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::tools::context::ToolContext;

/// Symlink hops allowed while resolving a path whose final target does not exist yet.
const MAX_LINK_HOPS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPath {
    /// Absolute, symlinks resolved. For a path that does not exist yet: the canonical
    /// existing ancestor plus the remaining components.
    pub path: PathBuf,
    pub inside_workspace: bool,
    /// Relative to the workspace when inside ("src/main.rs", "." for the root), else absolute.
    pub display: String,
}

/// Resolves `raw` as the tools see it. Relative paths are relative to the workspace, `~/`
/// is the home directory, and symlinks are followed before deciding inside/outside.
pub fn resolve(ctx: &ToolContext, raw: &str) -> Result<ResolvedPath, String> {
    if raw.trim().is_empty() {
        return Err("The path is empty; pass a file or directory path.".to_string());
    }
    if raw.contains('\0') {
        return Err("The path contains a NUL byte, which no file name can hold.".to_string());
    }
    let expanded = expand_home(raw)?;
    let absolute = if expanded.is_absolute() {
        expanded
    } else {
        ctx.workspace.join(expanded)
    };
    let path = resolve_absolute(&absolute, raw, 0)?;
    Ok(classify(ctx, path))
}

/// Builds the `ResolvedPath` for an already resolved absolute path.
pub(crate) fn classify(ctx: &ToolContext, path: PathBuf) -> ResolvedPath {
    match path.strip_prefix(&ctx.workspace) {
        Ok(rel) => {
            let display = if rel.as_os_str().is_empty() {
                ".".to_string()
            } else {
                rel.to_string_lossy().into_owned()
            };
            ResolvedPath {
                path,
                inside_workspace: true,
                display,
            }
        }
        Err(_) => {
            let display = path.to_string_lossy().into_owned();
            ResolvedPath {
                path,
                inside_workspace: false,
                display,
            }
        }
    }
}

/// Refuses a path outside the workspace unless the call was approved for it.
pub fn check_access(ctx: &ToolContext, raw: &str, resolved: &ResolvedPath) -> Result<(), String> {
    if resolved.inside_workspace || ctx.outside_workspace_approved {
        return Ok(());
    }
    let what = if raw == resolved.display {
        resolved.display.clone()
    } else {
        format!("{raw} (→ {})", resolved.display)
    };
    Err(format!(
        "{what} is outside the workspace ({}); pincer only touches it after you approve.",
        ctx.workspace.display()
    ))
}

fn expand_home(raw: &str) -> Result<PathBuf, String> {
    let rest = if raw == "~" {
        Some("")
    } else {
        raw.strip_prefix("~/")
    };
    match rest {
        None => Ok(PathBuf::from(raw)),
        Some(rest) => match std::env::var_os("HOME") {
            Some(home) if !home.is_empty() => Ok(PathBuf::from(home).join(rest)),
            _ => Err(format!("Cannot expand {raw}: HOME is not set.")),
        },
    }
}

fn resolve_absolute(absolute: &Path, raw: &str, hops: usize) -> Result<PathBuf, String> {
    if hops > MAX_LINK_HOPS {
        return Err(format!("{raw}: too many levels of symbolic links."));
    }
    if let Ok(canonical) = fs::canonicalize(absolute) {
        return Ok(canonical);
    }
    // The path does not exist (or cannot be resolved completely): find the deepest ancestor
    // that does and append the rest.
    for ancestor in absolute.ancestors().skip(1) {
        let Ok(base) = fs::canonicalize(ancestor) else {
            continue;
        };
        let remainder = absolute.strip_prefix(ancestor).unwrap_or(absolute);
        let mut components = remainder.components().filter(|c| *c != Component::CurDir);
        let Some(first) = components.next() else {
            return Ok(base);
        };
        let rest: PathBuf = components.collect();
        let Component::Normal(first) = first else {
            return Err(dotdot_error(raw));
        };
        let candidate = base.join(first);
        // A dangling symlink: follow it so writes cannot escape through it.
        if let Ok(meta) = fs::symlink_metadata(&candidate)
            && meta.file_type().is_symlink()
        {
            let target = fs::read_link(&candidate).map_err(|e| {
                format!(
                    "Cannot read the symbolic link {}: {e}.",
                    candidate.display()
                )
            })?;
            let next = if target.is_absolute() {
                target
            } else {
                base.join(target)
            };
            return resolve_absolute(&next.join(rest), raw, hops + 1);
        }
        let mut path = candidate;
        for component in rest.components() {
            match component {
                Component::Normal(part) => path.push(part),
                Component::CurDir => {}
                _ => return Err(dotdot_error(raw)),
            }
        }
        return Ok(path);
    }
    Err(format!("Cannot resolve {raw}: no part of it exists."))
}

fn dotdot_error(raw: &str) -> String {
    format!(
        "{raw} uses `..` after a directory that does not exist; pass a path without `..` there."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::context::ToolLimits;

    fn ctx(dir: &Path) -> ToolContext {
        ToolContext {
            workspace: fs::canonicalize(dir).unwrap(),
            temp_dir: std::env::temp_dir(),
            limits: ToolLimits::default(),
            outside_workspace_approved: false,
        }
    }

    #[test]
    fn relative_and_root() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        fs::create_dir(dir.path().join("src")).unwrap();
        fs::write(dir.path().join("src/main.rs"), "").unwrap();
        let r = resolve(&ctx, "src/main.rs").unwrap();
        assert!(r.inside_workspace);
        assert_eq!(r.display, "src/main.rs");
        assert_eq!(r.path, ctx.workspace.join("src/main.rs"));
        assert_eq!(resolve(&ctx, ".").unwrap().display, ".");
        assert_eq!(resolve(&ctx, "./src/../src").unwrap().display, "src");
        let abs = ctx.workspace.join("src").to_string_lossy().into_owned();
        assert_eq!(resolve(&ctx, &abs).unwrap().display, "src");
    }

    #[test]
    fn missing_files_and_dotdot() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let r = resolve(&ctx, "new/deeper/file.txt").unwrap();
        assert!(r.inside_workspace);
        assert_eq!(r.display, "new/deeper/file.txt");
        let err = resolve(&ctx, "new/../../x").unwrap_err();
        assert!(err.contains("`..`"), "{err}");
        let out = resolve(&ctx, "../../../../../../../../etc/passwd").unwrap();
        assert!(!out.inside_workspace);
        assert!(out.display.starts_with('/'));
        assert!(
            check_access(&ctx, "../x", &out)
                .unwrap_err()
                .contains("outside the workspace")
        );
        assert!(resolve(&ctx, "").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        let r = resolve(&ctx, "out/secret.txt").unwrap();
        assert!(!r.inside_workspace);
        // A dangling link pointing outside is outside too.
        std::os::unix::fs::symlink(outside.path().join("nope.txt"), dir.path().join("dangling"))
            .unwrap();
        let r = resolve(&ctx, "dangling").unwrap();
        assert!(!r.inside_workspace);
        assert_eq!(
            r.path,
            fs::canonicalize(outside.path()).unwrap().join("nope.txt")
        );
        // A link loop is reported, not followed forever.
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        assert!(
            resolve(&ctx, "loop")
                .unwrap_err()
                .contains("symbolic links")
        );
    }

    #[test]
    fn home_expansion() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        if let Some(home) = std::env::var_os("HOME")
            && let Ok(home) = fs::canonicalize(home)
        {
            assert_eq!(resolve(&ctx, "~").unwrap().path, home);
        }
    }
}
