//! The memory index against real files and a real store: round trip, scope isolation,
//! supersede / forget (checked with SQL on every table), trigram / CJK, session recall, and the
//! bad-input table (each: a clear problem in status, search keeps working, no file changed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use pincer::config::MemoryConfig;
use pincer::memory::edit::{WriteMode, WriteRequest};
use pincer::memory::{MemoryDirs, MemoryError, MemoryService, Query, search};
use pincer::protocol::{MemoryProvenance, MemoryScope, MemoryScopeFilter};
use pincer::store::{ItemKind, NewSession, Store};

struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    store: Store,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let store = Store::open(&root.join("db/pincer.db")).unwrap();
        World {
            _tmp: tmp,
            root,
            store,
        }
    }

    /// Memory for a workspace folder `name` (created).
    fn memory(&self, name: &str) -> MemoryService {
        let ws = self.root.join(name);
        std::fs::create_dir_all(&ws).unwrap();
        MemoryService::new(
            MemoryDirs::under(&self.root.join("memory"), &ws),
            MemoryConfig::default(),
        )
    }

    fn count(&self, sql: &str) -> i64 {
        self.store
            .connection()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }
}

fn write(m: &MemoryService, store: &Store, text: &str, scope: MemoryScope) -> String {
    let req = WriteRequest {
        text: text.into(),
        mode: WriteMode::Append,
        scope,
        file: None,
        kind: None,
        target: None,
    };
    m.write(store, &req, MemoryProvenance::Model).unwrap().1
}

fn find(m: &MemoryService, store: &Store, q: &str) -> Vec<String> {
    m.sync(store).unwrap();
    let hits = search(store, &m.dirs, &Query::new(q)).unwrap();
    hits.into_iter().map(|h| h.snippet).collect()
}

#[test]
fn files_and_index_round_trip() {
    let w = World::new();
    let m = w.memory("app");
    std::fs::create_dir_all(&m.dirs.user).unwrap();
    std::fs::write(
        m.dirs.user.join("MEMORY.md"),
        "# Me\n\n- Prefers tabs over spaces\n- Lives in Lisbon\n",
    )
    .unwrap();
    std::fs::write(
        m.dirs.user.join("build.md"),
        "Release: run cargo publish after tagging.\n",
    )
    .unwrap();
    let id = write(&m, &w.store, "Favourite editor is helix", MemoryScope::User);
    assert_eq!(find(&m, &w.store, "tabs"), vec!["Prefers tabs over spaces"]);
    assert_eq!(
        find(&m, &w.store, "helix"),
        vec!["Favourite editor is helix"]
    );
    assert_eq!(find(&m, &w.store, "publish").len(), 1);
    let listed = m.list(&w.store, MemoryScopeFilter::All, "").unwrap();
    assert_eq!(listed.entries.len(), 4);
    assert!(
        listed
            .entries
            .iter()
            .any(|e| e.id == id && e.provenance == MemoryProvenance::Model)
    );
    // The index is rebuilt from the files alone: same entries, same ids.
    let before: Vec<_> = listed
        .entries
        .iter()
        .map(|e| (e.id.clone(), e.text.clone(), e.lines))
        .collect();
    pincer::memory::index::reindex(&w.store, &m.dirs).unwrap();
    let after: Vec<_> = m
        .list(&w.store, MemoryScopeFilter::All, "")
        .unwrap()
        .entries
        .iter()
        .map(|e| (e.id.clone(), e.text.clone(), e.lines))
        .collect();
    assert_eq!(before, after);
    // An edit on disk is seen at the next sync; a deleted file's rows go.
    std::fs::write(
        m.dirs.user.join("build.md"),
        "Release: bump, tag, then push.\n",
    )
    .unwrap();
    assert!(find(&m, &w.store, "publish").is_empty());
    assert_eq!(find(&m, &w.store, "bump").len(), 1);
    std::fs::remove_file(m.dirs.user.join("build.md")).unwrap();
    assert!(find(&m, &w.store, "bump").is_empty());
}

