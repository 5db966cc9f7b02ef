//! The rule an "always" / "this session" answer would add.

use super::command::{self, PreparedCommand};
use super::{CallSubject, Rule, SubjectKind, check_known_tool, path, url};

/// Checks a rule the user is about to save for the call being approved: it must parse, name a
/// tool that exists, and cover that call (a rule that would not apply to it would run this
/// call once and ask again next time). The message says what to change.
pub fn rule_covers(rule_text: &str, subject: &CallSubject) -> Result<Rule, String> {
    let rule = Rule::parse(rule_text).map_err(|e| e.to_string())?;
    check_known_tool(&rule).map_err(|e| e.to_string())?;
    if rule.matches_allow(subject) {
        return Ok(rule);
    }
    Err(format!(
        "rule `{}` does not cover this call ({}: {}); widen it, e.g. `{}`",
        rule.text(),
        subject.tool,
        subject.text,
        suggest_rule(subject)
    ))
}

/// The rule an "always"/"this session" answer would add, for the user to edit.
///
/// - shell: the program, plus its subcommand when the second word looks like one, then `*`
///   (`cargo test --release` → `shell: cargo test*`, `ls -la` → `shell: ls*`,
///   `./run.sh x` → `shell: ./run.sh*`); a compound command → the exact command.
/// - path: the parent directory + `/**` (`src/a/b.rs` → `write_file: src/a/**`); a top-level
///   entry or an absolute path → itself.
/// - url: `web_fetch: domain:HOST`.
/// - anything else: the tool name.
pub fn suggest_rule(s: &CallSubject) -> String {
    let tool = &s.tool;
    match s.kind {
        SubjectKind::Command => format!("{tool}: {}", suggest_command(&s.text)),
        SubjectKind::Path => format!("{tool}: {}", suggest_path(&s.text)),
        SubjectKind::Url => suggest_url(tool, &s.text),
        SubjectKind::Other => tool.clone(),
    }
}

fn suggest_command(text: &str) -> String {
    let prepared = PreparedCommand::new(text);
    let normalized = command::normalize(text);
    if prepared.compound || prepared.analysis.uncertain.is_some() {
        return command::escape(&normalized);
    }
    let mut words = normalized.split(' ');
    let program = words.next().unwrap_or_default();
    let mut out = command::escape(program);
    if let Some(sub) = words.next()
        && !program.contains('/')
        && looks_like_subcommand(sub)
    {
        out.push(' ');
        out.push_str(&command::escape(sub));
    }
    out.push('*');
    out
}

fn looks_like_subcommand(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

fn suggest_path(text: &str) -> String {
    let normalized = path::normalize(text);
    if normalized.starts_with('/') {
        return globset::escape(&normalized);
    }
    match normalized.rsplit_once('/') {
        Some((parent, _)) => format!("{}/**", globset::escape(parent)),
        None => globset::escape(&normalized),
    }
}

fn suggest_url(tool: &str, text: &str) -> String {
    let Some(parsed) = url::parse(text) else {
        return format!("{tool}: {}", globset::escape(text));
    };
    let domain = format!("{tool}: domain:{}", parsed.host);
    if Rule::parse(&domain).is_ok() {
        domain
    } else {
        format!("{tool}: {}", globset::escape(&parsed.canonical))
    }
}
