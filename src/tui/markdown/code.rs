//! Fenced and indented code blocks: highlighted, hard-wrapped by character and
//! padded so the background covers the full width.

use ratatui::style::Style;
use ratatui::text::Span;

use super::highlight::{self, Highlighter};
use super::wrap::{char_width, push_styled};
use crate::tui::theme::Theme;

/// Render `code` (language token `lang`) into content lines of exactly `width`
/// columns when colours are on (padded), at most `width` otherwise.
pub(crate) fn render_code(
    code: &str,
    lang: &str,
    width: usize,
    theme: &Theme,
    hl: &Highlighter,
) -> Vec<Vec<Span<'static>>> {
    let width = width.max(1);
    let highlighted;
    let plain;
    let lines = if theme.color && hl.enabled() {
        highlighted = hl.highlight(code, lang);
        highlighted.as_slice()
    } else {
        plain = highlight::plain(code);
        plain.as_slice()
    };
    let base = if theme.color {
        Style::default()
            .fg(theme.text.fg.unwrap_or_default())
            .bg(theme.code_block.bg.unwrap_or(ratatui::style::Color::Reset))
    } else {
        Style::default()
    };
    // One column of margin on the left when there is room for it.
    let margin = usize::from(width >= 2);
    let inner = width - margin;
    let mut out = Vec::new();
    let empty: [Vec<(Option<ratatui::style::Color>, String)>; 1] = [Vec::new()];
    let lines = if lines.is_empty() { &empty[..] } else { lines };
    for runs in lines {
        let mut cur: Vec<Span<'static>> = Vec::new();
        let mut cur_w = 0;
        let start_line = |cur: &mut Vec<Span<'static>>| {
            if margin > 0 {
                push_styled(cur, " ", base);
            }
        };
        start_line(&mut cur);
        for (fg, text) in runs {
            let style = match fg {
                Some(c) if theme.color => base.fg(*c),
                _ => base,
            };
            let mut buf = [0u8; 4];
            for c in text.chars() {
                let (piece, w): (&str, usize) = match c {
                    '\t' => ("    ", 4),
                    c => (c.encode_utf8(&mut buf), char_width(c)),
                };
                if cur_w + w > inner && cur_w > 0 {
                    finish(&mut cur, cur_w, inner, base, theme.color);
                    out.push(std::mem::take(&mut cur));
                    cur_w = 0;
                    start_line(&mut cur);
                }
                if w > inner {
                    // Too wide for the block at all (tiny widths): keep the column count.
                    let filler = "…".repeat(inner.min(w));
                    push_styled(&mut cur, &filler, style);
                    cur_w += inner.min(w);
                } else {
                    push_styled(&mut cur, piece, style);
                    cur_w += w;
                }
            }
        }
        finish(&mut cur, cur_w, inner, base, theme.color);
        out.push(cur);
    }
    out
}

/// Pad a code line to the full width so the background is continuous.
fn finish(cur: &mut Vec<Span<'static>>, used: usize, inner: usize, base: Style, color: bool) {
    if color && used < inner {
        push_styled(cur, &" ".repeat(inner - used), base);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::text::Line;

    fn texts(lines: &[Vec<Span<'static>>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| Line::from(l.clone()).to_string())
            .collect()
    }

    #[test]
    fn padded_to_full_width_with_background() {
        let theme = Theme::dark();
        let hl = Highlighter::new(theme.syntax_theme.clone());
        let out = render_code("let x = 1;\n", "rust", 20, &theme, &hl);
        assert_eq!(out.len(), 1);
        assert_eq!(texts(&out), [" let x = 1;         "]);
        for span in &out[0] {
            assert_eq!(span.style.bg, theme.code_block.bg);
        }
        assert!(out[0].iter().any(|s| s.style.fg != out[0][0].style.fg));
    }

    #[test]
    fn long_lines_hard_wrap_by_character() {
        let theme = Theme::monochrome();
        let hl = Highlighter::new(None);
        let out = render_code("abcdefghij klm\n\tx\n", "", 6, &theme, &hl);
        assert_eq!(texts(&out), [" abcde", " fghij", "  klm", "     x"]);
        for l in &out {
            assert!(l.iter().all(|s| s.style == Style::default()));
        }
    }

    #[test]
    fn empty_block_is_one_line_and_tiny_widths_fit() {
        let theme = Theme::dark();
        let hl = Highlighter::new(None);
        assert_eq!(render_code("", "", 5, &theme, &hl).len(), 1);
        for w in 0..4 {
            for l in render_code("日本 ab\n", "", w, &theme, &hl) {
                assert!(Line::from(l).width() <= w.max(1));
            }
        }
    }
}
