//! Tier routing: when a small-tier answer counts as failed
//! (the turn then escalates once to the large tier).

use crate::provider::ChatRequest;

use super::super::model_call::{CallOutcome, ModelReply};

/// Phrases of a model declining to use a tool it was given (lowercased, apostrophes plain).
const REFUSALS: &[&str] = &[
    "i can't access",
    "i cannot access",
    "i don't have access",
    "i do not have access",
    "i'm unable to access",
    "i am unable to access",
    "i can't read files",
    "i cannot read files",
    "i can't run",
    "i cannot run",
    "i'm unable to run",
    "i am unable to run",
    "i can't execute",
    "i cannot execute",
    "i can't browse",
    "i cannot browse",
    "i don't have the ability",
    "i do not have the ability",
    "i don't have the tools",
    "i do not have the tools",
    "as an ai language model",
];

/// Longest answer still taken for a refusal (a long answer did the work another way).
const REFUSAL_MAX_CHARS: usize = 600;

/// Why a small-tier round counts as failed, or `None` when its answer stands. Narrowly:
/// - the request failed after its retries (not when the user interrupted it);
/// - it completed with no text and no tool calls;
/// - tools were offered, none was called, and the (short) answer says it cannot use them.
pub fn small_tier_failure(request: &ChatRequest, reply: &ModelReply) -> Option<String> {
    match reply.outcome {
        CallOutcome::Interrupted => None,
        CallOutcome::Failed => Some(
            reply
                .error
                .as_ref()
                .map(|(_, m)| m.clone())
                .unwrap_or_else(|| "the request failed".into()),
        ),
        CallOutcome::Completed if !reply.tool_calls.is_empty() => None,
        CallOutcome::Completed if reply.text.trim().is_empty() => {
            Some("it sent an empty answer".into())
        }
        CallOutcome::Completed => {
            if request.tools.is_empty() || reply.text.chars().count() > REFUSAL_MAX_CHARS {
                return None;
            }
            let text = reply.text.to_lowercase().replace(['\u{2019}', '`'], "'");
            REFUSALS
                .iter()
                .any(|r| text.contains(r))
                .then(|| "it declined to use the tools it was given".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{ToolCall, ToolDef};

    fn reply(text: &str, calls: usize, outcome: CallOutcome) -> ModelReply {
        ModelReply {
            text: text.into(),
            tool_calls: (0..calls)
                .map(|i| ToolCall {
                    id: format!("c{i}"),
                    name: "read_file".into(),
                    arguments: "{}".into(),
                })
                .collect(),
            unrun_calls: Vec::new(),
            usage: None,
            outcome,
            error: (outcome == CallOutcome::Failed)
                .then(|| (crate::protocol::ErrorKind::Server, "HTTP 500".to_string())),
            failure: None,
        }
    }

    fn request(tools: bool) -> ChatRequest {
        ChatRequest {
            system: None,
            messages: Vec::new(),
            tools: if tools {
                vec![ToolDef {
                    name: "read_file".into(),
                    description: String::new(),
                    parameters: serde_json::json!({}),
                }]
            } else {
                Vec::new()
            },
        }
    }

    #[test]
    fn what_counts_as_a_small_tier_failure() {
        use CallOutcome::*;
        let with = request(true);
        let without = request(false);
        assert!(small_tier_failure(&with, &reply("", 0, Failed)).is_some());
        assert_eq!(small_tier_failure(&with, &reply("", 0, Interrupted)), None);
        assert!(small_tier_failure(&with, &reply("  \n", 0, Completed)).is_some());
        assert_eq!(small_tier_failure(&with, &reply("", 1, Completed)), None);
        assert_eq!(small_tier_failure(&with, &reply("4", 0, Completed)), None);
        let refusal = "Sorry, I don’t have access to your files.";
        assert!(small_tier_failure(&with, &reply(refusal, 0, Completed)).is_some());
        assert_eq!(
            small_tier_failure(&without, &reply(refusal, 0, Completed)),
            None,
            "no tools offered: not a refusal to use them"
        );
        let long = format!("{refusal} {}", "But here is the answer. ".repeat(40));
        assert_eq!(small_tier_failure(&with, &reply(&long, 0, Completed)), None);
        assert_eq!(
            small_tier_failure(&with, &reply("I cannot access it, calling", 1, Completed)),
            None,
            "it did call a tool"
        );
    }
}
