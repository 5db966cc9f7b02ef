//! `!command` from the composer: the user runs a shell command themselves. It goes through the
//! shell tool's own path — prepare → gate → ask → run → audit (`tool_call.rs`) — as a turn of
//! its own (so it takes the session's lease, can be interrupted and waits in the queue like a
//! message). Its output is stored as a user item and joins the conversation as context the
//! user gave, wrapped like any tool output; the model sees it with the next message.

use std::sync::Arc;
use std::time::Instant;

use super::queue::Queued;
use super::turn::{TurnEnv, TurnResult};
use super::{ActiveTurn, Runtime, tool_call};
use crate::protocol::{ErrorKind, Event, ToolStatus, TurnOutcome};
use crate::provider::{ChatMessage, ProviderClient, ToolCall};

/// The shell tool's name (the same gate, rules and sandbox as the model's calls).
const SHELL_TOOL: &str = "shell";

impl Runtime {
    /// `Op::RunShell`: queued like a message, run when its turn comes.
    pub(super) async fn run_shell(&mut self, command: String) {
        let command = command.trim().to_string();
        if command.is_empty() {
            return;
        }
        if self.provider.is_none() {
            self.error(
                ErrorKind::NoProvider,
                format!(
                    "!{command} was not run: its output is context for a model, and no model is configured yet — configure one first (see the setup notes, or /model PROFILE)"
                ),
            );
            return;
        }
        self.enqueue(Queued::Shell(command)).await;
    }

    /// Start a queued `!command` (the lease is held; the session's new items are loaded).
    pub(super) async fn start_shell(&mut self, client: Arc<ProviderClient>, command: String) {
        self.ensure_session(&format!("!{command}")).await;
        let turn_id = self.take_turn_id();
        // The command's own plan (no diagnostics event: no model is asked).
        let plan = self.plan_for(&format!("!{command}"));
        let (env, cancel) = self.turn_env(client, turn_id, plan);
        self.emit(Event::TurnStarted { turn_id });
        self.active = Some(ActiveTurn {
            id: turn_id,
            cancel,
            task: tokio::spawn(run(env, self.conversation.clone(), command)),
            started: Instant::now(),
        });
    }
}

/// Gate and run the command; when it ran, its output joins the conversation and the store.
pub async fn run(env: TurnEnv, mut conversation: Vec<ChatMessage>, command: String) -> TurnResult {
    let call = ToolCall {
        id: format!("bang-{}", env.turn_id),
        name: SHELL_TOOL.into(),
        arguments: serde_json::json!({ "command": command }).to_string(),
    };
    let gated = tool_call::gate(&env, &call).await;
    let done = tool_call::run(&env, gated).await;
    let mut storage_error = None;
    let outcome = match done.status {
        ToolStatus::Ok | ToolStatus::Error | ToolStatus::TimedOut => {
            let text = context_message(&command, done.status, &done.stored.model_content);
            if let (Some(store), Some(id)) = (env.store.clone(), env.session_id.clone()) {
                let stored = text.clone();
                // Shown again as the command's tool cell, not as the envelope the model got.
                let shown = super::history::shown_as_tool(&done.stored);
                if let Err(e) = store
                    .call(move |s| s.append_user_shown(&id, &stored, &shown))
                    .await
                {
                    storage_error = Some(e);
                }
            }
            conversation.push(ChatMessage::user(text));
            TurnOutcome::Completed
        }
        ToolStatus::Interrupted => TurnOutcome::Interrupted,
        ToolStatus::Denied => TurnOutcome::Completed,
    };
    TurnResult {
        conversation,
        compacted: None,
        context_tokens: None,
        outcome,
        usage: None,
        resolved_client: None,
        storage_error,
        // No model was asked.
        used_tools: false,
        // Command output is not something to learn memories from.
        tainted: true,
        first_request: None,
    }
}

/// What the model is told: the user ran this, here is its (enveloped) output.
pub fn context_message(command: &str, status: ToolStatus, output: &str) -> String {
    let how = match status {
        ToolStatus::Ok => "",
        ToolStatus::TimedOut => " (it timed out)",
        _ => " (it failed)",
    };
    format!(
        "[I ran a shell command myself with `!{command}`{how}; its output is below for context, no reply needed to it alone.]\n{output}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_names_the_command_and_keeps_the_output() {
        let text = context_message("echo hi", ToolStatus::Ok, "<untrusted>hi</untrusted>");
        assert!(text.contains("`!echo hi`"), "{text}");
        assert!(text.ends_with("<untrusted>hi</untrusted>"));
        assert!(context_message("false", ToolStatus::Error, "").contains("(it failed)"));
    }
}
