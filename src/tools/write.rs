//! `write_file` and `edit_file`. The edit logic is shared with the approval preview so the
//! diff shown is exactly what gets written.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::tools::common::{binary_kind, blocking_at, fmt_size, io_error, line_count, parse_args};
use crate::tools::context::{ToolContext, ToolOutput};
use crate::tools::fsat::{Anchor, Kind, open_error};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriteArgs {
    pub path: String,
    pub content: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditArgs {
    pub path: String,
    pub old_text: String,
    pub new_text: String,
    #[serde(default)]
    pub replace_all: bool,
}

pub async fn write_file(ctx: &ToolContext, args: &Value) -> ToolOutput {
    let args: WriteArgs = match parse_args("write_file", args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e),
    };
    blocking_at(ctx, args.path.clone(), move |resolved, anchor| {
        let display = &resolved.display;
        let previous_lines = match anchor.open_read() {
            Ok((_, Kind::Dir)) => {
                return Err(format!("{display} is a directory; pass a file path."));
            }
            Ok((mut file, Kind::File)) => {
                let mut old = Vec::new();
                file.read_to_end(&mut old)
                    .map_err(|e| io_error("read", display, &e))?;
                Some(line_count(&String::from_utf8_lossy(&old)))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(open_error("write", display, &e)),
        };
        // Missing directories are created through the anchor, never via a link.
        let created = anchor
            .write_atomic(args.content.as_bytes())
            .map_err(|e| open_error("write", display, &e))?;
        let lines = plural(line_count(&args.content), "line");
        let bytes = plural(args.content.len(), "byte");
        Ok(match (created, previous_lines) {
            (true, _) | (false, None) => format!("Created {display} ({bytes}, {lines})."),
            (false, Some(old)) => format!(
                "Replaced {display} ({bytes}, {lines}; it had {}).",
                plural(old, "line")
            ),
        })
    })
    .await
}

fn plural(n: usize, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// The outcome of applying an edit to a file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EditPlan {
    pub new_content: String,
    pub replacements: usize,
    /// 1-based lines of the new text in the new content: (first, last) of the first and of
    /// the last replacement.
    pub first_lines: (usize, usize),
    pub last_lines: (usize, usize),
}

/// Applies `old` → `new` to `content` as `edit_file` does, or explains why it cannot.
pub(crate) fn plan_edit(
    content: &str,
    display: &str,
    old: &str,
    new: &str,
    replace_all: bool,
) -> Result<EditPlan, String> {
    if old.is_empty() {
        return Err(
            "old_text is empty; pass the exact text to replace (to write a whole file, use \
             write_file)."
                .to_string(),
        );
    }
    if old == new {
        return Err("old_text and new_text are identical; there is nothing to change.".to_string());
    }
    // Files with CRLF line endings: accept LF-only text from the model and keep CRLF.
    let (old, new) = if !content.contains(old) && content.contains("\r\n") && !old.contains('\r') {
        (old.replace('\n', "\r\n"), new.replace('\n', "\r\n"))
    } else {
        (old.to_string(), new.to_string())
    };
    let starts: Vec<usize> = content
        .match_indices(old.as_str())
        .map(|(i, _)| i)
        .collect();
    if starts.is_empty() {
        return Err(not_found(content, display, &old));
    }
    if starts.len() > 1 && !replace_all {
        let lines: Vec<String> = starts
            .iter()
            .take(20)
            .map(|&i| line_of(content, i).to_string())
            .collect();
        let more = if starts.len() > 20 { ", …" } else { "" };
        return Err(format!(
            "old_text occurs {} times in {display} (lines {}{more}). Include more surrounding \
             lines to make it unique, or set replace_all to true to change every occurrence.",
            starts.len(),
            lines.join(", ")
        ));
    }
    let used = if replace_all { starts.len() } else { 1 };
    let mut new_content = String::with_capacity(content.len() + used * new.len());
    let mut last = 0;
    let mut new_starts = Vec::with_capacity(used);
    for &start in starts.iter().take(used) {
        new_content.push_str(&content[last..start]);
        new_starts.push(new_content.len());
        new_content.push_str(&new);
        last = start + old.len();
    }
    new_content.push_str(&content[last..]);
    let span = |start: usize| {
        let first = line_of(&new_content, start);
        let extra = new.trim_end_matches('\n').matches('\n').count();
        (first, first + extra)
    };
    let first_lines = span(new_starts.first().copied().unwrap_or(0));
    let last_lines = span(new_starts.last().copied().unwrap_or(0));
    Ok(EditPlan {
        new_content,
        replacements: used,
        first_lines,
        last_lines,
    })
}

fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()[..byte.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn not_found(content: &str, display: &str, old: &str) -> String {
    let mut msg = format!(
        "old_text was not found in {display}. Read the file again and copy the text exactly, \
         including indentation."
    );
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let wanted = squash(old);
    if !wanted.is_empty() && squash(content).contains(&wanted) {
        let first = old
            .lines()
            .map(squash)
            .find(|l| !l.is_empty())
            .unwrap_or_default();
        let near = content
            .lines()
            .position(|l| !first.is_empty() && squash(l).contains(&first))
            .map(|i| format!(" (near line {})", i + 1))
            .unwrap_or_default();
        msg.push_str(&format!(
            " Hint: it does match when whitespace is ignored{near}, so check indentation, tabs \
             versus spaces and line breaks."
        ));
    }
    msg
}

fn missing_for_edit(display: &str) -> String {
    format!(
        "{display} does not exist; edit_file only changes existing files (use write_file to \
         create one)."
    )
}

/// Reads a text file for the edit preview; errors name the problem. Opens
/// without blocking and refuses FIFOs, sockets and devices.
pub(crate) fn read_text_file(path: &Path, display: &str) -> Result<String, String> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => missing_for_edit(display),
            _ => open_error("read", display, &e),
        })?;
    let meta = file.metadata().map_err(|e| io_error("read", display, &e))?;
    if meta.is_dir() {
        return Err(format!("{display} is a directory, not a file."));
    }
    if !meta.is_file() {
        return Err(format!(
            "{display} is not a regular file (a pipe, socket or device); edit_file only \
             changes regular text files."
        ));
    }
    read_text(file, display)
}

