//! `/model`'s answer as text, and the status line's context label (a guessed window says so).

use crate::protocol::{ModelListing, WindowSource};

/// Most server models listed; the rest are counted.
const MAX_MODELS_SHOWN: usize = 30;

/// The listing as a notice: current, the start-up provider, profiles, the server's models.
pub fn describe(listing: &ModelListing) -> String {
    let mut lines = Vec::new();
    match &listing.current {
        Some(p) => lines.push(format!(
            "current: {} · {} · {}",
            p.profile,
            if p.model.is_empty() {
                "(server default)"
            } else {
                &p.model
            },
            p.base_url
        )),
        None => lines.push("current: none (no model configured)".to_string()),
    }
    if let Some(s) = &listing.started_with {
        lines.push(format!(
            "started with: {} · {} (/model {} switches back)",
            s.name, s.base_url, s.name
        ));
    }
    let names: Vec<&str> = listing.profiles.iter().map(|p| p.name.as_str()).collect();
    lines.push(format!("profiles: {}", names.join(", ")));
    match (&listing.server_error, listing.server_models.is_empty()) {
        (Some(e), _) => lines.push(format!("server models: cannot list them: {e}")),
        (None, true) => lines.push("server models: the server lists none".to_string()),
        (None, false) => {
            let shown: Vec<&str> = listing
                .server_models
                .iter()
                .take(MAX_MODELS_SHOWN)
                .map(String::as_str)
                .collect();
            let more = listing.server_models.len().saturating_sub(shown.len());
            let tail = if more > 0 {
                format!(" … and {more} more")
            } else {
                String::new()
            };
            lines.push(format!("server models: {}{tail}", shown.join(", ")));
        }
    }
    lines.push("switch with /model PROFILE or /model MODEL-ID".to_string());
    lines.join("\n")
}

/// `8k`, `128k`, `1M`: a window size at a glance.
fn round_tokens(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 {
        format!("{}k", (n + 512) / 1024)
    } else {
        n.to_string()
    }
}

/// `ctx 12%`, or `ctx 12% of ~8k?` when the window is only a guess.
pub fn context_label(used: u64, window: u64, source: WindowSource) -> String {
    let pct = (used * 100 / window.max(1)).min(999);
    match source {
        WindowSource::Guessed => format!("ctx {pct}% of ~{}?", round_tokens(window)),
        WindowSource::Configured | WindowSource::Server => format!("ctx {pct}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ProfileChoice, ProviderInfo, ProviderKind};

    #[test]
    fn guessed_windows_say_so() {
        assert_eq!(
            context_label(820, 8192, WindowSource::Guessed),
            "ctx 10% of ~8k?"
        );
        assert_eq!(context_label(820, 8192, WindowSource::Server), "ctx 10%");
        assert_eq!(
            context_label(1, 32_768, WindowSource::Guessed),
            "ctx 0% of ~32k?"
        );
        assert_eq!(
            context_label(1, 1_000_000, WindowSource::Guessed),
            "ctx 0% of ~1M?"
        );
    }

    #[test]
    fn listing_text() {
        let listing = ModelListing {
            current: Some(ProviderInfo {
                profile: "custom".into(),
                kind: ProviderKind::Openai,
                model: String::new(),
                base_url: "http://127.0.0.1:9/v1".into(),
            }),
            started_with: Some(ProfileChoice {
                name: "custom".into(),
                kind: ProviderKind::Openai,
                base_url: "http://127.0.0.1:9/v1".into(),
                model: String::new(),
            }),
            profiles: vec![ProfileChoice {
                name: "ollama".into(),
                kind: ProviderKind::Openai,
                base_url: "http://127.0.0.1:11434/v1".into(),
                model: String::new(),
            }],
            server_models: (0..40).map(|i| format!("m{i}")).collect(),
            server_error: None,
        };
        let text = describe(&listing);
        assert!(
            text.contains("current: custom · (server default)"),
            "{text}"
        );
        assert!(text.contains("/model custom switches back"), "{text}");
        assert!(text.contains("m29 … and 10 more"), "{text}");
    }
}
