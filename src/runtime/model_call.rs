//! One model request: stream the reply, retry transient failures with backoff, stop on
//! interrupt. Text deltas go out as events as they arrive; tool calls are collected.

use crate::protocol::{AssistantDelta, Retrying};
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::reply_writer::ReplyWriter;
use crate::protocol::{ErrorKind, Event, TokenUsage};
use crate::provider::retry::RetryPolicy;
use crate::provider::{ChatRequest, ProviderClient, ProviderError, StreamItem, ToolCall};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    Completed,
    Interrupted,
    /// Failed after retries; an `Error` event was sent.
    Failed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelReply {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// Tool calls received before the reply was cut off: never run, only audited.
    pub unrun_calls: Vec<ToolCall>,
    pub usage: Option<TokenUsage>,
    pub outcome: CallOutcome,
    /// What the user was told when the call failed (kept in the session).
    pub error: Option<(ErrorKind, String)>,
    /// The last attempt's error when the call failed (the chain decides on failover with it).
    pub failure: Option<ProviderError>,
}

/// One attempt's result, shown to the caller's hook (the circuit breaker).
#[derive(Debug, Clone, Copy)]
pub enum Attempt<'a> {
    Succeeded,
    Failed(&'a ProviderError),
}

pub use crate::pipeline::estimate_tokens;

pub async fn call_model(
    client: &Arc<ProviderClient>,
    request: &ChatRequest,
    policy: RetryPolicy,
    cancel: &CancellationToken,
    events: &UnboundedSender<Event>,
    turn_id: u64,
    writer: &mut ReplyWriter,
) -> ModelReply {
    let call = Call {
        client,
        request,
        policy,
        cancel,
        events,
        turn_id,
    };
    let reply = call_model_with(call, writer, &mut |_| true).await;
    report_failure(events, &reply);
    reply
}

/// Tell the user a call failed for good (after retries and any failover).
pub fn report_failure(events: &UnboundedSender<Event>, reply: &ModelReply) {
    if let (Some((kind, message)), CallOutcome::Failed) = (&reply.error, reply.outcome) {
        let _ = events.send(Event::Error {
            kind: *kind,
            message: message.clone(),
            retryable: reply.failure.as_ref().is_some_and(|e| e.retryable()),
        });
    }
}

/// One request to one provider.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub client: &'a Arc<ProviderClient>,
    pub request: &'a ChatRequest,
    pub policy: RetryPolicy,
    pub cancel: &'a CancellationToken,
    pub events: &'a UnboundedSender<Event>,
    pub turn_id: u64,
}

/// [`call_model`] without reporting the final failure; `on_attempt` sees every attempt's
/// result and returns false to stop retrying (an opened circuit breaker).
pub async fn call_model_with(
    call: Call<'_>,
    writer: &mut ReplyWriter,
    on_attempt: &mut (dyn FnMut(Attempt<'_>) -> bool + Send),
) -> ModelReply {
    let Call {
        client,
        request,
        policy,
        cancel,
        events,
        turn_id,
    } = call;
    let mut reply = ModelReply {
        text: String::new(),
        tool_calls: Vec::new(),
        unrun_calls: Vec::new(),
        usage: None,
        outcome: CallOutcome::Completed,
        error: None,
        failure: None,
    };
    let mut usage_in: Option<u64> = None;
    let mut usage_out: Option<u64> = None;
    let mut retry = 0u32;
    loop {
        let attempt = async {
            let mut stream = client.stream(request).await?;
            while let Some(item) = stream.next().await {
                match item? {
                    StreamItem::Text(t) => {
                        let clean = crate::text::sanitize(&t).into_owned();
                        reply.text.push_str(&clean);
                        writer.text(&clean);
                        let _ = events.send(Event::AssistantDelta(AssistantDelta {
                            turn_id,
                            text: clean,
                        }));
                    }
                    StreamItem::Usage { input, output } => {
                        usage_in = input.or(usage_in);
                        usage_out = output.or(usage_out);
                    }
                    StreamItem::ToolCall(call) => reply.tool_calls.push(call),
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
                reply.outcome = CallOutcome::Interrupted;
                break;
            }
            Some(Ok(())) => {
                on_attempt(Attempt::Succeeded);
                break;
            }
            Some(Err(e)) => {
                retry += 1;
                let go_on = on_attempt(Attempt::Failed(&e));
                let delay = if e.retryable() && go_on && retry <= e.retry_cap(policy.max_retries) {
                    policy.delay(retry, e.retry_after())
                } else {
                    None
                };
                let Some(delay) = delay else {
                    tracing::warn!(%e, retry, "model call failed");
                    let tried = if retry > 1 {
                        format!(" (after {retry} attempts)")
                    } else {
                        String::new()
                    };
                    let message = format!("{e}{tried}");
                    reply.error = Some((e.kind(), message));
                    reply.failure = Some(e);
                    reply.outcome = CallOutcome::Failed;
                    break;
                };
                let discard_partial = !reply.text.is_empty();
                tracing::warn!(%e, retry, ?delay, discard_partial, "retrying");
                reply.text.clear();
                writer.reset();
                reply.tool_calls.clear();
                usage_in = None;
                usage_out = None;
                let _ = events.send(Event::Retrying(Retrying {
                    turn_id,
                    attempt: retry,
                    max_attempts: e.retry_cap(policy.max_retries),
                    delay_ms: delay.as_millis() as u64,
                    reason: e.to_string(),
                    discard_partial,
                }));
                tokio::select! {
                    _ = cancel.cancelled() => {
                        reply.outcome = CallOutcome::Interrupted;
                        break;
                    }
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    if reply.outcome != CallOutcome::Completed {
        // Half-received tool calls are never run (but audited).
        reply.unrun_calls = std::mem::take(&mut reply.tool_calls);
    }

    let output_estimate = || {
        estimate_tokens(
            reply.text.len()
                + reply
                    .tool_calls
                    .iter()
                    .map(|c| c.arguments.len())
                    .sum::<usize>(),
        )
    };
    if reply.outcome == CallOutcome::Failed {
        // A failed request's tokens (partial text of a broken stream included) never count
        // toward the session's total.
        reply.usage = None;
    } else if usage_in.is_some() || usage_out.is_some() {
        reply.usage = Some(TokenUsage {
            input_tokens: usage_in.unwrap_or(0),
            output_tokens: usage_out.unwrap_or_else(output_estimate),
            estimated: usage_in.is_none() || usage_out.is_none(),
        });
    } else {
        let input: usize = request.messages.iter().map(|m| m.text_len()).sum::<usize>()
            + request.system.as_deref().map(str::len).unwrap_or(0);
        reply.usage = Some(TokenUsage {
            input_tokens: estimate_tokens(input),
            output_tokens: output_estimate(),
            estimated: true,
        });
    }
    reply
}

/// Ask the server for its first model when a profile names none (local servers).
pub async fn resolve_model(
    client: &Arc<ProviderClient>,
    cancel: &CancellationToken,
    events: &UnboundedSender<Event>,
) -> Result<Option<Arc<ProviderClient>>, ()> {
    if !client.provider().model.is_empty() {
        return Ok(None);
    }
    let listed = tokio::select! {
        _ = cancel.cancelled() => return Err(()),
        listed = client.list_models() => listed,
    };
    match listed.map(|m| m.into_iter().next()) {
        Ok(Some(model)) => {
            let mut c = (**client).clone();
            c.set_model(model);
            let _ = events.send(Event::ProviderChanged {
                provider: c.provider().info(),
            });
            Ok(Some(Arc::new(c)))
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
            Err(())
        }
    }
}
