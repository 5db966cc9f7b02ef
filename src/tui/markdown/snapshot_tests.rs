//! insta snapshots of whole renders (plain text, and one with styles).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::tests::{ANSWER, assert_fits, hl, render};
use super::*;

/// Lines as text with trailing padding trimmed (widths are asserted separately;
/// the styled snapshots show the padding).
fn plain(lines: &[Line<'_>]) -> String {
    lines
        .iter()
        .map(|l| l.to_string().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Render into a TestBackend so the snapshot shows cells with their styles.
fn buffer(lines: Vec<Line<'static>>, width: u16) -> ratatui::buffer::Buffer {
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).max(1);
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    if let Err(e) = terminal.draw(|f| f.render_widget(Paragraph::new(lines), f.area())) {
        panic!("draw: {e}");
    }
    terminal.backend().buffer().clone()
}

#[test]
fn answer_at_80() {
    let out = render(ANSWER, 80);
    assert_fits(&out, 80, ANSWER);
    insta::assert_snapshot!(plain(&out));
}

#[test]
fn answer_at_40() {
    let out = render(ANSWER, 40);
    assert_fits(&out, 40, ANSWER);
    insta::assert_snapshot!(plain(&out));
}

#[test]
fn answer_mid_stream() {
    // Cut inside the code block and inside the table.
    let in_code = ANSWER.find("    println!").unwrap_or(0);
    let in_table = ANSWER.find("| `retries`").unwrap_or(0);
    let mut both = String::new();
    for end in [in_code, in_table] {
        let src = ANSWER.get(..end).unwrap_or_default();
        let out = render(src, 50);
        assert_fits(&out, 50, src);
        both.push_str(&plain(&out));
        both.push_str("\n~~~~~~~~ cut ~~~~~~~~\n");
    }
    insta::assert_snapshot!(both);
}

#[test]
fn quotes() {
    let src = "> A quote that is long enough to wrap onto a second line.\n>\n\
               > - with a list\n> - and `code`\n>\n> > and a nested quote inside it\n\n\
               Back to normal text.";
    let out = render(src, 32);
    assert_fits(&out, 32, src);
    insta::assert_snapshot!(plain(&out));
}

#[test]
fn no_color_answer() {
    let out = render_markdown(ANSWER, 60, &Theme::monochrome(), hl());
    assert_fits(&out, 60, ANSWER);
    insta::assert_snapshot!(plain(&out));
}

#[test]
fn styled_buffer_dark() {
    let src = "## Hi *there*\n\n- **bold** and `code`\n\n```rust\nlet x = 1;\n```\n\n\
               | a | b |\n|---|--:|\n| 1 | 2 |";
    let out = render(src, 24);
    insta::assert_debug_snapshot!(buffer(out, 24));
}

#[test]
fn styled_buffer_no_color() {
    let src = "# Title\n\n> quoted *text*\n\n[link](https://x.y) and ~~old~~";
    let out = render_markdown(src, 30, &Theme::monochrome(), hl());
    insta::assert_debug_snapshot!(buffer(out, 30));
}
