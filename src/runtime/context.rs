//! The context window: how full it is, and compacting older turns (on demand or before a turn
//! that would overflow it).

use super::Runtime;
use super::compact::{self, StoredCompaction};
use crate::protocol::{Compacted, ContextUsage};
use crate::protocol::{Event, NoticeLevel};
use crate::provider::ChatMessage;
use crate::store::ItemKind;

const MODEL_SUMMARY_PROMPT: &str = "Summarise this conversation between a user and an \
    assistant so the assistant can continue without it. Use short sections: What was asked \
    (in order), Tools used and files touched, Decisions the user made, Current state, Open \
    questions. Keep names, paths, commands and numbers exact. Do not add anything new.";

/// Why compaction runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trigger {
    /// `/compact`.
    User,
    /// The next request would pass `[context] compact_at` of the window.
    Full,
}

impl Runtime {
    /// The model's context window in tokens (0 when no provider is configured).
    pub(super) fn window(&self) -> u64 {
        self.window_info().0
    }

    /// The system prompt (with the skills catalog) and the latest compaction summary.
    pub(super) fn system(&self) -> Option<String> {
        with_summary(self.base_system().as_deref(), self.summary.as_deref())
    }

    /// The system prompt without the compaction summary.
    pub(super) fn base_system(&self) -> Option<String> {
        self.planned_system()
    }

    /// Estimated tokens of the next request, or what the provider reported for the last one
    /// when that is larger.
    pub(super) fn context_used(&self) -> u64 {
        compact::estimate(self.system().as_deref(), &self.conversation).max(self.reported_context)
    }

    pub(super) fn emit_context_usage(&self) {
        let (window, window_source) = self.window_info();
        if window > 0 {
            self.emit(Event::ContextUsage(ContextUsage {
                used_tokens: self.context_used(),
                window_tokens: window,
                window_source,
            }));
        }
    }

    /// Compact when asked, or when the conversation passed the threshold.
    pub(super) async fn maybe_compact(&mut self, trigger: Trigger) {
        let window = self.window();
        let before = self.context_used();
        let cfg = self.settings.config.context.clone();
        if trigger == Trigger::Full && !over_threshold(before, window, cfg.compact_at) {
            return;
        }
        let base = self.base_system();
        let plan = compact::compact(self.summary.as_deref(), &self.conversation, cfg.keep_turns);
        let plan = match plan {
            Some(mut c) if trigger == Trigger::User && cfg.model_summary => {
                let old: Vec<ChatMessage> = self.conversation[..c.replaced].to_vec();
                if let Some(text) = self.model_summary(&old).await {
                    c.summary = text;
                }
                Some(c)
            }
            other => other,
        };
        let applied = plan.map(|c| {
            apply(
                base.as_deref(),
                &mut self.summary,
                &mut self.conversation,
                c,
                before,
            )
        });
        if let Some(Err(NotSmaller { before, after })) = applied {
            if trigger == Trigger::Full {
                tracing::debug!(before, after, "compaction would not shrink the context");
                return;
            }
            self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: format!(
                    "compacting would not make the context smaller (about {before} tokens now, {after} with the summary): kept the conversation as it is"
                ),
            });
            return;
        }
        let Some(Ok(stored)) = applied else {
            if trigger == Trigger::User {
                self.emit(Event::Notice {
                    level: NoticeLevel::Info,
                    message: format!(
                        "nothing to compact yet: the conversation is within the last {} turn(s) kept verbatim ([context] keep_turns)",
                        cfg.keep_turns
                    ),
                });
            } else {
                tracing::warn!(
                    before,
                    window,
                    "context nearly full but nothing older to compact"
                );
                if !std::mem::replace(&mut self.warned_full, true) {
                    self.emit(Event::Notice {
                        level: NoticeLevel::Warning,
                        message: format!(
                            "the context window is {}% full ({before} of {window} tokens) and the last {} turn(s) are kept whole, so nothing can be compacted; /new starts a fresh session, or lower [context] keep_turns",
                            before * 100 / window.max(1),
                            cfg.keep_turns
                        ),
                    });
                }
            }
            return;
        };
        if trigger == Trigger::Full {
            self.emit(full_notice(before, window));
        }
        self.reported_context = 0;
        self.persist(ItemKind::Compaction, &stored).await;
        self.emit(compacted_event(&stored));
        self.emit_context_usage();
    }

    /// `/compact` with `[context] model_summary = true`: the model summarises the older turns
    /// (no tools, nothing shown while it streams). `None` (and a notice) when that fails: the
    /// model-free summary is used instead.
    async fn model_summary(&mut self, old: &[ChatMessage]) -> Option<String> {
        let client = self.client().ok()?;
        self.emit(Event::Notice {
            level: NoticeLevel::Info,
            message: "asking the model to summarise the older turns…".into(),
        });
        let mut dump = String::new();
        if let Some(prev) = &self.summary {
            dump.push_str(prev);
            dump.push_str("\n\n");
        }
        for m in old {
            let (who, text) = match m {
                ChatMessage::User { content } => ("USER", content.as_str()),
                ChatMessage::Assistant { content, .. } => ("ASSISTANT", content.as_str()),
                ChatMessage::ToolResult { content, .. } => ("TOOL RESULT", content.as_str()),
            };
            let text: String = text.chars().take(4_000).collect();
            dump.push_str(&format!("{who}: {text}\n\n"));
            if dump.len() > 120_000 {
                dump.push_str("(the rest is left out)\n");
                break;
            }
        }
        let request = crate::provider::ChatRequest {
            system: Some(MODEL_SUMMARY_PROMPT.into()),
            messages: vec![ChatMessage::user(dump)],
            tools: Vec::new(),
        };
        let (quiet, _ignored) = tokio::sync::mpsc::unbounded_channel();
        let cancel = tokio_util::sync::CancellationToken::new();
        let mut writer = super::reply_writer::ReplyWriter::new(None, None);
        let reply = super::model_call::call_model(
            &client,
            &request,
            crate::provider::retry::RetryPolicy::from(&self.settings.config.network),
            &cancel,
            &quiet,
            0,
            &mut writer,
        )
        .await;
        let text = reply.text.trim();
        if reply.outcome != super::model_call::CallOutcome::Completed || text.is_empty() {
            self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: "the model could not write a summary; using pincer's own".into(),
            });
            return None;
        }
        Some(format!(
            "{} ({} messages, summarised by the model; the user can still see them).\n\n{text}",
            compact::SUMMARY_HEADER,
            old.len()
        ))
    }

    /// Store a JSON item in the current session (if one is stored).
    pub(super) async fn persist<T: serde::Serialize>(&mut self, kind: ItemKind, value: &T) {
        let (Some(store), Some(id)) = (self.store.clone(), self.session_id.clone()) else {
            return;
        };
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        if let Err(e) = store
            .call(move |s| s.append_item(&id, kind, &json, false, None))
            .await
        {
            self.storage_failed(e);
        }
    }
}

