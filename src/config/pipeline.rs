//! `[pipeline]`: whether the per-turn policy narrows the tools offered, or a pinned policy;
//! `[instructions]`: which project instruction files go into the prompt.

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::ranges::At;
use crate::protocol::ToolSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Offer only the tools a task needs (false: the full set every turn).
    pub narrow: bool,
    /// Offer this tool set every turn, whatever the task.
    pub pin: Option<ToolSet>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            narrow: true,
            pin: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FilePipeline {
    narrow: Option<bool>,
    policy: Option<Spanned<String>>,
}

impl FilePipeline {
    pub(super) fn resolve(self, at: At<'_>) -> Result<PipelineConfig, ConfigError> {
        let pin = match self.policy {
            None => None,
            Some(p) => match crate::pipeline::tool_set_by_name(p.get_ref()) {
                Some(set) => Some(set),
                None => {
                    return Err(at(
                        p.span().start,
                        format!("unknown policy `{}`", p.get_ref()),
                        "use policy = \"none\", \"read_only\", \"research\", \"editing\", \"memory\" or \"full\", or remove it to let each task decide",
                    ));
                }
            },
        };
        Ok(PipelineConfig {
            narrow: self.narrow.unwrap_or(true),
            pin,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstructionsConfig {
    /// Also read `CLAUDE.md` files beside `AGENTS.md`.
    pub claude_md: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileInstructions {
    claude_md: Option<bool>,
}

impl FileInstructions {
    pub(super) fn resolve(self) -> InstructionsConfig {
        InstructionsConfig {
            claude_md: self.claude_md.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use crate::config::Config;
    use crate::protocol::ToolSet;

    #[test]
    fn pipeline_and_instructions_parse() {
        let c = Config::parse(
            "[pipeline]\nnarrow = false\npolicy = \"editing\"\n[instructions]\nclaude_md = true\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert!(!c.pipeline.narrow);
        assert_eq!(c.pipeline.pin, Some(ToolSet::Editing));
        assert!(c.instructions.claude_md);
        let d = Config::parse("", Path::new("c.toml")).unwrap();
        assert!(d.pipeline.narrow && d.pipeline.pin.is_none() && !d.instructions.claude_md);
    }

    #[test]
    fn unknown_policy_is_a_located_error() {
        let e =
            Config::parse("\n[pipeline]\npolicy = \"most\"\n", Path::new("c.toml")).unwrap_err();
        assert_eq!((e.line, e.column), (3, 10));
        assert!(e.message.contains("unknown policy `most`"), "{e}");
        assert!(e.fix.contains("read_only"), "{e}");
    }
}
