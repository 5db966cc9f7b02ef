//! Everything decided before a front end starts: paths, config, the provider. Shared by the TUI
//! and headless mode so both see the same choices.

use crate::config::{
    Config, ConfigError, Overrides, Permissions, ResolveError, ResolvedProvider, resolve_provider,
};
use crate::paths::Paths;
use crate::protocol::{ApprovalMode, ErrorKind};
use crate::runtime::{EnvLookup, Resume, RuntimeSettings};

pub struct Startup {
    pub paths: Paths,
    pub config: Config,
    /// The config file was malformed: defaults are in effect and the user is told.
    pub config_error: Option<ConfigError>,
    pub provider: Result<ResolvedProvider, ResolveError>,
    pub env: EnvLookup,
    /// A flag or variable chose the model or profile: `[routing]` does not apply.
    pub model_pinned: bool,
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
        let set = |k: &str| env(k).is_some_and(|v| !v.trim().is_empty());
        let model_pinned = overrides.model.is_some()
            || overrides.provider.is_some()
            || set("PINCER_MODEL")
            || set("PINCER_PROVIDER");
        Startup {
            model_pinned,
            paths,
            config,
            config_error,
            provider,
            env,
        }
    }

    pub fn into_settings(self, launch: Launch) -> RuntimeSettings {
        let mut startup_errors = Vec::new();
        if let Some(e) = &self.config_error {
            startup_errors.push((
                ErrorKind::Config,
                format!("{e}\n  (running with default settings until the file is fixed)"),
            ));
        }
        let project_file = launch.workspace.join(".pincer").join("config.toml");
        let project_permissions = match Config::load_project(&project_file) {
            Ok(p) => p,
            Err(e) => {
                startup_errors.push((
                    ErrorKind::Config,
                    format!("{e}\n  (the project's rules are ignored until the file is fixed)"),
                ));
                Permissions::default()
            }
        };
        let project_trusted = self
            .config
            .trusted_projects
            .iter()
            .any(|t| std::fs::canonicalize(t).is_ok_and(|t| t == launch.workspace));
        let skill_roots = crate::skills::SkillRoots::standard(
            &self.paths,
            project_trusted.then(|| launch.workspace.clone()),
            self.config.skills.include_claude,
        );
        RuntimeSettings {
            skill_roots: Some(skill_roots),
            memory_dir: Some(self.paths.data_dir.join("memory")),
            config_path: self.paths.config_file(),
            database: Some(self.paths.database_file()),
            temp_dir: self.paths.cache_dir.join("tmp"),
            config: self.config,
            provider: self.provider,
            workspace: launch.workspace,
            resume: launch.resume,
            startup_errors,
            probe_when_unconfigured: launch.interactive,
            learn_window_at_start: launch.interactive,
            env: self.env,
            interactive: launch.interactive,
            mode_override: launch.mode,
            extra_allow: launch.allow,
            project_permissions,
            project_trusted,
            exe: std::env::current_exe().unwrap_or_else(|_| "pincer".into()),
            tools_enabled: true,
            model_pinned: self.model_pinned,
            response_cache_dir: Some(self.paths.cache_dir.join("responses")),
        }
    }
}

/// How this run was started (CLI flags).
#[derive(Debug, Clone)]
pub struct Launch {
    /// Canonical workspace directory.
    pub workspace: std::path::PathBuf,
    pub resume: Resume,
    /// `--resume` without one clear match: open the session pane with this filter.
    pub pick_session: Option<String>,
    /// A person can answer prompts (TUI).
    pub interactive: bool,
    pub mode: Option<ApprovalMode>,
    pub allow: Vec<String>,
}

/// The workspace: `--cd DIR` or the current directory, symlinks resolved.
pub fn workspace(cd: Option<&std::path::Path>) -> Result<std::path::PathBuf, String> {
    let dir = match cd {
        Some(d) => d.to_path_buf(),
        None => std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?,
    };
    std::fs::canonicalize(&dir)
        .map_err(|e| format!("cannot use {} as the workspace: {e}", dir.display()))
}
