//! Where the TUI reads the time. The loop runs on the system clock; unit tests — and so every
//! snapshot — run on a frozen one, so no wall-clock value (an elapsed "0.1s", a "5m ago") can
//! differ between a quiet and a loaded machine.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    /// Time stands still at `at` (monotonic) and `wall_ms` (milliseconds since the epoch).
    Frozen {
        at: Instant,
        wall_ms: i64,
    },
}

/// 2026-11-01 00:00 UTC: the wall time of a frozen clock.
const FROZEN_WALL_MS: i64 = 1_793_491_200_000;

impl Clock {
    pub fn frozen() -> Clock {
        Clock::Frozen {
            at: Instant::now(),
            wall_ms: FROZEN_WALL_MS,
        }
    }

    pub fn now(&self) -> Instant {
        match self {
            Clock::System => Instant::now(),
            Clock::Frozen { at, .. } => *at,
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn wall_ms(&self) -> i64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            Clock::Frozen { wall_ms, .. } => *wall_ms,
        }
    }

    /// Time since `since`, zero if `since` is in the future.
    pub fn since(&self, since: Instant) -> Duration {
        self.now().saturating_duration_since(since)
    }
}

impl Default for Clock {
    fn default() -> Clock {
        if cfg!(test) {
            Clock::frozen()
        } else {
            Clock::System
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_stands_still() {
        let c = Clock::frozen();
        let a = c.now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(c.now(), a);
        assert_eq!(c.since(a), Duration::ZERO);
        assert_eq!(c.wall_ms(), FROZEN_WALL_MS);
    }

    #[test]
    fn the_system_clock_moves() {
        let c = Clock::System;
        let a = c.now();
        std::thread::sleep(Duration::from_millis(5));
        assert!(c.since(a) >= Duration::from_millis(5));
        assert!(c.wall_ms() > FROZEN_WALL_MS - 86_400_000 * 365);
    }
}
