//! Snapshots of the skills pane (they are the spec: review by eye).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::markdown::Highlighter;
use super::skills_pane::SkillsPane;
use super::theme::Theme;
use crate::protocol::{SkillInfo, SkillState};

const USER_DIR: &str = "/home/me/.config/pincer/skills";

fn draw(pane: &SkillsPane, width: u16, height: u16) -> String {
    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            let area = f.area();
            pane.render(area, f.buffer_mut(), &theme, &Highlighter::default())
        })
        .unwrap();
    terminal.backend().to_string()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Types into the filter (`/` first) or the name editor.
fn typed(pane: &mut SkillsPane, text: &str) {
    if pane.mode() == &super::skills_pane::SkillsMode::Browse {
        pane.handle_key(key(KeyCode::Char('/')));
    }
    for c in text.chars() {
        pane.handle_key(key(KeyCode::Char(c)));
    }
}

fn skill(
    name: &str,
    description: &str,
    source: &str,
    status: SkillState,
    detail: &str,
) -> SkillInfo {
    let path = match source {
        "bundled" => format!("bundled:{name}"),
        "user" => format!("{USER_DIR}/{name}/SKILL.md"),
        "installed" => format!("/home/me/.config/pincer/installed_skills/{name}/SKILL.md"),
        _ => format!("/home/me/src/app/.pincer/skills/{name}/SKILL.md"),
    };
    SkillInfo {
        name: name.into(),
        description: description.into(),
        source: source.into(),
        path,
        restricted: source == "installed",
        status,
        detail: detail.into(),
    }
}

/// One skill of every status, one of them restricted.
fn five() -> Vec<SkillInfo> {
    vec![
        skill(
            "code-review",
            "Review the staged diff for bugs, missing tests and unclear names before a commit",
            "project (.pincer/skills)",
            SkillState::Ok,
            "",
        ),
        skill(
            "release-notes",
            "Draft release notes from the commits since the last tag",
            "installed",
            SkillState::Warning,
            "name `Release_Notes` breaks the naming rule (lowercase, digits, hyphens)",
        ),
        skill(
            "deploy",
            "",
            "user",
            SkillState::Error,
            "line 3: description missing — disabled",
        ),
        skill(
            "search-code",
            "Find definitions and usages fast with ripgrep",
            "bundled",
            SkillState::Unavailable,
            "needs `rg` on PATH",
        ),
        skill(
            "code-review",
            "Review a diff",
            "user",
            SkillState::Shadowed,
            "shadowed by project (.pincer/skills)",
        ),
    ]
}

const BODY: &str = "\n# Code review\n\nRead the staged diff with `git diff --cached`, then:\n\n\
    1. Look for bugs first: off-by-one, unchecked errors, races.\n\
    2. Then missing tests for the changed behaviour.\n\
    3. Then names that say less than they could.\n\n\
    Report findings as a list, most serious first, each with file:line.\n";

fn pane(skills: Vec<SkillInfo>, restricted_active: bool) -> SkillsPane {
    let mut p = SkillsPane::new();
    p.set_skills(skills, USER_DIR.into(), restricted_active);
    p
}

#[test]
fn skills_loading() {
    insta::assert_snapshot!(draw(&SkillsPane::new(), 80, 12));
}

#[test]
fn skills_empty() {
    insta::assert_snapshot!(draw(&pane(Vec::new(), false), 80, 14));
}

#[test]
fn skills_five_statuses_120x30() {
    let mut p = pane(five(), false);
    p.set_preview("code-review".into(), BODY.into());
    insta::assert_snapshot!(draw(&p, 120, 30));
}

#[test]
fn skills_error_selected_below_100x24() {
    let mut p = pane(five(), false);
    p.handle_key(key(KeyCode::Down));
    p.handle_key(key(KeyCode::Down));
    p.set_preview(
        "deploy".into(),
        "(cannot read this skill: line 3: description missing)".into(),
    );
    insta::assert_snapshot!(draw(&p, 100, 24));
}

#[test]
fn skills_filtered() {
    let mut p = pane(five(), false);
    typed(&mut p, "review");
    insta::assert_snapshot!(draw(&p, 100, 16));
}

#[test]
fn skills_filter_no_match() {
    let mut p = pane(five(), false);
    typed(&mut p, "zebra");
    insta::assert_snapshot!(draw(&p, 80, 10));
}

#[test]
fn skills_60_columns() {
    let mut p = pane(five(), false);
    p.handle_key(key(KeyCode::Down));
    p.set_preview(
        "release-notes".into(),
        "List the commits since the last tag, group them by kind.".into(),
    );
    insta::assert_snapshot!(draw(&p, 60, 24));
}

#[test]
fn skills_new_name_valid() {
    let mut p = pane(five(), false);
    p.handle_key(ctrl('n'));
    typed(&mut p, "weekly-report");
    insta::assert_snapshot!(draw(&p, 100, 14));
}

#[test]
fn skills_new_name_invalid() {
    let mut p = pane(five(), false);
    p.handle_key(ctrl('n'));
    typed(&mut p, "Weekly Report");
    p.handle_key(key(KeyCode::Enter));
    insta::assert_snapshot!(draw(&p, 100, 14));
}

#[test]
fn skills_restricted_active() {
    let mut p = pane(five(), true);
    p.handle_key(key(KeyCode::Down));
    insta::assert_snapshot!(draw(&p, 100, 16));
}

#[test]
fn skills_bundled_edit_offers_a_copy() {
    let mut p = pane(five(), false);
    p.handle_key(key(KeyCode::End));
    p.handle_key(key(KeyCode::Up));
    p.handle_key(ctrl('e'));
    insta::assert_snapshot!(draw(&p, 100, 12));
}

#[test]
fn skills_preview_right_140_columns() {
    let mut p = pane(five(), true);
    p.set_preview("code-review".into(), BODY.into());
    insta::assert_snapshot!(draw(&p, 140, 24));
}

#[test]
fn skills_tiny_areas_do_not_panic() {
    let mut p = pane(five(), true);
    p.set_preview("code-review".into(), BODY.into());
    let mut named = pane(five(), false);
    named.handle_key(ctrl('n'));
    typed(&mut named, "a-very-long-name-that-goes-on-and-on-and-on");
    let empty = pane(Vec::new(), true);
    let theme = Theme::dark();
    for pane in [&p, &named, &empty] {
        for (w, h) in [
            (0, 0),
            (0, 5),
            (5, 0),
            (1, 1),
            (3, 2),
            (10, 3),
            (20, 5),
            (40, 8),
            (110, 6),
            (110, 9),
            (200, 4),
        ] {
            let area = ratatui::layout::Rect::new(0, 0, w, h);
            let mut buf = ratatui::buffer::Buffer::empty(area);
            pane.render(area, &mut buf, &theme, &Highlighter::default());
            // An area larger than the buffer is clipped too.
            pane.render(
                ratatui::layout::Rect::new(0, 0, w + 7, h + 3),
                &mut buf,
                &theme,
                &Highlighter::default(),
            );
        }
    }
    insta::assert_snapshot!("skills_tiny_10x3", draw(&p, 10, 3));
}
