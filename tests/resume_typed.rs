//! A resumed session shows what the user typed and saw — `/skill args`, an `@file` message and
//! its read, a large paste folded — while the model is still sent the full content (the
//! skill's body, the attachment, the pasted text), before and after the resume.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::{SessionConfigured, SessionList, ToolCallFinished, UserMessage};

use std::path::PathBuf;
use std::sync::Arc;

use pincer::config::{Config, NetworkConfig};
use pincer::protocol::{
    ComposedMessage, Event, HistoryItem, Op, PasteSpan, SessionScope, ToolStatus,
};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use pincer::skills::SkillRoots;
use support::events::{finished, mock_provider, until};
use support::mock_server::*;

const SKILL_BODY: &str = "Review the code of $ARGUMENTS carefully, one finding per line.";

struct Setup {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        for d in ["user", "installed", "ws"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let skill = root.join("user/review");
        std::fs::create_dir_all(&skill).unwrap();
        std::fs::write(
            skill.join("SKILL.md"),
            format!("---\nname: review\ndescription: Review code.\n---\n{SKILL_BODY}\n"),
        )
        .unwrap();
        std::fs::write(root.join("ws/notes.txt"), "the sauce is secret\n").unwrap();
        Setup { _tmp: tmp, root }
    }

    fn settings(&self, url: &str) -> RuntimeSettings {
        let config = Config {
            network: NetworkConfig {
                stream_idle_timeout_ms: 5_000,
                max_retries: 1,
                retry_base_delay_ms: 10,
                ..NetworkConfig::default()
            },
            ..Config::default()
        };
        let mut s = RuntimeSettings::new(config, Ok(mock_provider(url)), self.root.join("ws"));
        s.env = Arc::new(|_: &str| None);
        s.database = Some(self.root.join("p.db"));
        s.config_path = self.root.join("config.toml");
        s.skill_roots = Some(SkillRoots {
            project: None,
            include_claude: false,
            user_dir: self.root.join("user"),
            user_agents_dir: None,
            installed_dir: self.root.join("installed"),
            bundled: false,
        });
        s
    }
}

async fn configured(rt: &mut RuntimeHandle) -> (Option<String>, Vec<HistoryItem>, Vec<String>) {
    let evs = until(rt, |e| matches!(e, Event::SessionConfigured(_))).await;
    match evs.into_iter().last() {
        Some(Event::SessionConfigured(SessionConfigured {
            session_id,
            history,
            input_history,
            ..
        })) => (session_id, history, input_history),
        _ => unreachable!(),
    }
}

