//! "Press Ctrl+C again to quit": the arming a first Ctrl+C sets on an empty composer. It
//! expires after [`QUIT_ARM_WINDOW`]: the time is compared when the next key or event arrives,
//! and the loop wakes once at [`QuitArm::deadline`] (only while armed) to take the hint away.

use std::time::{Duration, Instant};

/// How long a first Ctrl+C keeps quitting armed.
pub const QUIT_ARM_WINDOW: Duration = Duration::from_secs(2);
/// The status hint while armed.
pub const QUIT_HINT: &str = "press Ctrl+C again to quit";

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct QuitArm {
    armed_at: Option<Instant>,
}

impl QuitArm {
    pub fn arm(&mut self, now: Instant) {
        self.armed_at = Some(now);
    }

    pub fn disarm(&mut self) {
        self.armed_at = None;
    }

    /// Armed and not yet expired at `now`.
    pub fn is_armed(&self, now: Instant) -> bool {
        self.armed_at
            .is_some_and(|at| now.saturating_duration_since(at) < QUIT_ARM_WINDOW)
    }

    /// Disarm (returning whether it was still armed at `now`): every key but a Ctrl+C ends it.
    pub fn take(&mut self, now: Instant) -> bool {
        let armed = self.is_armed(now);
        self.armed_at = None;
        armed
    }

    /// When a live arming expires (the loop wakes once then to take the hint away).
    pub fn deadline(&self) -> Option<Instant> {
        self.armed_at.map(|at| at + QUIT_ARM_WINDOW)
    }

    /// Armed once but expired by `now` (the hint should go).
    pub fn expired(&self, now: Instant) -> bool {
        self.armed_at.is_some() && !self.is_armed(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arming_expires_after_the_window() {
        let t0 = Instant::now();
        let mut arm = QuitArm::default();
        assert!(!arm.is_armed(t0));
        arm.arm(t0);
        assert!(arm.is_armed(t0 + Duration::from_millis(1999)));
        assert!(!arm.expired(t0 + Duration::from_millis(1999)));
        assert!(!arm.is_armed(t0 + QUIT_ARM_WINDOW));
        assert!(arm.expired(t0 + QUIT_ARM_WINDOW));
        assert!(!arm.take(t0 + Duration::from_secs(5)));
        assert!(
            !arm.expired(t0 + Duration::from_secs(5)),
            "taken: nothing left to expire"
        );
    }

    #[test]
    fn take_reports_a_live_arming_once() {
        let t0 = Instant::now();
        let mut arm = QuitArm::default();
        arm.arm(t0);
        assert!(arm.take(t0 + Duration::from_millis(10)));
        assert!(!arm.take(t0 + Duration::from_millis(20)));
    }

    #[test]
    fn a_clock_going_backwards_keeps_it_armed() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut arm = QuitArm::default();
        arm.arm(t0);
        assert!(arm.is_armed(t0 - Duration::from_secs(1)));
    }
}
