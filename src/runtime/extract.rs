//! `[memory] extract = true`: after a completed turn, one small model call (the small tier
//! when `[routing]` names one) proposes durable facts from the user's message and the reply.
//! Each new fact is appended to the project's memory with provenance "model", and the user
//! sees the usual memory notice (diff behind Ctrl+O, Alt+U undoes it).
//!
//! Off by default. Never runs while idle: only after a turn the user started. Never blocks a
//! turn: it runs as its own task and the next message cancels it. Nothing is learned from a
//! turn that took in untrusted content, a fact holding a secret is dropped, and a fact memory
//! already holds (a near-identical hit) is not written again.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Runtime;
use super::StoreHandle;
use super::chain::{Ask, ProviderChain, Route};
use crate::memory::edit::{WriteMode, WriteRequest};
use crate::memory::search::Query;
use crate::memory::service::MemoryService;
use crate::protocol::{Event, MemoryKind, MemoryProvenance, MemoryScope, ModelTier};
use crate::provider::{ChatMessage, ChatRequest, ProviderClient};

/// Facts written from one turn at most.
const MAX_FACTS: usize = 3;
/// A longer line is not a fact but prose.
const MAX_FACT_CHARS: usize = 240;
/// What of the user's message and the reply the extractor reads.
const EXCERPT_CHARS: usize = 4_000;
/// A hit this relevant means memory already holds the fact.
const DUPLICATE_RELEVANCE: f64 = 0.8;

const EXTRACT_PROMPT: &str = "You maintain a user's long-term memory. From the exchange below, \
list only durable facts worth remembering in later sessions: the user's stated preferences, \
decisions, names, and conventions of their project. Skip anything temporary, anything about this \
conversation itself, and anything the assistant merely suggested. Write each fact as one short \
sentence on its own line starting with \"- \". If there is nothing durable, reply NONE.";

/// Everything the extraction task needs, taken from the runtime when the turn finished.
struct Job {
    chain: Arc<ProviderChain>,
    current: Arc<ProviderClient>,
    memory: Arc<MemoryService>,
    store: StoreHandle,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
    retry: crate::provider::retry::RetryPolicy,
    exchange: String,
    cancel: CancellationToken,
}

impl Runtime {
    /// After a completed, untainted turn: start the extraction pass if it is on.
    pub(super) fn start_extraction(&mut self, conversation: &[ChatMessage]) {
        self.cancel_extraction();
        if !self.settings.config.memory.extract {
            return;
        }
        let (Some(memory), Some(store)) = (self.memory_service(), self.store.clone()) else {
            return;
        };
        let Some(exchange) = last_exchange(conversation) else {
            return;
        };
        let Ok(current) = self.client() else {
            return;
        };
        let cancel = CancellationToken::new();
        self.extraction = Some(cancel.clone());
        let job = Job {
            chain: Arc::clone(&self.chain),
            current,
            memory,
            store,
            events: self.events.clone(),
            retry: crate::provider::retry::RetryPolicy::from(&self.settings.config.network),
            exchange,
            cancel,
        };
        tokio::spawn(run(job));
    }

    /// A new message (or the end) stops a pass still running.
    pub(super) fn cancel_extraction(&mut self) {
        if let Some(cancel) = self.extraction.take() {
            cancel.cancel();
        }
    }
}

