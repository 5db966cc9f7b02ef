//! Anthropic Messages (`POST {base}/v1/messages`, `stream: true`).

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::sse::SseEvent;
use super::{ChatRequest, EventParser, ProviderError, StreamItem};
use crate::protocol::Role;

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
    // The API wants alternating roles starting with a user turn: merge neighbours of one role.
    let mut messages: Vec<(Role, String)> = Vec::with_capacity(request.messages.len());
    for m in request.messages.iter().filter(|m| !m.content.is_empty()) {
        match messages.last_mut() {
            Some((role, text)) if *role == m.role => {
                text.push_str("\n\n");
                text.push_str(&m.content);
            }
            _ => messages.push((m.role, m.content.clone())),
        }
    }
    if messages.first().is_some_and(|(r, _)| *r == Role::Assistant) {
        messages.insert(0, (Role::User, "(continuing)".into()));
    }
    let messages: Vec<Value> = messages
        .into_iter()
        .map(|(role, text)| {
            let role = match role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({"role": role, "content": text})
        })
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
    body
}

#[derive(Default)]
pub(super) struct Parser {
    stopped: bool,
    stop_reason_seen: bool,
}

impl EventParser for Parser {
    fn on_event(
        &mut self,
        ev: &SseEvent,
        out: &mut VecDeque<StreamItem>,
    ) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        let v: Value = serde_json::from_str(data).map_err(|_| bad_data(data))?;
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
            "content_block_delta" => {
                let text = v.pointer("/delta/text").and_then(Value::as_str);
                if v.pointer("/delta/type").and_then(Value::as_str) == Some("text_delta")
                    && let Some(text) = text.filter(|t| !t.is_empty())
                {
                    out.push_back(StreamItem::Text(text.to_string()));
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
            "message_stop" => self.stopped = true,
            "error" => return Err(stream_error(&v)),
            "ping" | "content_block_start" | "content_block_stop" => {}
            _ => {} // new event types are ignored, as the API asks
        }
        Ok(())
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
    use crate::provider::ChatMessage;

    fn feed(p: &mut Parser, event: &str, data: &str) -> Result<Vec<StreamItem>, ProviderError> {
        let mut out = VecDeque::new();
        p.on_event(
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
        let m = |role, c: &str| ChatMessage {
            role,
            content: c.into(),
        };
        let req = ChatRequest {
            system: Some("sys".into()),
            messages: vec![
                m(Role::User, "a"),
                m(Role::User, "b"),
                m(Role::Assistant, "c"),
            ],
        };
        let b = request_body("claude", 99, &req);
        assert_eq!(b["system"], "sys");
        assert_eq!(b["max_tokens"], 99);
        assert_eq!(b["messages"].as_array().unwrap().len(), 2);
        assert_eq!(b["messages"][0]["content"], "a\n\nb");
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
        assert!(feed(&mut p, "x", "garbage").is_err());
    }
}
