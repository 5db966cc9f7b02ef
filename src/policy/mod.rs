//! The approval gate: every tool call the model makes is checked here before it runs.
//!
//! # Rules
//!
//! A rule is `TOOL` (any arguments) or `TOOL: PATTERN`; `TOOL` is a tool name or `*` (every
//! tool). Rules live in three lists — deny, ask, allow — and each remembers where it came from
//! (`user config`, `project config`, `--allow`, `session`). What `PATTERN` is matched against
//! depends on the call's [`CallSubject`]:
//!
//! - **Command** (`shell`): `*` matches anything (spaces and `/` too), `?` one character, `\*`,
//!   `\?`, `\\` are literal, everything else is literal (`[`, `{` are *not* special: shell
//!   commands are full of them). Whitespace runs are collapsed and ends trimmed on both sides.
//!   The command line is parsed ([`shell`]: quotes, substitutions, pipelines, lists, subshells,
//!   groups, redirections, assignments) into the simple commands it runs, and wrappers are
//!   unwrapped (`env`, `nice`, `timeout`, `nohup`, `sudo`, `xargs`, `sh -c`, `find -exec`, …);
//!   flags of common destructive commands are compared as sets (`rm -rf` = `rm -r -f` =
//!   `rm --recursive --force`).
//!   - an **allow/ask** rule matches when every command the line runs matches it (as written
//!     or unwrapped through a wrapper that keeps program lookup and privileges), none has a
//!     redirection, and the line parsed with certainty (no expansions, here-documents, control
//!     structures, `eval`, …). A word-final `*` keeps a word boundary: `git status*` matches
//!     `git status -s`, not `git statusx`. A pattern spelling out control syntax
//!     (`shell: make && make test*`) is matched against the whole line (its wildcards never
//!     match control syntax), and a pattern without wildcards equal to the line (the exact
//!     line the user approved) matches it whatever it holds. In [`decide`], different allow
//!     rules may cover different commands of one line, and an ask rule asks when it matches
//!     any one command of the line.
//!   - a **deny** rule matches when the whole line, any command in any of its forms (also past
//!     `sudo`, assignments, program directories, `git -C/-c`), or any segment of a quote-unaware
//!     split matches; `*` has no word boundary there.
//! - **Path** (`read_file`, `write_file`, `edit_file`, `list_dir`, `glob`, `grep`): a glob
//!   (`*` stays in one component, `**` crosses) over the path as given (workspace-relative, or
//!   absolute when outside), after lexical clean-up (`./`, `//`, `..`). A pattern also matches
//!   everything beneath it: `src`, `src/` and `src/**` are the same rule.
//! - **Url** (`web_fetch`): `domain:HOST` matches the host and its subdomains (case-insensitive;
//!   port and userinfo ignored). Any other pattern is a glob (`*` stays in one path component)
//!   over the canonical URL `scheme://host[:port]/path?query#fragment` without userinfo.
//! - **Other**: a glob over the text.
//!
//! `*` and unknown tools compile the pattern for every kind and use the one the call has.
//!
//! # Decision order ([`decide`])
//!
//! 1. A **deny** rule matches → deny.
//! 2. **Plan** mode and the call is not read-only → deny.
//! 3. An **ask** rule matches → ask.
//! 4. An **allow** rule matches → allow. For a path outside the workspace only a rule naming a
//!    tool (not `*`) with an absolute pattern counts; a relative pattern or a bare `TOOL` never
//!    allows an outside path (nor any other call flagged outside the workspace).
//! 5. The call touches a path **outside the workspace** → ask, whatever the mode (even yolo).
//! 6. A shell command (or any exec-risk call) and **no sandbox** → ask, whatever the mode.
//! 7. The **mode** decides: plan and ask allow read-only calls; auto-edit allows read-only and
//!    write calls; yolo allows everything; the rest asks.
//!
//! [`decide_with`] tightens this order (the runtime always uses it):
//!
//! - **Protected paths** ([`ProtectedPaths`]: pincer's configuration folder — config.toml with
//!   the trust list, themes, user skills —, the project's `.pincer/`, every skill root,
//!   installed skills, the memory folder): a write there asks in every mode, yolo included
//!   (step 5b), and at step 4 only an allow rule that *names* the path counts — a named tool,
//!   no wildcard, a pattern at or beneath a protected root. Headless runs deny what asks.
//! - **Memory writes** (`memory_write`, `memory_forget`; `memory.rs`): after step
//!   3 a tainted turn asks, an allow rule allows, and otherwise they run in ask, auto-edit and
//!   yolo mode (the notice with undo is the safeguard); the workspace and protected-path steps
//!   do not apply to them.
//! - A **tainted turn** (it took in a web page, a file outside the workspace, output of a
//!   shell command with network, an installed skill's text): after step 3 a write to a
//!   protected path or outside the workspace asks whatever the rules say (3b), and an exec or
//!   network call that only the mode would allow asks (7).

