//! Tool output for the model: capped, with a short typed summary of outputs pincer
//! recognises (test runs, compiler errors, long listings). The UI keeps the full text.

use std::collections::HashMap;

use crate::tools::common::cut_at_char;
use crate::tools::compress_parse::{self, TestTool};

/// Bytes reserved for the omission marker.
const MARKER_RESERVE: usize = 80;

/// What kind of output this is; decides how head and tail share the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Summaries come last: keep more of the tail.
    Tests,
    Compiler,
    /// The first entries matter most.
    Listing,
    Unknown,
}

impl Shape {
    /// Percentage of the body budget given to the head.
    fn head_percent(self) -> usize {
        match self {
            Shape::Tests => 30,
            Shape::Compiler => 50,
            Shape::Listing => 85,
            Shape::Unknown => 50,
        }
    }
}

/// Caps `output` at `max_bytes` for the model. Output that fits is returned unchanged;
/// otherwise a summary header (when the output is recognised) and the head and tail of
/// the output with a `[… N lines (M bytes) omitted …]` marker between them.
pub fn for_model(tool: &str, command: Option<&str>, output: &str, max_bytes: usize) -> String {
    if output.len() <= max_bytes {
        return output.to_string();
    }
    let (header, shape) = summarize(tool, command, output);
    let mut header = header.unwrap_or_default();
    if !header.is_empty() {
        // The header never takes more than half of the budget.
        header = cut_lines(&header, max_bytes / 2);
        if !header.ends_with('\n') {
            header.push('\n');
        }
    }
    let body_budget = max_bytes.saturating_sub(header.len());
    let body = head_tail(output, body_budget, shape.head_percent());
    let mut out = header + &body;
    if out.len() > max_bytes {
        out = cut_at_char(&out, max_bytes).to_string();
    }
    out
}

/// Works out a summary header and the shape of `output`.
fn summarize(tool: &str, command: Option<&str>, output: &str) -> (Option<String>, Shape) {
    if tool == "list_dir" || tool == "glob" {
        return (listing_summary(tool, output), Shape::Listing);
    }
    let clean = compress_parse::strip_ansi(output);
    let hint = command.map(TestTool::from_command).unwrap_or(TestTool::Any);
    let tests = compress_parse::test_summary(&clean, hint);
    let errors = compress_parse::compiler_errors(&clean);
    match (tests, errors) {
        (Some(t), Some(e)) => (Some(format!("{t}{e}")), Shape::Tests),
        (Some(t), None) => (Some(t), Shape::Tests),
        (None, Some(e)) => (Some(e), Shape::Compiler),
        (None, None) => (None, Shape::Unknown),
    }
}

/// Counts the entries of a list_dir or glob output by extension.
fn listing_summary(tool: &str, output: &str) -> Option<String> {
    let mut lines = output.lines();
    lines.next()?; // the header line
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut dirs = 0usize;
    let mut entries = 0usize;
    let mut not_listed = 0usize;
    for line in lines {
        let entry = line.trim_start();
        if let Some(rest) = entry.strip_prefix("… ") {
            not_listed += rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            continue;
        }
        if entry.is_empty() {
            continue;
        }
        entries += 1;
        // list_dir lines: "name/", "name  (1.2 KB)", "name → target".
        let name = entry.split(" → ").next().unwrap_or(entry);
        let name = name.split("  (").next().unwrap_or(name);
        if name.ends_with('/') {
            dirs += 1;
            continue;
        }
        let file = name.rsplit('/').next().unwrap_or(name);
        let ext = match file.rfind('.') {
            Some(i) if i > 0 => file[i..].to_string(),
            _ => "(no extension)".to_string(),
        };
        *counts.entry(ext).or_default() += 1;
    }
    if entries == 0 {
        return None;
    }
    let mut by_ext: Vec<(String, usize)> = counts.into_iter().collect();
    by_ext.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut parts = Vec::new();
    if dirs > 0 {
        parts.push(format!("{dirs} dirs"));
    }
    for (ext, n) in by_ext.iter().take(12) {
        parts.push(format!("{n} {ext}"));
    }
    if by_ext.len() > 12 {
        let rest: usize = by_ext.iter().skip(12).map(|(_, n)| n).sum();
        parts.push(format!("{rest} other"));
    }
    let more = if not_listed > 0 {
        format!(" (+{not_listed} more not listed)")
    } else {
        String::new()
    };
    Some(format!(
        "[{tool}: {entries} entries{more} — {}]",
        parts.join(", ")
    ))
}

/// Cuts `text` to at most `max` bytes, preferring the end of a line.
fn cut_lines(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let cut = cut_at_char(text, max);
    match cut.rfind('\n') {
        Some(i) if i > 0 => cut[..=i].to_string(),
        _ => cut.to_string(),
    }
}

/// Keeps the head and tail of `text` within `budget` bytes, marking what was left out.
fn head_tail(text: &str, budget: usize, head_percent: usize) -> String {
    if text.len() <= budget {
        return text.to_string();
    }
    if budget <= MARKER_RESERVE {
        let marker = marker(text.lines().count(), text.len());
        return cut_at_char(&marker, budget).to_string();
    }
    let avail = budget - MARKER_RESERVE;
    let head_budget = avail * head_percent / 100;
    let tail_budget = avail - head_budget;

    // Head: end at a line break when that keeps at least half of the head budget.
    let mut head_end = cut_at_char(text, head_budget).len();
    if let Some(i) = text[..head_end].rfind('\n')
        && i + 1 >= head_budget / 2
    {
        head_end = i + 1;
    }
    // Tail: start at a line start when that keeps at least half of the tail budget.
    let mut tail_start = text.len().saturating_sub(tail_budget).max(head_end);
    while tail_start < text.len() && !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    if tail_start > 0
        && text.as_bytes().get(tail_start - 1) != Some(&b'\n')
        && let Some(i) = text[tail_start..].find('\n')
        && text.len() - (tail_start + i + 1) >= tail_budget / 2
    {
        tail_start += i + 1;
    }
    let omitted = &text[head_end..tail_start];
    let mut out = String::with_capacity(budget);
    out.push_str(&text[..head_end]);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&marker(omitted.lines().count(), omitted.len()));
    out.push('\n');
    out.push_str(&text[tail_start..]);
    out
}

fn marker(lines: usize, bytes: usize) -> String {
    let unit = if lines == 1 { "line" } else { "lines" };
    format!("[… {lines} {unit} ({bytes} bytes) omitted …]")
}

#[cfg(test)]
#[path = "compress_tests.rs"]
mod tests;
