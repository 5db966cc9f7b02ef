//! Stored rows ↔ conversation messages and the transcript a resumed session shows.
//!
//! Tool rows carry JSON: a `tool_call` row `{id, name, arguments, summary}`, a `tool_result` row
//! [`StoredResult`]. A call whose result never got stored (a crash mid-call) gets a synthetic
//! "interrupted" result so the conversation stays valid for the providers.

use serde::{Deserialize, Serialize};

use super::compact::StoredCompaction;
use crate::protocol::{HistoryItem, PasteSpan, ToolStatus};
use crate::provider::{ChatMessage, ToolCall};
use crate::store::{ItemKind, Shown, StoredItem};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResult {
    pub call_id: String,
    pub tool: String,
    pub summary: String,
    pub status: ToolStatus,
    pub decided_by: String,
    /// What the model was given.
    pub model_content: String,
    /// What the UI shows (capped).
    pub output: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}

const NO_RESULT: &str = "(no result: pincer stopped before this call finished)";

/// A stored session made ready to go on.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// What the model is sent (after the latest compaction).
    pub messages: Vec<ChatMessage>,
    /// What the transcript shows (everything).
    pub history: Vec<HistoryItem>,
    /// The latest compaction summary, carried in the system prompt.
    pub summary: Option<String>,
}

/// Rebuild the provider conversation and the transcript from stored rows.
pub fn rebuild(items: &[StoredItem]) -> Rebuilt {
    let mut messages: Vec<ChatMessage> = Vec::new();
    let mut history = Vec::new();
    let mut summary = None;
    // Calls of the latest assistant message still waiting for their result rows.
    let mut pending: Vec<StoredCall> = Vec::new();
    for item in items {
        // Approvals and notices sit between a call and its result; they close nothing.
        if matches!(
            item.kind,
            ItemKind::User | ItemKind::Assistant | ItemKind::Compaction
        ) {
            close_pending(&mut pending, &mut messages, &mut history);
        }
        match item.kind {
            ItemKind::User => {
                messages.push(ChatMessage::user(item.content.clone()));
                history.push(user_history(item));
            }
            ItemKind::Assistant => {
                messages.push(ChatMessage::assistant(item.content.clone()));
                if !item.content.is_empty() || item.interrupted {
                    history.push(HistoryItem::Assistant {
                        text: item.content.clone(),
                        interrupted: item.interrupted,
                    });
                }
            }
            ItemKind::ToolCall => {
                let Ok(call) = serde_json::from_str::<StoredCall>(&item.content) else {
                    continue;
                };
                let tool_call = ToolCall {
                    id: call.id.clone(),
                    name: call.name.clone(),
                    arguments: call.arguments.clone(),
                };
                match messages.last_mut() {
                    Some(ChatMessage::Assistant { tool_calls, .. }) => tool_calls.push(tool_call),
                    _ => messages.push(ChatMessage::Assistant {
                        content: String::new(),
                        tool_calls: vec![tool_call],
                    }),
                }
                pending.push(call);
            }
            ItemKind::Approval => {}
            ItemKind::Notice => {
                #[derive(Deserialize)]
                struct StoredNotice {
                    kind: crate::protocol::ErrorKind,
                    message: String,
                }
                if let Ok(n) = serde_json::from_str::<StoredNotice>(&item.content) {
                    history.push(HistoryItem::Error {
                        kind: n.kind,
                        message: n.message,
                    });
                }
            }
            ItemKind::Compaction => {
                let Ok(c) = serde_json::from_str::<StoredCompaction>(&item.content) else {
                    continue;
                };
                let keep = c.kept_messages.min(messages.len());
                messages.drain(..messages.len() - keep);
                history.push(HistoryItem::Compaction {
                    summary: c.summary.clone(),
                });
                summary = Some(c.summary);
            }
            ItemKind::ToolResult => {
                let Ok(r) = serde_json::from_str::<StoredResult>(&item.content) else {
                    continue;
                };
                pending.retain(|c| c.id != r.call_id);
                messages.push(ChatMessage::ToolResult {
                    call_id: r.call_id.clone(),
                    content: r.model_content.clone(),
                    is_error: r.status != ToolStatus::Ok,
                });
                history.push(HistoryItem::Tool {
                    call_id: r.call_id,
                    tool: r.tool,
                    summary: r.summary,
                    status: r.status,
                    decided_by: r.decided_by,
                    output: r.output,
                    exit_code: r.exit_code,
                    duration_ms: r.duration_ms,
                });
            }
        }
    }
    close_pending(&mut pending, &mut messages, &mut history);
    Rebuilt {
        messages,
        history,
        summary,
    }
}

/// A stored user row as the transcript shows it: as the user saw it when it was sent
/// (`Shown`), else its content.
fn user_history(item: &StoredItem) -> HistoryItem {
    let (text, pastes) = match Shown::parse(item.display.as_deref()) {
        Some(Shown::Item { item }) => return item,
        Some(Shown::Typed { text }) => (text, Vec::new()),
        Some(Shown::Pasted { pastes }) => (
            item.content.clone(),
            PasteSpan::valid_in(&pastes, &item.content),
        ),
        None => (item.content.clone(), Vec::new()),
    };
    HistoryItem::User {
        text,
        item_id: Some(item.id),
        pastes,
    }
}