/// The system prompt followed by the compaction summary.
pub(super) fn with_summary(base: Option<&str>, summary: Option<&str>) -> Option<String> {
    match (base, summary) {
        (None, None) => None,
        (Some(b), None) => Some(b.to_string()),
        (None, Some(s)) => Some(s.to_string()),
        (Some(b), Some(s)) => Some(format!("{b}\n\n{s}")),
    }
}

pub(super) fn over_threshold(used: u64, window: u64, compact_at: f64) -> bool {
    window > 0 && used as f64 >= compact_at * window as f64
}

/// Replace the older turns of `conversation` by a summary (folding in the previous one).
/// `None` when there is nothing older than the kept turns.
pub(super) fn compact_conversation(
    base_system: Option<&str>,
    summary: &mut Option<String>,
    conversation: &mut Vec<ChatMessage>,
    keep_turns: usize,
    tokens_before: u64,
) -> Option<StoredCompaction> {
    let c = compact::compact(summary.as_deref(), conversation, keep_turns)?;
    apply(base_system, summary, conversation, c, tokens_before).ok()
}

/// A summary that would not make the request smaller than the turns it replaces (tiny older
/// turns, or a long model-written summary): the conversation is kept as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NotSmaller {
    pub(super) before: u64,
    pub(super) after: u64,
}

/// Put a planned compaction in place, unless it would not shrink the request.
fn apply(
    base_system: Option<&str>,
    summary: &mut Option<String>,
    conversation: &mut Vec<ChatMessage>,
    c: compact::Compaction,
    tokens_before: u64,
) -> Result<StoredCompaction, NotSmaller> {
    let estimate_now = compact::estimate(
        with_summary(base_system, summary.as_deref()).as_deref(),
        conversation,
    );
    let tokens_after = compact::estimate(
        with_summary(base_system, Some(&c.summary)).as_deref(),
        &c.kept,
    );
    if tokens_after >= estimate_now {
        return Err(NotSmaller {
            before: estimate_now,
            after: tokens_after,
        });
    }
    *conversation = c.kept;
    *summary = Some(c.summary.clone());
    Ok(StoredCompaction {
        summary: c.summary,
        kept_messages: conversation.len(),
        replaced_messages: c.replaced,
        tokens_before,
        tokens_after,
    })
}

pub(super) fn full_notice(before: u64, window: u64) -> Event {
    Event::Notice {
        level: NoticeLevel::Info,
        message: format!(
            "the context window is {}% full ({before} of {window} tokens): compacting older turns into a summary. Everything stays in the transcript above.",
            before * 100 / window.max(1)
        ),
    }
}

pub(super) fn compacted_event(c: &StoredCompaction) -> Event {
    Event::Compacted(Compacted {
        summary: c.summary.clone(),
        replaced_messages: c.replaced_messages,
        tokens_before: c.tokens_before,
        tokens_after: c.tokens_after,
    })
}
