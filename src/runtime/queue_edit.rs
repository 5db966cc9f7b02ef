//! The queue as the front end sees it: every queued message has an id; after each wake the
//! runtime sends `Event::Queue` when the queue differs from what it last sent (never while
//! nothing is queued and nothing was), and `Op::WithdrawQueued` takes one back before it runs.

use super::Runtime;
use super::queue::Queued;
use crate::protocol::{Event, NoticeLevel, PasteSpan, QueueState, QueuedMessage, WithdrawnMessage};

/// Ids for queued messages and the ids the front end was last told about.
#[derive(Debug, Default)]
pub(super) struct QueueIds {
    next: u64,
    shown: Vec<u64>,
}

impl QueueIds {
    pub(super) fn take(&mut self) -> u64 {
        self.next += 1;
        self.next
    }
}

/// What the queue view shows for this item: what the user typed, pastes folded.
fn shown(item: &Queued) -> String {
    match item {
        Queued::Message { text, pastes } => PasteSpan::fold(text, pastes),
        other => typed(other),
    }
}

/// What the user typed for this queued item.
fn typed(item: &Queued) -> String {
    match item {
        Queued::Message { text, .. } => text.clone(),
        Queued::Shell(command) => format!("!{command}"),
        Queued::Skill { shown, .. } => shown.clone(),
    }
}

impl Runtime {
    /// Send the queue when it changed since it was last sent.
    pub(super) fn emit_queue_if_changed(&mut self) {
        let ids: Vec<u64> = self.queue.iter().map(|(id, _)| *id).collect();
        if ids == self.queue_ids.shown {
            return;
        }
        let items = self
            .queue
            .iter()
            .map(|(id, item)| QueuedMessage {
                id: *id,
                text: shown(item),
            })
            .collect();
        self.queue_ids.shown = ids;
        self.emit(Event::Queue(QueueState { items }));
    }

    /// `Op::WithdrawQueued`: remove the message if it is still waiting.
    pub(super) fn withdraw_queued(&mut self, id: u64) {
        match self.queue.iter().position(|(i, _)| *i == id) {
            Some(pos) => {
                if let Some((id, item)) = self.queue.remove(pos) {
                    self.emit(Event::QueueWithdrawn(WithdrawnMessage {
                        id,
                        text: typed(&item),
                    }));
                }
            }
            None => self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: "that queued message already started, so it was not taken back".into(),
            }),
        }
    }
}
