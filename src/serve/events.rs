//! One open session's event log for the event stream: `(id, JSON)` in order, bounded in bytes,
//! replayed to a client that reconnects with `Last-Event-ID`.
//!
//! Ids come from one service-wide counter seeded with the start time in microseconds, so they
//! grow across sessions, runtimes and service restarts: an id a client kept from an earlier
//! runtime (or an earlier service) is never mistaken for a newer event.
//!
//! Bounding: when the log is over its byte budget, the reply deltas of finished turns go
//! first (their turn's `assistant_message_done` carries the whole text), then the oldest
//! events. The latest `session_configured` (the transcript at open) is never dropped. A
//! client whose last id is older than what was dropped, or unknown, gets a `replay_gap` event
//! and the whole log again, starting with `session_configured`, so it rebuilds its view.

use crate::protocol::{AssistantDelta, TurnFinished};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::protocol::Event;

/// The default byte budget of one session's log.
pub const LOG_BUDGET_BYTES: usize = 4 * 1024 * 1024;

/// Service-wide event ids.
#[derive(Debug)]
pub struct EventIds(AtomicU64);

impl EventIds {
    /// Seeded with the wall clock in microseconds (a restart continues above the old ids).
    pub fn seeded() -> EventIds {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(1);
        EventIds(AtomicU64::new(micros))
    }

    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `session_configured`: kept always.
    Configured,
    /// `assistant_delta` of this turn: dropped first once the turn finished.
    Delta(u64),
    Other,
}

#[derive(Debug, Clone)]
struct Entry {
    id: u64,
    json: Arc<str>,
    kind: Kind,
}

/// What a client gets when it (re)connects.
#[derive(Debug, Default)]
pub struct Replay {
    /// Its last id is unknown or older than what the log still holds: rebuild from scratch.
    pub gap: bool,
    pub events: Vec<(u64, Arc<str>)>,
}

#[derive(Debug)]
pub struct EventLog {
    entries: VecDeque<Entry>,
    bytes: usize,
    budget: usize,
    /// Events with ids up to this one are gone (dropped, or before this log began).
    floor: u64,
    finished_turns: HashSet<u64>,
    /// The runtime stopped: no more events come.
    pub closed: bool,
}

impl EventLog {
    /// An empty log whose events will have ids above `floor`.
    pub fn new(floor: u64, budget: usize) -> EventLog {
        EventLog {
            entries: VecDeque::new(),
            bytes: 0,
            budget,
            floor,
            finished_turns: HashSet::new(),
            closed: false,
        }
    }

    /// The newest id (or the floor when empty).
    pub fn last_id(&self) -> u64 {
        self.entries.back().map_or(self.floor, |e| e.id)
    }

    /// Append a runtime event.
    pub fn push_event(&mut self, id: u64, event: &Event, json: Arc<str>) {
        let kind = match event {
            Event::SessionConfigured(_) => Kind::Configured,
            Event::AssistantDelta(AssistantDelta { turn_id, .. }) => Kind::Delta(*turn_id),
            Event::TurnFinished(TurnFinished { turn_id, .. }) => {
                self.finished_turns.insert(*turn_id);
                Kind::Other
            }
            _ => Kind::Other,
        };
        self.push(id, json, kind);
    }

    /// Append an event of the service itself (`approval_resolved`).
    pub fn push_notice(&mut self, id: u64, json: Arc<str>) {
        self.push(id, json, Kind::Other);
    }

    fn push(&mut self, id: u64, json: Arc<str>, kind: Kind) {
        self.bytes += json.len();
        self.entries.push_back(Entry { id, json, kind });
        self.shrink();
    }

    /// Drop what the budget cannot hold: finished turns' deltas, then the oldest events.
    fn shrink(&mut self) {
        if self.bytes <= self.budget {
            return;
        }
        let finished = &self.finished_turns;
        let mut freed = 0;
        self.entries.retain(|e| match e.kind {
            Kind::Delta(turn) if finished.contains(&turn) => {
                freed += e.json.len();
                false
            }
            _ => true,
        });
        self.bytes -= freed;
        while self.bytes > self.budget {
            let keep = self
                .entries
                .iter()
                .rposition(|e| e.kind == Kind::Configured);
            let newest = self.entries.len().saturating_sub(1);
            let Some(victim) = (0..newest).find(|&i| Some(i) != keep) else {
                break;
            };
            if let Some(e) = self.entries.remove(victim) {
                self.bytes -= e.json.len();
                self.floor = self.floor.max(e.id);
            }
        }
    }

