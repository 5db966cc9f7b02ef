//! `/context`: the last request and the next one, segment by segment — the task spec with its
//! decision trace, the policy, every prompt segment's tokens, status and reason, the tools
//! offered and the model. Pure: a report in, lines out (shown as one transcript notice).

use crate::pipeline::report::render;
use crate::protocol::ContextReport;

/// The report as text lines.
pub fn lines(report: &ContextReport) -> Vec<String> {
    let mut out = Vec::new();
    match &report.last {
        Some(last) => {
            out.push(format!("── last request (turn {}) ──", last.turn_id));
            out.extend(render(last));
        }
        None => out.push("── last request: none yet in this session ──".into()),
    }
    out.push("── next request (for the text after /context; none: an empty message) ──".into());
    out.extend(render(&report.next));
    out
}

/// The report as one block of text.
pub fn text(report: &ContextReport) -> String {
    lines(report).join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Config;
    use crate::pipeline::{SessionState, TurnInputs, plan_turn};
    use crate::protocol::ApprovalMode;
    use crate::provider::ToolDef;

    fn tool(name: &str) -> ToolDef {
        ToolDef {
            name: name.into(),
            description: format!("the {name} tool"),
            parameters: serde_json::json!({"type": "object"}),
        }
    }

    fn plan(message: &str, turn_id: u64) -> crate::protocol::TurnDiagnostics {
        let config = Config::default();
        let tools: Vec<ToolDef> = [
            "read_file",
            "list_dir",
            "glob",
            "grep",
            "write_file",
            "edit_file",
            "shell",
        ]
        .into_iter()
        .map(tool)
        .collect();
        let session = SessionState::default();
        let mut d = plan_turn(&TurnInputs {
            message,
            session: &session,
            config: &config,
            mode: ApprovalMode::Ask,
            restricted: false,
            workspace: "/home/me/proj",
            tools: &tools,
            read_only_tools: &[],
            instructions: "Run `cargo test` before you say a change is done.",
            core_memory: "",
            retrieved: "",
            skills_catalog: &"- a skill: does things\n".repeat(400),
            model: "qwen2.5-coder",
        })
        .diagnostics;
        d.turn_id = turn_id;
        d
    }

    #[test]
    fn context_report_snapshot() {
        let report = ContextReport {
            last: Some(plan("What is 2+2?", 1)),
            next: plan("Fix the failing test in tests/parse.rs", 0),
        };
        insta::assert_snapshot!(text(&report));
    }

    #[test]
    fn without_a_last_request_it_says_so() {
        let report = ContextReport {
            last: None,
            next: plan("", 0),
        };
        let t = text(&report);
        assert!(t.starts_with("── last request: none yet"), "{t}");
        assert!(t.contains("default.unknown"), "{t}");
    }
}
