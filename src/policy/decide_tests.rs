//! The decision order and suggested rules.

use super::test_support::*;
use super::*;
use crate::protocol::{ApprovalMode, RiskLevel};

// ---------------------------------------------------------------- decide

fn facts(subject: &CallSubject, risk: RiskLevel) -> CallFacts<'_> {
    CallFacts {
        subject,
        risk,
        inside_workspace: true,
        sandbox_available: true,
    }
}

fn rules(deny: &[&str], ask: &[&str], allow: &[&str]) -> RuleSet {
    let mut set = RuleSet::new();
    for (list, texts) in [
        (RuleList::Deny, deny),
        (RuleList::Ask, ask),
        (RuleList::Allow, allow),
    ] {
        for text in texts {
            set.add(list, rule(text), "user config");
        }
    }
    set
}

fn allow(by: &str) -> Verdict {
    Verdict::Allow { by: by.to_string() }
}

fn ask(reason: &str) -> Verdict {
    Verdict::Ask {
        reason: reason.to_string(),
    }
}

#[test]
fn deny_rule_shadows_allow_rule() {
    let set = rules(&["shell: rm -rf*"], &[], &["shell"]);
    let s = shell("ls && rm -rf /");
    let v = decide(&set, ApprovalMode::Yolo, &facts(&s, RiskLevel::Destructive));
    assert_eq!(
        v,
        Verdict::Deny {
            by: "rule deny: shell: rm -rf* (user config)".to_string(),
            reason: "rule deny: shell: rm -rf* (user config)".to_string(),
        }
    );
}

#[test]
fn deny_rule_beats_ask_rule_and_plan_mode() {
    let set = rules(&["read_file: **/.env"], &["read_file"], &[]);
    let s = file("read_file", ".env");
    let v = decide(&set, ApprovalMode::Plan, &facts(&s, RiskLevel::ReadOnly));
    assert!(
        matches!(v, Verdict::Deny { by, .. } if by == "rule deny: read_file: **/.env (user config)")
    );
}

#[test]
fn plan_mode_beats_allow_and_ask_rules() {
    let set = rules(&[], &["write_file"], &["write_file: src/**", "*"]);
    let s = file("write_file", "src/main.rs");
    let v = decide(&set, ApprovalMode::Plan, &facts(&s, RiskLevel::Write));
    assert_eq!(
        v,
        Verdict::Deny {
            by: "mode plan".to_string(),
            reason: "plan mode: only read-only tools run".to_string(),
        }
    );
    // Read-only calls in plan mode still go through the rules.
    let r = file("read_file", "src/main.rs");
    let set = rules(&[], &["read_file: src/**"], &[]);
    let v = decide(&set, ApprovalMode::Plan, &facts(&r, RiskLevel::ReadOnly));
    assert_eq!(v, ask("rule ask: read_file: src/** (user config)"));
}

#[test]
fn ask_rule_beats_allow_rule_and_yolo() {
    let set = rules(&[], &["shell: git push*"], &["shell: git *"]);
    let s = shell("git push origin main");
    let v = decide(&set, ApprovalMode::Yolo, &facts(&s, RiskLevel::Network));
    assert_eq!(v, ask("rule ask: shell: git push* (user config)"));
}

#[test]
fn allow_rule_reports_rule_and_source() {
    let mut set = RuleSet::new();
    set.add(
        RuleList::Allow,
        rule("shell:   git status*"),
        "project config",
    );
    let s = shell("git status");
    let v = decide(&set, ApprovalMode::Ask, &facts(&s, RiskLevel::Exec));
    assert_eq!(v, allow("rule allow: shell: git status* (project config)"));
}

#[test]
fn outside_workspace_asks_even_in_yolo() {
    let s = file("read_file", "/etc/passwd");
    let f = CallFacts {
        inside_workspace: false,
        ..facts(&s, RiskLevel::ReadOnly)
    };
    let empty = RuleSet::new();
    for mode in [
        ApprovalMode::Ask,
        ApprovalMode::AutoEdit,
        ApprovalMode::Yolo,
        ApprovalMode::Plan,
    ] {
        assert_eq!(
            decide(&empty, mode, &f),
            ask("outside the workspace: /etc/passwd")
        );
    }
    // Relative, `*`-tool and bare rules never allow an outside path.
    for text in [
        "read_file: **",
        "read_file: *",
        "*: /etc/**",
        "read_file",
        "*",
    ] {
        let set = rules(&[], &[], &[text]);
        assert_eq!(
            decide(&set, ApprovalMode::Yolo, &f),
            ask("outside the workspace: /etc/passwd"),
            "{text}"
        );
    }
    // An absolute rule does.
    let set = rules(&[], &[], &["read_file: /etc/**"]);
    assert_eq!(
        decide(&set, ApprovalMode::Ask, &f),
        allow("rule allow: read_file: /etc/** (user config)")
    );
    let set = rules(&[], &[], &["read_file: /etc/passwd"]);
    assert!(matches!(
        decide(&set, ApprovalMode::Ask, &f),
        Verdict::Allow { .. }
    ));
    // Deny rules still apply outside.
    let set = rules(&["read_file: /etc/**"], &[], &["read_file: /etc/**"]);
    assert!(matches!(
        decide(&set, ApprovalMode::Yolo, &f),
        Verdict::Deny { .. }
    ));
}

