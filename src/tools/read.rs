//! `read_file` and `list_dir`.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek};

use serde::Deserialize;
use serde_json::Value;

use crate::tools::common::{SNIFF_BYTES, binary_kind, blocking_at, fmt_size, io_error, parse_args};
use crate::tools::context::{ToolContext, ToolOutput};
use crate::tools::fsat::{self, Kind, open_error};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadArgs {
    path: String,
    start_line: Option<u64>,
    end_line: Option<u64>,
}

/// Files up to this size get their line count in the "too large" error.
const COUNT_LINES_UP_TO: u64 = 512 * 1024 * 1024;

pub async fn read_file(ctx: &ToolContext, args: &Value) -> ToolOutput {
    let args: ReadArgs = match parse_args("read_file", args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e),
    };
    if args.start_line == Some(0) || args.end_line == Some(0) {
        return ToolOutput::error("Line numbers start at 1; start_line and end_line must be ≥ 1.");
    }
    if let (Some(s), Some(e)) = (args.start_line, args.end_line)
        && e < s
    {
        return ToolOutput::error(format!(
            "end_line ({e}) is before start_line ({s}); pass a range with start_line ≤ end_line."
        ));
    }
    let max_bytes = ctx.limits.read_max_bytes;
    blocking_at(ctx, args.path.clone(), move |resolved, anchor| {
        let display = &resolved.display;
        let (file, kind) = anchor
            .open_read()
            .map_err(|e| open_error("read", display, &e))?;
        if kind == Kind::Dir {
            return Err(format!(
                "{display} is a directory; use list_dir to see what it contains."
            ));
        }
        read_lines(file, display, args.start_line, args.end_line, max_bytes)
    })
    .await
}

/// Reads lines of `file` (a regular file opened through the anchor).
fn read_lines(
    mut file: File,
    display: &str,
    start: Option<u64>,
    end: Option<u64>,
    max_bytes: u64,
) -> Result<String, String> {
    let meta = file.metadata().map_err(|e| io_error("read", display, &e))?;
    let size = meta.len();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| io_error("read", display, &e))?;
    if let Some(kind) = binary_kind(&head) {
        return Err(format!(
            "{display} looks like a binary file ({kind}, {}); read_file only shows text.",
            fmt_size(size)
        ));
    }
    let ranged = start.is_some() || end.is_some();
    if !ranged && size > max_bytes {
        let lines = if size <= COUNT_LINES_UP_TO {
            file.rewind().map_err(|e| io_error("read", display, &e))?;
            let mut reader = BufReader::with_capacity(64 * 1024, file);
            let total = count_lines(&mut reader).map_err(|e| io_error("read", display, &e))?;
            format!(", {total} lines")
        } else {
            String::new()
        };
        return Err(format!(
            "{display} is too large to read at once ({}{lines}; the limit is {}). Pass start_line \
             and end_line to read a part of it.",
            fmt_size(size),
            fmt_size(max_bytes)
        ));
    }

    // Chain the sniffed bytes back in front of the rest instead of reopening the file.
    let mut reader = BufReader::with_capacity(64 * 1024, head.as_slice().chain(file));
    let start = start.unwrap_or(1);
    let end = end.unwrap_or(u64::MAX);
    let mut out_lines: Vec<(u64, String)> = Vec::new();
    let mut budget = max_bytes.max(1);
    let mut line_no: u64 = 0;
    let mut stopped_early = false;
    let mut buf = Vec::new();
    let read_err = |e: std::io::Error| io_error("read", display, &e);

    // Skip the lines before the range without keeping them.
    while line_no + 1 < start {
        if reader.skip_until(b'\n').map_err(read_err)? == 0 {
            break;
        }
        line_no += 1;
    }
    while line_no < end {
        buf.clear();
        let n = (&mut reader)
            .take(budget + 1)
            .read_until(b'\n', &mut buf)
            .map_err(read_err)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let complete = buf.last() == Some(&b'\n');
        if !complete && n as u64 > budget {
            // The line does not fit in what is left of the output budget.
            stopped_early = true;
            if out_lines.is_empty() {
                // Show at least the start of a giant first line.
                buf.truncate(budget as usize);
                let text = decode(&buf, true, display, line_no, size)?;
                out_lines.push((line_no, text + " [line cut]"));
            }
            reader.skip_until(b'\n').map_err(read_err)?;
            break;
        }
        budget = budget.saturating_sub(n as u64);
        let text = decode(&buf, false, display, line_no, size)?;
        out_lines.push((line_no, text));
        if budget == 0 {
            stopped_early = line_no < end;
            break;
        }
    }
    let last_shown = out_lines.last().map(|(n, _)| *n);
    // Count the rest of the lines for the header (fast: no allocation per line).
    let total = line_no + count_lines(&mut reader).map_err(read_err)?;

    if total == 0 {
        return Ok(format!("{display} is empty (0 lines)."));
    }
    let Some(last) = last_shown else {
        return Err(format!(
            "start_line {start} is past the end of {display}, which has {total} lines."
        ));
    };
    let first = out_lines.first().map(|(n, _)| *n).unwrap_or(start);
    let width = last.to_string().len().max(4);
    let mut out = if first == 1 && last == total {
        let noun = if total == 1 { "line" } else { "lines" };
        format!("{display} — all {total} {noun}\n")
    } else {
        format!("{display} — lines {first}–{last} of {total}\n")
    };
    for (n, text) in &out_lines {
        out.push_str(&format!("{n:>width$}│ {text}\n"));
    }
    if stopped_early && last < total {
        out.push_str(&format!(
            "[output stopped at the {} limit; continue with start_line={}]\n",
            fmt_size(max_bytes),
            last + 1
        ));
    }
    Ok(out)
}

