//! `pincer task drift`'s documented exit codes with the real binary: 0 nothing drifted,
//! 1 drift found, 2 an error (a bad `.cw` file, a missing file, a corrupted state).

#![cfg(feature = "tasks")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use pincer::task::state::task_id;

const ONE_FILE: &str =
    "task \"t\" {}\nfile \"a\" {\n  path    = \"out.txt\"\n  content = \"hi\"\n}\n";

fn pincer(home: &Path, dir: &Path, args: &[&str]) -> Output {
    support::cli::pincer_command(home)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Dirs {
    home: tempfile::TempDir,
    dir: tempfile::TempDir,
}

impl Dirs {
    fn new(cw: &str) -> Dirs {
        let d = Dirs {
            home: tempfile::tempdir().unwrap(),
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(d.dir.path().join("t.cw"), cw).unwrap();
        d
    }

    fn run(&self, args: &[&str]) -> Output {
        pincer(self.home.path(), self.dir.path(), args)
    }

    fn state_file(&self) -> PathBuf {
        self.home
            .path()
            .join("data/tasks")
            .join(task_id("t", &self.dir.path().join("t.cw")))
            .join("state.json")
    }
}

#[test]
fn drift_exits_0_when_clean_and_1_when_something_drifted() {
    let d = Dirs::new(ONE_FILE);
    let applied = d.run(&["task", "apply", "t.cw", "--no-ai", "--yes"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied));
    let clean = d.run(&["task", "drift", "t.cw"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    assert!(text(&clean).contains("0 drifted"), "{}", text(&clean));

    // Changed behind pincer's back: drift, exit 1, in text and in JSON.
    std::fs::write(d.dir.path().join("out.txt"), "changed").unwrap();
    let drifted = d.run(&["task", "drift", "t.cw"]);
    let all = text(&drifted);
    assert_eq!(drifted.status.code(), Some(1), "{all}");
    assert!(
        all.contains("DRIFT file.a") && all.contains("was changed"),
        "{all}"
    );
    let json = d.run(&["task", "drift", "t.cw", "--json"]);
    assert_eq!(json.status.code(), Some(1), "{}", text(&json));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["drift"][0]["id"], "file.a");

    // Removed: still drift, still 1.
    std::fs::remove_file(d.dir.path().join("out.txt")).unwrap();
    let missing = d.run(&["task", "drift", "t.cw"]);
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
}

#[test]
fn a_task_never_applied_counts_as_drift() {
    let d = Dirs::new(ONE_FILE);
    let out = d.run(&["task", "drift", "t.cw"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("not applied yet"), "{all}");
}

#[test]
fn drift_errors_exit_2_not_1() {
    // A syntax error in the file.
    let d = Dirs::new("task \"t\" {\nfile \"a\" {\n");
    let out = d.run(&["task", "drift", "t.cw"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("t.cw:"), "a located error: {all}");

    // A reference to a missing variable.
    let d = Dirs::new("task \"t\" {}\nfile \"a\" {\n  path = var.nope\n}\n");
    let out = d.run(&["task", "drift", "t.cw"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // No such file.
    let d = Dirs::new(ONE_FILE);
    let out = d.run(&["task", "drift", "absent.cw"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // A corrupted state file: an error (2), and the file is kept as it was.
    let d = Dirs::new(ONE_FILE);
    let state = d.state_file();
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, "{\"version\": 1, \"task\": ").unwrap();
    let out = d.run(&["task", "drift", "t.cw"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("is corrupted"), "{all}");
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        "{\"version\": 1, \"task\": "
    );
}

#[test]
fn other_task_commands_keep_exit_1_for_errors() {
    let d = Dirs::new("task \"t\" {\nfile \"a\" {\n");
    for cmd in ["validate", "plan", "status"] {
        let out = d.run(&["task", cmd, "t.cw"]);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {}", text(&out));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn state_json(d: &Dirs) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(d.state_file()).unwrap_or_else(|_| "{}".into()))
        .unwrap()
}

#[test]
fn auto_fix_applies_one_allowed_patch_within_the_budget_and_never_a_port_change() {
    let port = free_port();
    let d = Dirs::new(&format!(
        "task \"t\" {{}}\nhttp_check \"home\" {{\n  url = \"http://127.0.0.1:{port}/\"\n}}\nservice \"web\" {{\n  start = \"python3 -m http.server {port}\"\n  health_url = \"http://127.0.0.1:{port}/\"\n}}\n"
    ));
    // Off by default: proposals only.
    let out = d.run(&["task", "drift", "t.cw"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("automatic fixes are off") && !all.contains("APPLIED"),
        "{all}"
    );

    let config = d.home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[tasks]\nauto_fix = true\n").unwrap();
    let out = d.run(&["task", "drift", "t.cw", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let applied: Vec<(String, String)> = report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            d["proposals"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["applied"] == true)
                .map(move |p| {
                    (
                        d["id"].as_str().unwrap().to_string(),
                        p["touches"].to_string(),
                    )
                })
        })
        .collect();
    assert_eq!(
        applied,
        [(
            "http_check.home".to_string(),
            "\"health_check_timing\"".to_string()
        )],
        "one fix, the smallest allowed: {report}"
    );
    let ports = report.to_string();
    assert!(
        ports.contains("\"touches\":\"ports\""),
        "a port change is proposed: {ports}"
    );
    let state = state_json(&d);
    assert_eq!(state["auto_fixes"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["tuning"]["http_check.home"]["retries"], 2, "{state}");

    // At once again: the cool-down refuses, nothing more is applied.
    let again = d.run(&["task", "drift", "t.cw"]);
    let all = text(&again);
    assert_eq!(again.status.code(), Some(1), "{all}");
    assert!(
        !all.contains("APPLIED") && all.contains("cooling down"),
        "{all}"
    );
    assert_eq!(state_json(&d)["auto_fixes"].as_array().unwrap().len(), 1);
}

#[test]
fn a_bad_tasks_config_is_an_error_exit_2() {
    let d = Dirs::new(ONE_FILE);
    let config = d.home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "[tasks]\nauto_fix = \"yes\"\n").unwrap();
    let out = d.run(&["task", "drift", "t.cw"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("config.toml:2:"), "{all}");
}
