//! Snapshots of the memory pane (they are the spec: review by eye). Dates are relative to the
//! frozen clock, so no snapshot holds a wall-clock value.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::clock::Clock;
use super::memory_pane::MemoryPane;
use super::theme::Theme;
use crate::protocol::{
    MemoryEntry, MemoryKind, MemoryListing, MemoryProvenance, MemoryScope, MemoryScopeFilter,
};

const DAY: i64 = 86_400;

fn draw(pane: &MemoryPane, width: u16, height: u16) -> String {
    let theme = Theme::dark();
    let now_ms = Clock::frozen().wall_ms();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            let area = f.area();
            pane.render(area, f.buffer_mut(), &theme, now_ms)
        })
        .unwrap();
    terminal.backend().to_string()
}

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn now_s() -> i64 {
    Clock::frozen().wall_ms() / 1000
}

#[allow(clippy::too_many_arguments)]
fn entry(
    id: &str,
    scope: MemoryScope,
    path: &str,
    lines: (u32, u32),
    provenance: MemoryProvenance,
    age_days: i64,
    kind: MemoryKind,
    text: &str,
) -> MemoryEntry {
    MemoryEntry {
        id: id.into(),
        scope,
        path: path.into(),
        abs_path: format!("/home/me/.local/share/pincer/memory/{path}"),
        lines,
        kind,
        provenance,
        // Entries record their day (`at=YYYY-MM-DD`): midnight UTC, `age_days` back.
        created: now_s() - now_s().rem_euclid(DAY) - age_days * DAY,
        superseded: None,
        pinned: false,
        text: text.into(),
    }
}

fn sample() -> Vec<MemoryEntry> {
    use MemoryKind::*;
    use MemoryProvenance::{Model, ToolOutput};
    use MemoryScope::Project;
    const USER: MemoryScope = MemoryScope::User;
    const YOU: MemoryProvenance = MemoryProvenance::User;
    let project = "projects/app-1a2b3c4d/MEMORY.md";
    let mut tabs = entry(
        "m1",
        USER,
        "MEMORY.md",
        (3, 3),
        Model,
        0,
        Semantic,
        "Prefers tabs over spaces for indentation in every language",
    );
    tabs.pinned = true;
    let mut spaces = entry(
        "m0",
        USER,
        "MEMORY.md",
        (2, 2),
        Model,
        40,
        Semantic,
        "Prefers 4 spaces for indentation",
    );
    spaces.superseded = Some(now_s() - DAY * 2);
    vec![
        tabs,
        spaces,
        entry(
            "m2",
            USER,
            "MEMORY.md",
            (5, 6),
            YOU,
            12,
            Semantic,
            "Name: Sam. Time zone: Europe/Berlin.\nWrites commit messages in the imperative.",
        ),
        entry(
            "t1",
            USER,
            "topics/release.md",
            (1, 4),
            YOU,
            3,
            Procedural,
            "Release: bump the version in Cargo.toml, tag vX.Y.Z, push the tag, then cargo publish.",
        ),
        entry(
            "p1",
            Project,
            project,
            (1, 1),
            Model,
            1,
            Semantic,
            "Build with `make`; tests need Docker running.",
        ),
        entry(
            "p2",
            Project,
            project,
            (2, 2),
            ToolOutput,
            0,
            Episodic,
            "On Monday the API moved to v2 (from the changelog page).",
        ),
    ]
}

fn pane(entries: Vec<MemoryEntry>) -> MemoryPane {
    let mut p = MemoryPane::new();
    let _ = p.refresh_request();
    p.set_listing(MemoryListing {
        scope: MemoryScopeFilter::All,
        query: String::new(),
        entries,
        status: "text search only (no embedding server)".into(),
    });
    p
}

#[test]
fn loading() {
    insta::assert_snapshot!(draw(&MemoryPane::new(), 80, 12));
}

#[test]
fn empty_state() {
    insta::assert_snapshot!(draw(&pane(Vec::new()), 80, 14));
}

#[test]
fn wide_120x40() {
    insta::assert_snapshot!(draw(&pane(sample()), 120, 40));
}

#[test]
fn medium_80x24() {
    let mut p = pane(sample());
    p.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    insta::assert_snapshot!(draw(&p, 80, 24));
}

#[test]
fn small_40x15() {
    insta::assert_snapshot!(draw(&pane(sample()), 40, 15));
}

#[test]
fn superseded_shown() {
    let mut p = pane(sample());
    p.handle_key(ch('s'));
    p.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    insta::assert_snapshot!(draw(&p, 120, 24));
}

#[test]
fn filter_with_no_hits() {
    let mut p = pane(sample());
    for c in "/kubernetes".chars() {
        p.handle_key(ch(c));
    }
    p.set_listing(MemoryListing {
        scope: MemoryScopeFilter::All,
        query: "kubernetes".into(),
        entries: Vec::new(),
        status: String::new(),
    });
    insta::assert_snapshot!(draw(&p, 80, 14));
}

#[test]
fn confirm_forget() {
    let mut p = pane(sample());
    p.handle_key(ch('f'));
    insta::assert_snapshot!(draw(&p, 80, 24));
}
