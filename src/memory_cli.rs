//! `pincer memory search|list|show|forget|pin|unpin|reindex|status|export|import`: the
//! command-line side of memory. Every command first brings the index up to date with the files
//! (changed files only), so what it shows is what the files say.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use crate::config::MemoryConfig;
use crate::memory::edit::{self, WriteMode, WriteRequest};
use crate::memory::query_vector::search_mode;
use crate::memory::{MemoryDirs, MemoryError, MemoryService, Query, format, index};
use crate::protocol::{MemoryProvenance, MemoryScope, MemoryScopeFilter};
use crate::store::{Store, StoreError};

#[derive(Subcommand, Debug)]
pub enum MemoryCommand {
    /// Search memory and this project's past sessions.
    Search {
        query: String,
        /// One JSON array of hits.
        #[arg(long)]
        json: bool,
        /// How many hits.
        #[arg(long, default_value_t = 10)]
        k: usize,
        #[arg(long, value_enum, default_value_t = ScopeArg::All)]
        scope: ScopeArg,
        /// Include superseded entries.
        #[arg(long)]
        superseded: bool,
    },
    /// The entries of the user's and this project's memory files.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One entry with its metadata (superseded ones too).
    Show {
        id: String,
    },
    /// Remove an entry's text from its file, the index and the vectors.
    Forget {
        id: String,
    },
    /// Exempt an entry from recency decay.
    Pin {
        id: String,
    },
    Unpin {
        id: String,
    },
    /// Rebuild the index from the memory files and the stored sessions.
    Reindex,
    /// Files, chunks, sessions indexed, vector state, problems.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Print the user's and this project's memory files as one JSON document.
    Export,
    /// Add the entries of an export (JSON) or of a Markdown file, marked as imported.
    Import {
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    User,
    Project,
    All,
}

#[derive(Debug, thiserror::Error)]
pub enum MemoryCliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Memory(#[from] MemoryError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Import(String),
}

/// Run one command against the database at `db` for the workspace `dirs` describes.
pub fn run(
    command: &MemoryCommand,
    db: &Path,
    dirs: MemoryDirs,
    config: MemoryConfig,
    out: &mut impl Write,
) -> Result<(), MemoryCliError> {
    let store = Store::open(db)?;
    let service = MemoryService::new(dirs, config);
    let report = if matches!(command, MemoryCommand::Reindex) {
        service.reindex(&store)?
    } else {
        service.sync(&store)?
    };
    match command {
        MemoryCommand::Search {
            query,
            json,
            k,
            scope,
            superseded,
        } => {
            let mut q = Query::new(query.as_str());
            q.k = (*k).max(1);
            q.scope = filter(*scope);
            q.include_superseded = *superseded;
            return search(&service, store, &q, *json, out);
        }
        MemoryCommand::List { json } => {
            let listing = service.list(&store, MemoryScopeFilter::All, "")?;
            if *json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&listing.entries).unwrap_or_default()
                )?;
            } else if listing.entries.is_empty() {
                writeln!(
                    out,
                    "no memory yet — {} is where it goes",
                    service.dirs.user.join(crate::memory::CORE_FILE).display()
                )?;
            }
            for e in listing.entries.iter().filter(|_| !*json) {
                let mark = if e.superseded.is_some() {
                    "~"
                } else if e.pinned {
                    "*"
                } else {
                    " "
                };
                let first = e.text.lines().next().unwrap_or("");
                writeln!(out, "{mark} {}  {}:{}  {first}", e.id, e.path, e.lines.0)?;
            }
        }
        MemoryCommand::Show { id } => {
            let (file, _, entry) = edit::locate(&service.dirs, id)?;
            writeln!(out, "id:         {}", entry.id)?;
            writeln!(
                out,
                "file:       {} (lines {}-{})",
                file.abs.display(),
                entry.line_start,
                entry.line_end
            )?;
            writeln!(out, "scope:      {}", index::scope_name(file.scope))?;
            writeln!(out, "kind:       {}", format::kind_name(entry.kind))?;
            writeln!(
                out,
                "provenance: {}",
                format::provenance_name(entry.provenance())
            )?;
            if let Some(at) = entry.meta.at {
                writeln!(out, "created:    {}", crate::time::utc_date(at * 1000))?;
            }
            if let Some(sup) = entry.meta.superseded {
                writeln!(out, "superseded: {}", crate::time::utc_date(sup * 1000))?;
            }
            writeln!(
                out,
                "pinned:     {}",
                if entry.meta.pinned { "yes" } else { "no" }
            )?;
            writeln!(out, "\n{}", entry.text)?;
        }
        MemoryCommand::Forget { id } => {
            let change = service.forget(&store, id)?;
            writeln!(out, "{}", change.summary)?;
        }
        MemoryCommand::Pin { id } | MemoryCommand::Unpin { id } => {
            let pin = matches!(command, MemoryCommand::Pin { .. });
            let change = service.pin(&store, id, pin)?;
            writeln!(out, "{}", change.summary)?;
        }
        MemoryCommand::Reindex => {
            writeln!(
                out,
                "reindexed {} files and {} session items",
                report.files_indexed, report.session_items
            )?;
            for p in &report.problems {
                writeln!(out, "problem: {p}")?;
            }
        }
        MemoryCommand::Status { json } => {
            let mut status = service.status(&store)?;
            for p in report.problems {
                if !status.problems.contains(&p) {
                    status.problems.push(p);
                }
            }
            if *json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&status).unwrap_or_default()
                )?;
            } else {
                writeln!(out, "memory folder: {}", service.dirs.user.display())?;
                writeln!(out, "project folder: {}", service.dirs.project.display())?;
                writeln!(out, "files: {}", status.files)?;
                writeln!(out, "chunks: {}", status.chunks)?;
                writeln!(out, "sessions indexed: {} items", status.session_items)?;
                writeln!(out, "{}", status.vectors)?;
                if status.problems.is_empty() {
                    writeln!(out, "problems: none")?;
                }
                for p in &status.problems {
                    writeln!(out, "problem: {p}")?;
                }
            }
        }
        MemoryCommand::Export => export(&service.dirs, out)?,
        MemoryCommand::Import { file } => import(&store, &service, file, out)?,
    }
    Ok(())
}

