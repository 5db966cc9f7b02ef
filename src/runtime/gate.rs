//! The runtime's view of the approval policy: rules from config, project, flags and this
//! session, plus the mode. Shared by the op loop (mode changes) and turn tasks (decisions).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::policy::{self, CallFacts, Rule, RuleList, RuleSet, Verdict};
use crate::protocol::ApprovalMode;
use crate::tools::registry::Prepared;

pub struct Gate {
    pub rules: RuleSet,
    pub mode: ApprovalMode,
    pub sandbox_available: bool,
    /// Where "always" rules are saved.
    pub user_config: PathBuf,
}

#[derive(Clone)]
pub struct SharedGate(Arc<Mutex<Gate>>);

impl SharedGate {
    pub fn new(gate: Gate) -> SharedGate {
        SharedGate(Arc::new(Mutex::new(gate)))
    }

    pub fn lock(&self) -> MutexGuard<'_, Gate> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Gate {
    pub fn decide(&self, call: &Prepared) -> Verdict {
        policy::decide(
            &self.rules,
            self.mode,
            &CallFacts {
                subject: &call.subject,
                risk: call.risk,
                inside_workspace: call.inside_workspace,
                sandbox_available: self.sandbox_available,
            },
        )
    }

    /// "Approve for this session": the rule holds until pincer exits.
    pub fn allow_for_session(&mut self, text: &str) -> Result<(), String> {
        let rule = Rule::parse(text).map_err(|e| format!("rule `{text}`: {e}"))?;
        self.rules.add(RuleList::Allow, rule, "session");
        Ok(())
    }

    /// "Always": save the rule to the user's config, then apply it now.
    pub fn allow_always(&mut self, text: &str) -> Result<(), String> {
        let rule = Rule::parse(text).map_err(|e| format!("rule `{text}`: {e}"))?;
        policy::save_rule(&self.user_config, RuleList::Allow, rule.text()).map_err(|e| {
            format!(
                "could not save `{}` to {}: {e}",
                rule.text(),
                self.user_config.display()
            )
        })?;
        self.rules.add(RuleList::Allow, rule, "user config");
        Ok(())
    }
}
