use super::*;
use crate::protocol::Event;
use crate::protocol::UserMessage;
use crate::tui::app::App;
use crate::tui::theme::Theme;

fn plain(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

fn rows(cell: &UserCell, width: u16) -> Vec<String> {
    plain(&layout(cell, width, &Theme::dark()))
}

/// `before`, a paste of `lines` numbered lines, `after`; and the paste's span.
fn message(before: &str, lines: usize, after: &str) -> (String, PasteSpan) {
    let paste: String = (1..=lines).map(|i| format!("pasted line {i}\n")).collect();
    let text = format!("{before}{paste}{after}");
    let span = PasteSpan {
        start: before.len(),
        end: before.len() + paste.len(),
    };
    (text, span)
}

#[test]
fn a_paste_folds_to_its_label_and_first_lines() {
    let (text, span) = message("why does this fail?\n", 2345, "thanks");
    let cell = UserCell::pasted(text, &[span], false);
    insta::assert_snapshot!(rows(&cell, 60).join("\n"));
}

#[test]
fn expanded_shows_the_pasted_text() {
    let (text, span) = message("look:\n", 30, "");
    let folded = rows(&UserCell::pasted(text.clone(), &[span], false), 60);
    let expanded = rows(&UserCell::pasted(text, &[span], true), 60);
    assert_eq!(folded.len(), 4, "{folded:?}");
    assert_eq!(expanded.len(), 31, "{expanded:?}");
    assert!(expanded[30].contains("pasted line 30"));
}

#[test]
fn two_pastes_in_one_line_and_a_huge_single_line_paste() {
    let one = "a".repeat(1500);
    let two = "b".repeat(10 << 20);
    let text = format!("first {one} then {two} end");
    let spans = [
        PasteSpan {
            start: 6,
            end: 6 + one.len(),
        },
        PasteSpan {
            start: 6 + one.len() + 6,
            end: 6 + one.len() + 6 + two.len(),
        },
    ];
    let cell = UserCell::pasted(text, &spans, false);
    let shown = rows(&cell, 40);
    insta::assert_snapshot!(shown.join("\n"));
    assert_eq!(
        cell.folded_text(),
        "first [pasted 1 line, 1,500 chars] then [pasted 1 line, 10,485,760 chars] end"
    );
}

/// Spans that do not fit the text (stale, overlapping, cutting a character) are dropped
/// instead of cutting anything.
#[test]
fn spans_that_do_not_fit_are_dropped() {
    let text = "héllo wörld".to_string();
    let spans = [
        PasteSpan { start: 2, end: 4 },
        PasteSpan { start: 0, end: 3 },
        PasteSpan { start: 5, end: 99 },
        PasteSpan { start: 7, end: 7 },
        PasteSpan { start: 1, end: 3 },
    ];
    let cell = UserCell::pasted(text.clone(), &spans, false);
    assert_eq!(cell.pastes, vec![PasteSpan { start: 0, end: 3 }]);
    assert!(
        rows(&cell, 40)
            .iter()
            .any(|r| r.contains("[pasted 1 line, 2 chars]"))
    );
    // The same for any span at all: never a panic, folded text always well formed.
    for start in 0..=text.len() + 1 {
        for end in 0..=text.len() + 1 {
            let cell = UserCell::pasted(text.clone(), &[PasteSpan { start, end }], false);
            let _ = rows(&cell, 10);
            let _ = cell.folded_text();
        }
    }
}

/// Ctrl+O toggles pastes with the tool output; a resumed paste arrives folded the same way.
#[test]
fn ctrl_o_expands_and_folds_pastes_live_and_resumed() {
    let mut app = App::new(Theme::dark());
    let (text, span) = message("see\n", 50, "");
    app.on_event(Event::UserMessage(UserMessage {
        text: text.clone(),
        item_id: Some(3),
        pastes: vec![span],
    }));
    let user = |app: &App| -> Vec<bool> {
        app.transcript
            .cells
            .iter()
            .filter_map(|c| match &c.kind {
                crate::tui::cells::CellKind::User(u) => Some(u.expanded),
                _ => None,
            })
            .collect()
    };
    assert_eq!(user(&app), vec![false]);
    assert_eq!(
        app.user_items.last().map(|(_, t)| t.as_str()),
        Some("see\n[pasted 50 lines, 741 chars]"),
        "the fork picker lists the folded form"
    );
    app.toggle_tool_output();
    assert_eq!(user(&app), vec![true]);
    app.toggle_tool_output();
    assert_eq!(user(&app), vec![false]);
}
