//! Approval requests waiting for the user: the turn task waits on a oneshot, the op loop
//! answers it when `Op::ApprovalDecision` arrives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::protocol::ApprovalDecision;

#[derive(Clone, Default)]
pub struct Approvals {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    waiting: HashMap<u64, oneshot::Sender<ApprovalDecision>>,
}

impl Approvals {
    /// A new request id and the receiver its answer arrives on.
    pub fn register(&self) -> (u64, oneshot::Receiver<ApprovalDecision>) {
        let (tx, rx) = oneshot::channel();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.next_id += 1;
        let id = inner.next_id;
        inner.waiting.insert(id, tx);
        (id, rx)
    }

    /// Deliver the user's answer; false when no such request waits (answered or cancelled).
    pub fn resolve(&self, id: u64, decision: ApprovalDecision) -> bool {
        let sender = self
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiting
            .remove(&id);
        sender.is_some_and(|tx| tx.send(decision).is_ok())
    }

    /// Forget a request (its turn ended).
    pub fn forget(&self, id: u64) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiting
            .remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_reach_the_waiting_request_once() {
        let a = Approvals::default();
        let (id, rx) = a.register();
        assert!(a.resolve(id, ApprovalDecision::ApproveOnce));
        assert_eq!(rx.await.unwrap(), ApprovalDecision::ApproveOnce);
        assert!(!a.resolve(id, ApprovalDecision::ApproveOnce));
        let (id2, _rx) = a.register();
        assert_ne!(id, id2);
        a.forget(id2);
        assert!(!a.resolve(id2, ApprovalDecision::DenyAndStop));
    }
}