#[test]
fn outside_workspace_shell_is_never_allowed_by_rules() {
    let s = shell("cat /etc/hosts");
    let f = CallFacts {
        inside_workspace: false,
        ..facts(&s, RiskLevel::Exec)
    };
    let set = rules(&[], &[], &["shell: cat *", "shell"]);
    assert_eq!(
        decide(&set, ApprovalMode::Yolo, &f),
        ask("outside the workspace: cat /etc/hosts")
    );
}

#[test]
fn no_sandbox_shell_asks_even_in_yolo_but_allow_rule_wins() {
    let s = shell("make build");
    let f = CallFacts {
        sandbox_available: false,
        ..facts(&s, RiskLevel::Exec)
    };
    let empty = RuleSet::new();
    let no_sandbox = ask("no sandbox on this system: every shell command asks");
    for mode in [
        ApprovalMode::Ask,
        ApprovalMode::AutoEdit,
        ApprovalMode::Yolo,
    ] {
        assert_eq!(decide(&empty, mode, &f), no_sandbox);
    }
    // A read-only classified shell command asks too.
    let ro = CallFacts {
        risk: RiskLevel::ReadOnly,
        ..f
    };
    assert_eq!(decide(&empty, ApprovalMode::Yolo, &ro), no_sandbox);
    let set = rules(&[], &[], &["shell: make *"]);
    assert_eq!(
        decide(&set, ApprovalMode::Yolo, &f),
        allow("rule allow: shell: make * (user config)")
    );
    // Non-shell calls are unaffected.
    let w = file("write_file", "src/a.rs");
    let wf = CallFacts {
        sandbox_available: false,
        ..facts(&w, RiskLevel::Write)
    };
    assert_eq!(decide(&empty, ApprovalMode::Yolo, &wf), allow("mode yolo"));
}

#[test]
fn mode_by_risk_table() {
    use ApprovalMode::*;
    use RiskLevel::*;
    let plan_deny = Verdict::Deny {
        by: "mode plan".to_string(),
        reason: "plan mode: only read-only tools run".to_string(),
    };
    let table: [(ApprovalMode, RiskLevel, Verdict); 20] = [
        (Plan, ReadOnly, allow("mode plan")),
        (Plan, Write, plan_deny.clone()),
        (Plan, Exec, plan_deny.clone()),
        (Plan, Network, plan_deny.clone()),
        (Plan, Destructive, plan_deny.clone()),
        (Ask, ReadOnly, allow("mode ask")),
        (Ask, Write, ask("mode ask: write tools ask")),
        (Ask, Exec, ask("mode ask: exec tools ask")),
        (Ask, Network, ask("mode ask: network tools ask")),
        (Ask, Destructive, ask("mode ask: destructive tools ask")),
        (AutoEdit, ReadOnly, allow("mode auto-edit")),
        (AutoEdit, Write, allow("mode auto-edit")),
        (AutoEdit, Exec, ask("mode auto-edit: exec tools ask")),
        (AutoEdit, Network, ask("mode auto-edit: network tools ask")),
        (
            AutoEdit,
            Destructive,
            ask("mode auto-edit: destructive tools ask"),
        ),
        (Yolo, ReadOnly, allow("mode yolo")),
        (Yolo, Write, allow("mode yolo")),
        (Yolo, Exec, allow("mode yolo")),
        (Yolo, Network, allow("mode yolo")),
        (Yolo, Destructive, allow("mode yolo")),
    ];
    let empty = RuleSet::new();
    let s = CallSubject::new("some_tool", SubjectKind::Other, "x");
    for (mode, risk, expected) in table {
        assert_eq!(
            decide(&empty, mode, &facts(&s, risk)),
            expected,
            "{mode:?} × {risk:?}"
        );
    }
}

#[test]
fn rule_set_bookkeeping() {
    let mut set = RuleSet::new();
    assert!(set.is_empty());
    set.add(RuleList::Allow, rule("shell: ls*"), "user config");
    set.add(RuleList::Allow, rule("shell:ls*"), "session");
    set.add(RuleList::Deny, rule("shell: ls*"), "session");
    assert!(
        set.add_text(RuleList::Ask, "shell: git push*", "session")
            .is_ok()
    );
    assert!(set.add_text(RuleList::Ask, "shell:", "session").is_err());
    assert_eq!(set.len(), 3);
    assert_eq!(set.entries(RuleList::Allow)[0].source, "user config");
    set.remove_source("session");
    assert_eq!(set.len(), 1);
    assert_eq!(RuleList::Allow.as_str(), "allow");
}

