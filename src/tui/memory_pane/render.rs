//! Drawing the memory pane: a bordered modal with the filter line, the runtime's status, the
//! entries grouped under "scope · file" headers, the selected entry's detail and text (right
//! side when wide, else below) and the legend. Never panics on tiny areas: parts that do not
//! fit are left out (status, legend, then detail).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};
use unicode_width::UnicodeWidthStr;

use super::{MemoryPane, MemoryPaneMode, scope_filter_label, scope_label};
use crate::protocol::{MemoryEntry, MemoryKind, MemoryProvenance};
use crate::tui::keymap;
use crate::tui::markdown::wrap_spans;
use crate::tui::session_pane::render::{draw_footer, draw_header, legend, modal_area, pane_frame};
use crate::tui::session_pane::{one_line, relative_day, truncate};
use crate::tui::theme::Theme;

/// From this frame width on the detail sits right of the list.
const RIGHT_DETAIL_MIN: u16 = 110;

fn kind_label(k: MemoryKind) -> &'static str {
    match k {
        MemoryKind::Episodic => "episodic",
        MemoryKind::Semantic => "fact",
        MemoryKind::Procedural => "how-to",
    }
}

/// The short provenance of a row.
fn provenance_short(p: MemoryProvenance) -> &'static str {
    match p {
        MemoryProvenance::User => "you",
        MemoryProvenance::Model => "model",
        MemoryProvenance::Imported => "imported",
        MemoryProvenance::ToolOutput => "model·untrusted",
    }
}

/// One line of the list: a group header or an entry (its row number).
struct ListLine {
    row: Option<usize>,
    line: Line<'static>,
}

impl MemoryPane {
    /// Draw over `frame_area`; `now_ms` (wall clock) turns dates into "3d ago".
    pub fn render(&self, frame_area: Rect, buf: &mut Buffer, theme: &Theme, now_ms: i64) {
        let t = theme;
        let area = modal_area(frame_area).intersection(buf.area);
        if area.is_empty() {
            return;
        }
        Clear.render(area, buf);
        let title = if self.loaded {
            let hidden = self.hidden_superseded();
            let shown = self.list.rows().len();
            if hidden > 0 {
                format!(" Memory ({shown}, {hidden} superseded hidden) ")
            } else {
                format!(" Memory ({shown}) ")
            }
        } else {
            " Memory ".to_string()
        };
        let inner = pane_frame(title, area, buf, t);
        if inner.is_empty() {
            return;
        }
        let mut body = inner;
        draw_header(&self.top_line(t, inner.width), &mut body, buf);
        if !self.status.is_empty() && inner.height >= 8 {
            let status = truncate(&one_line(&self.status), usize::from(inner.width));
            draw_header(&Line::from(Span::styled(status, t.muted)), &mut body, buf);
        }

        let max_legend = if body.height >= 10 { 2 } else { 1 };
        let foot = self.footer(t, inner.width, max_legend);
        draw_footer(&foot, &mut body, buf);
        if body.is_empty() {
            return;
        }
        if self.list.rows().is_empty() {
            self.draw_message(body, buf, t);
            return;
        }
        if frame_area.width >= RIGHT_DETAIL_MIN && body.width >= 80 {
            let detail_w = (body.width * 2 / 5).min(70);
            let list = Rect::new(body.x, body.y, body.width - detail_w - 3, body.height);
            let sep_x = list.right() + 1;
            for y in body.top()..body.bottom() {
                buf.set_string(sep_x, y, "│", t.border);
            }
            self.draw_list(list, buf, t, now_ms);
            let detail = Rect::new(sep_x + 2, body.y, detail_w, body.height);
            self.draw_detail(detail, buf, t, now_ms);
        } else if body.height >= 9 {
            let list_h = (body.height * 3 / 5).max(3);
            let detail_h = body.height - list_h - 1;
            let list = Rect::new(body.x, body.y, body.width, list_h);
            buf.set_string(
                body.x,
                list.bottom(),
                "─".repeat(usize::from(body.width)),
                t.border,
            );
            self.draw_list(list, buf, t, now_ms);
            let detail = Rect::new(body.x, list.bottom() + 1, body.width, detail_h);
            self.draw_detail(detail, buf, t, now_ms);
        } else {
            self.draw_list(body, buf, t, now_ms);
        }
    }

