//! `/model`: the profiles pincer can switch to and the models the current server offers.

use serde::{Deserialize, Serialize};

use super::{ProviderInfo, ProviderKind};

/// One configured profile (or the one given on the command line with `--base-url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileChoice {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    /// Empty: the server's default (first listed) model.
    pub model: String,
}

/// Answer to `Op::ListModels` (and to `/model` without a name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelListing {
    /// What answers now.
    pub current: Option<ProviderInfo>,
    /// The provider pincer started with (flags, environment or config), when it differs from
    /// every profile (a `--base-url` run): `/model NAME` switches back to it.
    pub started_with: Option<ProfileChoice>,
    pub profiles: Vec<ProfileChoice>,
    /// Models the current server lists (asked now, never at start-up).
    pub server_models: Vec<String>,
    /// Why the server's models could not be listed.
    pub server_error: Option<String>,
}

/// How the context window shown in the status line was learned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowSource {
    /// `context_window` in the profile.
    Configured,
    /// The server said (llama.cpp, Ollama).
    Server,
    /// Guessed from the model name: shown as `~8k?`.
    #[default]
    Guessed,
}
