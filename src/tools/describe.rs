//! What the approval gate and the UI need to know about a call before it runs.

use std::io;

use serde::Deserialize;
use serde_json::Value;
use similar::TextDiff;

use crate::protocol::ApprovalPreview;
use crate::tools::common::{binary_kind, cut_at_char, fmt_size, line_count, parse_args};
use crate::tools::context::ToolContext;
use crate::tools::fetch::{FetchArgs, parse_url};
use crate::tools::paths::{self, ResolvedPath};
use crate::tools::read::{ListArgs, ReadArgs};
use crate::tools::search::{GlobArgs, GrepArgs};
use crate::tools::write::{EditArgs, WriteArgs, plan_edit, read_text_file};

/// Largest diff put in a preview.
const MAX_DIFF_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Path,
    Url,
    Other,
}

/// What a call touches, for policy rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub kind: SubjectKind,
    /// Path display (relative if inside the workspace, else absolute) or the URL.
    pub text: String,
    /// False for URLs.
    pub inside_workspace: bool,
}

/// Loose view of the arguments: only what the summary and subject need.
#[derive(Deserialize)]
struct Loose {
    path: Option<String>,
    pattern: Option<String>,
    glob: Option<String>,
    url: Option<String>,
    content: Option<String>,
    start_line: Option<u64>,
    end_line: Option<u64>,
    replace_all: Option<bool>,
}

/// The tool's root path argument (`None` for web_fetch and unknown tools).
fn path_arg<'a>(tool: &str, loose: &'a Loose) -> Option<&'a str> {
    match tool {
        "read_file" | "write_file" | "edit_file" => loose.path.as_deref(),
        "list_dir" | "glob" | "grep" => Some(loose.path.as_deref().unwrap_or(".")),
        _ => None,
    }
}

/// One line describing the call: "Read src/main.rs (lines 10–40)", "Fetch https://…".
pub fn summary(ctx: &ToolContext, tool: &str, args: &Value) -> String {
    let invalid = || format!("{tool} (invalid arguments)");
    let known = matches!(
        tool,
        "read_file" | "list_dir" | "glob" | "grep" | "write_file" | "edit_file" | "web_fetch"
    );
    if !known {
        return tool.to_string();
    }
    // Strict parse first so the summary agrees with what the tool accepts.
    if validate(tool, args).is_err() {
        return invalid();
    }
    let Ok(loose) = parse_args::<Loose>(tool, args) else {
        return invalid();
    };
    let shown = |raw: &str| match paths::resolve(ctx, raw) {
        Ok(r) => r.display,
        Err(_) => raw.to_string(),
    };
    let dir_shown = |raw: &str| match paths::resolve(ctx, raw) {
        Ok(r) if r.display == "." => "./".to_string(),
        Ok(r) if r.path.is_dir() => format!("{}/", r.display),
        Ok(r) => r.display,
        Err(_) => raw.to_string(),
    };
    let path = path_arg(tool, &loose).unwrap_or("");
    match tool {
        "read_file" => {
            let range = match (loose.start_line, loose.end_line) {
                (None, None) => String::new(),
                (Some(s), Some(e)) => format!(" (lines {s}–{e})"),
                (Some(s), None) => format!(" (from line {s})"),
                (None, Some(e)) => format!(" (lines 1–{e})"),
            };
            format!("Read {}{range}", shown(path))
        }
        "write_file" => {
            let lines = line_count(loose.content.as_deref().unwrap_or(""));
            let unit = if lines == 1 { "line" } else { "lines" };
            format!("Write {} ({lines} {unit})", shown(path))
        }
        "edit_file" => {
            let all = if loose.replace_all == Some(true) {
                " (replace all)"
            } else {
                ""
            };
            format!("Edit {}{all}", shown(path))
        }
        "list_dir" => format!("List {}", dir_shown(path)),
        "glob" => {
            let pattern = loose.pattern.as_deref().unwrap_or("");
            if path == "." {
                format!("Find {pattern}")
            } else {
                format!("Find {pattern} in {}", dir_shown(path))
            }
        }
        "grep" => {
            let pattern = loose.pattern.as_deref().unwrap_or("");
            let filter = loose
                .glob
                .as_deref()
                .map(|g| format!(" ({g})"))
                .unwrap_or_default();
            format!("Search `{pattern}` in {}{filter}", dir_shown(path))
        }
        "web_fetch" => format!("Fetch {}", loose.url.as_deref().unwrap_or("").trim()),
        _ => tool.to_string(),
    }
}

/// Checks `args` against the tool's strict argument struct.
fn validate(tool: &str, args: &Value) -> Result<(), String> {
    match tool {
        "read_file" => parse_args::<ReadArgs>(tool, args).map(drop),
        "list_dir" => parse_args::<ListArgs>(tool, args).map(drop),
        "glob" => parse_args::<GlobArgs>(tool, args).map(drop),
        "grep" => parse_args::<GrepArgs>(tool, args).map(drop),
        "write_file" => parse_args::<WriteArgs>(tool, args).map(drop),
        "edit_file" => parse_args::<EditArgs>(tool, args).map(drop),
        "web_fetch" => parse_args::<FetchArgs>(tool, args).map(drop),
        _ => Err(format!("{tool} is not a builtin file or web tool.")),
    }
}

