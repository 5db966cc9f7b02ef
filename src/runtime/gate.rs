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
    /// own `mode`). The session's plan mode still holds: a server's mode changes how its
    /// tools are asked about, never lets them write while the user plans.
    pub fn decide_in(
        &self,
        call: &Prepared,
        taint: Option<&str>,
        mode: Option<ApprovalMode>,
    ) -> Verdict {
        policy::decide_with(
            &self.rules,
            self.effective_mode(mode),
            &self.facts(call),
            Tightening {
                protected: Some(&self.protected),
                taint,
            },
        )
    }

    /// The mode a call is decided in: its own (`mode`) unless the session plans.
    fn effective_mode(&self, mode: Option<ApprovalMode>) -> ApprovalMode {
        match mode {
            Some(m) if self.mode != ApprovalMode::Plan => m,
            _ => self.mode,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{CallSubject, SubjectKind};
    use crate::protocol::RiskLevel;

    const MODES: [ApprovalMode; 4] = [
        ApprovalMode::Plan,
        ApprovalMode::Ask,
        ApprovalMode::AutoEdit,
        ApprovalMode::Yolo,
    ];

    fn gate(mode: ApprovalMode, allow: &[&str]) -> Gate {
        let mut rules = RuleSet::new();
        for r in allow {
            if let Err(e) = rules.add_text(RuleList::Allow, r, "test") {
                panic!("{r}: {e}");
            }
        }
        Gate {
            rules,
            mode,
            sandbox_available: true,
            user_config: PathBuf::from("/nonexistent/config.toml"),
            protected: ProtectedPaths::new(std::path::Path::new("/ws")),
        }
    }

    fn call(tool: &str, risk: RiskLevel, kind: SubjectKind, text: &str) -> Prepared {
        Prepared {
            call_id: "c".into(),
            name: tool.into(),
            args: serde_json::Value::Null,
            summary: tool.into(),
            risk,
            subject: CallSubject::new(tool, kind, text),
            inside_workspace: true,
            suggested_rule: tool.into(),
            command: None,
        }
    }

    fn kind(v: &Verdict) -> &'static str {
        match v {
            Verdict::Allow { .. } => "allow",
            Verdict::Ask { .. } => "ask",
            Verdict::Deny { .. } => "deny",
        }
    }

    /// An MCP tool is decided like the built-in tool of its risk: a read-only one (trusted
    /// annotations) like `read_file`, any other like `web_fetch`; in every mode, with and
    /// without a rule naming it, tainted or not.
    #[test]
    fn mcp_calls_follow_the_decision_order_of_builtin_tools_of_their_risk() {
        let pairs = [
            (
                call(
                    "mcp__fx__echo",
                    RiskLevel::ReadOnly,
                    SubjectKind::Other,
                    "{}",
                ),
                call("read_file", RiskLevel::ReadOnly, SubjectKind::Path, "/ws/a"),
            ),
            (
                call(
                    "mcp__fx__echo",
                    RiskLevel::Network,
                    SubjectKind::Other,
                    "{}",
                ),
                call(
                    "web_fetch",
                    RiskLevel::Network,
                    SubjectKind::Url,
                    "https://a.example/",
                ),
            ),
        ];
        for mode in MODES {
            for (mcp, builtin) in &pairs {
                for ruled in [false, true] {
                    for taint in [None, Some("a web page")] {
                        let rules_mcp: &[&str] = if ruled { &["mcp__fx__*"] } else { &[] };
                        let rules_builtin: &[&str] = if ruled { &[&builtin.name] } else { &[] };
                        let m = gate(mode, rules_mcp).decide_in(mcp, taint, None);
                        let b = gate(mode, rules_builtin).decide(builtin, taint);
                        assert_eq!(
                            kind(&m),
                            kind(&b),
                            "{mode:?} {:?} rule {ruled} taint {taint:?}: {m:?} vs {b:?}",
                            mcp.risk
                        );
                    }
                }
            }
        }
    }

    /// A server's own `mode` decides its tools in place of the session's, except that the
    /// session's plan mode holds: no server mode lets a tool that is not read-only run.
    #[test]
    fn a_server_mode_never_lifts_the_sessions_plan_mode() {
        let write = call(
            "mcp__fx__push",
            RiskLevel::Network,
            SubjectKind::Other,
            "{}",
        );
        let read = call(
            "mcp__fx__peek",
            RiskLevel::ReadOnly,
            SubjectKind::Other,
            "{}",
        );
        for server in MODES {
            let planning = gate(ApprovalMode::Plan, &["mcp__fx__*"]);
            let v = planning.decide_in(&write, None, Some(server));
            assert!(
                matches!(&v, Verdict::Deny { by, .. } if by == "mode plan"),
                "server mode {server:?}: {v:?}"
            );
            let v = planning.decide_in(&read, None, Some(server));
            assert_eq!(kind(&v), "allow", "server mode {server:?}: {v:?}");
        }
        // Outside plan mode the server's mode is the one used, both ways.
        let asking = gate(ApprovalMode::Ask, &[]);
        let v = asking.decide_in(&write, None, Some(ApprovalMode::Yolo));
        assert_eq!(kind(&v), "allow", "{v:?}");
        let yolo = gate(ApprovalMode::Yolo, &[]);
        let v = yolo.decide_in(&write, None, Some(ApprovalMode::Ask));
        assert_eq!(kind(&v), "ask", "{v:?}");
        let v = yolo.decide_in(&write, None, Some(ApprovalMode::Plan));
        assert_eq!(kind(&v), "deny", "{v:?}");
    }
}
