//! Transcript cells: one per message, error or notice, each laid out to a width and cached.

use ratatui::text::{Line, Span};

use super::markdown::{Highlighter, render_markdown, sanitize, wrap_spans};
use super::theme::Theme;
use crate::protocol::{ErrorKind, NoticeLevel};

#[derive(Debug, Clone, PartialEq)]
pub enum CellKind {
    User(super::user_cell::UserCell),
    Assistant {
        turn_id: Option<u64>,
        text: String,
        streaming: bool,
        interrupted: bool,
    },
    Error {
        kind: ErrorKind,
        message: String,
    },
    Notice {
        level: NoticeLevel,
        message: String,
    },
    Tool(super::tool_cell::ToolCell),
    /// Memory changed: one line, the diff when expanded, undo state.
    Memory(super::memory_cell::MemoryCell),
    /// Older turns were summarised for the model here; the summary shows when expanded.
    Compaction {
        headline: String,
        summary: String,
        expanded: bool,
    },
}

/// Lines for one width; for a streaming reply also the laid-out stable prefix.
struct Layout {
    width: u16,
    lines: Vec<Line<'static>>,
}

struct StablePrefix {
    width: u16,
    len: usize,
    lines: Vec<Line<'static>>,
}

pub struct Cell {
    pub kind: CellKind,
    layout: Option<Layout>,
    stable: Option<StablePrefix>,
}

impl Cell {
    pub fn new(kind: CellKind) -> Cell {
        Cell {
            kind,
            layout: None,
            stable: None,
        }
    }

    /// Call after changing `kind`.
    pub fn invalidate(&mut self) {
        self.layout = None;
    }

    /// The cell's lines at `width` (cached until the width or the content changes).
    pub fn lines(&mut self, width: u16, theme: &Theme, hl: &Highlighter) -> &[Line<'static>] {
        let width = width.max(4);
        let fresh = self.layout.as_ref().is_some_and(|l| l.width == width);
        if !fresh {
            let lines = self.layout_lines(width, theme, hl);
            self.layout = Some(Layout { width, lines });
        }
        self.layout
            .as_ref()
            .map(|l| l.lines.as_slice())
            .unwrap_or(&[])
    }

    pub fn height(&mut self, width: u16, theme: &Theme, hl: &Highlighter) -> usize {
        self.lines(width, theme, hl).len()
    }

    fn layout_lines(&mut self, width: u16, theme: &Theme, hl: &Highlighter) -> Vec<Line<'static>> {
        let Cell { kind, stable, .. } = self;
        match kind {
            CellKind::User(user) => super::user_cell::layout(user, width, theme),
            CellKind::Assistant {
                text,
                streaming,
                interrupted,
                ..
            } => {
                let body_width = width.saturating_sub(2);
                let mut body = if *streaming {
                    streaming_markdown(stable, text, body_width, theme, hl)
                } else {
                    *stable = None;
                    render_markdown(text, body_width, theme, hl)
                };
                if body.is_empty() && !*interrupted {
                    body.push(Line::from(Span::styled("…", theme.muted)));
                }
                let mut lines = indent(body, Span::styled("● ", theme.accent), Span::raw("  "));
                if *interrupted {
                    lines.push(Line::from(vec![
                        Span::raw("  "),
                        Span::styled("⏹ interrupted", theme.warning),
                    ]));
                }
                lines
            }
            CellKind::Error { kind, message } => {
                let head = vec![Span::styled(format!("✗ {}: ", kind.label()), theme.error)];
                message_lines(head, message, width, theme.text)
            }
            CellKind::Tool(tool) => super::tool_cell::layout(tool, width, theme),
            CellKind::Memory(m) => super::memory_cell::layout(m, width, theme),
            CellKind::Compaction {
                headline,
                summary,
                expanded,
            } => {
                let rule = "─".repeat(2);
                let mut head = format!("{rule} {headline}");
                if !*expanded {
                    head.push_str(" (Ctrl+O shows the summary)");
                }
                let mut lines = message_lines(Vec::new(), &head, width, theme.accent);
                if *expanded {
                    lines.extend(message_lines(
                        vec![Span::raw("  ")],
                        summary,
                        width,
                        theme.muted,
                    ));
                }
                lines
            }
            CellKind::Notice { level, message } => {
                let (mark, style) = match level {
                    NoticeLevel::Info => ("· ", theme.muted),
                    NoticeLevel::Warning => ("! ", theme.warning),
                };
                message_lines(vec![Span::styled(mark, style)], message, width, style)
            }
        }
    }
}

/// Markdown of a reply still streaming: the part before the last block boundary is laid out
/// once and reused; only the growing tail is laid out again.
fn streaming_markdown(
    stable: &mut Option<StablePrefix>,
    text: &str,
    width: u16,
    theme: &Theme,
    hl: &Highlighter,
) -> Vec<Line<'static>> {
    let split = stable_prefix_len(text);
    let reusable = stable
        .as_ref()
        .is_some_and(|s| s.width == width && s.len == split);
    if !reusable {
        let lines = render_markdown(&text[..split], width, theme, hl);
        *stable = Some(StablePrefix {
            width,
            len: split,
            lines,
        });
    }
    let mut lines = stable.as_ref().map(|s| s.lines.clone()).unwrap_or_default();
    let tail = render_markdown(&text[split..], width, theme, hl);
    if !lines.is_empty() && !tail.is_empty() {
        lines.push(Line::default());
    }
    lines.extend(tail);
    lines
}