mod command;
mod memory;
mod path;
mod rule;
pub mod save;
mod shell;
mod suggest;
mod url;

#[cfg(test)]
mod decide_tests;
#[cfg(test)]
mod memory_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tighten_tests;

use crate::protocol::{ApprovalMode, RiskLevel};

pub use memory::{MEMORY_WRITE_TOOLS, is_memory_write};
pub use path::ProtectedPaths;
pub use rule::{KNOWN_TOOLS, NETWORK_SHELL, Rule, RuleError, check_known_tool, tool_subject_kind};
pub use save::{SaveError, save_list_entry, save_rule};
pub use suggest::rule_covers;
pub use suggest::suggest_rule;

/// What a call's arguments are about, as far as rules are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// A shell command line.
    Command,
    /// A file or directory path (workspace-relative, or absolute when outside).
    Path,
    Url,
    Other,
}

/// The part of a tool call that rules match (computed by the tool layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSubject {
    pub tool: String,
    pub kind: SubjectKind,
    pub text: String,
}

impl CallSubject {
    pub fn new(tool: impl Into<String>, kind: SubjectKind, text: impl Into<String>) -> Self {
        CallSubject {
            tool: tool.into(),
            kind,
            text: text.into(),
        }
    }
}

/// Which list a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleList {
    Deny,
    Ask,
    Allow,
}

impl RuleList {
    /// The config key: `deny`, `ask` or `allow`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleList::Deny => "deny",
            RuleList::Ask => "ask",
            RuleList::Allow => "allow",
        }
    }
}

/// A rule and where it came from (`user config`, `project config`, `--allow`, `session`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEntry {
    pub rule: Rule,
    pub source: String,
}

impl RuleEntry {
    fn describe(&self) -> String {
        format!("{} ({})", self.rule.text(), self.source)
    }
}

/// The deny, ask and allow lists.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    deny: Vec<RuleEntry>,
    ask: Vec<RuleEntry>,
    allow: Vec<RuleEntry>,
}

impl RuleSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `rule` to `list`. A rule with the same text already in that list is kept (with
    /// its first source) and the new one dropped.
    pub fn add(&mut self, list: RuleList, rule: Rule, source: &str) {
        let entries = self.list_mut(list);
        if entries.iter().any(|e| e.rule.text() == rule.text()) {
            return;
        }
        entries.push(RuleEntry {
            rule,
            source: source.to_string(),
        });
    }

    /// Parses `text` and adds it (see [`RuleSet::add`]).
    pub fn add_text(&mut self, list: RuleList, text: &str, source: &str) -> Result<(), RuleError> {
        let rule = Rule::parse(text)?;
        self.add(list, rule, source);
        Ok(())
    }

    /// Rules in all three lists.
    pub fn len(&self) -> usize {
        self.deny.len() + self.ask.len() + self.allow.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One list, in the order rules were added.
    pub fn entries(&self, list: RuleList) -> &[RuleEntry] {
        match list {
            RuleList::Deny => &self.deny,
            RuleList::Ask => &self.ask,
            RuleList::Allow => &self.allow,
        }
    }

    /// Drops every rule from `source` (e.g. the `session` rules when a new session starts).
    pub fn remove_source(&mut self, source: &str) {
        for list in [&mut self.deny, &mut self.ask, &mut self.allow] {
            list.retain(|e| e.source != source);
        }
    }

    fn list_mut(&mut self, list: RuleList) -> &mut Vec<RuleEntry> {
        match list {
            RuleList::Deny => &mut self.deny,
            RuleList::Ask => &mut self.ask,
            RuleList::Allow => &mut self.allow,
        }
    }
}

/// Everything [`decide`] needs to know about one call.
#[derive(Debug, Clone, Copy)]
pub struct CallFacts<'a> {
    pub subject: &'a CallSubject,
    pub risk: RiskLevel,
    /// False when the call touches a path outside the workspace.
    pub inside_workspace: bool,
    /// False when no sandbox (Landlock) is available.
    pub sandbox_available: bool,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Run it. `by` says who decided: "rule allow: shell: git status* (user config)", "mode yolo".
    Allow { by: String },
    /// Ask the user; `reason` is shown with the request.
    Ask { reason: String },
    /// Refuse. `by` as for `Allow`; `reason` is told to the model and the user.
    Deny { by: String, reason: String },
}

