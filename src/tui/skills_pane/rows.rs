//! The rows of the skills pane: status mark, name, source, "restricted" tag and description,
//! in columns that fit the width (source shortened, then tag and source left out).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::SkillsPane;
use crate::protocol::{SkillInfo, SkillState};
use crate::tui::session_pane::{one_line, truncate};
use crate::tui::theme::Theme;

/// The description keeps at least this many columns before source and tag are dropped.
const MIN_DESC: usize = 16;
/// Full source labels only when the description keeps this many columns.
const ROOMY_DESC: usize = 30;
const NAME_MAX_W: usize = 24;
const SOURCE_MAX_W: usize = 24;
const TAG: &str = "restricted";

/// The status mark of a row and its style.
pub(super) fn mark(status: SkillState, t: &Theme) -> (&'static str, Style) {
    match status {
        SkillState::Ok => ("✓", t.success),
        SkillState::Warning => ("!", t.warning),
        SkillState::Error => ("✗", t.error),
        SkillState::Unavailable => ("⊘", t.muted),
        SkillState::Shadowed => ("↓", t.muted),
    }
}

/// `text` truncated and padded with spaces to exactly `width` columns.
fn pad(text: &str, width: usize) -> String {
    let mut s = truncate(text, width);
    let w = s.width();
    s.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    s
}

/// "project (.pincer/skills)" → "project": the source column when room is short (the detail
/// shows the whole label).
fn short_source(source: &str) -> &str {
    source.split(" (").next().unwrap_or(source)
}

/// Widths of the row columns (0 = left out); the description takes the rest.
struct Columns {
    name: usize,
    source: usize,
    /// Sources cut to their first word.
    short: bool,
    tag: bool,
    desc: usize,
}

impl Columns {
    fn fit(width: u16, skills: &[SkillInfo]) -> Columns {
        // "› ✓ " before the name.
        let avail = usize::from(width).saturating_sub(4);
        let widest = |f: &dyn Fn(&SkillInfo) -> String| {
            skills.iter().map(|s| f(s).width()).max().unwrap_or(0)
        };
        let name = widest(&|s| one_line(&s.name))
            .clamp(4, NAME_MAX_W)
            .min(avail);
        let mut rest = avail - name;
        let tag = skills.iter().any(|s| s.restricted) && rest >= 2 + TAG.len() + 2 + MIN_DESC;
        if tag {
            rest -= 2 + TAG.len();
        }
        let full = widest(&|s| one_line(&s.source)).min(SOURCE_MAX_W);
        let short_w = widest(&|s| one_line(short_source(&s.source))).min(SOURCE_MAX_W);
        // The full labels when the description keeps room for a phrase, else the short ones.
        let (source, short) = if full > 0 && rest >= 2 + full + 2 + ROOMY_DESC {
            (full, false)
        } else if short_w > 0 && rest >= 2 + short_w + 2 + MIN_DESC {
            (short_w, true)
        } else {
            (0, false)
        };
        if source > 0 {
            rest -= 2 + source;
        }
        Columns {
            name,
            source,
            short,
            tag,
            desc: rest.saturating_sub(2),
        }
    }
}

impl SkillsPane {
    pub(super) fn draw_list(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let h = usize::from(area.height);
        if h == 0 || area.width == 0 {
            return;
        }
        let cols = Columns::fit(area.width, &self.skills);
        let mut y = area.y;
        for (k, &idx) in self.list.visible_rows(h) {
            let Some(s) = self.skills.get(idx) else {
                continue;
            };
            let selected = k == self.list.selected();
            buf.set_line(area.x, y, &row_line(s, &cols, selected, t), area.width);
            if selected {
                buf.set_style(Rect::new(area.x, y, area.width, 1), t.selection);
            }
            y += 1;
        }
    }
}

fn row_line(s: &SkillInfo, cols: &Columns, selected: bool, t: &Theme) -> Line<'static> {
    let (m, mark_style) = mark(s.status, t);
    let usable = s.status.usable();
    let name_style = if !usable {
        t.muted
    } else if selected {
        t.text.add_modifier(Modifier::BOLD)
    } else {
        t.text
    };
    let mut spans = vec![
        Span::styled(if selected { "›" } else { " " }, t.accent),
        Span::raw(" "),
        Span::styled(m, mark_style),
        Span::raw(" "),
        Span::styled(pad(&one_line(&s.name), cols.name), name_style),
    ];
    if cols.source > 0 {
        let source = if cols.short {
            short_source(&s.source)
        } else {
            &s.source
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(pad(&one_line(source), cols.source), t.muted));
    }
    if cols.tag {
        spans.push(Span::raw("  "));
        let tag = if s.restricted { TAG } else { "" };
        spans.push(Span::styled(pad(tag, TAG.len()), t.warning));
    }
    if cols.desc > 0 {
        // A skill without a description (an error) shows why instead.
        let desc = one_line(&s.description);
        let (text, style) = if desc.is_empty() {
            (
                one_line(&s.detail),
                mark_style.add_modifier(Modifier::ITALIC),
            )
        } else if usable {
            (desc, t.text)
        } else {
            (desc, t.muted)
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(truncate(&text, cols.desc), style));
    }
    Line::from(spans)
}
