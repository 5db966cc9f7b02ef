use super::super::test_support::{count, items, session};
use super::*;
use crate::protocol::TokenUsage;
use crate::store::ItemKind::{Assistant, Notice, ToolCall, ToolResult, User};

/// A session with every kind of row worth exporting; returns its id.
fn rich_session(store: &Store) -> String {
    let id = session(store, "/work/proj");
    items(
        store,
        &id,
        &[
            (User, "Read main.rs\nand explain"),
            (Assistant, "Let me look."),
            (
                ToolCall,
                r#"{"id":"c1","name":"read","arguments":"{\"path\":\"src/main.rs\"}","summary":"src/main.rs"}"#,
            ),
            (
                ToolCall,
                r#"{"id":"c2","name":"shell","arguments":"{}","summary":"cargo test"}"#,
            ),
            (
                ToolResult,
                r#"{"call_id":"c1","tool":"read","summary":"src/main.rs (120 lines)","status":"ok","decided_by":"mode","model_content":"…","output":"…","exit_code":null,"duration_ms":3}"#,
            ),
            (
                ToolResult,
                r#"{"call_id":"c2","tool":"shell","summary":"cargo test","status":"error","decided_by":"user","model_content":"","output":"","exit_code":101,"duration_ms":900}"#,
            ),
            (Notice, "the provider retried"),
        ],
    );
    let usage = TokenUsage {
        input_tokens: 10,
        output_tokens: 20,
        estimated: false,
    };
    store
        .append_item(&id, Assistant, "It starts the", true, Some(usage))
        .unwrap();
    store.rename_session(&id, "Explain \"main\"").unwrap();
    id
}

fn without_first_line(text: &str) -> &str {
    text.split_once('\n').map_or("", |(_, rest)| rest)
}

#[test]
fn markdown_is_readable() {
    let store = Store::open_in_memory().unwrap();
    let id = rich_session(&store);
    let md = store.export_markdown(&id).unwrap();
    assert!(md.starts_with("# Explain \"main\"\n"), "{md}");
    assert!(md.contains(&format!("- Session: `{id}`")), "{md}");
    assert!(md.contains("- Directory: `/work/proj`"), "{md}");
    assert!(md.contains("## You\n\nRead main.rs\nand explain\n"), "{md}");
    assert!(md.contains("## Assistant\n\nLet me look.\n"), "{md}");
    assert!(
        md.contains("- `read` src/main.rs (120 lines) — ok\n"),
        "{md}"
    );
    assert!(
        md.contains("- `shell` cargo test — error, exit 101\n"),
        "{md}"
    );
    assert!(md.contains("> Note: the provider retried"), "{md}");
    assert!(
        md.contains("It starts the\n\n*(reply interrupted)*"),
        "{md}"
    );
    assert_eq!(md.matches("## Assistant").count(), 1, "{md}");
}

#[test]
fn markdown_marks_calls_without_results_and_odd_json() {
    let store = Store::open_in_memory().unwrap();
    let id = session(&store, "/a");
    items(
        &store,
        &id,
        &[
            (User, "go"),
            (
                ToolCall,
                r#"{"id":"c1","name":"fetch","arguments":"{}","summary":"example.org"}"#,
            ),
            (ToolResult, "not json"),
        ],
    );
    let md = store.export_markdown(&id).unwrap();
    assert!(md.contains("# go\n"), "{md}");
    assert!(md.contains("- `tool` — status unknown\n"), "{md}");
    assert!(
        md.contains("- `fetch` example.org — no result (pincer stopped before it finished)"),
        "{md}"
    );
}

