//! Anthropic Messages (`POST {base}/v1/messages`, `stream: true`).

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

use super::sse::SseEvent;
use super::{
    ChatMessage, ChatRequest, EventParser, Parsed, ProviderError, Skip, StreamItem, ToolCall,
};

/// `https://api.anthropic.com` and `https://api.anthropic.com/v1` both work as base_url.
pub(super) fn api_root(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    if base.ends_with("/v1") {
        base.to_string()
    } else {
        format!("{base}/v1")
    }
}

pub(super) fn endpoint(base_url: &str) -> String {
    format!("{}/messages", api_root(base_url))
}

pub(super) fn request_body(model: &str, max_tokens: u32, request: &ChatRequest) -> Value {
    // The API wants alternating roles starting with a user turn, and tool results inside user
    // messages: build content blocks, then merge neighbours of one role.
    let mut messages: Vec<(&str, Vec<Value>)> = Vec::with_capacity(request.messages.len());
    for m in &request.messages {
        let (role, blocks) = match m {
            ChatMessage::User { content } => ("user", text_block(content)),
            ChatMessage::Assistant {
                content,
                tool_calls,
            } => {
                let mut blocks = text_block(content);
                for c in tool_calls {
                    let input: Value = serde_json::from_str(&c.arguments)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    blocks.push(
                        json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                    );
                }
                ("assistant", blocks)
            }
            ChatMessage::ToolResult {
                call_id,
                content,
                is_error,
            } => (
                "user",
                vec![
                    json!({"type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": is_error}),
                ],
            ),
        };
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => messages.push((role, blocks)),
        }
    }
    if messages.first().is_some_and(|(r, _)| *r == "assistant") {
        messages.insert(0, ("user", text_block("(continuing)")));
    }
    let messages: Vec<Value> = messages
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    let mut body = json!({
        "model": model,
        "max_tokens": max_tokens,
        "messages": messages,
        "stream": true,
    });
    if let Some(system) = &request.system {
        body["system"] = json!(system);
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
    }
    body
}

fn text_block(text: &str) -> Vec<Value> {
    if text.is_empty() {
        Vec::new()
    } else {
        vec![json!({"type": "text", "text": text})]
    }
}

struct PartialToolUse {
    id: String,
    name: String,
    json: String,
}

#[derive(Default)]
pub(super) struct Parser {
    stopped: bool,
    stop_reason_seen: bool,
    /// tool_use blocks being received, by content block index.
    tool_uses: BTreeMap<u64, PartialToolUse>,
}

