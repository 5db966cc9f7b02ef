//! Logs go to a file (never to the terminal the TUI owns). `PINCER_LOG` sets the filter.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// A log file larger than this is moved to `pincer.log.1` at start-up.
const ROTATE_BYTES: u64 = 8 * 1024 * 1024;

/// Start logging to `path`. Failure to open the file is not fatal: pincer runs without logs.
pub fn init(path: &Path) -> Result<(), String> {
    let filter = EnvFilter::try_from_env("PINCER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file = open(path).map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .map_err(|e| e.to_string())
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        let _ = std::fs::rename(path, path.with_extension("log.1"));
    }
    OpenOptions::new().create(true).append(true).open(path)
}