#[test]
fn jsonl_round_trip_is_equal() {
    let store = Store::open_in_memory().unwrap();
    let id = rich_session(&store);
    let streaming = store.begin_item(&id, User).unwrap();
    store.append_part(streaming, "half a prompt").unwrap();
    let exported = store.export_jsonl(&id).unwrap();
    assert!(exported.starts_with("{\"pincer_session\":1,"), "{exported}");
    assert_eq!(exported.lines().count(), 10);

    // Same database: the id is taken, so the copy gets a fresh one.
    let copy = store.import_jsonl(&exported).unwrap();
    assert_ne!(copy, id);
    let again = store.export_jsonl(&copy).unwrap();
    assert_eq!(without_first_line(&again), without_first_line(&exported));
    assert_eq!(
        again.lines().next().unwrap().replace(&copy, &id),
        exported.lines().next().unwrap()
    );
    let (a, b) = (
        store.get_session(&id).unwrap().unwrap(),
        store.get_session(&copy).unwrap().unwrap(),
    );
    assert_eq!(
        (b.message_count, b.first_prompt),
        (a.message_count + 1, a.first_prompt)
    );

    // Another database: the id is kept and the export is identical.
    let other = Store::open_in_memory().unwrap();
    assert_eq!(other.import_jsonl(&exported).unwrap(), id);
    assert_eq!(other.export_jsonl(&id).unwrap(), exported);
    assert_eq!(other.export_markdown(&id).unwrap(), {
        let md = store.export_markdown(&id).unwrap();
        // The source still has the reply streaming, so it counts one message less.
        md.replace("- Messages: 3", "- Messages: 4")
    });
}

#[test]
fn forks_keep_their_parent_only_where_it_exists() {
    let store = Store::open_in_memory().unwrap();
    let id = rich_session(&store);
    let fork = store.fork_session(&id, None, "fork").unwrap();
    let exported = store.export_jsonl(&fork.id).unwrap();
    store.delete_session("fork").unwrap();
    assert_eq!(store.import_jsonl(&exported).unwrap(), "fork");
    assert_eq!(store.export_jsonl("fork").unwrap(), exported);
    let other = Store::open_in_memory().unwrap();
    other.import_jsonl(&exported).unwrap();
    assert_eq!(other.get_session("fork").unwrap().unwrap().parent_id, None);
}

#[test]
fn import_rejects_a_bad_line_and_writes_nothing() {
    let store = Store::open_in_memory().unwrap();
    let id = rich_session(&store);
    let good = store.export_jsonl(&id).unwrap();
    store.delete_session(&id).unwrap();
    let mut lines: Vec<String> = good.lines().map(String::from).collect();

    let cases: Vec<(Vec<String>, usize, &str)> = vec![
        (
            {
                let mut l = lines.clone();
                l[3] = l[3].replace("\"tool_call\"", "\"teleport\"");
                l
            },
            4,
            "unknown item kind",
        ),
        (
            {
                let mut l = lines.clone();
                l[5] = "{\"kind\":\"user\"".into();
                l
            },
            6,
            "not a session item",
        ),
        (
            {
                let mut l = lines.clone();
                l[0] = l[0].replace("\"pincer_session\":1", "\"pincer_session\":9");
                l
            },
            1,
            "update pincer",
        ),
        (vec!["[1, 2]".into()], 1, "not a pincer session header"),
        (vec![String::new(), "  ".into()], 1, "empty"),
    ];
    for (text, line, problem_part) in cases {
        match store.import_jsonl(&text.join("\n")) {
            Err(StoreError::Import { line: l, problem }) => {
                assert_eq!(l, line, "{problem}");
                assert!(problem.contains(problem_part), "{problem}");
            }
            other => panic!("expected an import error, got {other:?}"),
        }
    }
    let message = StoreError::Import {
        line: 4,
        problem: "x".into(),
    }
    .to_string();
    assert!(message.contains("line 4") && message.contains("Nothing was imported"));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM sessions"), 0);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM items"), 0);

    // Blank lines between items are fine, and line numbers count them.
    lines.insert(2, String::new());
    assert_eq!(store.import_jsonl(&lines.join("\n")).unwrap(), id);
}

#[test]
fn export_of_an_unknown_session_is_a_clear_error() {
    let store = Store::open_in_memory().unwrap();
    assert!(matches!(
        store.export_markdown("nope"),
        Err(StoreError::NoSuchSession(_))
    ));
    assert!(matches!(
        store.export_jsonl("nope"),
        Err(StoreError::NoSuchSession(_))
    ));
}

#[test]
fn utc_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00 UTC");
    assert_eq!(utc(1_700_000_000_000), "2023-11-14 22:13 UTC");
    assert_eq!(utc(951_827_696_000), "2000-02-29 12:34 UTC");
}