/// Reads a text file opened through the anchor, for editing.
fn read_text_anchored(anchor: &Anchor, display: &str) -> Result<String, String> {
    match anchor.open_read() {
        Ok((_, Kind::Dir)) => Err(format!("{display} is a directory, not a file.")),
        Ok((file, Kind::File)) => read_text(file, display),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(missing_for_edit(display)),
        Err(e) => Err(open_error("edit", display, &e)),
    }
}

fn read_text(mut file: File, display: &str) -> Result<String, String> {
    let meta = file.metadata().map_err(|e| io_error("read", display, &e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| io_error("read", display, &e))?;
    if let Some(kind) = binary_kind(&bytes[..bytes.len().min(8192)]) {
        return Err(format!(
            "{display} looks like a binary file ({kind}, {}); edit_file only changes text files.",
            fmt_size(meta.len())
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        format!(
            "{display} is not UTF-8 text ({}); edit_file only changes UTF-8 text files.",
            fmt_size(meta.len())
        )
    })
}

pub async fn edit_file(ctx: &ToolContext, args: &Value) -> ToolOutput {
    let args: EditArgs = match parse_args("edit_file", args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e),
    };
    blocking_at(ctx, args.path.clone(), move |resolved, anchor| {
        let display = &resolved.display;
        let content = read_text_anchored(&anchor, display)?;
        let plan = plan_edit(
            &content,
            display,
            &args.old_text,
            &args.new_text,
            args.replace_all,
        )?;
        anchor
            .write_atomic(plan.new_content.as_bytes())
            .map_err(|e| open_error("write", display, &e))?;
        Ok(edit_message(display, &plan, args.new_text.is_empty()))
    })
    .await
}

fn edit_message(display: &str, plan: &EditPlan, removal: bool) -> String {
    let range = |(a, b): (usize, usize)| {
        if a == b {
            format!("line {a}")
        } else {
            format!("lines {a}–{b}")
        }
    };
    let total = line_count(&plan.new_content);
    if plan.replacements == 1 {
        if removal {
            format!(
                "Edited {display}: removed the text at line {} (now {total} lines).",
                plan.first_lines.0
            )
        } else {
            format!(
                "Edited {display}: replaced 1 occurrence, now {} (file has {total} lines).",
                range(plan.first_lines)
            )
        }
    } else {
        format!(
            "Edited {display}: replaced {} occurrences, first at {}, last at {} (file has {total} \
             lines).",
            plan.replacements,
            range(plan.first_lines),
            range(plan.last_lines)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_edit_and_lines() {
        let text = "a\nb\nc\nd\n";
        let plan = plan_edit(text, "f", "b\nc\n", "B\nC\nX\n", false).unwrap();
        assert_eq!(plan.new_content, "a\nB\nC\nX\nd\n");
        assert_eq!(plan.first_lines, (2, 4));
        assert_eq!(
            edit_message("f", &plan, false),
            "Edited f: replaced 1 occurrence, now lines 2–4 (file has 5 lines)."
        );
    }

    #[test]
    fn not_unique_lists_lines() {
        let text = "x = 1\ny = 2\nx = 1\n";
        let err = plan_edit(text, "f", "x = 1", "x = 3", false).unwrap_err();
        assert!(
            err.contains("2 times") && err.contains("lines 1, 3"),
            "{err}"
        );
        let plan = plan_edit(text, "f", "x = 1", "x = 3", true).unwrap();
        assert_eq!(plan.new_content, "x = 3\ny = 2\nx = 3\n");
        assert_eq!((plan.replacements, plan.last_lines), (2, (3, 3)));
    }

    #[test]
    fn not_found_hints_whitespace() {
        let text = "fn main() {\n    let x = 1;\n}\n";
        let err = plan_edit(text, "f", "let  x = 1;", "let x = 2;", false).unwrap_err();
        assert!(
            err.contains("not found") && err.contains("whitespace is ignored"),
            "{err}"
        );
        assert!(err.contains("near line 2"), "{err}");
        let err = plan_edit(text, "f", "nothing", "x", false).unwrap_err();
        assert!(!err.contains("Hint"), "{err}");
        assert!(
            plan_edit(text, "f", "", "x", false)
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            plan_edit(text, "f", "x", "x", false)
                .unwrap_err()
                .contains("identical")
        );
    }

    #[test]
    fn crlf_files_accept_lf_text() {
        let text = "one\r\ntwo\r\nthree\r\n";
        let plan = plan_edit(text, "f", "one\ntwo", "uno\ndos", false).unwrap();
        assert_eq!(plan.new_content, "uno\r\ndos\r\nthree\r\n");
    }
}