/// `memory search`: the runtime's search (`MemoryService::search`), with the vector leg when it
/// is usable now; the mode ("hybrid (…)" or "text only (why)") heads the text output, and goes
/// to stderr with `--json` (stdout stays one JSON array).
fn search(
    service: &MemoryService,
    store: Store,
    q: &Query,
    json: bool,
    out: &mut impl Write,
) -> Result<(), MemoryCliError> {
    let store = std::sync::Mutex::new(store);
    let mode = search_mode(service, &store, &q.text)?;
    let line = format!("search: {}", mode.describe());
    let guard = store.lock().unwrap_or_else(|e| e.into_inner());
    let hits = service.search(&guard, q, mode.into_vector())?;
    if json {
        let _ = writeln!(std::io::stderr(), "pincer: memory {line}");
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&hits).unwrap_or_default()
        )?;
    } else {
        writeln!(out, "{line}")?;
        write!(
            out,
            "{}",
            crate::runtime::render_memory_hits(&q.text, &hits)
        )?;
    }
    Ok(())
}

fn filter(scope: ScopeArg) -> MemoryScopeFilter {
    match scope {
        ScopeArg::User => MemoryScopeFilter::User,
        ScopeArg::Project => MemoryScopeFilter::Project,
        ScopeArg::All => MemoryScopeFilter::All,
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ExportFile {
    scope: MemoryScope,
    /// The file name inside its scope's folder.
    name: String,
    text: String,
}

fn export(dirs: &MemoryDirs, out: &mut impl Write) -> Result<(), MemoryCliError> {
    let (files, _) = index::memory_files(dirs);
    let mut exported = Vec::new();
    for f in files {
        let Ok(text) = crate::fsread::read_text(&f.abs, crate::fsread::MEMORY_FILE_MAX) else {
            continue;
        };
        let name = f.rel.rsplit('/').next().unwrap_or("").to_string();
        exported.push(ExportFile {
            scope: f.scope,
            name,
            text,
        });
    }
    let doc = serde_json::json!({ "pincer_memory_export": 1, "files": exported });
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )?;
    Ok(())
}

fn import(
    store: &Store,
    service: &MemoryService,
    file: &Path,
    out: &mut impl Write,
) -> Result<(), MemoryCliError> {
    let text = crate::fsread::read_text(file, crate::fsread::MEMORY_FILE_MAX)
        .map_err(MemoryError::from)?;
    let files: Vec<ExportFile> = if file.extension().is_some_and(|e| e == "json") {
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| MemoryCliError::Import(format!("{} is not JSON ({e}); import an export made by `pincer memory export`, or a Markdown file", file.display())))?;
        serde_json::from_value(doc["files"].clone()).map_err(|e| {
            MemoryCliError::Import(format!(
                "{} is not a pincer memory export ({e})",
                file.display()
            ))
        })?
    } else {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "imported.md".into());
        vec![ExportFile {
            scope: MemoryScope::User,
            name,
            text,
        }]
    };
    let (mut added, mut skipped) = (0, 0);
    for f in files {
        let name = edit::topic_name(&f.name)?;
        for entry in format::parse(&f.name, &f.text) {
            if entry.meta.superseded.is_some() {
                skipped += 1;
                continue;
            }
            let req = WriteRequest {
                text: entry.text.clone(),
                mode: WriteMode::Append,
                scope: f.scope,
                file: (name != crate::memory::CORE_FILE).then(|| name.clone()),
                kind: Some(entry.kind),
                target: None,
            };
            match service.write(store, &req, MemoryProvenance::Imported) {
                Ok(_) => added += 1,
                // The same fact is there already (`edit::write` compares them normalized).
                Err(MemoryError::AlreadyRemembered { .. }) => skipped += 1,
                Err(e) => {
                    skipped += 1;
                    writeln!(
                        out,
                        "skipped {:?}: {e}",
                        entry.text.lines().next().unwrap_or("")
                    )?;
                }
            }
        }
    }
    writeln!(
        out,
        "imported {added} entries ({skipped} skipped: already there, superseded or refused)"
    )?;
    Ok(())
}
