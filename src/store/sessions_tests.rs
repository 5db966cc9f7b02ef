use super::super::test_support::{count, items, session};
use super::super::{AuditRecord, ItemKind};
use super::*;
use crate::store::ItemKind::{Assistant, ToolCall, ToolResult, User};

fn ids(list: &[SessionSummary]) -> Vec<&str> {
    list.iter().map(|s| s.id.as_str()).collect()
}

#[test]
fn list_is_newest_first_with_cwd_filter_and_archived() {
    let store = Store::open_in_memory().unwrap();
    let a1 = session(&store, "/a");
    let b = session(&store, "/b");
    let a2 = session(&store, "/a");
    std::thread::sleep(std::time::Duration::from_millis(2));
    items(&store, &a1, &[(User, "hello")]);
    assert_eq!(
        ids(&store.list_sessions(None, false, 10).unwrap()),
        vec![a1.as_str(), a2.as_str(), b.as_str()]
    );
    assert_eq!(
        ids(&store.list_sessions(Some("/a"), false, 10).unwrap()),
        vec![a1.as_str(), a2.as_str()]
    );
    assert_eq!(store.list_sessions(None, false, 1).unwrap().len(), 1);

    store.set_archived(&a1, true).unwrap();
    assert_eq!(
        ids(&store.list_sessions(Some("/a"), false, 10).unwrap()),
        vec![a2.as_str()]
    );
    let all = store.list_sessions(Some("/a"), true, 10).unwrap();
    assert_eq!(ids(&all), vec![a1.as_str(), a2.as_str()]);
    assert!(all[0].archived);
    assert_eq!(all[0].message_count, 1);
    assert_eq!(all[0].first_prompt, "hello");
    assert_eq!(all[0].title, "hello");
    store.set_archived(&a1, false).unwrap();
    assert_eq!(store.list_sessions(Some("/a"), false, 10).unwrap().len(), 2);
}

#[test]
fn unknown_ids_are_clear_errors() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.get_session("nope").unwrap(), None);
    for result in [
        store.rename_session("nope", "x"),
        store.set_archived("nope", true),
        store.delete_session("nope"),
    ] {
        assert!(matches!(result, Err(StoreError::NoSuchSession(id)) if id == "nope"));
    }
    assert!(matches!(
        store.fork_session("nope", None, "new"),
        Err(StoreError::NoSuchSession(_))
    ));
    let msg = StoreError::NoSuchSession("abc".into()).to_string();
    assert!(msg.contains("abc") && msg.contains("list"), "{msg}");
}

#[test]
fn find_by_exact_id_prefix_and_text() {
    let store = Store::open_in_memory().unwrap();
    for id in ["aaa-1", "aaa-2", "abc", "aaa"] {
        store
            .create_session(&crate::store::NewSession {
                id: id.to_string(),
                title: String::new(),
                cwd: "/".into(),
                provider: String::new(),
                model: String::new(),
            })
            .unwrap();
    }
    items(&store, "aaa-1", &[(User, "Refactor the Parser")]);
    items(&store, "abc", &[(User, "Über große Dateien")]);
    store.rename_session("aaa-2", "100% done_ish").unwrap();

    assert_eq!(ids(&store.find_sessions("aaa").unwrap()), vec!["aaa"]);
    // Newest first; both may carry the same millisecond, so compare as a set.
    let found = store.find_sessions("aaa-").unwrap();
    let mut prefixed = ids(&found);
    prefixed.sort_unstable();
    assert_eq!(prefixed, vec!["aaa-1", "aaa-2"]);
    assert_eq!(ids(&store.find_sessions("PARSER").unwrap()), vec!["aaa-1"]);
    assert_eq!(ids(&store.find_sessions(" über ").unwrap()), vec!["abc"]);
    assert_eq!(
        ids(&store.find_sessions("GROSSE").unwrap()),
        Vec::<&str>::new()
    );
    assert_eq!(ids(&store.find_sessions("0% d").unwrap()), vec!["aaa-2"]);
    assert_eq!(ids(&store.find_sessions("e_i").unwrap()), vec!["aaa-2"]);
    assert!(store.find_sessions("x_y%").unwrap().is_empty());
    assert!(store.find_sessions("  ").unwrap().is_empty());
}

