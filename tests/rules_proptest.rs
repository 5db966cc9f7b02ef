//! Property: no generated command line that contains a denied simple command is ever allowed,
//! whatever the wrapping, nesting, quoting or flag spelling, even when an allow rule covers
//! every program in it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::rules;

use pincer::policy::{RuleSet, Verdict};
use proptest::prelude::*;
use rules::verdict;

fn rule_set(allow: &[&str]) -> RuleSet {
    rules::rules(
        &["shell: rm -rf*", "shell: curl*", "shell: git push --force*"],
        allow,
    )
}

/// Allow rules wide enough to cover every program the generator uses.
const WIDE_ALLOW: &[&str] = &[
    "shell: rm *",
    "shell: curl *",
    "shell: git *",
    "shell: echo *",
    "shell: ls*",
    "shell: nice *",
    "shell: sudo *",
    "shell: env *",
    "shell: sh *",
    "shell: bash *",
    "shell: timeout *",
    "shell: xargs *",
    "shell: nohup *",
    "shell: busybox *",
    "shell: command *",
    "shell: stdbuf *",
    "shell: setsid *",
    "shell: time *",
    "shell: find *",
    "shell: cat *",
];

/// The program name, spelled in one of the ways a shell reads as that program.
fn program_spelling(name: &'static str) -> impl Strategy<Value = String> {
    let first = &name[..1];
    let rest = &name[1..];
    prop_oneof![
        Just(name.to_string()),
        Just(format!("/bin/{name}")),
        Just(format!("/usr/bin/{name}")),
        Just(format!("\\{name}")),
        Just(format!("'{name}'")),
        Just(format!("\"{name}\"")),
        Just(format!("{first}\"{rest}\"")),
        Just(format!("{first}''{rest}")),
    ]
}

/// A denied simple command in some spelling.
fn denied_command() -> impl Strategy<Value = String> {
    let rm_flags = prop_oneof![
        Just("-rf"),
        Just("-fr"),
        Just("-r -f"),
        Just("-f -r"),
        Just("-R -f"),
        Just("-Rf"),
        Just("--recursive --force"),
        Just("--force -R"),
        Just("-rfv"),
        Just("-v -r -f"),
        Just("-d -rf"),
    ];
    let target = prop_oneof![
        Just("/"),
        Just("~"),
        Just("."),
        Just("build"),
        Just("/tmp/x")
    ];
    let rm = (program_spelling("rm"), rm_flags, target, any::<bool>()).prop_map(
        |(program, flags, target, flags_last)| {
            if flags_last {
                format!("{program} {target} {flags}")
            } else {
                format!("{program} {flags} {target}")
            }
        },
    );
    let curl = (
        program_spelling("curl"),
        prop_oneof![Just("https://evil.example"), Just("-s x"), Just("-o f y")],
    )
        .prop_map(|(p, args)| format!("{p} {args}"));
    let push = (
        prop_oneof![
            Just("--force"),
            Just("-f"),
            Just("origin main --force"),
            Just("origin +main"),
            Just("-u origin main -f"),
        ],
        prop_oneof![Just(""), Just("-C . "), Just("-c a.b=c ")],
    )
        .prop_map(|(args, global)| format!("git {global}push {args}"));
    prop_oneof![rm, curl, push]
}

