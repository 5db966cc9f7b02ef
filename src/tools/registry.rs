//! The tools offered to the model, and the steps of a call before and after the gate:
//! parse and check arguments, describe the call (summary, subject, risk, suggested rule),
//! preview it for approval, run it.

use std::sync::Arc;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::describe::{self, SubjectKind as ToolSubjectKind};
use super::net_guard::{HopPolicy, NoRules};
use super::shell::{self, ShellEnv};
use super::specs::{ToolSpec, file_tool_specs};
use super::{ToolContext, ToolOutput, schema};
use crate::policy::{CallSubject, SubjectKind, suggest_rule};
use crate::protocol::{ApprovalMode, ApprovalPreview, RiskLevel};
use crate::provider::{ToolCall, ToolDef};

pub struct ToolBox {
    specs: Vec<ToolSpec>,
    /// Decides web_fetch's redirects and explicitly allowed hosts.
    hops: Arc<dyn HopPolicy>,
}

/// A call that passed the argument check, described for the gate and the UI.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub call_id: String,
    pub name: String,
    pub args: Value,
    pub summary: String,
    pub risk: RiskLevel,
    pub subject: CallSubject,
    pub inside_workspace: bool,
    pub suggested_rule: String,
    /// The shell command, for output summaries.
    pub command: Option<String>,
}

/// Why a call cannot even be considered; the message goes back to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub summary: String,
    pub message: String,
}

impl ToolBox {
    pub fn builtin() -> ToolBox {
        let mut specs = file_tool_specs();
        specs.push(shell::spec());
        ToolBox {
            specs,
            hops: Arc::new(NoRules),
        }
    }

    /// The rules web_fetch consults for each redirect hop.
    pub fn with_hop_policy(mut self, hops: Arc<dyn HopPolicy>) -> ToolBox {
        self.hops = hops;
        self
    }

