//! A run that never got an answer from a model leaves no session: when the turn whose message
//! created the session row fails (nothing listening, no model, the server refused) and only
//! the user's message and notices were stored, the row is deleted again and front ends are
//! told (`Event::SessionDropped`). The conversation starts over empty, like the store.

use super::Runtime;
use crate::protocol::{Event, SessionDropped, TurnOutcome};

impl Runtime {
    /// Called when a turn finishes, after its lease is released.
    pub(super) async fn drop_unanswered_session(&mut self, outcome: TurnOutcome) {
        let fresh = std::mem::take(&mut self.fresh_session);
        if !fresh || outcome != TurnOutcome::Failed {
            return;
        }
        let (Some(store), Some(id)) = (self.store.clone(), self.session_id.clone()) else {
            return;
        };
        let key = id.clone();
        let dropped = store
            .call(move |s| {
                if s.has_more_than_messages(&key)? {
                    return Ok(false);
                }
                s.delete_session(&key).map(|()| true)
            })
            .await;
        match dropped {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(%e, "an unanswered session could not be deleted");
                return;
            }
        }
        self.leave_session();
        self.session_id = None;
        self.conversation.clear();
        self.emit(Event::SessionDropped(SessionDropped { session_id: id }));
    }
}