/// Byte length of the longest prefix that ends at a blank line outside a code fence: Markdown
/// before such a point renders the same whatever follows.
pub fn stable_prefix_len(text: &str) -> usize {
    let mut in_fence: Option<&str> = None;
    let mut boundary = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let complete = line.ends_with('\n');
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let body = trimmed.trim_end();
        if indent <= 3 {
            let marker = ["```", "~~~"].into_iter().find(|m| body.starts_with(m));
            match (in_fence, marker) {
                (None, Some(m)) => in_fence = Some(m),
                (Some(open), Some(m))
                    if open == m
                        && body
                            .trim_end_matches(m.chars().next().unwrap_or('`'))
                            .is_empty() =>
                {
                    in_fence = None
                }
                _ => {}
            }
        }
        offset += line.len();
        if complete && in_fence.is_none() && body.is_empty() {
            boundary = offset;
        }
    }
    boundary
}

pub(super) fn indent(
    lines: Vec<Line<'static>>,
    first: Span<'static>,
    rest: Span<'static>,
) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let prefix = if i == 0 { first.clone() } else { rest.clone() };
            let mut spans = Vec::with_capacity(line.spans.len() + 1);
            spans.push(prefix);
            spans.extend(line.spans);
            Line::from(spans).style(line.style)
        })
        .collect()
}

/// `head` followed by a (possibly multi-line) message, wrapped with a hanging indent of 2.
fn message_lines(
    head: Vec<Span<'static>>,
    message: &str,
    width: u16,
    style: ratatui::style::Style,
) -> Vec<Line<'static>> {
    let clean = sanitize(message);
    let inner = width.saturating_sub(2).max(1);
    let mut out = Vec::new();
    for (i, raw) in clean.split('\n').enumerate() {
        let mut spans = if i == 0 { head.clone() } else { Vec::new() };
        spans.push(Span::styled(raw.to_string(), style));
        for (j, row) in wrap_spans(spans, inner).into_iter().enumerate() {
            if i == 0 && j == 0 {
                out.push(row);
            } else {
                let mut spans = vec![Span::raw("  ")];
                spans.extend(row.spans);
                out.push(Line::from(spans));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn stable_prefix_stops_at_blank_lines_outside_fences() {
        assert_eq!(stable_prefix_len("a\n\nb"), 3);
        assert_eq!(stable_prefix_len("a\n\n```\nx\n\ny"), 3);
        assert_eq!(stable_prefix_len("a\n\n```\nx\n\n```\n\nz"), 15);
        assert_eq!(stable_prefix_len("no boundary"), 0);
        assert_eq!(stable_prefix_len("a\n\n"), 3);
    }

    #[test]
    fn streaming_layout_equals_final_layout() {
        let theme = Theme::dark();
        let hl = Highlighter::new(None);
        let text =
            "# Title\n\nSome *text* here.\n\n- one\n- two\n\n```rust\nfn main() {}\n```\n\nEnd.";
        let mut streaming = Cell::new(CellKind::Assistant {
            turn_id: Some(1),
            text: String::new(),
            streaming: true,
            interrupted: false,
        });
        for end in 1..=text.len() {
            if !text.is_char_boundary(end) {
                continue;
            }
            if let CellKind::Assistant { text: t, .. } = &mut streaming.kind {
                *t = text[..end].to_string();
            }
            streaming.invalidate();
            streaming.lines(40, &theme, &hl);
        }
        let mut done = Cell::new(CellKind::Assistant {
            turn_id: Some(1),
            text: text.into(),
            streaming: false,
            interrupted: false,
        });
        assert_eq!(
            plain(streaming.lines(40, &theme, &hl)),
            plain(done.lines(40, &theme, &hl))
        );
    }

    #[test]
    fn huge_user_message_is_folded() {
        use crate::tui::user_cell::{ROWS_SHOWN, UserCell};
        let theme = Theme::dark();
        let hl = Highlighter::new(None);
        let text = "line\n".repeat(100_000);
        let mut cell = Cell::new(CellKind::User(UserCell::new(text)));
        let lines = plain(cell.lines(80, &theme, &hl));
        assert_eq!(lines.len(), ROWS_SHOWN + 1);
        assert!(lines.last().unwrap().contains("100,000 lines"));
        let mut one_line = Cell::new(CellKind::User(UserCell::new("y".repeat(10 << 20))));
        let lines = plain(one_line.lines(80, &theme, &hl));
        assert_eq!(lines.len(), ROWS_SHOWN + 1);
        assert!(lines.last().unwrap().contains("10,485,760 characters"));
    }

    #[test]
    fn error_lines_keep_the_fix_line() {
        let theme = Theme::dark();
        let hl = Highlighter::new(None);
        let mut cell = Cell::new(CellKind::Error {
            kind: ErrorKind::Config,
            message: "c.toml:2:3: bad\n  fix: do this".into(),
        });
        let lines = plain(cell.lines(80, &theme, &hl));
        assert!(lines[0].starts_with("✗ config error: c.toml:2:3"));
        assert!(lines[1].contains("fix: do this"));
    }
}
