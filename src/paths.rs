//! Where pincer keeps the user's files: `directories::ProjectDirs`, or everything under
//! `PINCER_HOME` (tests, portable installs).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
    pub state_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot find a home directory for pincer's files: set HOME, or set PINCER_HOME to a folder pincer may use"
)]
pub struct NoHomeError;

impl Paths {
    /// `PINCER_HOME` wins; otherwise the platform's per-user directories.
    pub fn from_env() -> Result<Paths, NoHomeError> {
        if let Some(home) = std::env::var_os("PINCER_HOME").filter(|h| !h.is_empty()) {
            return Ok(Paths::under(Path::new(&home)));
        }
        let dirs = directories::ProjectDirs::from("dev", "pincer", "pincer").ok_or(NoHomeError)?;
        Ok(Paths {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
            cache_dir: dirs.cache_dir().to_path_buf(),
            state_dir: dirs
                .state_dir()
                .unwrap_or_else(|| dirs.cache_dir())
                .to_path_buf(),
        })
    }

    /// All four directories below one root.
    pub fn under(root: &Path) -> Paths {
        Paths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            cache_dir: root.join("cache"),
            state_dir: root.join("state"),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    pub fn database_file(&self) -> PathBuf {
        self.data_dir.join("pincer.db")
    }

    pub fn log_file(&self) -> PathBuf {
        self.state_dir.join("pincer.log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_root_keeps_everything_inside() {
        let p = Paths::under(Path::new("/tmp/x"));
        for dir in [&p.config_dir, &p.data_dir, &p.cache_dir, &p.state_dir] {
            assert!(dir.starts_with("/tmp/x"));
        }
        assert_eq!(p.config_file(), Path::new("/tmp/x/config/config.toml"));
        assert_eq!(p.database_file(), Path::new("/tmp/x/data/pincer.db"));
    }
}