/// The user messages of request `i`, in order.
fn user_messages(server: &MockServer, i: usize) -> Vec<String> {
    let body = server.requests()[i].json().unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn big_paste() -> String {
    (0..2345).map(|i| format!("log line {i}\n")).collect()
}

#[tokio::test]
async fn resumed_session_shows_the_typed_forms_and_the_model_gets_the_full_content() {
    let setup = Setup::new();
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["reviewed"], None)),
        Reply::sse(openai_sse(&["read it"], None)),
        Reply::sse(openai_sse(&["many logs"], None)),
        Reply::sse(openai_sse(&["still here"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(setup.settings(&server.url()));
    configured(&mut rt).await;
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;

    rt.ops
        .send(Op::UseSkill {
            name: "review".into(),
            args: "src/lib.rs".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    rt.ops
        .send(Op::UserMessage {
            text: "what does @notes.txt say?".into(),
        })
        .unwrap();
    let attached = until(&mut rt, finished).await;
    let live_read = attached
        .iter()
        .find_map(|e| match e {
            Event::ToolCallFinished(ToolCallFinished {
                status: ToolStatus::Ok,
                output,
                ..
            }) => Some(output.clone()),
            _ => None,
        })
        .expect("the attachment was read");
    assert!(live_read.contains("the sauce is secret"), "{live_read}");
    let paste = big_paste();
    let text = format!("why do these fail?\n{paste}thanks");
    let span = PasteSpan {
        start: "why do these fail?\n".len(),
        end: "why do these fail?\n".len() + paste.len(),
    };
    rt.ops
        .send(Op::ComposedMessage(ComposedMessage {
            text: text.clone(),
            pastes: vec![span],
        }))
        .unwrap();
    let pasted = until(&mut rt, finished).await;
    assert!(
        pasted.iter().any(|e| matches!(e,
            Event::UserMessage(UserMessage { text: t, pastes, .. }) if *t == text && *pastes == vec![span])),
        "the live transcript gets the paste's span"
    );

    // Before the resume, the model got the full content.
    let expanded = SKILL_BODY.replace("$ARGUMENTS", "src/lib.rs");
    assert_eq!(user_messages(&server, 0), vec![expanded.clone()]);
    let second = user_messages(&server, 1);
    assert_eq!(second[1], "what does @notes.txt say?");
    assert!(
        second[2].contains("@notes.txt") && second[2].contains("the sauce is secret"),
        "{second:?}"
    );
    assert_eq!(user_messages(&server, 2).last(), Some(&text));

    // Resume it from another session.
    rt.ops
        .send(Op::ListSessions {
            scope: SessionScope::ThisDirectory,
        })
        .unwrap();
    let listed = until(&mut rt, |e| matches!(e, Event::SessionList(_))).await;
    let Some(Event::SessionList(SessionList { sessions, .. })) = listed.last() else {
        unreachable!()
    };
    let id = sessions[0].id.clone();
    assert_eq!(sessions[0].title, "/review src/lib.rs", "titled as typed");
    rt.ops.send(Op::NewSession).unwrap();
    configured(&mut rt).await;
    rt.ops.send(Op::ResumeSession { id: id.clone() }).unwrap();
    let (resumed, history, prompts) = configured(&mut rt).await;
    assert_eq!(resumed.as_deref(), Some(id.as_str()));

    let shown: Vec<String> = history
        .iter()
        .map(|h| match h {
            HistoryItem::User { text, pastes, .. } => {
                format!("you: {}", PasteSpan::fold(text, pastes))
            }
            HistoryItem::Assistant { text, .. } => format!("ai: {text}"),
            HistoryItem::Tool {
                tool,
                status,
                output,
                ..
            } => format!("tool {tool} {status:?}, as live: {}", *output == live_read),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            "you: /review src/lib.rs".to_string(),
            "ai: reviewed".into(),
            "you: what does @notes.txt say?".into(),
            "tool read_file Ok, as live: true".into(),
            "ai: read it".into(),
            "you: why do these fail?\n[pasted 2,345 lines, 31,720 chars]thanks".into(),
            "ai: many logs".into(),
        ]
    );
    let Some(HistoryItem::User {
        text: t, pastes, ..
    }) = history.get(5)
    else {
        panic!("{history:?}")
    };
    assert_eq!((t, pastes), (&text, &vec![span]), "the paste expands again");
    // The composer's history has what was typed, not bodies or envelopes.
    assert!(
        prompts.contains(&"/review src/lib.rs".to_string()),
        "{prompts:?}"
    );
    assert!(
        !prompts
            .iter()
            .any(|p| p.contains("Review the code") || p.contains("sauce")),
        "{prompts:?}"
    );

    // Going on: the model still gets the body, the attachment and the paste.
    rt.ops
        .send(Op::UserMessage {
            text: "anything else?".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    let after = user_messages(&server, 3);
    assert_eq!(after[0], expanded);
    assert!(after[2].contains("the sauce is secret"), "{after:?}");
    assert_eq!(after[3], text);
    assert_eq!(after[4], "anything else?");
}

/// A fork lists and previews what the user typed (`/review src/lib.rs`), as its parent does,
/// not the skill's body the model got (the fork's rows are copied in bulk and recounted).
#[tokio::test]
async fn a_fork_lists_and_previews_the_typed_form() {
    let setup = Setup::new();
    let server = MockServer::start(vec![
        Reply::sse(openai_sse(&["reviewed"], None)),
        Reply::sse(openai_sse(&["read it"], None)),
    ])
    .await;
    let mut rt = runtime::spawn(setup.settings(&server.url()));
    configured(&mut rt).await;
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    rt.ops
        .send(Op::UseSkill {
            name: "review".into(),
            args: "src/lib.rs".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    rt.ops
        .send(Op::UserMessage {
            text: "@notes.txt".into(),
        })
        .unwrap();
    until(&mut rt, finished).await;
    let list = |rt: &mut RuntimeHandle| {
        rt.ops
            .send(Op::ListSessions {
                scope: SessionScope::All,
            })
            .unwrap();
    };
    list(&mut rt);
    let listed = until(&mut rt, |e| matches!(e, Event::SessionList(_))).await;
    let Some(Event::SessionList(SessionList { sessions, .. })) = listed.last() else {
        unreachable!()
    };
    let parent = sessions[0].clone();

    rt.ops
        .send(Op::ForkSession {
            id: parent.id.clone(),
            before_item: None,
        })
        .unwrap();
    let (fork_id, _, _) = configured(&mut rt).await;
    let fork_id = fork_id.expect("the fork is stored");
    list(&mut rt);
    let listed = until(&mut rt, |e| matches!(e, Event::SessionList(_))).await;
    let Some(Event::SessionList(SessionList { sessions, .. })) = listed.last() else {
        unreachable!()
    };
    let fork = sessions.iter().find(|s| s.id == fork_id).unwrap();
    assert_eq!(fork.parent_id.as_deref(), Some(parent.id.as_str()));
    assert_eq!(parent.first_prompt, "/review src/lib.rs");
    assert_eq!(fork.first_prompt, parent.first_prompt, "listed as typed");

    rt.ops
        .send(Op::PreviewSession {
            id: fork_id.clone(),
        })
        .unwrap();
    let previewed = until(&mut rt, |e| matches!(e, Event::SessionPreview(_))).await;
    let Some(Event::SessionPreview(preview)) = previewed.last() else {
        unreachable!()
    };
    assert_eq!(preview.id, fork_id);
    let users: Vec<&str> = preview
        .items
        .iter()
        .filter_map(|h| match h {
            HistoryItem::User { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(users, vec!["/review src/lib.rs", "@notes.txt"]);
    assert!(
        !format!("{:?}", preview.items).contains("Review the code"),
        "{:?}",
        preview.items
    );
}