#[test]
fn project_memory_stays_in_its_project() {
    let w = World::new();
    let a = w.memory("alpha");
    let b = w.memory("beta");
    write(
        &a,
        &w.store,
        "Alpha builds with bazel",
        MemoryScope::Project,
    );
    write(&a, &w.store, "User likes bazel jokes", MemoryScope::User);
    assert_eq!(find(&a, &w.store, "bazel").len(), 2);
    assert_eq!(find(&b, &w.store, "bazel"), vec!["User likes bazel jokes"]);
    let listed = b.list(&w.store, MemoryScopeFilter::All, "").unwrap();
    assert!(listed.entries.iter().all(|e| !e.text.contains("Alpha")));
    // Another project's entry cannot be forgotten or read from here either.
    assert!(matches!(
        b.forget(&w.store, "Alpha builds"),
        Err(MemoryError::NotFound(_))
    ));
}

#[test]
fn supersede_keeps_history_and_forget_removes_everywhere() {
    let w = World::new();
    let m = w.memory("app");
    let old = write(&m, &w.store, "The deploy day is Friday", MemoryScope::User);
    let req = WriteRequest {
        text: "The deploy day is Tuesday".into(),
        mode: WriteMode::Supersede,
        scope: MemoryScope::User,
        file: None,
        kind: None,
        target: Some(old.clone()),
    };
    let (change, new) = m.write(&w.store, &req, MemoryProvenance::Model).unwrap();
    assert!(
        change.diff.contains("~~The deploy day is Friday~~"),
        "{}",
        change.diff
    );
    assert_eq!(
        find(&m, &w.store, "deploy day"),
        vec!["The deploy day is Tuesday"]
    );
    let mut q = Query::new("deploy day");
    q.include_superseded = true;
    let all = search(&w.store, &m.dirs, &q).unwrap();
    assert!(all.iter().any(|h| h.superseded && h.id == old), "{all:?}");
    // A vector row for the entry (as the embedding client writes it) goes with it.
    w.store
        .connection()
        .execute(
            "INSERT INTO memory_vectors (chunk_id, model, dim, text_hash, vec)
             SELECT id, 'm', 2, text_hash, x'0000803f00000000' FROM memory_chunks WHERE entry_id = ?1",
            [&new],
        )
        .unwrap();
    assert_eq!(w.count("SELECT COUNT(*) FROM memory_vectors"), 1);
    m.forget(&w.store, &new).unwrap();
    let file = std::fs::read_to_string(m.dirs.user.join("MEMORY.md")).unwrap();
    assert!(!file.contains("Tuesday"), "{file}");
    assert!(file.contains("Friday"));
    assert_eq!(
        w.count("SELECT COUNT(*) FROM memory_chunks WHERE text LIKE '%Tuesday%'"),
        0
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM memory_fts WHERE memory_fts MATCH 'tuesday'"),
        0
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM memory_trigram WHERE memory_trigram MATCH 'uesda'"),
        0
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM memory_vectors"), 0);
    // The FTS integrity checks agree with the content table.
    for t in ["memory_fts", "memory_trigram"] {
        w.store
            .connection()
            .execute(
                &format!("INSERT INTO {t}({t}) VALUES('integrity-check')"),
                [],
            )
            .unwrap();
    }
}

#[test]
fn substrings_and_cjk_are_found_by_trigram() {
    let w = World::new();
    let m = w.memory("app");
    write(
        &m,
        &w.store,
        "東京の事務所は月曜日に休みです",
        MemoryScope::User,
    );
    write(
        &m,
        &w.store,
        "Uses PostgreSQL for the billing service",
        MemoryScope::User,
    );
    assert_eq!(find(&m, &w.store, "事務所").len(), 1);
    assert_eq!(find(&m, &w.store, "gresq").len(), 1);
    assert_eq!(find(&m, &w.store, "billing").len(), 1);
    assert!(find(&m, &w.store, "京都").is_empty());
}

#[test]
fn past_sessions_are_searched_with_their_ids() {
    let w = World::new();
    let m = w.memory("app");
    let other = w.memory("other");
    let session = |id: &str, cwd: &Path| {
        w.store
            .create_session(&NewSession {
                id: id.into(),
                title: String::new(),
                cwd: cwd.display().to_string(),
                provider: String::new(),
                model: String::new(),
            })
            .unwrap();
    };
    session("s1", &m.dirs.project_root);
    session("s2", &other.dirs.project_root);
    w.store
        .append_item(
            "s1",
            ItemKind::User,
            "should we use sqlite or postgres?",
            false,
            None,
        )
        .unwrap();
    let item = w
        .store
        .append_item(
            "s1",
            ItemKind::Assistant,
            "We decided on SQLite with WAL for the cache.",
            false,
            None,
        )
        .unwrap();
    w.store
        .append_item(
            "s2",
            ItemKind::User,
            "the other project also uses sqlite",
            false,
            None,
        )
        .unwrap();
    m.sync(&w.store).unwrap();
    let mut q = Query::new("what did we decide about sqlite");
    q.k = 5;
    let hits = search(&w.store, &m.dirs, &q).unwrap();
    assert_eq!(hits[0].source, "session");
    assert_eq!(hits[0].session_id.as_deref(), Some("s1"));
    let decided = hits
        .iter()
        .find(|h| h.item_id == Some(item))
        .expect("the decision is found");
    assert_eq!(decided.session_id.as_deref(), Some("s1"));
    assert!(decided.snippet.contains("SQLite with WAL"));
    assert!(
        hits.iter().all(|h| h.session_id.as_deref() != Some("s2")),
        "{hits:?}"
    );
    // Incremental: nothing new, nothing indexed; a new item is.
    assert_eq!(m.sync(&w.store).unwrap().session_items, 0);
    w.store
        .append_item("s1", ItemKind::User, "and redis?", false, None)
        .unwrap();
    assert_eq!(m.sync(&w.store).unwrap().session_items, 1);
    // A deleted session leaves the index.
    w.store.delete_session("s1").unwrap();
    assert_eq!(
        w.count("SELECT COUNT(*) FROM memory_chunks WHERE session_id = 's1'"),
        0
    );
}

#[test]
fn writes_refuse_secrets_full_core_and_bad_names() {
    let w = World::new();
    let mut m = w.memory("app");
    m.config.core_max_lines = 2;
    let req = |text: &str, file: Option<&str>| WriteRequest {
        text: text.into(),
        mode: WriteMode::Append,
        scope: MemoryScope::User,
        file: file.map(str::to_string),
        kind: None,
        target: None,
    };
    let secret = req(
        "my key is sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
        None,
    );
    assert!(matches!(
        m.write(&w.store, &secret, MemoryProvenance::Model),
        Err(MemoryError::Secret)
    ));
    m.write(&w.store, &req("one", None), MemoryProvenance::Model)
        .unwrap();
    m.write(&w.store, &req("two", None), MemoryProvenance::Model)
        .unwrap();
    let full = m
        .write(&w.store, &req("three", None), MemoryProvenance::Model)
        .unwrap_err();
    assert!(full.to_string().contains("topic file"), "{full}");
    m.write(
        &w.store,
        &req("three", Some("misc")),
        MemoryProvenance::Model,
    )
    .unwrap();
    assert!(m.dirs.user.join("misc.md").exists());
    for bad in ["../escape", "a/b", ".hidden", "x\0y"] {
        let e = m
            .write(&w.store, &req("x", Some(bad)), MemoryProvenance::Model)
            .unwrap_err();
        assert!(matches!(e, MemoryError::BadName(_)), "{bad}: {e}");
    }
    assert!(!w.root.join("escape.md").exists());
}

#[test]
fn undo_restores_the_file_exactly_unless_edited_since() {
    let w = World::new();
    let m = w.memory("app");
    std::fs::create_dir_all(&m.dirs.user).unwrap();
    let core = m.dirs.user.join("MEMORY.md");
    std::fs::write(&core, "- typed by hand\n").unwrap();
    let req = WriteRequest {
        text: "remember me".into(),
        mode: WriteMode::Append,
        scope: MemoryScope::User,
        file: None,
        kind: None,
        target: None,
    };
    let (change, _) = m.write(&w.store, &req, MemoryProvenance::Model).unwrap();
    assert!(change.undoable);
    m.undo(&w.store, change.change_id).unwrap();
    assert_eq!(std::fs::read_to_string(&core).unwrap(), "- typed by hand\n");
    assert!(find(&m, &w.store, "remember").is_empty());
    let (change, _) = m.write(&w.store, &req, MemoryProvenance::Model).unwrap();
    std::fs::write(&core, "- edited meanwhile\n").unwrap();
    let e = m.undo(&w.store, change.change_id).unwrap_err();
    assert!(matches!(e, MemoryError::EditedSince(_)), "{e}");
    assert_eq!(
        std::fs::read_to_string(&core).unwrap(),
        "- edited meanwhile\n"
    );
}

#[test]
fn bad_files_are_reported_and_search_keeps_working() {
    let w = World::new();
    let m = w.memory("app");
    let dir = m.dirs.user.clone();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("good.md"), "- the good fact\n").unwrap();
    std::fs::write(dir.join("utf8.md"), b"- ok\n- \xff\xfe broken\n").unwrap();
    let big = std::fs::File::create(dir.join("big.md")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    std::os::unix::fs::symlink(dir.join("loop.md"), dir.join("loop.md")).unwrap();
    let fifo = dir.join("fifo.md");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let before: Vec<(PathBuf, u64)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.path(), e.path().symlink_metadata().unwrap().len())
        })
        .collect();
    let report = m.sync(&w.store).unwrap();
    let problems = report.problems.join("\n");
    for name in ["utf8.md", "big.md", "loop.md", "fifo.md"] {
        assert!(problems.contains(name), "{name} not reported: {problems}");
    }
    assert!(problems.contains("utf8.md:2:"), "{problems}");
    let status = m.status(&w.store).unwrap();
    assert_eq!(status.problems.len(), 4, "{:?}", status.problems);
    assert_eq!(status.files, 1);
    assert_eq!(find(&m, &w.store, "good"), vec!["the good fact"]);
    let after: Vec<(PathBuf, u64)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.path(), e.path().symlink_metadata().unwrap().len())
        })
        .collect();
    assert_eq!(before.len(), after.len());
    // An index that disagrees with the files (rows of a file that is gone, a row edited by
    // hand) is brought back to what the files say.
    w.store
        .connection()
        .execute(
            "INSERT INTO memory_chunks (source, entry_id, scope, project, path, kind, provenance,
                created, text_hash, text) VALUES ('memory', 'dead0001', 'user', '', 'gone.md',
                'semantic', 'user', 0, x'00', 'phantom fact')",
            [],
        )
        .unwrap();
    w.store
        .connection()
        .execute(
            "INSERT INTO memory_files (scope, project, path, size, mtime) VALUES ('user', '', 'gone.md', 1, 1)",
            [],
        )
        .unwrap();
    assert!(find(&m, &w.store, "phantom").is_empty());
}