async fn run(job: Job) {
    let request = ChatRequest {
        system: Some(EXTRACT_PROMPT.into()),
        messages: vec![ChatMessage::user(job.exchange.clone())],
        tools: Vec::new(),
    };
    let (quiet, _ignored) = tokio::sync::mpsc::unbounded_channel();
    let mut route = Route {
        tier: Some(ModelTier::Small),
        // One call, no escalation: extraction is a convenience, never worth a large model.
        escalated: true,
    };
    let ask = Ask {
        current: &job.current,
        request: &request,
        retry: job.retry,
        cancel: &job.cancel,
        events: &quiet,
        turn_id: 0,
    };
    let mut writer = super::reply_writer::ReplyWriter::new(None, None);
    let reply = job.chain.ask(&mut route, ask, &mut writer).await;
    if job.cancel.is_cancelled() || reply.outcome != super::model_call::CallOutcome::Completed {
        tracing::info!(outcome = ?reply.outcome, "memory extraction: no proposal");
        return;
    }
    let facts = parse_facts(&reply.text);
    if facts.is_empty() {
        return;
    }
    let memory = job.memory;
    let written = job
        .store
        .call(move |s| Ok(write_new_facts(&memory, s, &facts)))
        .await;
    match written {
        Ok(changes) if !job.cancel.is_cancelled() || !changes.is_empty() => {
            for change in changes {
                let _ = job.events.send(Event::MemoryChanged(change));
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "memory extraction: writing failed"),
    }
}

/// Write each fact memory does not hold yet; the changes made.
fn write_new_facts(
    memory: &MemoryService,
    store: &crate::store::Store,
    facts: &[String],
) -> Vec<crate::protocol::MemoryChange> {
    let mut changes = Vec::new();
    for fact in facts {
        let mut q = Query::new(fact.as_str());
        q.k = 3;
        q.include_sessions = false;
        match memory.search(store, &q, None) {
            Ok(hits) if hits.iter().any(|h| h.relevance >= DUPLICATE_RELEVANCE) => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "memory extraction: search failed");
                continue;
            }
        }
        let req = WriteRequest {
            text: fact.clone(),
            mode: WriteMode::Append,
            scope: MemoryScope::Project,
            file: Some("learned.md".into()),
            kind: Some(MemoryKind::Semantic),
            target: None,
        };
        match memory.write(store, &req, MemoryProvenance::Model) {
            Ok((change, _id)) => changes.push(change),
            Err(e) => tracing::info!(error = %e, "memory extraction: a fact was not written"),
        }
    }
    changes
}

/// The last user message and the assistant's reply after it, as the extractor's input.
fn last_exchange(conversation: &[ChatMessage]) -> Option<String> {
    let user_at = conversation
        .iter()
        .rposition(|m| matches!(m, ChatMessage::User { .. }))?;
    let ChatMessage::User { content } = &conversation[user_at] else {
        return None;
    };
    let reply: String = conversation[user_at + 1..]
        .iter()
        .filter_map(|m| match m {
            ChatMessage::Assistant { content, .. } if !content.trim().is_empty() => {
                Some(content.as_str())
            }
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let user: String = content.chars().take(EXCERPT_CHARS).collect();
    let reply: String = reply.chars().take(EXCERPT_CHARS).collect();
    Some(format!("USER: {user}\n\nASSISTANT: {reply}"))
}

/// The proposal's facts: "- " lines, short, without secrets, at most [`MAX_FACTS`].
fn parse_facts(reply: &str) -> Vec<String> {
    let mut facts: Vec<String> = Vec::new();
    for line in reply.lines() {
        let Some(fact) = line
            .trim()
            .strip_prefix("- ")
            .or_else(|| line.trim().strip_prefix("* "))
        else {
            continue;
        };
        let fact = fact.trim();
        if fact.is_empty()
            || fact.eq_ignore_ascii_case("none")
            || fact.chars().count() > MAX_FACT_CHARS
            || crate::redact::contains_secret(fact)
            || facts.iter().any(|f| f.eq_ignore_ascii_case(fact))
        {
            continue;
        }
        facts.push(fact.to_string());
        if facts.len() == MAX_FACTS {
            break;
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_bullet_lines_short_unique_and_secret_free() {
        let reply = "Here is what I found:\n- The user prefers tabs.\n* The project uses Rust 2024.\n\
                     - the user prefers tabs.\n- OPENAI_API_KEY=sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\
                     - NONE\n- A fourth fact.\n- A fifth.";
        assert_eq!(
            parse_facts(reply),
            vec![
                "The user prefers tabs.",
                "The project uses Rust 2024.",
                "A fourth fact."
            ]
        );
        assert!(parse_facts("NONE").is_empty());
        let long = format!("- {}", "x".repeat(MAX_FACT_CHARS + 1));
        assert!(parse_facts(&long).is_empty());
    }

    #[test]
    fn the_exchange_is_the_last_message_and_its_replies() {
        let conv = vec![
            ChatMessage::user("old".to_string()),
            ChatMessage::user("I always use tabs".to_string()),
        ];
        let got = last_exchange(&conv).unwrap_or_default();
        assert!(got.starts_with("USER: I always use tabs"), "{got}");
        assert!(last_exchange(&[]).is_none());
    }
}
