//! Automatic fixes (`[tasks] auto_fix = true`): after `task drift`, the smallest proposal of
//! each drift applies by itself when it is an artifact patch the policy allows (retries,
//! health-check timing, logging — never ports, mounts, privileges or anything destructive)
//! and the budget has room (`fixes::budget`: two per task per hour, a cool-down after each;
//! the budget is asked again before every fix, so one check never spends it twice). What a
//! fix changes is recorded in the state: a health check's tries in `tuning`, and its time in
//! `auto_fixes`.

use super::drift::{Drift, Proposal, Report};
use super::fixes::{self, Budget, FixKind, Touches};
use super::state::State;

/// Apply what may apply; how many fixes were applied. Proposals that were not applied get
/// the reason in `automatic`.
pub fn apply(report: &mut Report, state: &mut State, enabled: bool, now: u64) -> usize {
    let mut applied = 0;
    for drift in &mut report.drift {
        applied += usize::from(apply_one(drift, state, enabled, now));
    }
    applied
}

/// The first proposal of `drift` that may apply, applied; whether one was. The proposals
/// after it say why they were not.
fn apply_one(drift: &mut Drift, state: &mut State, enabled: bool, now: u64) -> bool {
    let mut done = false;
    for p in &mut drift.proposals {
        if done {
            p.automatic = Err("a smaller fix above was applied automatically".into());
            continue;
        }
        match decide(p, enabled, now, &state.auto_fixes) {
            Ok(()) => {
                patch(&drift.id, p.touches, state);
                state.auto_fixes.push(now);
                p.applied = true;
                p.automatic = Ok(());
                done = true;
            }
            Err(why) => p.automatic = Err(why),
        }
    }
    done
}

/// Whether `p` may apply now: an artifact patch, allowed by kind, within the budget.
fn decide(p: &Proposal, enabled: bool, now: u64, earlier: &[u64]) -> Result<(), String> {
    if p.kind != FixKind::ArtifactPatch && enabled {
        return Err(format!(
            "{:?} fixes are shown for you to apply; only artifact patches apply automatically",
            p.kind
        ));
    }
    match fixes::auto_apply(enabled, p.touches, now, earlier) {
        Budget::Allowed => Ok(()),
        Budget::Refused(why) => Err(why),
    }
}

