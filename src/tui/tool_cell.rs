//! Transcript cells for tool calls: one compact line (tool, summary, status, duration) and a
//! few lines of output; Ctrl+O expands every cell to its full output.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::markdown::wrap_spans;
use super::theme::Theme;
use crate::protocol::ToolStatus;
use crate::text::sanitize;

/// Output rows a collapsed cell shows.
const COLLAPSED_ROWS: usize = 3;
/// Output rows an expanded cell shows at most (the audit log and the session keep the rest).
const EXPANDED_ROWS: usize = 2000;
/// Longest output line laid out (longer lines are cut).
const MAX_LINE_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCell {
    pub call_id: String,
    pub tool: String,
    pub summary: String,
    /// `None` while the call waits for approval or runs.
    pub status: Option<ToolStatus>,
    pub decided_by: String,
    pub output: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub expanded: bool,
    /// A question about this call waits in the approval overlay.
    pub awaiting_approval: bool,
    /// The call runs now (before this it waits its turn behind earlier calls).
    pub running: bool,
}

impl ToolCell {
    pub fn started(call_id: String, tool: String, summary: String) -> ToolCell {
        ToolCell {
            call_id,
            tool,
            summary,
            status: None,
            decided_by: String::new(),
            output: String::new(),
            exit_code: None,
            duration_ms: 0,
            expanded: false,
            awaiting_approval: false,
            running: false,
        }
    }
}

fn seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

pub fn layout(cell: &ToolCell, width: u16, t: &Theme) -> Vec<Line<'static>> {
    let (mark, mark_style, state) = match cell.status {
        None if cell.awaiting_approval => ("?", t.warning, "waiting for your approval".to_string()),
        None if cell.running => ("◌", t.muted, "running".to_string()),
        None => ("◌", t.muted, "queued".to_string()),
        Some(ToolStatus::Ok) => ("✓", t.success, seconds(cell.duration_ms)),
        Some(ToolStatus::Error) => (
            "✗",
            t.error,
            match cell.exit_code {
                Some(code) => format!("exit {code} · {}", seconds(cell.duration_ms)),
                None => format!("failed · {}", seconds(cell.duration_ms)),
            },
        ),
        Some(ToolStatus::Denied) => ("⊘", t.warning, "denied".to_string()),
        Some(ToolStatus::Interrupted) => ("⏹", t.warning, "interrupted".to_string()),
        Some(ToolStatus::TimedOut) => (
            "⏱",
            t.error,
            format!("timed out · {}", seconds(cell.duration_ms)),
        ),
    };
    let mut header = vec![
        Span::styled(format!("{mark} "), mark_style),
        Span::styled(cell.tool.clone(), t.accent.add_modifier(Modifier::BOLD)),
    ];
    // A call that never ran (not offered, over the limit) has no summary of its own but its
    // name: "write_file write_file" said nothing twice.
    if !cell.summary.is_empty() && cell.summary != cell.tool {
        header.push(Span::raw(" "));
        header.push(Span::styled(sanitize(&cell.summary).into_owned(), t.text));
    }
    header.push(Span::styled(format!("  {state}"), t.muted));
    let mut lines = wrap_spans(header, width);
    if cell.status.is_none() {
        return lines;
    }
    let body_width = width.saturating_sub(4).max(1);
    let clean = sanitize(&cell.output);
    let all: Vec<&str> = clean.lines().collect();
    let shown: Vec<&str> = if cell.expanded {
        all.iter().take(EXPANDED_ROWS).copied().collect()
    } else if cell.tool == "shell" {
        // The end of a command's output says the most (test totals, the error).
        all.iter()
            .rev()
            .take(COLLAPSED_ROWS)
            .rev()
            .copied()
            .collect()
    } else {
        all.iter().take(COLLAPSED_ROWS).copied().collect()
    };
    let mut rows = Vec::new();
    for raw in &shown {
        let piece: String = raw.chars().take(MAX_LINE_CHARS).collect();
        let wrapped = wrap_spans(vec![Span::styled(piece, t.muted)], body_width);
        if cell.expanded {
            rows.extend(wrapped);
        } else {
            rows.extend(wrapped.into_iter().take(1));
        }
    }
    for row in rows {
        let mut spans = vec![Span::styled("  │ ", t.border)];
        spans.extend(row.spans);
        lines.push(Line::from(spans));
    }
    let hidden = all.len().saturating_sub(shown.len());
    if hidden > 0
        || (!cell.expanded
            && shown
                .iter()
                .any(|l| l.chars().count() > body_width as usize))
    {
        let what = if cell.expanded {
            format!("  … {hidden} more lines not shown")
        } else if cell.tool == "shell" && hidden > 0 {
            format!("  … {hidden} earlier lines · Ctrl+O shows all output")
        } else if hidden > 0 {
            format!(
                "  … {hidden} more {} · Ctrl+O shows all output",
                if hidden == 1 { "line" } else { "lines" }
            )
        } else {
            "  … Ctrl+O shows whole lines".to_string()
        };
        lines.push(Line::from(Span::styled(what, t.muted)));
    }
    if cell.expanded && !cell.decided_by.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("  decided by {}", cell.decided_by),
            t.muted,
        )));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn done(tool: &str, output: &str) -> ToolCell {
        ToolCell {
            status: Some(ToolStatus::Ok),
            output: output.into(),
            duration_ms: 1234,
            decided_by: "rule allow: shell: cargo*".into(),
            ..ToolCell::started("c".into(), tool.into(), "Run `cargo test`".into())
        }
    }

    #[test]
    fn collapsed_shows_the_tail_of_shell_output() {
        let out: String = (1..=10).map(|i| format!("line {i}\n")).collect();
        let lines = text(&layout(&done("shell", &out), 60, &Theme::dark()));
        assert_eq!(lines[0], "✓ shell Run `cargo test`  1.2s");
        assert_eq!(lines[1], "  │ line 8");
        assert_eq!(lines[3], "  │ line 10");
        assert!(lines[4].contains("7 earlier lines"));
    }

    #[test]
    fn expanded_shows_everything_and_who_decided() {
        let out: String = (1..=10).map(|i| format!("line {i}\n")).collect();
        let mut cell = done("read_file", &out);
        cell.expanded = true;
        let lines = text(&layout(&cell, 60, &Theme::dark()));
        assert_eq!(lines.len(), 1 + 10 + 1);
        assert!(lines.last().unwrap().contains("rule allow"));
    }

    #[test]
    fn a_call_that_never_ran_names_its_tool_once() {
        let mut unrun = ToolCell::started("c".into(), "write_file".into(), "write_file".into());
        unrun.status = Some(ToolStatus::Interrupted);
        unrun.output = "Not run: `write_file` was not offered for this task.".into();
        let lines = text(&layout(&unrun, 70, &Theme::dark()));
        assert_eq!(lines[0], "⏹ write_file  interrupted");
    }

    #[test]
    fn running_and_denied_headers() {
        let mut running = ToolCell::started("c".into(), "write_file".into(), "Write a.txt".into());
        assert_eq!(
            text(&layout(&running, 60, &Theme::dark())),
            vec!["◌ write_file Write a.txt  queued"]
        );
        running.running = true;
        assert_eq!(
            text(&layout(&running, 60, &Theme::dark())),
            vec!["◌ write_file Write a.txt  running"]
        );
        let mut denied = done("write_file", "The user denied this call.");
        denied.status = Some(ToolStatus::Denied);
        assert!(text(&layout(&denied, 60, &Theme::dark()))[0].ends_with("denied"));
    }
}
