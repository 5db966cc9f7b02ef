//! How session events change the UI: a (resumed) session configured, items another pincer
//! wrote, a busy session, the provider switched, compaction.

use super::app::{App, TurnState, display_model};
use super::cells::CellKind;
use super::tool_cell::ToolCell;
use super::user_cell::UserCell;
use crate::protocol::{
    Compacted, HistoryItem, NoticeLevel, PasteSpan, ProviderInfo, SessionBusy, SessionConfigured,
    SessionItemsAppended,
};

impl App {
    /// `Event::SessionConfigured`: a new or resumed session replaces everything shown.
    pub(super) fn on_session_configured(&mut self, configured: SessionConfigured) {
        self.session_id = configured.session_id;
        self.provider = configured.provider;
        self.transcript.clear();
        self.approvals.clear();
        self.user_items = forkable_user_items(&configured.history);
        self.context = None;
        self.push_history(configured.history);
        self.composer.set_history(configured.input_history);
        self.session_tokens = configured.session_tokens;
        self.session_tokens_estimated = false;
        self.last_turn = None;
        self.turn = TurnState::Idle;
        self.queued = 0;
    }

    /// `Event::ProviderChanged`.
    pub(super) fn on_provider_changed(&mut self, provider: ProviderInfo) {
        self.push_notice(
            NoticeLevel::Info,
            format!(
                "now using {} · {}",
                provider.profile,
                display_model(&provider.model)
            ),
        );
        self.provider = Some(provider);
        self.onboarding = None;
    }

    /// `Event::SessionItemsAppended`: what another pincer wrote, below a line saying so.
    pub(super) fn on_items_appended(&mut self, appended: SessionItemsAppended) {
        self.push_notice(
            NoticeLevel::Info,
            format!(
                "another pincer wrote to this session: {} item(s) loaded (below); the model sees them",
                appended.count
            ),
        );
        let forkable = forkable_user_items(&appended.items);
        self.user_items.extend(forkable);
        self.push_history(appended.items);
        self.transcript.end();
    }

    /// `Event::SessionDropped`: nothing of this conversation is stored or sent again.
    pub(super) fn on_session_dropped(&mut self) {
        self.session_id = None;
        self.user_items.clear();
        self.push_notice(
            NoticeLevel::Info,
            "nothing was stored: the message above never reached a model, and the next one starts afresh (Up brings it back)",
        );
    }

    /// `Event::SessionBusy`: waiting shows as a running turn, so Esc stops waiting.
    pub(super) fn on_session_busy(&mut self, busy: SessionBusy) {
        if !busy.waiting {
            self.queued = 0;
            self.turn = TurnState::Idle;
            return;
        }
        self.turn = TurnState::Thinking {
            since: self.clock.now(),
        };
        let who = busy
            .holder_pid
            .map_or_else(String::new, |pid| format!(" (pid {pid})"));
        self.push_notice(
            NoticeLevel::Info,
            format!(
                "this session is busy in another pincer{who}: your message is queued and runs when that turn ends (Esc stops waiting)"
            ),
        );
    }

    /// `Event::Compacted`: a marker; the summarised turns stay above it.
    pub(super) fn on_compacted(&mut self, compacted: Compacted) {
        self.transcript.push(CellKind::Compaction {
            headline: format!(
                "{} earlier messages summarised for the model ({} → {} tokens); they stay above",
                compacted.replaced_messages, compacted.tokens_before, compacted.tokens_after
            ),
            summary: compacted.summary,
            expanded: self.tools_expanded,
        });
    }

    /// Stored items as transcript cells (a resumed session, or items another pincer wrote).
    fn push_history(&mut self, history: Vec<HistoryItem>) {
        for item in history {
            let cell = history_cell(item, self.tools_expanded);
            self.transcript.push(cell);
        }
    }
}

/// The stored user messages a `/fork` can branch from: `(item id, text as shown)`.
fn forkable_user_items(history: &[HistoryItem]) -> Vec<(i64, String)> {
    history
        .iter()
        .filter_map(|h| match h {
            HistoryItem::User {
                text,
                item_id: Some(id),
                pastes,
            } => Some((*id, PasteSpan::fold(text, pastes))),
            _ => None,
        })
        .collect()
}

/// One stored item as the cell the live turn would have drawn.
fn history_cell(item: HistoryItem, expanded: bool) -> CellKind {
    match item {
        HistoryItem::User { text, pastes, .. } => {
            CellKind::User(UserCell::pasted(text, &pastes, expanded))
        }
        HistoryItem::Error { kind, message } => CellKind::Error { kind, message },
        HistoryItem::Compaction { summary } => CellKind::Compaction {
            headline: "older turns above were summarised for the model here".into(),
            summary,
            expanded,
        },
        HistoryItem::Assistant { text, interrupted } => CellKind::Assistant {
            turn_id: None,
            text,
            streaming: false,
            interrupted,
        },
        HistoryItem::Tool {
            call_id,
            tool,
            summary,
            status,
            decided_by,
            output,
            exit_code,
            duration_ms,
        } => CellKind::Tool(ToolCell {
            status: Some(status),
            decided_by,
            output,
            exit_code,
            duration_ms,
            expanded,
            ..ToolCell::started(call_id, tool, summary)
        }),
    }
}
