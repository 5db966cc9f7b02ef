//! Rule entries in config files: a rule naming a tool that does not exist is an error at its
//! file:line (a typo in a deny rule must not silently protect nothing).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use pincer::config::Config;
use pincer::policy::KNOWN_TOOLS;

#[test]
fn unknown_tools_in_rules_are_errors_at_their_line() {
    let text = "mode = \"ask\"\n[permissions]\nallow = [\"shell: ls*\"]\ndeny = [\n  \"shell: rm -rf*\",\n  \"shel: curl*\",\n]\n";
    let e = Config::parse(text, Path::new("/c/config.toml")).unwrap_err();
    assert_eq!(e.line, 6, "{e}");
    assert!(e.message.contains("no tool `shel`"), "{e}");
    assert!(e.message.contains("did you mean `shell`"), "{e}");
    for tool in KNOWN_TOOLS {
        assert!(e.message.contains(tool), "{tool} not listed: {e}");
    }
    assert!(e.message.contains("mcp__SERVER__TOOL"), "{e}");
}

#[test]
fn known_tools_star_and_mcp_names_pass() {
    let text = "[permissions]\nallow = [\"read_file: src/**\", \"*: docs/**\", \"mcp__github__list_issues\", \"activate_skill\"]\nask = [\"web_fetch: domain:docs.rs\"]\ndeny = [\"write_file: .git/**\"]\n";
    let c = Config::parse(text, Path::new("/c/config.toml")).unwrap();
    assert_eq!(c.permissions.allow.len(), 4);
    for bad in ["mcp__", "web-fetch", "Shell", "read_files"] {
        let text = format!("[permissions]\nask = [\"{bad}\"]\n");
        let e = Config::parse(&text, Path::new("/c/config.toml")).unwrap_err();
        assert_eq!(e.line, 2, "{bad}: {e}");
    }
}

#[test]
fn project_config_rules_are_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[permissions]\n\ndeny = [\"wirte_file: .env\"]\n").unwrap();
    let e = Config::load_project(&path).unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("did you mean `write_file`"), "{e}");
}
