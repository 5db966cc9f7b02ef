//! Where memory files live: `<data>/memory/` for the user's, and
//! `<data>/memory/projects/<folder>-<hash>/` for one project's (keyed by the project's folder:
//! the repository root when the workspace is inside one, else the workspace itself).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::paths::Paths;

/// The memory folders for one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryDirs {
    /// `<data>/memory`: user-scoped files (used everywhere).
    pub user: PathBuf,
    /// `<data>/memory/projects/<key>`: this project's files (used only here).
    pub project: PathBuf,
    /// The folder the project scope is keyed by.
    pub project_root: PathBuf,
}

impl MemoryDirs {
    pub fn new(paths: &Paths, workspace: &Path) -> MemoryDirs {
        Self::under(&paths.data_dir.join("memory"), workspace)
    }

    /// Below an explicit memory folder (tests, `--home`).
    pub fn under(memory_dir: &Path, workspace: &Path) -> MemoryDirs {
        let project_root = project_root(workspace);
        let project = memory_dir.join("projects").join(project_key(&project_root));
        MemoryDirs {
            user: memory_dir.to_path_buf(),
            project,
            project_root,
        }
    }
}

/// The repository root above `workspace` (a folder holding `.git`), else `workspace`.
pub fn project_root(workspace: &Path) -> PathBuf {
    let start = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_path_buf());
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(start)
}

/// `<folder name>-<first 8 hex of sha256(path)>`: readable in a file manager, distinct for two
/// projects with the same folder name.
pub fn project_key(root: &Path) -> String {
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string())
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let digest = Sha256::digest(root.as_os_str().as_encoded_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", name.trim_start_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_projects_with_one_name_get_two_folders() {
        let a = project_key(Path::new("/home/u/work/app"));
        let b = project_key(Path::new("/home/u/play/app"));
        assert!(a.starts_with("app-") && b.starts_with("app-"));
        assert_ne!(a, b);
        assert_eq!(a, project_key(Path::new("/home/u/work/app")));
    }

    #[test]
    fn a_workspace_inside_a_repository_is_keyed_by_the_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("src/deep")).unwrap();
        let dirs = MemoryDirs::under(Path::new("/m"), &repo.join("src/deep"));
        assert_eq!(dirs.project_root, std::fs::canonicalize(&repo).unwrap());
        assert_eq!(dirs.project.parent(), Some(Path::new("/m/projects")));
        let key = dirs.project.file_name().unwrap().to_string_lossy();
        assert!(key.starts_with("repo-"), "{key}");
    }

    #[test]
    fn odd_folder_names_make_safe_keys() {
        let key = project_key(Path::new("/x/../.hidden dir/ä b"));
        assert!(!key.contains('/') && !key.contains(' '), "{key}");
    }
}
