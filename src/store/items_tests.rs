use super::super::test_support::{count, items, session};
use super::*;
use crate::store::ItemKind::{Assistant, ToolCall, User};

fn usage(input: u64, output: u64) -> TokenUsage {
    TokenUsage {
        input_tokens: input,
        output_tokens: output,
        estimated: false,
    }
}

#[test]
fn append_item_keeps_counts_first_prompt_and_title() {
    let store = Store::open_in_memory().unwrap();
    let id = session(&store, "/a");
    items(
        &store,
        &id,
        &[
            (ToolCall, "{}"),
            (User, "  \n Fix the parser\nplease"),
            (Assistant, "done"),
            (User, "thanks"),
        ],
    );
    let s = store.get_session(&id).unwrap().unwrap();
    assert_eq!(s.message_count, 3);
    assert_eq!(s.first_prompt, "  \n Fix the parser\nplease");
    assert_eq!(s.title, "Fix the parser");
}

#[test]
fn first_prompt_is_capped_and_title_kept_when_set() {
    let store = Store::open_in_memory().unwrap();
    let id = session(&store, "/a");
    store.rename_session(&id, "mine").unwrap();
    let long = "é".repeat(600);
    items(&store, &id, &[(User, &long)]);
    let s = store.get_session(&id).unwrap().unwrap();
    assert_eq!(s.first_prompt.chars().count(), 500);
    assert_eq!(s.title, "mine");
}

#[test]
fn unknown_session_or_item_is_a_clear_error() {
    let store = Store::open_in_memory().unwrap();
    assert!(matches!(
        store.append_item("nope", User, "x", false, None),
        Err(StoreError::NoSuchSession(id)) if id == "nope"
    ));
    assert!(matches!(
        store.begin_item("nope", Assistant),
        Err(StoreError::NoSuchSession(_))
    ));
    assert!(matches!(
        store.append_part(42, "x"),
        Err(StoreError::NoSuchItem(42))
    ));
    assert!(matches!(
        store.finish_item(42, "x", false, None),
        Err(StoreError::NoSuchItem(42))
    ));
    assert!(matches!(
        store.last_items("nope", 3),
        Err(StoreError::NoSuchSession(_))
    ));
    assert!(matches!(
        store.seal_incomplete("nope"),
        Err(StoreError::NoSuchSession(_))
    ));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM items"), 0);
}

#[test]
fn streamed_reply_begin_parts_finish() {
    let store = Store::open_in_memory().unwrap();
    let id = session(&store, "/a");
    items(&store, &id, &[(User, "hi")]);
    let item = store.begin_item(&id, Assistant).unwrap();
    for part in ["Hel", "lo", ", world"] {
        store.append_part(item, part).unwrap();
    }
    // Mid-stream: shown as what has arrived, interrupted, not yet counted.
    let loaded = store.load_session(&id).unwrap();
    assert_eq!(loaded.items[1].content, "Hello, world");
    assert!(loaded.items[1].interrupted);
    assert_eq!(store.get_session(&id).unwrap().unwrap().message_count, 1);

    store
        .finish_item(item, "Hello, world!", false, Some(usage(3, 4)))
        .unwrap();
    let loaded = store.load_session(&id).unwrap();
    assert_eq!(loaded.items[1].id, item);
    assert_eq!(loaded.items[1].content, "Hello, world!");
    assert!(!loaded.items[1].interrupted);
    assert_eq!(loaded.total_tokens, 7);
    assert_eq!(store.get_session(&id).unwrap().unwrap().message_count, 2);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM item_parts"), 0);
    assert!(matches!(
        store.append_part(item, "late"),
        Err(StoreError::ItemFinished(i)) if i == item
    ));
    assert!(matches!(
        store.finish_item(item, "again", false, None),
        Err(StoreError::ItemFinished(_))
    ));
    assert_eq!(store.get_session(&id).unwrap().unwrap().message_count, 2);
}