/// Decodes one line (without its line ending) as UTF-8.
fn decode(buf: &[u8], cut: bool, display: &str, line: u64, size: u64) -> Result<String, String> {
    let mut bytes = buf;
    if let Some(rest) = bytes.strip_suffix(b"\n") {
        bytes = rest.strip_suffix(b"\r").unwrap_or(rest);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) if cut && e.error_len().is_none() => {
            Ok(String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned())
        }
        Err(_) => Err(format!(
            "{display} is not UTF-8 text (invalid bytes on line {line}; {}); read_file only shows \
             UTF-8 text.",
            fmt_size(size)
        )),
    }
}

/// Counts the remaining lines (a final line without a newline counts).
fn count_lines(reader: &mut impl BufRead) -> std::io::Result<u64> {
    let mut n = 0;
    while reader.skip_until(b'\n')? > 0 {
        n += 1;
    }
    Ok(n)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListArgs {
    path: Option<String>,
}

struct Entry {
    name: String,
    is_dir: bool,
    size: Option<u64>,
    link: Option<String>,
}

pub async fn list_dir(ctx: &ToolContext, args: &Value) -> ToolOutput {
    let args: ListArgs = match parse_args("list_dir", args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e),
    };
    let raw = args.path.unwrap_or_else(|| ".".to_string());
    let cap = ctx.limits.max_results.max(1);
    blocking_at(ctx, raw, move |resolved, anchor| {
        let display = &resolved.display;
        let (dir, kind) = anchor
            .open_read()
            .map_err(|e| open_error("list", display, &e))?;
        if kind == Kind::File {
            let size = dir.metadata().map(|m| m.len()).unwrap_or(0);
            return Err(format!(
                "{display} is a file ({}), not a directory; use read_file to read it.",
                fmt_size(size)
            ));
        }
        list(&dir, display, cap)
    })
    .await
}