    fn hidden_superseded(&self) -> usize {
        if self.show_superseded {
            return 0;
        }
        self.entries
            .iter()
            .filter(|e| e.superseded.is_some())
            .count()
    }

    /// "search: tabs▏   scope: all" (the cursor only while typing).
    fn top_line(&self, t: &Theme, width: u16) -> Line<'static> {
        let w = usize::from(width);
        let scope = format!("   scope: {}", scope_filter_label(self.scope));
        let label = "search: ";
        let room = w.saturating_sub(label.width() + 1 + scope.width());
        let shown = truncate(self.list.filter(), room);
        let mut spans = vec![
            Span::styled(label, t.muted),
            Span::styled(shown.clone(), t.text),
        ];
        let mut used = label.width() + shown.width();
        if self.list.is_filtering() {
            spans.push(Span::styled("▏", t.accent));
            used += 1;
        }
        let hint = if self.list.filter().is_empty() && self.list.is_filtering() {
            " type to search memory".to_string()
        } else if self.list.filter().is_empty() {
            "/ searches".to_string()
        } else {
            String::new()
        };
        let hint = truncate(&hint, w.saturating_sub(used + scope.width()));
        used += hint.width();
        spans.push(Span::styled(hint, t.muted));
        spans.push(Span::styled(
            truncate(&scope, w.saturating_sub(used)),
            t.muted,
        ));
        Line::from(spans)
    }

    /// The question or notice (if any) on its own line, then the keys.
    fn footer(&self, t: &Theme, width: u16, max_lines: usize) -> Vec<Line<'static>> {
        let w = usize::from(width);
        let keys = match (&self.mode, self.list.is_filtering()) {
            (MemoryPaneMode::ConfirmForget { .. }, _) => keymap::MEMORY_FORGET,
            (MemoryPaneMode::Browse, true) => keymap::MEMORY_SEARCH,
            (MemoryPaneMode::Browse, false) => keymap::MEMORY,
        };
        let mut lines = Vec::new();
        if let MemoryPaneMode::ConfirmForget { id } = &self.mode {
            let what = self
                .entries
                .iter()
                .find(|e| &e.id == id)
                .map(|e| one_line(&e.text))
                .unwrap_or_default();
            let tail = "»? it leaves the file and the index";
            let room = w.saturating_sub("Forget «".width() + tail.width());
            lines.push(Line::from(Span::styled(
                truncate(&format!("Forget «{}{tail}", truncate(&what, room)), w),
                t.warning.add_modifier(Modifier::BOLD),
            )));
        } else if let Some(n) = &self.notice {
            lines.push(Line::from(Span::styled(truncate(&one_line(n), w), t.error)));
        }
        lines.extend(legend(&keymap::legend(keys), t, width, max_lines));
        lines
    }

    fn draw_message(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let message = if !self.loaded {
            "loading…".to_string()
        } else if !self.list.filter().trim().is_empty() && self.entries.is_empty() {
            format!("no memory matches «{}»", one_line(self.list.filter()))
        } else if self.entries.is_empty() {
            "no memories yet — tell the model \"remember …\", or write Markdown in the memory \
             folder (pincer memory status shows where)"
                .to_string()
        } else {
            "only superseded entries here — s shows them".to_string()
        };
        let lines = wrap_spans(vec![Span::styled(message, t.muted)], area.width);
        for (k, line) in lines.iter().take(usize::from(area.height)).enumerate() {
            buf.set_line(area.x, area.y + k as u16, line, area.width);
        }
    }

    /// Group headers and entry rows, in order.
    fn list_lines(&self, t: &Theme, width: usize, now_ms: i64) -> Vec<ListLine> {
        let mut out = Vec::new();
        let mut group: Option<(crate::protocol::MemoryScope, &str)> = None;
        for (row, e) in self.visible().enumerate() {
            if group != Some((e.scope, e.path.as_str())) {
                group = Some((e.scope, e.path.as_str()));
                let head = format!("{} · {}", scope_label(e.scope), one_line(&e.path));
                out.push(ListLine {
                    row: None,
                    line: Line::from(Span::styled(truncate(&head, width), t.heading)),
                });
            }
            out.push(ListLine {
                row: Some(row),
                line: entry_line(e, row == self.list.selected(), t, width, now_ms),
            });
        }
        out
    }

    fn draw_list(&self, area: Rect, buf: &mut Buffer, t: &Theme, now_ms: i64) {
        let height = usize::from(area.height);
        let lines = self.list_lines(t, usize::from(area.width), now_ms);
        let selected = lines
            .iter()
            .position(|l| l.row == Some(self.list.selected()))
            .unwrap_or(0);
        let mut scroll = self.list.window(selected, lines.len(), height);
        // The header of the selected entry's group stays in view with it.
        if scroll == selected && selected > 0 && lines[selected - 1].row.is_none() {
            scroll -= 1;
            self.list.set_scroll(scroll);
        }
        for (k, l) in lines.iter().skip(scroll).take(height).enumerate() {
            buf.set_line(area.x, area.y + k as u16, &l.line, area.width);
        }
    }

    fn draw_detail(&self, area: Rect, buf: &mut Buffer, t: &Theme, now_ms: i64) {
        let Some(e) = self.selected_entry() else {
            return;
        };
        let width = area.width;
        let (a, b) = e.lines;
        let place = if a == b {
            format!("{}:{a}", one_line(&e.path))
        } else {
            format!("{}:{a}-{b}", one_line(&e.path))
        };
        let mut lines = wrap_spans(
            vec![Span::styled(
                format!("{} · {place}", scope_label(e.scope)),
                t.heading,
            )],
            width,
        );
        let mut facts = format!(
            "{} · {} · {}",
            kind_label(e.kind),
            e.provenance.label(),
            relative_day(e.created.saturating_mul(1000), now_ms)
        );
        if e.pinned {
            facts.push_str(" · pinned");
        }
        lines.extend(wrap_spans(vec![Span::styled(facts, t.muted)], width));
        if let Some(when) = e.superseded {
            lines.extend(wrap_spans(
                vec![Span::styled(
                    format!(
                        "superseded {} — out of recall, kept as history",
                        relative_day(when.saturating_mul(1000), now_ms)
                    ),
                    t.warning,
                )],
                width,
            ));
        }
        lines.push(Line::default());
        let style = if e.superseded.is_some() {
            t.muted
        } else {
            t.text
        };
        for text_line in crate::text::sanitize(&e.text).lines() {
            lines.extend(wrap_spans(
                vec![Span::styled(text_line.to_string(), style)],
                width,
            ));
        }
        for (k, line) in lines.iter().take(usize::from(area.height)).enumerate() {
            buf.set_line(area.x, area.y + k as u16, line, width);
        }
    }
}