const PLAN_DENY: &str = "plan mode: only read-only tools run";
const NO_SANDBOX: &str = "no sandbox on this system: every shell command asks";

/// A shell line whose every command is allowed by some allow rule (`git status && ls` under
/// `git status*` and `ls*`): "rules allow: …" naming each rule once.
fn allowed_command_by_command(
    rules: &RuleSet,
    prepared: &rule::Prepared,
    outside_ok: &dyn Fn(&RuleEntry) -> bool,
) -> Option<String> {
    let count = Rule::command_count(prepared)?;
    let mut used: Vec<&RuleEntry> = Vec::new();
    for index in 0..count {
        let entry = rules
            .allow
            .iter()
            .find(|e| outside_ok(e) && e.rule.allows_command(prepared, index))?;
        if !used.iter().any(|u| std::ptr::eq(*u, entry)) {
            used.push(entry);
        }
    }
    let names: Vec<String> = used.iter().map(|e| e.describe()).collect();
    Some(format!("rules allow: {}", names.join(", ")))
}

/// What tightens the gate beyond rules and mode (see [`decide_with`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tightening<'a> {
    /// pincer's own files; `None`: nothing is protected.
    pub protected: Option<&'a ProtectedPaths>,
    /// Set when the turn has taken in untrusted content: what it took in.
    pub taint: Option<&'a str>,
}

/// Decides one call with nothing tightened (see [`decide_with`]).
pub fn decide(rules: &RuleSet, mode: ApprovalMode, facts: &CallFacts) -> Verdict {
    decide_with(rules, mode, facts, Tightening::default())
}

/// The rule that covers exactly this call and nothing else (wildcards escaped): what "this
/// session" offers before the user widens it.
pub fn exact_rule(s: &CallSubject) -> String {
    let tool = &s.tool;
    match s.kind {
        SubjectKind::Command => {
            format!("{tool}: {}", command::escape(&command::normalize(&s.text)))
        }
        SubjectKind::Path => format!("{tool}: {}", path::escape_glob(&path::normalize(&s.text))),
        SubjectKind::Url => format!("{tool}: {}", path::escape_glob(&s.text)),
        SubjectKind::Other => tool.clone(),
    }
}

/// A write (not read-only) to a path under a protected root: what protects it.
pub fn protected_write<'a>(
    protected: Option<&'a ProtectedPaths>,
    facts: &CallFacts,
) -> Option<&'a str> {
    if facts.risk == RiskLevel::ReadOnly || facts.subject.kind != SubjectKind::Path {
        return None;
    }
    protected.and_then(|p| p.covering(&facts.subject.text))
}

