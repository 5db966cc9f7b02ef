//! Markdown → ratatui lines.
//!
//! [`render_markdown`] parses CommonMark plus GitHub tables, strikethrough and
//! task lists (pulldown-cmark) and produces lines that each fit in the given
//! number of terminal columns. Code blocks are highlighted by [`Highlighter`]
//! (syntect, loaded lazily and cached). Input may be a partial reply that is
//! still streaming: unclosed fences render as code, half tables as text.

mod code;
mod highlight;
mod render;
mod table;
mod wrap;

#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use pulldown_cmark::{Options, Parser};
use ratatui::text::{Line, Span};

pub use highlight::{HighlightedLines, Highlighter};

use crate::tui::theme::Theme;

/// Render Markdown to lines that each fit in `width` terminal columns (display
/// width via unicode-width; 0 is treated as 1). Control characters are removed
/// first (see [`sanitize`]). No leading or trailing blank lines.
pub fn render_markdown(
    src: &str,
    width: u16,
    theme: &Theme,
    hl: &Highlighter,
) -> Vec<Line<'static>> {
    let src = sanitize(src);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut renderer = render::Renderer::new(usize::from(width), theme, hl);
    for event in Parser::new_ext(&src, options) {
        renderer.event(event);
    }
    renderer.finish()
}

/// Word-wrap already-styled spans to `width` columns (0 is treated as 1).
///
/// Breaks at spaces (and between CJK characters); a word wider than the width is
/// split by characters; `'\n'` forces a break. Styles are preserved and no line
/// is wider than `width`. Continuation lines get no indentation. Empty input
/// gives a single empty line.
pub fn wrap_spans(spans: Vec<Span<'static>>, width: u16) -> Vec<Line<'static>> {
    wrap::wrap(&spans, usize::from(width))
}

/// Remove terminal control characters (ESC and the rest of C0 except `\n` and
/// `\t`, DEL, C1 `0x80..=0x9f`) so model text can never emit escape sequences.
/// `\t` becomes four spaces and `\r` is dropped. Borrows when nothing changes.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    let dirty = |c: char| c != '\n' && c.is_control();
    if !text.contains(dirty) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}
