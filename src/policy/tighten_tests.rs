//! What tightens the decision order: protected paths and tainted turns ([`decide_with`]).

use std::path::Path;

use super::test_support::*;
use super::*;
use crate::protocol::{ApprovalMode, RiskLevel};

fn protected() -> ProtectedPaths {
    let mut p = ProtectedPaths::new(Path::new("/ws"));
    p.add("the project's .pincer folder", Path::new("/ws/.pincer"));
    p.add(
        "pincer's memory",
        Path::new("/nonexistent-pincer/data/memory"),
    );
    p
}

fn allow(texts: &[&str]) -> RuleSet {
    let mut set = RuleSet::new();
    for t in texts {
        set.add(RuleList::Allow, rule(t), "--allow");
    }
    set
}

fn verdict(
    mode: ApprovalMode,
    allow_rules: &[&str],
    subject: &CallSubject,
    risk: RiskLevel,
    inside: bool,
    taint: Option<&str>,
) -> Verdict {
    let p = protected();
    decide_with(
        &allow(allow_rules),
        mode,
        &CallFacts {
            subject,
            risk,
            inside_workspace: inside,
            sandbox_available: true,
        },
        Tightening {
            protected: Some(&p),
            taint,
        },
    )
}

fn asks(v: &Verdict) -> bool {
    matches!(v, Verdict::Ask { .. })
}

#[test]
fn protected_writes_ask_in_every_mode_unless_a_rule_names_them() {
    use ApprovalMode::*;
    let w = file("write_file", ".pincer/config.toml");
    for mode in [Ask, AutoEdit, Yolo] {
        assert!(
            asks(&verdict(mode, &[], &w, RiskLevel::Write, true, None)),
            "{mode:?}"
        );
    }
    for wide in [
        "write_file",
        "*",
        "write_file: **",
        "write_file: .pincer/*",
        "*: .pincer/config.toml",
    ] {
        assert!(
            asks(&verdict(Yolo, &[wide], &w, RiskLevel::Write, true, None)),
            "{wide}"
        );
    }
    for named in ["write_file: .pincer/config.toml", "write_file: .pincer"] {
        let v = verdict(AutoEdit, &[named], &w, RiskLevel::Write, true, None);
        assert!(matches!(v, Verdict::Allow { .. }), "{named}: {v:?}");
    }
    // Reading a protected path is not a write.
    let r = file("read_file", ".pincer/config.toml");
    assert!(matches!(
        verdict(Ask, &[], &r, RiskLevel::ReadOnly, true, None),
        Verdict::Allow { .. }
    ));
    // The memory folder is protected before it exists.
    let m = file("write_file", "/nonexistent-pincer/data/memory/a.md");
    assert!(asks(&verdict(
        Yolo,
        &["write_file: /nonexistent-pincer/**"],
        &m,
        RiskLevel::Write,
        false,
        None
    )));
}

#[test]
fn a_tainted_turn_asks_for_outside_and_protected_writes_and_mode_only_commands() {
    use ApprovalMode::*;
    let t = Some("a web page from http://x/");
    let out = file("write_file", "/home/u/out.txt");
    let rule = ["write_file: /home/u/out.txt"];
    assert!(matches!(
        verdict(Yolo, &rule, &out, RiskLevel::Write, false, None),
        Verdict::Allow { .. }
    ));
    let v = verdict(Yolo, &rule, &out, RiskLevel::Write, false, t);
    assert!(
        matches!(&v, Verdict::Ask { reason } if reason.contains("untrusted content")),
        "{v:?}"
    );
    let w = file("write_file", ".pincer/config.toml");
    assert!(asks(&verdict(
        AutoEdit,
        &["write_file: .pincer/config.toml"],
        &w,
        RiskLevel::Write,
        true,
        t
    )));
    // Commands that only the mode allows ask; a rule still allows them.
    let sh = shell("echo hi");
    assert!(asks(&verdict(Yolo, &[], &sh, RiskLevel::Exec, true, t)));
    assert!(matches!(
        verdict(Yolo, &["shell: echo hi"], &sh, RiskLevel::Exec, true, t),
        Verdict::Allow { .. }
    ));
    assert!(asks(&verdict(
        Yolo,
        &[],
        &fetch("http://x/?q=secret"),
        RiskLevel::Network,
        true,
        t
    )));
    // Ordinary workspace writes and reads are unaffected.
    let ws = file("write_file", "src/a.rs");
    assert!(matches!(
        verdict(AutoEdit, &[], &ws, RiskLevel::Write, true, t),
        Verdict::Allow { .. }
    ));
}

#[test]
fn exact_rules_cover_exactly_one_call() {
    let s = shell("git  status");
    let r = exact_rule(&s);
    assert_eq!(r, "shell: git status");
    assert!(allows(&r, &s));
    assert!(!allows(&r, &shell("git status; rm x")));
    assert!(!allows(&r, &shell("git status --short")));
    let star = shell("echo *");
    assert!(!allows(&exact_rule(&star), &shell("echo hello")));
    assert!(allows(&exact_rule(&star), &star));
    let f = file("write_file", "src/a[1]*.rs");
    assert!(allows(&exact_rule(&f), &f));
    assert!(!allows(&exact_rule(&f), &file("write_file", "src/a1x.rs")));
}
