//! The task spec compiler against the labelled messages in `tests/data/task_specs.tsv`, and
//! the policy table: what each kind of task is offered and may spend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pincer::config::{Config, Limits, PipelineConfig};
use pincer::pipeline::{PolicyInputs, SessionState, compile, decide, tool_names, tool_set_by_name};
use pincer::protocol::{ApprovalMode, Complexity, ModelTier, TargetKind, TaskType, ToolSet};

fn snake<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn labelled_messages_compile_to_their_labels() {
    let data = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/task_specs.tsv"
    ))
    .unwrap();
    let mut rows = 0;
    let mut wrong = Vec::new();
    let mut languages = std::collections::BTreeSet::new();
    for (n, line) in data.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "line {}: {line}", n + 1);
        rows += 1;
        let spec = compile(cols[0], &SessionState::default());
        languages.insert(spec.language.clone());
        let got = [
            snake(spec.task),
            snake(spec.complexity),
            snake(spec.risk),
            snake(spec.side_effects),
        ];
        for (i, want) in cols[1..].iter().enumerate() {
            if *want != "*" && got[i] != *want {
                wrong.push(format!(
                    "line {}: {:?}: got {got:?}, want {:?}\n    trace: {:?}",
                    n + 1,
                    cols[0],
                    &cols[1..],
                    spec.trace
                        .iter()
                        .map(|t| format!("{}={}:{}", t.field, t.rule, t.evidence))
                        .collect::<Vec<_>>()
                ));
                break;
            }
        }
        // Every field says which rule set it.
        for field in ["task", "complexity", "risk", "side_effects", "output"] {
            assert!(
                spec.trace.iter().any(|t| t.field == field),
                "{field} has no trace: {line}"
            );
        }
    }
    assert!(rows >= 60, "only {rows} labelled messages");
    assert!(
        languages.contains("en") && languages.contains("de"),
        "{languages:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} of {rows} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn targets_are_found_in_the_text() {
    let spec = compile(
        "Fix #42 in src/main.rs and Cargo.toml, see https://example.com/a?b=1 (issue 7).",
        &SessionState::default(),
    );
    let got: Vec<(TargetKind, &str)> = spec
        .targets
        .iter()
        .map(|t| (t.kind, t.text.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (TargetKind::Issue, "#42"),
            (TargetKind::Path, "src/main.rs"),
            (TargetKind::Path, "Cargo.toml"),
            (TargetKind::Url, "https://example.com/a?b=1"),
            (TargetKind::Issue, "#7"),
        ]
    );
    // Not paths: version numbers, sentences with full stops, flags.
    let spec = compile(
        "Version 1.2.3 is out. Use --release e.g. today",
        &SessionState::default(),
    );
    assert!(spec.targets.is_empty(), "{:?}", spec.targets);
}

#[test]
fn a_short_follow_up_after_a_tool_turn_stays_capable() {
    let after_change = SessionState {
        last_task: Some(TaskType::CodeChange),
        last_used_tools: true,
    };
    for msg in ["yes, do it", "and the tests too", "ja, mach das"] {
        let spec = compile(msg, &after_change);
        assert_eq!(spec.task, TaskType::CodeChange, "{msg}: {:?}", spec.trace);
        assert!(!spec.session_facts.is_empty());
        assert!(spec.trace.iter().any(|t| t.rule == "session.follow_up"));
    }
    // Without a tool-using turn before, "do it" stays ambiguous.
    assert_eq!(
        compile("do it", &SessionState::default()).complexity,
        Complexity::Ambiguous
    );
    // A new question of its own is not a follow-up.
    assert_eq!(
        compile("Refactor src/a.rs", &after_change).task,
        TaskType::CodeChange
    );
}

fn policy_for(
    msg: &str,
    config: &PipelineConfig,
    mode: ApprovalMode,
    restricted: bool,
) -> (pincer::protocol::PolicyReport, Vec<String>) {
    let spec = compile(msg, &SessionState::default());
    let limits = Limits::default();
    let p = decide(
        &spec,
        &PolicyInputs {
            config,
            limits: &limits,
            mode,
            restricted,
        },
    );
    let all = [
        "read_file",
        "list_dir",
        "glob",
        "grep",
        "write_file",
        "edit_file",
        "web_fetch",
        "shell",
        "memory_search",
        "memory_get",
        "memory_write",
        "memory_forget",
    ];
    let names = tool_names(&p, &all, &[], mode, restricted);
    (p, names)
}