/// Decides one call; the order is documented in the [module docs](self). On top of it:
///
/// - a **protected** path (pincer's configuration, `.pincer/`, skill roots, memory) written
///   to asks in every mode, yolo included, and an allow rule covers it only when its pattern
///   names it explicitly (no wildcard, a bare `TOOL` or `*` rule never);
/// - in a **tainted** turn (untrusted content was taken in) no rule and no mode allows a write
///   to a protected path or anything outside the workspace (it asks right after the deny, plan
///   and ask-rule steps), and a shell or other exec call that only the mode would allow asks.
pub fn decide_with(
    rules: &RuleSet,
    mode: ApprovalMode,
    facts: &CallFacts,
    tight: Tightening,
) -> Verdict {
    let subject = facts.subject;
    let prepared = rule::Prepared::new(subject);
    let protected = protected_write(tight.protected, facts);

    // 1. deny rules
    if let Some(entry) = rules
        .deny
        .iter()
        .find(|e| e.rule.matches_deny_prepared(&prepared))
    {
        let by = format!("rule deny: {}", entry.describe());
        return Verdict::Deny {
            reason: by.clone(),
            by,
        };
    }

    // 2. plan mode (memory writes count as writes whatever risk they declare)
    let memory_write = is_memory_write(&subject.tool);
    if mode == ApprovalMode::Plan && (facts.risk != RiskLevel::ReadOnly || memory_write) {
        return Verdict::Deny {
            by: "mode plan".to_string(),
            reason: PLAN_DENY.to_string(),
        };
    }

    // 3. ask rules
    if let Some(entry) = rules
        .ask
        .iter()
        .find(|e| e.rule.matches_ask_prepared(&prepared))
    {
        return Verdict::Ask {
            reason: format!("rule ask: {}", entry.describe()),
        };
    }

    // 3a. memory writes: their own default (policy/memory.rs)
    if memory_write {
        return memory::decide(rules, &prepared, mode, &subject.text, tight.taint);
    }

    // 3b. a tainted turn: protected and outside-workspace writes always ask
    if let Some(taint) = tight.taint
        && facts.risk != RiskLevel::ReadOnly
        && (protected.is_some() || !facts.inside_workspace)
    {
        let what = protected.unwrap_or("a path outside the workspace");
        return Verdict::Ask {
            reason: format!(
                "this turn has read untrusted content ({taint}); writes to {what} always ask in such a turn: {}",
                subject.text
            ),
        };
    }

    // 4. allow rules
    let outside_ok = |e: &RuleEntry| {
        facts.inside_workspace
            || (subject.kind == SubjectKind::Path && e.rule.can_allow_outside_workspace())
    };
    let names_protected = |e: &RuleEntry| {
        protected.is_none()
            || (e.rule.tool() != "*"
                && e.rule
                    .pattern()
                    .is_some_and(|p| tight.protected.is_some_and(|pp| pp.named_by(p))))
    };
    if let Some(entry) = rules
        .allow
        .iter()
        .find(|e| outside_ok(e) && names_protected(e) && e.rule.matches_allow_prepared(&prepared))
    {
        return Verdict::Allow {
            by: format!("rule allow: {}", entry.describe()),
        };
    }
    if let Some(by) = allowed_command_by_command(rules, &prepared, &outside_ok) {
        return Verdict::Allow { by };
    }

    // 5. outside the workspace
    if !facts.inside_workspace {
        return Verdict::Ask {
            reason: format!("outside the workspace: {}", subject.text),
        };
    }

    // 5b. a protected path: asks in every mode
    if let Some(what) = protected {
        return Verdict::Ask {
            reason: format!(
                "{} is {what}: writes there always ask (a rule must name the path to allow it)",
                subject.text
            ),
        };
    }

    // 6. no sandbox for shell commands
    if !facts.sandbox_available
        && (subject.kind == SubjectKind::Command || facts.risk == RiskLevel::Exec)
    {
        return Verdict::Ask {
            reason: NO_SANDBOX.to_string(),
        };
    }

    // 7. the mode
    let allowed = match mode {
        ApprovalMode::Yolo => true,
        ApprovalMode::Plan | ApprovalMode::Ask => facts.risk == RiskLevel::ReadOnly,
        ApprovalMode::AutoEdit => matches!(facts.risk, RiskLevel::ReadOnly | RiskLevel::Write),
    };
    let mode_name = mode.as_str();
    let exec = subject.kind == SubjectKind::Command
        || matches!(
            facts.risk,
            RiskLevel::Exec | RiskLevel::Network | RiskLevel::Destructive
        );
    if allowed
        && exec
        && let Some(taint) = tight.taint
    {
        return Verdict::Ask {
            reason: format!(
                "this turn has read untrusted content ({taint}); commands ask unless a rule allows them"
            ),
        };
    }
    if allowed {
        Verdict::Allow {
            by: format!("mode {mode_name}"),
        }
    } else if mode == ApprovalMode::Plan {
        Verdict::Deny {
            by: "mode plan".to_string(),
            reason: PLAN_DENY.to_string(),
        }
    } else {
        Verdict::Ask {
            reason: format!("mode {mode_name}: {} tools ask", facts.risk.label()),
        }
    }
}