#[test]
fn fork_copies_items_before_the_fork_point() {
    let store = Store::open_in_memory().unwrap();
    let parent = session(&store, "/a");
    let made = items(
        &store,
        &parent,
        &[
            (User, "first"),
            (Assistant, "one"),
            (ToolCall, "{\"id\":\"c\"}"),
            (ToolResult, "{\"call_id\":\"c\"}"),
            (User, "second"),
            (Assistant, "two"),
        ],
    );
    store
        .conn
        .execute(
            "UPDATE items SET input_tokens = 5, interrupted = 1, created_at = 7 WHERE id = ?1",
            [made[1]],
        )
        .unwrap();

    let fork = store.fork_session(&parent, Some(made[4]), "f1").unwrap();
    assert_eq!(fork.parent_id.as_deref(), Some(parent.as_str()));
    assert_eq!(fork.title, "first");
    assert_eq!((fork.cwd.as_str(), fork.model.as_str()), ("/a", "m"));
    assert_eq!(fork.message_count, 2);
    assert_eq!(fork.first_prompt, "first");
    let copied = store.load_session("f1").unwrap();
    let original = store.load_session(&parent).unwrap();
    assert_eq!(copied.items.len(), 4);
    for (c, o) in copied.items.iter().zip(&original.items) {
        assert_eq!(
            (c.kind, &c.content, c.interrupted),
            (o.kind, &o.content, o.interrupted)
        );
        assert!(c.id > o.id);
    }
    assert_eq!(copied.total_tokens, 5);
    assert_eq!(
        count(
            &store,
            "SELECT created_at FROM items WHERE session_id = 'f1' AND input_tokens = 5"
        ),
        7
    );
    let fork_item: i64 = store
        .conn
        .query_row(
            "SELECT fork_item_id FROM sessions WHERE id = 'f1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fork_item, made[4]);

    let whole = store.fork_session(&parent, None, "f2").unwrap();
    assert_eq!(whole.message_count, 4);
    assert_eq!(store.load_session("f2").unwrap().items.len(), 6);
    let fork_item: i64 = store
        .conn
        .query_row(
            "SELECT fork_item_id FROM sessions WHERE id = 'f2'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fork_item, made[5]);
    // Newest first: the forks are the latest sessions.
    assert_eq!(store.list_sessions(None, false, 1).unwrap()[0].id, "f2");
}

#[test]
fn fork_refuses_foreign_items_and_taken_ids_and_writes_nothing() {
    let store = Store::open_in_memory().unwrap();
    let parent = session(&store, "/a");
    let other = session(&store, "/a");
    let foreign = items(&store, &other, &[(User, "x")])[0];
    items(&store, &parent, &[(User, "y")]);
    assert!(matches!(
        store.fork_session(&parent, Some(foreign), "f"),
        Err(StoreError::ItemNotInSession { item, .. }) if item == foreign
    ));
    assert!(matches!(
        store.fork_session(&parent, Some(9999), "f"),
        Err(StoreError::NoSuchItem(9999))
    ));
    assert!(matches!(
        store.fork_session(&parent, None, &other),
        Err(StoreError::SessionExists(_))
    ));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM sessions"), 2);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM items"), 2);
}

#[test]
fn fork_of_a_reply_being_streamed_copies_what_arrived() {
    let store = Store::open_in_memory().unwrap();
    let parent = session(&store, "/a");
    items(&store, &parent, &[(User, "q")]);
    let item = store.begin_item(&parent, ItemKind::Assistant).unwrap();
    store.append_part(item, "so ").unwrap();
    store.append_part(item, "far").unwrap();
    let fork = store.fork_session(&parent, None, "f").unwrap();
    assert_eq!(fork.message_count, 2);
    let copied = store.load_session("f").unwrap();
    assert_eq!(copied.items[1].content, "so far");
    assert!(copied.items[1].interrupted);
    assert_eq!(store.seal_incomplete("f").unwrap(), 0);
}