#[test]
fn an_edit_that_only_changes_case_or_punctuation_is_shown_and_keeps_the_row() {
    let w = World::new();
    let m = w.memory("app");
    std::fs::create_dir_all(&m.dirs.user).unwrap();
    let f = m.dirs.user.join("notes.md");
    std::fs::write(&f, "- Lives in lisbon\n- Drinks tea\n").unwrap();
    assert_eq!(find(&m, &w.store, "lisbon"), vec!["Lives in lisbon"]);
    let row = "SELECT id FROM memory_chunks WHERE text LIKE 'Drinks%'";
    let tea = w.count(row);
    // Same words once normalized: the row is kept, and the text shown is the new one.
    std::fs::write(&f, "- Lives in Lisbon!\n- Drinks tea\n").unwrap();
    assert_eq!(find(&m, &w.store, "lisbon"), vec!["Lives in Lisbon!"]);
    assert_eq!(w.count(row), tea);
    assert_eq!(find(&m, &w.store, "tea"), vec!["Drinks tea"]);
}

#[test]
fn a_file_fixed_on_disk_is_indexed_again() {
    let w = World::new();
    let m = w.memory("app");
    std::fs::create_dir_all(&m.dirs.user).unwrap();
    let f = m.dirs.user.join("notes.md");
    std::fs::write(&f, "- first version\n").unwrap();
    assert_eq!(find(&m, &w.store, "first").len(), 1);
    std::fs::write(&f, b"- second \xff version\n").unwrap();
    // Unreadable now: the old entry stays searchable, the problem is reported.
    assert_eq!(find(&m, &w.store, "first").len(), 1);
    assert_eq!(m.status(&w.store).unwrap().problems.len(), 1);
    std::fs::write(&f, "- third version\n").unwrap();
    assert!(find(&m, &w.store, "first").is_empty());
    assert_eq!(find(&m, &w.store, "third").len(), 1);
    assert!(m.status(&w.store).unwrap().problems.is_empty());
}

