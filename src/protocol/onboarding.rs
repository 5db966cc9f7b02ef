//! Onboarding: what the welcome screen asks the runtime to do with what the probe found, and
//! making a bundled skill the user's own.

use serde::{Deserialize, Serialize};

/// `Op::WriteProfile`: make `profile` the default in config.toml (and set its `model` when
/// given), then switch to it, so the session starts without a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteProfile {
    pub profile: String,
    #[serde(default)]
    pub model: Option<String>,
}

impl WriteProfile {
    /// The first finding with a usable profile, with the first model its server listed.
    pub fn from_findings(findings: &[super::Finding]) -> Option<WriteProfile> {
        findings.iter().find_map(|f| {
            Some(WriteProfile {
                profile: f.profile.clone()?,
                model: f.models.first().cloned(),
            })
        })
    }
}

/// `Op::CopyBundledSkill`: `e` on a bundled skill in the skills pane, confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyBundledSkill {
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Finding;

    #[test]
    fn the_first_usable_finding_is_offered() {
        let found = |label: &str, profile: Option<&str>, models: &[&str]| Finding {
            label: label.into(),
            profile: profile.map(str::to_string),
            models: models.iter().map(|m| m.to_string()).collect(),
        };
        assert_eq!(WriteProfile::from_findings(&[]), None);
        let findings = [
            found("LM Studio on 127.0.0.1:1234 (no models loaded)", None, &[]),
            found(
                "Ollama on 127.0.0.1:11434",
                Some("ollama"),
                &["qwen3:4b", "llama3.2"],
            ),
            found("OPENAI_API_KEY is set", Some("openai"), &[]),
        ];
        assert_eq!(
            WriteProfile::from_findings(&findings),
            Some(WriteProfile {
                profile: "ollama".into(),
                model: Some("qwen3:4b".into()),
            })
        );
    }
}
