//! One model turn: send the conversation, stream the reply, retry transient failures, stop on
//! interrupt. Runs as its own task so the runtime keeps answering ops meanwhile.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::protocol::{ErrorKind, Event, TokenUsage, TurnOutcome};
use crate::provider::retry::RetryPolicy;
use crate::provider::{ChatRequest, ProviderClient, ProviderError, StreamItem};

pub struct TurnInput {
    pub turn_id: u64,
    pub client: Arc<ProviderClient>,
    pub request: ChatRequest,
    pub policy: RetryPolicy,
    pub cancel: CancellationToken,
    pub events: UnboundedSender<Event>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TurnResult {
    pub text: String,
    pub outcome: TurnOutcome,
    pub usage: Option<TokenUsage>,
    /// Set when the profile named no model and the server's first model was chosen.
    pub resolved_model: Option<String>,
}

/// Rough token estimate for providers that report no usage: ~4 characters a token.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

pub async fn run(input: TurnInput) -> TurnResult {
    let TurnInput {
        turn_id,
        client,
        request,
        policy,
        cancel,
        events,
    } = input;
    let mut result = TurnResult {
        text: String::new(),
        outcome: TurnOutcome::Completed,
        usage: None,
        resolved_model: None,
    };

    // A profile without a model (local servers): ask the server which one it has.
    let mut client = client;
    if client.provider().model.is_empty() {
        let listed = tokio::select! {
            _ = cancel.cancelled() => {
                result.outcome = TurnOutcome::Interrupted;
                return result;
            }
            listed = client.list_models() => listed,
        };
        match listed.map(|m| m.into_iter().next()) {
            Ok(Some(model)) => {
                let mut c = (*client).clone();
                c.set_model(model.clone());
                let _ = events.send(Event::ProviderChanged {
                    provider: c.provider().info(),
                });
                client = Arc::new(c);
                result.resolved_model = Some(model);
            }
            other => {
                let why = match other {
                    Err(e) => e.to_string(),
                    _ => "it listed none".to_string(),
                };
                let profile = &client.provider().profile;
                let _ = events.send(Event::Error {
                    kind: ErrorKind::Config,
                    message: format!(
                        "profile `{profile}` names no model and the server did not offer one ({why}). Set model in [providers.{profile}] or start with --model NAME"
                    ),
                    retryable: false,
                });
                result.outcome = TurnOutcome::Failed;
                return result;
            }
        }
    }

    let mut usage_in: Option<u64> = None;
    let mut usage_out: Option<u64> = None;
    let mut retry = 0u32;
    loop {
        let attempt = async {
            let mut stream = client.stream(&request).await?;
            while let Some(item) = stream.next().await {
                match item? {
                    StreamItem::Text(t) => {
                        let clean = crate::text::sanitize(&t).into_owned();
                        result.text.push_str(&clean);
                        let _ = events.send(Event::AssistantDelta {
                            turn_id,
                            text: clean,
                        });
                    }
                    StreamItem::Usage { input, output } => {
                        usage_in = input.or(usage_in);
                        usage_out = output.or(usage_out);
                    }
                }
            }
            Ok::<(), ProviderError>(())
        };
        let outcome = tokio::select! {
            _ = cancel.cancelled() => None,
            r = attempt => Some(r),
        };
        match outcome {
            None => {
                result.outcome = TurnOutcome::Interrupted;
                break;
            }
            Some(Ok(())) => break,
            Some(Err(e)) => {
                retry += 1;
                let delay = if e.retryable() {
                    policy.delay(retry, e.retry_after())
                } else {
                    None
                };
                match delay {
                    Some(delay) => {
                        tracing::warn!(%e, retry, ?delay, "retrying");
                        result.text.clear();
                        usage_in = None;
                        usage_out = None;
                        let _ = events.send(Event::Retrying {
                            turn_id,
                            attempt: retry,
                            max_attempts: policy.max_retries,
                            delay_ms: delay.as_millis() as u64,
                            reason: e.to_string(),
                        });
                        tokio::select! {
                            _ = cancel.cancelled() => {
                                result.outcome = TurnOutcome::Interrupted;
                                break;
                            }
                            _ = tokio::time::sleep(delay) => {}
                        }
                    }
                    None => {
                        tracing::warn!(%e, retry, "turn failed");
                        let tried = if retry > 1 {
                            format!(" (after {} attempts)", retry)
                        } else {
                            String::new()
                        };
                        let _ = events.send(Event::Error {
                            kind: e.kind(),
                            message: format!("{e}{tried}"),
                            retryable: e.retryable(),
                        });
                        result.outcome = TurnOutcome::Failed;
                        break;
                    }
                }
            }
        }
    }

    if usage_in.is_some() || usage_out.is_some() {
        result.usage = Some(TokenUsage {
            input_tokens: usage_in.unwrap_or(0),
            output_tokens: usage_out.unwrap_or_else(|| estimate_tokens(&result.text)),
            estimated: usage_in.is_none() || usage_out.is_none(),
        });
    } else if result.outcome != TurnOutcome::Failed || !result.text.is_empty() {
        let input: u64 = request
            .messages
            .iter()
            .map(|m| estimate_tokens(&m.content))
            .sum::<u64>()
            + request.system.as_deref().map(estimate_tokens).unwrap_or(0);
        result.usage = Some(TokenUsage {
            input_tokens: input,
            output_tokens: estimate_tokens(&result.text),
            estimated: true,
        });
    }
    result
}
