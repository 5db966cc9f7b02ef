//! Recognisers for test-runner and compiler output, used by `compress`.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

/// Most failures / errors listed in a summary.
const MAX_ITEMS: usize = 30;
/// Longest message kept per failure.
const MAX_MESSAGE: usize = 240;

fn cached(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

macro_rules! regex {
    ($pattern:expr) => {{
        static CELL: OnceLock<Option<Regex>> = OnceLock::new();
        cached(&CELL, $pattern)
    }};
}

/// Which test runner the command hints at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestTool {
    Cargo,
    Pytest,
    Go,
    Any,
}

impl TestTool {
    pub(crate) fn from_command(command: &str) -> TestTool {
        let c = command.to_ascii_lowercase();
        if c.contains("cargo test") || c.contains("cargo nextest") {
            TestTool::Cargo
        } else if c.contains("pytest") {
            TestTool::Pytest
        } else if c.contains("go test") {
            TestTool::Go
        } else {
            TestTool::Any
        }
    }
}

/// Removes ANSI colour and cursor escapes.
pub(crate) fn strip_ansi(text: &str) -> String {
    match regex!(r"\x1b\[[0-9;?]*[ -/]*[@-~]") {
        Some(re) if text.contains('\x1b') => re.replace_all(text, "").into_owned(),
        _ => text.to_string(),
    }
}

fn shorten(message: &str) -> String {
    let message = message.trim();
    if message.len() <= MAX_MESSAGE {
        return message.to_string();
    }
    let mut end = MAX_MESSAGE;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end])
}

fn push_items(out: &mut String, items: &[String]) {
    for item in items.iter().take(MAX_ITEMS) {
        out.push_str(item);
        out.push('\n');
    }
    if items.len() > MAX_ITEMS {
        out.push_str(&format!("… and {} more\n", items.len() - MAX_ITEMS));
    }
}

/// A summary of a test run, if `text` looks like one.
pub(crate) fn test_summary(text: &str, hint: TestTool) -> Option<String> {
    let order: &[TestTool] = match hint {
        TestTool::Cargo => &[TestTool::Cargo],
        TestTool::Pytest => &[TestTool::Pytest],
        TestTool::Go => &[TestTool::Go],
        TestTool::Any => &[TestTool::Cargo, TestTool::Pytest, TestTool::Go],
    };
    order.iter().find_map(|tool| match tool {
        TestTool::Cargo => cargo_test(text),
        TestTool::Pytest => pytest(text),
        TestTool::Go => go_test(text),
        TestTool::Any => None,
    })
}

fn cargo_test(text: &str) -> Option<String> {
    let result = regex!(
        r"^test result: (ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored; (\d+) measured; (\d+) filtered out"
    )?;
    let failed_line = regex!(r"^test (\S+) \.\.\. FAILED")?;
    let block = regex!(r"^---- (\S+) stdout ----")?;
    let panic_new = regex!(r"^thread '([^']*)' panicked at (\S+?):?$")?;
    let panic_old = regex!(r"^thread '([^']*)' panicked at '(.*)', (\S+)$")?;

    let (mut binaries, mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64, 0u64);
    let mut failed_names: Vec<String> = Vec::new();
    let mut messages: Vec<(String, String)> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut current: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(c) = result.captures(line) {
            binaries += 1;
            passed += c[2].parse::<u64>().unwrap_or(0);
            failed += c[3].parse::<u64>().unwrap_or(0);
            ignored += c[4].parse::<u64>().unwrap_or(0);
        } else if let Some(c) = failed_line.captures(line) {
            if !failed_names.contains(&c[1].to_string()) {
                failed_names.push(c[1].to_string());
            }
        } else if let Some(c) = block.captures(line) {
            current = Some(c[1].to_string());
        } else if let Some(c) = panic_old.captures(line) {
            let name = current.clone().unwrap_or_else(|| c[1].to_string());
            messages.push((name, format!("{} ({})", shorten(&c[2]), &c[3])));
        } else if let Some(c) = panic_new.captures(line) {
            let name = current.clone().unwrap_or_else(|| c[1].to_string());
            let mut parts = Vec::new();
            let mut j = i + 1;
            while j < lines.len() && parts.len() < 3 {
                let next = lines[j].trim();
                if next.is_empty()
                    || next.starts_with("note:")
                    || next.starts_with("stack backtrace")
                {
                    break;
                }
                parts.push(next);
                j += 1;
            }
            messages.push((name, format!("{} ({})", shorten(&parts.join("; ")), &c[2])));
            i = j;
            continue;
        }
        i += 1;
    }
    if binaries == 0 {
        return None;
    }
    let status = if failed > 0 { "FAILED" } else { "ok" };
    let unit = if binaries == 1 { "binary" } else { "binaries" };
    let mut out = format!(
        "[cargo test: {status} — {passed} passed, {failed} failed, {ignored} ignored in {binaries} test {unit}]\n"
    );
    let items: Vec<String> = failed_names
        .iter()
        .map(|name| match messages.iter().find(|(n, _)| n == name) {
            Some((_, msg)) => format!("FAILED {name} — {msg}"),
            None => format!("FAILED {name}"),
        })
        .collect();
    push_items(&mut out, &items);
    Some(out)
}

