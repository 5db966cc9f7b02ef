//! Drawing the session pane: a bordered modal with the filter line, the rows, a preview of the
//! selected session (right side when wide, else below) and the legend. Never panics on tiny
//! areas: parts that do not fit are left out (legend, then preview, then columns).

use crate::tui::keymap;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};
use unicode_width::UnicodeWidthStr;

use super::fit::{one_line, pad, pad_left, relative_time, shorten_home, truncate, truncate_left};
use super::{Mode, Row, SessionPane};
use crate::protocol::{SessionOrigin, SessionScope, SessionSummary};
use crate::tui::theme::Theme;

/// From this frame width on the preview sits right of the list.
const RIGHT_PREVIEW_MIN: u16 = 110;
/// The title keeps at least this many columns next to time and count…
const MIN_TITLE: usize = 20;
/// …and this many next to the working dir and model.
const WIDE_TITLE: usize = 28;
const TIME_W: usize = 10;
const COUNT_W: usize = 9;
const CWD_W: usize = 22;
const MODEL_W: usize = 18;

/// The modal's rect: most of the frame, all of it when small.
pub(crate) fn modal_area(frame: Rect) -> Rect {
    let (mx, my) = (
        if frame.width > 40 { 2 } else { 0 },
        if frame.height > 12 { 1 } else { 0 },
    );
    Rect::new(
        frame.x + mx,
        frame.y + my,
        frame.width.saturating_sub(2 * mx),
        frame.height.saturating_sub(2 * my),
    )
}

/// Inside the border, one column of padding on each side when there is room.
pub(crate) fn padded(inner: Rect) -> Rect {
    if inner.width > 6 {
        Rect::new(inner.x + 1, inner.y, inner.width - 2, inner.height)
    } else {
        inner
    }
}

/// The rounded, titled frame every pane draws; the padded inside (empty: nothing fits).
pub(crate) fn pane_frame(title: String, area: Rect, buf: &mut Buffer, t: &Theme) -> Rect {
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.border)
        .title(Span::styled(title, t.accent.add_modifier(Modifier::BOLD)));
    let inner = padded(block.inner(area));
    block.render(area, buf);
    inner
}

/// Draw `line` at the top of `body` and take its row off `body` (when there is one).
pub(crate) fn draw_header(line: &Line<'_>, body: &mut Rect, buf: &mut Buffer) {
    if body.height > 0 {
        buf.set_line(body.x, body.y, line, body.width);
        body.y += 1;
        body.height -= 1;
    }
}

