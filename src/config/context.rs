//! `[context]`: how much of the model's context window a conversation may fill before older
//! turns are compacted into a summary, and the window sizes assumed when a profile names none.

use serde::Deserialize;

use super::Profile;
use crate::protocol::ProviderKind;

#[derive(Debug, Clone, PartialEq)]
pub struct ContextConfig {
    /// Compact when the conversation reaches this share of the window (0.1–0.95).
    pub compact_at: f64,
    /// Turns (a user message and everything after it) kept verbatim when compacting.
    pub keep_turns: usize,
    /// `/compact` asks the model to write the summary (one extra model call).
    pub model_summary: bool,
}

impl Default for ContextConfig {
    fn default() -> Self {
        ContextConfig {
            compact_at: 0.8,
            keep_turns: 3,
            model_summary: false,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileContext {
    compact_at: Option<f64>,
    keep_turns: Option<usize>,
    model_summary: Option<bool>,
}

impl FileContext {
    pub(super) fn resolve(self) -> ContextConfig {
        let d = ContextConfig::default();
        ContextConfig {
            compact_at: self
                .compact_at
                .filter(|v| v.is_finite())
                .unwrap_or(d.compact_at)
                .clamp(0.1, 0.95),
            keep_turns: self.keep_turns.unwrap_or(d.keep_turns).max(1),
            model_summary: self.model_summary.unwrap_or(d.model_summary),
        }
    }
}

/// The context window of a profile's model, in tokens: the profile's `context_window`, else a
/// conservative guess from the provider kind and model name (no network call at start).
pub fn context_window(profile: Option<&Profile>, kind: ProviderKind, model: &str) -> u64 {
    if let Some(w) = profile.and_then(|p| p.context_window) {
        return w;
    }
    let m = model.to_ascii_lowercase();
    match kind {
        ProviderKind::Anthropic => 200_000,
        ProviderKind::Openai if m.starts_with("gpt-4.1") => 1_000_000,
        ProviderKind::Openai
            if m.starts_with("gpt-4o")
                || m.starts_with("gpt-5")
                || m.starts_with('o')
                || m.contains("claude") =>
        {
            128_000
        }
        // Local servers (llama.cpp, Ollama) often run with small windows.
        ProviderKind::Openai => 32_768,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_from_profile_wins_then_guess() {
        let mut p = Profile {
            kind: ProviderKind::Openai,
            base_url: "http://x".into(),
            model: "m".into(),
            api_key_env: None,
            max_tokens: 1,
            context_window: Some(4096),
        };
        assert_eq!(
            context_window(Some(&p), ProviderKind::Openai, "gpt-4o"),
            4096
        );
        p.context_window = None;
        assert_eq!(
            context_window(Some(&p), ProviderKind::Openai, "gpt-4o"),
            128_000
        );
        assert_eq!(context_window(None, ProviderKind::Anthropic, "x"), 200_000);
        assert_eq!(
            context_window(None, ProviderKind::Openai, "qwen2.5"),
            32_768
        );
    }

    #[test]
    fn file_values_are_clamped() {
        let c = FileContext {
            compact_at: Some(3.0),
            keep_turns: Some(0),
            model_summary: None,
        }
        .resolve();
        assert_eq!(c.compact_at, 0.95);
        assert_eq!(c.keep_turns, 1);
    }
}
