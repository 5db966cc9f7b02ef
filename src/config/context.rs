//! `[context]`: how much of the model's context window a conversation may fill before older
//! turns are compacted into a summary, and the window sizes assumed when a profile names none.

use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Profile};
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
    compact_at: Option<Spanned<f64>>,
    keep_turns: Option<Spanned<usize>>,
    model_summary: Option<bool>,
}

impl FileContext {
    /// Values out of range are errors at their place in the file (not silently changed).
    pub(super) fn resolve(
        self,
        at: &dyn Fn(usize, String, &str) -> ConfigError,
    ) -> Result<ContextConfig, ConfigError> {
        let d = ContextConfig::default();
        let compact_at = match self.compact_at {
            Some(v) if !(0.1..=0.95).contains(v.get_ref()) => {
                return Err(at(
                    v.span().start,
                    format!("compact_at = {} is out of range", v.get_ref()),
                    "use a share of the window between 0.1 and 0.95, e.g. compact_at = 0.8",
                ));
            }
            Some(v) => v.into_inner(),
            None => d.compact_at,
        };
        let keep_turns = match self.keep_turns {
            Some(v) if *v.get_ref() == 0 => {
                return Err(at(
                    v.span().start,
                    "keep_turns must be at least 1".into(),
                    "use keep_turns = 3 (the last turns kept verbatim when compacting)",
                ));
            }
            Some(v) => v.into_inner(),
            None => d.keep_turns,
        };
        Ok(ContextConfig {
            compact_at,
            keep_turns,
            model_summary: self.model_summary.unwrap_or(d.model_summary),
        })
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
    fn out_of_range_values_are_located_errors() {
        let parse = |text: &str| super::super::Config::parse(text, std::path::Path::new("c.toml"));
        let e = parse("[context]\ncompact_at = 3.0\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 14));
        assert!(e.message.contains("out of range"), "{e:?}");
        let e = parse("[context]\nkeep_turns = 0\n").unwrap_err();
        assert_eq!(e.line, 2);
        let ok = parse("[context]\ncompact_at = 0.5\nkeep_turns = 2\n").unwrap();
        assert_eq!((ok.context.compact_at, ok.context.keep_turns), (0.5, 2));
    }
}
