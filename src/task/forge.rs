//! The forge: the action list goes to the model in one call, which answers with a bundle as
//! JSON. The bundle is validated before anything is written; a refused bundle goes back once
//! with the findings; a second refusal fails the task with them.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use crate::provider::ChatMessage;

use super::bundle::{self, Bundle, build_dir};
use super::facts::Facts;
use super::plan::Plan;
use super::validate::{Finding, validate};

pub const FORGE_PROMPT: &str = "You compile a declarative task's action list into small, \
plain scripts. Answer with ONE JSON object and nothing else: {\"files\": [{\"path\", \"mode\", \
\"purpose\", \"language\", \"content\"}], \"steps\": [{\"purpose\", \"command\", \"network\", \
\"detach\", \"timeout_secs\"}], \"variables\": {}}. Rules: file paths are relative to the build \
folder and never contain `..`; languages are sh, bash, python3 or node (or text/json/html/... for \
data); an executable file (mode 0755) starts with a #! line naming its language (#!/bin/sh, \
#!/usr/bin/env python3); every step's purpose is exactly one action's purpose, and every action \
has at least one step; a step is one shell line run in the task folder that starts sh, bash, \
python3, node, git, or a bundle file by its path under the build folder; set network true for \
steps that use the network, detach true only for the step that starts a service (it must keep \
running in the foreground: use exec). Never use sudo, never touch files outside the paths the \
actions name, never delete more than an action asks for.";

/// What asks the model: the conversation so far → the reply text.
pub type Asker<'a> = &'a (
        dyn Fn(Vec<ChatMessage>) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send>>
            + Sync
    );

#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error("the model call failed: {0}; check the provider (`pincer config show`) or use --no-ai")]
    Model(String),
    #[error("the model's bundle was refused twice:\n{}\nnothing was written or run; try again, use another model, or use --no-ai", render(.0))]
    Refused(Vec<Finding>),
}

fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  - {f}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The user message: the task, the machine, the build folder and the actions as JSON.
pub fn request_text(plan: &Plan, name: &str, facts: &Facts) -> String {
    let actions = serde_json::to_string_pretty(&plan.actions).unwrap_or_default();
    format!(
        "Task `{name}`. Machine: {}. Build folder: {} (relative to the task folder, where \
         steps run).\nActions (each step's purpose must be one of: {}):\n{actions}",
        facts.describe(),
        build_dir(name),
        plan.actions
            .iter()
            .map(|a| format!("\"{}\"", a.purpose()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Ask, validate, send back once, validate again.
pub async fn forge(
    ask: Asker<'_>,
    plan: &Plan,
    name: &str,
    task_dir: &Path,
    facts: &Facts,
) -> Result<Bundle, ForgeError> {
    let mut messages = vec![ChatMessage::user(request_text(plan, name, facts))];
    let mut last = Vec::new();
    for _attempt in 0..2 {
        let reply = ask(messages.clone()).await.map_err(ForgeError::Model)?;
        let findings = match bundle::parse(&reply) {
            Ok(b) => {
                let f = validate(&b, plan, name, task_dir, facts);
                if f.is_empty() {
                    return Ok(b);
                }
                f
            }
            Err(why) => vec![Finding {
                at: "reply".into(),
                what: why,
            }],
        };
        messages.push(ChatMessage::assistant(reply));
        messages.push(ChatMessage::user(format!(
            "The bundle was refused:\n{}\nReturn the whole corrected bundle as one JSON object.",
            render(&findings)
        )));
        last = findings;
    }
    Err(ForgeError::Refused(last))
}
