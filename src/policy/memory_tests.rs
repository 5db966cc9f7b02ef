//! The memory tools' default: runs without a question in ask / auto-edit / yolo, asks in a
//! tainted turn, deny rules and plan mode still refuse, rules can name the target path.

use std::path::Path;

use super::test_support::*;
use super::*;
use crate::protocol::{ApprovalMode, RiskLevel};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Runs,
    Asks,
    Refused,
}

fn rules(deny: &[&str], ask: &[&str], allow: &[&str]) -> RuleSet {
    let mut set = RuleSet::new();
    for (list, texts) in [
        (RuleList::Deny, deny),
        (RuleList::Ask, ask),
        (RuleList::Allow, allow),
    ] {
        for t in texts {
            set.add(list, rule(t), "user config");
        }
    }
    set
}

/// The memory folder is protected, as the runtime sets it up.
fn protected() -> ProtectedPaths {
    let mut p = ProtectedPaths::new(Path::new("/ws"));
    p.add("pincer's memory", Path::new("/data/memory"));
    p
}

fn verdict(
    set: &RuleSet,
    mode: ApprovalMode,
    subject: &CallSubject,
    inside: bool,
    taint: Option<&str>,
) -> Verdict {
    let p = protected();
    decide_with(
        set,
        mode,
        &CallFacts {
            subject,
            risk: RiskLevel::Write,
            inside_workspace: inside,
            sandbox_available: false,
        },
        Tightening {
            protected: Some(&p),
            taint,
        },
    )
}

fn want(v: &Verdict) -> Want {
    match v {
        Verdict::Allow { .. } => Want::Runs,
        Verdict::Ask { .. } => Want::Asks,
        Verdict::Deny { .. } => Want::Refused,
    }
}

const PAGE: Option<&str> = Some("web_fetch https://evil.example");

#[test]
fn memory_write_default_table() {
    use ApprovalMode::*;
    use Want::*;
    let none = rules(&[], &[], &[]);
    let deny_all = rules(&["memory_write"], &[], &[]);
    let deny_core = rules(&["memory_forget: MEMORY.md"], &[], &[]);
    let ask_projects = rules(&[], &["memory_write: projects/**"], &[]);
    let allow_notes = rules(&[], &[], &["memory_write: notes.md"]);
    let allow_star = rules(&[], &[], &["*"]);
    let w = |p: &str| file("memory_write", p);
    let f = |p: &str| file("memory_forget", p);
    #[rustfmt::skip]
    type Row<'a> = (&'a str, &'a RuleSet, ApprovalMode, CallSubject, Option<&'a str>, Want);
    let table: Vec<Row> = vec![
        (
            "ask mode runs a write",
            &none,
            Ask,
            w("MEMORY.md"),
            None,
            Runs,
        ),
        (
            "ask mode runs a forget",
            &none,
            Ask,
            f("MEMORY.md"),
            None,
            Runs,
        ),
        (
            "auto-edit runs it",
            &none,
            AutoEdit,
            w("MEMORY.md"),
            None,
            Runs,
        ),
        ("yolo runs it", &none, Yolo, w("topics/rust.md"), None, Runs),
        (
            "plan denies a write",
            &none,
            Plan,
            w("MEMORY.md"),
            None,
            Refused,
        ),
        (
            "plan denies a forget",
            &none,
            Plan,
            f("MEMORY.md"),
            None,
            Refused,
        ),
        ("tainted ask asks", &none, Ask, w("MEMORY.md"), PAGE, Asks),
        (
            "tainted forget asks",
            &none,
            Ask,
            f("MEMORY.md"),
            PAGE,
            Asks,
        ),
        (
            "tainted auto-edit asks",
            &none,
            AutoEdit,
            w("MEMORY.md"),
            PAGE,
            Asks,
        ),
        ("tainted yolo asks", &none, Yolo, w("MEMORY.md"), PAGE, Asks),
        (
            "tainted: an allow rule does not help",
            &allow_notes,
            Yolo,
            w("notes.md"),
            PAGE,
            Asks,
        ),
        (
            "tainted: `*` does not help",
            &allow_star,
            Yolo,
            w("MEMORY.md"),
            PAGE,
            Asks,
        ),
        (
            "tainted plan still denies",
            &none,
            Plan,
            w("MEMORY.md"),
            PAGE,
            Refused,
        ),
        (
            "a deny rule wins in yolo",
            &deny_all,
            Yolo,
            w("MEMORY.md"),
            None,
            Refused,
        ),
        (
            "a deny rule wins when tainted",
            &deny_all,
            Ask,
            w("MEMORY.md"),
            PAGE,
            Refused,
        ),
        (
            "a deny rule names the path",
            &deny_core,
            Ask,
            f("MEMORY.md"),
            None,
            Refused,
        ),
        (
            "…and only that path",
            &deny_core,
            Ask,
            f("topics/rust.md"),
            None,
            Runs,
        ),
        (
            "…and only that tool",
            &deny_core,
            Ask,
            w("MEMORY.md"),
            None,
            Runs,
        ),
        (
            "an ask rule names the path",
            &ask_projects,
            Yolo,
            w("projects/app-1a2b3c4d/build.md"),
            None,
            Asks,
        ),
        (
            "…not other paths",
            &ask_projects,
            Ask,
            w("MEMORY.md"),
            None,
            Runs,
        ),
        (
            "an allow rule names the path",
            &allow_notes,
            Ask,
            w("notes.md"),
            None,
            Runs,
        ),
        (
            "other tools keep the old order",
            &none,
            Ask,
            file("write_file", "notes.md"),
            None,
            Asks,
        ),
    ];
    for (name, set, mode, subject, taint, expected) in table {
        let v = verdict(set, mode, &subject, true, taint);
        assert_eq!(want(&v), expected, "{name}: {v:?}");
    }
}

