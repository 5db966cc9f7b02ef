//! Everything decided before a front end starts: paths, config, the provider. Shared by the TUI
//! and headless mode so both see the same choices.

use crate::config::{
    Config, ConfigError, Overrides, ResolveError, ResolvedProvider, resolve_provider,
};
use crate::paths::Paths;
use crate::protocol::ErrorKind;
use crate::runtime::{EnvLookup, Resume, RuntimeSettings};

pub struct Startup {
    pub paths: Paths,
    pub config: Config,
    /// The config file was malformed: defaults are in effect and the user is told.
    pub config_error: Option<ConfigError>,
    pub provider: Result<ResolvedProvider, ResolveError>,
    pub env: EnvLookup,
}

impl Startup {
    pub fn load(paths: Paths, overrides: &Overrides, env: EnvLookup) -> Startup {
        let config_path = paths.config_file();
        let (config, config_error) = match Config::load(&config_path) {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(e)),
        };
        let provider = resolve_provider(
            &config,
            overrides,
            &config_path.display().to_string(),
            env.as_ref(),
        );
        Startup {
            paths,
            config,
            config_error,
            provider,
            env,
        }
    }

    pub fn into_settings(self, cwd: String, resume: Resume, probe: bool) -> RuntimeSettings {
        let mut startup_errors = Vec::new();
        if let Some(e) = &self.config_error {
            startup_errors.push((
                ErrorKind::Config,
                format!("{e}\n  (running with default settings until the file is fixed)"),
            ));
        }
        RuntimeSettings {
            config_path: self.paths.config_file(),
            database: Some(self.paths.database_file()),
            config: self.config,
            provider: self.provider,
            cwd,
            resume,
            startup_errors,
            probe_when_unconfigured: probe,
            env: self.env,
        }
    }
}

/// The directory pincer works in, as stored with sessions.
pub fn current_dir() -> String {
    std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| ".".into())
}
