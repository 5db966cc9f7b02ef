//! GitHub tables with box-drawing borders, alignment and in-cell wrapping.

use pulldown_cmark::Alignment;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::wrap::{line_width, push_styled, wrap};
use crate::tui::theme::Theme;

/// A cell's inline content.
pub(crate) type Cell = Vec<Span<'static>>;

/// Narrowest a column is shrunk to before giving up on the grid layout.
const MIN_COL: usize = 3;

/// A table being collected from parser events.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub aligns: Vec<Alignment>,
    pub head: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
    pub in_head: bool,
    pub row: Vec<Cell>,
}

impl Table {
    pub fn new(aligns: Vec<Alignment>) -> Self {
        Table {
            aligns,
            ..Table::default()
        }
    }

    /// Store a finished cell in the header or the current row.
    pub fn push_cell(&mut self, cell: Cell) {
        if self.in_head {
            self.head.push(cell);
        } else {
            self.row.push(cell);
        }
    }

    pub fn end_row(&mut self) {
        if !self.in_head {
            let row = std::mem::take(&mut self.row);
            self.rows.push(row);
        }
    }

    /// Lay out into lines of at most `width` columns.
    pub fn render(mut self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        if !self.row.is_empty() {
            self.end_row();
        }
        let width = width.max(1);
        let ncols = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.head.len(), self.aligns.len()])
            .max()
            .unwrap_or(0);
        if ncols == 0 {
            return Vec::new();
        }
        let bold = Style::default().add_modifier(Modifier::BOLD);
        for cell in &mut self.head {
            for span in cell.iter_mut() {
                span.style = span.style.patch(bold);
            }
        }
        let natural: Vec<usize> = (0..ncols)
            .map(|c| {
                std::iter::once(&self.head)
                    .chain(self.rows.iter())
                    .filter_map(|row| row.get(c))
                    .map(natural_width)
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        // Borders and one space of padding on each side: "│ a │ b │".
        let chrome = 3 * ncols + 1;
        let budget = width.saturating_sub(chrome);
        let widths = fit_columns(&natural, budget, MIN_COL)
            .or_else(|| fit_columns(&natural, budget, 1))
            .filter(|w| w.iter().sum::<usize>() <= budget);
        match widths {
            Some(widths) => self.grid(&widths, theme),
            None => self.records(width, theme),
        }
    }

    fn align(&self, col: usize) -> Alignment {
        self.aligns.get(col).copied().unwrap_or(Alignment::None)
    }

    fn grid(&self, widths: &[usize], theme: &Theme) -> Vec<Line<'static>> {
        let border = theme.border;
        let rule = |l: &str, m: &str, r: &str| {
            let mut s = String::from(l);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    s.push_str(m);
                }
                s.push_str(&"─".repeat(w + 2));
            }
            s.push_str(r);
            Line::from(Span::styled(s, border))
        };
        // Separate body rows only when some of them wrap onto several lines.
        let row_lines: Vec<Vec<Vec<Line<'static>>>> =
            self.rows.iter().map(|row| wrap_row(row, widths)).collect();
        let multi = row_lines
            .iter()
            .any(|cells| cells.iter().any(|c| c.len() > 1));
        let mut out = vec![rule("┌", "┬", "┐")];
        out.extend(self.draw_row(&wrap_row(&self.head, widths), widths, border));
        out.push(rule("├", "┼", "┤"));
        for (i, cells) in row_lines.iter().enumerate() {
            if i > 0 && multi {
                out.push(rule("├", "┼", "┤"));
            }
            out.extend(self.draw_row(cells, widths, border));
        }
        out.push(rule("└", "┴", "┘"));
        out
    }

    fn draw_row(
        &self,
        cells: &[Vec<Line<'static>>],
        widths: &[usize],
        border: Style,
    ) -> Vec<Line<'static>> {
        let height = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
        (0..height)
            .map(|r| {
                let mut spans: Vec<Span<'static>> = Vec::new();
                for (c, w) in widths.iter().enumerate() {
                    push_styled(&mut spans, if c == 0 { "│ " } else { " │ " }, border);
                    let line = cells.get(c).and_then(|lines| lines.get(r));
                    let content = line.map(|l| l.spans.clone()).unwrap_or_default();
                    let used = line_width(&content);
                    let pad = w.saturating_sub(used);
                    let (left, right) = match self.align(c) {
                        Alignment::Right => (pad, 0),
                        Alignment::Center => (pad / 2, pad - pad / 2),
                        Alignment::Left | Alignment::None => (0, pad),
                    };
                    push_styled(&mut spans, &" ".repeat(left), Style::default());
                    spans.extend(content);
                    push_styled(&mut spans, &" ".repeat(right), Style::default());
                }
                push_styled(&mut spans, " │", border);
                Line::from(spans)
            })
            .collect()
    }

    /// Fallback when even one-column cells do not fit: "Header: value" records.
    fn records(&self, width: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if i > 0 {
                out.push(Line::from(Span::styled("─".repeat(width), theme.border)));
            }
            for (c, cell) in row.iter().enumerate() {
                let mut spans: Vec<Span<'static>> = self.head.get(c).cloned().unwrap_or_default();
                if !spans.is_empty() {
                    push_styled(&mut spans, ": ", theme.muted);
                }
                spans.extend(cell.iter().cloned());
                out.extend(wrap(&spans, width));
            }
        }
        if self.rows.is_empty() {
            let mut spans = Vec::new();
            for (c, cell) in self.head.iter().enumerate() {
                if c > 0 {
                    push_styled(&mut spans, " │ ", theme.border);
                }
                spans.extend(cell.iter().cloned());
            }
            out.extend(wrap(&spans, width));
        }
        out
    }
}

