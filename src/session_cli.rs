//! `pincer sessions …` and `--resume TEXT`: the command-line side of stored sessions. Prints to
//! stdout; the binary turns the result into an exit code.

use std::io::Write;
use std::path::Path;

use crate::protocol::{ExportFormat, SessionSummary};
use crate::store::{Store, StoreError};
use crate::time::utc_minutes;

#[derive(Debug, thiserror::Error)]
pub enum SessionCliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("no session matches «{0}» — `pincer sessions list --all` shows them all")]
    NoMatch(String),
    #[error("«{query}» matches {count} sessions — give more of the id:\n{list}")]
    Ambiguous {
        query: String,
        count: usize,
        list: String,
    },
    /// The import file: not a regular file, over the cap, not UTF-8, unreadable.
    #[error("{0}")]
    Read(#[from] crate::fsread::ReadError),
}

fn line(s: &SessionSummary) -> String {
    let title = if s.title.is_empty() {
        "untitled"
    } else {
        &s.title
    };
    let fork = if s.parent_id.is_some() { " (fork)" } else { "" };
    let archived = if s.archived { " [archived]" } else { "" };
    format!(
        "{}  {}  {:>4} msgs  {}{fork}{archived}\n    {}  {}  (--resume {})",
        s.id,
        utc_minutes(s.updated_ms),
        s.message_count,
        crate::text::sanitize(title),
        s.cwd,
        s.model,
        crate::store::short_id(&s.id)
    )
}

pub fn list(
    db: &Path,
    cwd: Option<&str>,
    json: bool,
    out: &mut impl Write,
) -> Result<(), SessionCliError> {
    if !db.exists() {
        writeln!(out, "no sessions yet ({} does not exist)", db.display())?;
        return Ok(());
    }
    let store = Store::open(db)?;
    let sessions = store.list_sessions(cwd, cwd.is_none(), usize::MAX >> 1)?;
    if json {
        for s in &sessions {
            writeln!(out, "{}", serde_json::to_string(s).unwrap_or_default())?;
        }
        return Ok(());
    }
    if sessions.is_empty() {
        match cwd {
            Some(dir) => writeln!(
                out,
                "no sessions in {dir} — `pincer sessions list --all` lists every directory"
            )?,
            None => writeln!(out, "no sessions yet")?,
        }
    }
    for s in &sessions {
        writeln!(out, "{}", line(s))?;
    }
    Ok(())
}

/// The one session `query` names (id, id prefix, or text of its title or first prompt).
pub fn find_one(store: &Store, query: &str) -> Result<SessionSummary, SessionCliError> {
    let mut found = store.find_sessions(query)?;
    match found.len() {
        0 => Err(SessionCliError::NoMatch(query.to_string())),
        1 => Ok(found.remove(0)),
        count => Err(SessionCliError::Ambiguous {
            query: query.to_string(),
            count,
            list: found
                .iter()
                .take(10)
                .map(line)
                .collect::<Vec<_>>()
                .join("\n"),
        }),
    }
}

pub fn show(db: &Path, query: &str, out: &mut impl Write) -> Result<(), SessionCliError> {
    let store = Store::open(db)?;
    let s = find_one(&store, query)?;
    write!(out, "{}", store.export_markdown(&s.id)?)?;
    Ok(())
}

pub fn export(
    db: &Path,
    query: &str,
    format: ExportFormat,
    out: &mut impl Write,
) -> Result<(), SessionCliError> {
    let store = Store::open(db)?;
    let s = find_one(&store, query)?;
    let text = match format {
        ExportFormat::Markdown => store.export_markdown(&s.id)?,
        ExportFormat::Jsonl => store.export_jsonl(&s.id)?,
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

pub fn import(db: &Path, file: &Path, out: &mut impl Write) -> Result<(), SessionCliError> {
    let text = crate::fsread::read_text(file, crate::fsread::SESSION_IMPORT_MAX)?;
    let store = Store::open(db)?;
    let id = store.import_jsonl(&text)?;
    writeln!(out, "imported as {id} — `pincer --resume {id}` opens it")?;
    Ok(())
}

pub fn remove(db: &Path, query: &str, out: &mut impl Write) -> Result<(), SessionCliError> {
    let store = Store::open(db)?;
    let s = find_one(&store, query)?;
    store.delete_session(&s.id)?;
    writeln!(
        out,
        "deleted {} ({} messages): {}",
        s.id,
        s.message_count,
        crate::text::sanitize(&s.title)
    )?;
    Ok(())
}

/// What `--resume QUERY` leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeTarget {
    One(String),
    /// Several match: open the session pane filtered by the query.
    Pick(String),
}

pub fn resolve_resume(db: &Path, query: &str) -> Result<ResumeTarget, SessionCliError> {
    if !db.exists() {
        return Err(SessionCliError::NoMatch(query.to_string()));
    }
    let store = Store::open(db)?;
    match find_one(&store, query) {
        Ok(s) => Ok(ResumeTarget::One(s.id)),
        Err(SessionCliError::Ambiguous { .. }) => Ok(ResumeTarget::Pick(query.to_string())),
        Err(e) => Err(e),
    }
}
