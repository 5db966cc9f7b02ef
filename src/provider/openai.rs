//! OpenAI-compatible Chat Completions (`POST {base}/chat/completions`, `stream: true`), with
//! native tool calling (`tools` / streamed `tool_calls` argument deltas).

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

use super::error::error_message;
use super::sse::SseEvent;
use super::{
    ChatMessage, ChatRequest, EventParser, Parsed, ProviderError, Skip, StreamItem, ToolCall,
};

pub(super) fn endpoint(base_url: &str) -> String {
    format!("{}/chat/completions", base_url.trim_end_matches('/'))
}

pub(super) fn request_body(model: &str, request: &ChatRequest) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = &request.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &request.messages {
        messages.push(match m {
            ChatMessage::User { content } => json!({"role": "user", "content": content}),
            ChatMessage::Assistant {
                content,
                tool_calls,
            } if tool_calls.is_empty() => {
                json!({"role": "assistant", "content": content})
            }
            ChatMessage::Assistant {
                content,
                tool_calls,
            } => {
                let calls: Vec<Value> = tool_calls
                    .iter()
                    .map(|c| {
                        json!({
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments},
                        })
                    })
                    .collect();
                let content = if content.is_empty() {
                    Value::Null
                } else {
                    json!(content)
                };
                json!({"role": "assistant", "content": content, "tool_calls": calls})
            }
            ChatMessage::ToolResult {
                call_id, content, ..
            } => json!({"role": "tool", "tool_call_id": call_id, "content": content}),
        });
    }
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                })
            })
            .collect();
    }
    body
}

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
pub(super) struct Parser {
    done: bool,
    finished: bool,
    /// Tool calls being assembled, by their `index`.
    calls: BTreeMap<u64, PartialCall>,
}

impl Parser {
    fn on_choice(&mut self, choice: &Value, out: &mut VecDeque<StreamItem>) {
        if let Some(text) = choice
            .pointer("/delta/content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            out.push_back(StreamItem::Text(text.to_string()));
        }
        if let Some(deltas) = choice
            .pointer("/delta/tool_calls")
            .and_then(Value::as_array)
        {
            for (pos, d) in deltas.iter().enumerate() {
                let index = d.get("index").and_then(Value::as_u64).unwrap_or(pos as u64);
                let call = self.calls.entry(index).or_default();
                if let Some(id) = d.get("id").and_then(Value::as_str) {
                    call.id = id.to_string();
                }
                if let Some(name) = d.pointer("/function/name").and_then(Value::as_str) {
                    call.name.push_str(name);
                }
                if let Some(args) = d.pointer("/function/arguments").and_then(Value::as_str) {
                    call.arguments.push_str(args);
                }
            }
        }
        if choice.get("finish_reason").is_some_and(|f| !f.is_null()) {
            self.finished = true;
            self.flush_calls(out);
        }
    }

    fn flush_calls(&mut self, out: &mut VecDeque<StreamItem>) {
        for (index, c) in std::mem::take(&mut self.calls) {
            out.push_back(StreamItem::ToolCall(ToolCall {
                id: if c.id.is_empty() {
                    format!("call_{index}")
                } else {
                    c.id
                },
                name: c.name,
                arguments: if c.arguments.trim().is_empty() {
                    "{}".into()
                } else {
                    c.arguments
                },
            }));
        }
    }
}

impl EventParser for Parser {
    fn on_event(
        &mut self,
        ev: &SseEvent,
        out: &mut VecDeque<StreamItem>,
    ) -> Result<Parsed, ProviderError> {
        let data = ev.data.trim();
        if data == "[DONE]" {
            self.flush_calls(out);
            self.done = true;
            return Ok(Parsed::Marker);
        }
        if data.is_empty() {
            return Ok(Parsed::Skipped(Skip::Empty));
        }
        let Ok(v) = serde_json::from_str::<Value>(data) else {
            return Ok(Parsed::Skipped(Skip::NotJson));
        };
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            return Err(in_stream_error(err, data));
        }
        let choice = v.pointer("/choices/0");
        let usage = v.get("usage").filter(|u| !u.is_null());
        if v.get("choices").is_none() && usage.is_none() {
            let ping = ev.event.as_deref() == Some("ping")
                || v.get("type").and_then(Value::as_str) == Some("ping");
            return Ok(Parsed::Skipped(if ping {
                Skip::Ping
            } else {
                Skip::Unknown
            }));
        }
        if let Some(choice) = choice {
            self.on_choice(choice, out);
        }
        if let Some(usage) = usage {
            out.push_back(StreamItem::Usage {
                input: usage.get("prompt_tokens").and_then(Value::as_u64),
                output: usage.get("completion_tokens").and_then(Value::as_u64),
            });
        }
        Ok(Parsed::Content)
    }

    fn complete(&self) -> bool {
        self.done
    }

    /// Servers that send `finish_reason` but close without `[DONE]` still gave a whole reply.
    fn whole_reply(&self) -> bool {
        self.finished || self.done
    }
}