/// Draw `foot` at the bottom of `body` and take its rows off `body` (when it fits).
pub(crate) fn draw_footer(foot: &[Line<'_>], body: &mut Rect, buf: &mut Buffer) {
    let foot_h = foot.len() as u16;
    if body.height > foot_h {
        for (k, line) in foot.iter().enumerate() {
            let y = body.bottom() - foot_h + k as u16;
            buf.set_line(body.x, y, line, body.width);
        }
        body.height -= foot_h;
    }
}

/// "key label  key label …" wrapped into at most `max_lines` lines of `width`; entries that
/// do not fit are left out.
pub(crate) fn legend(
    entries: &[(&str, &str)],
    theme: &Theme,
    width: u16,
    max_lines: usize,
) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (key, label) in entries {
        let w = key.width() + 1 + label.width();
        let gap = if current.is_empty() { 0 } else { 3 };
        if used + gap + w > width {
            if current.is_empty() || lines.len() + 1 >= max_lines {
                break;
            }
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        if !current.is_empty() {
            current.push(Span::raw("   "));
            used += 3;
        }
        current.push(Span::styled(
            key.to_string(),
            theme.accent.add_modifier(Modifier::BOLD),
        ));
        current.push(Span::styled(format!(" {label}"), theme.muted));
        used += w;
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// Which columns fit next to the title.
struct Columns {
    cwd: usize,
    model: usize,
    count: bool,
    time: bool,
}

impl Columns {
    fn fit(width: u16) -> Columns {
        let mut rest = usize::from(width).saturating_sub(3);
        let mut take = |want: usize, least: usize, title: usize| {
            let w = rest.saturating_sub(title + 2).min(want);
            if w >= least {
                rest -= w + 2;
                w
            } else {
                0
            }
        };
        let time = take(TIME_W, TIME_W, MIN_TITLE) > 0;
        let count = take(COUNT_W, COUNT_W, MIN_TITLE) > 0;
        let cwd = take(CWD_W, 12, WIDE_TITLE);
        let model = take(MODEL_W, 12, WIDE_TITLE);
        Columns {
            cwd,
            model,
            count,
            time,
        }
    }
}

impl SessionPane {
    /// Draw over `frame_area`. `now_ms` (ms since 1970) makes relative times deterministic.
    pub fn render(&self, frame_area: Rect, buf: &mut Buffer, theme: &Theme, now_ms: i64) {
        let area = modal_area(frame_area).intersection(buf.area);
        if area.is_empty() {
            return;
        }
        Clear.render(area, buf);
        let scope = match self.scope {
            SessionScope::ThisDirectory => "this directory",
            SessionScope::All => "all",
        };
        let hidden = self.hidden_count();
        let title = if self.loading {
            format!(" Sessions — {scope} ")
        } else if hidden > 0 {
            format!(
                " Sessions — {scope} ({}) · {hidden} -p hidden ",
                self.sessions.len()
            )
        } else {
            format!(" Sessions — {scope} ({}) ", self.sessions.len())
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border)
            .title(Span::styled(
                title,
                theme.accent.add_modifier(Modifier::BOLD),
            ));
        let inner = padded(block.inner(area));
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        buf.set_line(inner.x, inner.y, &self.top_line(theme), inner.width);
        let mut body = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);

        let max_legend = if body.height >= 10 { 3 } else { 1 };
        let foot = self.footer(theme, inner.width, max_legend);
        draw_footer(&foot, &mut body, buf);
        if body.is_empty() {
            return;
        }

        if frame_area.width >= RIGHT_PREVIEW_MIN && body.width >= 80 {
            let preview_w = (body.width / 3).min(60);
            let list = Rect::new(body.x, body.y, body.width - preview_w - 3, body.height);
            let sep_x = list.right() + 1;
            for y in body.top()..body.bottom() {
                buf.set_string(sep_x, y, "│", theme.border);
            }
            let preview = Rect::new(sep_x + 2, body.y, preview_w, body.height);
            self.draw_list(list, buf, theme, now_ms);
            self.draw_preview_right(preview, buf, theme);
        } else if body.height >= 12 {
            let preview_h = (body.height / 3).min(5);
            let list_h = body.height - preview_h - 1;
            let list = Rect::new(body.x, body.y, body.width, list_h);
            let sep = "─".repeat(usize::from(body.width));
            buf.set_string(body.x, list.bottom(), sep, theme.border);
            let preview = Rect::new(body.x, list.bottom() + 1, body.width, preview_h);
            self.draw_list(list, buf, theme, now_ms);
            self.draw_preview_below(preview, buf, theme);
        } else {
            self.draw_list(body, buf, theme, now_ms);
        }
    }

    fn top_line(&self, t: &Theme) -> Line<'static> {
        if let Mode::Rename { text, .. } = &self.mode {
            return Line::from(vec![
                Span::styled("rename: ", t.accent),
                Span::styled(text.clone(), t.text),
                Span::styled("▏", t.accent),
            ]);
        }
        let mut spans = vec![
            Span::styled("filter: ", t.muted),
            Span::styled(self.list.filter().to_string(), t.text),
            Span::styled("▏", t.accent),
        ];
        if self.list.filter().is_empty() {
            spans.push(Span::styled(
                " type to filter by title, first message or folder",
                t.muted,
            ));
        } else if !self.loading {
            spans.push(Span::styled(
                format!("   {} of {}", self.list.rows().len(), self.sessions.len()),
                t.muted,
            ));
        }
        Line::from(spans)
    }

    fn footer(&self, t: &Theme, width: u16, max_lines: usize) -> Vec<Line<'static>> {
        let w = usize::from(width);
        match &self.mode {
            Mode::Rename { .. } => {
                let mut spans = Vec::new();
                if let Some(n) = &self.notice {
                    spans.push(Span::styled(format!("{n}   "), t.error));
                }
                spans.extend(
                    legend(&keymap::legend(keymap::RENAME), t, width, 1)
                        .into_iter()
                        .flat_map(|l| l.spans),
                );
                vec![Line::from(spans)]
            }
            Mode::ConfirmDelete { id } => {
                let s = self.sessions.iter().find(|s| &s.id == id);
                let n = s.map(|s| s.message_count).unwrap_or(0);
                let title = s.map(title_of).unwrap_or_else(|| "untitled".into());
                let messages = if n == 1 { "message" } else { "messages" };
                let fixed = format!("Delete «» and its {n} {messages}? ").width() + 3;
                let title = truncate(&title, w.saturating_sub(fixed).max(8));
                vec![Line::from(vec![
                    Span::styled(
                        format!("Delete «{title}» and its {n} {messages}? "),
                        t.warning.add_modifier(Modifier::BOLD),
                    ),
                    Span::styled("y", t.accent.add_modifier(Modifier::BOLD)),
                    Span::styled("/", t.muted),
                    Span::styled("n", t.accent.add_modifier(Modifier::BOLD)),
                ])]
            }
            Mode::Browse => {
                let keys = keymap::legend(keymap::SESSIONS);
                match &self.notice {
                    Some(n) => {
                        let mut lines = vec![Line::from(Span::styled(truncate(n, w), t.success))];
                        if max_lines > 1 {
                            lines.extend(legend(&keys, t, width, max_lines - 1));
                        }
                        lines
                    }
                    None => legend(&keys, t, width, max_lines),
                }
            }
        }
    }

    fn draw_list(&self, area: Rect, buf: &mut Buffer, t: &Theme, now_ms: i64) {
        let message = if self.loading && self.sessions.is_empty() {
            Some("loading…".to_string())
        } else if self.sessions.is_empty() {
            Some("no sessions yet — what you chat about is saved here".to_string())
        } else if self.list.rows().is_empty() {
            Some(format!("no session matches «{}»", self.list.filter()))
        } else {
            None
        };
        if let Some(m) = message {
            let line = Line::from(Span::styled(truncate(&m, usize::from(area.width)), t.muted));
            buf.set_line(area.x, area.y, &line, area.width);
            return;
        }
        let h = usize::from(area.height);
        let cols = Columns::fit(area.width);
        let filtered = !self.list.filter().trim().is_empty();
        let mut y = area.y;
        for (k, row) in self.list.visible_rows(h) {
            let Some(s) = self.sessions.get(row.idx) else {
                continue;
            };
            let selected = k == self.list.selected();
            let line = self.row_line(s, row, &cols, filtered, selected, area.width, t, now_ms);
            buf.set_line(area.x, y, &line, area.width);
            if selected {
                buf.set_style(Rect::new(area.x, y, area.width, 1), t.selection);
            }
            y += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn row_line(
        &self,
        s: &SessionSummary,
        row: &Row,
        cols: &Columns,
        filtered: bool,
        selected: bool,
        width: u16,
        t: &Theme,
        now_ms: i64,
    ) -> Line<'static> {
        let dim = |st: Style| {
            if s.archived {
                st.patch(t.muted).add_modifier(Modifier::DIM)
            } else {
                st
            }
        };
        let current = self.current.as_deref() == Some(s.id.as_str());
        let mut spans = vec![
            Span::styled(if selected { "›" } else { " " }, t.accent),
            Span::styled(if current { "●" } else { " " }, t.accent),
            Span::raw(" "),
        ];
        let mut right: Vec<Span<'static>> = Vec::new();
        let mut right_w = 0;
        let mut col = |text: String, st: Style| {
            right_w += 2 + text.width();
            right.push(Span::raw("  "));
            right.push(Span::styled(text, dim(st)));
        };
        if cols.cwd > 0 {
            let cwd = shorten_home(&s.cwd, self.home.as_deref());
            col(pad(&truncate_left(&cwd, cols.cwd), cols.cwd), t.muted);
        }
        if cols.model > 0 {
            col(pad(&one_line(&s.model), cols.model), t.muted);
        }
        if cols.count {
            let unit = if s.message_count == 1 { "msg" } else { "msgs" };
            col(
                pad_left(&format!("{} {unit}", s.message_count), COUNT_W),
                t.muted,
            );
        }
        if cols.time {
            col(
                pad_left(&relative_time(s.updated_ms, now_ms), TIME_W),
                t.muted,
            );
        }

        let mut title_w = usize::from(width).saturating_sub(3 + right_w);
        let guide = if filtered {
            if s.parent_id.is_some() { "↳ " } else { "" }.to_string()
        } else {
            truncate(&row.prefix, title_w / 2)
        };
        title_w = title_w.saturating_sub(guide.width());
        spans.push(Span::styled(guide, t.muted));
        let tag = match (s.archived, s.origin == SessionOrigin::Headless) {
            (true, true) => " -p archived",
            (true, false) => " archived",
            (false, true) => " -p",
            (false, false) => "",
        };
        let text_w = title_w.saturating_sub(tag.width());
        let title = title_of(s);
        let title_style = if s.title.trim().is_empty() {
            t.muted.add_modifier(Modifier::ITALIC)
        } else if selected {
            t.text.add_modifier(Modifier::BOLD)
        } else {
            t.text
        };
        let title = truncate(&title, text_w);
        let fill = text_w.saturating_sub(title.width());
        spans.push(Span::styled(title, dim(title_style)));
        if !tag.is_empty() && title_w >= tag.width() {
            spans.push(Span::styled(tag, t.muted.add_modifier(Modifier::ITALIC)));
        }
        spans.push(Span::raw(" ".repeat(fill)));
        spans.extend(right);
        Line::from(spans)
    }
}

pub(super) fn title_of(s: &SessionSummary) -> String {
    let title = one_line(&s.title);
    if title.is_empty() {
        "untitled".into()
    } else {
        title
    }
}
