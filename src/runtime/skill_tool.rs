//! The `activate_skill` tool: offered only when skills exist, its `name` argument an enum of the
//! usable skills; returns the skill's instructions read fresh from disk with a listing of its
//! folder. A restricted (installed) skill switches the session to read-only tools.

use crate::protocol::SkillActivated;
use std::sync::atomic::Ordering;

use serde_json::json;

use super::turn::TurnEnv;
use crate::protocol::Event;
use crate::provider::{ToolCall, ToolDef};
use crate::skills::{Catalog, Trust, activate, render_activation};

pub const NAME: &str = "activate_skill";

/// The tool's definition, or `None` when there is no usable skill.
pub fn definition(catalog: &Catalog) -> Option<ToolDef> {
    let names = catalog.available_names();
    if names.is_empty() {
        return None;
    }
    Some(ToolDef {
        name: NAME.into(),
        description: "Load a skill's instructions (see the Skills section of the system prompt). \
                      Call it before starting a task that matches a skill's description."
            .into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "name": {
                    "type": "string",
                    "enum": names,
                    "description": "The skill to activate."
                }
            },
            "required": ["name"],
            "additionalProperties": false
        }),
    })
}

/// Run the call: `(summary, Ok(text for the model) | Err(error for the model))`.
pub async fn run(env: &TurnEnv, call: &ToolCall) -> (String, Result<String, String>) {
    let name = serde_json::from_str::<serde_json::Value>(&call.arguments)
        .ok()
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string));
    let Some(name) = name else {
        return (
            "activate_skill (bad arguments)".into(),
            Err("activate_skill needs {\"name\": \"<skill>\"}".into()),
        );
    };
    let summary = format!("Activate skill {name}");
    let Some(entry) = env.skills.as_ref().and_then(|c| c.get(&name)).cloned() else {
        let known = env
            .skills
            .as_ref()
            .map(|c| c.available_names().join(", "))
            .unwrap_or_default();
        return (
            summary,
            Err(format!("No usable skill called `{name}`. Skills: {known}")),
        );
    };
    let restricted = entry.trust == Trust::Restricted;
    let result = tokio::task::spawn_blocking(move || activate(&entry)).await;
    match result {
        Ok(Ok(a)) => {
            if restricted && !env.restricted.swap(true, Ordering::Relaxed) {
                let _ = env.events.send(Event::SkillActivated(SkillActivated {
                    name: name.clone(),
                    restricted: true,
                }));
            }
            let mut text = render_activation(&a);
            if restricted {
                text.push_str(
                    "\n(This skill was installed from elsewhere and is restricted: for the rest of \
                     this session only read-only tools are available.)\n",
                );
            }
            let trust = if restricted {
                crate::tools::envelope::Trust::Untrusted
            } else {
                crate::tools::envelope::Trust::Trusted
            };
            (
                summary,
                Ok(crate::tools::envelope::skill_block(&name, trust, &text)),
            )
        }
        Ok(Err(e)) => (summary, Err(format!("Cannot load skill `{name}`: {e}"))),
        Err(e) => (summary, Err(format!("Cannot load skill `{name}`: {e}"))),
    }
}

/// A read-only call on a path inside a usable skill's folder (the files `activate_skill`
/// listed): allowed without asking, though outside the workspace. Only folders that are skill
/// folders on disk count (see [`skill_folder_of`]).
pub fn reads_a_skill_folder(env: &TurnEnv, p: &crate::tools::registry::Prepared) -> bool {
    use crate::policy::SubjectKind;
    if p.risk != crate::protocol::RiskLevel::ReadOnly
        || p.inside_workspace
        || p.subject.kind != SubjectKind::Path
    {
        return false;
    }
    skill_folder_of(env, &p.subject.text).is_some()
}

/// Whether `path` lies in a usable skill's folder as it is on disk: the folder holds a
/// `SKILL.md` file, and the path with every symlink resolved is beneath the folder's real
/// path (a path that only reads like one, or a link out of the folder, does not count).
/// `Some(restricted)` when it does: whether the skill is an installed (restricted) one.
pub fn skill_folder_of(env: &TurnEnv, path: &str) -> Option<bool> {
    let catalog = env.skills.as_deref()?;
    let target = std::fs::canonicalize(path).ok()?;
    catalog.available().find_map(|e| {
        let dir = std::fs::canonicalize(&e.dir).ok()?;
        let is_skill = std::fs::symlink_metadata(dir.join("SKILL.md")).is_ok_and(|m| m.is_file());
        (is_skill && target.starts_with(&dir)).then_some(e.trust == Trust::Restricted)
    })
}

/// The skill an `activate_skill` call names, when it is an installed (restricted) one.
pub fn restricted_skill_named(env: &TurnEnv, call: &ToolCall) -> Option<String> {
    let name = serde_json::from_str::<serde_json::Value>(&call.arguments)
        .ok()?
        .get("name")?
        .as_str()?
        .to_string();
    let entry = env.skills.as_ref()?.get(&name)?;
    (entry.trust == Trust::Restricted).then_some(name)
}
