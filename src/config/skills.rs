//! `[skills]`: how skills are found and how much of the prompt their catalog may take.

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::ranges::{At, CATALOG_TOKENS, in_range};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillsConfig {
    /// Tokens the catalog of skill names and descriptions may take in the system prompt.
    pub catalog_tokens: usize,
    /// Also read `<project>/.claude/skills/`.
    pub include_claude: bool,
}

impl Default for SkillsConfig {
    fn default() -> Self {
        SkillsConfig {
            catalog_tokens: 2_000,
            include_claude: false,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSkills {
    catalog_tokens: Option<Spanned<usize>>,
    include_claude: Option<bool>,
}

impl FileSkills {
    pub(super) fn resolve(self, at: At<'_>) -> Result<SkillsConfig, ConfigError> {
        let d = SkillsConfig::default();
        Ok(SkillsConfig {
            catalog_tokens: in_range(
                self.catalog_tokens,
                d.catalog_tokens,
                "catalog_tokens",
                CATALOG_TOKENS,
                at,
            )?,
            include_claude: self.include_claude.unwrap_or(d.include_claude),
        })
    }
}