fn pytest(text: &str) -> Option<String> {
    let summary = regex!(
        r"^=+ (.*\d+ (?:passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|no tests ran).* in [\d.]+s.*?) =+$"
    )?;
    let failure = regex!(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")?;
    let mut final_line = None;
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for line in text.lines() {
        if let Some(c) = summary.captures(line) {
            final_line = Some(c[1].trim().to_string());
        } else if let Some(c) = failure.captures(line)
            && seen.insert(c[2].to_string())
        {
            let msg = c
                .get(3)
                .map(|m| format!(" — {}", shorten(m.as_str())))
                .unwrap_or_default();
            items.push(format!("{} {}{msg}", &c[1], &c[2]));
        }
    }
    let final_line = final_line?;
    let mut out = format!("[pytest: {final_line}]\n");
    push_items(&mut out, &items);
    Some(out)
}

fn go_test(text: &str) -> Option<String> {
    let fail = regex!(r"^\s*--- FAIL: (\S+) \(([\d.]+)s\)")?;
    let log = regex!(r"^\s+(\S+_test\.go:\d+: .*)$")?;
    let run = regex!(r"^=== RUN\s+(\S+)")?;
    let ok_pkg = regex!(r"^ok\s+(\S+)\s+")?;
    let fail_pkg = regex!(r"^FAIL\s+(\S+)\s+(?:[\d.]+s|\[build failed\]|\[setup failed\])")?;
    let panic = regex!(r"^panic: (.*)")?;
    let lines: Vec<&str> = text.lines().collect();
    let (mut ok, mut failed_pkgs) = (0usize, Vec::new());
    let mut items = Vec::new();
    let mut last_run = 0usize;
    for (i, line) in lines.iter().enumerate() {
        if run.is_match(line) {
            last_run = i;
        } else if let Some(c) = fail.captures(line) {
            // Logs follow the FAIL line without -v and precede it with -v.
            let after = lines[i + 1..]
                .iter()
                .take_while(|l| !fail.is_match(l) && !run.is_match(l))
                .find_map(|l| log.captures(l));
            let before = || lines[last_run..i].iter().find_map(|l| log.captures(l));
            let msg = after
                .or_else(before)
                .map(|m| format!(" — {}", shorten(&m[1])))
                .unwrap_or_default();
            items.push(format!("--- FAIL: {}{msg}", &c[1]));
        } else if ok_pkg.is_match(line) {
            ok += 1;
        } else if let Some(c) = fail_pkg.captures(line) {
            failed_pkgs.push(c[1].to_string());
        } else if let Some(c) = panic.captures(line) {
            items.push(format!("panic: {}", shorten(&c[1])));
        }
    }
    if ok == 0 && failed_pkgs.is_empty() && items.is_empty() {
        return None;
    }
    let status = if failed_pkgs.is_empty() && items.is_empty() {
        "ok"
    } else {
        "FAIL"
    };
    let mut out = format!(
        "[go test: {status} — {ok} packages ok, {} failed{}]\n",
        failed_pkgs.len(),
        if failed_pkgs.is_empty() {
            String::new()
        } else {
            format!(" ({})", failed_pkgs.join(", "))
        }
    );
    push_items(&mut out, &items);
    Some(out)
}

/// `file:line: message` for each compiler error found (rustc, gcc/clang, tsc, go).
pub(crate) fn compiler_errors(text: &str) -> Option<String> {
    let rust_err = regex!(r"^error(\[E\d+\])?: (.+)$")?;
    let rust_loc = regex!(r"^\s*--> (.+?):(\d+):(\d+)$")?;
    let gcc = regex!(r"^(.+?):(\d+):(?:\d+:)? (?:fatal )?error: (.+)$")?;
    let tsc_paren = regex!(r"^(.+?)\((\d+),(\d+)\): error (TS\d+): (.+)$")?;
    let tsc_colon = regex!(r"^(.+?):(\d+):(\d+) - error (TS\d+): (.+)$")?;
    let go = regex!(r"^(\S+?\.go):(\d+):(\d+): (.+)$")?;
    let lines: Vec<&str> = text.lines().collect();
    let mut items: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut files = HashSet::new();
    let mut add = |file: &str, line: Option<&str>, message: String| {
        let item = match line {
            Some(line) => format!("{file}:{line}: {message}"),
            None => message,
        };
        if seen.insert(item.clone()) {
            if !file.is_empty() {
                files.insert(file.to_string());
            }
            items.push(item);
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if let Some(c) = rust_err.captures(line) {
            let message = c[2].trim();
            if message.starts_with("aborting due to")
                || message.starts_with("could not compile")
                || message.starts_with("test failed")
                || message.starts_with("build failed")
                || message.starts_with("failed to run custom build command")
            {
                continue;
            }
            let code = c.get(1).map(|m| m.as_str()).unwrap_or("");
            let text = format!("error{code}: {}", shorten(message));
            let location = lines[i + 1..]
                .iter()
                .take(6)
                .take_while(|l| !l.starts_with("error") && !l.starts_with("warning"))
                .find_map(|l| rust_loc.captures(l));
            match location {
                Some(loc) => add(&loc[1], Some(&loc[2]), text),
                None => add("", None, text),
            }
        } else if let Some(c) = tsc_paren
            .captures(line)
            .or_else(|| tsc_colon.captures(line))
        {
            add(&c[1], Some(&c[2]), format!("{}: {}", &c[4], shorten(&c[5])));
        } else if let Some(c) = gcc.captures(line) {
            add(&c[1], Some(&c[2]), format!("error: {}", shorten(&c[3])));
        } else if let Some(c) = go.captures(line) {
            add(&c[1], Some(&c[2]), shorten(&c[4]));
        }
    }
    if items.is_empty() {
        return None;
    }
    let n = items.len();
    let mut out = format!(
        "[compiler: {n} {} in {} {}]\n",
        if n == 1 { "error" } else { "errors" },
        files.len(),
        if files.len() == 1 { "file" } else { "files" }
    );
    push_items(&mut out, &items);
    Some(out)
}
