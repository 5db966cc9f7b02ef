//! OpenAI-compatible Chat Completions (`POST {base}/chat/completions`, `stream: true`).

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::error::error_message;
use super::sse::SseEvent;
use super::{ChatRequest, EventParser, ProviderError, StreamItem};
use crate::protocol::Role;

pub(super) fn endpoint(base_url: &str) -> String {
    format!("{}/chat/completions", base_url.trim_end_matches('/'))
}

pub(super) fn request_body(model: &str, request: &ChatRequest) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = &request.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    for m in &request.messages {
        let role = match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        messages.push(json!({"role": role, "content": m.content}));
    }
    json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    })
}

#[derive(Default)]
pub(super) struct Parser {
    done: bool,
    finished: bool,
}

impl EventParser for Parser {
    fn on_event(
        &mut self,
        ev: &SseEvent,
        out: &mut VecDeque<StreamItem>,
    ) -> Result<(), ProviderError> {
        let data = ev.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let v: Value = serde_json::from_str(data).map_err(|_| bad_data(data))?;
        if let Some(err) = v.get("error") {
            return Err(in_stream_error(err, data));
        }
        if let Some(choice) = v.pointer("/choices/0") {
            if let Some(text) = choice
                .pointer("/delta/content")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                out.push_back(StreamItem::Text(text.to_string()));
            }
            if choice.get("finish_reason").is_some_and(|f| !f.is_null()) {
                self.finished = true;
            }
        } else if v.get("choices").is_none() && v.get("usage").is_none() {
            return Err(bad_data(data));
        }
        if let Some(usage) = v.get("usage").filter(|u| !u.is_null()) {
            out.push_back(StreamItem::Usage {
                input: usage.get("prompt_tokens").and_then(Value::as_u64),
                output: usage.get("completion_tokens").and_then(Value::as_u64),
            });
        }
        Ok(())
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
    let content = v
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_data(text))?;
    let mut items = vec![StreamItem::Text(content.to_string())];
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
    use crate::provider::ChatMessage;

    fn feed(p: &mut Parser, data: &str) -> Result<Vec<StreamItem>, ProviderError> {
        let mut out = VecDeque::new();
        p.on_event(
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
            messages: vec![ChatMessage {
                role: Role::User,
                content: "hi".into(),
            }],
        };
        let b = request_body("m", &req);
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["messages"][1]["content"], "hi");
        assert_eq!(b["stream"], true);
        assert_eq!(b["stream_options"]["include_usage"], true);
        assert_eq!(endpoint("http://h/v1/"), "http://h/v1/chat/completions");
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
    fn garbage_and_errors() {
        let mut p = Parser::default();
        assert!(matches!(
            feed(&mut p, "not json"),
            Err(ProviderError::BadResponse { .. })
        ));
        assert!(matches!(
            feed(&mut p, r#"{"foo":1}"#),
            Err(ProviderError::BadResponse { .. })
        ));
        let e = feed(&mut p, r#"{"error":{"message":"Overloaded","code":503}}"#).unwrap_err();
        assert!(e.retryable());
    }

    #[test]
    fn full_reply() {
        let items = parse_full(r#"{"choices":[{"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#).unwrap();
        assert_eq!(items[0], StreamItem::Text("ok".into()));
        assert!(parse_full("[]").is_err());
    }
}