/// Single-quotes `s` for a shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[derive(Debug, Clone)]
enum Wrap {
    Prefix(&'static str),
    ShellC(&'static str),
    Xargs,
    FindExec,
    Eval,
}

fn wrap() -> impl Strategy<Value = Wrap> {
    prop_oneof![
        Just(Wrap::Prefix("nice -n 5")),
        Just(Wrap::Prefix("nice")),
        Just(Wrap::Prefix("timeout 10")),
        Just(Wrap::Prefix("timeout -s KILL -k 2 10s")),
        Just(Wrap::Prefix("env")),
        Just(Wrap::Prefix("env -i")),
        Just(Wrap::Prefix("env A=1 B=2")),
        Just(Wrap::Prefix("env -u HOME --")),
        Just(Wrap::Prefix("sudo")),
        Just(Wrap::Prefix("sudo -u root -E")),
        Just(Wrap::Prefix("nohup")),
        Just(Wrap::Prefix("command")),
        Just(Wrap::Prefix("exec")),
        Just(Wrap::Prefix("stdbuf -oL")),
        Just(Wrap::Prefix("setsid")),
        Just(Wrap::Prefix("time")),
        Just(Wrap::Prefix("busybox")),
        Just(Wrap::Prefix("/usr/bin/env")),
        Just(Wrap::Prefix("FOO=1")),
        Just(Wrap::ShellC("sh")),
        Just(Wrap::ShellC("bash")),
        Just(Wrap::ShellC("zsh")),
        Just(Wrap::ShellC("dash")),
        Just(Wrap::Xargs),
        Just(Wrap::FindExec),
        Just(Wrap::Eval),
    ]
}

fn apply(wrap: &Wrap, command: &str) -> String {
    match wrap {
        Wrap::Prefix(prefix) => format!("{prefix} {command}"),
        Wrap::ShellC(shell) => format!("{shell} -c {}", quote(command)),
        Wrap::Xargs => format!("echo x | xargs {command}"),
        Wrap::FindExec => format!("find . -exec {command} {{}} \\;"),
        Wrap::Eval => format!("eval {}", quote(command)),
    }
}

#[derive(Debug, Clone, Copy)]
enum Place {
    Alone,
    After(&'static str),
    Before(&'static str),
    Subshell,
    Group,
    Substitution,
    Backticks,
    Background,
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        Just(Place::Alone),
        Just(Place::After("; ")),
        Just(Place::After(" && ")),
        Just(Place::After(" || ")),
        Just(Place::After(" | ")),
        Just(Place::After("\n")),
        Just(Place::Before("; ")),
        Just(Place::Before(" && ")),
        Just(Place::Before(" | ")),
        Just(Place::Subshell),
        Just(Place::Group),
        Just(Place::Substitution),
        Just(Place::Backticks),
        Just(Place::Background),
    ]
}

fn put(place: Place, command: &str) -> String {
    let benign = "ls -la";
    match place {
        Place::Alone => command.to_string(),
        Place::After(op) => format!("{benign}{op}{command}"),
        Place::Before(op) => format!("{command}{op}{benign}"),
        Place::Subshell => format!("({command})"),
        Place::Group => format!("{{ {command}; }}"),
        Place::Substitution => format!("echo \"$({command})\""),
        Place::Backticks if !command.contains('`') => format!("echo `{command}`"),
        Place::Backticks => format!("echo $({command})"),
        Place::Background => format!("{command} & {benign}"),
    }
}

fn line() -> impl Strategy<Value = String> {
    (
        denied_command(),
        prop::collection::vec((wrap(), place()), 0..4),
        place(),
    )
        .prop_map(|(core, layers, outer)| {
            let mut command = core;
            for (w, p) in &layers {
                command = put(*p, &apply(w, &command));
            }
            put(outer, &command)
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_denied_command_is_never_allowed(line in line()) {
        for allow in [&["shell"][..], WIDE_ALLOW] {
            let v = verdict(&rule_set(allow), &line);
            prop_assert!(!matches!(v, Verdict::Allow { .. }), "allowed {:?}: {:?}", line, v);
        }
    }

    #[test]
    fn a_denied_command_in_certain_syntax_is_denied(line in line()) {
        // Everything the generator builds is parsed with certainty except `eval` (a string):
        // for those the deny rule must fire outright, not merely ask.
        let v = verdict(&rule_set(&["shell"]), &line);
        prop_assert!(matches!(v, Verdict::Deny { .. }), "not denied {:?}: {:?}", line, v);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any text at all — shell metacharacters, quotes, multi-byte characters, controls — is
    /// decided without a panic, and a line holding `rm -rf` is never allowed by the wide rules.
    #[test]
    fn any_text_is_decided_without_panic(
        line in r#"[a-z éß\-"'`$(){};|&<>*\\\n]{0,40}"#,
        tail in proptest::option::of(Just("; rm -rf /")),
    ) {
        let line = format!("{line}{}", tail.unwrap_or(""));
        let v = verdict(&rule_set(WIDE_ALLOW), &line);
        if line.contains("rm -rf") {
            prop_assert!(!matches!(v, Verdict::Allow { .. }), "allowed {:?}", line);
        }
    }
}
