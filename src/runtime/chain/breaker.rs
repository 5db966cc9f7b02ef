//! A circuit breaker per profile: closed → open after N transient failures in a row →
//! half-open once the cool-down has passed → closed after M successful probes (a failed probe
//! opens it again). Time is read from a [`Clock`] when a request comes — never by a timer, so
//! an idle process does no work.

use crate::config::BreakerConfig;

/// Milliseconds since the Unix epoch; injectable so tests never sleep.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> u64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock tests move by hand.
#[cfg(test)]
#[derive(Default)]
pub struct FakeClock(std::sync::atomic::AtomicU64);

#[cfg(test)]
impl FakeClock {
    pub fn at(ms: u64) -> std::sync::Arc<FakeClock> {
        std::sync::Arc::new(FakeClock(std::sync::atomic::AtomicU64::new(ms)))
    }

    pub fn advance_ms(&self, ms: u64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
impl Clock for FakeClock {
    fn now_ms(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed { failures: u32 },
    Open { since_ms: u64 },
    HalfOpen { successes: u32 },
}

/// May a request go to the profile now?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Yes,
    /// The breaker is open: skip the profile for this long.
    No {
        retry_in_ms: u64,
    },
}

/// A state change worth telling the user about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Opened { failures: u32 },
    HalfOpened,
    Closed,
}

#[derive(Debug, Clone)]
pub struct Breaker {
    config: BreakerConfig,
    state: State,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Breaker {
        Breaker {
            config,
            state: State::Closed { failures: 0 },
        }
    }

    #[cfg(test)]
    pub fn state(&self) -> State {
        self.state
    }

    fn cool_down_ms(&self) -> u64 {
        self.config.cool_down_secs.saturating_mul(1000)
    }

    /// Called when a request would go out: an open breaker whose cool-down has passed turns
    /// half-open here (the returned transition), and the request is its probe.
    pub fn admit(&mut self, now_ms: u64) -> (Admit, Option<Transition>) {
        match self.state {
            State::Open { since_ms } => {
                let waited = now_ms.saturating_sub(since_ms);
                if waited >= self.cool_down_ms() {
                    self.state = State::HalfOpen { successes: 0 };
                    (Admit::Yes, Some(Transition::HalfOpened))
                } else {
                    (
                        Admit::No {
                            retry_in_ms: self.cool_down_ms() - waited,
                        },
                        None,
                    )
                }
            }
            _ => (Admit::Yes, None),
        }
    }

    pub fn on_success(&mut self) -> Option<Transition> {
        match self.state {
            State::Closed { .. } => {
                self.state = State::Closed { failures: 0 };
                None
            }
            State::HalfOpen { successes } if successes + 1 >= self.config.probes => {
                self.state = State::Closed { failures: 0 };
                Some(Transition::Closed)
            }
            State::HalfOpen { successes } => {
                self.state = State::HalfOpen {
                    successes: successes + 1,
                };
                None
            }
            // A reply that was already on its way when the breaker opened: not a probe.
            State::Open { .. } => None,
        }
    }

    /// A transient failure (5xx, connect error, timeout, 429).
    pub fn on_failure(&mut self, now_ms: u64) -> Option<Transition> {
        match self.state {
            State::Closed { failures } if failures + 1 >= self.config.failures => {
                self.state = State::Open { since_ms: now_ms };
                Some(Transition::Opened {
                    failures: failures + 1,
                })
            }
            State::Closed { failures } => {
                self.state = State::Closed {
                    failures: failures + 1,
                };
                None
            }
            State::HalfOpen { .. } => {
                self.state = State::Open { since_ms: now_ms };
                Some(Transition::Opened { failures: 1 })
            }
            State::Open { .. } => None,
        }
    }

    /// Open: the current call should stop retrying this profile.
    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(failures: u32, cool_down_secs: u64, probes: u32) -> Breaker {
        Breaker::new(BreakerConfig {
            failures,
            cool_down_secs,
            probes,
        })
    }

    #[test]
    fn opens_after_n_consecutive_failures_only() {
        let clock = FakeClock::at(1_000);
        let mut b = breaker(3, 10, 1);
        assert_eq!(b.on_failure(clock.now_ms()), None);
        assert_eq!(b.on_failure(clock.now_ms()), None);
        assert_eq!(b.on_success(), None, "a success resets the count");
        assert_eq!(b.on_failure(clock.now_ms()), None);
        assert_eq!(b.on_failure(clock.now_ms()), None);
        assert_eq!(
            b.on_failure(clock.now_ms()),
            Some(Transition::Opened { failures: 3 })
        );
        assert!(b.is_open());
        assert_eq!(b.on_failure(clock.now_ms()), None, "already open");
    }

    #[test]
    fn open_rejects_until_cool_down_then_half_opens() {
        let clock = FakeClock::at(50_000);
        let mut b = breaker(1, 10, 1);
        b.on_failure(clock.now_ms());
        assert_eq!(
            b.admit(clock.now_ms()),
            (
                Admit::No {
                    retry_in_ms: 10_000
                },
                None
            )
        );
        clock.advance_ms(9_999);
        assert_eq!(
            b.admit(clock.now_ms()),
            (Admit::No { retry_in_ms: 1 }, None)
        );
        clock.advance_ms(1);
        assert_eq!(
            b.admit(clock.now_ms()),
            (Admit::Yes, Some(Transition::HalfOpened))
        );
        assert_eq!(b.state(), State::HalfOpen { successes: 0 });
    }

    #[test]
    fn closes_after_m_probes() {
        let clock = FakeClock::at(0);
        let mut b = breaker(1, 1, 3);
        b.on_failure(clock.now_ms());
        clock.advance_ms(1_000);
        assert_eq!(b.admit(clock.now_ms()).1, Some(Transition::HalfOpened));
        assert_eq!(b.on_success(), None);
        assert_eq!(
            b.admit(clock.now_ms()),
            (Admit::Yes, None),
            "probes go through"
        );
        assert_eq!(b.on_success(), None);
        assert_eq!(b.on_success(), Some(Transition::Closed));
        assert_eq!(b.state(), State::Closed { failures: 0 });
    }

    #[test]
    fn failed_probe_reopens_with_a_fresh_cool_down() {
        let clock = FakeClock::at(0);
        let mut b = breaker(2, 5, 2);
        b.on_failure(clock.now_ms());
        b.on_failure(clock.now_ms());
        clock.advance_ms(5_000);
        assert_eq!(b.admit(clock.now_ms()).1, Some(Transition::HalfOpened));
        assert_eq!(b.on_success(), None);
        assert_eq!(
            b.on_failure(clock.now_ms()),
            Some(Transition::Opened { failures: 1 }),
            "one failed probe is enough"
        );
        clock.advance_ms(4_999);
        assert!(matches!(b.admit(clock.now_ms()).0, Admit::No { .. }));
        clock.advance_ms(1);
        assert_eq!(b.admit(clock.now_ms()).0, Admit::Yes);
    }

    #[test]
    fn a_clock_going_backwards_keeps_it_open() {
        let clock = FakeClock::at(10_000);
        let mut b = breaker(1, 1, 1);
        b.on_failure(clock.now_ms());
        assert_eq!(
            b.admit(5_000),
            (Admit::No { retry_in_ms: 1_000 }, None),
            "no underflow, no early probe"
        );
    }
}
