//! The memory tools' own default. `memory_write` and `memory_forget` change the user's memory
//! folder (a protected path), yet asking before every "remember that I prefer tabs" would make
//! memory useless. So after the deny, plan and ask-rule steps they have a default of their own:
//!
//! - the turn is **tainted** (it took in a web page, an MCP result, a file from outside the
//!   workspace, …) → ask, whatever the rules and the mode: a poisoned page must not plant a
//!   memory silently;
//! - an **allow** rule matches → allow by that rule;
//! - otherwise → allow in ask, auto-edit and yolo mode: the transcript shows a notice with the
//!   diff that one key undoes, which is the safeguard.
//!
//! Their subject is a path relative to the memory folder (`MEMORY.md`,
//! `projects/app-1a2b3c4d/build.md`), so rules name them like file tools:
//! `memory_write: projects/**`, `memory_forget: MEMORY.md`. The workspace and protected-path
//! steps do not apply: the memory folder is where these tools write by design.

use super::rule::Prepared;
use super::{RuleSet, Verdict};
use crate::protocol::ApprovalMode;

/// The tools that change memory (`memory_search` and `memory_get` are ordinary read-only tools).
pub const MEMORY_WRITE_TOOLS: &[&str] = &["memory_write", "memory_forget"];

/// True for `memory_write` and `memory_forget`.
pub fn is_memory_write(tool: &str) -> bool {
    MEMORY_WRITE_TOOLS.contains(&tool)
}

/// The verdict for a memory write once deny rules, plan mode and ask rules have not decided.
pub(super) fn decide(
    rules: &RuleSet,
    prepared: &Prepared,
    mode: ApprovalMode,
    target: &str,
    taint: Option<&str>,
) -> Verdict {
    if let Some(taint) = taint {
        return Verdict::Ask {
            reason: format!(
                "this turn has read untrusted content ({taint}); memory changes ask in such a turn so that content cannot plant or erase a memory: {target}"
            ),
        };
    }
    if let Some(entry) = rules
        .allow
        .iter()
        .find(|e| e.rule.matches_allow_prepared(prepared))
    {
        return Verdict::Allow {
            by: format!("rule allow: {}", entry.describe()),
        };
    }
    Verdict::Allow {
        by: format!(
            "memory default (mode {}): undo from the notice",
            mode.as_str()
        ),
    }
}
