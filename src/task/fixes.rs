//! The fix policy: which proposals may apply without asking, and the budget — at most two
//! automatic fixes per task per hour, with a cool-down after each. The clock is injected.

use serde::Serialize;

/// Automatic fixes allowed per task in one hour.
pub const MAX_PER_HOUR: usize = 2;
/// After an automatic fix, the next one waits this long.
pub const COOL_DOWN_SECS: u64 = 10 * 60;
const HOUR: u64 = 3600;

/// How a drift is fixed, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixKind {
    /// Change only a generated artifact (retries, health-check timing, logging).
    ArtifactPatch,
    /// Change the `.cw` file (shown as a diff to approve).
    CwChange,
    /// Something for the user to do by hand: the change is risky.
    Runbook,
}

/// What a fix touches: decides whether it may ever apply by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Touches {
    Retries,
    HealthCheckTiming,
    Logging,
    /// Re-running the resource's own step (recreate a missing file, restart a service).
    Reapply,
    Ports,
    Mounts,
    Privileges,
    Destructive,
}

impl Touches {
    /// Only retries, health-check timing and logging may ever apply automatically.
    pub fn may_auto_apply(self) -> bool {
        matches!(
            self,
            Touches::Retries | Touches::HealthCheckTiming | Touches::Logging
        )
    }
}

/// The budget's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Budget {
    Allowed,
    Refused(String),
}

/// Whether one more automatic fix may apply at `now` (unix seconds), given the times of the
/// earlier ones.
pub fn budget(now: u64, earlier: &[u64]) -> Budget {
    let in_hour = earlier
        .iter()
        .filter(|&&t| now.saturating_sub(t) < HOUR)
        .count();
    if in_hour >= MAX_PER_HOUR {
        return Budget::Refused(format!(
            "{in_hour} automatic fixes in the last hour (at most {MAX_PER_HOUR}); apply it yourself with `pincer task apply`"
        ));
    }
    if let Some(last) = earlier.iter().max()
        && now.saturating_sub(*last) < COOL_DOWN_SECS
    {
        return Budget::Refused(format!(
            "cooling down after the last automatic fix ({} s ago, {COOL_DOWN_SECS} s needed)",
            now.saturating_sub(*last)
        ));
    }
    Budget::Allowed
}

/// Whether a fix applies without asking: enabled by the user, allowed by kind, within budget.
pub fn auto_apply(enabled: bool, touches: Touches, now: u64, earlier: &[u64]) -> Budget {
    if !enabled {
        return Budget::Refused("automatic fixes are off".into());
    }
    if !touches.may_auto_apply() {
        return Budget::Refused(format!(
            "{touches:?} changes never apply automatically; review and apply them yourself"
        ));
    }
    budget(now, earlier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_third_automatic_fix_in_an_hour_is_refused() {
        let t0 = 1_000_000;
        let mut done = Vec::new();
        assert_eq!(
            auto_apply(true, Touches::Retries, t0, &done),
            Budget::Allowed
        );
        done.push(t0);
        // Inside the cool-down: refused, whatever the count.
        assert!(matches!(budget(t0 + 60, &done), Budget::Refused(w) if w.contains("cooling")));
        let t1 = t0 + COOL_DOWN_SECS;
        assert_eq!(
            auto_apply(true, Touches::Logging, t1, &done),
            Budget::Allowed
        );
        done.push(t1);
        let t2 = t1 + COOL_DOWN_SECS + 1;
        assert!(t2 - t0 < HOUR);
        match auto_apply(true, Touches::HealthCheckTiming, t2, &done) {
            Budget::Refused(why) => assert!(why.contains("2 automatic fixes"), "{why}"),
            Budget::Allowed => unreachable!("a third fix within the hour"),
        }
        // An hour after the first, one slot is free again.
        assert_eq!(budget(t0 + HOUR, &done), Budget::Allowed);
    }

    #[test]
    fn risky_kinds_never_apply_automatically() {
        for t in [
            Touches::Ports,
            Touches::Mounts,
            Touches::Privileges,
            Touches::Destructive,
            Touches::Reapply,
        ] {
            assert!(
                matches!(auto_apply(true, t, 0, &[]), Budget::Refused(_)),
                "{t:?}"
            );
        }
        assert!(matches!(
            auto_apply(false, Touches::Retries, 0, &[]),
            Budget::Refused(_)
        ));
    }
}