/// How a tool run for the user (an `@file` read, a `!command`) is shown again on resume:
/// as the tool cell it was.
pub fn shown_as_tool(r: &StoredResult) -> Shown {
    Shown::Item {
        item: HistoryItem::Tool {
            call_id: r.call_id.clone(),
            tool: r.tool.clone(),
            summary: r.summary.clone(),
            status: r.status,
            decided_by: r.decided_by.clone(),
            output: r.output.clone(),
            exit_code: r.exit_code,
            duration_ms: r.duration_ms,
        },
    }
}

fn close_pending(
    pending: &mut Vec<StoredCall>,
    messages: &mut Vec<ChatMessage>,
    history: &mut Vec<HistoryItem>,
) {
    for call in pending.drain(..) {
        messages.push(ChatMessage::ToolResult {
            call_id: call.id.clone(),
            content: NO_RESULT.into(),
            is_error: true,
        });
        history.push(HistoryItem::Tool {
            call_id: call.id,
            tool: call.name,
            summary: call.summary,
            status: ToolStatus::Interrupted,
            decided_by: String::new(),
            output: NO_RESULT.into(),
            exit_code: None,
            duration_ms: 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: ItemKind, content: String) -> StoredItem {
        StoredItem {
            id: 0,
            kind,
            content,
            interrupted: false,
            display: None,
        }
    }

    fn call(id: &str) -> String {
        serde_json::to_string(&StoredCall {
            id: id.into(),
            name: "shell".into(),
            arguments: "{\"command\":\"ls\"}".into(),
            summary: "Run `ls`".into(),
        })
        .unwrap()
    }

    fn result(id: &str) -> String {
        serde_json::to_string(&StoredResult {
            call_id: id.into(),
            tool: "shell".into(),
            summary: "Run `ls`".into(),
            status: ToolStatus::Ok,
            decided_by: "user".into(),
            model_content: "a.rs".into(),
            output: "a.rs".into(),
            exit_code: Some(0),
            duration_ms: 4,
        })
        .unwrap()
    }

    #[test]
    fn calls_attach_to_their_assistant_message() {
        let items = vec![
            row(ItemKind::User, "list".into()),
            row(ItemKind::Assistant, String::new()),
            row(ItemKind::ToolCall, call("c1")),
            row(ItemKind::ToolResult, result("c1")),
            row(ItemKind::Assistant, "done".into()),
        ];
        let Rebuilt {
            messages, history, ..
        } = rebuild(&items);
        assert_eq!(messages.len(), 4);
        assert!(
            matches!(&messages[1], ChatMessage::Assistant { tool_calls, .. } if tool_calls.len() == 1)
        );
        assert!(
            matches!(&messages[2], ChatMessage::ToolResult { call_id, is_error: false, .. } if call_id == "c1")
        );
        assert_eq!(history.len(), 3, "empty assistant text is not shown");
        assert!(matches!(
            &history[1],
            HistoryItem::Tool {
                status: ToolStatus::Ok,
                ..
            }
        ));
    }

    #[test]
    fn a_call_without_result_gets_an_interrupted_one() {
        let items = vec![
            row(ItemKind::User, "go".into()),
            row(ItemKind::Assistant, String::new()),
            row(ItemKind::ToolCall, call("c1")),
            row(ItemKind::ToolCall, call("c2")),
            row(ItemKind::ToolResult, result("c1")),
        ];
        let Rebuilt {
            messages, history, ..
        } = rebuild(&items);
        assert!(
            matches!(&messages.last().unwrap(), ChatMessage::ToolResult { call_id, is_error: true, .. } if call_id == "c2")
        );
        assert!(matches!(
            &history.last().unwrap(),
            HistoryItem::Tool {
                status: ToolStatus::Interrupted,
                ..
            }
        ));
    }

    #[test]
    fn compaction_row_drops_older_messages_but_not_history() {
        let compaction = serde_json::to_string(&StoredCompaction {
            summary: "S".into(),
            kept_messages: 1,
            replaced_messages: 2,
            tokens_before: 10,
            tokens_after: 5,
        })
        .unwrap();
        let items = vec![
            row(ItemKind::User, "one".into()),
            row(ItemKind::Assistant, "1".into()),
            row(ItemKind::User, "two".into()),
            row(ItemKind::Compaction, compaction),
            row(ItemKind::Assistant, "2".into()),
        ];
        let r = rebuild(&items);
        assert_eq!(r.summary.as_deref(), Some("S"));
        assert_eq!(r.messages.len(), 2);
        assert!(matches!(&r.messages[0], ChatMessage::User { content } if content == "two"));
        assert_eq!(r.history.len(), 5);
        assert!(matches!(&r.history[3], HistoryItem::Compaction { .. }));
    }

    #[test]
    fn an_approval_between_call_and_result_closes_nothing() {
        let items = vec![
            row(ItemKind::User, "go".into()),
            row(ItemKind::Assistant, String::new()),
            row(ItemKind::ToolCall, call("c1")),
            row(ItemKind::Approval, "{\"decision\":\"approve_once\"}".into()),
            row(ItemKind::ToolResult, result("c1")),
        ];
        let r = rebuild(&items);
        assert_eq!(r.messages.len(), 3);
        assert!(matches!(
            &r.history[1],
            HistoryItem::Tool {
                status: ToolStatus::Ok,
                ..
            }
        ));
    }

    #[test]
    fn malformed_tool_rows_are_skipped() {
        let items = vec![
            row(ItemKind::ToolCall, "{not json".into()),
            row(ItemKind::User, "x".into()),
        ];
        let Rebuilt {
            messages, history, ..
        } = rebuild(&items);
        assert_eq!((messages.len(), history.len()), (1, 1));
    }
}
