//! The runtime's view of the approval policy: rules from config, project, flags and this
//! session, plus the mode and the paths pincer protects. Shared by the op loop (mode changes,
//! session changes) and turn tasks (decisions).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use super::RuntimeSettings;
use crate::policy::{
    self, CallFacts, ProtectedPaths, Rule, RuleList, RuleSet, Tightening, Verdict,
};
use crate::protocol::ApprovalMode;
use crate::tools::registry::Prepared;

/// The source name of rules granted with "this session".
const SESSION: &str = "session";

pub struct Gate {
    pub rules: RuleSet,
    pub mode: ApprovalMode,
    pub sandbox_available: bool,
    /// Where "always" rules are saved.
    pub user_config: PathBuf,
    /// pincer's own files: writes there always ask.
    pub protected: ProtectedPaths,
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

/// The paths writes to which always ask: pincer's configuration folder (config.toml with the
/// trust list, themes, user skills), the project's `.pincer/`, every skill root (whether or
/// not the project is trusted), installed skills and the memory folder (`<data>/memory`,
/// protected before it exists). The data folder is the database's folder.
pub fn protected_paths(s: &RuntimeSettings) -> ProtectedPaths {
    let mut p = ProtectedPaths::new(&s.workspace);
    if s.config_path.is_absolute() {
        match s.config_path.parent() {
            Some(dir) if dir.parent().is_some() => p.add("pincer's configuration", dir),
            _ => p.add("pincer's configuration", &s.config_path),
        }
    }
    p.add("the project's .pincer folder", &s.workspace.join(".pincer"));
    for dir in [".agents", ".claude"] {
        p.add("a skill folder", &s.workspace.join(dir).join("skills"));
    }
    if let Some(roots) = &s.skill_roots {
        for (_, dir) in roots.dirs() {
            p.add("a skill folder", &dir);
        }
    }
    if let Some(data) = s.database.as_deref().and_then(|d| d.parent()) {
        p.add("pincer's memory", &data.join("memory"));
        p.add("a skill folder", &data.join("installed_skills"));
    }
    p
}

impl Gate {
    /// `taint`: what untrusted content the turn has taken in, if any.
    pub fn decide(&self, call: &Prepared, taint: Option<&str>) -> Verdict {
        policy::decide_with(
            &self.rules,
            self.mode,
            &self.facts(call),
            Tightening {
                protected: Some(&self.protected),
                taint,
            },
        )
    }

    /// As [`Gate::decide`], in `mode` instead of the session's when given (an MCP server's
    /// own `mode`).
    pub fn decide_in(
        &self,
        call: &Prepared,
        taint: Option<&str>,
        mode: Option<ApprovalMode>,
    ) -> Verdict {
        policy::decide_with(
            &self.rules,
            mode.unwrap_or(self.mode),
            &self.facts(call),
            Tightening {
                protected: Some(&self.protected),
                taint,
            },
        )
    }

    fn facts<'a>(&self, call: &'a Prepared) -> CallFacts<'a> {
        CallFacts {
            subject: &call.subject,
            risk: call.risk,
            inside_workspace: call.inside_workspace,
            sandbox_available: self.sandbox_available,
        }
    }

    /// What protects the path this call writes to, if anything.
    pub fn protects(&self, call: &Prepared) -> Option<String> {
        policy::protected_write(Some(&self.protected), &self.facts(call)).map(str::to_string)
    }

    /// "Approve for this session": the rule holds until the session ends.
    pub fn allow_for_session(&mut self, text: &str) -> Result<(), String> {
        let rule = Rule::parse(text).map_err(|e| format!("rule `{text}`: {e}"))?;
        self.rules.add(RuleList::Allow, rule, SESSION);
        Ok(())
    }

    /// A new, resumed or forked session starts with no session grants.
    pub fn end_session(&mut self) {
        self.rules.remove_source(SESSION);
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
