//! `glob` and `grep`: walks that honour .gitignore.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use globset::{Glob, GlobBuilder, GlobMatcher};
use ignore::WalkBuilder;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::Value;

use crate::tools::common::{
    SNIFF_BYTES, binary_kind, blocking_at, cut_at_char, fmt_size, parse_args,
};
use crate::tools::context::{ToolContext, ToolOutput};
use crate::tools::fsat::{self, Anchor, Kind, open_error};

/// Longest line shown by `grep`, in bytes.
const MAX_LINE_BYTES: usize = 300;
/// Files larger than this are not searched by `grep`.
const GREP_MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// `glob` stops collecting (but keeps counting) after this many matches.
const GLOB_COLLECT_MAX: usize = 200_000;

fn walker(root: &Path, hidden: bool) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(!hidden)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| entry.file_name() != ".git");
    builder
}

/// The path shown for `rel` found under a root displayed as `root_display`.
fn shown(root_display: &str, rel: &str) -> String {
    match root_display {
        "." => rel.to_string(),
        _ if root_display.ends_with('/') => format!("{root_display}{rel}"),
        _ => format!("{root_display}/{rel}"),
    }
}

fn rel_string(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.to_string_lossy().replace('\\', "/")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GlobArgs {
    pattern: String,
    path: Option<String>,
}

pub async fn glob(ctx: &ToolContext, args: &Value) -> ToolOutput {
    let args: GlobArgs = match parse_args("glob", args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e),
    };
    let pattern = args.pattern.trim().trim_start_matches("./").to_string();
    if pattern.is_empty() {
        return ToolOutput::error("The glob pattern is empty; pass one like `**/*.rs`.");
    }
    let matcher = match GlobBuilder::new(&pattern).literal_separator(true).build() {
        Ok(g) => g.compile_matcher(),
        Err(e) => return ToolOutput::error(format!("Invalid glob pattern `{pattern}`: {e}.")),
    };
    let cap = ctx.limits.max_results.max(1);
    let root = args.path.unwrap_or_else(|| ".".to_string());
    blocking_at(ctx, root, move |resolved, anchor| {
        let display = &resolved.display;
        let (dir, kind) = anchor
            .open_read()
            .map_err(|e| open_error("search", display, &e))?;
        if kind != Kind::Dir {
            return Err(format!(
                "{display} is not a directory; glob searches under a directory."
            ));
        }
        let root = fsat::fd_path(&dir).map_err(|e| open_error("search", display, &e))?;
        run_glob(&root, display, &pattern, &matcher, cap)
    })
    .await
}

/// Walks `root` (the checked directory, named through its open descriptor).
fn run_glob(
    root: &Path,
    display: &str,
    pattern: &str,
    matcher: &GlobMatcher,
    cap: usize,
) -> Result<String, String> {
    // Hidden files are skipped unless the pattern names a dot-path itself.
    let wants_hidden = pattern.starts_with('.') || pattern.contains("/.");
    let mut found = Vec::new();
    let mut total = 0usize;
    for entry in walker(root, wants_hidden).build() {
        let Ok(entry) = entry else { continue };
        if entry.depth() == 0 {
            continue;
        }
        let rel = rel_string(entry.path(), root);
        if !matcher.is_match(&rel) {
            continue;
        }
        total += 1;
        if found.len() < GLOB_COLLECT_MAX {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            found.push(if is_dir { format!("{rel}/") } else { rel });
        }
    }
    let where_ = if display == "." {
        String::new()
    } else {
        format!(" in {display}")
    };
    if total == 0 {
        let hint = if pattern.contains('/') {
            ""
        } else {
            " (patterns match from the search root; use `**/` to look in subdirectories)"
        };
        return Ok(format!("No files match `{pattern}`{where_}{hint}."));
    }
    found.sort();
    let mut out = format!(
        "{total} {} for `{pattern}`{where_}\n",
        if total == 1 { "match" } else { "matches" }
    );
    for rel in found.iter().take(cap) {
        out.push_str(&shown(display, rel));
        out.push('\n');
    }
    if total > cap {
        out.push_str(&format!("… {} more\n", total - cap));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrepArgs {
    pattern: String,
    path: Option<String>,
    glob: Option<String>,
    case_insensitive: Option<bool>,
    max_results: Option<usize>,
}

struct GrepJob {
    regex: Regex,
    file_glob: Option<(GlobMatcher, bool)>,
    cap: usize,
}

pub async fn grep(ctx: &ToolContext, args: &Value) -> ToolOutput {
    let args: GrepArgs = match parse_args("grep", args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e),
    };
    if args.pattern.is_empty() {
        return ToolOutput::error("The search pattern is empty; pass a regular expression.");
    }
    let regex = match RegexBuilder::new(&args.pattern)
        .case_insensitive(args.case_insensitive.unwrap_or(false))
        .size_limit(50 * 1024 * 1024)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return ToolOutput::error(format!(
                "Invalid regular expression `{}`:\n{e}",
                args.pattern
            ));
        }
    };
    let file_glob = match args
        .glob
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        None => None,
        Some(g) => match Glob::new(g) {
            // Without a `/` the glob matches file names (like ripgrep's --glob).
            Ok(glob) => Some((glob.compile_matcher(), g.contains('/'))),
            Err(e) => return ToolOutput::error(format!("Invalid glob `{g}`: {e}.")),
        },
    };
    if args.max_results == Some(0) {
        return ToolOutput::error("max_results must be at least 1.");
    }
    let cap = args
        .max_results
        .unwrap_or(ctx.limits.max_results)
        .min(ctx.limits.max_results)
        .max(1);
    let job = GrepJob {
        regex,
        file_glob,
        cap,
    };
    let pattern = args.pattern;
    let root = args.path.unwrap_or_else(|| ".".to_string());
    blocking_at(ctx, root, move |resolved, anchor| {
        run_grep(&anchor, &resolved.display, &pattern, &job)
    })
    .await
}

