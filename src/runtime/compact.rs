//! Compaction without a model call: older turns are replaced, for the model only, by a summary of
//! what was asked, which tools ran, which files they touched, what the user decided and what is
//! still open. The stored transcript keeps every item; a `compaction` row records where the
//! summary starts so a resumed session rebuilds the same conversation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model_call::estimate_tokens;
use crate::provider::ChatMessage;

/// What a `compaction` row holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCompaction {
    pub summary: String,
    /// Messages of the conversation kept verbatim after the summary (its tail when compacted).
    pub kept_messages: usize,
    pub replaced_messages: usize,
    pub tokens_before: u64,
    pub tokens_after: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compaction {
    pub summary: String,
    pub kept: Vec<ChatMessage>,
    pub replaced: usize,
}

/// The first line of every summary; also how an earlier summary is recognised.
pub const SUMMARY_HEADER: &str = "Summary of the earlier conversation";

const ASK_CHARS: usize = 200;
const FIRST_INSTRUCTION_CHARS: usize = 2_000;
const LAST_ANSWER_CHARS: usize = 800;
const MAX_ASKS: usize = 40;
const MAX_FILES: usize = 40;
const MAX_DECISIONS: usize = 20;

/// Estimated tokens of a request: the system prompt (with any summary) and the messages.
pub fn estimate(system: Option<&str>, messages: &[ChatMessage]) -> u64 {
    let bytes: usize =
        system.map_or(0, str::len) + messages.iter().map(|m| m.text_len()).sum::<usize>();
    // A few tokens of framing per message.
    estimate_tokens(bytes) + 4 * messages.len() as u64
}

/// Index of the first message kept: the start of the `keep_turns`-th user turn from the end.
/// `None` when there is nothing older to compact.
fn keep_from(messages: &[ChatMessage], keep_turns: usize) -> Option<usize> {
    let starts: Vec<usize> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m, ChatMessage::User { .. }))
        .map(|(i, _)| i)
        .collect();
    if starts.len() <= keep_turns {
        return None;
    }
    let cut = starts[starts.len() - keep_turns.max(1)];
    (cut > 0).then_some(cut)
}

/// Summarise the messages before the last `keep_turns` turns. `previous` is the summary of an
/// earlier compaction; it is folded into the new one so nothing summarised is dropped.
pub fn compact(
    previous: Option<&str>,
    messages: &[ChatMessage],
    keep_turns: usize,
) -> Option<Compaction> {
    let cut = keep_from(messages, keep_turns)?;
    let old = &messages[..cut];
    Some(Compaction {
        summary: summarise(previous, old),
        kept: messages[cut..].to_vec(),
        replaced: cut,
    })
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    cap(&flat, max)
}

