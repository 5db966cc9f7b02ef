//! Shell rules through the real `decide`, shared by the rule tests.

use pincer::policy::{CallFacts, CallSubject, RuleList, RuleSet, SubjectKind, Verdict, decide};
use pincer::protocol::{ApprovalMode, RiskLevel};

pub fn rules(deny: &[&str], allow: &[&str]) -> RuleSet {
    let mut set = RuleSet::new();
    for (list, texts) in [(RuleList::Deny, deny), (RuleList::Allow, allow)] {
        for text in texts {
            set.add_text(list, text, "test")
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    set
}

/// The verdict for a sandboxed shell call inside the workspace in `ask` mode.
pub fn verdict(rules: &RuleSet, command: &str) -> Verdict {
    let subject = CallSubject::new("shell", SubjectKind::Command, command);
    let facts = CallFacts {
        subject: &subject,
        risk: RiskLevel::Exec,
        inside_workspace: true,
        sandbox_available: true,
    };
    decide(rules, ApprovalMode::Ask, &facts)
}