fn bad_data(data: &str) -> ProviderError {
    let snippet: String = data.chars().take(80).collect();
    ProviderError::BadResponse {
        message: format!("the provider sent data pincer cannot read: `{snippet}`"),
    }
}

fn in_stream_error(err: &Value, raw: &str) -> ProviderError {
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| error_message(raw));
    let code = err.get("code").and_then(Value::as_u64).unwrap_or(0) as u16;
    let lower = message.to_ascii_lowercase();
    if code == 429 || lower.contains("rate limit") {
        ProviderError::RateLimited {
            retry_after: None,
            message: format!("rate limited during the reply: {message}"),
        }
    } else if code >= 500 || lower.contains("overloaded") {
        ProviderError::Server {
            status: code,
            message: format!("the provider failed during the reply: {message}"),
        }
    } else {
        ProviderError::BadResponse {
            message: format!("the provider reported an error: {message}"),
        }
    }
}

/// A whole (non-streamed) completion.
pub(super) fn parse_full(text: &str) -> Result<Vec<StreamItem>, ProviderError> {
    let v: Value = serde_json::from_str(text).map_err(|_| bad_data(text))?;
    let message = v
        .pointer("/choices/0/message")
        .ok_or_else(|| bad_data(text))?;
    let mut items = Vec::new();
    if let Some(content) = message.get("content").and_then(Value::as_str) {
        items.push(StreamItem::Text(content.to_string()));
    }
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        for (i, c) in calls.iter().enumerate() {
            items.push(StreamItem::ToolCall(ToolCall {
                id: c
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("call_{i}")),
                name: c
                    .pointer("/function/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                arguments: c
                    .pointer("/function/arguments")
                    .and_then(Value::as_str)
                    .unwrap_or("{}")
                    .to_string(),
            }));
        }
    }
    if items.is_empty() {
        return Err(bad_data(text));
    }
    if let Some(usage) = v.get("usage") {
        items.push(StreamItem::Usage {
            input: usage.get("prompt_tokens").and_then(Value::as_u64),
            output: usage.get("completion_tokens").and_then(Value::as_u64),
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ToolDef;

    fn feed(p: &mut Parser, data: &str) -> Result<Vec<StreamItem>, ProviderError> {
        let mut out = VecDeque::new();
        let _ = p.on_event(
            &SseEvent {
                event: None,
                data: data.into(),
            },
            &mut out,
        )?;
        Ok(out.into())
    }

    #[test]
    fn body_has_system_and_stream_options() {
        let req = ChatRequest {
            system: Some("be brief".into()),
            messages: vec![ChatMessage::user("hi")],
            tools: vec![],
        };
        let b = request_body("m", &req);
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["messages"][1]["content"], "hi");
        assert_eq!(b["stream"], true);
        assert_eq!(b["stream_options"]["include_usage"], true);
        assert!(b.get("tools").is_none());
        assert_eq!(endpoint("http://h/v1/"), "http://h/v1/chat/completions");
    }

    #[test]
    fn body_carries_tools_calls_and_results() {
        let req = ChatRequest {
            system: None,
            messages: vec![
                ChatMessage::user("list files"),
                ChatMessage::Assistant {
                    content: String::new(),
                    tool_calls: vec![ToolCall {
                        id: "c1".into(),
                        name: "list_dir".into(),
                        arguments: "{}".into(),
                    }],
                },
                ChatMessage::ToolResult {
                    call_id: "c1".into(),
                    content: "a.rs".into(),
                    is_error: false,
                },
            ],
            tools: vec![ToolDef {
                name: "list_dir".into(),
                description: "d".into(),
                parameters: json!({"type": "object"}),
            }],
        };
        let b = request_body("m", &req);
        assert_eq!(b["tools"][0]["function"]["name"], "list_dir");
        assert_eq!(b["messages"][1]["content"], Value::Null);
        assert_eq!(
            b["messages"][1]["tool_calls"][0]["function"]["arguments"],
            "{}"
        );
        assert_eq!(b["messages"][2]["role"], "tool");
        assert_eq!(b["messages"][2]["tool_call_id"], "c1");
    }

    #[test]
    fn parses_deltas_usage_and_done() {
        let mut p = Parser::default();
        assert_eq!(
            feed(&mut p, r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hé"},"finish_reason":null}]}"#).unwrap(),
            vec![StreamItem::Text("Hé".into())]
        );
        feed(
            &mut p,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        )
        .unwrap();
        assert!(p.whole_reply() && !p.complete());
        assert_eq!(
            feed(&mut p, r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}"#).unwrap(),
            vec![StreamItem::Usage { input: Some(3), output: Some(5) }]
        );
        feed(&mut p, "[DONE]").unwrap();
        assert!(p.complete());
    }

    #[test]
    fn assembles_streamed_tool_calls() {
        let mut p = Parser::default();
        feed(&mut p, r#"{"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"read_file","arguments":""}}]},"finish_reason":null}]}"#).unwrap();
        feed(&mut p, r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"pa"}}]},"finish_reason":null}]}"#).unwrap();
        feed(&mut p, r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","function":{"name":"list_dir","arguments":"{}"}}]},"finish_reason":null}]}"#).unwrap();
        feed(&mut p, r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"th\":\"a.rs\"}"}}]},"finish_reason":null}]}"#).unwrap();
        let out = feed(
            &mut p,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        )
        .unwrap();
        assert_eq!(
            out,
            vec![
                StreamItem::ToolCall(ToolCall {
                    id: "call_a".into(),
                    name: "read_file".into(),
                    arguments: r#"{"path":"a.rs"}"#.into()
                }),
                StreamItem::ToolCall(ToolCall {
                    id: "call_b".into(),
                    name: "list_dir".into(),
                    arguments: "{}".into()
                }),
            ]
        );
        assert!(feed(&mut p, "[DONE]").unwrap().is_empty(), "flushed once");
    }

    fn parsed(p: &mut Parser, event: Option<&str>, data: &str) -> Parsed {
        let ev = SseEvent {
            event: event.map(Into::into),
            data: data.into(),
        };
        p.on_event(&ev, &mut VecDeque::new()).unwrap()
    }

    #[test]
    fn odd_events_are_skipped_not_errors() {
        let mut p = Parser::default();
        assert_eq!(
            parsed(&mut p, None, "not json"),
            Parsed::Skipped(Skip::NotJson)
        );
        assert_eq!(parsed(&mut p, None, " "), Parsed::Skipped(Skip::Empty));
        assert_eq!(
            parsed(&mut p, None, r#"{"foo":1}"#),
            Parsed::Skipped(Skip::Unknown)
        );
        assert_eq!(parsed(&mut p, None, "42"), Parsed::Skipped(Skip::Unknown));
        assert_eq!(
            parsed(&mut p, Some("ping"), r#"{"type":"ping"}"#),
            Parsed::Skipped(Skip::Ping)
        );
        assert_eq!(
            parsed(&mut p, None, r#"{"choices":[],"error":null}"#),
            Parsed::Content
        );
        assert_eq!(parsed(&mut p, None, "[DONE]"), Parsed::Marker);
    }

    #[test]
    fn in_stream_errors() {
        let mut p = Parser::default();
        let e = feed(&mut p, r#"{"error":{"message":"Overloaded","code":503}}"#).unwrap_err();
        assert!(e.retryable());
    }

    #[test]
    fn full_reply() {
        let items = parse_full(r#"{"choices":[{"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#).unwrap();
        assert_eq!(items[0], StreamItem::Text("ok".into()));
        let items = parse_full(r#"{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"x","type":"function","function":{"name":"glob","arguments":"{}"}}]}}]}"#).unwrap();
        assert!(matches!(&items[0], StreamItem::ToolCall(c) if c.name == "glob"));
        assert!(parse_full("[]").is_err());
    }
}
