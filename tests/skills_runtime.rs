//! Skills through the Op/Event channel against the mock model: the catalog in the prompt, the
//! `activate_skill` tool, `/name args`, read-only tools while a restricted skill is active,
//! hot reload, and the one-time project trust question.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{
    SkillActivated, SkillCreated, SkillsChanged, ToolCallFinished, UserMessage,
};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pincer::config::{Config, NetworkConfig};
use pincer::protocol::{Event, NoticeLevel, Op, SkillState};
use pincer::runtime::{self, RuntimeSettings};
use pincer::skills::SkillRoots;
use support::events::{finished, mock_provider, until};
use support::mock_server::*;

struct Dirs {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Dirs {
    fn new() -> Dirs {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        for d in ["user", "installed", "ws", "config"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        Dirs { _tmp: tmp, root }
    }
    fn user(&self) -> PathBuf {
        self.root.join("user")
    }
    fn installed(&self) -> PathBuf {
        self.root.join("installed")
    }
    fn ws(&self) -> PathBuf {
        self.root.join("ws")
    }
    fn config(&self) -> PathBuf {
        self.root.join("config/config.toml")
    }
}

fn write_skill(dir: &Path, name: &str, description: &str, body: &str) {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("SKILL.md"),
        format!("---\nname: {name}\ndescription: {description}\n---\n{body}\n"),
    )
    .unwrap();
}

fn settings(url: &str, dirs: &Dirs, config: Config) -> RuntimeSettings {
    let config = Config {
        network: NetworkConfig {
            stream_idle_timeout_ms: 2_000,
            max_retries: 1,
            retry_base_delay_ms: 10,
            ..NetworkConfig::default()
        },
        ..config
    };
    let mut s = RuntimeSettings::new(config, Ok(mock_provider(url)), dirs.ws());
    s.env = Arc::new(|_: &str| None);
    s.config_path = dirs.config();
    s.skill_roots = Some(SkillRoots {
        project: None,
        include_claude: false,
        user_dir: dirs.user(),
        user_agents_dir: None,
        installed_dir: dirs.installed(),
        bundled: false,
    });
    s
}

fn tool_names(body: &serde_json::Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn system_text(body: &serde_json::Value) -> String {
    body["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_model_sees_the_catalog_and_activates_a_skill() {
    let dirs = Dirs::new();
    write_skill(
        &dirs.user(),
        "code-review",
        "Review a diff for bugs.",
        "Check every hunk.",
    );
    std::fs::write(dirs.user().join("code-review/checklist.md"), "- tests").unwrap();
    let server = MockServer::start(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[("c1", "activate_skill", r#"{"name":"code-review"}"#)],
        )),
        Reply::sse(openai_sse(&["reviewed"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs, Config::default()));
    let evs = until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    let Some(Event::SkillsChanged(SkillsChanged { skills, .. })) = evs.last() else {
        panic!()
    };
    assert_eq!(skills.len(), 1);
    assert_eq!(skills[0].status, SkillState::Ok);
    rt.ops
        .send(Op::UserMessage {
            text: "review my change".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    let first = server.requests()[0].json().unwrap();
    assert!(
        system_text(&first).contains("code-review"),
        "the catalog is in the prompt"
    );
    assert!(system_text(&first).contains("Review a diff for bugs."));
    assert!(
        !system_text(&first).contains("Check every hunk"),
        "only the catalog, not the body"
    );
    let tool = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "activate_skill")
        .unwrap();
    assert_eq!(
        tool["function"]["parameters"]["properties"]["name"]["enum"],
        serde_json::json!(["code-review"])
    );
    let second = server.requests()[1].json().unwrap();
    let result = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(result.contains("Check every hunk."), "{result}");
    assert!(
        result.contains("checklist.md"),
        "the folder is listed: {result}"
    );
}

#[tokio::test]
async fn files_of_a_skill_folder_are_readable_without_asking() {
    let dirs = Dirs::new();
    write_skill(
        &dirs.user(),
        "code-review",
        "Review a diff.",
        "See checklist.md.",
    );
    let list = dirs.user().join("code-review/checklist.md");
    std::fs::write(&list, "- look for tests").unwrap();
    let args = serde_json::json!({ "path": list.display().to_string() }).to_string();
    let server = MockServer::start(vec![
        Reply::sse(openai_tool_calls(None, &[("c1", "read_file", &args)])),
        Reply::sse(openai_sse(&["ok"], None)),
    ])
    .await;
    let mut s = settings(&server.url(), &dirs, Config::default());
    s.interactive = false; // an ask would be denied: the read must be allowed outright
    let mut rt = runtime::spawn(s);
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    rt.ops.send(Op::UserMessage { text: "go".into() }).unwrap();
    let evs = until(&mut rt, finished).await;
    let status = evs.iter().find_map(|e| match e {
        Event::ToolCallFinished(ToolCallFinished {
            status, decided_by, ..
        }) => Some((*status, decided_by.clone())),
        _ => None,
    });
    assert_eq!(
        status,
        Some((
            pincer::protocol::ToolStatus::Ok,
            "skill folder (read-only)".to_string()
        ))
    );
}

#[tokio::test]
async fn no_skill_tool_without_skills() {
    let dirs = Dirs::new();
    let server = MockServer::start(vec![Reply::sse(openai_sse(&["hi"], None))]).await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs, Config::default()));
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    rt.ops.send(Op::UserMessage { text: "x".into() }).unwrap();
    until(&mut rt, finished).await;
    let body = server.requests()[0].json().unwrap();
    assert!(!tool_names(&body).contains(&"activate_skill".to_string()));
    assert!(!system_text(&body).contains("## Skills"));
}

#[tokio::test]
async fn a_restricted_skill_leaves_the_model_read_only_tools() {
    let dirs = Dirs::new();
    write_skill(
        &dirs.installed(),
        "web-scraper",
        "Scrape pages.",
        "Fetch the page.",
    );
    let server = MockServer::start(vec![
        Reply::sse(openai_tool_calls(
            None,
            &[("c1", "activate_skill", r#"{"name":"web-scraper"}"#)],
        )),
        Reply::sse(openai_tool_calls(
            None,
            &[("c2", "write_file", r#"{"path":"x.txt","content":"pwned"}"#)],
        )),
        Reply::sse(openai_sse(&["done"], None)),
    ])
    .await;
    let config = Config {
        mode: pincer::protocol::ApprovalMode::Yolo,
        ..Config::default()
    };
    let mut rt = runtime::spawn(settings(&server.url(), &dirs, config));
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    rt.ops
        .send(Op::UserMessage {
            text: "scrape it".into(),
        })
        .unwrap();
    let evs = until(&mut rt, finished).await;
    assert!(evs.iter().any(|e| matches!(
        e,
        Event::SkillActivated(SkillActivated {
            restricted: true,
            ..
        })
    )));
    let before = tool_names(&server.requests()[0].json().unwrap());
    let after = tool_names(&server.requests()[1].json().unwrap());
    assert!(before.contains(&"write_file".to_string()) && before.contains(&"shell".to_string()));
    assert!(!after.contains(&"write_file".to_string()), "{after:?}");
    assert!(!after.contains(&"shell".to_string()), "{after:?}");
    assert!(!after.contains(&"web_fetch".to_string()), "{after:?}");
    assert!(after.contains(&"read_file".to_string()), "{after:?}");
    assert!(
        !dirs.ws().join("x.txt").exists(),
        "even in yolo mode a write is refused"
    );
    let denied = evs.iter().any(|e| {
        matches!(e, Event::ToolCallFinished(ToolCallFinished { tool, status: pincer::protocol::ToolStatus::Denied, .. }) if tool == "write_file")
    });
    assert!(denied);
    // A new session lifts it.
    rt.ops.send(Op::NewSession).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    assert!(matches!(
        evs.last(),
        Some(Event::SkillsChanged(SkillsChanged {
            restricted_active: false,
            ..
        }))
    ));
}

#[tokio::test]
async fn slash_name_sends_the_body_with_arguments_read_fresh() {
    let dirs = Dirs::new();
    write_skill(
        &dirs.user(),
        "greet",
        "Say hello.",
        "Say hello to $ARGUMENTS.",
    );
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["hi"], None)),
        Reply::sse(openai_sse(&["hi"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs, Config::default()));
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    rt.ops
        .send(Op::UseSkill {
            name: "greet".into(),
            args: "Ada".into(),
        })
        .unwrap();
    let used = until(&mut rt, finished).await;
    // The transcript shows what the user typed; the body goes to the model.
    assert!(
        used.iter().any(
            |e| matches!(e, Event::UserMessage(UserMessage { text, .. }) if text == "/greet Ada")
        ),
        "{used:?}"
    );
    let last_user = |i: usize| {
        let body = server.requests()[i].json().unwrap();
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .unwrap()["content"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(last_user(0), "Say hello to Ada.");
    // Edited on disk: the watcher reloads it, and the next use reads the new text.
    write_skill(
        &dirs.user(),
        "greet",
        "Say hello.",
        "Greet $ARGUMENTS warmly.",
    );
    let evs = until(
        &mut rt,
        |e| matches!(e, Event::Notice { message, .. } if message.contains("greet")),
    )
    .await;
    assert!(
        matches!(evs.last(), Some(Event::Notice { message, .. }) if message == "reloaded greet")
    );
    rt.ops
        .send(Op::UseSkill {
            name: "greet".into(),
            args: "Bob".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    assert_eq!(last_user(1), "Greet Bob warmly.");
}

#[tokio::test]
async fn a_broken_edit_is_announced_with_its_line_and_the_others_keep_working() {
    let dirs = Dirs::new();
    write_skill(&dirs.user(), "alpha", "First.", "A");
    write_skill(&dirs.user(), "beta", "Second.", "B");
    let server = MockServer::start(vec![]).await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs, Config::default()));
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    std::fs::write(
        dirs.user().join("alpha/SKILL.md"),
        "---\nname: alpha\n---\nbody\n",
    )
    .unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    let notice = evs
        .iter()
        .find_map(|e| match e {
            Event::Notice {
                level: NoticeLevel::Warning,
                message,
            } => Some(message.clone()),
            _ => None,
        })
        .unwrap();
    assert!(notice.starts_with("alpha: line "), "{notice}");
    assert!(notice.ends_with("— disabled"), "{notice}");
    let Some(Event::SkillsChanged(SkillsChanged { skills, .. })) = evs.last() else {
        panic!()
    };
    let state = |n: &str| skills.iter().find(|s| s.name == n).unwrap().status;
    assert_eq!(state("alpha"), SkillState::Error);
    assert_eq!(state("beta"), SkillState::Ok);
}

#[tokio::test]
async fn project_skills_wait_for_trust_and_the_answer_is_remembered() {
    let dirs = Dirs::new();
    write_skill(
        &dirs.ws().join(".pincer/skills"),
        "deploy",
        "Deploy this app.",
        "Run make deploy.",
    );
    let server = MockServer::start(vec![]).await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs, Config::default()));
    let evs = until(&mut rt, |e| matches!(e, Event::ProjectTrustRequest(_))).await;
    let skills_before = evs.iter().find_map(|e| match e {
        Event::SkillsChanged(SkillsChanged { skills, .. }) => Some(skills.clone()),
        _ => None,
    });
    assert!(
        skills_before.unwrap().iter().all(|s| s.name != "deploy"),
        "not loaded before trust"
    );
    rt.ops.send(Op::TrustProject { trust: true }).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    let Some(Event::SkillsChanged(SkillsChanged { skills, .. })) = evs.last() else {
        panic!()
    };
    assert!(
        skills
            .iter()
            .any(|s| s.name == "deploy" && s.source == "project")
    );
    let config = std::fs::read_to_string(dirs.config()).unwrap();
    assert!(config.contains("trusted_projects"), "{config}");
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;

    // Next start (the config now trusts the folder): no question, the skill is there.
    let mut config = Config::load(&dirs.config()).unwrap();
    config.providers.clear();
    let mut s = settings(&server.url(), &dirs, config.clone());
    s.project_trusted = true;
    if let Some(r) = s.skill_roots.as_mut() {
        r.project = Some(dirs.ws());
    }
    let mut rt = runtime::spawn(s);
    let evs = until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    let Some(Event::SkillsChanged(SkillsChanged { skills, .. })) = evs.last() else {
        panic!()
    };
    assert!(skills.iter().any(|s| s.name == "deploy"));
    rt.ops.send(Op::Shutdown).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    assert!(
        !evs.iter()
            .any(|e| matches!(e, Event::ProjectTrustRequest(_)))
    );
}

#[tokio::test]
async fn declining_trust_is_remembered_too() {
    let dirs = Dirs::new();
    write_skill(&dirs.ws().join(".agents/skills"), "x", "X.", "x");
    let server = MockServer::start(vec![]).await;
    let mut rt = runtime::spawn(settings(&server.url(), &dirs, Config::default()));
    until(&mut rt, |e| matches!(e, Event::ProjectTrustRequest(_))).await;
    rt.ops.send(Op::TrustProject { trust: false }).unwrap();
    until(&mut rt, |e| matches!(e, Event::Notice { .. })).await;
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    let config = Config::load(&dirs.config()).unwrap();
    assert_eq!(
        config.untrusted_projects,
        vec![dirs.ws().display().to_string()]
    );
    let mut rt = runtime::spawn(settings(&server.url(), &dirs, config));
    rt.ops.send(Op::Shutdown).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;
    assert!(
        !evs.iter()
            .any(|e| matches!(e, Event::ProjectTrustRequest(_)))
    );
}

#[tokio::test]
async fn a_resumed_session_stays_restricted() {
    let dirs = Dirs::new();
    write_skill(
        &dirs.installed(),
        "scraper",
        "Scrape pages.",
        "Fetch $ARGUMENTS.",
    );
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["ok"], None)),
        Reply::sse(openai_sse(&["ok"], None)),
    ])
    .await;
    let db = dirs.root.join("p.db");
    let mut s = settings(&server.url(), &dirs, Config::default());
    s.database = Some(db.clone());
    let mut rt = runtime::spawn(s);
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    rt.ops
        .send(Op::UseSkill {
            name: "scraper".into(),
            args: "example.org".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    let first = tool_names(&server.requests()[0].json().unwrap());
    assert!(
        !first.contains(&"write_file".to_string()),
        "read-only from the first request: {first:?}"
    );
    rt.ops.send(Op::Shutdown).unwrap();
    until(&mut rt, |e| matches!(e, Event::ShutdownComplete)).await;

    let mut s = settings(&server.url(), &dirs, Config::default());
    s.database = Some(db);
    s.resume = pincer::runtime::Resume::ContinueLast;
    let mut rt = runtime::spawn(s);
    let evs = until(&mut rt, |e| matches!(e, Event::SkillActivated(_))).await;
    assert!(evs.iter().any(|e| matches!(e, Event::SessionConfigured(_))));
    rt.ops
        .send(Op::UserMessage {
            text: "more".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    let again = tool_names(&server.requests()[1].json().unwrap());
    assert!(!again.contains(&"write_file".to_string()), "{again:?}");
    assert!(again.contains(&"read_file".to_string()), "{again:?}");
}

/// `e` on a bundled skill, confirmed: the runtime copies it into the user's folder, answers
/// `SkillCreated` (the TUI opens the editor) and lists the copy, which shadows the bundled one.
/// A second copy never overwrites the user's edits.
#[tokio::test]
async fn a_bundled_skill_is_copied_into_the_users_folder_to_edit() {
    let dirs = Dirs::new();
    let server = MockServer::start(vec![]).await;
    let mut s = settings(&server.url(), &dirs, Config::default());
    if let Some(roots) = s.skill_roots.as_mut() {
        roots.bundled = true;
    }
    let mut rt = runtime::spawn(s);
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    let copy = || {
        Op::CopyBundledSkill(pincer::protocol::CopyBundledSkill {
            name: "code-review".into(),
        })
    };
    rt.ops.send(copy()).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    let path = evs
        .iter()
        .find_map(|e| match e {
            Event::SkillCreated(SkillCreated { name, path }) if name == "code-review" => {
                Some(path.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        PathBuf::from(&path),
        dirs.user().join("code-review/SKILL.md")
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        pincer::skills::bundled_text("code-review").unwrap()
    );
    let Some(Event::SkillsChanged(SkillsChanged { skills, .. })) = evs.last() else {
        panic!()
    };
    let reviews: Vec<_> = skills.iter().filter(|s| s.name == "code-review").collect();
    assert!(
        reviews
            .iter()
            .any(|s| s.path == path && s.status == SkillState::Ok),
        "{reviews:?}"
    );
    assert!(
        reviews
            .iter()
            .any(|s| s.path.starts_with("bundled:") && s.status == SkillState::Shadowed),
        "{reviews:?}"
    );

    std::fs::write(
        &path,
        "---\nname: code-review\ndescription: mine\n---\nmine\n",
    )
    .unwrap();
    rt.ops.send(copy()).unwrap();
    let evs = until(&mut rt, |e| matches!(e, Event::Error { .. })).await;
    assert!(
        matches!(evs.last(), Some(Event::Error { message, .. }) if message.contains("cannot copy skill code-review")),
        "{evs:?}"
    );
    assert!(std::fs::read_to_string(&path).unwrap().ends_with("mine\n"));
}