#[test]
fn hostile_queries_never_break_search() {
    let w = World::new();
    let m = w.memory("proj");
    m.reindex(&w.store).unwrap();
    write(
        &m,
        &w.store,
        "The deploy NEAR staging uses port 8443.",
        MemoryScope::User,
    );
    let long = "deploy staging ".repeat(5_000);
    for q in [
        "\"",
        "NEAR(",
        "deploy\" OR NEAR(x) \"staging*",
        "deploy AND NOT staging",
        "^deploy :text col:staging",
        "deploy* - staging + (port)",
        "{deploy staging} NEAR/2",
        "'; DROP TABLE memory_chunks; --",
        "\u{0}deploy\u{7f}staging",
        long.as_str(),
    ] {
        let hits = search(&w.store, &m.dirs, &Query::new(q));
        assert!(hits.is_ok(), "{q:.40}: {hits:?}");
    }
    // Operators are words: the note is found through them.
    assert_eq!(find(&m, &w.store, "deploy\" NEAR staging").len(), 1);
}

#[test]
fn an_exact_match_outranks_partial_matches_that_are_newer() {
    let w = World::new();
    let m = w.memory("proj");
    m.reindex(&w.store).unwrap();
    write(
        &m,
        &w.store,
        "My dentist's hometown is Tarbes.",
        MemoryScope::User,
    );
    for i in 0..30 {
        write(
            &m,
            &w.store,
            &format!("My dentist fixed lamp {i}; we bought a hometown-themed birthday gift {i}."),
            MemoryScope::User,
        );
        write(
            &m,
            &w.store,
            &format!("My dentist cleaned up notebook {i}."),
            MemoryScope::User,
        );
    }
    let hits = find(&m, &w.store, "What is my dentist's hometown?");
    assert!(
        hits.first().is_some_and(|h| h.contains("Tarbes")),
        "{hits:?}"
    );
}

