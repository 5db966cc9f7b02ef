//! Event payloads about skills and the project trust question.

use serde::{Deserialize, Serialize};

use super::*;

/// The skills as they are now (at start and after every change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillsChanged {
    pub skills: Vec<SkillInfo>,
    /// Where `n` creates a new skill (the per-user skills folder).
    pub user_dir: String,
    /// A restricted (installed) skill is active in this session: read-only tools only.
    pub restricted_active: bool,
}

/// The model activated a skill (restricted: read-only tools from now on in this session).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillActivated {
    pub name: String,
    pub restricted: bool,
}

/// A new skill's SKILL.md was written (answer to `CreateSkill`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillCreated {
    pub name: String,
    pub path: String,
}

/// A skill's body (answer to `PreviewSkill`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillPreview {
    pub name: String,
    pub body: String,
}

/// The workspace has project skills (or rules) and is not trusted yet: ask once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectTrustRequest {
    pub path: String,
    pub skill_folders: Vec<String>,
}
