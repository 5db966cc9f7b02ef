//! The help overlay: every layer's keys, from the key tables (`keymap.rs`), as compact
//! sections (`keys label` pairs flowing after the layer's title), in two columns when the box
//! is wide enough. At 80x24 everything fits without scrolling; a smaller box scrolls and says
//! so in its title. The notes on scrolling and copying follow when there is room.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::app::App;
use super::keymap::{self, KeyHelp};
use super::theme::Theme;

/// Two columns from this inner width on.
const TWO_COLUMNS_FROM: usize = 72;
/// Columns between the two columns.
const GAP: usize = 2;
/// The widest box drawn.
const MAX_WIDTH: u16 = 118;

/// How scrolling and copying work, shown under the keys when there is room.
const HELP_NOTES: &[&str] = &[
    "The wheel scrolls the transcript; select text with Shift+drag (Option+drag in iTerm2).",
    "/copy puts the last code block on the clipboard. On exit the conversation is printed to the scrollback.",
];

/// The overlay's rows for an inner box of `width` x `height`: the key sections, then the
/// notes when they fit in `height` too.
pub fn help_lines(t: &Theme, width: u16, height: u16, shift_enter: bool) -> Vec<Line<'static>> {
    let width = usize::from(width.max(8));
    let columns = if width >= TWO_COLUMNS_FROM { 2 } else { 1 };
    let column_width = (width - GAP * (columns - 1)) / columns;
    let sections = keymap::help_sections();
    let blocks: Vec<Vec<Line<'static>>> = sections
        .iter()
        .map(|(title, keys)| flow(t, &[(title, keys)], column_width, shift_enter))
        .collect();
    let mut lines = if columns == 2 {
        side_by_side(&blocks, column_width)
    } else {
        blocks.concat()
    };
    if lines.len() > usize::from(height) {
        // Too tall with a row start per layer: the layers flow on, one after the other.
        let all: Vec<(&str, &Vec<KeyHelp>)> = sections.iter().map(|(t, k)| (*t, k)).collect();
        lines = flow(t, &all, width, shift_enter);
    }
    let notes: Vec<Line<'static>> = HELP_NOTES
        .iter()
        .flat_map(|note| {
            super::markdown::wrap_spans(vec![Span::styled(*note, t.muted)], width as u16 - 1)
        })
        .map(|row| {
            let mut spans = vec![Span::raw(" ")];
            spans.extend(row.spans);
            Line::from(spans)
        })
        .collect();
    if lines.len() + 1 + notes.len() <= usize::from(height) {
        lines.push(Line::default());
        lines.extend(notes);
    }
    lines
}

/// Layers' keys as rows of `width`: each layer's title, then its `keys label` pairs; a title
/// never ends a row.
fn flow(
    t: &Theme,
    sections: &[(&str, &Vec<KeyHelp>)],
    width: usize,
    shift_enter: bool,
) -> Vec<Line<'static>> {
    let mut rows = Rows {
        width,
        lines: Vec::new(),
        row: Vec::new(),
        used: 0,
    };
    for (title, keys) in sections {
        let title = format!("{title}:");
        let mut first = true;
        for key in keys.iter() {
            let keys = match key.keys {
                keymap::NEWLINE_KEYS => super::input_keys::newline_keys(shift_enter),
                keys => keys,
            };
            let label = if key.short.is_empty() {
                key.long
            } else {
                key.short
            };
            let mut spans = Vec::new();
            if first {
                spans.push(Span::styled(title.clone(), t.heading));
                spans.push(Span::raw(" "));
            }
            spans.push(Span::styled(keys.to_string(), t.accent));
            spans.push(Span::raw(" "));
            spans.push(Span::styled(label, t.text));
            rows.item(spans);
            first = false;
        }
    }
    rows.finish()
}

/// Rows being filled with items, two spaces apart.
struct Rows {
    width: usize,
    lines: Vec<Line<'static>>,
    row: Vec<Span<'static>>,
    used: usize,
}

impl Rows {
    fn item(&mut self, spans: Vec<Span<'static>>) {
        let width: usize = spans.iter().map(|s| s.content.width()).sum();
        if !self.row.is_empty() && self.used + 2 + width > self.width {
            self.lines.push(Line::from(std::mem::take(&mut self.row)));
            self.used = 0;
        }
        let sep = if self.row.is_empty() { 1 } else { 2 };
        if self.used + sep + width > self.width {
            // Wider than a row on its own: wrapped onto rows of its own.
            for wrapped in super::markdown::wrap_spans(spans, (self.width - 1) as u16) {
                let mut spans = vec![Span::raw(" ")];
                spans.extend(wrapped.spans);
                self.lines.push(Line::from(spans));
            }
            return;
        }
        self.row.push(Span::raw(" ".repeat(sep)));
        self.row.extend(spans);
        self.used += sep + width;
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        if !self.row.is_empty() {
            self.lines.push(Line::from(self.row));
        }
        self.lines
    }
}

/// The sections in two columns, in order, split where the taller column is shortest.
fn side_by_side(blocks: &[Vec<Line<'static>>], column_width: usize) -> Vec<Line<'static>> {
    let heights: Vec<usize> = blocks.iter().map(Vec::len).collect();
    let total: usize = heights.iter().sum();
    let split = (0..=blocks.len())
        .min_by_key(|&k| {
            let left: usize = heights[..k].iter().sum();
            left.max(total - left)
        })
        .unwrap_or(0);
    let left = blocks[..split].concat();
    let right = blocks[split..].concat();
    let rows = left.len().max(right.len());
    (0..rows)
        .map(|i| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            let mut used = 0;
            if let Some(l) = left.get(i) {
                used = l.width();
                spans.extend(l.spans.iter().cloned());
            }
            if let Some(r) = right.get(i) {
                spans.push(Span::raw(
                    " ".repeat(column_width + GAP - used.min(column_width)),
                ));
                spans.extend(r.spans.iter().cloned());
            }
            Line::from(spans)
        })
        .collect()
}

pub fn render_help(app: &mut App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = area.width.min(MAX_WIDTH);
    let lines = help_lines(
        t,
        width.saturating_sub(2),
        area.height.saturating_sub(2),
        app.conv.shift_enter,
    );
    let rows = lines.len() as u16;
    let height = (rows + 2).min(area.height);
    let visible = height.saturating_sub(2);
    let max_scroll = rows.saturating_sub(visible);
    app.help_scroll = app.help_scroll.min(max_scroll);
    let scroll = app.help_scroll;
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let title = if max_scroll > 0 && width >= 60 {
        format!(
            " Keys {}/{rows} · ↑↓ scroll · other keys close ",
            scroll + visible
        )
    } else if max_scroll > 0 {
        format!(" Keys {}/{rows} · ↑↓ ", scroll + visible)
    } else {
        " Keys · any key closes ".to_string()
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(t.border)
                .title(Span::styled(title, t.heading)),
        ),
        popup,
    );
}