/// "› ★ prefers tabs over spaces          model · 3d ago": mark, first line of the text and,
/// when there is room, who wrote it and when. Superseded entries are dimmed.
fn entry_line(
    e: &MemoryEntry,
    selected: bool,
    t: &Theme,
    width: usize,
    now_ms: i64,
) -> Line<'static> {
    let cursor = if selected { "› " } else { "  " };
    let pin = if e.pinned { "★ " } else { "  " };
    let mut meta = format!(
        "{} · {}",
        provenance_short(e.provenance),
        relative_day(e.created.saturating_mul(1000), now_ms)
    );
    if e.superseded.is_some() {
        meta = format!("superseded · {meta}");
    }
    let lead = cursor.width() + pin.width();
    let avail = width.saturating_sub(lead);
    let show_meta = avail >= meta.width() + 2 + 12;
    let text_w = if show_meta {
        avail - meta.width() - 2
    } else {
        avail
    };
    let text = truncate(&one_line(&e.text), text_w);
    let gap = text_w.saturating_sub(text.width());
    let base = if e.superseded.is_some() {
        t.muted.add_modifier(Modifier::DIM)
    } else {
        t.text
    };
    let (text_style, meta_style) = if selected {
        (base.patch(t.selection), t.muted.patch(t.selection))
    } else {
        (base, t.muted)
    };
    let mut spans = vec![
        Span::styled(
            cursor,
            if selected {
                t.accent.patch(t.selection)
            } else {
                t.accent
            },
        ),
        Span::styled(pin, t.warning),
        Span::styled(text, text_style),
    ];
    if show_meta {
        spans.push(Span::styled(" ".repeat(gap + 2), text_style));
        spans.push(Span::styled(meta, meta_style));
    }
    Line::from(spans)
}
