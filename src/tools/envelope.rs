//! The one place tool output becomes the model's tool-result text: secrets redacted, compressed,
//! neutralised (terminal controls stripped, block delimiters escaped, instruction-like lines
//! defanged by a pattern table) and wrapped in a labelled block the system prompt declares to
//! be data without authority:
//!
//! `<untrusted source="web_fetch" url="https://…" trust="untrusted">` … `</untrusted>`

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::{Regex, RegexSet};

use crate::policy::SubjectKind;
use crate::redact::redact_cow;
use crate::text::strip_ansi;
use crate::tools::compress;
use crate::tools::registry::Prepared;

/// How far content in a block may be trusted; the label the model sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Files inside the workspace, commands run in it.
    Workspace,
    /// The web, files outside the workspace, installed (restricted) skills.
    Untrusted,
    /// Bundled and the user's own skills.
    Trusted,
}

impl Trust {
    pub fn as_str(self) -> &'static str {
        match self {
            Trust::Workspace => "workspace",
            Trust::Untrusted => "untrusted",
            Trust::Trusted => "trusted",
        }
    }
}

/// The block's tag name; its closing form inside content is escaped.
const TAG: &str = "untrusted";
/// Longest label value (a path, a URL, a command) kept in the opening tag.
const MAX_LABEL: usize = 200;
/// Marks a defanged line: the model reads it as quoted data.
const DEFANG: &str = "[data] ";

/// Whether this call's output is wrapped, and how it is trusted. Tools that only report what
/// pincer did (write_file, edit_file) return pincer's own words and are not wrapped.
pub fn trust_of(p: &Prepared) -> Option<Trust> {
    match p.name.as_str() {
        "web_fetch" => Some(Trust::Untrusted),
        // A command can print anything (curl, cat of a downloaded file).
        "shell" => Some(Trust::Untrusted),
        // What an MCP server returns is its own (or its sources') text.
        n if n.starts_with(crate::mcp::names::PREFIX) => Some(Trust::Untrusted),
        "read_file" | "list_dir" | "glob" | "grep" => Some(if p.inside_workspace {
            Trust::Workspace
        } else {
            Trust::Untrusted
        }),
        _ => None,
    }
}

/// The tool-result text the model gets for `output` of call `p`, at most about `max_bytes`.
/// `output` is the full output already passed through [`crate::redact::redact`] (the tool call
/// does that once for the model, the store and the front end, before anything is cut); the
/// compressed body is scanned again, which costs little.
pub fn model_content(p: &Prepared, output: &str, max_bytes: usize) -> String {
    let Some(trust) = trust_of(p) else {
        let body = compress::for_model(&p.name, p.command.as_deref(), output, max_bytes);
        return redact_cow(&body).into_owned();
    };
    let label_key = match p.subject.kind {
        SubjectKind::Path => "path",
        SubjectKind::Url => "url",
        SubjectKind::Command => "command",
        _ => "subject",
    };
    let open = open_tag(&p.name, Some((label_key, &p.subject.text)), trust);
    let budget = max_bytes.saturating_sub(open.len() + TAG.len() + 8);
    let body = compress::for_model(&p.name, p.command.as_deref(), output, budget);
    wrap_with(&open, &neutralise(&redact_cow(&body), trust))
}

/// Skill text for `activate_skill`: trusted skills keep their instructions; restricted ones
/// are neutralised like any untrusted content.
pub fn skill_block(name: &str, trust: Trust, text: &str) -> String {
    let open = open_tag("activate_skill", Some(("skill", name)), trust);
    wrap_with(&open, &neutralise(&redact_cow(text), trust))
}

fn wrap_with(open: &str, body: &str) -> String {
    let mut out = String::with_capacity(open.len() + body.len() + 16);
    out.push_str(open);
    out.push('\n');
    out.push_str(body.trim_end_matches('\n'));
    out.push_str("\n</");
    out.push_str(TAG);
    out.push_str(">\n");
    out
}