impl EventParser for Parser {
    fn on_event(
        &mut self,
        ev: &SseEvent,
        out: &mut VecDeque<StreamItem>,
    ) -> Result<Parsed, ProviderError> {
        let data = ev.data.trim();
        if data.is_empty() {
            let ping = ev.event.as_deref() == Some("ping");
            return Ok(Parsed::Skipped(if ping { Skip::Ping } else { Skip::Empty }));
        }
        let Ok(v) = serde_json::from_str::<Value>(data) else {
            return Ok(Parsed::Skipped(Skip::NotJson));
        };
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .or(ev.event.as_deref())
            .unwrap_or("");
        match kind {
            "message_start" => {
                if let Some(usage) = v.pointer("/message/usage") {
                    let input = [
                        "input_tokens",
                        "cache_creation_input_tokens",
                        "cache_read_input_tokens",
                    ]
                    .iter()
                    .filter_map(|k| usage.get(*k).and_then(Value::as_u64))
                    .sum();
                    out.push_back(StreamItem::Usage {
                        input: Some(input),
                        output: usage.get("output_tokens").and_then(Value::as_u64),
                    });
                }
            }
            "content_block_start"
                if v.pointer("/content_block/type").and_then(Value::as_str) == Some("tool_use") =>
            {
                let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
                let field = |k: &str| {
                    v.pointer(&format!("/content_block/{k}"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                self.tool_uses.insert(
                    index,
                    PartialToolUse {
                        id: field("id"),
                        name: field("name"),
                        json: String::new(),
                    },
                );
            }
            "content_block_delta" => {
                let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
                match v.pointer("/delta/type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        if let Some(text) = v
                            .pointer("/delta/text")
                            .and_then(Value::as_str)
                            .filter(|t| !t.is_empty())
                        {
                            out.push_back(StreamItem::Text(text.to_string()));
                        }
                    }
                    Some("input_json_delta") => {
                        if let (Some(part), Some(tool)) = (
                            v.pointer("/delta/partial_json").and_then(Value::as_str),
                            self.tool_uses.get_mut(&index),
                        ) {
                            tool.json.push_str(part);
                        }
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
                if let Some(tool) = self.tool_uses.remove(&index) {
                    out.push_back(StreamItem::ToolCall(ToolCall {
                        id: tool.id,
                        name: tool.name,
                        arguments: if tool.json.trim().is_empty() {
                            "{}".into()
                        } else {
                            tool.json
                        },
                    }));
                }
            }
            "message_delta" => {
                if v.pointer("/delta/stop_reason")
                    .is_some_and(|r| !r.is_null())
                {
                    self.stop_reason_seen = true;
                }
                if let Some(output) = v.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    out.push_back(StreamItem::Usage {
                        input: None,
                        output: Some(output),
                    });
                }
            }
            "message_stop" => {
                self.stopped = true;
                return Ok(Parsed::Marker);
            }
            "error" => return Err(stream_error(&v)),
            "ping" => return Ok(Parsed::Skipped(Skip::Ping)),
            "content_block_start" => {} // a text block starts
            _ => return Ok(Parsed::Skipped(Skip::Unknown)), // new event types are ignored, as the API asks
        }
        Ok(Parsed::Content)
    }

    fn complete(&self) -> bool {
        self.stopped
    }

    fn whole_reply(&self) -> bool {
        self.stopped || self.stop_reason_seen
    }
}

fn bad_data(data: &str) -> ProviderError {
    let snippet: String = data.chars().take(80).collect();
    ProviderError::BadResponse {
        message: format!("the provider sent data pincer cannot read: `{snippet}`"),
    }
}

fn stream_error(v: &Value) -> ProviderError {
    let kind = v
        .pointer("/error/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = v
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or("unknown error")
        .to_string();
    match kind {
        "overloaded_error" | "api_error" => ProviderError::Server {
            status: 529,
            message: format!("Anthropic failed during the reply ({kind}): {message}"),
        },
        "rate_limit_error" => ProviderError::RateLimited {
            retry_after: None,
            message: format!("rate limited during the reply: {message}"),
        },
        _ => ProviderError::BadResponse {
            message: format!("Anthropic reported an error ({kind}): {message}"),
        },
    }
}

/// A whole (non-streamed) message.
pub(super) fn parse_full(text: &str) -> Result<Vec<StreamItem>, ProviderError> {
    let v: Value = serde_json::from_str(text).map_err(|_| bad_data(text))?;
    let blocks = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_data(text))?;
    let content: String = blocks
        .iter()
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    let mut items = vec![StreamItem::Text(content)];
    for b in blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
    {
        items.push(StreamItem::ToolCall(ToolCall {
            id: b
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            name: b
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            arguments: b
                .get("input")
                .map(Value::to_string)
                .unwrap_or_else(|| "{}".into()),
        }));
    }
    if let Some(usage) = v.get("usage") {
        items.push(StreamItem::Usage {
            input: usage.get("input_tokens").and_then(Value::as_u64),
            output: usage.get("output_tokens").and_then(Value::as_u64),
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(p: &mut Parser, event: &str, data: &str) -> Result<Vec<StreamItem>, ProviderError> {
        let mut out = VecDeque::new();
        let _ = p.on_event(
            &SseEvent {
                event: Some(event.into()),
                data: data.into(),
            },
            &mut out,
        )?;
        Ok(out.into())
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint("https://api.anthropic.com"),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:8089/v1/"),
            "http://127.0.0.1:8089/v1/messages"
        );
    }

    #[test]
    fn body_merges_roles_and_sets_system() {
        let req = ChatRequest {
            system: Some("sys".into()),
            messages: vec![
                ChatMessage::user("a"),
                ChatMessage::user("b"),
                ChatMessage::assistant("c"),
            ],
            tools: vec![],
        };
        let b = request_body("claude", 99, &req);
        assert_eq!(b["system"], "sys");
        assert_eq!(b["max_tokens"], 99);
        assert_eq!(b["messages"].as_array().unwrap().len(), 2);
        assert_eq!(b["messages"][0]["content"][1]["text"], "b");
    }

    #[test]
    fn body_carries_tool_use_and_results_in_user_turns() {
        let req = ChatRequest {
            system: None,
            messages: vec![
                ChatMessage::user("go"),
                ChatMessage::Assistant {
                    content: "looking".into(),
                    tool_calls: vec![
                        ToolCall {
                            id: "t1".into(),
                            name: "read_file".into(),
                            arguments: r#"{"path":"a"}"#.into(),
                        },
                        ToolCall {
                            id: "t2".into(),
                            name: "glob".into(),
                            arguments: "not json".into(),
                        },
                    ],
                },
                ChatMessage::ToolResult {
                    call_id: "t1".into(),
                    content: "x".into(),
                    is_error: false,
                },
                ChatMessage::ToolResult {
                    call_id: "t2".into(),
                    content: "bad".into(),
                    is_error: true,
                },
            ],
            tools: vec![crate::provider::ToolDef {
                name: "glob".into(),
                description: "d".into(),
                parameters: json!({"type":"object"}),
            }],
        };
        let b = request_body("claude", 10, &req);
        let msgs = b["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[1]["content"][1]["input"]["path"], "a");
        assert_eq!(msgs[1]["content"][2]["input"], json!({}));
        assert_eq!(msgs[2]["role"], "user");
        assert_eq!(msgs[2]["content"][1]["is_error"], true);
        assert_eq!(b["tools"][0]["input_schema"]["type"], "object");
    }

    #[test]
    fn assembles_tool_use_blocks() {
        let mut p = Parser::default();
        feed(&mut p, "content_block_start", r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"read_file","input":{}}}"#).unwrap();
        feed(&mut p, "content_block_delta", r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"path\": \"a"}}"#).unwrap();
        feed(&mut p, "content_block_delta", r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":".rs\"}"}}"#).unwrap();
        let out = feed(
            &mut p,
            "content_block_stop",
            r#"{"type":"content_block_stop","index":1}"#,
        )
        .unwrap();
        assert_eq!(
            out,
            vec![StreamItem::ToolCall(ToolCall {
                id: "toolu_1".into(),
                name: "read_file".into(),
                arguments: r#"{"path": "a.rs"}"#.into()
            })]
        );
    }

    #[test]
    fn parses_a_stream() {
        let mut p = Parser::default();
        let u = feed(
            &mut p,
            "message_start",
            r#"{"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}}"#,
        )
        .unwrap();
        assert_eq!(
            u,
            vec![StreamItem::Usage {
                input: Some(10),
                output: Some(1)
            }]
        );
        feed(&mut p, "ping", r#"{"type": "ping"}"#).unwrap();
        let t = feed(
            &mut p,
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
        )
        .unwrap();
        assert_eq!(t, vec![StreamItem::Text("Hi".into())]);
        feed(&mut p, "message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}"#).unwrap();
        assert!(p.whole_reply() && !p.complete());
        feed(&mut p, "message_stop", r#"{"type":"message_stop"}"#).unwrap();
        assert!(p.complete());
    }

    #[test]
    fn overloaded_is_retryable() {
        let mut p = Parser::default();
        let e = feed(
            &mut p,
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
        .unwrap_err();
        assert!(e.retryable());
    }

    #[test]
    fn odd_events_are_skipped_not_errors() {
        let mut p = Parser::default();
        let mut parsed = |event: &str, data: &str| {
            let ev = SseEvent {
                event: Some(event.into()),
                data: data.into(),
            };
            p.on_event(&ev, &mut VecDeque::new()).unwrap()
        };
        assert_eq!(parsed("x", "garbage"), Parsed::Skipped(Skip::NotJson));
        assert_eq!(parsed("ping", ""), Parsed::Skipped(Skip::Ping));
        assert_eq!(
            parsed("content_block_delta", ""),
            Parsed::Skipped(Skip::Empty)
        );
        assert_eq!(
            parsed("ping", r#"{"type": "ping"}"#),
            Parsed::Skipped(Skip::Ping)
        );
        assert_eq!(
            parsed("future_event", r#"{"type":"future_event"}"#),
            Parsed::Skipped(Skip::Unknown)
        );
        assert_eq!(parsed("x", "[DONE]"), Parsed::Skipped(Skip::NotJson));
        assert_eq!(
            parsed("message_stop", r#"{"type":"message_stop"}"#),
            Parsed::Marker
        );
    }
}