#[test]
fn the_same_fact_is_written_once_whoever_writes_it() {
    let w = World::new();
    let m = w.memory("app");
    let id = write(&m, &w.store, "Prefers tabs over spaces.", MemoryScope::User);
    let again = WriteRequest {
        text: "prefers TABS over   spaces".into(),
        mode: WriteMode::Append,
        scope: MemoryScope::User,
        file: None,
        kind: None,
        target: None,
    };
    for by in [MemoryProvenance::Model, MemoryProvenance::Imported] {
        match m.write(&w.store, &again, by) {
            Err(MemoryError::AlreadyRemembered { id: same, path }) => {
                assert_eq!((same.as_str(), path.as_str()), (id.as_str(), "MEMORY.md"));
            }
            other => panic!("{other:?}"),
        }
    }
    // Once superseded, the old fact no longer stands in the way of its own return.
    let supersede = WriteRequest {
        text: "Prefers spaces now.".into(),
        mode: WriteMode::Supersede,
        target: Some(id.clone()),
        ..again.clone()
    };
    m.write(&w.store, &supersede, MemoryProvenance::Model)
        .unwrap();
    m.write(&w.store, &again, MemoryProvenance::Model).unwrap();
    let core = std::fs::read_to_string(m.dirs.user.join("MEMORY.md")).unwrap();
    assert_eq!(core.lines().count(), 3, "{core}");
}