fn cap(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

/// Paths named in a tool call's arguments (`path`, `paths`, `file`, …).
fn touched_paths(arguments: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(arguments) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in ["path", "file", "file_path", "dir", "pattern"] {
        if let Some(p) = value.get(key).and_then(|v| v.as_str()) {
            out.push(p.to_string());
        }
    }
    out
}

fn summarise(previous: Option<&str>, old: &[ChatMessage]) -> String {
    let mut asks: Vec<String> = Vec::new();
    let mut tools: BTreeMap<String, usize> = BTreeMap::new();
    let mut files: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut decisions: Vec<String> = Vec::new();
    let mut call_names: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut last_answer = "";
    let mut first_instruction: Option<&str> = None;
    for m in old {
        match m {
            ChatMessage::User { content } => {
                if content.starts_with(SUMMARY_HEADER) {
                    continue;
                }
                if first_instruction.is_none() && previous.is_none() {
                    first_instruction = Some(content);
                }
                asks.push(one_line(content, ASK_CHARS));
            }
            ChatMessage::Assistant {
                content,
                tool_calls,
            } => {
                if !content.trim().is_empty() {
                    last_answer = content;
                }
                for call in tool_calls {
                    *tools.entry(call.name.clone()).or_default() += 1;
                    call_names.insert(&call.id, (&call.name, &call.arguments));
                    let how = match call.name.as_str() {
                        "write_file" | "edit_file" => "changed",
                        _ => "read",
                    };
                    for path in touched_paths(&call.arguments) {
                        let entry = files.entry(path).or_insert(how);
                        if how == "changed" {
                            *entry = how;
                        }
                    }
                }
            }
            ChatMessage::ToolResult {
                call_id, content, ..
            } => {
                let first = content.lines().next().unwrap_or("");
                if first.contains("denied") || first.starts_with("Not run") {
                    let (name, args) = call_names
                        .get(call_id.as_str())
                        .copied()
                        .unwrap_or(("tool", ""));
                    decisions.push(format!(
                        "{name} {} — {}",
                        one_line(args, 80),
                        one_line(first, 160)
                    ));
                }
            }
        }
    }

    let mut out = format!(
        "{SUMMARY_HEADER} ({} messages compacted by pincer to fit the context window; the user can still see them).\n",
        old.len()
    );
    if let Some(prev) = previous {
        out.push_str("\nEarlier summary:\n");
        for line in prev.lines().skip(1) {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    if let Some(first) = first_instruction {
        out.push_str("\nThe user's first instruction, verbatim:\n");
        out.push_str(&cap(first.trim(), FIRST_INSTRUCTION_CHARS));
        out.push('\n');
    }
    if !asks.is_empty() {
        out.push_str("\nWhat the user asked, in order:\n");
        let skipped = asks.len().saturating_sub(MAX_ASKS);
        if skipped > 0 {
            out.push_str(&format!("  ({skipped} earlier requests left out)\n"));
        }
        for (i, ask) in asks.iter().enumerate().skip(skipped) {
            out.push_str(&format!("{}. {ask}\n", i + 1));
        }
    }
    if !tools.is_empty() {
        let list: Vec<String> = tools.iter().map(|(t, n)| format!("{t} ×{n}")).collect();
        out.push_str(&format!("\nTools used: {}\n", list.join(", ")));
    }
    if !files.is_empty() {
        let mut list: Vec<String> = files
            .iter()
            .take(MAX_FILES)
            .map(|(f, how)| format!("{f} ({how})"))
            .collect();
        if files.len() > MAX_FILES {
            list.push(format!("and {} more", files.len() - MAX_FILES));
        }
        out.push_str(&format!("Files touched: {}\n", list.join(", ")));
    }
    if !decisions.is_empty() {
        out.push_str("\nThe user's decisions on tool calls:\n");
        for d in decisions.iter().rev().take(MAX_DECISIONS).rev() {
            out.push_str(&format!("- {d}\n"));
        }
    }
    let questions: Vec<&str> = last_answer
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with('?'))
        .collect();
    if !last_answer.trim().is_empty() {
        out.push_str("\nThe last answer before this point:\n");
        out.push_str(&cap(last_answer.trim(), LAST_ANSWER_CHARS));
        out.push('\n');
    }
    if !questions.is_empty() {
        out.push_str("\nOpen questions from that answer:\n");
        for q in questions {
            out.push_str(&format!("- {}\n", one_line(q, ASK_CHARS)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ToolCall;

    fn turn(user: &str, tool: Option<(&str, &str)>, answer: &str) -> Vec<ChatMessage> {
        let mut v = vec![ChatMessage::user(user)];
        if let Some((name, args)) = tool {
            v.push(ChatMessage::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall {
                    id: format!("c-{user}"),
                    name: name.into(),
                    arguments: args.into(),
                }],
            });
            v.push(ChatMessage::ToolResult {
                call_id: format!("c-{user}"),
                content: if name == "shell" {
                    "The user denied this call. Reason: too risky".into()
                } else {
                    "ok".into()
                },
                is_error: name == "shell",
            });
        }
        v.push(ChatMessage::assistant(answer));
        v
    }

    #[test]
    fn nothing_to_compact_with_few_turns() {
        let m = turn("a", None, "b");
        assert!(compact(None, &m, 3).is_none());
    }

    #[test]
    fn keeps_last_turns_and_summarises_the_rest() {
        let mut m = turn(
            "fix the parser in src/parse.rs",
            Some((
                "edit_file",
                r#"{"path":"src/parse.rs","old":"a","new":"b"}"#,
            )),
            "done",
        );
        m.extend(turn(
            "run the tests",
            Some(("shell", r#"{"command":"rm -rf /"}"#)),
            "Should I try again?\nOk.",
        ));
        m.extend(turn(
            "third",
            Some(("read_file", r#"{"path":"README.md"}"#)),
            "read it",
        ));
        m.extend(turn("fourth", None, "four"));
        let c = compact(None, &m, 2).unwrap();
        assert_eq!(c.kept.len(), 6);
        assert!(matches!(&c.kept[0], ChatMessage::User { content } if content == "third"));
        assert_eq!(c.replaced, m.len() - 6);
        let s = &c.summary;
        assert!(s.starts_with(SUMMARY_HEADER), "{s}");
        assert!(s.contains("fix the parser in src/parse.rs"), "{s}");
        assert!(s.contains("2. run the tests"), "{s}");
        assert!(s.contains("edit_file ×1") && s.contains("shell ×1"), "{s}");
        assert!(s.contains("src/parse.rs (changed)"), "{s}");
        assert!(s.contains("denied"), "{s}");
        assert!(s.contains("- Should I try again?"), "{s}");
        assert!(
            !s.contains("README.md"),
            "kept turns are not summarised: {s}"
        );
    }

    #[test]
    fn earlier_summary_is_folded_in() {
        let first = {
            let mut m = turn("one", None, "1");
            m.extend(turn("two", None, "2"));
            compact(None, &m, 1).unwrap()
        };
        let mut m = first.kept.clone();
        m.extend(turn("three", None, "3"));
        let second = compact(Some(&first.summary), &m, 1).unwrap();
        assert!(second.summary.contains("Earlier summary"));
        assert!(second.summary.contains("one"));
        assert!(second.summary.contains("two"));
        assert_eq!(
            second.summary.matches("first instruction").count(),
            1,
            "the first instruction is carried once: {}",
            second.summary
        );
    }

    #[test]
    fn huge_first_message_is_capped() {
        let big = "x".repeat(1_000_000);
        let mut m = turn(&big, None, "ok");
        m.extend(turn("b", None, "ok"));
        let c = compact(None, &m, 1).unwrap();
        assert!(c.summary.len() < 10_000);
        assert!(estimate(Some(&c.summary), &c.kept) < estimate(None, &m));
    }
}