#[test]
fn the_memory_folder_being_protected_or_outside_does_not_ask() {
    // Whatever path form the tool layer reports (relative, absolute under the protected
    // memory folder, flagged outside the workspace), the memory default decides.
    let none = rules(&[], &[], &[]);
    for (path, inside) in [
        ("MEMORY.md", true),
        ("/data/memory/MEMORY.md", false),
        ("/data/memory/projects/app-1a2b3c4d/MEMORY.md", true),
    ] {
        let v = verdict(
            &none,
            ApprovalMode::Ask,
            &file("memory_write", path),
            inside,
            None,
        );
        assert_eq!(want(&v), Want::Runs, "{path}: {v:?}");
    }
    // A write_file to the same place still asks (protected path).
    let v = verdict(
        &none,
        ApprovalMode::Yolo,
        &file("write_file", "/data/memory/MEMORY.md"),
        false,
        None,
    );
    assert_eq!(want(&v), Want::Asks, "{v:?}");
}

#[test]
fn verdicts_say_why() {
    let none = rules(&[], &[], &[]);
    let subject = file("memory_write", "MEMORY.md");
    match verdict(&none, ApprovalMode::Ask, &subject, true, None) {
        Verdict::Allow { by } => assert!(by.contains("memory default") && by.contains("undo")),
        v => panic!("{v:?}"),
    }
    match verdict(&none, ApprovalMode::Ask, &subject, true, PAGE) {
        Verdict::Ask { reason } => {
            assert!(
                reason.contains("evil.example") && reason.contains("MEMORY.md"),
                "{reason}"
            )
        }
        v => panic!("{v:?}"),
    }
    let allow_notes = rules(&[], &[], &["memory_write: MEMORY.md"]);
    match verdict(&allow_notes, ApprovalMode::Ask, &subject, true, None) {
        Verdict::Allow { by } => assert!(by.contains("rule allow: memory_write: MEMORY.md")),
        v => panic!("{v:?}"),
    }
}

#[test]
fn read_only_memory_tools_are_ordinary_reads() {
    assert!(!is_memory_write("memory_search"));
    assert!(!is_memory_write("memory_get"));
    let none = rules(&[], &[], &[]);
    let p = protected();
    let subject = CallSubject::new("memory_search", SubjectKind::Other, "tabs");
    let v = decide_with(
        &none,
        ApprovalMode::Plan,
        &CallFacts {
            subject: &subject,
            risk: RiskLevel::ReadOnly,
            inside_workspace: true,
            sandbox_available: true,
        },
        Tightening {
            protected: Some(&p),
            taint: PAGE,
        },
    );
    assert_eq!(want(&v), Want::Runs, "{v:?}");
}
