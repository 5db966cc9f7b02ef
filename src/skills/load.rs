//! The one way a SKILL.md on disk becomes a [`Parsed`]: the catalog (`skills list`, the pane,
//! reload notices), `skills validate`, `activate_skill` and `skills install` all read through
//! here, so they agree on every skill's status. The file is read with [`crate::fsread`]: a FIFO,
//! device or directory is refused without blocking, anything over
//! [`crate::fsread::SKILL_MD_MAX`] is refused before reading, invalid UTF-8 is an error at its
//! line.

use std::path::Path;

use super::Diagnostic;
use super::catalog::Fingerprint;
use super::parse::{Parsed, parse_skill_md};
use crate::fsread::{ReadError, SKILL_MD_MAX, read_bytes};

/// Read and parse `file` (a SKILL.md in the folder called `folder`), with the fingerprint of its
/// bytes (of nothing when it could not be read).
pub fn load_skill_md(file: &Path, folder: &str) -> (Parsed, Fingerprint) {
    let bytes = match read_bytes(file, SKILL_MD_MAX) {
        Ok(bytes) => bytes,
        Err(e) => return (failed(file, &e), Fingerprint::of(&[])),
    };
    let fingerprint = Fingerprint::of(&bytes);
    match std::str::from_utf8(&bytes) {
        Ok(text) => (parse_skill_md(text, file, folder), fingerprint),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
            let parsed = Parsed {
                result: Err(Diagnostic::error(
                    file,
                    line,
                    format!("SKILL.md is not valid UTF-8 (byte offset {offset}); save it as UTF-8"),
                )),
                warnings: Vec::new(),
            };
            (parsed, fingerprint)
        }
    }
}

/// A SKILL.md that could not be read: an error diagnostic saying why and what to do.
fn failed(file: &Path, e: &ReadError) -> Parsed {
    let message = match e {
        ReadError::NotRegular { kind, .. } => {
            format!("SKILL.md is a {kind}, not a regular file; replace it with a regular file")
        }
        ReadError::TooLarge { size, cap, .. } => format!(
            "SKILL.md is {} KiB, over the {} KiB allowed; move reference material into other \
             files in the folder",
            size / 1024,
            cap / 1024
        ),
        ReadError::NotFound { .. } => {
            "SKILL.md cannot be opened: it is a broken symlink or was removed while being read"
                .to_string()
        }
        ReadError::NotUtf8 { offset, .. } => {
            format!("SKILL.md is not valid UTF-8 (byte offset {offset}); save it as UTF-8")
        }
        ReadError::Io { source, .. } => {
            format!("cannot read SKILL.md ({source}); check its permissions")
        }
    };
    Parsed {
        result: Err(Diagnostic::error(file, e.line(), message)),
        warnings: Vec::new(),
    }
}

/// The folder name of a skill's SKILL.md (what a skill without `name:` is called).
pub fn folder_of(file: &Path) -> String {
    file.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
