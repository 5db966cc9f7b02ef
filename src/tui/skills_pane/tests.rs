//! Keys, filter and preview requests of the skills pane (drawing: `skills_pane_snapshot_tests`).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;

pub(crate) fn skill(name: &str, description: &str, status: SkillState) -> SkillInfo {
    SkillInfo {
        name: name.into(),
        description: description.into(),
        source: "user".into(),
        path: format!("/home/me/.config/pincer/skills/{name}/SKILL.md"),
        restricted: false,
        status,
        detail: String::new(),
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Types into the filter (pressing `/` first unless already filtering).
fn typed(pane: &mut SkillsPane, text: &str) -> SkillsAction {
    let mut last = SkillsAction::None;
    if !pane.list.is_filtering() && pane.mode() == &SkillsMode::Browse {
        last = pane.handle_key(key(KeyCode::Char('/')));
    }
    for c in text.chars() {
        last = pane.handle_key(key(KeyCode::Char(c)));
    }
    last
}

fn three() -> Vec<SkillInfo> {
    let mut bundled = skill("commit-message", "Write a commit message", SkillState::Ok);
    bundled.source = "bundled".into();
    bundled.path = "bundled:commit-message".into();
    let mut broken = skill("deploy", "Ship it", SkillState::Error);
    broken.detail = "line 3: description missing — disabled".into();
    vec![
        skill("code-review", "Review a diff for bugs", SkillState::Ok),
        bundled,
        broken,
    ]
}

fn pane(skills: Vec<SkillInfo>) -> SkillsPane {
    let mut p = SkillsPane::new();
    p.set_skills(skills, "/home/me/.config/pincer/skills".into(), false);
    p
}

fn selected(p: &SkillsPane) -> Option<&str> {
    p.selected_skill().map(|s| s.name.as_str())
}

#[test]
fn typing_filters_and_esc_clears_then_closes() {
    let mut p = pane(three());
    typed(&mut p, "COMMIT");
    assert_eq!(p.filter(), "COMMIT");
    assert_eq!(p.list.rows().len(), 1);
    assert_eq!(selected(&p), Some("commit-message"));
    // The description matches too, after the name matches.
    p.handle_key(ctrl('u'));
    typed(&mut p, "i");
    let names: Vec<&str> = p
        .list
        .rows()
        .iter()
        .map(|&i| p.skills[i].name.as_str())
        .collect();
    assert_eq!(names, ["code-review", "commit-message", "deploy"]);
    p.handle_key(ctrl('u'));
    typed(&mut p, "bugs");
    assert_eq!(selected(&p), Some("code-review"));
    p.handle_key(key(KeyCode::Backspace));
    assert_eq!(p.filter(), "bug");
    assert_eq!(p.handle_key(key(KeyCode::Esc)), SkillsAction::None);
    assert_eq!(p.filter(), "");
    assert_eq!(p.list.rows().len(), 3);
    assert_eq!(p.handle_key(key(KeyCode::Esc)), SkillsAction::Close);
    // Enter ends typing but keeps the filter; Esc then clears it.
    typed(&mut p, "dep");
    p.handle_key(key(KeyCode::Enter));
    assert_eq!(p.filter(), "dep");
    assert_eq!(p.handle_key(key(KeyCode::Esc)), SkillsAction::None);
    assert_eq!(p.filter(), "");
}

#[test]
fn letters_are_commands_until_slash_starts_a_filter() {
    let mut p = pane(three());
    assert_eq!(typed(&mut p, "enr"), SkillsAction::None);
    assert_eq!(p.filter(), "enr");
    assert_eq!(p.mode(), &SkillsMode::Browse);
    // Enter keeps the filter and ends typing; letters are commands again.
    p.handle_key(key(KeyCode::Esc));
    assert_eq!(p.filter(), "");
    assert_eq!(p.handle_key(key(KeyCode::Char('r'))), SkillsAction::Reload);
    assert_eq!(
        p.handle_key(key(KeyCode::Char('e'))),
        SkillsAction::Edit {
            path: p.selected_skill().unwrap().path.clone()
        }
    );
    p.handle_key(key(KeyCode::Char('n')));
    assert!(matches!(p.mode(), SkillsMode::NewName { .. }));
    p.handle_key(key(KeyCode::Esc));
    typed(&mut p, "dep");
    p.handle_key(key(KeyCode::Enter));
    assert_eq!(p.filter(), "dep");
    assert_eq!(p.handle_key(key(KeyCode::Char('q'))), SkillsAction::Close);
}

#[test]
fn moves_and_clamps() {
    let mut p = pane(three());
    p.handle_key(key(KeyCode::Up));
    assert_eq!(selected(&p), Some("code-review"));
    p.handle_key(key(KeyCode::End));
    assert_eq!(selected(&p), Some("deploy"));
    p.handle_key(key(KeyCode::Down));
    assert_eq!(selected(&p), Some("deploy"));
    p.handle_key(key(KeyCode::PageUp));
    assert_eq!(selected(&p), Some("code-review"));
    p.handle_key(key(KeyCode::PageDown));
    assert_eq!(selected(&p), Some("deploy"));
    p.handle_key(key(KeyCode::Home));
    assert_eq!(selected(&p), Some("code-review"));
}

#[test]
fn enter_uses_usable_skills_only() {
    let mut p = pane(three());
    assert_eq!(
        p.handle_key(key(KeyCode::Enter)),
        SkillsAction::Use {
            name: "code-review".into()
        }
    );
    p.handle_key(key(KeyCode::End));
    assert_eq!(p.handle_key(key(KeyCode::Enter)), SkillsAction::None);
    let notice = p.notice().unwrap_or_default().to_string();
    assert!(
        notice.contains("deploy is disabled by an error"),
        "{notice}"
    );
    // The notice is one-shot.
    p.handle_key(key(KeyCode::Up));
    assert_eq!(p.notice(), None);
}

#[test]
fn enter_explains_unavailable_and_shadowed() {
    let mut gated = skill("pdf", "Read PDFs", SkillState::Unavailable);
    gated.detail = "needs `pdftotext` on PATH".into();
    let shadowed = skill("code-review", "old copy", SkillState::Shadowed);
    let mut p = pane(vec![gated, shadowed]);
    p.handle_key(key(KeyCode::Enter));
    assert_eq!(
        p.notice(),
        Some("pdf is unavailable: needs `pdftotext` on PATH")
    );
    p.handle_key(key(KeyCode::Down));
    assert_eq!(p.handle_key(key(KeyCode::Enter)), SkillsAction::None);
    assert!(p.notice().unwrap_or_default().contains("shadowed"));
}

#[test]
fn ctrl_e_edits_but_not_bundled() {
    let mut p = pane(three());
    assert_eq!(
        p.handle_key(ctrl('e')),
        SkillsAction::Edit {
            path: "/home/me/.config/pincer/skills/code-review/SKILL.md".into()
        }
    );
    p.handle_key(key(KeyCode::Down));
    assert_eq!(selected(&p), Some("commit-message"));
    // A bundled skill offers a copy in the user's folder: n leaves it, y copies.
    assert_eq!(p.handle_key(ctrl('e')), SkillsAction::None);
    assert_eq!(
        p.mode(),
        &SkillsMode::ConfirmCopy {
            name: "commit-message".into()
        }
    );
    assert_eq!(p.handle_key(key(KeyCode::Char('n'))), SkillsAction::None);
    assert_eq!(p.mode(), &SkillsMode::Browse);
    p.handle_key(key(KeyCode::Char('e')));
    assert_eq!(
        p.handle_key(key(KeyCode::Char('y'))),
        SkillsAction::CopyBundled {
            name: "commit-message".into()
        }
    );
    assert_eq!(p.mode(), &SkillsMode::Browse);
    // A shadowed bundled skill points at the one that is used instead.
    let mut list = three();
    if let Some(b) = list.iter_mut().find(|s| s.path.starts_with("bundled:")) {
        b.status = SkillState::Shadowed;
    }
    p.set_skills(list, "/home/me/.config/pincer/skills".into(), false);
    assert_eq!(p.handle_key(key(KeyCode::Char('e'))), SkillsAction::None);
    assert_eq!(p.mode(), &SkillsMode::Browse);
    assert!(
        p.notice().is_some_and(|n| n.contains("higher in the list")),
        "{:?}",
        p.notice()
    );
    // A broken skill is exactly the one to edit.
    p.handle_key(key(KeyCode::Down));
    assert!(matches!(p.handle_key(ctrl('e')), SkillsAction::Edit { .. }));
}

#[test]
fn ctrl_r_reloads_and_ctrl_c_closes() {
    let mut p = pane(three());
    assert_eq!(p.handle_key(ctrl('r')), SkillsAction::Reload);
    assert_eq!(p.handle_key(ctrl('c')), SkillsAction::Close);
}

#[test]
fn ctrl_n_flow() {
    let mut p = pane(three());
    p.handle_key(ctrl('n'));
    assert_eq!(
        p.mode(),
        &SkillsMode::NewName {
            text: String::new()
        }
    );
    // Empty: refused, stays open.
    assert_eq!(p.handle_key(key(KeyCode::Enter)), SkillsAction::None);
    assert!(p.notice().is_some());
    assert!(matches!(p.mode(), SkillsMode::NewName { .. }));
    // Upper case: refused with the reason.
    typed(&mut p, "My");
    assert_eq!(p.handle_key(key(KeyCode::Enter)), SkillsAction::None);
    assert_eq!(
        p.notice(),
        Some("«M» is not allowed: use lowercase letters, digits and hyphens")
    );
    p.handle_key(ctrl('u'));
    // An existing (non-bundled) name: refused.
    typed(&mut p, "code-review");
    assert_eq!(p.handle_key(key(KeyCode::Enter)), SkillsAction::None);
    assert!(p.notice().unwrap_or_default().contains("already exists"));
    p.handle_key(ctrl('u'));
    // Esc cancels without creating.
    p.handle_key(key(KeyCode::Esc));
    assert_eq!(p.mode(), &SkillsMode::Browse);
    assert_eq!(p.filter(), "");
    // Typing, backspace, paste, Enter.
    p.handle_key(ctrl('n'));
    typed(&mut p, "release-notesx");
    p.handle_key(key(KeyCode::Backspace));
    p.paste("-2\n");
    assert_eq!(
        p.handle_key(key(KeyCode::Enter)),
        SkillsAction::Create {
            name: "release-notes-2".into()
        }
    );
    assert_eq!(p.mode(), &SkillsMode::Browse);
    // A bundled name may be overridden by a user skill.
    p.handle_key(ctrl('n'));
    typed(&mut p, "commit-message");
    assert!(matches!(
        p.handle_key(key(KeyCode::Enter)),
        SkillsAction::Create { .. }
    ));
}

#[test]
fn name_rule() {
    assert_eq!(name_problem("pdf-2"), None);
    assert_eq!(name_problem(&"a".repeat(64)), None);
    assert!(name_problem(&"a".repeat(65)).is_some());
    assert!(name_problem("").is_some());
    assert!(name_problem("a b").unwrap_or_default().contains("a space"));
    assert!(name_problem("a_b").is_some());
    assert!(name_problem("-ab").is_some());
    assert!(name_problem("ab-").is_some());
    assert!(name_problem("a--b").is_some());
    assert!(name_problem("café").is_some());
}

#[test]
fn need_preview_once_per_skill() {
    let mut p = SkillsPane::new();
    assert_eq!(
        p.set_skills(three(), "/u".into(), false),
        SkillsAction::NeedPreview("code-review".into())
    );
    assert_eq!(
        p.handle_key(key(KeyCode::Down)),
        SkillsAction::NeedPreview("commit-message".into())
    );
    // Back up: already asked, not answered yet → not asked again.
    assert_eq!(p.handle_key(key(KeyCode::Up)), SkillsAction::None);
    p.set_preview("commit-message".into(), "body".into());
    assert_eq!(p.handle_key(key(KeyCode::Down)), SkillsAction::None);
    // Filtering onto an unasked skill asks for it.
    assert_eq!(
        typed(&mut p, "dep"),
        SkillsAction::NeedPreview("deploy".into())
    );
}

#[test]
fn shadowed_skills_get_no_preview_request() {
    let mut p = SkillsPane::new();
    let action = p.set_skills(
        vec![skill("x", "old", SkillState::Shadowed)],
        "/u".into(),
        false,
    );
    assert_eq!(action, SkillsAction::None);
}

#[test]
fn new_list_keeps_selection_and_asks_again() {
    let mut p = pane(three());
    p.set_preview("commit-message".into(), "old body".into());
    p.handle_key(key(KeyCode::Down));
    assert_eq!(selected(&p), Some("commit-message"));
    // A skill inserted before it: the selection follows the name; the body is asked again
    // (the file may have changed) but the old one stays until the answer.
    let mut list = three();
    list.insert(0, skill("aaa", "first", SkillState::Ok));
    assert_eq!(
        p.set_skills(list, "/u".into(), true),
        SkillsAction::NeedPreview("commit-message".into())
    );
    assert_eq!(selected(&p), Some("commit-message"));
    assert!(p.previews.contains_key("commit-message"));
    // Removed: the selection stays at the same row, clamped.
    p.handle_key(key(KeyCode::End));
    p.set_skills(three()[..1].to_vec(), "/u".into(), false);
    assert_eq!(selected(&p), Some("code-review"));
    assert!(!p.previews.contains_key("commit-message"));
}

#[test]
fn keys_on_an_empty_pane_do_nothing() {
    let mut p = pane(Vec::new());
    for k in [
        key(KeyCode::Enter),
        key(KeyCode::Down),
        key(KeyCode::End),
        ctrl('e'),
    ] {
        assert_eq!(p.handle_key(k), SkillsAction::None);
    }
    assert_eq!(p.paste("x"), SkillsAction::None);
    assert_eq!(p.filter(), "x");
}

#[test]
fn forget_previews_asks_again_once() {
    let mut p = pane(three());
    p.set_preview("code-review".into(), "v1".into());
    assert_eq!(
        p.handle_key(key(KeyCode::Down)),
        SkillsAction::NeedPreview("commit-message".into())
    );
    p.handle_key(key(KeyCode::Up));
    assert_eq!(
        p.forget_previews(),
        SkillsAction::NeedPreview("code-review".into())
    );
    assert_eq!(
        p.forget_previews(),
        SkillsAction::NeedPreview("code-review".into())
    );
    assert_eq!(
        p.previews.get("code-review").map(|p| p.body.as_str()),
        Some("v1")
    );
    p.set_preview("code-review".into(), "v2".into());
    assert_eq!(
        p.handle_key(key(KeyCode::Down)),
        SkillsAction::NeedPreview("commit-message".into())
    );
    assert_eq!(p.handle_key(key(KeyCode::Up)), SkillsAction::None);
}

#[test]
fn a_ten_megabyte_paste_is_cut_to_a_usable_filter() {
    let mut p = pane(three());
    p.handle_key(key(KeyCode::Char('/')));
    let _ = p.paste(&"y".repeat(10 * 1024 * 1024));
    assert_eq!(p.filter().chars().count(), 200);
}
