//! web_fetch's redirect hops judged by the session's rules: a hop is followed only when the
//! gate would allow fetching its URL outright; private addresses only for hosts an allow rule
//! names explicitly.

use crate::policy::{self, CallFacts, CallSubject, RuleList, SubjectKind, Verdict};
use crate::protocol::RiskLevel;
use crate::tools::net_guard::HopPolicy;

use super::gate::SharedGate;

const TOOL: &str = "web_fetch";

impl HopPolicy for SharedGate {
    fn may_follow(&self, url: &str) -> Result<(), String> {
        let subject = CallSubject::new(TOOL, SubjectKind::Url, url);
        let gate = self.lock();
        let verdict = policy::decide(
            &gate.rules,
            gate.mode,
            &CallFacts {
                subject: &subject,
                risk: RiskLevel::ReadOnly,
                inside_workspace: true,
                sandbox_available: gate.sandbox_available,
            },
        );
        match verdict {
            Verdict::Allow { .. } => Ok(()),
            Verdict::Ask { reason } => Err(format!("it needs the user's approval ({reason})")),
            Verdict::Deny { reason, .. } => Err(format!("it is denied ({reason})")),
        }
    }

    fn names_host(&self, url: &str) -> bool {
        let subject = CallSubject::new(TOOL, SubjectKind::Url, url);
        let gate = self.lock();
        let denied = gate
            .rules
            .entries(RuleList::Deny)
            .iter()
            .any(|e| e.rule.matches_deny(&subject));
        !denied
            && gate.rules.entries(RuleList::Allow).iter().any(|e| {
                e.rule.tool() == TOOL
                    && e.rule.pattern().is_some_and(names_one_host)
                    && e.rule.matches_allow(&subject)
            })
    }
}

/// `domain:HOST` or a URL pattern whose host has no wildcard.
fn names_one_host(pattern: &str) -> bool {
    let host = match pattern.strip_prefix("domain:") {
        Some(d) => d,
        None => {
            let rest = pattern.split_once("://").map(|(_, r)| r).unwrap_or(pattern);
            rest.split(['/', '?', '#']).next().unwrap_or("")
        }
    };
    !host.is_empty() && !host.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_hosts() {
        assert!(names_one_host("domain:localhost"));
        assert!(names_one_host("http://127.0.0.1:8080/*"));
        assert!(!names_one_host("https://*/x"));
        assert!(!names_one_host("*"));
        assert!(!names_one_host("domain:*.internal"));
    }
}