fn open_tag(source: &str, label: Option<(&str, &str)>, trust: Trust) -> String {
    let mut tag = format!("<{TAG} source=\"{}\"", attr(source));
    if let Some((key, value)) = label {
        tag.push_str(&format!(" {key}=\"{}\"", attr(value)));
    }
    tag.push_str(&format!(" trust=\"{}\">", trust.as_str()));
    tag
}

/// An attribute value: one line, no quotes or angle brackets, no secrets, bounded.
fn attr(value: &str) -> String {
    let clean = redact_cow(value);
    let mut out: String = strip_ansi(&clean)
        .chars()
        .map(|c| match c {
            '"' => '\'',
            '<' => '‹',
            '>' => '›',
            '\n' | '\t' => ' ',
            c => c,
        })
        .collect();
    if out.len() > MAX_LABEL {
        let mut cut = MAX_LABEL;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Lines that read like instructions to a model, role markers and chat-template tokens.
const LINE_PATTERNS: &[&str] = &[
    // role markers: "system:", "### Assistant:", "> user:"
    r"(?im)^[\s>#*\-_`|]*(?:system|assistant|user|developer|human|ai|tool|function)\s*(?:message|prompt)?\s*:",
    // "ignore / disregard / forget (all) previous instructions"
    r"(?i)\b(?:ignore|disregard|forget|override|overrule|bypass)\b.{0,40}\b(?:previous|prior|above|earlier|preceding|all|any|your|the system|safety)\b.{0,30}\b(?:instructions?|prompts?|rules|messages|context|guidelines|directions)\b",
    // "### Instruction", "# New instructions", "## System prompt"
    r"(?im)^[\s>]*#{1,6}\s*(?:new\s+|updated\s+|important\s+)?(?:instructions?|system(?:\s+prompt)?|prompt|response|task)\b",
    r"(?i)\b(?:new|updated|real|actual|hidden)\s+(?:instructions?|system\s+prompt|task)\s*:",
    r"(?i)\byou\s+(?:are\s+now|must\s+now|will\s+now|should\s+now)\b",
    r"(?im)^\s*(?:begin|end|start)\s+(?:system|instructions?|prompt)\b",
    r"(?i)\bas\s+an?\s+(?:ai|assistant|language\s+model)\b.{0,20}\b(?:must|should|will)\b",
];

/// Chat-template tokens and role tags anywhere in a line; their brackets are replaced.
fn token_re() -> Option<&'static Regex> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)<\|[^|>\n]{0,40}\|>|<\s*/?\s*(?:untrusted|system|instructions?|assistant|user|human|developer|tool_call|tool_result|function_call|im_start|im_end|s|inst|sys)\b[^>\n]{0,200}>|\[/?(?:INST|SYS)\]|<</?SYS>>",
        )
        .ok()
    })
    .as_ref()
}

fn line_set() -> Option<&'static RegexSet> {
    static SET: OnceLock<Option<RegexSet>> = OnceLock::new();
    SET.get_or_init(|| RegexSet::new(LINE_PATTERNS).ok())
        .as_ref()
}

/// Content made inert: terminal controls stripped, anything that could close or open a block
/// or a chat turn escaped, instruction-like lines marked as data (not for trusted skills).
pub fn neutralise(text: &str, trust: Trust) -> String {
    let plain = strip_ansi(text);
    let escaped: Cow<'_, str> = match token_re() {
        Some(re) => re.replace_all(&plain, |c: &regex::Captures| {
            c.get(0)
                .map(|m| {
                    m.as_str()
                        .replace('<', "‹")
                        .replace('>', "›")
                        .replace('[', "⟦")
                        .replace(']', "⟧")
                })
                .unwrap_or_default()
        }),
        None => Cow::Borrowed(&plain),
    };
    if trust == Trust::Trusted {
        return escaped.into_owned();
    }
    let Some(set) = line_set() else {
        return escaped.into_owned();
    };
    if !set.is_match(&escaped) {
        return escaped.into_owned();
    }
    let mut out = String::with_capacity(escaped.len() + 64);
    for line in escaped.split_inclusive('\n') {
        if set.is_match(line) {
            out.push_str(DEFANG);
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
