//! Model providers: OpenAI-compatible Chat Completions and Anthropic Messages, both streamed.
//!
//! [`ProviderClient::stream`] sends one request and returns a [`ReplyStream`] of text deltas and
//! usage. Retrying is the caller's job (the runtime reports each retry to the user); this module
//! only classifies failures into [`ProviderError`]s that say whether a retry makes sense.

mod anthropic;
pub mod catalog;
mod error;
mod openai;
pub mod probe;
pub mod retry;
pub mod sse;
mod stream;

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::StreamExt;

use crate::config::{NetworkConfig, ResolvedProvider};
use crate::protocol::ProviderKind;

pub use error::ProviderError;
use sse::SseEvent;
pub use stream::ReplyStream;

/// Largest non-streamed body pincer reads (error pages, JSON replies).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// One message of the conversation as the providers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatMessage {
    User {
        content: String,
    },
    Assistant {
        content: String,
        tool_calls: Vec<ToolCall>,
    },
    ToolResult {
        call_id: String,
        content: String,
        is_error: bool,
    },
}

impl ChatMessage {
    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage::User {
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> ChatMessage {
        ChatMessage::Assistant {
            content: content.into(),
            tool_calls: Vec::new(),
        }
    }

    /// The text a token estimate is based on.
    pub fn text_len(&self) -> usize {
        match self {
            ChatMessage::User { content } | ChatMessage::ToolResult { content, .. } => {
                content.len()
            }
            ChatMessage::Assistant {
                content,
                tool_calls,
            } => {
                content.len()
                    + tool_calls
                        .iter()
                        .map(|c| c.name.len() + c.arguments.len())
                        .sum::<usize>()
            }
        }
    }
}

/// A tool call as the model made it; `arguments` is the raw JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments.
    pub parameters: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatRequest {
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub tools: Vec<ToolDef>,
}

/// What a stream yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    Text(String),
    /// Token counts as far as the provider reported them so far.
    Usage {
        input: Option<u64>,
        output: Option<u64>,
    },
    /// A complete tool call (its arguments fully received).
    ToolCall(ToolCall),
}

/// What one SSE event was to a parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parsed {
    /// An event of the API (text, tool call, usage, start or finish of the message).
    Content,
    /// Only the end-of-stream marker (`[DONE]`, `message_stop`): not content by itself.
    Marker,
    /// Nothing pincer can use; skipped and logged.
    Skipped(Skip),
}

/// Why an event was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// `data:` with nothing in it.
    Empty,
    /// A keep-alive (`event: ping`, `{"type":"ping"}`).
    Ping,
    /// Data that is not JSON (an HTML error page, a stray line).
    NotJson,
    /// JSON of an event type this API parser does not know.
    Unknown,
}

/// Turns SSE events of one API into stream items.
trait EventParser: Send {
    fn on_event(
        &mut self,
        ev: &SseEvent,
        out: &mut VecDeque<StreamItem>,
    ) -> Result<Parsed, ProviderError>;
    /// True once the API's end marker was seen: stop reading.
    fn complete(&self) -> bool;
    /// True when the reply is whole even if the connection closes now.
    fn whole_reply(&self) -> bool;
}

#[derive(Clone)]
pub struct ProviderClient {
    http: reqwest::Client,
    provider: ResolvedProvider,
    network: NetworkConfig,
}