#[test]
fn policy_table() {
    let narrow = PipelineConfig::default();
    let ask = ApprovalMode::Ask;
    // (message, tool set, tools offered, plan step, tier)
    let cases: &[(&str, ToolSet, &[&str], bool, ModelTier)] = &[
        ("What is 2+2?", ToolSet::None, &[], false, ModelTier::Small),
        (
            "Explain what src/lib.rs does",
            ToolSet::ReadOnly,
            &["read_file", "list_dir", "glob", "grep"],
            false,
            ModelTier::Small,
        ),
        (
            "Add a --verbose flag to src/main.rs",
            ToolSet::Editing,
            &[
                "read_file",
                "list_dir",
                "glob",
                "grep",
                "write_file",
                "edit_file",
                "shell",
            ],
            false,
            ModelTier::Small,
        ),
        (
            "Refactor the whole codebase to use anyhow everywhere",
            ToolSet::Editing,
            &[
                "read_file",
                "list_dir",
                "glob",
                "grep",
                "write_file",
                "edit_file",
                "shell",
            ],
            true,
            ModelTier::Large,
        ),
        (
            "Design a plugin architecture for the tool registry",
            ToolSet::ReadOnly,
            &["read_file", "list_dir", "glob", "grep"],
            true,
            ModelTier::Small,
        ),
        (
            "Look up the latest version of serde online",
            ToolSet::Research,
            &["read_file", "list_dir", "glob", "grep", "web_fetch"],
            false,
            ModelTier::Small,
        ),
        (
            "Remember that I prefer tabs over spaces",
            ToolSet::Memory,
            &[
                "memory_search",
                "memory_get",
                "memory_write",
                "memory_forget",
            ],
            false,
            ModelTier::Small,
        ),
        (
            "do it",
            ToolSet::Full,
            &[
                "read_file",
                "list_dir",
                "glob",
                "grep",
                "write_file",
                "edit_file",
                "web_fetch",
                "shell",
                "memory_search",
                "memory_get",
                "memory_write",
                "memory_forget",
            ],
            false,
            ModelTier::Large,
        ),
        (
            "Push the branch with force to production",
            ToolSet::Editing,
            &[
                "read_file",
                "list_dir",
                "glob",
                "grep",
                "write_file",
                "edit_file",
                "shell",
            ],
            false,
            ModelTier::Large,
        ),
    ];
    for (msg, set, tools, plan, tier) in cases {
        let (p, names) = policy_for(msg, &narrow, ask, false);
        assert_eq!(p.tool_set, *set, "{msg}");
        assert_eq!(names, *tools, "{msg}");
        assert_eq!(p.plan_step, *plan, "{msg}");
        assert_eq!(p.tier, *tier, "{msg}");
        // [limits] stays the ceiling.
        let l = Limits::default();
        assert!(
            p.bounds.max_rounds <= l.max_rounds && p.bounds.max_rounds >= 1,
            "{msg}"
        );
        assert!(p.bounds.max_tool_calls_per_round <= l.max_tool_calls_per_round);
    }
}

#[test]
fn policy_respects_mode_restriction_pin_and_narrow_off() {
    let narrow = PipelineConfig::default();
    let msg = "Add a --verbose flag to src/main.rs";
    // Plan mode and a restricted skill leave read-only tools.
    let (_, plan) = policy_for(msg, &narrow, ApprovalMode::Plan, false);
    assert_eq!(plan, ["read_file", "list_dir", "glob", "grep"]);
    let (p, restricted) = policy_for(msg, &narrow, ApprovalMode::Yolo, true);
    assert_eq!(restricted, ["read_file", "list_dir", "glob", "grep"]);
    assert!(p.notes.iter().any(|n| n.contains("restricted")));
    // Narrowing off: the full set even for 2+2.
    let off = PipelineConfig {
        narrow: false,
        pin: None,
    };
    let (p, names) = policy_for("What is 2+2?", &off, ApprovalMode::Ask, false);
    assert_eq!(p.tool_set, ToolSet::Full);
    assert_eq!(names.len(), 12);
    // A pinned policy wins over the task.
    let pinned = PipelineConfig {
        narrow: true,
        pin: tool_set_by_name("read_only"),
    };
    let (p, names) = policy_for(msg, &pinned, ApprovalMode::Ask, false);
    assert_eq!(p.name, "pinned:read_only");
    assert_eq!(names, ["read_file", "list_dir", "glob", "grep"]);
}

#[test]
fn config_limits_cap_the_policy() {
    let mut config = Config::default();
    config.limits.max_rounds = 3;
    config.limits.max_tool_calls_per_round = 2;
    let spec = compile("Refactor the whole codebase", &SessionState::default());
    let p = decide(
        &spec,
        &PolicyInputs {
            config: &config.pipeline,
            limits: &config.limits,
            mode: ApprovalMode::Ask,
            restricted: false,
        },
    );
    assert_eq!(p.bounds.max_rounds, 3);
    assert_eq!(p.bounds.max_tool_calls_per_round, 2);
}