// ---------------------------------------------------------------- suggest_rule

#[test]
fn suggestions() {
    let cases = [
        (shell("cargo test --release"), "shell: cargo test*"),
        (shell("ls -la"), "shell: ls*"),
        (shell("ls"), "shell: ls*"),
        (shell("./run.sh x"), "shell: ./run.sh*"),
        (shell("  git   cherry-pick  abc"), "shell: git cherry-pick*"),
        (shell("python3 script.py"), "shell: python3*"),
        (shell("sleep 10"), "shell: sleep*"),
        (
            shell("git status && rm -rf x"),
            "shell: git status && rm -rf x",
        ),
        (shell("ls *.rs | wc -l"), "shell: ls \\*.rs | wc -l"),
        (file("write_file", "src/a/b.rs"), "write_file: src/a/**"),
        (file("edit_file", "./src/main.rs"), "edit_file: src/**"),
        (file("write_file", "Cargo.toml"), "write_file: Cargo.toml"),
        (file("read_file", "/etc/hosts"), "read_file: /etc/hosts"),
        (
            file("read_file", "/home/u/notes/a[1].md"),
            "read_file: /home/u/notes/a[[]1[]].md",
        ),
        (
            fetch("https://docs.rs/serde/latest"),
            "web_fetch: domain:docs.rs",
        ),
        (
            fetch("https://user@API.GitHub.com:443/x"),
            "web_fetch: domain:api.github.com",
        ),
        (
            CallSubject::new("mcp__x__y", SubjectKind::Other, "{}"),
            "mcp__x__y",
        ),
    ];
    for (subject, expected) in cases {
        let suggested = suggest_rule(&subject);
        assert_eq!(suggested, expected, "{subject:?}");
        // Every suggestion parses and allows the call it came from.
        assert!(
            allows(&suggested, &subject),
            "{suggested} does not allow {subject:?}"
        );
    }
}

#[test]
fn suggested_compound_rule_is_exact() {
    let subject = shell("make && make install");
    let suggested = suggest_rule(&subject);
    assert!(allows(&suggested, &subject));
    assert!(!allows(
        &suggested,
        &shell("make && make install; rm -rf ~")
    ));
    assert!(!allows(&suggested, &shell("make && make installer")));
}

// ---------------------------------------------------------------- network is its own grant

fn net_shell(command: &str) -> CallSubject {
    CallSubject::new(NETWORK_SHELL, SubjectKind::Command, command)
}

#[test]
fn a_shell_allow_rule_never_implies_network() {
    let set = rules(&[], &[], &["shell: curl *", "shell: git *"]);
    for line in ["curl https://example.com", "git fetch origin", "git status"] {
        let s = net_shell(line);
        let v = decide(&set, ApprovalMode::Ask, &facts(&s, RiskLevel::Network));
        assert!(matches!(v, Verdict::Ask { .. }), "{line}: {v:?}");
    }
    // The same lines without network are allowed by those rules.
    let s = shell("curl https://example.com");
    assert!(matches!(
        decide(&set, ApprovalMode::Ask, &facts(&s, RiskLevel::Exec)),
        Verdict::Allow { .. }
    ));
}

#[test]
fn a_shell_network_rule_allows_network_and_shell_rules_still_deny_and_ask() {
    let set = rules(
        &["shell: curl *evil*"],
        &["shell: git push*"],
        &["shell_network: curl *", "shell_network: git *"],
    );
    let ok = net_shell("curl https://example.com");
    assert!(matches!(
        decide(&set, ApprovalMode::Ask, &facts(&ok, RiskLevel::Network)),
        Verdict::Allow { .. }
    ));
    let denied = net_shell("curl https://evil.example");
    assert!(matches!(
        decide(
            &set,
            ApprovalMode::Yolo,
            &facts(&denied, RiskLevel::Network)
        ),
        Verdict::Deny { .. }
    ));
    let asked = net_shell("git push origin main");
    assert!(matches!(
        decide(&set, ApprovalMode::Yolo, &facts(&asked, RiskLevel::Network)),
        Verdict::Ask { .. }
    ));
    // A network rule says nothing about a line it does not match, and wrapping does not help.
    for line in [
        "wget https://example.com",
        "sh -c 'wget x'",
        "curl x; wget y",
    ] {
        let s = net_shell(line);
        assert!(
            matches!(
                decide(&set, ApprovalMode::Ask, &facts(&s, RiskLevel::Network)),
                Verdict::Ask { .. }
            ),
            "{line}"
        );
    }
}

#[test]
fn shell_network_is_a_known_rule_tool_with_command_patterns() {
    assert!(check_known_tool(&rule("shell_network: curl *")).is_ok());
    assert_eq!(tool_subject_kind(NETWORK_SHELL), Some(SubjectKind::Command));
    // The exact rule offered for a network call names the network tool.
    assert_eq!(exact_rule(&net_shell("curl x")), "shell_network: curl x");
}
