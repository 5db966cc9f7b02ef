//! Tier routing: which tier a message goes to, and when a small-tier answer counts as failed
//! (the turn then escalates once to the large tier).

use crate::protocol::ModelTier;
use crate::provider::ChatRequest;

use super::super::model_call::{CallOutcome, ModelReply};

/// The tier for a message, until the task-spec policy (issue 13 items 1–2) decides it: the
/// coordinator replaces this with `policy.tier`. Short single-paragraph questions without code,
/// paths or action words are small; anything else is large (more capability when unsure).
pub fn tier_hint(message: &str) -> ModelTier {
    const ACTION_WORDS: &[&str] = &[
        "fix",
        "implement",
        "refactor",
        "debug",
        "write",
        "edit",
        "change",
        "add",
        "remove",
        "delete",
        "run",
        "build",
        "test",
        "review",
        "plan",
        "design",
        "migrate",
        "install",
        "deploy",
        "create",
        "update",
        "rename",
        "commit",
        "push",
        "why does",
        "analy",
    ];
    let text = message.trim();
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has_action = ACTION_WORDS.iter().any(|a| {
        if a.contains(' ') {
            lower.contains(a)
        } else {
            // The word and its inflections: fix, fixes, fixing.
            words
                .iter()
                .any(|w| w.starts_with(a) && w.len() <= a.len() + 3)
        }
    });
    let looks_technical = ["```", "/", "\\", "::", "()", "{", "=>"]
        .iter()
        .any(|m| text.contains(m))
        || text.split_whitespace().any(|w| {
            // snake_case names and file names (config.toml, main.rs).
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            w.contains('_')
                || w.split_once('.').is_some_and(|(a, b)| {
                    !a.is_empty() && b.chars().next().is_some_and(char::is_alphabetic)
                })
        });
    let small = text.chars().count() <= 240 && text.lines().count() <= 2;
    if small && !has_action && !looks_technical {
        ModelTier::Small
    } else {
        ModelTier::Large
    }
}

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

    #[test]
    fn trivial_questions_are_small_work_is_large() {
        for m in [
            "What is 2+2?",
            "hi",
            "Who wrote Hamlet?",
            "Was ist die Hauptstadt von Frankreich?",
            "translate 'good morning' into Spanish",
        ] {
            assert_eq!(tier_hint(m), ModelTier::Small, "{m}");
        }
        for m in [
            "fix the failing test in src/main.rs",
            "Refactor the parser",
            "run cargo test",
            "why does this panic?\n```\nlet x = v[3];\n```",
            "review my change to config.toml",
            &"a long question ".repeat(40),
        ] {
            assert_eq!(tier_hint(m), ModelTier::Large, "{m}");
        }
    }

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