    /// The events after `last_seen` (all of them for a new client).
    pub fn replay(&self, last_seen: Option<u64>) -> Replay {
        let all = || self.entries.iter().map(|e| (e.id, Arc::clone(&e.json)));
        match last_seen {
            None => Replay {
                gap: false,
                events: all().collect(),
            },
            Some(seen) if seen >= self.floor && seen <= self.last_id() => Replay {
                gap: false,
                events: all().filter(|(id, _)| *id > seen).collect(),
            },
            Some(_) => Replay {
                gap: true,
                events: all().collect(),
            },
        }
    }

    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{AssistantDelta, AssistantMessageDone, SessionConfigured, TurnFinished};

    fn configured() -> Event {
        Event::SessionConfigured(SessionConfigured {
            session_id: Some("s".into()),
            provider: None,
            history: Vec::new(),
            input_history: Vec::new(),
            session_tokens: 0,
        })
    }

    fn delta(turn: u64, text: &str) -> Event {
        Event::AssistantDelta(AssistantDelta {
            turn_id: turn,
            text: text.into(),
        })
    }

    fn push(log: &mut EventLog, id: u64, e: Event) {
        let json: Arc<str> = serde_json::to_string(&e).unwrap().into();
        log.push_event(id, &e, json);
    }

    fn ids(r: &Replay) -> Vec<u64> {
        r.events.iter().map(|(id, _)| *id).collect()
    }

    #[test]
    fn replay_after_an_id_gives_exactly_the_later_events() {
        let mut log = EventLog::new(100, LOG_BUDGET_BYTES);
        push(&mut log, 101, configured());
        for id in 102..110 {
            push(&mut log, id, delta(1, "x"));
        }
        assert_eq!(ids(&log.replay(None)), (101..110).collect::<Vec<_>>());
        let r = log.replay(Some(104));
        assert!(!r.gap);
        assert_eq!(ids(&r), (105..110).collect::<Vec<_>>());
        assert!(log.replay(Some(109)).events.is_empty());
    }

    #[test]
    fn unknown_or_dropped_ids_replay_everything_with_a_gap() {
        let mut log = EventLog::new(100, LOG_BUDGET_BYTES);
        push(&mut log, 101, configured());
        push(&mut log, 102, delta(1, "a"));
        for stale in [5, 99, 500] {
            let r = log.replay(Some(stale));
            assert!(r.gap, "{stale}");
            assert_eq!(ids(&r), vec![101, 102]);
        }
    }

    #[test]
    fn over_budget_finished_deltas_go_first_and_the_transcript_stays() {
        let mut log = EventLog::new(0, 2_000);
        push(&mut log, 1, configured());
        let mut id = 1;
        for turn in 1..=3u64 {
            id += 1;
            push(&mut log, id, Event::TurnStarted { turn_id: turn });
            for _ in 0..20 {
                id += 1;
                push(&mut log, id, delta(turn, "0123456789"));
            }
            id += 1;
            push(
                &mut log,
                id,
                Event::AssistantMessageDone(AssistantMessageDone {
                    turn_id: turn,
                    text: "whole".into(),
                    interrupted: false,
                }),
            );
            id += 1;
            push(
                &mut log,
                id,
                Event::TurnFinished(TurnFinished {
                    turn_id: turn,
                    outcome: crate::protocol::TurnOutcome::Completed,
                    usage: None,
                    duration_ms: 0,
                }),
            );
        }
        assert!(log.bytes() <= 2_000);
        let all = log.replay(None);
        let texts: Vec<&str> = all.events.iter().map(|(_, j)| &**j).collect();
        assert!(texts[0].contains("session_configured"));
        assert_eq!(
            texts
                .iter()
                .filter(|t| t.contains("assistant_message_done"))
                .count(),
            3,
            "every finished reply is still there: {texts:?}"
        );
        assert!(!log.replay(Some(1)).gap, "only covered deltas were dropped");
    }

    #[test]
    fn a_log_over_budget_even_without_deltas_keeps_configured_and_the_newest() {
        let mut log = EventLog::new(0, 600);
        push(&mut log, 1, configured());
        for id in 2..60 {
            push(
                &mut log,
                id,
                Event::Notice {
                    level: crate::protocol::NoticeLevel::Info,
                    message: "n".repeat(20),
                },
            );
        }
        assert!(log.bytes() <= 600);
        let r = log.replay(None);
        assert_eq!(r.events.first().map(|e| e.0), Some(1));
        assert_eq!(r.events.last().map(|e| e.0), Some(59));
        assert!(log.replay(Some(3)).gap, "dropped events are a gap");
        assert!(!log.replay(Some(58)).gap);
    }
}
