//! How the events of one turn change the UI: the user message, the reply as it streams,
//! retries and provider health, the turn's end.

use std::time::Duration;

use super::app::{App, INTERRUPTING, LastTurn, TurnState};
use super::cells::CellKind;
use super::user_cell::UserCell;
use crate::protocol::{
    AssistantDelta, AssistantMessageDone, HealthChange, NoticeLevel, ProviderHealth, Retrying,
    TurnFinished, TurnOutcome, UserMessage,
};

impl App {
    /// `Event::UserMessage`: a queued (or direct) message starts; it can be forked from.
    pub(super) fn on_user_message(&mut self, message: UserMessage) {
        self.queued = self.queued.saturating_sub(1);
        let cell = UserCell::pasted(message.text, &message.pastes, self.tools_expanded);
        if let Some(id) = message.item_id {
            self.user_items.push((id, cell.folded_text()));
        }
        self.transcript.push(CellKind::User(cell));
        self.transcript.end();
    }

    /// `Event::TurnStarted`.
    pub(super) fn on_turn_started(&mut self) {
        self.turn = TurnState::Thinking {
            since: self.clock.now(),
        };
    }

    /// `Event::AssistantDelta`: grows the streaming reply, or starts one.
    pub(super) fn on_assistant_delta(&mut self, delta: AssistantDelta) {
        if let TurnState::Thinking { since } = self.turn {
            self.turn = TurnState::Streaming { since };
        }
        match self.transcript.streaming_reply(delta.turn_id) {
            Some(cell) => {
                if let CellKind::Assistant { text, .. } = &mut cell.kind {
                    text.push_str(&delta.text);
                }
                cell.invalidate();
            }
            None => self.transcript.push(CellKind::Assistant {
                turn_id: Some(delta.turn_id),
                text: delta.text,
                streaming: true,
                interrupted: false,
            }),
        }
    }

    /// `Event::AssistantMessageDone`: the reply's final text replaces what streamed.
    pub(super) fn on_assistant_done(&mut self, done: AssistantMessageDone) {
        let kind = CellKind::Assistant {
            turn_id: Some(done.turn_id),
            text: done.text,
            streaming: false,
            interrupted: done.interrupted,
        };
        match self.transcript.streaming_reply(done.turn_id) {
            Some(cell) => {
                cell.kind = kind;
                cell.invalidate();
            }
            None => self.transcript.push(kind),
        }
    }

    /// `Event::Retrying`: the retry's reply starts over, so what streamed of the failed
    /// attempt goes.
    pub(super) fn on_retrying(&mut self, retry: Retrying) {
        self.transcript.remove_streaming_reply(retry.turn_id);
        if let Some(since) = self.turn.since() {
            self.turn = TurnState::Thinking { since };
        }
        let discarded = if retry.discard_partial {
            " (the partial reply was dropped)"
        } else {
            ""
        };
        self.push_notice(
            NoticeLevel::Warning,
            format!(
                "{} — retry {}/{} in {:.1} s{discarded}",
                retry.reason,
                retry.attempt,
                retry.max_attempts,
                retry.delay_ms as f64 / 1000.0
            ),
        );
    }

    /// `Event::ProviderHealth`: one line; the next profile or tier may start the reply over.
    pub(super) fn on_provider_health(&mut self, health: ProviderHealth) {
        if health.discard_partial {
            self.transcript.remove_streaming_reply(health.turn_id);
        }
        let level = match health.change {
            HealthChange::CacheHit { .. } | HealthChange::BreakerClosed => NoticeLevel::Info,
            _ => NoticeLevel::Warning,
        };
        self.push_notice(level, health.message);
    }

    /// `Event::TurnFinished`: idle again; the turn's tokens count toward the session.
    pub(super) fn on_turn_finished(&mut self, finished: TurnFinished) {
        self.transcript.remove_streaming_reply(finished.turn_id);
        self.turn = TurnState::Idle;
        self.conv.paths.invalidate();
        self.conv.interrupt_sent = false;
        // Requests of a finished turn can no longer be answered.
        self.approvals.clear();
        let tokens = finished.usage.map(|u| u.total());
        let estimated = finished.usage.is_some_and(|u| u.estimated);
        self.session_tokens += tokens.unwrap_or(0);
        self.session_tokens_estimated |= estimated;
        self.last_turn = Some(LastTurn {
            tokens,
            estimated,
            duration: Duration::from_millis(finished.duration_ms),
        });
        if finished.outcome == TurnOutcome::Interrupted
            && self.hint.as_deref() == Some(INTERRUPTING)
        {
            self.hint = None;
        }
    }
}