/// Widest line of a cell when it is not wrapped.
fn natural_width(cell: &Cell) -> usize {
    wrap(cell, usize::MAX)
        .iter()
        .map(|l| line_width(&l.spans))
        .max()
        .unwrap_or(0)
}

fn wrap_row(row: &[Cell], widths: &[usize]) -> Vec<Vec<Line<'static>>> {
    widths
        .iter()
        .enumerate()
        .map(|(c, w)| match row.get(c) {
            Some(cell) if !cell.is_empty() => wrap(cell, *w),
            _ => Vec::new(),
        })
        .collect()
}

/// Column widths summing to at most `budget`: natural widths when they fit,
/// otherwise the widest columns are shrunk first (never below `min`, nor below a
/// column's natural width). `None` when even that does not fit.
fn fit_columns(natural: &[usize], budget: usize, min: usize) -> Option<Vec<usize>> {
    let total: usize = natural.iter().sum();
    if total <= budget {
        return Some(natural.to_vec());
    }
    let floor: usize = natural.iter().map(|n| (*n).min(min)).sum();
    if floor > budget {
        return None;
    }
    // Largest cap such that sum(min(natural, cap)) fits; binary search.
    let capped = |cap: usize| -> usize { natural.iter().map(|n| (*n).min(cap)).sum() };
    let (mut lo, mut hi) = (min, natural.iter().copied().max().unwrap_or(min));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if capped(mid) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut widths: Vec<usize> = natural.iter().map(|n| (*n).min(lo)).collect();
    // Hand out the remainder one column at a time, leftmost wide columns first.
    let mut spare = budget.saturating_sub(widths.iter().sum());
    for (w, n) in widths.iter_mut().zip(natural) {
        if spare == 0 {
            break;
        }
        if *n > *w {
            *w += 1;
            spare -= 1;
        }
    }
    Some(widths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_columns_shrinks_widest_first() {
        assert_eq!(fit_columns(&[5, 10], 20, 3), Some(vec![5, 10]));
        assert_eq!(fit_columns(&[5, 30, 20], 30, 3), Some(vec![5, 13, 12]));
        assert_eq!(fit_columns(&[2, 30], 6, 3), Some(vec![2, 4]));
        assert_eq!(fit_columns(&[10, 10, 10], 8, 3), None);
        assert_eq!(fit_columns(&[10, 10, 10], 8, 1), Some(vec![3, 3, 2]));
    }

    fn cell(s: &str) -> Cell {
        vec![Span::raw(s.to_string())]
    }

    #[test]
    fn grid_with_alignment() {
        let mut t = Table::new(vec![Alignment::Left, Alignment::Center, Alignment::Right]);
        t.in_head = true;
        for h in ["a", "b", "c"] {
            t.push_cell(cell(h));
        }
        t.in_head = false;
        for v in ["xx", "yyyy", "z"] {
            t.push_cell(cell(v));
        }
        t.end_row();
        let out: Vec<String> = t
            .render(40, &Theme::monochrome())
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(
            out,
            [
                "┌────┬──────┬───┐",
                "│ a  │  b   │ c │",
                "├────┼──────┼───┤",
                "│ xx │ yyyy │ z │",
                "└────┴──────┴───┘",
            ]
        );
    }

    #[test]
    fn too_narrow_falls_back_to_records() {
        let mut t = Table::new(vec![Alignment::None; 3]);
        t.in_head = true;
        for h in ["name", "kind", "size"] {
            t.push_cell(cell(h));
        }
        t.in_head = false;
        for v in ["a", "b", "c"] {
            t.push_cell(cell(v));
        }
        t.end_row();
        let out = t.render(9, &Theme::monochrome());
        let texts: Vec<String> = out.iter().map(|l| l.to_string()).collect();
        assert_eq!(texts, ["name: a", "kind: b", "size: c"]);
    }
}