/// Lists the directory open as `dir` (through its descriptor, so it is the
/// directory that was checked).
fn list(dir: &File, display: &str, cap: usize) -> Result<String, String> {
    let path = fsat::fd_path(dir).map_err(|e| open_error("list", display, &e))?;
    let mut entries = Vec::new();
    for item in fs::read_dir(&path).map_err(|e| io_error("list", display, &e))? {
        let item = item.map_err(|e| io_error("list", display, &e))?;
        let name = item.file_name().to_string_lossy().into_owned();
        if name == ".git" {
            continue;
        }
        let Ok(file_type) = item.file_type() else {
            continue;
        };
        let full = item.path();
        let mut entry = Entry {
            name,
            is_dir: file_type.is_dir(),
            size: None,
            link: None,
        };
        if file_type.is_symlink() {
            let target = fs::read_link(&full)
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "?".to_string());
            match fs::metadata(&full) {
                Ok(m) => {
                    entry.is_dir = m.is_dir();
                    entry.size = (!m.is_dir()).then_some(m.len());
                    entry.link = Some(target);
                }
                Err(_) => entry.link = Some(format!("{target} (broken link)")),
            }
        } else if !entry.is_dir {
            entry.size = item.metadata().ok().map(|m| m.len());
        }
        entries.push(entry);
    }
    entries.sort_by(|a, b| {
        b.is_dir
            .cmp(&a.is_dir)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.name.cmp(&b.name))
    });
    if entries.is_empty() {
        return Ok(format!("{display} is empty."));
    }
    let dirs = entries.iter().filter(|e| e.is_dir).count();
    let files = entries.len() - dirs;
    let dir_label = if display.ends_with('/') {
        display.to_string()
    } else {
        format!("{display}/")
    };
    let mut out = format!(
        "{dir_label} — {dirs} {}, {files} {}\n",
        if dirs == 1 {
            "directory"
        } else {
            "directories"
        },
        if files == 1 { "file" } else { "files" }
    );
    for entry in entries.iter().take(cap) {
        out.push_str("  ");
        out.push_str(&entry.name);
        if entry.is_dir {
            out.push('/');
        }
        if let Some(target) = &entry.link {
            out.push_str(" → ");
            out.push_str(target);
        }
        if let Some(size) = entry.size {
            out.push_str(&format!("  ({})", fmt_size(size)));
        }
        out.push('\n');
    }
    if entries.len() > cap {
        out.push_str(&format!("  … {} more\n", entries.len() - cap));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn read_lines(
        path: &Path,
        display: &str,
        start: Option<u64>,
        end: Option<u64>,
        max_bytes: u64,
    ) -> Result<String, String> {
        super::read_lines(File::open(path).unwrap(), display, start, end, max_bytes)
    }

    #[test]
    fn ranges_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        fs::write(&path, "one\ntwo\r\nthree\nfour").unwrap();
        let all = read_lines(&path, "f.txt", None, None, 1000).unwrap();
        assert!(all.starts_with("f.txt — all 4 lines\n"), "{all}");
        assert!(all.contains("   2│ two\n"));
        let part = read_lines(&path, "f.txt", Some(2), Some(3), 1000).unwrap();
        assert_eq!(part, "f.txt — lines 2–3 of 4\n   2│ two\n   3│ three\n");
        let tail = read_lines(&path, "f.txt", Some(4), Some(99), 1000).unwrap();
        assert!(tail.contains("lines 4–4 of 4") && tail.contains("four"));
        let past = read_lines(&path, "f.txt", Some(9), None, 1000).unwrap_err();
        assert!(
            past.contains("past the end") && past.contains("4 lines"),
            "{past}"
        );
    }

    #[test]
    fn output_budget_stops_early() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        let text: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        fs::write(&path, text).unwrap();
        let out = read_lines(&path, "f.txt", Some(1), Some(100), 40).unwrap();
        assert!(out.contains("of 100"), "{out}");
        assert!(out.contains("continue with start_line="), "{out}");
        let giant = dir.path().join("g.txt");
        fs::write(&giant, "x".repeat(5000) + "\nsecond\n").unwrap();
        let out = read_lines(&giant, "g.txt", Some(1), Some(2), 100).unwrap();
        assert!(out.contains("[line cut]") && out.contains("of 2"), "{out}");
    }

    #[test]
    fn empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.txt");
        fs::write(&path, "").unwrap();
        assert_eq!(
            read_lines(&path, "e.txt", None, None, 10).unwrap(),
            "e.txt is empty (0 lines)."
        );
    }
}