/// What the call touches: its path (for grep/glob/list_dir the root) or its URL.
pub fn subject(ctx: &ToolContext, tool: &str, args: &Value) -> Result<Subject, String> {
    validate(tool, args)?;
    let loose: Loose = parse_args(tool, args)?;
    if tool == "web_fetch" {
        let url = parse_url(loose.url.as_deref().unwrap_or(""))?;
        return Ok(Subject {
            kind: SubjectKind::Url,
            text: url.to_string(),
            inside_workspace: false,
        });
    }
    let raw = path_arg(tool, &loose).unwrap_or(".");
    let resolved = paths::resolve(ctx, raw)?;
    Ok(Subject {
        kind: SubjectKind::Path,
        text: resolved.display,
        inside_workspace: resolved.inside_workspace,
    })
}

/// The diff a write_file / edit_file call would make; `None` for other tools.
pub async fn preview(ctx: &ToolContext, tool: &str, args: &Value) -> Option<ApprovalPreview> {
    if tool != "write_file" && tool != "edit_file" {
        return None;
    }
    let ctx = ctx.clone();
    let tool = tool.to_string();
    let args = args.clone();
    let result = tokio::task::spawn_blocking(move || build_preview(&ctx, &tool, &args)).await;
    Some(match result {
        Ok(preview) => preview,
        Err(e) => ApprovalPreview::Text {
            text: format!("No preview: {e}."),
        },
    })
}

fn build_preview(ctx: &ToolContext, tool: &str, args: &Value) -> ApprovalPreview {
    let text = |text: String| ApprovalPreview::Text { text };
    if tool == "write_file" {
        let args: WriteArgs = match parse_args(tool, args) {
            Ok(a) => a,
            Err(e) => return text(e),
        };
        let resolved = match paths::resolve(ctx, &args.path) {
            Ok(r) => r,
            Err(e) => return text(e),
        };
        let old = match std::fs::read(&resolved.path) {
            Ok(bytes) => {
                if let Some(kind) = binary_kind(&bytes[..bytes.len().min(8192)]) {
                    return text(format!(
                        "Replaces {} ({kind}, {}) with {} lines of text.",
                        resolved.display,
                        fmt_size(bytes.len() as u64),
                        line_count(&args.content)
                    ));
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return diff_preview(&resolved, None, &args.content);
            }
            Err(_) if resolved.path.is_dir() => {
                return text(format!(
                    "{} is a directory; the write will fail.",
                    resolved.display
                ));
            }
            Err(e) => return text(format!("Cannot read {}: {e}.", resolved.display)),
        };
        return diff_preview(&resolved, Some(&old), &args.content);
    }
    let args: EditArgs = match parse_args(tool, args) {
        Ok(a) => a,
        Err(e) => return text(e),
    };
    let resolved = match paths::resolve(ctx, &args.path) {
        Ok(r) => r,
        Err(e) => return text(e),
    };
    let old = match read_text_file(&resolved.path, &resolved.display) {
        Ok(s) => s,
        Err(e) => return text(format!("The edit would fail: {e}")),
    };
    match plan_edit(
        &old,
        &resolved.display,
        &args.old_text,
        &args.new_text,
        args.replace_all,
    ) {
        Ok(plan) => diff_preview(&resolved, Some(&old), &plan.new_content),
        Err(e) => text(format!("The edit would fail: {e}")),
    }
}

/// The change as a diff; `old` is `None` when the file does not exist yet. A change that
/// leaves the file as it is (or creates an empty one) says so in words: its diff would be empty.
fn diff_preview(resolved: &ResolvedPath, old: Option<&str>, new: &str) -> ApprovalPreview {
    match old {
        Some(old) if old == new => ApprovalPreview::Text {
            text: format!(
                "No change: {} already has exactly this content ({} lines); the write leaves it as it is.",
                resolved.display,
                line_count(new)
            ),
        },
        None if new.is_empty() => ApprovalPreview::Text {
            text: format!("Creates {} as an empty file.", resolved.display),
        },
        _ => ApprovalPreview::Diff {
            path: resolved.display.clone(),
            diff: unified_diff(&resolved.display, old.unwrap_or(""), new),
        },
    }
}

/// A unified diff with 3 lines of context and `a/`/`b/` headers, capped at about 1 MB.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    if text.len() <= MAX_DIFF_BYTES {
        return text;
    }
    let head = cut_at_char(&text, MAX_DIFF_BYTES);
    let head = match head.rfind('\n') {
        Some(i) => &head[..=i],
        None => head,
    };
    let omitted = text[head.len()..].lines().count();
    format!("{head}[diff truncated: {omitted} more lines]\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_headers_and_new_file() {
        let diff = unified_diff("src/a.rs", "", "one\ntwo\n");
        assert!(
            diff.starts_with("--- a/src/a.rs\n+++ b/src/a.rs\n@@ -0,0 +1,2 @@\n"),
            "{diff}"
        );
        assert!(diff.contains("+one\n+two\n"));
    }

    #[test]
    fn huge_diffs_are_capped() {
        let new: String = (0..200_000).map(|i| format!("line number {i}\n")).collect();
        let diff = unified_diff("big.txt", "", &new);
        assert!(diff.len() <= MAX_DIFF_BYTES + 100);
        assert!(
            diff.ends_with("more lines]\n"),
            "{}",
            &diff[diff.len() - 80..]
        );
    }
}