/// The change itself. Health-check timing doubles the tries `task drift` gives the check;
/// logging and retries record that the fix was taken (the service's output is already kept
/// in `.pincer/run/ID.log`).
fn patch(id: &str, touches: Touches, state: &mut State) {
    let tuning = state.tuning.entry(id.to_string()).or_default();
    match touches {
        Touches::HealthCheckTiming | Touches::Retries => {
            let tries = tuning.get("retries").copied().unwrap_or(1).max(1);
            tuning.insert("retries".into(), (tries * 2).min(600));
        }
        Touches::Logging => {
            tuning.insert("keep_log".into(), 1);
        }
        // Never reached: `Touches::may_auto_apply` refuses the rest first.
        Touches::Reapply
        | Touches::Ports
        | Touches::Mounts
        | Touches::Privileges
        | Touches::Destructive => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::fixes::COOL_DOWN_SECS;

    fn proposal(kind: FixKind, touches: Touches) -> Proposal {
        Proposal {
            kind,
            touches,
            text: String::new(),
            automatic: Ok(()),
            applied: false,
        }
    }

    /// A drifted service (logging patch, then a port change) and a drifted http check.
    fn report() -> Report {
        Report {
            task: "web".into(),
            checked: 2,
            drift: vec![
                Drift {
                    id: "service.web".into(),
                    observed: "the service is not running".into(),
                    proposals: vec![
                        proposal(FixKind::CwChange, Touches::Ports),
                        proposal(FixKind::ArtifactPatch, Touches::Logging),
                    ],
                },
                Drift {
                    id: "http_check.home".into(),
                    observed: "does not answer".into(),
                    proposals: vec![
                        proposal(FixKind::ArtifactPatch, Touches::Ports),
                        proposal(FixKind::ArtifactPatch, Touches::HealthCheckTiming),
                    ],
                },
            ],
        }
    }

    fn applied(r: &Report) -> Vec<(String, Touches)> {
        r.drift
            .iter()
            .flat_map(|d| {
                d.proposals
                    .iter()
                    .filter(|p| p.applied)
                    .map(|p| (d.id.clone(), p.touches))
            })
            .collect()
    }

    #[test]
    fn off_by_default_nothing_applies() {
        let mut state = State::default();
        let mut r = report();
        assert_eq!(apply(&mut r, &mut state, false, 1_000_000), 0);
        assert!(state.auto_fixes.is_empty() && state.tuning.is_empty());
        assert!(
            r.drift[1].proposals[1]
                .automatic
                .as_ref()
                .is_err_and(|w| w.contains("off"))
        );
    }

    #[test]
    fn a_third_fix_within_the_hour_is_refused_and_ports_never_apply() {
        let mut state = State::default();
        let t0 = 1_000_000;

        // One check: the first allowed fix applies; the cool-down refuses a second at once.
        let mut r = report();
        assert_eq!(apply(&mut r, &mut state, true, t0), 1);
        assert_eq!(applied(&r), [("service.web".to_string(), Touches::Logging)]);
        let timing = &r.drift[1].proposals[1];
        assert!(
            !timing.applied
                && timing
                    .automatic
                    .as_ref()
                    .is_err_and(|w| w.contains("cooling")),
            "{timing:?}"
        );

        // After the cool-down, a second one.
        let t1 = t0 + COOL_DOWN_SECS;
        let mut r = report();
        r.drift.remove(0);
        assert_eq!(apply(&mut r, &mut state, true, t1), 1);
        assert_eq!(
            applied(&r),
            [("http_check.home".to_string(), Touches::HealthCheckTiming)]
        );
        assert_eq!(state.tuning["http_check.home"]["retries"], 2);

        // A third within the hour: refused, whatever the cool-down says.
        let t2 = t1 + COOL_DOWN_SECS + 1;
        let mut r = report();
        assert_eq!(apply(&mut r, &mut state, true, t2), 0);
        let why = r.drift[1].proposals[1].automatic.clone().unwrap_err();
        assert!(why.contains("2 automatic fixes in the last hour"), "{why}");
        assert_eq!(state.auto_fixes, [t0, t1]);

        // An hour later the budget has room again, and the next fix doubles the tries.
        let t3 = t0 + 3600 + COOL_DOWN_SECS;
        let mut r = report();
        r.drift.remove(0);
        assert_eq!(apply(&mut r, &mut state, true, t3), 1);
        assert_eq!(state.tuning["http_check.home"]["retries"], 4);

        // Ports were never applied, by any check, even as an "artifact patch".
        for t in [t0, t1, t2, t3, t3 + 10 * 3600] {
            let mut r = report();
            let mut fresh = State::default();
            apply(&mut r, &mut fresh, true, t);
            for d in &r.drift {
                for p in d.proposals.iter().filter(|p| p.touches == Touches::Ports) {
                    assert!(!p.applied, "{p:?}");
                    assert!(p.automatic.is_err(), "{p:?}");
                }
            }
        }
    }

    #[test]
    fn risky_touches_never_apply_even_with_budget() {
        for touches in [
            Touches::Ports,
            Touches::Mounts,
            Touches::Privileges,
            Touches::Destructive,
            Touches::Reapply,
        ] {
            let mut state = State::default();
            let mut r = Report {
                task: "t".into(),
                checked: 1,
                drift: vec![Drift {
                    id: "service.web".into(),
                    observed: String::new(),
                    proposals: vec![proposal(FixKind::ArtifactPatch, touches)],
                }],
            };
            assert_eq!(apply(&mut r, &mut state, true, 1_000_000), 0, "{touches:?}");
            assert!(state.auto_fixes.is_empty() && state.tuning.is_empty());
        }
    }
}
