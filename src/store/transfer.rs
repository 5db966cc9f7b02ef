//! Export a session as Markdown (to read) or JSONL (to import elsewhere), and import JSONL.
//!
//! JSONL: the first line is a header object (`"pincer_session": 1`, id, title, cwd,
//! provider, model, created_ms, updated_ms, parent_id, archived), then one object per item
//! (kind, content, interrupted, input_tokens, output_tokens, created_ms). Tool rows keep their
//! JSON content as a string. An item still being streamed is exported as what has arrived,
//! interrupted.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::items::parts_text;
use super::sessions::{recount, summary};
use super::{ItemKind, Store, StoreError, new_session_id};
use crate::protocol::SessionSummary;

/// The JSONL format version this build writes and reads.
const FORMAT_VERSION: i64 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    pincer_session: i64,
    id: String,
    title: String,
    cwd: String,
    provider: String,
    model: String,
    created_ms: i64,
    updated_ms: i64,
    parent_id: Option<String>,
    archived: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Line {
    kind: String,
    content: String,
    interrupted: bool,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    created_ms: i64,
    /// How the item is shown when that differs from its content (`Shown`, JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display: Option<String>,
}

/// A session and its items (of known kinds), read in one transaction.
fn read_session(conn: &Connection, id: &str) -> Result<(SessionSummary, Vec<Line>), StoreError> {
    let tx = conn.unchecked_transaction()?;
    let session = summary(&tx, id)?.ok_or_else(|| StoreError::NoSuchSession(id.to_string()))?;
    let mut lines = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT id, kind, content, interrupted, input_tokens, output_tokens, created_at, complete,
                    display
             FROM items WHERE session_id = ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query(params![id])?;
        while let Some(r) = rows.next()? {
            let kind: String = r.get(1)?;
            if ItemKind::parse(&kind).is_none() {
                continue;
            }
            let mut line = Line {
                kind,
                content: r.get(2)?,
                interrupted: r.get(3)?,
                input_tokens: r.get(4)?,
                output_tokens: r.get(5)?,
                created_ms: r.get(6)?,
                display: r.get(8)?,
            };
            if !r.get::<_, bool>(7)? {
                line.content.push_str(&parts_text(&tx, r.get(0)?)?);
                line.interrupted = true;
            }
            lines.push(line);
        }
    }
    tx.commit()?;
    Ok((session, lines))
}

/// `YYYY-MM-DD HH:MM UTC` for milliseconds since 1970.
fn utc(ms: i64) -> String {
    format!("{} UTC", crate::time::utc_minutes(ms))
}

fn text_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// One compact line for a tool call and (when stored) its result.
fn tool_line(call: &Value, result: Option<&Value>) -> String {
    let name = match text_field(call, "name") {
        "" => result.map_or("", |r| text_field(r, "tool")),
        name => name,
    };
    let name = if name.is_empty() { "tool" } else { name };
    let summary = match result.map(|r| text_field(r, "summary")) {
        Some(s) if !s.is_empty() => s,
        _ => text_field(call, "summary"),
    };
    let status = match result {
        None => "no result (pincer stopped before it finished)".to_string(),
        Some(r) => {
            let mut status = match text_field(r, "status") {
                "" => "status unknown".to_string(),
                status => status.replace('_', " "),
            };
            if let Some(code) = r.get("exit_code").and_then(Value::as_i64)
                && code != 0
            {
                status.push_str(&format!(", exit {code}"));
            }
            status
        }
    };
    let summary = summary.lines().next().unwrap_or("");
    if summary.is_empty() {
        format!("- `{name}` — {status}\n")
    } else {
        format!("- `{name}` {summary} — {status}\n")
    }
}