/// Searches the checked path: one file, or every file of a walk, each opened
/// through the anchor (never through a link that appeared during the walk;
/// FIFOs, sockets and devices are skipped).
fn run_grep(
    anchor: &Anchor,
    display: &str,
    pattern: &str,
    job: &GrepJob,
) -> Result<String, String> {
    let (root_file, kind) = anchor
        .open_read()
        .map_err(|e| open_error("search", display, &e))?;
    let single_file = kind == Kind::File;
    let root = fsat::fd_path(&root_file).map_err(|e| open_error("search", display, &e))?;
    let mut lines = Vec::new();
    let mut total = 0usize;
    let mut files_matched = 0usize;
    let mut files_searched = 0usize;
    let mut skipped_large = 0usize;

    let mut search_file = |file: File, shown_path: &str| {
        let Ok(meta) = file.metadata() else { return };
        if meta.len() > GREP_MAX_FILE_BYTES {
            skipped_large += 1;
            return;
        }
        let Some(text) = read_text(file) else { return };
        files_searched += 1;
        let mut matched = false;
        for (i, line) in text.lines().enumerate() {
            let Some(m) = job.regex.find(line) else {
                continue;
            };
            matched = true;
            total += 1;
            if lines.len() < job.cap {
                lines.push(format!(
                    "{shown_path}:{}: {}",
                    i + 1,
                    trim_line(line, m.start())
                ));
            }
        }
        files_matched += usize::from(matched);
    };

    if single_file {
        search_file(root_file, display);
    } else {
        for entry in walker(&root, false).build() {
            let Ok(entry) = entry else { continue };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let rel = rel_string(entry.path(), &root);
            if let Some((matcher, full_path)) = &job.file_glob {
                let subject = if *full_path {
                    rel.as_str()
                } else {
                    rel.rsplit('/').next().unwrap_or(&rel)
                };
                if !matcher.is_match(subject) {
                    continue;
                }
            }
            let below = entry.path().strip_prefix(&root).unwrap_or(entry.path());
            let Ok((file, Kind::File)) = anchor.open_read_below(below) else {
                continue;
            };
            search_file(file, &shown(display, &rel));
        }
    }

    let large_note = if skipped_large > 0 {
        format!(
            " ({skipped_large} files over {} skipped)",
            fmt_size(GREP_MAX_FILE_BYTES)
        )
    } else {
        String::new()
    };
    if total == 0 {
        let what = if files_searched == 1 { "file" } else { "files" };
        return Ok(format!(
            "No matches for `{pattern}` in {display} ({files_searched} {what} searched){large_note}."
        ));
    }
    let mut out = format!(
        "{total} {} in {files_matched} {} for `{pattern}`{large_note}\n",
        if total == 1 { "match" } else { "matches" },
        if files_matched == 1 { "file" } else { "files" }
    );
    for line in &lines {
        out.push_str(line);
        out.push('\n');
    }
    if total > lines.len() {
        out.push_str(&format!(
            "… {} more matches (narrow the pattern, path or glob)\n",
            total - lines.len()
        ));
    }
    Ok(out)
}

/// Reads a file as text; `None` for binary files and files that cannot be read.
fn read_text(mut file: File) -> Option<String> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if head.contains(&0) || binary_kind(head).is_some_and(|k| k != "non-UTF-8 data") {
        return None;
    }
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => Some(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Trims a long line to about `MAX_LINE_BYTES`, keeping the match visible.
fn trim_line(line: &str, match_start: usize) -> String {
    let line = line.trim_end();
    if line.len() <= MAX_LINE_BYTES {
        return line.to_string();
    }
    let mut start = match_start.saturating_sub(MAX_LINE_BYTES / 3);
    while start > 0 && !line.is_char_boundary(start) {
        start -= 1;
    }
    let body = cut_at_char(&line[start..], MAX_LINE_BYTES);
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if start + body.len() < line.len() {
        "…"
    } else {
        ""
    };
    format!("{prefix}{body}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_keep_the_match() {
        let line = format!("{}NEEDLE{}", "a".repeat(1000), "b".repeat(1000));
        let trimmed = trim_line(&line, 1000);
        assert!(trimmed.contains("NEEDLE"));
        assert!(trimmed.starts_with('…') && trimmed.ends_with('…'));
        assert!(trimmed.len() <= MAX_LINE_BYTES + 8);
        let short = trim_line("  short line  ", 2);
        assert_eq!(short, "  short line");
        let unicode = "é".repeat(400);
        assert!(trim_line(&unicode, 0).ends_with('…'));
    }

    #[test]
    fn shown_paths() {
        assert_eq!(shown(".", "a/b.rs"), "a/b.rs");
        assert_eq!(shown("src", "b.rs"), "src/b.rs");
        assert_eq!(shown("/abs/", "b.rs"), "/abs/b.rs");
    }
}