#[test]
fn delete_removes_items_and_parts_keeps_forks_and_audit() {
    let store = Store::open_in_memory().unwrap();
    let parent = session(&store, "/a");
    items(&store, &parent, &[(User, "q"), (Assistant, "a")]);
    let streaming = store.begin_item(&parent, ItemKind::Assistant).unwrap();
    store.append_part(streaming, "x").unwrap();
    let fork = store.fork_session(&parent, None, "child").unwrap();
    store
        .record_audit(&AuditRecord {
            time: 1,
            session_id: Some(parent.clone()),
            tool: "shell".into(),
            arguments: "{}".into(),
            decision: "allowed".into(),
            decided_by: "mode yolo".into(),
            status: "ok".into(),
            exit_code: Some(0),
            duration_ms: 1,
        })
        .unwrap();

    store.delete_session(&parent).unwrap();
    assert_eq!(store.get_session(&parent).unwrap(), None);
    assert_eq!(
        count(
            &store,
            &format!("SELECT COUNT(*) FROM items WHERE session_id = '{parent}'")
        ),
        0
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM item_parts"), 0);
    let child = store.get_session(&fork.id).unwrap().unwrap();
    assert_eq!(child.parent_id, None);
    assert_eq!(store.load_session("child").unwrap().items.len(), 3);
    let audit = store.list_audit(10).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].session_id.as_deref(), Some(parent.as_str()));
}

/// Listing reads only the sessions table (its speed at 10,000 sessions / 1,000,000 items is
/// measured in `benches/sessions.rs`, not asserted here).
#[test]
fn listing_reads_only_the_sessions_table() {
    let store = Store::open_in_memory().unwrap();
    store
        .conn
        .execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
             INSERT INTO sessions (id, title, cwd, created_at, updated_at, message_count, archived)
             SELECT printf('s%05d', i), 'title ' || i, '/cwd' || (i % 20), i, i * 7 % 10007, 100,
                    i % 10 = 0
             FROM n;
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
             INSERT INTO items (session_id, kind, content, created_at)
             SELECT printf('s%05d', i / 10), CASE WHEN i % 2 THEN 'assistant' ELSE 'user' END,
                    'message', i
             FROM n;",
        )
        .unwrap();
    assert_eq!(count(&store, "SELECT COUNT(*) FROM items"), 100_000);
    let plan: String = store
        .conn
        .prepare("EXPLAIN QUERY PLAN SELECT id FROM sessions WHERE cwd = '/cwd3' ORDER BY updated_at DESC")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!plan.contains("items"), "{plan}");
    for (cwd, archived) in [(None, false), (None, true), (Some("/cwd3"), false)] {
        let list = store.list_sessions(cwd, archived, 10_000).unwrap();
        assert!(list.windows(2).all(|w| w[0].updated_ms >= w[1].updated_ms));
        assert!(list.iter().all(|s| s.message_count == 100));
        assert!(!list.is_empty());
    }
    assert_eq!(
        store.list_sessions(None, true, 10_000).unwrap().len(),
        10_000
    );
    assert_eq!(
        store.list_sessions(None, false, 10_000).unwrap().len(),
        9_000
    );
}

#[test]
fn the_random_part_of_an_id_finds_its_session() {
    let store = Store::open_in_memory().unwrap();
    // Two sessions of one day: the same time prefix, different random parts.
    for id in ["19ad4f3c2e1-ab12", "19ad4f3c2e9-cd34", "19ad4f3c2f0-ab99"] {
        store
            .create_session(&crate::store::NewSession {
                id: id.to_string(),
                title: String::new(),
                cwd: "/".into(),
                provider: String::new(),
                model: String::new(),
            })
            .unwrap();
    }
    assert_eq!(crate::store::short_id("19ad4f3c2e9-cd34"), "cd34");
    assert_eq!(crate::store::short_id("odd"), "odd");
    assert_eq!(
        ids(&store.find_sessions("cd34").unwrap()),
        vec!["19ad4f3c2e9-cd34"]
    );
    assert_eq!(
        ids(&store.find_sessions("CD34").unwrap()),
        vec!["19ad4f3c2e9-cd34"]
    );
    let two = store.find_sessions("ab").unwrap();
    assert!(
        two.is_empty(),
        "2 hex digits are too few to mean an id: {two:?}"
    );
    let ab = store.find_sessions("ab1").unwrap();
    assert_eq!(ids(&ab), vec!["19ad4f3c2e1-ab12"]);
    // A time prefix still works as before.
    assert_eq!(store.find_sessions("19ad4f3c2e").unwrap().len(), 2);
}