    /// No tools at all (chat only).
    pub fn empty() -> ToolBox {
        ToolBox {
            specs: Vec::new(),
            hops: Arc::new(NoRules),
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.specs.iter().map(|s| s.name).collect()
    }

    pub fn spec(&self, name: &str) -> Option<&ToolSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    /// What the model is offered: in plan mode only read-only tools.
    pub fn definitions(&self, mode: ApprovalMode) -> Vec<ToolDef> {
        self.specs
            .iter()
            .filter(|s| mode != ApprovalMode::Plan || s.risk == RiskLevel::ReadOnly)
            .map(|s| ToolDef {
                name: s.name.to_string(),
                description: s.description.to_string(),
                parameters: s.schema.clone(),
            })
            .collect()
    }

    pub fn prepare(&self, ctx: &ToolContext, call: &ToolCall) -> Result<Prepared, Rejected> {
        let Some(spec) = self.spec(&call.name) else {
            return Err(Rejected {
                summary: format!("{} (unknown tool)", call.name),
                message: format!(
                    "There is no tool named `{}`. Available tools: {}.",
                    call.name,
                    self.names().join(", ")
                ),
            });
        };
        let args: Value = match serde_json::from_str(&call.arguments) {
            Ok(v) => v,
            Err(e) => {
                return Err(Rejected {
                    summary: format!("{} (invalid arguments)", call.name),
                    message: format!(
                        "The arguments are not valid JSON ({e}). Send a JSON object matching the tool's schema."
                    ),
                });
            }
        };
        let problems = schema::validate(&args, &spec.schema);
        if !problems.is_empty() {
            return Err(Rejected {
                summary: format!("{} (invalid arguments)", call.name),
                message: format!(
                    "Invalid arguments for `{}`: {}.",
                    call.name,
                    problems.join("; ")
                ),
            });
        }
        let (summary, subject, inside, risk, command) = if spec.name == shell::NAME {
            let command = shell::command(&args).unwrap_or_default();
            (
                shell::summary(ctx, &args),
                CallSubject {
                    // Network is judged apart: only a `shell_network:` rule allows it.
                    tool: if shell::wants_network(&args) {
                        crate::policy::NETWORK_SHELL.to_string()
                    } else {
                        spec.name.to_string()
                    },
                    kind: SubjectKind::Command,
                    text: command.clone(),
                },
                true,
                shell::risk(&args),
                Some(command),
            )
        } else {
            let s = describe::subject(ctx, spec.name, &args).map_err(|message| Rejected {
                summary: format!("{} (invalid arguments)", call.name),
                message,
            })?;
            let kind = match s.kind {
                ToolSubjectKind::Path => SubjectKind::Path,
                ToolSubjectKind::Url => SubjectKind::Url,
                ToolSubjectKind::Other => SubjectKind::Other,
            };
            // "Inside the workspace" is about paths; a URL is judged by its own rules.
            let inside = s.inside_workspace || kind == SubjectKind::Url;
            (
                describe::summary(ctx, spec.name, &args),
                CallSubject {
                    tool: spec.name.to_string(),
                    kind,
                    text: s.text,
                },
                inside,
                spec.risk,
                None,
            )
        };
        Ok(Prepared {
            call_id: call.id.clone(),
            name: spec.name.to_string(),
            suggested_rule: suggest_rule(&subject),
            args,
            summary,
            risk,
            subject,
            inside_workspace: inside,
            command,
        })
    }

    /// What the approval overlay shows.
    pub async fn preview(&self, ctx: &ToolContext, p: &Prepared) -> ApprovalPreview {
        if let Some(command) = &p.command {
            return ApprovalPreview::Command {
                command: command.clone(),
                cwd: ctx.workspace.display().to_string(),
            };
        }
        let mut ctx = ctx.clone();
        ctx.outside_workspace_approved = true; // reading for a preview changes nothing
        match describe::preview(&ctx, &p.name, &p.args).await {
            Some(preview) => preview,
            None => ApprovalPreview::Text {
                text: serde_json::to_string_pretty(&p.args).unwrap_or_default(),
            },
        }
    }

    pub async fn execute(
        &self,
        ctx: &ToolContext,
        p: &Prepared,
        shell_env: &ShellEnv,
        cancel: CancellationToken,
    ) -> ToolOutput {
        if p.name == shell::NAME {
            return shell::run(ctx, &p.args, shell_env, cancel).await;
        }
        if p.name == "web_fetch" {
            return super::fetch::web_fetch_with(ctx, &p.args, self.hops.as_ref()).await;
        }
        match super::specs::run(&p.name, ctx, &p.args).await {
            Some(out) => out,
            None => ToolOutput::error(format!("no tool named `{}`", p.name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn ctx(root: &std::path::Path) -> ToolContext {
        ToolContext {
            workspace: root.to_path_buf(),
            temp_dir: PathBuf::from("/tmp"),
            limits: Default::default(),
            outside_workspace_approved: false,
        }
    }

    fn call(name: &str, args: &str) -> ToolCall {
        ToolCall {
            id: "c1".into(),
            name: name.into(),
            arguments: args.into(),
        }
    }

    #[test]
    fn unknown_tools_and_bad_arguments_are_rejected_with_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let tb = ToolBox::builtin();
        let e = tb
            .prepare(&ctx(dir.path()), &call("nope", "{}"))
            .unwrap_err();
        assert!(e.message.contains("shell") && e.message.contains("read_file"));
        let e = tb
            .prepare(&ctx(dir.path()), &call("read_file", "{not json"))
            .unwrap_err();
        assert!(e.message.contains("not valid JSON"));
        let e = tb
            .prepare(&ctx(dir.path()), &call("read_file", r#"{"path": 3}"#))
            .unwrap_err();
        assert!(e.message.contains("must be a string"), "{}", e.message);
    }

    #[test]
    fn calls_are_described_for_the_gate() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let tb = ToolBox::builtin();
        let p = tb
            .prepare(
                &ctx(&root),
                &call("shell", r#"{"command": "cargo test --quiet"}"#),
            )
            .unwrap();
        assert_eq!(
            (p.risk, p.subject.kind, p.subject.text.as_str()),
            (RiskLevel::Exec, SubjectKind::Command, "cargo test --quiet")
        );
        assert_eq!(p.suggested_rule, "shell: cargo test*");
        let p = tb
            .prepare(
                &ctx(&root),
                &call("write_file", r#"{"path": "src/a.rs", "content": "x"}"#),
            )
            .unwrap();
        assert_eq!((p.risk, p.inside_workspace), (RiskLevel::Write, true));
        let p = tb
            .prepare(
                &ctx(&root),
                &call("read_file", r#"{"path": "../../etc/passwd"}"#),
            )
            .unwrap();
        assert!(!p.inside_workspace);
    }

    #[test]
    fn plan_mode_offers_read_only_tools() {
        let tb = ToolBox::builtin();
        let names: Vec<String> = tb
            .definitions(ApprovalMode::Plan)
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert!(names.contains(&"read_file".to_string()));
        assert!(
            !names.contains(&"shell".to_string()) && !names.contains(&"write_file".to_string())
        );
        assert_eq!(tb.definitions(ApprovalMode::Ask).len(), 8);
    }
}