#[test]
fn crash_mid_stream_then_seal_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pincer.db");
    let (id, item) = {
        let store = Store::open(&path).unwrap();
        let id = session(&store, "/a");
        items(&store, &id, &[(User, "question")]);
        let item = store.begin_item(&id, Assistant).unwrap();
        store.append_part(item, "partial ").unwrap();
        store.append_part(item, "answer").unwrap();
        (id, item)
        // dropped here without finish_item: the "crash"
    };
    let store = Store::open(&path).unwrap();
    let loaded = store.load_session(&id).unwrap();
    assert_eq!(loaded.items.len(), 2);
    assert_eq!(loaded.items[1].content, "partial answer");
    assert!(loaded.items[1].interrupted);
    assert_eq!(
        store.last_items(&id, 1).unwrap(),
        vec![loaded.items[1].clone()]
    );

    assert_eq!(store.seal_incomplete(&id).unwrap(), 1);
    assert_eq!(store.seal_incomplete(&id).unwrap(), 0);
    assert_eq!(store.load_session(&id).unwrap(), loaded);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM item_parts"), 0);
    assert_eq!(
        count(
            &store,
            &format!("SELECT complete FROM items WHERE id = {item}")
        ),
        1
    );
    assert_eq!(store.get_session(&id).unwrap().unwrap().message_count, 2);
    assert!(matches!(
        store.append_part(item, "more"),
        Err(StoreError::ItemFinished(_))
    ));
}

#[test]
fn delete_item_drops_only_an_unfinished_reply() {
    let store = Store::open_in_memory().unwrap();
    let id = session(&store, "/a");
    let done = items(&store, &id, &[(User, "q")])[0];
    let partial = store.begin_item(&id, Assistant).unwrap();
    store.append_part(partial, "half").unwrap();
    store.delete_item(done).unwrap();
    store.delete_item(partial).unwrap();
    store.delete_item(9999).unwrap();
    let loaded = store.load_session(&id).unwrap();
    assert_eq!(loaded.items.len(), 1);
    assert_eq!(loaded.items[0].id, done);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM item_parts"), 0);
    assert_eq!(store.get_session(&id).unwrap().unwrap().message_count, 1);
}

#[test]
fn last_items_are_the_newest_oldest_first() {
    let store = Store::open_in_memory().unwrap();
    let id = session(&store, "/a");
    let other = session(&store, "/a");
    let ids = items(
        &store,
        &id,
        &[(User, "1"), (Assistant, "2"), (User, "3"), (Assistant, "4")],
    );
    items(&store, &other, &[(User, "x")]);
    let last = store.last_items(&id, 3).unwrap();
    assert_eq!(
        last.iter().map(|i| i.content.as_str()).collect::<Vec<_>>(),
        vec!["2", "3", "4"]
    );
    assert_eq!(last[0].id, ids[1]);
    assert_eq!(store.last_items(&id, 10).unwrap().len(), 4);
    assert!(store.last_items(&id, 0).unwrap().is_empty());
}

#[test]
fn append_part_does_not_slow_down_as_the_reply_grows() {
    let store = Store::open_in_memory().unwrap();
    let id = session(&store, "/a");
    let item = store.begin_item(&id, Assistant).unwrap();
    let plan: String = store
        .conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT MAX(seq) FROM item_parts WHERE item_id = 1",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("SEARCH"), "{plan}");
    let chunk = "x".repeat(100);
    for _ in 0..2000 {
        store.append_part(item, &chunk).unwrap();
    }
    let loaded = store.load_session(&id).unwrap();
    assert_eq!(loaded.items[0].content.len(), 200_000);
}

/// Two connections on one WAL file: the reader always sees whole, ordered sessions while the
/// writer appends, and never fails with "database is locked".
#[test]
fn writer_and_reader_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pincer.db");
    let writer = Store::open(&path).unwrap();
    let id = session(&writer, "/a");
    let reader = Store::open(&path).unwrap();
    const PAIRS: usize = 150;
    let reader_id = id.clone();
    let reading = std::thread::spawn(move || {
        let mut last_count = 0;
        let mut reads = 0;
        loop {
            let listed = reader.list_sessions(Some("/a"), false, 10).unwrap();
            assert_eq!(listed.len(), 1);
            let count = listed[0].message_count;
            assert!(
                count >= last_count,
                "count went back: {count} < {last_count}"
            );
            last_count = count;
            let loaded = reader.load_session(&reader_id).unwrap();
            // Later read, so at least as many items as the summary counted.
            assert!(loaded.items.len() as u64 >= count);
            for (i, item) in loaded.items.iter().enumerate() {
                assert_eq!(item.content, format!("m{i}"));
                assert!(!item.interrupted);
            }
            assert!(loaded.items.windows(2).all(|w| w[0].id < w[1].id));
            reads += 1;
            if count == 2 * PAIRS as u64 {
                return reads;
            }
        }
    });
    for i in 0..PAIRS {
        items(
            &writer,
            &id,
            &[
                (User, format!("m{}", 2 * i).as_str()),
                (Assistant, format!("m{}", 2 * i + 1).as_str()),
            ],
        );
    }
    let reads = reading.join().unwrap();
    assert!(reads >= 1);
    assert_eq!(
        writer.get_session(&id).unwrap().unwrap().message_count,
        2 * PAIRS as u64
    );
}
