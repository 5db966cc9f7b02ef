//! `[skills]`: how skills are found and how much of the prompt their catalog may take.

use serde::Deserialize;

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
    catalog_tokens: Option<usize>,
    include_claude: Option<bool>,
}

impl FileSkills {
    pub(super) fn resolve(self) -> SkillsConfig {
        let d = SkillsConfig::default();
        SkillsConfig {
            catalog_tokens: self.catalog_tokens.unwrap_or(d.catalog_tokens),
            include_claude: self.include_claude.unwrap_or(d.include_claude),
        }
    }
}