impl ProviderClient {
    pub fn new(provider: ResolvedProvider, network: NetworkConfig) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(network.connect_timeout_ms))
            .user_agent(concat!("pincer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Network {
                message: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(ProviderClient {
            http,
            provider,
            network,
        })
    }

    pub fn provider(&self) -> &ResolvedProvider {
        &self.provider
    }

    pub fn set_model(&mut self, model: String) {
        self.provider.model = model;
    }

    fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.network.stream_idle_timeout_ms.max(1))
    }

    /// Send the request; on success the reply streams from the returned value.
    pub async fn stream(&self, request: &ChatRequest) -> Result<ReplyStream, ProviderError> {
        let p = &self.provider;
        let (url, body, parser): (String, serde_json::Value, Box<dyn EventParser>) = match p.kind {
            ProviderKind::Openai => (
                openai::endpoint(&p.base_url),
                openai::request_body(&p.model, request),
                Box::new(openai::Parser::default()),
            ),
            ProviderKind::Anthropic => (
                anthropic::endpoint(&p.base_url),
                anthropic::request_body(&p.model, p.max_tokens, request),
                Box::new(anthropic::Parser::default()),
            ),
        };
        let mut builder = self
            .http
            .post(&url)
            .header("accept", "text/event-stream")
            .json(&body);
        builder = match (p.kind, &p.api_key) {
            (ProviderKind::Openai, Some(key)) => builder.bearer_auth(key),
            (ProviderKind::Anthropic, key) => {
                let b = builder.header("anthropic-version", "2023-06-01");
                match key {
                    Some(key) => b.header("x-api-key", key),
                    None => b,
                }
            }
            (ProviderKind::Openai, None) => builder,
        };
        tracing::debug!(%url, model = %p.model, messages = request.messages.len(), "sending request");
        let response = match tokio::time::timeout(self.idle_timeout(), builder.send()).await {
            Err(_) => {
                return Err(ProviderError::Stalled {
                    secs: self.idle_timeout().as_secs(),
                });
            }
            Ok(Err(e)) => return Err(error::from_reqwest(&e, &p.base_url)),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(retry::parse_retry_after);
            let text = read_capped(response, self.idle_timeout())
                .await
                .unwrap_or_default();
            return Err(error::from_status(status.as_u16(), &text, retry_after, p));
        }
        let is_json = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            // A server that ignores `stream: true` and answers in one piece.
            let text = read_capped(response, self.idle_timeout()).await?;
            let items = match p.kind {
                ProviderKind::Openai => openai::parse_full(&text)?,
                ProviderKind::Anthropic => anthropic::parse_full(&text)?,
            };
            return Ok(ReplyStream::finished_with(items, self.idle_timeout()));
        }
        let body = response
            .bytes_stream()
            .map(|chunk| chunk.map_err(|e| error::body_error(&e)));
        Ok(ReplyStream::new(
            Box::pin(body),
            parser,
            self.idle_timeout(),
        ))
    }

    /// Models the server offers (`GET {base}/models`); used when a profile names no model.
    pub async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let p = &self.provider;
        let url = match p.kind {
            ProviderKind::Openai => format!("{}/models", p.base_url),
            ProviderKind::Anthropic => format!("{}/models", anthropic::api_root(&p.base_url)),
        };
        let mut req = self.http.get(&url).timeout(Duration::from_secs(10));
        if let Some(key) = &p.api_key {
            req = match p.kind {
                ProviderKind::Openai => req.bearer_auth(key),
                ProviderKind::Anthropic => req
                    .header("x-api-key", key)
                    .header("anthropic-version", "2023-06-01"),
            };
        }
        let response = req
            .send()
            .await
            .map_err(|e| error::from_reqwest(&e, &p.base_url))?;
        let status = response.status().as_u16();
        let text = read_capped(response, Duration::from_secs(10)).await?;
        if !(200..300).contains(&status) {
            return Err(error::from_status(status, &text, None, p));
        }
        Ok(probe::model_ids(&text))
    }
}

async fn read_capped(response: reqwest::Response, idle: Duration) -> Result<String, ProviderError> {
    let mut body = response.bytes_stream();
    let mut buf = Vec::new();
    loop {
        match tokio::time::timeout(idle, body.next()).await {
            Err(_) => {
                return Err(ProviderError::Stalled {
                    secs: idle.as_secs(),
                });
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(error::body_error(&e)),
            Ok(Some(Ok(chunk))) => {
                let room = MAX_BODY_BYTES.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if room <= chunk.len() {
                    break;
                }
            }
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
