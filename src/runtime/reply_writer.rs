//! Writes a streaming reply to the store as it grows, so a crash loses at most the last chunk.
//!
//! Text goes to a writer task over a channel; the task drains everything queued before each
//! write, so writes coalesce by size whenever the disk is slower than the stream (no timer).
//! Each write is one small INSERT of the new text (`Store::append_part`), never a rewrite of the
//! growing reply.

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::JoinHandle;

use super::storage::StoreHandle;
use crate::protocol::TokenUsage;
use crate::store::{ItemKind, StoreError};

enum Msg {
    Text(String),
    /// A retry discards the partial reply.
    Reset,
}

type Started = Result<Option<i64>, StoreError>;

pub struct ReplyWriter {
    target: Option<(StoreHandle, String)>,
    tx: Option<UnboundedSender<Msg>>,
    task: Option<JoinHandle<Started>>,
}

impl ReplyWriter {
    /// A writer for the session `session_id`; without a store or session it does nothing.
    pub fn new(store: Option<StoreHandle>, session_id: Option<String>) -> ReplyWriter {
        ReplyWriter {
            target: store.zip(session_id),
            tx: None,
            task: None,
        }
    }

    pub fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if self.tx.is_none() {
            let Some((store, session)) = self.target.clone() else {
                return;
            };
            let (tx, rx) = mpsc::unbounded_channel();
            self.tx = Some(tx);
            self.task = Some(tokio::spawn(write_parts(store, session, rx)));
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Text(text.to_string()));
        }
    }

    pub fn reset(&mut self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Reset);
        }
    }

    /// Store the whole reply as one finished item (replacing its parts).
    pub async fn finish(
        mut self,
        content: String,
        interrupted: bool,
        usage: Option<TokenUsage>,
    ) -> Result<(), StoreError> {
        let Some((store, session)) = self.target.take() else {
            return Ok(());
        };
        drop(self.tx.take());
        let started = match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| StoreError::Worker(e.to_string()))??,
            None => None,
        };
        store
            .call(move |s| match started {
                Some(item) => s.finish_item(item, &content, interrupted, usage),
                None => s
                    .append_item(&session, ItemKind::Assistant, &content, interrupted, usage)
                    .map(|_| ()),
            })
            .await
    }
}

async fn write_parts(
    store: StoreHandle,
    session: String,
    mut rx: mpsc::UnboundedReceiver<Msg>,
) -> Started {
    let mut item: Option<i64> = None;
    while let Some(first) = rx.recv().await {
        let mut batch = String::new();
        let mut reset = false;
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Text(t) => batch.push_str(&t),
                Msg::Reset => {
                    reset = true;
                    batch.clear();
                }
            }
            next = rx.try_recv().ok();
        }
        if reset && let Some(id) = item.take() {
            store.call(move |s| s.delete_item(id)).await?;
        }
        if batch.is_empty() {
            continue;
        }
        match item {
            Some(id) => store.call(move |s| s.append_part(id, &batch)).await?,
            None => {
                let session = session.clone();
                let id = store
                    .call(move |s| s.begin_item_with(&session, ItemKind::Assistant, &batch))
                    .await?;
                item = Some(id);
            }
        }
    }
    Ok(item)
}
