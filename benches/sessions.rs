//! Sessions at scale: a generated store of 10,000 sessions and 1,000,000 items.
//!
//! `pane_first_frame`: list every session (all directories) from the store, fill the pane, draw
//! it at 120×40 — what F2 costs. `filter_keystroke_pair`: type a letter into the filter and
//! redraw, then erase it and redraw (two keystrokes). `resume_5000_items`: load a 5,000-item
//! session, rebuild it, hand it to the UI and draw the first frame. The store's size per 1,000
//! items is printed once. `open_with_integrity_check`: what opening the store costs at start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pincer::protocol::SessionConfigured;
use std::path::PathBuf;
use std::sync::LazyLock;

use divan::{Bencher, black_box};
use pincer::protocol::{Event, ProviderInfo, ProviderKind, SessionScope};
use pincer::runtime::rebuild;
use pincer::store::Store;
use pincer::tui::app::App;
use pincer::tui::session_pane::SessionPane;
use pincer::tui::theme::Theme;
use pincer::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

const SESSIONS: usize = 10_000;
const ITEMS: usize = 1_000_000;
const BIG: usize = 5_000;
const BIG_ID: &str = "big-session";

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(generate);

fn generate() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pincer.db");
    drop(Store::open(&db).unwrap()); // schema
    let mut conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut session = tx
            .prepare(
                "INSERT INTO sessions (id, title, cwd, provider, model, created_at, updated_at,
                                       parent_id, message_count, first_prompt)
                 VALUES (?1, ?2, ?3, 'openai', 'gpt-4.1-mini', ?4, ?4, ?5, ?6, ?2)",
            )
            .unwrap();
        let mut item = tx
            .prepare(
                "INSERT INTO items (session_id, kind, content, interrupted, output_tokens, created_at)
                 VALUES (?1, ?2, ?3, 0, ?4, ?5)",
            )
            .unwrap();
        let topics = [
            "fix the flaky parser test",
            "explain the borrow checker error",
            "write a migration",
            "review this diff",
            "speed up the build",
            "add a CLI flag",
            "debug the SIGTERM hang",
            "summarise the design doc",
            "port the script to rust",
            "tidy the README",
        ];
        let per = (ITEMS - BIG) / (SESSIONS - 1);
        let mut t: i64 = 1_700_000_000_000;
        for s in 0..SESSIONS {
            let (id, n) = if s == SESSIONS / 2 {
                (BIG_ID.to_string(), BIG)
            } else {
                (format!("s{s:05}"), per)
            };
            let title = format!("{} #{s}", topics[s % topics.len()]);
            let parent = (s % 10 == 9).then(|| format!("s{:05}", s - 1));
            t += 60_000;
            session
                .execute(rusqlite::params![
                    id,
                    title,
                    format!("/home/me/src/project-{}", s % 20),
                    t,
                    parent,
                    n as i64
                ])
                .unwrap();
            for i in 0..n {
                let (kind, content) = if i % 2 == 0 {
                    (
                        "user",
                        format!("{title}: question {i} about the code in src/lib.rs"),
                    )
                } else {
                    (
                        "assistant",
                        format!(
                            "Answer {i}: the function `parse` returns early when the **input** is empty, so the caller sees `None`.\n\n- check the guard\n- add a test"
                        ),
                    )
                };
                item.execute(rusqlite::params![id, kind, content, 30, t])
                    .unwrap();
            }
        }
    }
    tx.commit().unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    let size = std::fs::metadata(&db).unwrap().len();
    println!(
        "store: {SESSIONS} sessions, {ITEMS} items, {:.1} MiB, {:.1} KiB per 1,000 items",
        size as f64 / 1_048_576.0,
        size as f64 / 1024.0 / (ITEMS as f64 / 1000.0)
    );
    Fixture { _dir: dir, db }
}

fn main() {
    LazyLock::force(&FIXTURE);
    divan::main();
}

fn area() -> Rect {
    Rect::new(0, 0, 120, 40)
}

#[divan::bench(sample_count = 30)]
fn pane_first_frame(bencher: Bencher) {
    let store = Store::open(&FIXTURE.db).unwrap();
    let theme = Theme::dark();
    bencher.bench_local(|| {
        let sessions = store.list_sessions(None, true, 50_000).unwrap();
        assert_eq!(sessions.len(), SESSIONS);
        let mut pane = SessionPane::new(SessionScope::All);
        black_box(pane.set_sessions(SessionScope::All, sessions, None));
        let mut buf = Buffer::empty(area());
        pane.render(area(), &mut buf, &theme, 1_700_700_000_000);
        black_box(buf);
    });
}

#[divan::bench(sample_count = 50)]
fn filter_keystroke_pair(bencher: Bencher) {
    let store = Store::open(&FIXTURE.db).unwrap();
    let theme = Theme::dark();
    let mut pane = SessionPane::new(SessionScope::All);
    let _ = pane.set_sessions(
        SessionScope::All,
        store.list_sessions(None, true, 50_000).unwrap(),
        None,
    );
    for c in "pars".chars() {
        let _ = pane.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    let mut buf = Buffer::empty(area());
    bencher.bench_local(|| {
        let _ = pane.handle_key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE));
        pane.render(area(), &mut buf, &theme, 1_700_700_000_000);
        let _ = pane.handle_key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        pane.render(area(), &mut buf, &theme, 1_700_700_000_000);
    });
}

#[divan::bench(sample_count = 30)]
fn resume_5000_items(bencher: Bencher) {
    let store = Store::open(&FIXTURE.db).unwrap();
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    bencher.bench_local(|| {
        let loaded = store.load_session(BIG_ID).unwrap();
        assert_eq!(loaded.items.len(), BIG);
        let rebuilt = rebuild(&loaded.items);
        let mut app = App::new(Theme::dark());
        app.on_event(Event::SessionConfigured(SessionConfigured {
            session_id: Some(BIG_ID.into()),
            provider: Some(ProviderInfo {
                profile: "bench".into(),
                kind: ProviderKind::Openai,
                model: "m".into(),
                base_url: "http://127.0.0.1:1/v1".into(),
            }),
            history: rebuilt.history,
            input_history: vec![],
            session_tokens: loaded.total_tokens,
        }));
        term.draw(|f| view::render(&mut app, f)).unwrap();
        black_box(&app);
    });
}

/// `Store::open` on the generated store: migrations check plus `PRAGMA quick_check` (runs in the
/// runtime task after the first frame, before the session list is ready).
#[divan::bench(sample_count = 10)]
fn open_with_integrity_check() {
    let store = Store::open(&FIXTURE.db).unwrap();
    assert!(store.integrity_report().is_none());
    black_box(store);
}
