//! Reading pincer's own files (config, themes, skills, session imports) so that no file can
//! hang or flood it: open non-blocking (a FIFO with no writer does not block the open), `fstat`
//! the opened descriptor and refuse anything that is not a regular file, refuse files over a
//! per-kind size cap before reading, and never read more than cap + 1 bytes (a file that grows
//! while being read is still bounded). Text must be UTF-8; an error names the line and column.
//!
//! Tool file reads (`read_file` etc.) are not read here: they have their own rules in `tools/`.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

/// `config.toml` and a project's `.pincer/config.toml`.
pub const CONFIG_MAX: u64 = 1024 * 1024;
/// A theme file (`<config>/themes/NAME.toml`): a few dozen colours.
pub const THEME_MAX: u64 = 256 * 1024;
/// A SKILL.md: instructions only; reference material belongs in other files of the folder.
pub const SKILL_MD_MAX: u64 = 1024 * 1024;
/// Other files of a skill folder scanned before an install.
pub const SKILL_FILE_MAX: u64 = 1024 * 1024;
/// A memory file (`MEMORY.md`, a topic file): notes, not datasets.
pub const MEMORY_FILE_MAX: u64 = 4 * 1024 * 1024;
/// A project instructions file (`AGENTS.md`, `CLAUDE.md`).
pub const INSTRUCTIONS_MAX: u64 = 1024 * 1024;
/// A JSONL session export given to `pincer sessions import`.
pub const SESSION_IMPORT_MAX: u64 = 256 * 1024 * 1024;

/// Why a file could not be read. Every message names the path and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error(
        "{} is a {kind}, not a regular file; pincer reads only regular files here — replace it with a file",
        path.display()
    )]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error(
        "{} is {} bytes, over the {} bytes allowed for this file; make it smaller",
        path.display(), size, cap
    )]
    TooLarge { path: PathBuf, size: u64, cap: u64 },
    #[error(
        "{}:{line}:{column}: not valid UTF-8 (byte offset {offset}); save the file as UTF-8",
        path.display()
    )]
    NotUtf8 {
        path: PathBuf,
        offset: usize,
        line: usize,
        column: usize,
    },
    #[error("cannot read {}: {source}; check that it is readable (permissions)", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::NotFound { .. })
    }

    /// 1-based line of the problem (the UTF-8 error's line; 1 otherwise).
    pub fn line(&self) -> usize {
        match self {
            ReadError::NotUtf8 { line, .. } => *line,
            _ => 1,
        }
    }

    /// 1-based column of the problem (1 unless the text is not UTF-8).
    pub fn column(&self) -> usize {
        match self {
            ReadError::NotUtf8 { column, .. } => *column,
            _ => 1,
        }
    }

    /// What went wrong, without the path and without advice (callers add their own).
    pub fn reason(&self) -> String {
        match self {
            ReadError::NotFound { .. } => "the file does not exist".into(),
            ReadError::NotRegular { kind, .. } => format!("it is a {kind}, not a regular file"),
            ReadError::TooLarge { size, cap, .. } => {
                format!("the file is {size} bytes, over the {cap} bytes allowed")
            }
            ReadError::NotUtf8 { offset, .. } => {
                format!("the file is not valid UTF-8 (byte offset {offset})")
            }
            ReadError::Io { source, .. } => format!("cannot read the file: {source}"),
        }
    }
}

/// The whole file as bytes, at most `cap` of them.
pub fn read_bytes(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ReadError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            ReadError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let file = open_nonblocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: file_kind(&meta),
        });
    }
    let too_large = |size| ReadError::TooLarge {
        path: path.to_path_buf(),
        size,
        cap,
    };
    if meta.len() > cap {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > cap {
        // It grew while being read.
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The whole file as UTF-8 text, at most `cap` bytes.
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, cap)?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, column) = line_col_bytes(e.as_bytes(), offset);
        ReadError::NotUtf8 {
            path: path.to_path_buf(),
            offset,
            line,
            column,
        }
    })
}

/// `read_text`, with a missing file as `None`.
pub fn read_text_if_exists(path: &Path, cap: u64) -> Result<Option<String>, ReadError> {
    match read_text(path, cap) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// 1-based line and column (in characters) of byte `offset`, counting only the valid prefix.
fn line_col_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let prefix = &bytes[..offset.min(bytes.len())];
    let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
    let start = prefix
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&prefix[start..]).chars().count() + 1;
    (line, column)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO without a writer (or a device) returns at once; the type
    // check below then refuses it. O_NOCTTY: a terminal device never becomes ours.
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

/// What a non-regular file is, for the message.
fn file_kind(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "character device";
        }
        if ft.is_block_device() {
            return "block device";
        }
        if ft.is_socket() {
            return "socket";
        }
    }
    "special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.txt");
        std::fs::write(&ok, "héllo").unwrap();
        assert_eq!(read_text(&ok, 100).unwrap(), "héllo");
        let e = read_text(dir.path(), 100).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        let e = read_text(&dir.path().join("missing"), 100).unwrap_err();
        assert!(e.is_not_found());
        assert_eq!(
            read_text_if_exists(&dir.path().join("missing"), 1).unwrap(),
            None
        );
    }

    #[test]
    fn cap_is_exact() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "12345").unwrap();
        assert!(read_bytes(&f, 5).is_ok());
        let e = read_bytes(&f, 4).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::TooLarge {
                    size: 5,
                    cap: 4,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn utf8_error_has_line_column_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"ab\ncd\xffe").unwrap();
        let e = read_text(&f, 100).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::NotUtf8 {
                    offset: 5,
                    line: 2,
                    column: 3,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains(":2:3: not valid UTF-8"), "{e}");
    }
}
