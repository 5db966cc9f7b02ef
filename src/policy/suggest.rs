//! The rule an "always" / "this session" answer would add.

use super::command::{self, PreparedCommand};
use super::{CallSubject, Rule, SubjectKind, path, url};

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
    if prepared.compound {
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
