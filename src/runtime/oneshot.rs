//! One model call outside any session, through the provider chain (routing, breaker, retry,
//! failover), the way `extract.rs` asks: for `pincer task apply`'s forge.

use tokio_util::sync::CancellationToken;

use super::chain::Route;
use super::{Runtime, RuntimeSettings};
use crate::protocol::ModelTier;
use crate::provider::{ChatMessage, ChatRequest};

/// The reply text of one request (`system` + `messages`, no tools), or why there is none.
pub async fn ask_once(
    settings: RuntimeSettings,
    system: &str,
    messages: Vec<ChatMessage>,
) -> Result<String, String> {
    let (events, _ignored) = tokio::sync::mpsc::unbounded_channel();
    let mut rt = Runtime::new(settings, events);
    let current = rt.client()?;
    let retry = crate::provider::retry::RetryPolicy::from(&rt.settings.config.network);
    ask_chain(
        &rt.chain,
        &current,
        retry,
        system,
        messages,
        &CancellationToken::new(),
    )
    .await
}

/// One request through a runtime's own chain (the runtime's current client): `/task apply`'s
/// forge inside the TUI.
pub(super) async fn ask_chain(
    chain: &super::chain::ProviderChain,
    current: &std::sync::Arc<crate::provider::ProviderClient>,
    retry: crate::provider::retry::RetryPolicy,
    system: &str,
    messages: Vec<ChatMessage>,
    cancel: &CancellationToken,
) -> Result<String, String> {
    let request = ChatRequest {
        system: Some(system.into()),
        messages,
        tools: Vec::new(),
    };
    let mut route: Route = chain.route(ModelTier::Large);
    let (quiet, _unread) = tokio::sync::mpsc::unbounded_channel();
    let ask = super::chain::Ask {
        current,
        request: &request,
        retry,
        cancel,
        events: &quiet,
        turn_id: 0,
    };
    let mut writer = super::reply_writer::ReplyWriter::new(None, None);
    let reply = chain.ask(&mut route, ask, &mut writer).await;
    if reply.outcome != super::model_call::CallOutcome::Completed {
        return Err(reply
            .error
            .map(|(_, m)| m)
            .unwrap_or_else(|| "the model call did not complete".into()));
    }
    Ok(reply.text)
}