fn markdown(session: &SessionSummary, lines: &[Line]) -> String {
    let mut out = String::new();
    let title = session
        .title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let title = if title.is_empty() {
        "Untitled session"
    } else {
        title.as_str()
    };
    out.push_str(&format!("# {title}\n\n"));
    out.push_str(&format!("- Session: `{}`\n", session.id));
    out.push_str(&format!("- Directory: `{}`\n", session.cwd));
    if !session.model.is_empty() || !session.provider.is_empty() {
        out.push_str(&format!(
            "- Model: {} ({})\n",
            session.model, session.provider
        ));
    }
    out.push_str(&format!(
        "- Created: {} · updated: {}\n",
        utc(session.created_ms),
        utc(session.updated_ms)
    ));
    out.push_str(&format!("- Messages: {}\n", session.message_count));
    if let Some(parent) = &session.parent_id {
        out.push_str(&format!("- Forked from: `{parent}`\n"));
    }
    if session.archived {
        out.push_str("- Archived\n");
    }

    #[derive(PartialEq)]
    enum Section {
        None,
        You,
        Assistant,
    }
    let mut section = Section::None;
    let mut pending: Vec<Value> = Vec::new();
    let flush = |out: &mut String, pending: &mut Vec<Value>| {
        for call in pending.drain(..) {
            out.push_str(&tool_line(&call, None));
        }
    };
    for line in lines {
        let kind = ItemKind::parse(&line.kind);
        if !matches!(kind, Some(ItemKind::ToolCall | ItemKind::ToolResult)) {
            flush(&mut out, &mut pending);
        }
        let json = || serde_json::from_str::<Value>(&line.content).unwrap_or(Value::Null);
        match kind {
            Some(ItemKind::User) => {
                // A skill run as `/name args` reads as that, not as its body.
                let text = match super::Shown::parse(line.display.as_deref()) {
                    Some(super::Shown::Typed { text }) => text,
                    _ => line.content.clone(),
                };
                out.push_str(&format!("\n## You\n\n{}\n", text.trim_end()));
                section = Section::You;
            }
            Some(ItemKind::Assistant) => {
                if section != Section::Assistant {
                    out.push_str("\n## Assistant\n\n");
                    section = Section::Assistant;
                } else if !line.content.trim().is_empty() {
                    out.push('\n');
                }
                if !line.content.trim().is_empty() {
                    out.push_str(line.content.trim_end());
                    out.push('\n');
                }
                if line.interrupted {
                    out.push_str("\n*(reply interrupted)*\n");
                }
            }
            Some(ItemKind::ToolCall | ItemKind::ToolResult) => {
                if section != Section::Assistant {
                    out.push_str("\n## Assistant\n\n");
                    section = Section::Assistant;
                }
                let value = json();
                if kind == Some(ItemKind::ToolCall) {
                    pending.push(value);
                    continue;
                }
                let call_id = text_field(&value, "call_id");
                let call = pending
                    .iter()
                    .position(|c| !call_id.is_empty() && text_field(c, "id") == call_id)
                    .map(|i| pending.remove(i))
                    .unwrap_or(Value::Null);
                out.push_str(&tool_line(&call, Some(&value)));
            }
            Some(ItemKind::Notice) => {
                // The runtime stores `{kind, message}`; anything else is shown as it is.
                let value: Option<Value> = serde_json::from_str(&line.content).ok();
                let text = value
                    .as_ref()
                    .and_then(|v| v.get("message"))
                    .and_then(Value::as_str)
                    .map_or_else(|| line.content.trim().to_string(), str::to_string);
                out.push_str(&format!("\n> Note: {text}\n"));
            }
            Some(ItemKind::Compaction) => {
                out.push_str("\n> *Earlier turns were summarized for the model here.*\n");
            }
            Some(ItemKind::Approval) | None => {}
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// Parse and check every line; the error names the first bad line.
fn parse_jsonl(text: &str) -> Result<(Header, Vec<Line>), StoreError> {
    let bad = |line: usize, problem: String| StoreError::Import { line, problem };
    let mut numbered = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let Some((n, first)) = numbered.next() else {
        return Err(bad(
            1,
            "the file is empty; expected a pincer session header".into(),
        ));
    };
    let header: Header = serde_json::from_str(first).map_err(|e| {
        bad(
            n,
            format!("not a pincer session header ({e}); export the session with pincer first"),
        )
    })?;
    if header.pincer_session != FORMAT_VERSION {
        return Err(bad(
            n,
            format!(
                "format version {} is not supported (this build reads {FORMAT_VERSION}); update pincer",
                header.pincer_session
            ),
        ));
    }
    if header.id.trim().is_empty() || header.id.chars().any(char::is_control) {
        return Err(bad(
            n,
            "the session id is empty or has control characters".into(),
        ));
    }
    let mut lines = Vec::new();
    for (n, text) in numbered {
        let line: Line =
            serde_json::from_str(text).map_err(|e| bad(n, format!("not a session item ({e})")))?;
        if ItemKind::parse(&line.kind).is_none() {
            return Err(bad(n, format!("unknown item kind {:?}", line.kind)));
        }
        if line.input_tokens.is_some_and(|t| t < 0) || line.output_tokens.is_some_and(|t| t < 0) {
            return Err(bad(n, "token counts cannot be negative".into()));
        }
        lines.push(line);
    }
    Ok((header, lines))
}

impl Store {
    /// The session as readable Markdown.
    pub fn export_markdown(&self, id: &str) -> Result<String, StoreError> {
        let (session, lines) = read_session(&self.conn, id)?;
        Ok(crate::redact::redact(&markdown(&session, &lines)))
    }

    /// The session as JSONL: a header line, then one line per item.
    pub fn export_jsonl(&self, id: &str) -> Result<String, StoreError> {
        let (s, lines) = read_session(&self.conn, id)?;
        let header = Header {
            pincer_session: FORMAT_VERSION,
            id: s.id,
            title: s.title,
            cwd: s.cwd,
            provider: s.provider,
            model: s.model,
            created_ms: s.created_ms,
            updated_ms: s.updated_ms,
            parent_id: s.parent_id,
            archived: s.archived,
        };
        let mut out = crate::redact::redact(&serde_json::to_string(&header)?);
        out.push('\n');
        for line in &lines {
            out.push_str(&crate::redact::redact(&serde_json::to_string(line)?));
            out.push('\n');
        }
        Ok(out)
    }

    /// Import a session exported with `export_jsonl`; returns its id: the exported one, or a
    /// fresh one when that id is taken. Every line is checked before anything is written, and
    /// everything is written in one transaction. A parent session that is not in this
    /// database is dropped from the link.
    pub fn import_jsonl(&self, text: &str) -> Result<String, StoreError> {
        let (header, lines) = parse_jsonl(text)?;
        super::write::write(&self.conn, |tx| {
            let id = if summary(tx, &header.id)?.is_some() {
                let mut fresh = new_session_id();
                while summary(tx, &fresh)?.is_some() {
                    fresh = new_session_id();
                }
                fresh
            } else {
                header.id.clone()
            };
            let parent = match &header.parent_id {
                Some(p) if summary(tx, p)?.is_some() => Some(p.clone()),
                _ => None,
            };
            tx.execute(
                "INSERT INTO sessions (id, title, cwd, provider, model, created_at, updated_at,
                                   parent_id, archived, origin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'import')",
                params![
                    id,
                    header.title,
                    header.cwd,
                    header.provider,
                    header.model,
                    header.created_ms,
                    header.updated_ms,
                    parent,
                    header.archived
                ],
            )?;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO items (session_id, kind, content, interrupted, input_tokens,
                                    output_tokens, created_at, complete, writer, display)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9)",
                )?;
                for l in &lines {
                    insert.execute(params![
                        id,
                        l.kind,
                        l.content,
                        l.interrupted,
                        l.input_tokens,
                        l.output_tokens,
                        l.created_ms,
                        self.writer,
                        l.display
                    ])?;
                }
            }
            recount(tx, &id)?;
            Ok(id)
        })
    }
}

#[cfg(test)]
#[path = "transfer_tests.rs"]
mod tests;
